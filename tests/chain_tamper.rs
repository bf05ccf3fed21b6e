//! Tamper matrix over generated chains: every single-record modification, deletion,
//! insertion, adjacent swap, truncation and full rewrite is reported at the right line with
//! the right kind, and an untouched chain never is. Plus a property test: flipping any byte
//! of a sealed chain makes verification fail at or before the record holding the byte.

use custos::chain::merkle::{self, Hash};
use custos::chain::note::Checkpoint;
use custos::chain::{self, OfferedCheckpoint, ProblemKind, Sealer, VerifyReport};
use proptest::prelude::*;

const N: usize = 9;

fn seal(payloads: &[String]) -> Vec<String> {
    let mut s = Sealer::default();
    payloads
        .iter()
        .enumerate()
        .map(|(i, p)| s.seal(p, i + 1).unwrap())
        .collect()
}

fn payloads(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            format!(
                r#"{{"actor":"svc-{i}","event":"inference","input":"prompt {i} é","score":{}.5}}"#,
                i * 3
            )
        })
        .collect()
}

fn text(lines: &[String]) -> String {
    lines.iter().fold(String::new(), |mut t, l| {
        t.push_str(l);
        t.push('\n');
        t
    })
}

fn checkpoint_for(lines: &[String]) -> OfferedCheckpoint {
    let leaves: Vec<Hash> = lines
        .iter()
        .map(|l| chain::parse_record(l).unwrap().leaf())
        .collect();
    OfferedCheckpoint::trusted(
        "cp",
        Checkpoint {
            origin: "test".into(),
            size: leaves.len() as u64,
            root: merkle::root(&leaves),
        },
    )
}

fn verify(lines: &[String], cps: &[OfferedCheckpoint]) -> VerifyReport {
    chain::verify(text(lines).as_bytes(), cps)
}

fn has(r: &VerifyReport, line: usize, kind: ProblemKind) -> bool {
    r.problems.iter().any(|p| p.line == line && p.kind == kind)
}

/// Re-seal one record's content with a recomputed hash but its original links.
fn forge(line: &str, field: &str, value: &str) -> String {
    let mut v: serde_json::Value = serde_json::from_str(line).unwrap();
    v[field] = serde_json::Value::String(value.into());
    let obj = custos::chain::jcs::parse(&v.to_string()).unwrap();
    let h = chain::content_hash(&obj);
    v["hash"] = serde_json::Value::String(merkle::to_hex(&h));
    v.to_string()
}

#[test]
fn untouched_chains_are_intact_with_and_without_checkpoints() {
    for n in 0..20 {
        let lines = seal(&payloads(n));
        let r = verify(&lines, &[checkpoint_for(&lines)]);
        assert!(r.intact(), "n={n}: {:?}", r.problems);
        assert_eq!(r.records, n as u64);
        assert_eq!(r.trusted_size, Some(n as u64));
        assert!(verify(&lines, &[]).intact());
    }
}

#[test]
fn content_modification_is_modified_at_its_line() {
    let lines = seal(&payloads(N));
    for i in 0..N {
        let mut t = lines.clone();
        t[i] = t[i].replace(&format!("prompt {i}"), "prompt X");
        let r = verify(&t, &[]);
        assert!(
            has(&r, i + 1, ProblemKind::Modified),
            "i={i}: {:?}",
            r.problems
        );
        assert_eq!(r.problems.len(), 1, "i={i}: {:?}", r.problems);
    }
}

#[test]
fn modification_with_recomputed_hash_breaks_the_next_link_or_the_checkpoint() {
    let lines = seal(&payloads(N));
    let cp = checkpoint_for(&lines);
    for i in 0..N {
        let mut t = lines.clone();
        t[i] = forge(&t[i], "input", "forged");
        let r = verify(&t, &[]);
        if i + 1 < N {
            assert!(
                has(&r, i + 2, ProblemKind::BrokenLink),
                "i={i}: {:?}",
                r.problems
            );
        } else {
            // The last record: only a checkpoint can tell.
            assert!(r.intact());
            assert!(r.caveat().is_some());
        }
        let r = verify(&t, std::slice::from_ref(&cp));
        assert!(
            r.problems.iter().any(|p| p.kind == ProblemKind::Rewritten),
            "i={i}: {:?}",
            r.problems
        );
    }
}

#[test]
fn deletion_is_a_broken_link_where_the_gap_is() {
    let lines = seal(&payloads(N));
    let cp = checkpoint_for(&lines);
    for i in 0..N {
        let mut t = lines.clone();
        t.remove(i);
        let r = verify(&t, std::slice::from_ref(&cp));
        if i + 1 < N {
            assert!(
                has(&r, i + 1, ProblemKind::BrokenLink),
                "i={i}: {:?}",
                r.problems
            );
            assert!(
                has(&r, i + 1, ProblemKind::SeqGap),
                "i={i}: {:?}",
                r.problems
            );
        } else {
            assert!(
                r.problems.iter().any(|p| p.kind == ProblemKind::Truncated),
                "i={i}: {:?}",
                r.problems
            );
        }
    }
}

#[test]
fn insertion_is_detected_after_the_inserted_record() {
    let lines = seal(&payloads(N));
    for i in 1..N {
        // A well-formed forged record that links to its predecessor and carries its seq.
        let mut s = Sealer::resume(text(&lines[..i]).as_bytes()).unwrap();
        let forged = s.seal(r#"{"event":"forged"}"#, 1).unwrap();
        let mut t = lines.clone();
        t.insert(i, forged);
        let r = verify(&t, &[]);
        assert!(
            has(&r, i + 2, ProblemKind::BrokenLink),
            "i={i}: {:?}",
            r.problems
        );
        assert!(
            has(&r, i + 2, ProblemKind::SeqGap),
            "i={i}: {:?}",
            r.problems
        );
        assert!(
            !r.problems.iter().any(|p| p.line <= i),
            "nothing before the insertion: {:?}",
            r.problems
        );
    }
}

#[test]
fn adjacent_swaps_are_broken_links_at_the_first_swapped_line() {
    let lines = seal(&payloads(N));
    for i in 0..N - 1 {
        let mut t = lines.clone();
        t.swap(i, i + 1);
        let r = verify(&t, &[]);
        assert!(
            has(&r, i + 1, ProblemKind::BrokenLink),
            "i={i}: {:?}",
            r.problems
        );
        assert!(
            !r.problems.iter().any(|p| p.line <= i),
            "i={i}: {:?}",
            r.problems
        );
    }
}

#[test]
fn truncation_needs_a_checkpoint_to_be_seen() {
    let lines = seal(&payloads(N));
    let cp = checkpoint_for(&lines);
    for keep in 0..N {
        let t = &lines[..keep];
        assert!(verify(t, &[]).intact());
        let r = verify(t, std::slice::from_ref(&cp));
        assert!(
            r.problems.iter().any(|p| p.kind == ProblemKind::Truncated),
            "keep={keep}"
        );
    }
}

#[test]
fn full_rewrite_with_recomputed_hashes_is_rewritten_against_a_checkpoint() {
    let lines = seal(&payloads(N));
    let cp = checkpoint_for(&lines);
    let mut other = payloads(N);
    other[4] = r#"{"actor":"svc-4","event":"inference","input":"history rewritten"}"#.into();
    let rewritten = seal(&other);
    assert!(
        verify(&rewritten, &[]).intact(),
        "a rewrite is internally consistent"
    );
    let r = verify(&rewritten, &[cp]);
    assert!(
        r.problems
            .iter()
            .any(|p| p.kind == ProblemKind::Rewritten && p.line == N),
        "{:?}",
        r.problems
    );
    // A checkpoint over a prefix that the rewrite kept still matches.
    let early = checkpoint_for(&lines[..4]);
    assert!(verify(&rewritten, &[early]).intact());
}

#[allow(clippy::naive_bytecount)] // a dozen short lines; no crate needed to count them
mod flips {
    use super::*;
    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn any_flipped_byte_fails_at_or_before_its_record(n in 1usize..12, pos in any::<prop::sample::Index>(), mask in 1u8..=255) {
            let lines = seal(&payloads(n));
            let mut bytes = text(&lines).into_bytes();
            let at = pos.index(bytes.len());
            bytes[at] ^= mask;
            // 1-based line that holds the flipped byte in the original file.
            let line_of_byte = text(&lines).as_bytes()[..at].iter().filter(|&&b| b == b'\n').count() + 1;
            let r = chain::verify(bytes.as_slice(), &[]);
            prop_assert!(!r.intact(), "flip at {} not detected", at);
            let first = r.problems.iter().map(|p| p.line).min().unwrap_or(usize::MAX);
            prop_assert!(first <= line_of_byte, "first problem at line {} after the flipped byte's line {}", first, line_of_byte);
        }
    }
}

mod arbitrary_input {
    use super::*;
    use custos::chain::VerifyOptions;
    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        /// Whatever the bytes (and a small record limit, to reach the over-long path), verify
        /// returns; every problem points at a line that exists; no more records are counted
        /// than there are lines.
        #[test]
        fn arbitrary_bytes_give_problems_at_real_lines(
            bytes in prop::collection::vec(prop_oneof![any::<u8>(), Just(b'\n'), Just(b'{')], 0..600),
            limit in 1usize..200,
            strict in any::<bool>(),
        ) {
            let opts = VerifyOptions { strict, max_record_bytes: limit };
            let r = chain::verify_with(bytes.as_slice(), &[], opts);
            let lines = bytes.split(|&b| b == b'\n').count()
                - usize::from(bytes.is_empty() || bytes.last() == Some(&b'\n'));
            prop_assert!(r.records <= lines as u64);
            for p in &r.problems {
                prop_assert!(p.line >= 1 && p.line <= lines, "line {} of {}", p.line, lines);
            }
            if !bytes.is_empty() && r.problems.is_empty() {
                // Only a lone ignorable empty line can leave no records and no problems.
                prop_assert!(r.records > 0 || bytes == b"\n");
            }
        }
    }
}
