//! Hostile and broken input: every bad file gets a clear message with a location, nothing
//! panics, and the good files beside it are still scanned.

mod common;

use std::fmt::Write as _;
use std::fs;

use common::{rule_ids, scan_json, triples};

#[test]
fn broken_files_do_not_stop_the_scan() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    fs::write(
        p.join("good.tf"),
        "resource \"aws_s3_bucket\" \"ok\" {\n  bucket = \"acme\"\n}\n",
    )
    .unwrap();
    fs::write(
        p.join("bad.tf"),
        "resource \"aws_s3_bucket\" \"b\" {\n  bucket = \n}\n",
    )
    .unwrap();
    fs::write(p.join("bad.yaml"), "a: 1\nb: [1, 2\nc: 3\n").unwrap();
    fs::write(p.join("bad.json"), "{\n  \"a\": 1,\n  \"b\": \n}\n").unwrap();
    fs::write(p.join("binary.yaml"), b"\x00\x01\x02ELF\x00garbage").unwrap();
    fs::write(p.join("empty.yaml"), "").unwrap();
    fs::write(p.join("empty.tf"), "").unwrap();
    fs::write(p.join("empty.json"), "").unwrap();
    fs::write(p.join("latin1.yaml"), b"name: caf\xe9\npassword: x\n").unwrap();
    let mut bomb = String::from(
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    let mut prev = 'a';
    for n in 'b'..='j' {
        let refs = vec![format!("*{prev}"); 9].join(",");
        let _ = writeln!(bomb, "{n}: &{n} [{refs}]");
        prev = n;
    }
    fs::write(p.join("bomb.yaml"), bomb).unwrap();
    fs::write(p.join("deep.json"), "[".repeat(200_000)).unwrap();
    // 10 MB: over the default 5 MiB limit.
    fs::write(p.join("big.yaml"), "k: v\n".repeat(2_000_000)).unwrap();
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(".", p.join("loop")).unwrap();
        std::os::unix::fs::symlink("a_link", p.join("b_link")).unwrap();
        std::os::unix::fs::symlink("b_link", p.join("a_link")).unwrap();
        std::os::unix::fs::symlink("/etc/hostname", p.join("outside.yaml")).unwrap();
        std::os::unix::fs::symlink("good.tf", p.join("inside.tf")).unwrap();
    }

    let (code, report, _) = scan_json(&[".", "--no-config"], p);
    assert_eq!(code, 1);
    let t = triples(&report);
    let has = |path: &str, rule: &str| t.iter().any(|(p, _, r)| p == path && r == rule);
    // The good file (and the in-root symlink to it) were still evaluated.
    assert!(has("good.tf", "TF002"), "{t:?}");
    assert!(has("inside.tf", "TF002"), "{t:?}");
    for bad in [
        "bad.tf",
        "bad.yaml",
        "bad.json",
        "latin1.yaml",
        "bomb.yaml",
        "deep.json",
    ] {
        assert!(has(bad, "parse-error"), "{bad}: {t:?}");
    }
    // Parse errors carry the location the parser stopped at.
    let line_of = |path: &str| {
        t.iter()
            .find(|(p, _, r)| p == path && r == "parse-error")
            .map(|x| x.1)
    };
    assert_eq!(line_of("bad.tf"), Some(2));
    assert_eq!(line_of("bad.json"), Some(4));
    assert_eq!(line_of("latin1.yaml"), Some(1));
    let msg = |path: &str| {
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["path"] == path)
            .map(|f| f["message"].as_str().unwrap().to_owned())
            .unwrap()
    };
    assert!(msg("bomb.yaml").contains("alias"), "{}", msg("bomb.yaml"));
    assert!(
        msg("latin1.yaml").contains("UTF-8"),
        "{}",
        msg("latin1.yaml")
    );
    assert!(msg("deep.json").contains("nesting"), "{}", msg("deep.json"));
    // Empty files are fine and produce nothing.
    assert!(!t.iter().any(|(p, _, _)| p.starts_with("empty.")), "{t:?}");

    let notes: Vec<(String, String)> = report["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["path"].as_str().unwrap().to_owned(),
                n["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let has_note =
        |path: &str, words: &str| notes.iter().any(|(p, m)| p == path && m.contains(words));
    assert!(has_note("binary.yaml", "binary"), "{notes:?}");
    assert!(has_note("big.yaml", "size limit"), "{notes:?}");
    #[cfg(unix)]
    {
        assert!(has_note("loop", "symlinked directory"), "{notes:?}");
        assert!(has_note("outside.yaml", "outside"), "{notes:?}");
        assert!(has_note("a_link", "broken symlink"), "{notes:?}");
    }
}

#[test]
fn a_larger_limit_scans_the_big_file() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("big.yaml"),
        format!("{}password: hunter2-real\n", "k: v\n".repeat(10)),
    )
    .unwrap();
    let (_, report, _) = scan_json(&[".", "--no-config", "--max-file-size", "20"], dir.path());
    assert!(rule_ids(&report).is_empty());
    assert!(report["notes"][0]["message"]
        .as_str()
        .unwrap()
        .contains("size limit"));
    let (_, report, _) = scan_json(&[".", "--no-config"], dir.path());
    assert_eq!(rule_ids(&report), ["CFG001"]);
}

#[test]
fn gitignore_custosignore_and_config_excludes() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    let bucket = "resource \"aws_s3_bucket\" \"x\" {\n  bucket = \"b\"\n}\n";
    for f in [
        "kept.tf",
        "ignored/a.tf",
        "sub/skip.tf",
        "sub/keep.tf",
        "vendor/v.tf",
        "sub/negated.tf",
        ".git/x.tf",
    ] {
        fs::create_dir_all(p.join(f).parent().unwrap()).unwrap();
        fs::write(p.join(f), bucket).unwrap();
    }
    fs::write(p.join(".gitignore"), "ignored/\n*.tf.bak\nnegated.tf\n").unwrap();
    fs::write(p.join("sub/.custosignore"), "skip.tf\n").unwrap();
    fs::write(p.join("sub/.gitignore"), "!negated.tf\n").unwrap();
    fs::write(p.join("custos.toml"), "exclude = [\"vendor/**\"]\n").unwrap();
    let (_, report, _) = scan_json(&["."], p);
    let mut paths: Vec<String> = triples(&report).into_iter().map(|t| t.0).collect();
    paths.dedup();
    assert_eq!(paths, ["kept.tf", "sub/keep.tf", "sub/negated.tf"]);
}

#[test]
fn explicit_files_are_scanned_as_given() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("a.yaml"), "token: abcdef123456\n").unwrap();
    fs::write(dir.path().join("b.yaml"), "token: abcdef123456\n").unwrap();
    let (_, report, _) = scan_json(&["a.yaml", "--no-config"], dir.path());
    assert_eq!(
        triples(&report),
        [("a.yaml".to_owned(), 1, "CFG001".to_owned())]
    );
}

/// A DAG with a syntax error: the error is reported where it is, and what parsed is still checked.
#[test]
fn broken_dag_reports_the_error_and_still_checks_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("broken_dag.py"),
        "from airflow import DAG\nfrom airflow.models import Connection\n\nConnection(conn_id=\"c\", password=\"Pw-Literal-99\")\n\nwith DAG(\"d\" as dag:\n    pass\n",
    )
    .unwrap();
    let (code, report, _) = scan_json(&[".", "--no-config"], dir.path());
    assert_eq!(code, 1);
    let t = triples(&report);
    assert!(
        t.contains(&("broken_dag.py".to_owned(), 4, "AF001".to_owned())),
        "{t:?}"
    );
    let parse = t
        .iter()
        .find(|x| x.2 == "parse-error")
        .expect("parse-error finding");
    assert_eq!(parse.1, 6, "{t:?}");
}

#[cfg(unix)]
#[test]
fn special_files_are_skipped_with_a_note_and_never_opened() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fifo = dir.path().join("x.yaml");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo");
    assert!(made.success());
    let sock = dir.path().join("config.json");
    let _listener = std::os::unix::net::UnixListener::bind(&sock).expect("socket");
    std::fs::write(
        dir.path().join("app.tf"),
        "provider \"aws\" {\n  access_key = \"AKIA2E0A8F3B244C9986\"\n}\n",
    )
    .expect("write");
    // A FIFO with no writer would block open() forever: the scan must finish.
    let (exit, report, _) = common::scan_json(&["--no-config", "."], dir.path());
    assert_eq!(exit, 1, "the real file is still scanned");
    let notes = report["notes"].to_string();
    assert!(
        notes.contains("x.yaml") && notes.contains("FIFO"),
        "{notes}"
    );
    assert!(
        notes.contains("config.json") && notes.contains("socket"),
        "{notes}"
    );
    assert!(common::rule_ids(&report).contains(&"TF001".to_owned()));
    // Named explicitly, a FIFO is an unusable input: exit 2 with the reason.
    let o = common::custos(&["scan", "--no-config", "x.yaml"], dir.path());
    assert_eq!(common::code(&o), 2);
    assert!(
        common::stderr(&o).contains("FIFO"),
        "{}",
        common::stderr(&o)
    );
}

#[test]
fn a_closed_stdout_ends_the_command_normally() {
    use std::process::{Command, Stdio};
    for args in [
        &["policy", "list"][..],
        &["scan", "--no-config", "fixtures/demo"][..],
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_custos"))
            .args(args)
            .current_dir(common::repo())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        // Close the reading end before the command writes anything (`| head -0`).
        drop(child.stdout.take());
        let out = child.wait_with_output().expect("wait");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert!(
            matches!(out.status.code(), Some(0..=2)),
            "{args:?}: {:?} {err}",
            out.status
        );
    }
}

#[test]
fn encodings_and_shapes_are_read_or_reported_never_skipped_silently() {
    let dir = tempfile::tempdir().expect("tempdir");
    let manifest = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\nspec:\n  containers:\n    - name: a\n      image: x\n      env:\n        - name: DB_PASSWORD\n          value: \"Zq8vT2mWx9Lk4Rb7\"\n";
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice(manifest.as_bytes());
    fs::write(dir.path().join("bom.yaml"), bom).expect("write");
    let mut utf16 = vec![0xFF, 0xFE];
    for u in manifest.encode_utf16() {
        utf16.extend_from_slice(&u.to_le_bytes());
    }
    fs::write(dir.path().join("utf16.yaml"), utf16).expect("write");
    let blob: Vec<u8> = (0u32..600).map(|i| (i * 7 % 23) as u8).collect();
    fs::write(dir.path().join("stray-nul.txt"), blob).expect("write");
    fs::write(dir.path().join("bad.tf.json"), r#"[{"resource": {}}]"#).expect("write");
    let (exit, report, _) = scan_json(&["--no-config", "."], dir.path());
    assert_eq!(exit, 1);
    assert_eq!(
        triples(&report),
        [
            ("bad.tf.json".to_owned(), 1, "parse-error".to_owned()),
            ("bom.yaml".to_owned(), 11, "K8S001".to_owned()),
            ("utf16.yaml".to_owned(), 11, "K8S001".to_owned()),
        ]
    );
    let bad = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["path"] == "bad.tf.json")
        .expect("parse error");
    assert!(bad["message"]
        .as_str()
        .unwrap_or_default()
        .contains("found an array"));
    assert_eq!(report["summary"]["not_scanned"], 1);
    let notes = report["notes"].to_string();
    assert!(
        notes.contains("stray-nul.txt") && notes.contains("binary"),
        "{notes}"
    );
    let human = common::custos(&["scan", "--no-config", "."], dir.path());
    let last = common::stdout(&human);
    assert!(last.contains("1 file not scanned (see notes)"), "{last}");
}

#[test]
fn no_progress_output_when_stderr_is_not_a_terminal() {
    let o = common::custos(
        &["scan", "--no-config", "fixtures/demo", "--format", "json"],
        &common::repo(),
    );
    assert_eq!(common::code(&o), 1);
    let err = common::stderr(&o);
    assert!(
        err.is_empty(),
        "stderr must stay clean for machines: {err:?}"
    );
}
