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

fn with_cp(chain: &str) -> Vec<&str> {
    let mut v = vec![chain];
    v.extend_from_slice(&CP);
    v
}

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
    // A key that did not sign the checkpoint: nothing can be concluded (exit 2), and the
    // output names who signed and whom we trust.
    assert_eq!(code(&custos(&["chain", "keygen", "other"], d)), 0);
    let o = custos(
        &["chain", "verify-proof", "p6.json", "--key", "other.pub"],
        d,
    );
    assert_eq!(code(&o), 2, "{}", stdout(&o));
    assert_eq!(
        stdout(&o),
        format!(
            "CANNOT VERIFY: checkpoint not signed by a trusted key (signed by: {}; trusted: {})\n",
            key_ref(d, "example.com_audit.pub"),
            key_ref(d, "other.pub")
        )
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

// ---------------------------------------------------------------------------------------------
// Verdicts: exact text, exit code, and the same verdict in human and JSON output.

/// `name+keyid` of a verifier key file.
fn key_ref(dir: &Path, file: &str) -> String {
    let text = fs::read_to_string(dir.join(file)).unwrap();
    let mut parts = text.trim().splitn(3, '+');
    format!("{}+{}", parts.next().unwrap(), parts.next().unwrap())
}

/// Run `chain verify ARGS` in human and in JSON format; assert both exit with the same code
/// and that the human verdict line is exactly the JSON `summary`. Returns (code, human, json).
fn verdict(dir: &Path, args: &[&str]) -> (i32, String, serde_json::Value) {
    let mut human_args = vec!["chain", "verify"];
    human_args.extend_from_slice(args);
    let human = custos(&human_args, dir);
    let mut json_args = human_args.clone();
    json_args.extend_from_slice(&["--format", "json"]);
    let json = custos(&json_args, dir);
    let text = stdout(&human);
    let v: serde_json::Value =
        serde_json::from_slice(&json.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(&json)));
    assert_eq!(code(&human), code(&json), "{text}\n{v}");
    let summary = v["summary"].as_str().expect("summary");
    assert!(
        text.lines().any(|l| l == summary),
        "human output lacks the JSON summary {summary:?}:\n{text}"
    );
    assert_eq!(v["intact"], v["verdict"] == "intact", "{v}");
    assert!(!common::stderr(&human).contains("panicked"));
    (code(&human), text, v)
}

fn append(dir: &Path, file: &str, bytes: &[u8]) {
    use std::io::Write as _;
    fs::OpenOptions::new()
        .append(true)
        .open(dir.join(file))
        .unwrap()
        .write_all(bytes)
        .unwrap();
}

#[test]
fn checkpoint_signed_by_an_untrusted_key_cannot_be_verified() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    setup(d, 3);
    assert_eq!(code(&custos(&["chain", "keygen", "other"], d)), 0);
    let args = [
        "chain.jsonl",
        "--checkpoint",
        "cp.txt",
        "--key",
        "other.pub",
    ];
    let (c, human, v) = verdict(d, &args);
    let why = format!(
        "not signed by a trusted key (signed by: {}; trusted: {})",
        key_ref(d, "example.com_audit.pub"),
        key_ref(d, "other.pub")
    );
    assert_eq!(c, 2, "{human}");
    assert_eq!(v["verdict"], "cannot-verify");
    assert_eq!(
        v["summary"],
        format!("CANNOT VERIFY: checkpoint cp.txt {why}")
    );
    assert_eq!(v["problems"], serde_json::json!([]));
    assert_eq!(v["checkpoints"][0]["signature"], "not-trusted");
    assert!(
        human.contains(&format!(
            "  checkpoint cp.txt (origin example.com/audit, size 3): {why}; not used\n"
        )),
        "{human}"
    );
    assert!(!human.contains("TAMPERED"), "{human}");

    // With the right key as well, the checkpoint is used: intact.
    let (c, _, v) = verdict(
        d,
        &[
            "chain.jsonl",
            "--checkpoint",
            "cp.txt",
            "--key",
            "other.pub",
            "--key",
            "example.com_audit.pub",
        ],
    );
    assert_eq!(c, 0);
    assert_eq!(
        v["summary"],
        "INTACT: 3 records, all anchored by a trusted checkpoint"
    );

    // Evidence of tampering in the chain itself still wins: exit 1.
    let chain = fs::read_to_string(d.join("chain.jsonl"))
        .unwrap()
        .replacen("\"i\":1", "\"i\":7", 1);
    fs::write(d.join("chain.jsonl"), chain).unwrap();
    let (c, human, v) = verdict(d, &args);
    assert_eq!(c, 1, "{human}");
    assert_eq!(v["summary"], "TAMPERED: 1 problem");
    assert!(human.contains("line 2 (seq 1): modified — "), "{human}");
}

#[test]
fn bad_signature_by_a_trusted_key_is_tampering() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    setup(d, 4);
    let cp = fs::read_to_string(d.join("cp.txt")).unwrap();
    fs::write(d.join("cp.txt"), cp.replacen("\n4\n", "\n3\n", 1)).unwrap();
    let (c, human, v) = verdict(d, &with_cp("chain.jsonl"));
    assert_eq!(c, 1, "{human}");
    assert_eq!(v["verdict"], "tampered");
    assert_eq!(v["summary"], "TAMPERED: 1 problem");
    let signer = key_ref(d, "example.com_audit.pub");
    assert!(
        human.contains(&format!(
            "checkpoint: bad-signature — checkpoint cp.txt: the signature by {signer} does not verify\n"
        )),
        "{human}"
    );
}

#[test]
fn a_single_trailing_empty_line_is_not_a_record() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    setup(d, 3);
    append(d, "chain.jsonl", b"\n");
    let (c, human, v) = verdict(d, &["chain.jsonl"]);
    assert_eq!(c, 0, "{human}");
    assert_eq!(v["summary"], "INTACT: 3 records, hash-linked");
    assert_eq!(v["records"], 3);
    assert_eq!(v["trailing_empty_line"], 4);
    assert!(human.starts_with("chain.jsonl: 3 records\n"), "{human}");
    assert!(
        human.contains("note: line 4 is an empty line after the last record; ignored, not a record (--strict rejects it)\n"),
        "{human}"
    );
    // The checkpoint of the 3 records still anchors all of them.
    let (c, _, v) = verdict(
        d,
        &[
            "chain.jsonl",
            "--checkpoint",
            "cp.txt",
            "--key",
            "example.com_audit.pub",
        ],
    );
    assert_eq!(c, 0);
    assert_eq!(
        v["summary"],
        "INTACT: 3 records, all anchored by a trusted checkpoint"
    );

    // --strict rejects it.
    let (c, human, v) = verdict(d, &["chain.jsonl", "--strict"]);
    assert_eq!(c, 1, "{human}");
    assert_eq!(v["summary"], "TAMPERED: 1 problem");
    assert!(
        human.contains(
            "line 4: malformed — empty line after the last record (strict mode allows none)\n"
        ),
        "{human}"
    );

    // Appending after it is refused (the new records would follow a non-record line).
    fs::write(d.join("more.jsonl"), "{\"x\":1}\n").unwrap();
    let o = custos(
        &["chain", "seal", "more.jsonl", "--append-to", "chain.jsonl"],
        d,
    );
    assert_eq!(code(&o), 2);
    assert!(
        common::stderr(&o).contains("line 4 is an empty line after the last record"),
        "{}",
        common::stderr(&o)
    );

    // Two trailing empty lines: the first is between records and lines, so malformed.
    append(d, "chain.jsonl", b"\n");
    let (c, human, v) = verdict(d, &["chain.jsonl"]);
    assert_eq!(c, 1, "{human}");
    assert_eq!(v["summary"], "TAMPERED: 1 problem");
    assert!(
        human.contains(
            "line 4: malformed — empty line between records (an empty line is not a record)\n"
        ),
        "{human}"
    );
}

#[test]
fn an_empty_line_between_records_is_malformed_and_links_are_still_checked() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    setup(d, 3);
    let chain = fs::read_to_string(d.join("chain.jsonl")).unwrap();
    let lines: Vec<&str> = chain.lines().collect();
    fs::write(
        d.join("chain.jsonl"),
        format!("{}\n\n{}\n{}\n", lines[0], lines[1], lines[2]),
    )
    .unwrap();
    let (c, human, v) = verdict(d, &with_cp("chain.jsonl"));
    assert_eq!(c, 1, "{human}");
    assert_eq!(v["records"], 3);
    assert_eq!(v["summary"], "TAMPERED: 1 problem");
    let problems = v["problems"].as_array().unwrap();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0]["line"], 2);
    assert_eq!(problems[0]["kind"], "malformed");
    // The records around it still link, and the checkpoint still matches them.
    assert_eq!(v["trusted_size"], 3);
}

#[test]
fn an_empty_chain_is_not_intact() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    setup(d, 2);
    fs::write(d.join("empty.jsonl"), "").unwrap();
    let (c, human, v) = verdict(d, &["empty.jsonl"]);
    assert_eq!(c, 2, "{human}");
    assert_eq!(v["verdict"], "empty");
    assert_eq!(v["summary"], "EMPTY: no records");
    assert!(human.starts_with("empty.jsonl: 0 records\n"), "{human}");
    assert!(!human.contains("INTACT"), "{human}");

    let (c, _, v) = verdict(d, &["empty.jsonl", "--allow-empty"]);
    assert_eq!(c, 0);
    assert_eq!(v["summary"], "EMPTY: no records");

    // A file holding only the one ignorable empty line has no records either.
    fs::write(d.join("blank.jsonl"), "\n").unwrap();
    let (c, _, v) = verdict(d, &["blank.jsonl"]);
    assert_eq!(c, 2);
    assert_eq!(v["summary"], "EMPTY: no records");

    // A trusted checkpoint says there were 2 records: the chain was truncated.
    for allow in [&[][..], &["--allow-empty"][..]] {
        let mut args = vec![
            "empty.jsonl",
            "--checkpoint",
            "cp.txt",
            "--key",
            "example.com_audit.pub",
        ];
        args.extend_from_slice(allow);
        let (c, human, v) = verdict(d, &args);
        assert_eq!(c, 1, "{human}");
        assert_eq!(v["summary"], "TAMPERED: 1 problem");
        assert!(
            human.contains(
                "checkpoint: truncated — checkpoint cp.txt covers 2 records but the chain has 0\n"
            ),
            "{human}"
        );
        // No "no trusted checkpoint" caveat beside a trusted checkpoint's finding.
        assert!(v["caveat"].is_null(), "{v}");
    }
}

#[test]
fn counts_are_in_the_right_number() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::write(d.join("one.jsonl"), "{\"event\":\"only\"}\n").unwrap();
    let o = custos(&["chain", "seal", "one.jsonl", "-o", "chain.jsonl"], d);
    assert_eq!(code(&o), 0);
    assert_eq!(
        common::stderr(&o),
        "custos: sealed 1 record into chain.jsonl\n"
    );
    let (c, human, v) = verdict(d, &["chain.jsonl"]);
    assert_eq!(c, 0);
    assert!(human.starts_with("chain.jsonl: 1 record\n"), "{human}");
    assert_eq!(v["summary"], "INTACT: 1 record, hash-linked");

    let o = custos(
        &["chain", "seal", "one.jsonl", "--append-to", "chain.jsonl"],
        d,
    );
    assert_eq!(
        common::stderr(&o),
        "custos: appended 1 record to chain.jsonl (now 2 records)\n"
    );

    // One problem, then two.
    let text = fs::read_to_string(d.join("chain.jsonl")).unwrap();
    fs::write(d.join("chain.jsonl"), text.replacen("only", "0nly", 1)).unwrap();
    let (c, _, v) = verdict(d, &["chain.jsonl"]);
    assert_eq!(c, 1);
    assert_eq!(v["summary"], "TAMPERED: 1 problem");
    let text = fs::read_to_string(d.join("chain.jsonl")).unwrap();
    fs::write(d.join("chain.jsonl"), text.replace("only", "0nly")).unwrap();
    let (c, _, v) = verdict(d, &["chain.jsonl"]);
    assert_eq!(c, 1);
    assert_eq!(v["summary"], "TAMPERED: 2 problems");

    // checkpoint refuses with the count in the right number.
    assert_eq!(code(&custos(&["chain", "keygen", "k"], d)), 0);
    let o = custos(
        &[
            "chain",
            "checkpoint",
            "chain.jsonl",
            "--key",
            "k.key",
            "--origin",
            "x",
        ],
        d,
    );
    assert_eq!(code(&o), 2);
    assert!(
        common::stderr(&o).contains("does not verify (2 problems, first: line 1: modified — "),
        "{}",
        common::stderr(&o)
    );
}

// ---------------------------------------------------------------------------------------------
// Hostile inputs: each is a clear problem at its line with the right exit code, never a panic.

/// A 3-record chain whose second line is replaced by `replacement`; returns the verdict.
fn with_line_2(replacement: &[u8]) -> (i32, String, serde_json::Value) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    setup(d, 3);
    let chain = fs::read(d.join("chain.jsonl")).unwrap();
    let lines: Vec<&[u8]> = chain.split(|&b| b == b'\n').collect();
    let mut edited = Vec::new();
    for l in [lines[0], replacement, lines[2]] {
        edited.extend_from_slice(l);
        edited.push(b'\n');
    }
    fs::write(d.join("chain.jsonl"), edited).unwrap();
    verdict(d, &["chain.jsonl"])
}

/// The record on line 2 of a fresh 3-record chain, with `extra` spliced in as its first member.
fn record_2_with(extra: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path(), 3);
    let chain = fs::read_to_string(dir.path().join("chain.jsonl")).unwrap();
    let line = chain.lines().nth(1).unwrap();
    format!("{{{extra},{}", &line[1..])
}

/// Exactly one problem: `malformed` at line 2, whose detail contains `needle`.
fn assert_only_malformed_line_2(r: &(i32, String, serde_json::Value), needle: &str) {
    let (c, human, v) = r;
    assert_eq!(*c, 1, "{human}");
    assert_eq!(v["summary"], "TAMPERED: 1 problem", "{human}");
    let problems = v["problems"].as_array().unwrap();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0]["line"], 2);
    assert_eq!(problems[0]["kind"], "malformed");
    let detail = problems[0]["detail"].as_str().unwrap();
    assert!(detail.contains(needle), "{detail:?} lacks {needle:?}");
    assert!(
        human.contains(&format!("line 2: malformed — {detail}\n")),
        "{human}"
    );
    // The record after it was still read: the chain has 3 records.
    assert_eq!(v["records"], 3);
}

#[test]
fn hostile_numbers_strings_and_keys_are_malformed_at_their_line() {
    for (extra, needle) in [
        (r#""a":1,"a":2"#, r#"duplicate key "a" at byte 7"#),
        (r#""n":1e400"#, "number 1e400 at byte 5 is out of range"),
        (
            r#""n":-0"#,
            "negative zero -0 at byte 5 cannot be represented (JCS writes it as 0)",
        ),
        (r#""n":1e-400"#, "number 1e-400 at byte 5 is too small"),
        (
            r#""n":9007199254740993"#,
            "integer 9007199254740993 at byte 5 is beyond ±2^53",
        ),
        (r#""s":"\ud800""#, "lone surrogate in string"),
        (r#""s":"\udc00x""#, "lone surrogate in string"),
        (r#""s":"\ud800\u0041""#, "lone surrogate in string"),
    ] {
        let line = record_2_with(extra);
        let r = with_line_2(line.as_bytes());
        assert_only_malformed_line_2(&r, needle);
    }
    let deep = format!("{{\"x\":{}{}}}", "[".repeat(10_000), "]".repeat(10_000));
    assert_only_malformed_line_2(&with_line_2(deep.as_bytes()), "nesting too deep");
}

#[test]
fn binary_garbage_is_malformed_lines_not_a_crash() {
    // Deterministic pseudo-random bytes, newlines included.
    let mut x: u32 = 0x2545_f491;
    let garbage: Vec<u8> = (0..20_000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x.to_le_bytes()[0]
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut bytes = garbage.clone();
    bytes.push(b'\n');
    fs::write(d.join("garbage.bin"), &bytes).unwrap();
    let (c, human, v) = verdict(d, &["garbage.bin"]);
    assert_eq!(c, 1, "{human}");
    let problems = v["problems"].as_array().unwrap();
    let lines = bytes.split(|&b| b == b'\n').count() - 1;
    let empty_lines = bytes.windows(2).filter(|w| w == b"\n\n").count()
        + usize::from(bytes.first() == Some(&b'\n'));
    // Every line is reported, each exactly once, as malformed, in order.
    assert_eq!(problems.len(), lines, "{human}");
    for (i, p) in problems.iter().enumerate() {
        assert_eq!(p["line"], i + 1);
        assert_eq!(p["kind"], "malformed");
    }
    assert_eq!(v["records"], (lines - empty_lines) as u64);
    assert_eq!(
        v["summary"],
        format!(
            "TAMPERED: {lines} problem{}",
            if lines == 1 { "" } else { "s" }
        )
    );
    // Without its final newline the last line is reported as possibly truncated.
    fs::write(d.join("garbage.bin"), &garbage).unwrap();
    let (c, _, v) = verdict(d, &["garbage.bin"]);
    assert_eq!(c, 1);
    let last = v["problems"].as_array().unwrap().last().unwrap().clone();
    assert!(
        last["detail"]
            .as_str()
            .unwrap()
            .contains("no terminating newline"),
        "{last}"
    );
}

#[test]
fn records_over_the_size_limit_are_malformed_and_verification_goes_on() {
    let limit = 16 * 1024 * 1024;
    // 10 MB, under the limit: seals and verifies.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let big = "x".repeat(10_000_000);
    fs::write(
        d.join("plain.jsonl"),
        format!("{{\"i\":0}}\n{{\"blob\":\"{big}\"}}\n{{\"i\":2}}\n"),
    )
    .unwrap();
    let o = custos(&["chain", "seal", "plain.jsonl", "-o", "chain.jsonl"], d);
    assert_eq!(code(&o), 0, "{}", common::stderr(&o));
    let (c, human, v) = verdict(d, &["chain.jsonl"]);
    assert_eq!(c, 0, "{human}");
    assert_eq!(v["summary"], "INTACT: 3 records, hash-linked");

    // Over the limit: replace record 2 by a line of limit + 1 bytes, and modify record 3.
    let chain = fs::read_to_string(d.join("chain.jsonl")).unwrap();
    let lines: Vec<&str> = chain.lines().collect();
    let huge = format!("{{\"blob\":\"{}\"}}", "y".repeat(limit - 10));
    assert_eq!(huge.len(), limit + 1);
    let third = lines[2].replacen("\"i\":2", "\"i\":3", 1);
    fs::write(
        d.join("chain.jsonl"),
        format!("{}\n{huge}\n{third}\n", lines[0]),
    )
    .unwrap();
    let (c, human, v) = verdict(d, &["chain.jsonl"]);
    assert_eq!(c, 1, "{human}");
    assert_eq!(v["summary"], "TAMPERED: 2 problems");
    assert!(
        human.contains(&format!(
            "line 2: malformed — the line is {} bytes, over the limit of {limit} bytes per record; not checked\n",
            limit + 1
        )),
        "{human}"
    );
    // The record after it was still verified.
    assert!(human.contains("line 3 (seq 2): modified — "), "{human}");
    assert_eq!(v["records"], 3);

    // Exactly at the limit is checked (and here, being unsealed, has no seq).
    let at_limit = format!("{{\"blob\":\"{}\"}}", "y".repeat(limit - 11));
    assert_eq!(at_limit.len(), limit);
    fs::write(
        d.join("chain.jsonl"),
        format!("{}\n{at_limit}\n{}\n", lines[0], lines[2]),
    )
    .unwrap();
    let (c, human, _) = verdict(d, &["chain.jsonl"]);
    assert_eq!(c, 1);
    assert!(
        human.contains("line 2: malformed — missing `seq`\n"),
        "{human}"
    );

    // seal refuses to write a record verify would refuse: this input line is under the limit,
    // but the record it seals to (with seq, prev_hash and hash: 161 more bytes) is over it.
    let input = format!("{{\"blob\":\"{}\"}}", "y".repeat(limit - 100));
    fs::write(d.join("huge.jsonl"), format!("{input}\n")).unwrap();
    let o = custos(&["chain", "seal", "huge.jsonl", "-o", "out.jsonl"], d);
    assert_eq!(code(&o), 2);
    assert!(
        common::stderr(&o).contains(&format!(
            "line 1: the sealed record would be {} bytes, over the limit of {limit} bytes (16 MiB) per record",
            input.len() + 161
        )),
        "{}",
        common::stderr(&o)
    );
}

#[test]
fn a_record_with_100k_keys_seals_and_verifies() {
    use sha2::Digest as _;
    const KEYS: usize = 100_000;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Keys in descending order in the input; canonical form has them ascending.
    let mut plain = String::from("{");
    for i in (0..KEYS).rev() {
        let _ = write!(plain, "\"k{i:06}\":{i},");
    }
    plain.pop();
    plain.push_str("}\n");
    fs::write(d.join("wide.jsonl"), &plain).unwrap();
    let sealed = custos(&["chain", "seal", "wide.jsonl", "-o", "chain.jsonl"], d);
    assert_eq!(code(&sealed), 0, "{}", common::stderr(&sealed));
    // Built independently: the canonical form without `hash` lists every key once, ascending,
    // then the reserved fields; `hash` is its SHA-256 and sorts first.
    let mut content = String::from("{");
    for i in 0..KEYS {
        let _ = write!(content, "\"k{i:06}\":{i},");
    }
    let _ = write!(content, "\"prev_hash\":\"{}\",\"seq\":0}}", "0".repeat(64));
    let hash = custos::chain::merkle::to_hex(&sha2::Sha256::digest(content.as_bytes()));
    let want = format!("{{\"hash\":\"{hash}\",{}\n", &content[1..]);
    let record = fs::read_to_string(d.join("chain.jsonl")).unwrap();
    assert!(
        record == want,
        "the sealed record is not the canonical form"
    );
    let (status, human, json) = verdict(d, &["chain.jsonl"]);
    assert_eq!(status, 0, "{human}");
    assert_eq!(json["summary"], "INTACT: 1 record, hash-linked");

    // One duplicated key among 100k: malformed, named, at its byte.
    let dup = plain.replacen("\"k000007\":7", "\"k000008\":7", 1);
    let at = dup.rfind("\"k000008\"").unwrap();
    let found = with_line_2(dup.trim_end().as_bytes());
    assert_only_malformed_line_2(&found, &format!("duplicate key \"k000008\" at byte {at}"));
}
