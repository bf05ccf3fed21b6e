//! The hostile-input corpus (issue #10), generated at test time into a temporary directory:
//! alias bombs with merge keys, 50k-deep nesting, 10k-deep Python parentheses, a large
//! single-line file, CRLF / BOM / UTF-16 / NUL, special files and symlinks named like config
//! files, unreadable files, odd file names, a hostile `custos.toml`, and files rewritten while
//! they are scanned.
//!
//! Every case asserts the same contract: a clear message that names the file (and the line
//! where there is one), the exit code (0 clean, 1 findings, 2 could not do the job), no panic,
//! and the ordinary file beside the hostile ones still scanned. Memory is measured by
//! `scripts/peak-rss.sh`, not here; nothing here asserts a timing. Cases already covered by
//! `tests/robustness.rs` (plain alias bomb, 200k-deep JSON arrays, FIFO and socket, BOM and
//! UTF-16LE, binary YAML, size limit) and `tests/chain_cli.rs` (hostile chain records) are not
//! repeated.

mod common;

use std::fmt::Write as _;
use std::fs;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{code, stderr, stdout, triples};

/// A provider block with a literal AWS key: TF001 on line 2, in every scan below.
const GOOD_TF: &str = "provider \"aws\" {\n  access_key = \"AKIA2E0A8F3B244C9986\"\n}\n";

/// Run custos, killing it (and failing the test) if it does not finish within `limit`: a
/// hostile input must never hang a run.
fn run_bounded(args: &[&str], cwd: &Path, limit: Duration) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_custos"))
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn custos");
    // Read both pipes on threads so a large report cannot block the child.
    let mut out_pipe = child.stdout.take().expect("stdout");
    let mut err_pipe = child.stderr.take().expect("stderr");
    let out_reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        std::io::Read::read_to_end(&mut out_pipe, &mut v).ok();
        v
    });
    let err_reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        std::io::Read::read_to_end(&mut err_pipe, &mut v).ok();
        v
    });
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        if start.elapsed() > limit {
            child.kill().ok();
            child.wait().ok();
            panic!("custos {args:?} did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output {
        status,
        stdout: out_reader.join().expect("stdout reader"),
        stderr: err_reader.join().expect("stderr reader"),
    }
}

/// The contract every run here must keep: it ended by itself with 0, 1 or 2, and nothing
/// panicked or aborted.
fn assert_orderly(o: &Output) {
    let err = stderr(o);
    assert!(!err.contains("panicked"), "custos panicked: {err}");
    assert!(
        matches!(o.status.code(), Some(0..=2)),
        "exit {:?} (101 is a panic, 134 an abort, none a signal): {err}",
        o.status
    );
}

/// `custos scan --no-config --format json` under the time bound; the exit code and report.
fn scan(args: &[&str], cwd: &Path) -> (i32, serde_json::Value) {
    let mut all = vec!["scan", "--no-config", "--format", "json"];
    all.extend_from_slice(args);
    let o = run_bounded(&all, cwd, Duration::from_secs(240));
    assert_orderly(&o);
    let report = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "json report: {e}\nstdout: {}\nstderr: {}",
            stdout(&o),
            stderr(&o)
        )
    });
    (code(&o), report)
}

/// The finding of `rule` on `path`: (line, message).
fn finding(report: &serde_json::Value, path: &str, rule: &str) -> Option<(u64, String)> {
    report["findings"].as_array()?.iter().find_map(|f| {
        (f["path"] == path && f["rule_id"] == rule).then(|| {
            (
                f["location"]["line"].as_u64().unwrap_or(0),
                f["message"].as_str().unwrap_or_default().to_owned(),
            )
        })
    })
}

/// The note about `path`, if any.
fn note(report: &serde_json::Value, path: &str) -> Option<String> {
    report["notes"].as_array()?.iter().find_map(|n| {
        (n["path"] == path).then(|| n["message"].as_str().unwrap_or_default().to_owned())
    })
}

/// The ordinary file was scanned: its TF001 is in the report.
fn assert_good_scanned(report: &serde_json::Value, path: &str) {
    assert_eq!(
        finding(report, path, "TF001").map(|f| f.0),
        Some(2),
        "{path} was not scanned: {:?}",
        triples(report)
    );
}

#[test]
fn alias_bombs_with_merge_keys_are_refused_at_a_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    // Each level merges the previous one and refers to it nine more times: 10^15 nodes if
    // expanded.
    let mut merge = String::from("l0: &l0 {a: 1, b: 2, c: 3, d: 4}\n");
    for i in 1..16 {
        let _ = writeln!(merge, "l{i}: &l{i}");
        let _ = writeln!(merge, "  <<: *l{}", i - 1);
        for k in 0..9 {
            let _ = writeln!(merge, "  k{k}: *l{}", i - 1);
        }
    }
    fs::write(p.join("merge.yaml"), merge).expect("write");
    // Merge-key lists: `<<: [*x, *x, *x]` triples the work at each level.
    let mut list = String::from("m0: &m0 {a: 1}\n");
    for i in 1..40 {
        let prev = format!("*m{}", i - 1);
        let _ = writeln!(
            list,
            "m{i}: &m{i}\n  <<: [{prev}, {prev}, {prev}]\n  x: [{prev}, {prev}]"
        );
    }
    fs::write(p.join("merge-list.yaml"), list).expect("write");
    fs::write(p.join("good.tf"), GOOD_TF).expect("write");

    let (exit, report) = scan(&["."], p);
    assert_eq!(exit, 1);
    assert_good_scanned(&report, "good.tf");
    for bomb in ["merge.yaml", "merge-list.yaml"] {
        let (line, message) = finding(&report, bomb, "parse-error")
            .unwrap_or_else(|| panic!("{bomb}: {:?}", triples(&report)));
        assert!(line >= 1, "{bomb}: no line");
        assert!(message.contains("alias"), "{bomb}: {message}");
    }
}

#[test]
fn nesting_50k_deep_is_a_parse_error_at_a_line_not_a_stack_overflow() {
    const N: usize = 50_000;
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    let files = [
        (
            "flow-seq.yaml",
            format!("a: {}{}\n", "[".repeat(N), "]".repeat(N)),
        ),
        (
            "flow-map.yaml",
            format!("{}1{}\n", "{a: ".repeat(N), "}".repeat(N)),
        ),
        // Block nesting costs indentation, quadratic in size: 2,000 levels is 4 MB.
        (
            "block.yaml",
            (0..2_000).fold(String::new(), |mut s, i| {
                let _ = writeln!(s, "{}k:", " ".repeat(i));
                s
            }) + &" ".repeat(2_000)
                + "k: v\n",
        ),
        (
            "objects.json",
            format!("{}1{}", "{\"a\":".repeat(N), "}".repeat(N)),
        ),
        (
            "mixed.json",
            format!("{}{}", "[{\"a\":".repeat(N / 2), "}]".repeat(N / 2)),
        ),
        (
            "list.tf",
            format!("locals {{\n  x = {}{}\n}}\n", "[".repeat(N), "]".repeat(N)),
        ),
        (
            "object.tf",
            format!(
                "locals {{\n  x = {}1{}\n}}\n",
                "{a = ".repeat(N),
                "}".repeat(N)
            ),
        ),
        (
            "blocks.tf",
            format!("{}{}", "a {\n".repeat(N), "}\n".repeat(N)),
        ),
        (
            "call.tf",
            format!(
                "locals {{\n  x = {}1{}\n}}\n",
                "max(".repeat(N),
                ")".repeat(N)
            ),
        ),
    ];
    for (name, text) in &files {
        fs::write(p.join(name), text).expect("write");
    }
    fs::write(p.join("good.tf"), GOOD_TF).expect("write");

    let (exit, report) = scan(&["."], p);
    assert_eq!(exit, 1);
    assert_good_scanned(&report, "good.tf");
    for (name, _) in &files {
        let (line, message) = finding(&report, name, "parse-error")
            .unwrap_or_else(|| panic!("{name}: {:?}", triples(&report)));
        assert!(line >= 1, "{name}: no line");
        assert!(
            message.contains("nesting") || message.contains("recursion"),
            "{name}: {message}"
        );
    }
}

#[test]
fn python_10k_deep_parentheses_still_model_the_dag() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    let dag = "from airflow import DAG\nfrom airflow.operators.bash import BashOperator\n\nwith DAG(\"deep\", schedule=\"@daily\") as dag:\n    t = BashOperator(task_id=\"t\", bash_command=\"true\", env={\"AWS_SECRET_ACCESS_KEY\": \"wJa9rXUtnFEMI7K7MDENGbPxRfiCYzq4HkT2mQ8v\"})\n";
    let parens = format!("x = {}1{}\n", "(".repeat(10_000), ")".repeat(10_000));
    // Deep expression before and after the DAG, and deep call nesting inside a task argument.
    fs::write(p.join("before.py"), format!("{parens}{dag}")).expect("write");
    fs::write(p.join("after.py"), format!("{dag}{parens}")).expect("write");
    let calls = format!(
        "from airflow import DAG\nwith DAG(\"calls\") as dag:\n    y = {}0{}\n",
        "f(".repeat(10_000),
        ")".repeat(10_000)
    );
    fs::write(p.join("calls.py"), calls).expect("write");
    fs::write(p.join("good.tf"), GOOD_TF).expect("write");

    let (exit, report) = scan(&["."], p);
    assert_eq!(exit, 1);
    assert_good_scanned(&report, "good.tf");
    assert_eq!(finding(&report, "before.py", "AF001").map(|f| f.0), Some(6));
    assert_eq!(finding(&report, "after.py", "AF001").map(|f| f.0), Some(5));
    // Nothing about calls.py is lost silently: either it is modelled (no finding to make) or
    // its problem is reported with a location.
    if let Some((line, _)) = finding(&report, "calls.py", "parse-error") {
        assert!(line >= 1);
    }
}

#[test]
fn a_20_mb_single_line_log_is_scanned_and_the_excerpt_stays_short() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    let email = "jane.doe@acme-corp.io";
    let line = format!(
        "{{\"k\": \"{}\", \"email\": \"{email}\"}}",
        "abcdefgh".repeat(2_500_000)
    );
    assert!(line.len() > 20_000_000);
    fs::write(p.join("one.log"), &line).expect("write");
    // The same line as JSON is over the 5 MiB file limit: a note, not a silent pass.
    fs::write(p.join("one.json"), &line).expect("write");
    fs::write(p.join("good.tf"), GOOD_TF).expect("write");

    let (exit, report) = scan(&["."], p);
    assert_eq!(exit, 1);
    assert_good_scanned(&report, "good.tf");
    let f = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["path"] == "one.log" && f["rule_id"] == "PII001")
        .unwrap_or_else(|| panic!("{:?}", triples(&report)));
    assert_eq!(f["location"]["line"], 1);
    let text = f.to_string();
    assert!(!text.contains(email), "the value leaked: {text}");
    assert!(
        text.len() < 4_000,
        "a finding on a 20 MB line must carry a short excerpt, not the line ({} bytes)",
        text.len()
    );
    let why = note(&report, "one.json").expect("a note for the oversized file");
    assert!(why.contains("size limit"), "{why}");
    assert!(finding(&report, "one.json", "too-large").is_none());

    // Named on the command line (as pre-commit and CI pass files), the same file is a
    // finding that fails the gate: a file the user asked for never passes unread.
    let (exit, report) = scan(&["one.json"], p);
    assert_eq!(exit, 1, "{:?}", triples(&report));
    let (_, message) = finding(&report, "one.json", "too-large")
        .unwrap_or_else(|| panic!("{:?}", triples(&report)));
    assert!(message.contains("max_file_size"), "{message}");
    assert_eq!(report["summary"]["not_scanned"], 1);
}

#[test]
fn crlf_bom_utf16_be_and_nul_bytes_are_read_or_reported() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    let crlf = |s: &str| s.replace('\n', "\r\n");
    let bucket = "resource \"aws_s3_bucket\" \"b\" {\n  bucket = \"x\"\n}\n";
    fs::write(p.join("crlf.tf"), crlf(&format!("{bucket}{GOOD_TF}"))).expect("write");
    let manifest = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\nspec:\n  containers:\n    - name: a\n      image: x\n      env:\n        - name: DB_PASSWORD\n          value: \"Zq8vT2mWx9Lk4Rb7\"\n";
    let mut bom_crlf = b"\xEF\xBB\xBF".to_vec();
    bom_crlf.extend_from_slice(crlf(manifest).as_bytes());
    fs::write(p.join("bom-crlf.yaml"), bom_crlf).expect("write");
    let mut be = vec![0xFE, 0xFF];
    for u in manifest.encode_utf16() {
        be.extend_from_slice(&u.to_be_bytes());
    }
    fs::write(p.join("utf16be.yaml"), be).expect("write");
    // UTF-16 without a BOM cannot be told from binary: skipped with a note, never silently.
    let mut bare = Vec::new();
    for u in manifest.encode_utf16() {
        bare.extend_from_slice(&u.to_le_bytes());
    }
    fs::write(p.join("utf16-nobom.yaml"), bare).expect("write");
    let mut nul_tf = GOOD_TF.as_bytes().to_vec();
    nul_tf.extend_from_slice(b"\0\0");
    fs::write(p.join("nul.tf"), nul_tf).expect("write");
    fs::write(p.join("nul.log"), b"boot\0 user jane.doe@acme-corp.io\n").expect("write");
    fs::write(p.join("good.tf"), GOOD_TF).expect("write");

    let (exit, report) = scan(&["."], p);
    assert_eq!(exit, 1);
    assert_good_scanned(&report, "good.tf");
    assert_eq!(finding(&report, "crlf.tf", "TF001").map(|f| f.0), Some(5));
    assert_eq!(
        finding(&report, "bom-crlf.yaml", "K8S001").map(|f| f.0),
        Some(11)
    );
    assert_eq!(
        finding(&report, "utf16be.yaml", "K8S001").map(|f| f.0),
        Some(11)
    );
    // Byte offsets count the file's bytes (after a byte-order mark, and in UTF-16 units), so
    // a tool that seeks into the file lands on the flagged value.
    let bytes_of = |path: &str| {
        let f = report["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .find(|f| f["path"] == path && f["rule_id"] == "K8S001")
            .expect("finding");
        let at = |k: &str| usize::try_from(f["location"][k].as_u64().expect(k)).expect("usize");
        (at("start_byte"), at("end_byte"))
    };
    let file = fs::read(p.join("bom-crlf.yaml")).expect("read");
    let (start, end) = bytes_of("bom-crlf.yaml");
    let flagged = std::str::from_utf8(&file[start..end]).expect("UTF-8 range");
    assert!(
        flagged.contains("Zq8vT2mWx9Lk4Rb7") && crlf(manifest).contains(flagged),
        "{flagged:?}"
    );
    let file = fs::read(p.join("utf16be.yaml")).expect("read");
    let (start, end) = bytes_of("utf16be.yaml");
    assert!(
        start % 2 == 0 && end % 2 == 0 && start >= 2,
        "{start}..{end}"
    );
    let units: Vec<u16> = file[start..end]
        .chunks_exact(2)
        .map(|p| u16::from_be_bytes([p[0], p[1]]))
        .collect();
    let flagged = String::from_utf16(&units).expect("UTF-16 range");
    assert!(
        flagged.contains("Zq8vT2mWx9Lk4Rb7") && manifest.contains(&flagged),
        "{flagged:?}"
    );
    // Dense binary is skipped with a note; a stray NUL does not make text binary, so what the
    // file holds is still checked (a NUL used to hide a whole log from the detectors).
    let why = note(&report, "utf16-nobom.yaml").expect("a note for utf16-nobom.yaml");
    assert!(why.contains("binary"), "{why}");
    for scanned in ["nul.tf", "nul.log"] {
        assert!(note(&report, scanned).is_none(), "{scanned} was skipped");
    }
    assert!(
        report["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .any(|f| f["path"] == "nul.log" && f["rule_id"] == "PII001"),
        "the email after the NUL in nul.log is reported"
    );
    assert_eq!(report["summary"]["not_scanned"], 1);
}

#[cfg(unix)]
#[test]
fn special_files_named_like_configs_and_logs_never_block_the_scan() {
    use std::os::unix::net::UnixListener;
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    for fifo in ["main.tf", "app.log", "airflow.cfg", "dag.py"] {
        let made = Command::new("mkfifo")
            .arg(p.join(fifo))
            .status()
            .expect("mkfifo");
        assert!(made.success());
    }
    let _socket = UnixListener::bind(p.join("values.yaml")).expect("socket");
    fs::write(p.join("good.tf"), GOOD_TF).expect("write");

    let (exit, report) = scan(&["."], p);
    assert_eq!(exit, 1);
    assert_good_scanned(&report, "good.tf");
    for (special, what) in [
        ("main.tf", "FIFO"),
        ("app.log", "FIFO"),
        ("airflow.cfg", "FIFO"),
        ("dag.py", "FIFO"),
        ("values.yaml", "socket"),
    ] {
        let why = note(&report, special).unwrap_or_else(|| panic!("no note for {special}"));
        assert!(why.contains(what), "{special}: {why}");
    }
}

#[cfg(unix)]
#[test]
fn chain_commands_refuse_fifos_and_devices_instead_of_blocking() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    let made = Command::new("mkfifo")
        .arg(p.join("chain.jsonl"))
        .status()
        .expect("mkfifo");
    assert!(made.success());
    for (input, what) in [("chain.jsonl", "FIFO"), ("/dev/zero", "device")] {
        for args in [vec!["chain", "verify", input], vec!["chain", "seal", input]] {
            let o = run_bounded(&args, p, Duration::from_secs(30));
            assert_orderly(&o);
            assert_eq!(code(&o), 2, "{args:?}: {}", stderr(&o));
            let err = stderr(&o);
            assert!(err.contains(input) && err.contains(what), "{args:?}: {err}");
        }
    }
}

#[cfg(unix)]
#[test]
fn unreadable_files_are_reported_by_path_and_the_rest_is_scanned() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    fs::write(p.join("locked.tf"), GOOD_TF).expect("write");
    fs::write(p.join("locked.log"), "user jane.doe@acme-corp.io\n").expect("write");
    fs::create_dir(p.join("locked-dir")).expect("mkdir");
    fs::write(p.join("locked-dir/inner.tf"), GOOD_TF).expect("write");
    fs::write(p.join("good.tf"), GOOD_TF).expect("write");
    for locked in ["locked.tf", "locked.log", "locked-dir"] {
        fs::set_permissions(p.join(locked), fs::Permissions::from_mode(0o000)).expect("chmod");
    }
    let (exit, report) = scan(&["."], p);
    // Put the permissions back so the temporary directory can be removed.
    for locked in ["locked.tf", "locked.log", "locked-dir"] {
        fs::set_permissions(p.join(locked), fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    assert_eq!(exit, 1);
    assert_good_scanned(&report, "good.tf");
    // A privileged user (root, CAP_DAC_OVERRIDE) reads them anyway: nothing more to check.
    fs::set_permissions(p.join("locked.tf"), fs::Permissions::from_mode(0o000)).expect("chmod");
    let privileged = fs::File::open(p.join("locked.tf")).is_ok();
    fs::set_permissions(p.join("locked.tf"), fs::Permissions::from_mode(0o644)).expect("chmod");
    if privileged {
        assert_good_scanned(&report, "locked.tf");
        return;
    }
    let all = report.to_string();
    for locked in ["locked.tf", "locked.log", "locked-dir"] {
        assert!(
            all.contains(locked),
            "{locked} is neither a finding nor a note: {all}"
        );
    }
}

#[cfg(unix)]
#[test]
fn symlinks_to_system_secrets_and_to_the_parent_are_not_followed() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("root");
    fs::create_dir(&root).expect("mkdir");
    // Outside the scanned root, beside it: must never be read through a link.
    fs::write(dir.path().join("outside.tf"), GOOD_TF).expect("write");
    symlink("/etc/shadow", root.join("shadow.yaml")).expect("symlink");
    symlink("..", root.join("up")).expect("symlink");
    symlink("../outside.tf", root.join("sibling.tf")).expect("symlink");
    symlink(&root, root.join("self")).expect("symlink");
    fs::write(root.join("good.tf"), GOOD_TF).expect("write");

    let (exit, report) = scan(&["."], &root);
    assert_eq!(exit, 1);
    assert_good_scanned(&report, "good.tf");
    for link in ["shadow.yaml", "up", "sibling.tf"] {
        let why = note(&report, link).unwrap_or_else(|| panic!("no note for {link}"));
        assert!(why.contains("outside"), "{link}: {why}");
    }
    // Nothing was scanned through a link: one file, one finding.
    assert_eq!(triples(&report).len(), 1, "{:?}", triples(&report));
    assert_eq!(report["summary"]["files_scanned"], 1);
}

#[test]
fn a_directory_named_like_a_config_file_is_a_directory() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    for d in ["x.tf", "values.yaml", "custos.toml"] {
        fs::create_dir(p.join(d)).expect("mkdir");
    }
    fs::write(p.join("x.tf/inner.tf"), GOOD_TF).expect("write");
    fs::write(p.join("good.tf"), GOOD_TF).expect("write");
    // No --no-config: a directory named custos.toml is not a configuration file.
    let o = run_bounded(
        &["scan", "--format", "json", "."],
        p,
        Duration::from_secs(120),
    );
    assert_orderly(&o);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_good_scanned(&report, "good.tf");
    assert_good_scanned(&report, "x.tf/inner.tf");
    // Named explicitly, the directory is walked too.
    let (exit, report) = scan(&["x.tf"], p);
    assert_eq!(exit, 1);
    assert_eq!(triples(&report).len(), 1, "{:?}", triples(&report));
}

#[cfg(unix)]
#[test]
fn file_names_with_newlines_and_invalid_utf8_are_scanned_and_escaped() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    fs::write(p.join("new\nline.tf"), GOOD_TF).expect("write");
    fs::write(p.join(OsStr::from_bytes(b"bad\xffname.tf")), GOOD_TF).expect("write");
    fs::write(p.join("good.tf"), GOOD_TF).expect("write");
    let (exit, report) = scan(&["."], p);
    assert_eq!(exit, 1);
    assert_good_scanned(&report, "good.tf");
    assert_good_scanned(&report, "new\nline.tf");
    // Human output shows the newline escaped, as git quotes such names.
    assert_good_scanned(&report, "bad\u{fffd}name.tf");
    let o = run_bounded(&["scan", "--no-config", "."], p, Duration::from_secs(60));
    assert_orderly(&o);
    let human = stdout(&o);
    assert!(human.contains("new\\nline.tf:2"), "{human}");
    assert!(
        !human.lines().any(|l| l.starts_with("line.tf")),
        "a file name broke a line of human output: {human}"
    );
}

#[test]
fn a_huge_binary_or_non_utf8_custos_toml_is_exit_2_naming_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    fs::write(p.join("good.tf"), GOOD_TF).expect("write");
    let mut pseudo_random = Vec::with_capacity(4096);
    let mut x: u32 = 0x9e37_79b9;
    for _ in 0..4096 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        pseudo_random.push(x.to_le_bytes()[0]);
    }
    let mut utf16 = vec![0xFF, 0xFE];
    for u in "fail_on = \"high\"\n".encode_utf16() {
        utf16.extend_from_slice(&u.to_le_bytes());
    }
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "huge",
            "# comment\n".repeat(200_000).into_bytes(),
            "at most",
        ),
        ("binary", pseudo_random, "custos.toml"),
        (
            "nul",
            b"fail_on = \"high\"\n\0\x01\n".to_vec(),
            "custos.toml:2",
        ),
        ("utf16", utf16, "UTF-8"),
    ];
    for (what, bytes, needle) in cases {
        fs::write(p.join("custos.toml"), bytes).expect("write");
        let o = run_bounded(&["scan", "."], p, Duration::from_secs(60));
        assert_orderly(&o);
        let err = stderr(&o);
        assert_eq!(code(&o), 2, "{what}: {err}");
        assert!(err.contains("custos.toml"), "{what}: {err}");
        assert!(err.contains(needle), "{what}: {err}");
    }
}

#[test]
fn chain_verify_of_odd_files_is_a_clear_verdict() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    fs::create_dir(p.join("dir.jsonl")).expect("mkdir");
    fs::write(p.join("nul.jsonl"), vec![0u8; 1000]).expect("write");
    fs::write(p.join("plain.jsonl"), "{\"a\":1}\n{\"b\":2}\n").expect("write");
    let sealed = run_bounded(
        &["chain", "seal", "plain.jsonl", "-o", "chain.jsonl"],
        p,
        Duration::from_secs(60),
    );
    assert_eq!(code(&sealed), 0, "{}", stderr(&sealed));
    let chain = fs::read_to_string(p.join("chain.jsonl")).expect("read");
    let mut bom = "\u{feff}".to_owned();
    bom.push_str(&chain);
    fs::write(p.join("bom.jsonl"), bom).expect("write");

    // A directory cannot be verified: exit 2 naming it.
    let o = run_bounded(
        &["chain", "verify", "dir.jsonl"],
        p,
        Duration::from_secs(60),
    );
    assert_orderly(&o);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("dir.jsonl"), "{}", stderr(&o));
    // NUL bytes and a byte-order mark are malformed lines at line 1: tampered, exit 1.
    for file in ["nul.jsonl", "bom.jsonl"] {
        let o = run_bounded(&["chain", "verify", file], p, Duration::from_secs(60));
        assert_orderly(&o);
        assert_eq!(code(&o), 1, "{file}: {}", stdout(&o));
        assert!(
            stdout(&o).contains("line 1: malformed"),
            "{file}: {}",
            stdout(&o)
        );
    }
}

/// A file rewritten while the scan runs: a writer thread truncates and rewrites a log and a
/// Terraform file in a loop for as long as the scan takes. Which version (or which mix) the
/// scan reads is up to the scheduler, so the test cannot force one interleaving; what it
/// asserts holds for all of them: the run ends by itself with 0 or 1, never a panic, and the
/// untouched file is scanned.
#[test]
fn files_rewritten_while_they_are_scanned_never_take_the_run_down() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().to_path_buf();
    fs::write(p.join("good.tf"), GOOD_TF).expect("write");
    let long_log = "user jane.doe@acme-corp.io did a thing\n".repeat(50_000);
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (p, stop) = (p.clone(), Arc::clone(&stop));
        std::thread::spawn(move || {
            let mut i = 0u32;
            while !stop.load(Ordering::Relaxed) {
                let log = if i.is_multiple_of(2) {
                    long_log.as_str()
                } else {
                    "short\n"
                };
                fs::write(p.join("moving.log"), log).ok();
                let tf = if i.is_multiple_of(2) {
                    GOOD_TF
                } else {
                    "resource \"x\" \"y\" {"
                };
                fs::write(p.join("moving.tf"), tf).ok();
                i = i.wrapping_add(1);
            }
        })
    };
    let mut outcomes = Vec::new();
    for _ in 0..3 {
        let (exit, report) = scan(&["."], &p);
        assert!(matches!(exit, 0 | 1), "exit {exit}");
        assert_good_scanned(&report, "good.tf");
        outcomes.push(exit);
    }
    stop.store(true, Ordering::Relaxed);
    writer.join().expect("writer");
    assert!(outcomes.iter().all(|&e| e == 1), "{outcomes:?}");
}

#[test]
fn a_secret_repeated_on_a_log_line_is_masked_everywhere_in_every_format() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    let secret = "Zq8vT2mWx9Lk";
    fs::write(
        p.join("app.log"),
        format!("login password={secret} failed; retry with {secret} ok\n"),
    )
    .expect("write");
    for format in ["human", "json"] {
        let o = run_bounded(
            &["scan", "--no-config", "--format", format, "."],
            p,
            Duration::from_secs(60),
        );
        assert_orderly(&o);
        assert_eq!(code(&o), 1, "{format}: {}", stderr(&o));
        let all = format!("{}{}", stdout(&o), stderr(&o));
        assert!(all.contains("app.log"), "{format}: {all}");
        assert!(!all.contains(secret), "{format} leaks the value: {all}");
    }
}

/// Found by `scripts/mutate-binary.py`: a mutated import line, `import GCSToS- - - …` with
/// 200,000 minus signs, makes tree-sitter's error recovery nest ERROR nodes that deep, and
/// finding the first syntax error recursed into them until the scan thread's stack overflowed
/// (abort, no report). Now a parse error at the line, and the rest of the scan intact.
#[test]
fn python_error_recovery_nesting_is_a_parse_error_not_a_stack_overflow() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    let dag = format!(
        "from airflow import DAG\nfrom airflow.providers.x import GCSToS{}3Operator\n",
        "- ".repeat(200_000)
    );
    fs::write(p.join("dag.py"), dag).expect("write");
    fs::write(p.join("good.tf"), GOOD_TF).expect("write");
    let (exit, report) = scan(&["."], p);
    assert_eq!(exit, 1);
    assert_good_scanned(&report, "good.tf");
    let (line, message) = finding(&report, "dag.py", "parse-error").expect("parse-error");
    assert_eq!(line, 2, "{message}");
}

/// Found by `scripts/mutate-binary.py`: in a mutated Terraform file a quote opened on one line
/// and closed on a later one hid the blocks between from the bracket counter that bounds
/// nesting before parsing, while the HCL parser read them as nested blocks: a document
/// hundreds of levels deep from a file whose brackets nest one deep, whose conversion for the
/// engine overflowed a scan thread's stack. Whatever the text looks like, a parsed document
/// deeper than the nesting limit is now a parse error at a line.
#[test]
fn hcl_nesting_hidden_from_the_bracket_count_is_a_parse_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    fs::create_dir(p.join("mod")).expect("mkdir");
    let block = "resource \"aws_s3_bucket\" \"logs\" {\n  bucket lic_buckets = true\n}\n\n";
    let hidden = format!(
        "resource \"aws_s3_bucket_x = true\n}}\n\n{}resource \"aws_s3_bucket\" \"logs\" {{\n  bucket v\" \"logs\" {{\n  bucket = 1\n}}\n",
        block.repeat(3000)
    );
    fs::write(p.join("mod/main.tf"), hidden).expect("write");
    fs::write(p.join("good.tf"), GOOD_TF).expect("write");
    let (exit, report) = scan(&["."], p);
    assert_eq!(exit, 1);
    assert_good_scanned(&report, "good.tf");
    let (line, message) = finding(&report, "mod/main.tf", "parse-error").expect("parse-error");
    assert!(
        line >= 1 && message.contains("nesting deeper than"),
        "{line}: {message}"
    );
}

/// fuzz/parse_hcl found a 991-byte malformed expression (`fixtures/parse/hcl-backtracking-full.tf`)
/// that `hcl-edit` backtracks on for 72 s in a release build, far longer in this test build.
/// Its parse is cut off at the time limit: a `parse-error` for that file, and every other
/// file scanned, in the same module directory too (the module index parses its siblings as
/// well), within the bound of this test.
#[test]
fn the_hcl_probe_child_reports_whether_a_file_parses() {
    // The child process a slow-looking HCL file is parsed in first (killed at the time limit,
    // so a file that never finishes does not keep a core busy for the rest of the run).
    let probe = |text: &str| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_custos"))
            .arg("hcl-parse-probe")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        if let Some(mut stdin) = child.stdin.take() {
            std::io::Write::write_all(&mut stdin, text.as_bytes()).expect("write");
        }
        let out = child.wait_with_output().expect("wait");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    assert_eq!(probe(GOOD_TF), (Some(0), String::new()));
    // A syntax error: its offset and message, the same as the parser gives in process.
    let bad = "x = ((((((((((1\n";
    let (code, said) = probe(bad);
    assert_eq!(code, Some(1));
    let expected = custos::parse::parse(
        custos::parse::Syntax::Hcl,
        bad,
        &custos::parse::Limits::default(),
    )
    .and_then(|p| p.error)
    .expect("a syntax error");
    let offset = expected.span.map(|s| s.start).expect("a location");
    assert_eq!(said, format!("{offset}\n{}\n", expected.message));
    // And a scan reports that error at that place (the file takes the bounded path: its
    // parentheses nest 10 deep).
    let dir = tempfile::tempdir().expect("tempdir");
    fs::write(dir.path().join("bad.tf"), bad).expect("write");
    let (_, report) = scan(&["."], dir.path());
    let (_, message) = finding(&report, "bad.tf", "parse-error").expect("parse-error");
    assert!(message.starts_with(&expected.message), "{message}");
}

#[test]
fn an_hcl_object_with_a_quadratic_number_of_key_comparisons_is_cut_off() {
    // hcl-edit keeps an object literal's keys in a vector map: 150,000 keys (2.2 MB, under the
    // 5 MiB size limit) would take minutes (40,000 take 11 s in a release build). A file over
    // 256 KiB is parsed with the time limit, so it ends as a parse-error and the rest is scanned.
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    let mut big = String::from("locals {\n  m = {\n");
    for i in 0..150_000 {
        big.push_str("    k");
        big.push_str(&i.to_string());
        big.push_str(" = 1\n");
    }
    big.push_str("  }\n}\n");
    fs::create_dir(p.join("m")).expect("mkdir");
    fs::write(p.join("m/big.tf"), &big).expect("write");
    fs::write(p.join("good.tf"), GOOD_TF).expect("write");
    let (exit, report) = scan(&["."], p);
    assert_eq!(exit, 1);
    assert_good_scanned(&report, "good.tf");
    let (_, message) = finding(&report, "m/big.tf", "parse-error").expect("parse-error");
    assert!(message.contains("did not finish within"), "{message}");
}

#[test]
fn an_hcl_file_that_makes_the_parser_backtrack_is_cut_off_and_the_rest_is_scanned() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    let slow =
        fs::read(common::repo().join("fixtures/parse/hcl-backtracking-full.tf")).expect("read");
    // Two copies of the module: the second copy's text is refused at once.
    for m in ["a", "b"] {
        fs::create_dir(p.join(m)).expect("mkdir");
        fs::write(p.join(m).join("slow.tf"), &slow).expect("write");
        fs::write(p.join(m).join("good.tf"), GOOD_TF).expect("write");
    }
    let (exit, report) = scan(&["."], p);
    assert_eq!(exit, 1);
    for m in ["a", "b"] {
        assert_good_scanned(&report, &format!("{m}/good.tf"));
        let (_, message) =
            finding(&report, &format!("{m}/slow.tf"), "parse-error").expect("parse-error");
        assert!(message.contains("did not finish within"), "{message}");
    }
}
