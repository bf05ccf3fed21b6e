//! The public RFC 6962 test vectors in `tests/vectors/rfc6962_8leaf.json` (provenance in
//! `tests/vectors/README.md`): roots for every size, every inclusion and consistency proof
//! (generated and verified), and every invalid proof rejected. Reads nothing outside the
//! checkout.

use custos::chain::merkle::{self, from_hex, leaf_hash, Accumulator, Hash};

fn vectors() -> serde_json::Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("vectors")
        .join("rfc6962_8leaf.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).expect("vector JSON")
}

fn h(v: &serde_json::Value) -> Hash {
    from_hex(v.as_str().expect("hex string")).expect("64 hex digits")
}

fn hs(v: &serde_json::Value) -> Vec<Hash> {
    v.as_array().expect("array").iter().map(h).collect()
}

fn decode(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

fn leaf_hashes(v: &serde_json::Value) -> Vec<Hash> {
    v["leaves"]
        .as_array()
        .expect("leaves")
        .iter()
        .map(|l| {
            let lh = leaf_hash(&decode(l["data"].as_str().expect("data")));
            assert_eq!(lh, h(&l["leaf_hash"]), "leaf hash of {}", l["data"]);
            lh
        })
        .collect()
}

#[test]
fn roots_for_every_size() {
    let v = vectors();
    let leaves = leaf_hashes(&v);
    let mut acc = Accumulator::default();
    for n in 0..=leaves.len() {
        let want = h(&v["roots"][n.to_string()]);
        assert_eq!(merkle::root(&leaves[..n]), want, "recursive root, size {n}");
        assert_eq!(acc.root(), want, "streaming root, size {n}");
        if let Some(l) = leaves.get(n) {
            acc.push(*l);
        }
    }
}

#[test]
fn inclusion_proofs_generate_and_verify() {
    let v = vectors();
    let leaves = leaf_hashes(&v);
    let cases = v["inclusion"].as_array().expect("inclusion");
    assert_eq!(cases.len(), 36);
    for c in cases {
        let (i, n) = (
            c["index"].as_u64().unwrap(),
            c["tree_size"].as_u64().unwrap(),
        );
        let proof = hs(&c["proof"]);
        let size = usize::try_from(n).unwrap();
        let idx = usize::try_from(i).unwrap();
        assert_eq!(
            merkle::inclusion_proof(idx, &leaves[..size]),
            proof,
            "generated proof {i}/{n}"
        );
        let root = h(&v["roots"][n.to_string()]);
        assert!(
            merkle::verify_inclusion(&leaves[idx], i, n, &proof, &root),
            "verify {i}/{n}"
        );
    }
}

#[test]
fn consistency_proofs_generate_and_verify() {
    let v = vectors();
    let leaves = leaf_hashes(&v);
    let cases = v["consistency"].as_array().expect("consistency");
    assert_eq!(cases.len(), 28);
    for c in cases {
        let (m, n) = (
            c["old_size"].as_u64().unwrap(),
            c["new_size"].as_u64().unwrap(),
        );
        let proof = hs(&c["proof"]);
        let size = usize::try_from(n).unwrap();
        assert_eq!(
            merkle::consistency_proof(usize::try_from(m).unwrap(), &leaves[..size]),
            proof,
            "generated {m}->{n}"
        );
        let (old, new) = (h(&v["roots"][m.to_string()]), h(&v["roots"][n.to_string()]));
        assert!(
            merkle::verify_consistency(m, n, &old, &new, &proof),
            "verify {m}->{n}"
        );
    }
}

#[test]
fn every_invalid_proof_is_rejected() {
    let v = vectors();
    let bad_incl = v["invalid_inclusion"]
        .as_array()
        .expect("invalid_inclusion");
    assert!(!bad_incl.is_empty());
    for c in bad_incl {
        let ok = merkle::verify_inclusion(
            &h(&c["leaf_hash"]),
            c["index"].as_u64().unwrap(),
            c["tree_size"].as_u64().unwrap(),
            &hs(&c["proof"]),
            &h(&c["root"]),
        );
        assert!(!ok, "accepted invalid inclusion proof ({}): {c}", c["why"]);
    }
    let bad_cons = v["invalid_consistency"]
        .as_array()
        .expect("invalid_consistency");
    assert!(!bad_cons.is_empty());
    for c in bad_cons {
        let ok = merkle::verify_consistency(
            c["old_size"].as_u64().unwrap(),
            c["new_size"].as_u64().unwrap(),
            &h(&c["old_root"]),
            &h(&c["new_root"]),
            &hs(&c["proof"]),
        );
        assert!(
            !ok,
            "accepted invalid consistency proof ({}): {c}",
            c["why"]
        );
    }
}
