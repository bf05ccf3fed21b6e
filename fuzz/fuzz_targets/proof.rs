#![no_main]
//! Proof files. Arbitrary JSON: no panic. A genuine inclusion or consistency proof over a
//! sealed chain must verify, and with any one byte of its JSON changed it must not, unless the
//! change leaves the same proof.
use arbitrary::Arbitrary;
use custos::chain::merkle::{self, to_hex};
use custos::chain::note::{Checkpoint, Signer};
use custos::chain::proof::{self, ProofFile};
use custos::chain::{parse_record, Sealer};
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
struct Input {
    raw: Vec<u8>,
    values: Vec<String>,
    a: u8,
    consistency: bool,
    byte: usize,
    new: u8,
}

fuzz_target!(|input: Input| {
    let signer = Signer::generate("fuzz.example/log", [9; 32]).expect("key");
    let keys = [signer.verifier()];
    if let Ok(p) = serde_json::from_slice::<ProofFile>(&input.raw) {
        let _ = proof::verify(&p, &keys);
    }

    let mut sealer = Sealer::default();
    let mut records = Vec::new();
    for (i, v) in input.values.iter().take(40).enumerate() {
        let line = serde_json::json!({ "v": v }).to_string();
        records.push(sealer.seal(&line, i + 1).expect("seal"));
    }
    let n = records.len();
    if n == 0 {
        return;
    }
    let leaves: Vec<merkle::Hash> = records
        .iter()
        .map(|r| parse_record(r).expect("sealed record parses").leaf())
        .collect();
    let note = |size: usize| {
        let cp = Checkpoint {
            origin: "fuzz.example/log".into(),
            size: size as u64,
            root: merkle::root(&leaves[..size]),
        };
        signer.sign(&cp.text()).expect("sign")
    };
    let hex = |v: Vec<merkle::Hash>| v.iter().map(|h| to_hex(h)).collect::<Vec<_>>();
    let genuine = if input.consistency {
        let old = usize::from(input.a) % n + 1;
        ProofFile::Consistency {
            version: proof::PROOF_VERSION,
            old_checkpoint: note(old),
            new_checkpoint: note(n),
            old_size: old as u64,
            new_size: n as u64,
            old_root: to_hex(&merkle::root(&leaves[..old])),
            new_root: to_hex(&merkle::root(&leaves)),
            proof: hex(merkle::consistency_proof(old, &leaves)),
        }
    } else {
        let seq = usize::from(input.a) % n;
        ProofFile::Inclusion {
            version: proof::PROOF_VERSION,
            checkpoint: note(n),
            tree_size: n as u64,
            root: to_hex(&merkle::root(&leaves)),
            seq: seq as u64,
            record: records[seq].clone(),
            proof: hex(merkle::inclusion_proof(seq, &leaves)),
        }
    };
    if let Err(e) = proof::verify(&genuine, &keys) {
        panic!("a genuine proof does not verify: {e:?}");
    }
    let mut json = serde_json::to_vec(&genuine).expect("serialise");
    let at = input.byte % json.len();
    if json[at] == input.new {
        return;
    }
    json[at] = input.new;
    let Ok(changed) = serde_json::from_slice::<ProofFile>(&json) else {
        return;
    };
    if changed != genuine {
        assert!(
            proof::verify(&changed, &keys).is_err(),
            "a modified proof verified: byte {at} -> {:#04x}",
            input.new
        );
    }
});
