//! Gate behaviour: baselines, diff mode (files and `--changed-since`, judged in their full
//! context), inline suppression rules, `--fail-on-warn`, `--quiet` and `--output FORMAT=FILE`.

mod common;

use std::path::Path;
use std::process::Command;

use common::{code, custos, repo, scan_json, stderr, stdout};

const BUCKET: &str = "resource \"aws_s3_bucket\" \"data\" {\n  bucket = \"acme-data\"\n}\n";
const ENCRYPTION: &str = "resource \"aws_s3_bucket_server_side_encryption_configuration\" \"data\" {\n  bucket = aws_s3_bucket.data.id\n  rule {\n    apply_server_side_encryption_by_default {\n      sse_algorithm = \"aws:kms\"\n    }\n  }\n}\n";

/// Run git in `dir`, isolated from the user's and the system's git configuration.
fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .output()
        .expect("run git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn git_repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    git(dir.path(), &["init", "-q", "-b", "main"]);
    dir
}

fn write(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(p, text).expect("write");
}

/// (rule, path) of every finding, sorted.
fn rules_and_paths(report: &serde_json::Value) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap_or_default().to_owned(),
                f["path"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    v.sort();
    v
}

fn fingerprints(report: &serde_json::Value) -> Vec<String> {
    let mut v: Vec<String> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["fingerprint"].as_str().unwrap_or_default().to_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn baseline_survives_moved_lines_and_reports_only_the_new_finding() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write(d, "infra/main.tf", BUCKET);
    write(d, ".env", "AWS_ACCESS_KEY_ID=AKIAQ7ZP3LM2XK9D4F2E\n");
    let o = custos(&["baseline", "create", "--no-config"], d);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let text = std::fs::read_to_string(d.join(".custos-baseline.json")).expect("baseline");
    let b: serde_json::Value = serde_json::from_str(&text).expect("json");
    assert_eq!(b["version"], 1);
    let entries = b["findings"].as_array().expect("entries").len();
    assert!(entries >= 3, "{text}");
    // Never a value: not the key, not even its unmasked prefix.
    assert!(
        !text.contains("AKIAQ7ZP3LM2XK9D4F2E") && !text.contains("LM2XK9D4"),
        "{text}"
    );
    assert!(text.contains("\"line\""), "{text}");

    // Nothing new: nothing reported, everything counted as baselined.
    let (rc, r, _) = scan_json(&["--no-config", "--baseline", ".custos-baseline.json"], d);
    assert_eq!((rc, r["findings"].as_array().map(Vec::len)), (0, Some(0)));
    assert_eq!(r["summary"]["baselined"], entries);

    // Lines move above every finding, and one new bucket is added below.
    write(
        d,
        "infra/main.tf",
        &format!("# moved\n\nlocals {{\n  x = 1\n}}\n\n{BUCKET}\nresource \"aws_s3_bucket\" \"new\" {{\n  bucket = \"acme-new\"\n}}\n"),
    );
    write(
        d,
        ".env",
        "# moved too\n\nAWS_ACCESS_KEY_ID=AKIAQ7ZP3LM2XK9D4F2E\n",
    );
    let (rc, r, _) = scan_json(&["--no-config", "--baseline", ".custos-baseline.json"], d);
    assert_eq!(rc, 1);
    let found = r["findings"].as_array().expect("findings");
    assert!(!found.is_empty());
    for f in found {
        assert!(
            f["message"]
                .as_str()
                .unwrap_or_default()
                .contains("aws_s3_bucket.new"),
            "only the new bucket's findings: {f}"
        );
    }
    assert_eq!(r["summary"]["baselined"], entries);
    assert_eq!(r["summary"]["baseline_resolved"], 0);
    let human = stdout(&custos(
        &[
            "scan",
            "--no-config",
            "--baseline",
            ".custos-baseline.json",
            "--quiet",
        ],
        d,
    ));
    assert!(
        human.contains(&format!(
            "{entries} in baseline, 0 baseline entries no longer found"
        )),
        "{human}"
    );

    // The old bucket is fixed (removed): its entries are resolved, and `update` prunes them.
    write(
        d,
        "infra/main.tf",
        "resource \"aws_s3_bucket\" \"new\" {\n  bucket = \"acme-new\"\n}\n",
    );
    let (_, r, _) = scan_json(&["--no-config", "--baseline", ".custos-baseline.json"], d);
    let resolved = r["summary"]["baseline_resolved"]
        .as_u64()
        .expect("resolved");
    assert!(resolved >= 2, "{}", r["summary"]);
    let o = custos(&["baseline", "update", "--no-config"], d);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let b: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(d.join(".custos-baseline.json")).expect("baseline"),
    )
    .expect("json");
    let left = b["findings"].as_array().expect("entries");
    // Only the .env key is still found; the new bucket's findings were never accepted.
    assert!(left.iter().all(|e| e["path"] == ".env"), "{b}");
    assert_eq!(left.len() as u64, entries as u64 - resolved);
}

#[test]
fn baseline_counts_log_findings_beyond_the_listing_cap() {
    use std::fmt::Write as _;
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let mut log = String::new();
    for i in 0..1_500 {
        let _ = writeln!(log, "signup user{i}@acme-corp.io ok");
    }
    write(d, "app.log", &log);
    assert_eq!(code(&custos(&["baseline", "create", "--no-config"], d)), 0);
    let (_, before, _) = scan_json(&["--no-config"], d);
    let total = before["findings"].as_array().map_or(0, Vec::len) as u64
        + before["unlisted"].as_array().map_or(0, |u| {
            u.iter().filter_map(|x| x["count"].as_u64()).sum::<u64>()
        });
    assert!(total >= 1_500, "every line has an email: {total}");
    // Three more lines, at the top: everything else moves.
    let mut more = String::new();
    for i in 0..3 {
        let _ = writeln!(more, "signup late{i}@acme-corp.io ok");
    }
    write(d, "app.log", &format!("{more}{log}"));
    let (rc, r, _) = scan_json(&["--no-config", "--baseline", ".custos-baseline.json"], d);
    assert_eq!(rc, 1);
    let listed = r["findings"].as_array().map_or(0, Vec::len);
    let unlisted: u64 = r["unlisted"]
        .as_array()
        .map_or(0, |u| u.iter().filter_map(|x| x["count"].as_u64()).sum());
    assert_eq!(listed as u64 + unlisted, 3, "{}", r["findings"]);
    assert_eq!(r["summary"]["baselined"], total);
    // The baseline itself is custos's data, never scanned.
    assert_eq!(r["summary"]["files_scanned"], 1);
}

#[test]
fn a_staged_file_keeps_its_unstaged_sibling_as_module_context() {
    let dir = git_repo();
    let d = dir.path();
    write(d, "main.tf", "# bucket\n");
    write(d, "encryption.tf", ENCRYPTION);
    write(
        d,
        "other.tf",
        "resource \"aws_s3_bucket\" \"other\" {\n  bucket = \"acme-other\"\n}\n",
    );
    git(d, &["add", "-A"]);
    git(d, &["commit", "-q", "-m", "init"]);
    write(d, "main.tf", BUCKET);
    git(d, &["add", "main.tf"]);

    // As pre-commit passes it: the file alone.
    let (_, r, err) = scan_json(&["--no-config", "main.tf"], d);
    let found = rules_and_paths(&r);
    assert!(!found.is_empty(), "{err}");
    assert!(found.iter().all(|(_, p)| p == "main.tf"), "{found:?}");
    assert!(!found.iter().any(|(rule, _)| rule == "TF002"), "{found:?}");
    // Exactly what a full scan says about that file.
    let (_, full, _) = scan_json(&["--no-config", "."], d);
    let full_main: Vec<_> = rules_and_paths(&full)
        .into_iter()
        .filter(|(_, p)| p == "main.tf")
        .collect();
    assert_eq!(found, full_main);

    // --changed-since: main.tf is the only change (staged), other.tf is not reported.
    let (_, r, err) = scan_json(&["--no-config", "--changed-since", "HEAD"], d);
    assert_eq!(rules_and_paths(&r), found, "{err}");

    // Without the sibling, the bucket has no encryption.
    std::fs::remove_file(d.join("encryption.tf")).expect("rm");
    let (rc, r, _) = scan_json(&["--no-config", "main.tf"], d);
    assert_eq!(rc, 1);
    assert!(rules_and_paths(&r).contains(&("TF002".into(), "main.tf".into())));
}

#[test]
fn changed_since_a_branch_point_and_changed_lines() {
    let dir = git_repo();
    let d = dir.path();
    write(d, "a.tf", BUCKET);
    write(
        d,
        "b.tf",
        "resource \"aws_s3_bucket\" \"b\" {\n  bucket = \"acme-b\"\n}\n",
    );
    git(d, &["add", "-A"]);
    git(d, &["commit", "-q", "-m", "init"]);
    git(d, &["checkout", "-q", "-b", "feature"]);
    // Committed on the branch: a new bucket in a.tf, below the old one.
    write(
        d,
        "a.tf",
        &format!(
            "{BUCKET}\nresource \"aws_s3_bucket\" \"added\" {{\n  bucket = \"acme-added\"\n}}\n"
        ),
    );
    git(d, &["commit", "-q", "-am", "more"]);
    // Untracked: a new file.
    write(
        d,
        "c.tf",
        "resource \"aws_s3_bucket\" \"c\" {\n  bucket = \"acme-c\"\n}\n",
    );

    let (_, r, err) = scan_json(&["--no-config", "--changed-since", "main"], d);
    let paths: std::collections::BTreeSet<String> =
        rules_and_paths(&r).into_iter().map(|(_, p)| p).collect();
    assert_eq!(
        paths.into_iter().collect::<Vec<_>>(),
        ["a.tf", "c.tf"],
        "{err}"
    );

    let (_, r, _) = scan_json(
        &["--no-config", "--changed-since", "main", "--changed-lines"],
        d,
    );
    for f in r["findings"].as_array().expect("findings") {
        let m = f["message"].as_str().unwrap_or_default();
        assert!(m.contains(".added") || m.contains(".c "), "{m}");
    }
    assert!(r["findings"].as_array().is_some_and(|f| f
        .iter()
        .any(|f| f["message"].as_str().unwrap_or_default().contains(".added"))));

    // Nothing changed below a path that is given: nothing scanned, the gate passes.
    std::fs::create_dir(d.join("docs")).expect("mkdir");
    let (rc, r, _) = scan_json(&["--no-config", "--changed-since", "main", "docs"], d);
    assert_eq!((rc, r["summary"]["files_scanned"].as_u64()), (0, Some(0)));
    // A ref that is not one: exit 2, not a silent pass.
    let o = custos(
        &["scan", "--no-config", "--changed-since", "no-such-ref"],
        d,
    );
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    let o = custos(&["scan", "--no-config", "--changed-since", "--output=x"], d);
    assert_eq!(code(&o), 2);
}

#[test]
fn single_files_are_judged_as_in_a_full_scan() {
    // Every Terraform and Python file of fixtures that depend on context (module calls,
    // airflow reached through project modules): alone, it has exactly its full-scan findings.
    for fixture in [
        "fixtures/vulnerable",
        "fixtures/airflow/factory_repo",
        "fixtures/rules/TF010/fail/wrapper",
    ] {
        let root = repo().join(fixture);
        let (_, full, _) = scan_json(&["--no-config", "."], &root);
        let mut files = Vec::new();
        for e in walk(&root) {
            let rel = e
                .strip_prefix(&root)
                .expect("below")
                .to_string_lossy()
                .replace('\\', "/");
            let ext = e.extension().map(|x| x.to_string_lossy().to_lowercase());
            if matches!(ext.as_deref(), Some("tf" | "py")) {
                files.push(rel);
            }
        }
        assert!(!files.is_empty());
        for rel in files {
            let (_, alone, err) = scan_json(&["--no-config", &rel], &root);
            let want: Vec<_> = fingerprints_of(&full, &rel);
            assert_eq!(
                fingerprints_of(&alone, &rel),
                want,
                "{fixture}/{rel}: {err}"
            );
            assert_eq!(
                fingerprints(&alone).len(),
                want.len(),
                "{fixture}/{rel}: only its own"
            );
        }
    }
}

fn fingerprints_of(report: &serde_json::Value, path: &str) -> Vec<String> {
    let mut v: Vec<String> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["path"] == path)
        .map(|f| format!("{} {}", f["rule_id"], f["fingerprint"]))
        .collect();
    v.sort();
    v
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read_dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn inline_ignores_need_a_reason_when_required_and_unused_ones_are_reported() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let tf = "# custos:ignore TF004\nresource \"aws_s3_bucket\" \"a\" {\n  bucket = \"acme-a\"\n}\n\n# custos:ignore TF004 -- public assets, reviewed\nresource \"aws_s3_bucket\" \"b\" {\n  bucket = \"acme-b\"\n}\n\n# custos:ignore TF008 -- stale\nresource \"aws_s3_bucket\" \"c\" {\n  bucket = \"acme-c\"\n}\n";
    write(d, "main.tf", tf);
    let tf004 = |r: &serde_json::Value| -> Vec<String> {
        r["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter(|f| f["rule_id"] == "TF004")
            .map(|f| f["message"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    let count = |r: &serde_json::Value, rule: &str| {
        r["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter(|f| f["rule_id"] == rule)
            .count()
    };
    // Reasons optional (the default): both TF004 ignores work; the TF008 one suppresses nothing.
    let (_, r, _) = scan_json(&["--no-config"], d);
    assert_eq!(tf004(&r).len(), 1, "only bucket c: {:?}", tf004(&r));
    assert_eq!(count(&r, "ignore-unused"), 1);
    assert_eq!(count(&r, "ignore-without-reason"), 0);
    let unused = r["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["rule_id"] == "ignore-unused")
        .expect("unused");
    assert_eq!(unused["level"], "warning");
    assert_eq!(unused["location"]["line"], 11);

    // Reasons required: the reasonless one suppresses nothing and says so.
    write(d, "custos.toml", "[suppression]\nrequire_reason = true\n");
    let (_, r, _) = scan_json(&[], d);
    let msgs = tf004(&r);
    assert_eq!(msgs.len(), 2, "{msgs:?}");
    assert!(msgs.iter().any(|m| m.contains("aws_s3_bucket.a")));
    assert_eq!(count(&r, "ignore-without-reason"), 1);
    assert_eq!(count(&r, "ignore-unused"), 1);
    assert_eq!(r["summary"]["suppressed_inline"], 1);

    // An unknown key in the section is a configuration error.
    write(d, "custos.toml", "[suppression]\nrequire_reasons = true\n");
    assert_eq!(code(&custos(&["scan"], d)), 2);
}

#[test]
fn fail_on_warn_quiet_and_several_outputs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    // A warning only: an unused ignore on a clean file.
    write(
        d,
        "values.yaml",
        "# custos:ignore TF004 -- nothing here\nreplicas: 2\n",
    );
    let o = custos(&["scan", "--no-config", "--quiet"], d);
    assert_eq!(code(&o), 0);
    assert_eq!(stdout(&o), "", "quiet and passing: nothing");
    let o = custos(&["scan", "--no-config", "--quiet", "--fail-on-warn"], d);
    assert_eq!(code(&o), 1);
    let out = stdout(&o);
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(
        out.starts_with("custos: 1 finding (1 low)")
            && out.contains("FAILED: 1 at or above low (warnings included)"),
        "{out}"
    );
    // Above the warning's severity, --fail-on-warn does not fail.
    let o = custos(
        &["scan", "--no-config", "--fail-on-warn", "--fail-on", "high"],
        d,
    );
    assert_eq!(code(&o), 0);

    // One run, several reports: human on stdout, JSON in two files (named and plain).
    let o = custos(
        &[
            "scan",
            "--no-config",
            "--output",
            "json=report.json",
            "-o",
            "json=again.json",
        ],
        d,
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stdout(&o).contains("custos: 1 finding"));
    for f in ["report.json", "again.json"] {
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(d.join(f)).expect("written"))
                .expect("json");
        assert_eq!(v["findings"][0]["rule_id"], "ignore-unused");
    }
    let o = custos(
        &[
            "scan",
            "--no-config",
            "--format",
            "json",
            "-o",
            "plain.json",
        ],
        d,
    );
    assert_eq!((code(&o), stdout(&o)), (0, String::new()));
    assert!(std::fs::read_to_string(d.join("plain.json"))
        .expect("plain")
        .starts_with('{'));
    // Mistakes are setup errors: an unknown format, two plain files, one file twice.
    for args in [
        &["--output", "nope=x.out"][..],
        &["-o", "a.out", "-o", "b.out"][..],
        &["-o", "json=same.json", "-o", "json=same.json"][..],
    ] {
        let mut all = vec!["scan", "--no-config"];
        all.extend_from_slice(args);
        let o = custos(&all, d);
        assert_eq!(code(&o), 2, "{args:?}: {}", stdout(&o));
    }
}

/// Split a shell command line into words (quotes removed; no expansion).
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut any = false;
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (None, '"' | '\'') => {
                quote = Some(c);
                any = true;
            }
            (None, c) if c.is_whitespace() => {
                if any || !cur.is_empty() {
                    words.push(std::mem::take(&mut cur));
                }
                any = false;
            }
            (_, c) => cur.push(c),
        }
    }
    if any || !cur.is_empty() {
        words.push(cur);
    }
    words
}

fn strings(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
        serde_json::Value::Object(m) => m.values().for_each(|x| strings(x, out)),
        _ => {}
    }
}

/// Every `custos …` command in a CI file's scripts, as words.
fn custos_commands(doc: &serde_json::Value) -> Vec<Vec<String>> {
    let mut all = Vec::new();
    strings(doc, &mut all);
    let mut cmds = Vec::new();
    for s in all {
        for line in s.replace("\\\n", " ").lines() {
            let words = shell_words(line.trim());
            if words.first().is_some_and(|w| w == "custos") {
                cmds.push(words);
            }
        }
    }
    cmds
}

fn yaml(rel: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(repo().join(rel)).expect("CI example");
    let parsed = custos::parse::parse(
        custos::parse::Syntax::Yaml,
        &text,
        &custos::parse::Limits::default(),
    )
    .expect("yaml parser");
    assert!(
        parsed.error.is_none(),
        "{rel}: {:?}",
        parsed.error.map(|e| e.message)
    );
    parsed.docs.into_iter().next().expect("a document").value
}

/// Check one command against the CLI: every flag is in `custos <sub> --help`, every format is
/// a known one. Returns the files named by `--output FORMAT=FILE`, by format.
fn check_command(words: &[String]) -> std::collections::BTreeMap<String, String> {
    let mut outputs = std::collections::BTreeMap::new();
    let Some(sub) = words.get(1).filter(|w| !w.starts_with('-')) else {
        return outputs;
    };
    let help = stdout(&custos(&[sub, "--help"], &repo()));
    let formats: Vec<&str> = custos::render::names();
    let mut it = words.iter().skip(2).peekable();
    while let Some(w) = it.next() {
        if !w.starts_with('-') {
            continue;
        }
        let (flag, inline) = match w.split_once('=') {
            Some((f, v)) => (f, Some(v.to_owned())),
            None => (w.as_str(), None),
        };
        let listed = help
            .split(|c: char| c.is_whitespace() || c == ',')
            .any(|t| t == flag);
        assert!(
            listed,
            "`{}`: {flag} is not a flag of `custos {sub}`",
            words.join(" ")
        );
        if matches!(flag, "--output" | "-o" | "--format" | "-f") {
            let value = inline.or_else(|| it.next().cloned()).expect("a value");
            let format = if flag.contains('f') {
                Some(value.as_str())
            } else {
                value.split_once('=').map(|(f, _)| f)
            };
            if let Some(f) = format {
                assert!(
                    formats.contains(&f),
                    "`{}`: unknown format {f}",
                    words.join(" ")
                );
                if let Some((_, file)) = value.split_once('=') {
                    outputs.insert(f.to_owned(), file.to_owned());
                }
            }
        }
    }
    outputs
}

#[test]
fn ci_examples_use_flags_and_formats_that_exist() {
    // GitHub: pinned actions, code-scanning permission, SARIF uploaded, Markdown summarised.
    let gh = yaml("docs/ci/github-pr-gate.yml");
    let job = &gh["jobs"]["custos"];
    assert_eq!(job["permissions"]["security-events"], "write");
    let steps = job["steps"].as_array().expect("steps");
    for s in steps {
        if let Some(uses) = s["uses"].as_str() {
            let (_, rev) = uses.split_once('@').expect("a pinned action");
            assert!(
                rev.len() == 40 && rev.bytes().all(|b| b.is_ascii_hexdigit()),
                "not pinned to a SHA: {uses}"
            );
        }
    }
    let cmds = custos_commands(&gh);
    assert!(
        cmds.iter().any(|c| c.get(1).is_some_and(|s| s == "scan")),
        "{cmds:?}"
    );
    let mut outputs = std::collections::BTreeMap::new();
    for c in &cmds {
        outputs.extend(check_command(c));
    }
    let sarif = outputs.get("sarif").expect("a SARIF output");
    let upload = steps
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("github/codeql-action/upload-sarif@"))
        })
        .expect("an upload-sarif step");
    assert_eq!(upload["with"]["sarif_file"].as_str(), Some(sarif.as_str()));
    let md = outputs.get("markdown").expect("a Markdown output");
    assert!(steps.iter().any(|s| s["run"]
        .as_str()
        .is_some_and(|r| r.contains(md.as_str()) && r.contains("$GITHUB_STEP_SUMMARY"))));

    // GitLab: the Code Quality and JUnit reports are the files custos writes.
    let gl = yaml("docs/ci/gitlab-ci.yml");
    let job = &gl["custos"];
    let mut outputs = std::collections::BTreeMap::new();
    let cmds = custos_commands(job);
    assert!(
        cmds.iter().any(|c| c.get(1).is_some_and(|s| s == "scan")),
        "{cmds:?}"
    );
    for c in &cmds {
        outputs.extend(check_command(c));
    }
    let reports = &job["artifacts"]["reports"];
    assert_eq!(
        reports["codequality"].as_str(),
        outputs.get("gitlab").map(String::as_str)
    );
    assert_eq!(
        reports["junit"].as_str(),
        outputs.get("junit").map(String::as_str)
    );
    assert_eq!(job["artifacts"]["when"], "always");

    // The checker itself catches a flag that does not exist.
    let bogus =
        std::panic::catch_unwind(|| check_command(&shell_words("custos scan . --fail-on-typo")));
    assert!(bogus.is_err());
}
