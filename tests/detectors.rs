//! Precision and recall of the secret and PII detectors on the labelled corpus in
//! fixtures/labelled (run with `--nocapture` to see the table), and end-to-end behaviour of
//! log scanning and `custos redact`.

// The precision/recall table is this test's report.
#![allow(clippy::print_stdout)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::Write as _;
use std::process::{Command, Stdio};

use common::{repo, scan_json, triples};

fn labels() -> BTreeSet<(String, u64, String)> {
    let text = std::fs::read_to_string(repo().join("fixtures/labelled/labels.txt")).unwrap();
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let (loc, rule) = l.split_once(' ').unwrap();
            let (file, line) = loc.rsplit_once(':').unwrap();
            (
                format!("fixtures/labelled/{file}"),
                line.parse().unwrap(),
                rule.trim().to_owned(),
            )
        })
        .collect()
}

#[test]
fn precision_and_recall_on_the_labelled_corpus() {
    let (_, report, _) = scan_json(&["fixtures/labelled", "--no-config"], &repo());
    let got: BTreeSet<(String, u64, String)> = triples(&report)
        .into_iter()
        .filter(|t| t.2.starts_with("SEC") || t.2.starts_with("PII"))
        .collect();
    let want = labels();
    let mut per_rule: BTreeMap<String, (usize, usize, usize)> = BTreeMap::new();
    for t in got.union(&want) {
        let e = per_rule.entry(t.2.clone()).or_default();
        match (got.contains(t), want.contains(t)) {
            (true, true) => e.0 += 1,
            (true, false) => e.1 += 1,
            (false, true) => e.2 += 1,
            (false, false) => {}
        }
    }
    println!(
        "{:<8} {:>4} {:>4} {:>4} {:>9} {:>7}",
        "rule", "tp", "fp", "fn", "precision", "recall"
    );
    let (mut tp, mut fp, mut fnn) = (0, 0, 0);
    for (rule, (t, f, n)) in &per_rule {
        #[allow(clippy::cast_precision_loss)]
        let (p, r) = (
            *t as f64 / (t + f).max(1) as f64,
            *t as f64 / (t + n).max(1) as f64,
        );
        println!("{rule:<8} {t:>4} {f:>4} {n:>4} {p:>9.2} {r:>7.2}");
        tp += t;
        fp += f;
        fnn += n;
    }
    println!("{:<8} {tp:>4} {fp:>4} {fnn:>4}", "total");
    let false_pos: Vec<_> = got.difference(&want).collect();
    let false_neg: Vec<_> = want.difference(&got).collect();
    assert!(
        false_pos.is_empty() && false_neg.is_empty(),
        "false positives: {false_pos:?}\nfalse negatives: {false_neg:?}"
    );
    assert!(tp >= 20, "the corpus must exercise the detectors");
}

#[test]
fn log_sample_scans_a_deterministic_subset() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = String::new();
    for i in 0..1000 {
        let _ = writeln!(
            log,
            "2026-11-22 06:00:00 INFO user{i}@initech-mail.com logged in"
        );
    }
    std::fs::write(dir.path().join("app.log"), &log).unwrap();
    let (_, full, _) = scan_json(&[".", "--no-config"], dir.path());
    assert_eq!(full["findings"].as_array().unwrap().len(), 1000);
    let (_, sampled, _) = scan_json(&[".", "--no-config", "--log-sample", "100"], dir.path());
    let lines: Vec<u64> = sampled["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["location"]["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines.len(), 100);
    assert_eq!(lines[..3], [1, 11, 21]);
    assert!(sampled["notes"]
        .to_string()
        .contains("scanned 100 of 1000 lines"));
    let (_, again, _) = scan_json(&[".", "--no-config", "--log-sample", "100"], dir.path());
    assert_eq!(
        sampled["findings"], again["findings"],
        "the sample is deterministic"
    );
}

#[test]
fn logs_over_the_file_size_limit_are_streamed_not_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let mut f = std::fs::File::create(dir.path().join("big.jsonl")).unwrap();
    let filler = format!("{{\"msg\":\"{}\"}}\n", "x".repeat(200));
    for _ in 0..40_000 {
        f.write_all(filler.as_bytes()).unwrap();
    }
    f.write_all(b"{\"prompt\":\"reach me at ana.lopez@globex-mail.com\"}\n")
        .unwrap();
    drop(f);
    // 8 MB of log, well over the 5 MiB file limit: still scanned, as a stream.
    let (code, report, _) = scan_json(&[".", "--no-config"], dir.path());
    assert_eq!(code, 1);
    assert_eq!(
        triples(&report),
        [("big.jsonl".to_owned(), 40_001, "PII001".to_owned())]
    );
}

fn redact(args: &[&str], input: &str) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_custos"))
        .arg("redact")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn redact_output_is_clean_valid_and_seals() {
    let input =
        std::fs::read_to_string(repo().join("fixtures/labelled/llm_requests.jsonl")).unwrap();
    let out = redact(&[], &input);
    for planted in [
        "ana.lopez@globex-mail.com",
        "5555 5555 5555 4444",
        "536-22-8741",
        "GB82 WEST",
        "+44 20 7946 0958",
        "943 476 5919",
        "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2",
        "eyJhbGciOiJIUzI1NiIs",
    ] {
        assert!(
            !out.contains(planted),
            "redact left {planted} in its output"
        );
    }
    for line in out.lines() {
        serde_json::from_str::<serde_json::Value>(line)
            .unwrap_or_else(|e| panic!("not JSON after redaction: {e}: {line}"));
    }
    // Scanning the redacted log finds nothing.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("clean.jsonl"), &out).unwrap();
    let (code, report, _) = scan_json(&[".", "--no-config"], dir.path());
    assert_eq!(triples(&report), vec![], "{out}");
    assert_eq!(code, 0);
    // And it can be sealed into a chain as it is.
    let o = common::custos(
        &["chain", "seal", "clean.jsonl", "-o", "chain.jsonl"],
        dir.path(),
    );
    assert_eq!(common::code(&o), 0, "{}", common::stderr(&o));
}

#[test]
fn pseudonyms_are_stable_under_one_key() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("k"), "0123456789abcdef-pseudonym-key\n").unwrap();
    let key = dir.path().join("k");
    let k = key.to_str().unwrap();
    let a = redact(
        &["--mode", "pseudonym", "--key-file", k],
        "user ana.lopez@globex-mail.com\n",
    );
    let b = redact(
        &["--mode", "pseudonym", "--key-file", k],
        "again ana.lopez@globex-mail.com\n",
    );
    let token = |s: &str| s.split_whitespace().nth(1).unwrap().to_owned();
    assert_eq!(token(&a), token(&b));
    assert!(token(&a).starts_with("[EMAIL:"));
    assert!(!a.contains("ana.lopez"));
}

/// Values planted in fixtures/labelled for the precision classes; no output may print them.
const PLANTED: &[&str] = &[
    "AKIA3QW7ZK2NB5XT8PLM",
    "Nq4rK8xT1mZ7vLw3Yp6Nc2Hd9Fg5Bs0Ae4Ui7Ok3",
    "Dag-Pr0d-Pass!",
    "Go-St0re-Pass!",
    "Ts9Lm2Xw9Kt3Rp6Vb1Hs5Q",
    "Md-Demo-Pa55",
    "Sh-Depl0y-2024",
    "Sh-R3dis-Pass",
    "9f2c41aa0b7e3d11c5d8e6f7a8b9c0d1",
    "Yarn-T0ken-2024",
];

#[test]
fn no_output_prints_a_planted_value() {
    for format in [&["--format", "json"][..], &["--color", "never"][..]] {
        let mut args = vec!["scan", "fixtures/labelled", "--no-config"];
        args.extend_from_slice(format);
        let o = common::custos(&args, &repo());
        let all = format!("{}{}", common::stdout(&o), common::stderr(&o));
        assert!(all.contains("SEC002"), "the AWS secret key is reported");
        for s in PLANTED {
            assert!(!all.contains(s), "{format:?} printed {s}");
        }
    }
}

/// What the log excerpt writer masks on top of the detections: every credential-shaped token
/// in the log fixtures, including the AWS secret key after the word "secret" in a prompt.
#[test]
fn high_entropy_masking_covers_the_credentials_in_the_log_fixtures() {
    let credentials = [
        "AKIA3QW7ZK2NB5XT8PLM",
        "Nq4rK8xT1mZ7vLw3Yp6Nc2Hd9Fg5Bs0Ae4Ui7Ok3",
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9",
        "ghs_Zx9Lm2Qw8Er4Ty6Ui1Op3As5Df7Gh0Jk2Lz4X",
        "Rk8Lm2Xw9Kt3Rp6Vb1Hs",
    ];
    let mut seen = 0;
    for file in ["llm_requests.jsonl", "worker.log", "access.log"] {
        let text = std::fs::read_to_string(repo().join("fixtures/labelled").join(file)).unwrap();
        for line in text.lines() {
            let mut masked = line.to_owned();
            for r in custos::detect::high_entropy_tokens(line) {
                masked.replace_range(r.clone(), &"*".repeat(r.len()));
            }
            for c in credentials {
                if line.contains(c) {
                    seen += 1;
                    assert!(!masked.contains(c), "{c} survived masking: {masked}");
                }
            }
            // Readable context stays: timestamps, words and e-mail domains are not masked.
            for keep in ["2026-11-22", "support-v2", "INFO"] {
                assert_eq!(line.contains(keep), masked.contains(keep), "{masked}");
            }
        }
    }
    assert_eq!(seen, credentials.len(), "every credential is in a fixture");
}
