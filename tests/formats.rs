//! The CI output formats (`gitlab`, `gitlab-sast`, `github`, `markdown`, `tap`, `table`):
//! golden files over the demo repository, GitLab's SAST schema, counts that agree with the
//! JSON report, findings counted but not listed and notes shown by every format, clean runs,
//! and no planted secret in any of them.

mod common;

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use common::{code, repo, scan_json, stderr, stdout, PLANTED};

/// The formats this file covers.
const FORMATS: &[&str] = &[
    "gitlab",
    "gitlab-sast",
    "github",
    "markdown",
    "tap",
    "table",
];

/// Run `custos` with a fixed clock and no colour, so that outputs are byte-for-byte stable.
fn run(args: &[&str], cwd: &Path) -> Output {
    let o = Command::new(env!("CARGO_BIN_EXE_custos"))
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .env("SOURCE_DATE_EPOCH", "1767225600")
        .env_remove("CI")
        .output()
        .expect("run custos");
    let err = stderr(&o);
    assert!(!err.contains("panicked"), "custos panicked: {err}");
    o
}

fn scan(format: &str, extra: &[&str], cwd: &Path) -> (i32, String) {
    let mut args = vec!["scan", "--format", format];
    args.extend_from_slice(extra);
    let o = run(&args, cwd);
    (code(&o), stdout(&o))
}

fn demo(format: &str) -> String {
    let (c, out) = scan(format, &["fixtures/demo", "--color", "never"], &repo());
    assert_eq!(c, 1, "the demo fails its gate in every format ({format})");
    out
}

#[test]
fn every_format_is_registered_and_listed_in_help() {
    let o = run(&["scan", "--help"], &repo());
    let help = stdout(&o);
    for f in FORMATS {
        assert!(help.contains(f), "--help does not list {f}: {help}");
    }
}

#[test]
fn golden_gitlab() {
    insta::assert_snapshot!("demo_gitlab", demo("gitlab"));
}

#[test]
fn golden_gitlab_sast() {
    insta::assert_snapshot!("demo_gitlab_sast", demo("gitlab-sast"));
}

#[test]
fn golden_github() {
    insta::assert_snapshot!("demo_github", demo("github"));
}

#[test]
fn golden_markdown() {
    insta::assert_snapshot!("demo_markdown", demo("markdown"));
}

#[test]
fn golden_tap() {
    insta::assert_snapshot!("demo_tap", demo("tap"));
}

#[test]
fn golden_table() {
    insta::assert_snapshot!("demo_table", demo("table"));
}

#[test]
fn outputs_are_deterministic() {
    for f in FORMATS {
        assert_eq!(demo(f), demo(f), "{f} differs between two runs");
    }
}

fn sast_validator() -> jsonschema::Validator {
    let path = repo().join("tests/vectors/schemas-gitlab/sast-report-format-15.0.7.json");
    let schema: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(path).expect("read schema")).expect("schema");
    jsonschema::validator_for(&schema).expect("compile schema")
}

fn assert_valid_sast(report: &serde_json::Value) {
    let v = sast_validator();
    let errors: Vec<String> = v
        .iter_errors(report)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "schema errors: {errors:#?}");
}

#[test]
fn gitlab_sast_is_valid_against_gitlabs_schema() {
    let report: serde_json::Value = serde_json::from_str(&demo("gitlab-sast")).unwrap();
    assert_valid_sast(&report);
    assert_eq!(report["version"], "15.0.7");
    assert_eq!(report["scan"]["type"], "sast");
    assert_eq!(report["scan"]["start_time"], "2026-01-01T00:00:00");
    // The validator is not vacuous: a report with a wrong severity is rejected.
    let mut bad = report.clone();
    bad["vulnerabilities"][0]["severity"] = "critical".into();
    assert!(!sast_validator().is_valid(&bad));
    let mut bad = report;
    bad["scan"]["start_time"] = "2026-01-01T00:00:00Z".into();
    assert!(!sast_validator().is_valid(&bad));
}

#[test]
fn gitlab_code_quality_has_the_fields_gitlab_reads() {
    let issues: serde_json::Value = serde_json::from_str(&demo("gitlab")).unwrap();
    let issues = issues.as_array().expect("a JSON array");
    let (_, json, _) = scan_json(&["fixtures/demo"], &repo());
    assert_eq!(issues.len(), json["findings"].as_array().unwrap().len());
    let mut fingerprints = BTreeSet::new();
    for i in issues {
        for key in ["description", "check_name", "fingerprint", "severity"] {
            assert!(i[key].as_str().is_some_and(|s| !s.is_empty()), "{key}: {i}");
        }
        assert!(["info", "minor", "major", "critical", "blocker"]
            .contains(&i["severity"].as_str().unwrap()));
        assert!(i["location"]["path"].as_str().is_some());
        assert!(i["location"]["lines"]["begin"].as_u64().unwrap() >= 1);
        assert_eq!(i["categories"][0], "Security");
        assert!(fingerprints.insert(i["fingerprint"].as_str().unwrap().to_owned()));
    }
}

#[test]
fn counts_agree_with_the_json_report() {
    let (_, json, _) = scan_json(&["fixtures/demo"], &repo());
    let n = json["findings"].as_array().unwrap().len();
    assert_eq!(Some(n as u64), json["summary"]["findings"].as_u64());
    let github = demo("github");
    assert_eq!(
        github
            .lines()
            .filter(|l| l.starts_with("::error ") || l.starts_with("::warning "))
            .count(),
        n
    );
    assert!(github
        .lines()
        .last()
        .unwrap()
        .starts_with("::notice title=custos::custos: 18 findings"));
    let tap = demo("tap");
    assert!(tap.contains(&format!("\n1..{n}\n")));
    assert_eq!(tap.lines().filter(|l| l.starts_with("not ok ")).count(), n);
    let table = demo("table");
    assert_eq!(table.lines().count(), 1 + n + 1 + 1);
    let md = demo("markdown");
    assert_eq!(
        md.lines()
            .filter(|l| l.starts_with("| ") && l.contains(" | `"))
            .count(),
        n
    );
    let sast: serde_json::Value = serde_json::from_str(&demo("gitlab-sast")).unwrap();
    assert_eq!(sast["vulnerabilities"].as_array().unwrap().len(), n);
}

/// A repository with a log over the listing cap (findings counted but not listed) and a file
/// over `--max-file-size` (a note).
fn capped_repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut log = String::new();
    for i in 0..1005 {
        let _ = writeln!(
            log,
            "{{\"level\":\"info\",\"msg\":\"signup\",\"email\":\"maria.rossi{i}@globex-mail.com\"}}"
        );
    }
    fs::write(dir.path().join("app.jsonl"), log).unwrap();
    fs::write(
        dir.path().join("big.yaml"),
        format!("key: {}\n", "x".repeat(400)),
    )
    .unwrap();
    dir
}

#[test]
fn every_format_shows_unlisted_counts_and_notes() {
    let dir = capped_repo();
    let args = [".", "--no-config", "--max-file-size", "200"];
    let (_, json, _) = scan_json(&args, dir.path());
    let unlisted = json["unlisted"].as_array().unwrap();
    assert_eq!(unlisted.len(), 1, "{:#?}", json["unlisted"]);
    let count = unlisted[0]["count"].as_u64().unwrap();
    let rule = unlisted[0]["rule_id"].as_str().unwrap();
    assert_eq!(count, 5);
    assert!(json["notes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n["path"] == "big.yaml"));

    let out = |f: &str| scan(f, &args, dir.path()).1;

    let gl: serde_json::Value = serde_json::from_str(&out("gitlab")).unwrap();
    let gl = gl.as_array().unwrap();
    assert!(gl.iter().any(|i| i["check_name"] == rule
        && i["description"]
            .as_str()
            .unwrap()
            .contains("5 more findings")));
    assert!(gl
        .iter()
        .any(|i| i["check_name"] == "custos-note" && i["location"]["path"] == "big.yaml"));
    let fps: BTreeSet<&str> = gl
        .iter()
        .map(|i| i["fingerprint"].as_str().unwrap())
        .collect();
    assert_eq!(fps.len(), gl.len(), "fingerprints are unique");

    let sast: serde_json::Value = serde_json::from_str(&out("gitlab-sast")).unwrap();
    assert_valid_sast(&sast);
    assert!(sast["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .any(|v| v["description"]
            .as_str()
            .unwrap()
            .starts_with("5 more findings")));
    let messages = sast["scan"]["messages"].as_array().unwrap();
    assert!(messages
        .iter()
        .any(|m| m["value"].as_str().unwrap().starts_with("big.yaml: ")));
    let ids: BTreeSet<&str> = sast["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), sast["vulnerabilities"].as_array().unwrap().len());

    let gh = out("github");
    assert!(gh.contains("file=app.jsonl,title="), "{gh}");
    assert!(gh.contains("::5 more findings counted but not listed in this file"));
    assert!(gh.contains("::notice file=big.yaml,title=custos%3A note::skipped"));
    assert!(gh.contains("1000 listed, 5 counted but not listed"));

    let md = out("markdown");
    assert!(md.contains("**Counted but not listed**"));
    assert!(
        md.contains(&format!("| `{rule}` |")) && md.contains("| `app.jsonl` | 5 |"),
        "{md}"
    );
    assert!(
        md.contains("**Notes**") && md.contains("- `big.yaml`: skipped"),
        "{md}"
    );
    assert!(md.contains("and 950 more findings not shown"), "{md}");

    let tap = out("tap");
    assert!(tap.contains("\n1..1001\n"));
    assert!(tap.contains("5 findings counted but not listed"));
    assert!(tap.contains("\n# note: big.yaml: skipped"));

    let table = out("table");
    assert!(table.contains("counted but not listed"));
    assert!(table.contains("app.jsonl  5 ×"), "{table}");
    assert!(table.contains("note: big.yaml: skipped"));

    for f in FORMATS {
        let o = out(f);
        for i in [0, 7, 1004] {
            let email = format!("maria.rossi{i}@globex-mail.com");
            assert!(!o.contains(&email), "{f} printed {email}");
        }
    }
}

#[test]
fn every_format_names_the_other_places_of_a_folded_finding() {
    // A value under a YAML anchor, merged into several services: one finding with its other
    // places (see tests/duplicates.rs).
    let dir = tempfile::tempdir().unwrap();
    let mut compose =
        String::from("x-env: &shared-env\n  DB_PASSWORD: \"Zq8vT2mWx9Lk4Rb7\"\nservices:\n");
    for i in 0..3 {
        let _ = write!(
            compose,
            "  svc{i}:\n    image: app\n    environment:\n      <<: *shared-env\n"
        );
    }
    fs::write(dir.path().join("docker-compose.yml"), compose).unwrap();
    let args = [".", "--no-config"];
    for f in FORMATS {
        let (_, o) = scan(f, &args, dir.path());
        assert!(o.contains("also at via /services/svc0/"), "{f}: {o}");
        assert!(!o.contains("Zq8vT2mWx9Lk4Rb7"), "{f} printed the secret");
    }
    let (_, tap) = scan("tap", &args, dir.path());
    assert!(tap.contains("  occurrences: 4\n"), "{tap}");
}

#[test]
fn a_clean_run_passes_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("ok.yaml"), "name: fine\n").unwrap();
    let args = [".", "--no-config", "--fail-on", "medium"];
    let out = |f: &str| {
        let (c, o) = scan(f, &args, dir.path());
        assert_eq!(c, 0, "{f}: {o}");
        o
    };
    assert_eq!(out("gitlab").trim(), "[]");
    let sast: serde_json::Value = serde_json::from_str(&out("gitlab-sast")).unwrap();
    assert_valid_sast(&sast);
    assert_eq!(sast["vulnerabilities"].as_array().unwrap().len(), 0);
    assert_eq!(
        out("github").trim(),
        "::notice title=custos::custos: 0 findings in 1 file; passed (fail-on medium)"
    );
    assert!(out("markdown").starts_with("## custos: passed (fail-on medium)\n"));
    assert!(out("tap").starts_with("TAP version 14\n1..1\nok 1 - no findings\n"));
    assert_eq!(
        out("table").trim(),
        "custos: 0 findings in 1 file; passed (fail-on medium)"
    );
}

#[test]
fn table_colours_only_when_asked() {
    let (_, plain) = scan("table", &["fixtures/demo"], &repo());
    assert!(
        !plain.contains('\u{1b}'),
        "no escape codes when not a terminal"
    );
    let (_, never) = scan("table", &["fixtures/demo", "--color", "never"], &repo());
    assert_eq!(plain, never);
    let (_, always) = scan("table", &["fixtures/demo", "--color", "always"], &repo());
    assert!(always.contains("\u{1b}[1;31mcritical"));
}

#[test]
fn no_format_prints_a_planted_secret() {
    let targets: [&[&str]; 3] = [
        &["fixtures/rules", "--config", "fixtures/rules/custos.toml"],
        &["fixtures/demo"],
        &["fixtures/labelled", "--no-config"],
    ];
    for target in targets {
        // Colour changes only the table; the other formats run once.
        let runs = FORMATS
            .iter()
            .map(|f| (*f, "never"))
            .chain([("table", "always")]);
        for (f, color) in runs {
            {
                let mut args = vec!["scan", "--format", f, "--color", color];
                args.extend_from_slice(target);
                let o = run(&args, &repo());
                let all = format!("{}{}", stdout(&o), stderr(&o));
                assert!(
                    all.contains("CFG001") || all.contains("TF001") || all.contains("PII001"),
                    "scan found nothing: {args:?}"
                );
                for s in PLANTED {
                    assert!(!all.contains(s), "{args:?} printed the secret {s}");
                }
            }
        }
    }
}
