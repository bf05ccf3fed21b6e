//! `custos chain …` end to end through the binary: exit codes 0/1/2, human and JSON output,
//! signatures, truncation, refusals, and proofs that a third party can check.

mod common;

use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use common::{code, custos, stdout};

fn setup(dir: &Path, n: usize) {
    let mut plain = String::new();
    for i in 0..n {
        let _ = writeln!(plain, "{{\"event\":\"predict\",\"i\":{i}}}");
    }
    fs::write(dir.join("plain.jsonl"), plain).unwrap();
    assert_eq!(
        code(&custos(
            &["chain", "seal", "plain.jsonl", "-o", "chain.jsonl"],
            dir
        )),
        0
    );
    assert_eq!(
        code(&custos(&["chain", "keygen", "example.com/audit"], dir)),
        0
    );
    let o = custos(
        &[
            "chain",
            "checkpoint",
            "chain.jsonl",
            "--key",
            "example.com_audit.key",
            "--origin",
            "example.com/audit",
            "-o",
            "cp.txt",
        ],
        dir,
    );
    assert_eq!(code(&o), 0, "{}", common::stderr(&o));
}

fn verify_json(dir: &Path, extra: &[&str]) -> (i32, serde_json::Value) {
    let mut args = vec!["chain", "verify", "chain.jsonl", "--format", "json"];
    args.extend_from_slice(extra);
    let o = custos(&args, dir);
    (
        code(&o),
        serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(&o))),
    )
}

const CP: [&str; 4] = ["--checkpoint", "cp.txt", "--key", "example.com_audit.pub"];

#[test]
fn intact_chain_with_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path(), 20);
    let (c, v) = verify_json(dir.path(), &CP);
    assert_eq!(c, 0);
    assert_eq!(v["intact"], true);
    assert_eq!(v["records"], 20);
    assert_eq!(v["trusted_size"], 20);
    assert!(v["caveat"].is_null());
    // The signer key file is private to its owner.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = fs::metadata(dir.path().join("example.com_audit.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

#[test]
fn without_checkpoint_the_output_says_what_cannot_be_ruled_out() {
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path(), 3);
    let o = custos(&["chain", "verify", "chain.jsonl"], dir.path());
    assert_eq!(code(&o), 0);
    assert!(stdout(&o).contains("truncation"), "{}", stdout(&o));
    assert!(stdout(&o).contains("rewrites"), "{}", stdout(&o));
}

#[test]
fn tampering_is_exit_1_with_line_and_kind() {
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path(), 10);
    let chain = fs::read_to_string(dir.path().join("chain.jsonl")).unwrap();
    let lines: Vec<&str> = chain.lines().collect();
    // Delete the 5th record.
    let mut edited = String::new();
    for (_, l) in lines.iter().enumerate().filter(|(i, _)| *i != 4) {
        edited.push_str(l);
        edited.push('\n');
    }
    fs::write(dir.path().join("chain.jsonl"), edited).unwrap();
    let (c, v) = verify_json(dir.path(), &CP);
    assert_eq!(c, 1);
    let problems = v["problems"].as_array().unwrap();
    assert!(
        problems
            .iter()
            .any(|p| p["kind"] == "broken-link" && p["line"] == 5 && p["seq"] == 5),
        "{problems:?}"
    );
    assert!(
        problems.iter().any(|p| p["kind"] == "truncated"),
        "{problems:?}"
    );
}

#[test]
fn forged_checkpoint_is_a_bad_signature_and_not_trusted() {
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path(), 4);
    let cp = fs::read_to_string(dir.path().join("cp.txt")).unwrap();
    fs::write(dir.path().join("cp.txt"), cp.replacen("\n4\n", "\n3\n", 1)).unwrap();
    let (c, v) = verify_json(dir.path(), &CP);
    assert_eq!(c, 1);
    assert_eq!(v["problems"][0]["kind"], "bad-signature");
    assert!(v["trusted_size"].is_null());
}

#[test]
fn unusable_input_is_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path(), 2);
    assert_eq!(
        code(&custos(&["chain", "verify", "missing.jsonl"], dir.path())),
        2
    );
    // A checkpoint needs a key to be trusted.
    assert_eq!(
        code(&custos(
            &["chain", "verify", "chain.jsonl", "--checkpoint", "cp.txt"],
            dir.path()
        )),
        2
    );
    // A signer key is never accepted where a verifier key is expected.
    let o = custos(
        &[
            "chain",
            "verify",
            "chain.jsonl",
            "--checkpoint",
            "cp.txt",
            "--key",
            "example.com_audit.key",
        ],
        dir.path(),
    );
    assert_eq!(code(&o), 2);
    assert!(
        !common::stderr(&o).contains("PRIVATE+KEY"),
        "a key must not be echoed"
    );
}

#[test]
fn seal_refuses_bad_input_and_append_refuses_broken_chains() {
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path(), 3);
    fs::write(dir.path().join("bad.jsonl"), "{\"ok\":1}\n{\"seq\":7}\n").unwrap();
    let o = custos(
        &["chain", "seal", "bad.jsonl", "--append-to", "chain.jsonl"],
        dir.path(),
    );
    assert_eq!(code(&o), 2);
    assert!(
        common::stderr(&o).contains("line 2"),
        "{}",
        common::stderr(&o)
    );
    // Nothing was appended.
    assert_eq!(
        fs::read_to_string(dir.path().join("chain.jsonl"))
            .unwrap()
            .lines()
            .count(),
        3
    );
    fs::write(dir.path().join("more.jsonl"), "{\"ok\":2}\n").unwrap();
    assert_eq!(
        code(&custos(
            &["chain", "seal", "more.jsonl", "--append-to", "chain.jsonl"],
            dir.path()
        )),
        0
    );
    assert_eq!(verify_json(dir.path(), &[]).1["records"], 4);
    // Break the chain; appending to it is refused.
    let chain = fs::read_to_string(dir.path().join("chain.jsonl"))
        .unwrap()
        .replacen("\"i\":1", "\"i\":9", 1);
    fs::write(dir.path().join("chain.jsonl"), chain).unwrap();
    let o = custos(
        &["chain", "seal", "more.jsonl", "--append-to", "chain.jsonl"],
        dir.path(),
    );
    assert_eq!(code(&o), 2);
    assert!(
        common::stderr(&o).contains("modified"),
        "{}",
        common::stderr(&o)
    );
}

#[test]
#[allow(clippy::many_single_char_names)]
fn proofs_verify_and_forgeries_do_not() {
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path(), 13);
    let d = dir.path();
    assert_eq!(
        code(&custos(
            &[
                "chain",
                "prove",
                "chain.jsonl",
                "--seq",
                "6",
                "--checkpoint",
                "cp.txt",
                "-o",
                "p6.json"
            ],
            d
        )),
        0
    );
    let o = custos(
        &[
            "chain",
            "verify-proof",
            "p6.json",
            "--key",
            "example.com_audit.pub",
        ],
        d,
    );
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert!(stdout(&o).contains("VALID: record seq 6"));
    // Someone edits the record inside the proof: rejected.
    let p = fs::read_to_string(d.join("p6.json")).unwrap();
    fs::write(
        d.join("forged.json"),
        p.replacen("\\\"i\\\":6", "\\\"i\\\":60", 1),
    )
    .unwrap();
    let o = custos(
        &[
            "chain",
            "verify-proof",
            "forged.json",
            "--key",
            "example.com_audit.pub",
        ],
        d,
    );
    assert_eq!(code(&o), 1, "{}", stdout(&o));
    // A key that did not sign the checkpoint: rejected.
    assert_eq!(code(&custos(&["chain", "keygen", "other"], d)), 0);
    assert_eq!(
        code(&custos(
            &["chain", "verify-proof", "p6.json", "--key", "other.pub"],
            d
        )),
        1
    );

    // Grow the log, checkpoint again, prove consistency.
    fs::write(
        d.join("more.jsonl"),
        "{\"event\":\"late\"}\n{\"event\":\"later\"}\n",
    )
    .unwrap();
    assert_eq!(
        code(&custos(
            &["chain", "seal", "more.jsonl", "--append-to", "chain.jsonl"],
            d
        )),
        0
    );
    let o = custos(
        &[
            "chain",
            "checkpoint",
            "chain.jsonl",
            "--key",
            "example.com_audit.key",
            "--origin",
            "example.com/audit",
            "-o",
            "cp2.txt",
        ],
        d,
    );
    assert_eq!(code(&o), 0);
    assert_eq!(
        code(&custos(
            &[
                "chain",
                "prove",
                "chain.jsonl",
                "--consistency",
                "cp.txt",
                "cp2.txt",
                "-o",
                "c.json"
            ],
            d
        )),
        0
    );
    let o = custos(
        &[
            "chain",
            "verify-proof",
            "c.json",
            "--key",
            "example.com_audit.pub",
        ],
        d,
    );
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert!(
        stdout(&o).contains("size 15 extends the tree at size 13"),
        "{}",
        stdout(&o)
    );
    // Both checkpoints stay valid for verify.
    let (c, v) = verify_json(
        d,
        &[
            "--checkpoint",
            "cp.txt",
            "--checkpoint",
            "cp2.txt",
            "--key",
            "example.com_audit.pub",
        ],
    );
    assert_eq!(c, 0);
    assert_eq!(v["trusted_size"], 15);
}

#[test]
fn checkpoint_refuses_a_tampered_chain() {
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path(), 3);
    let chain = fs::read_to_string(dir.path().join("chain.jsonl"))
        .unwrap()
        .replacen("\"i\":2", "\"i\":5", 1);
    fs::write(dir.path().join("chain.jsonl"), chain).unwrap();
    let o = custos(
        &[
            "chain",
            "checkpoint",
            "chain.jsonl",
            "--key",
            "example.com_audit.key",
            "--origin",
            "x",
            "-o",
            "cp3.txt",
        ],
        dir.path(),
    );
    assert_eq!(code(&o), 2);
    assert!(!dir.path().join("cp3.txt").exists());
}
