//! Bundled rules on large valid documents: a JSON array of tens of thousands of objects is
//! evaluated (its findings are exactly the planted ones, and no rule raises `policy-error`),
//! with the rules' prefilters on and off; and when a rule does fail on a document, its
//! `policy-error` silences nothing else. The documents are generated here, not committed.
//! Nothing here measures time: the time limit is raised so that a slow debug build cannot
//! turn a correct evaluation into a `policy-error`, except in the test of that error itself.

mod common;

use std::fmt::Write as _;
use std::time::Duration;

use custos::config::Config;
use custos::document::{Document, LineIndex};
use custos::parse::{self, Limits, Syntax};
use custos::policy::{PolicySet, PolicySources};

/// More objects than CFG001 could evaluate within its time limit before it walked the
/// input once (about 40,000 in a release build).
const OBJECTS: usize = 50_000;

/// Indices of the objects whose `db_password` is a literal; the others hold a reference.
const PLANTED: [usize; 3] = [7, 24_999, OBJECTS - 1];

/// A JSON array of `OBJECTS` objects; with `credentials`, each has a `db_password`.
fn big_array(credentials: bool) -> String {
    let mut s = String::from("[\n");
    for i in 0..OBJECTS {
        let sep = if i + 1 == OBJECTS { "" } else { "," };
        if !credentials {
            let _ = writeln!(s, "{{\"name\": \"item{i:07}\", \"enabled\": true}}{sep}");
        } else if PLANTED.contains(&i) {
            let _ = writeln!(
                s,
                "{{\"name\": \"item{i:07}\", \"db_password\": \"Planted-{i}-Pw9x\"}}{sep}"
            );
        } else {
            let _ = writeln!(
                s,
                "{{\"name\": \"item{i:07}\", \"db_password\": \"${{DB_PASSWORD}}\"}}{sep}"
            );
        }
    }
    s.push_str("]\n");
    s
}

/// (rule id, JSON pointer) of every finding of the bundled rules on `source` as `items.json`.
fn evaluate(source: &str, prefilters: bool) -> Vec<(String, Option<String>)> {
    let sources = PolicySources {
        include_bundled: true,
        dirs: vec![],
        include_tests: false,
        kinds: None,
    };
    // Generous: the debug build is many times slower than a release one.
    let mut set = PolicySet::load(&sources, &serde_json::json!({}), Duration::from_secs(600))
        .expect("policies load");
    set.set_prefilters(prefilters);
    let config = Config::defaults(common::repo());
    let parsed = parse::parse(Syntax::Json, source, &Limits::default()).expect("parses");
    let lines = LineIndex::new(source);
    let mut ev = set.worker();
    let mut out = Vec::new();
    for (index, d) in parsed.docs.into_iter().enumerate() {
        let doc = Document {
            path: "items.json".to_owned(),
            kind: custos::document::Kind::Json,
            index,
            input: d.value,
            spans: d.spans,
        };
        out.extend(
            ev.evaluate(&doc, source, &lines, &config)
                .into_iter()
                .map(|f| (f.rule_id, f.pointer)),
        );
    }
    out.sort();
    out
}

#[test]
fn a_large_json_array_gets_exactly_its_planted_credential_findings() {
    let source = big_array(true);
    let expected: Vec<(String, Option<String>)> = PLANTED
        .iter()
        .map(|i| ("CFG001".to_owned(), Some(format!("/{i}/db_password"))))
        .collect();
    let mut expected = expected;
    expected.sort();
    for prefilters in [true, false] {
        assert_eq!(
            evaluate(&source, prefilters),
            expected,
            "prefilters: {prefilters}"
        );
    }
}

#[test]
fn a_large_json_array_without_credentials_has_no_findings() {
    let source = big_array(false);
    for prefilters in [true, false] {
        assert_eq!(
            evaluate(&source, prefilters),
            Vec::new(),
            "prefilters: {prefilters}"
        );
    }
}

/// A rule that fails on a document (here: CFG001 on the large array, given one millisecond)
/// is reported as `policy-error`, and everything else is still found: the detectors' findings
/// in that file and in the others. (Other rules may fail too within one millisecond; which
/// ones depends on the machine, so only the detectors' findings are asserted.)
#[test]
fn a_policy_error_silences_no_other_finding() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut source = big_array(true);
    // A secret in a format the detectors know, under a key CFG001 does not read.
    source.insert_str(2, "{\"note\": \"AKIA2E0A8F3B244C9X7Q\"},\n");
    std::fs::write(dir.path().join("items.json"), source).expect("write");
    std::fs::write(
        dir.path().join("pod.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n    note: AKIA2E0A8F3B244C9X7R\nspec:\n  containers:\n    - name: app\n      image: app:1\n      env:\n        - name: DB_PASSWORD\n          value: Planted-Pod-Pw9x\n",
    )
    .expect("write");
    let (_, report, _) = common::scan_json(
        &["--no-config", "--policy-timeout-ms", "1", "."],
        dir.path(),
    );
    let findings = report["findings"].as_array().expect("findings");
    let detected = |path: &str| {
        findings.iter().any(|f| {
            f["path"].as_str().is_some_and(|p| p.ends_with(path))
                && f["rule_id"].as_str().is_some_and(|r| r.starts_with("SEC"))
        })
    };
    assert!(
        findings.iter().any(|f| f["rule_id"] == "policy-error"
            && f["path"]
                .as_str()
                .is_some_and(|p| p.ends_with("items.json"))
            && f["message"].as_str().is_some_and(|m| m.contains("CFG001"))),
        "{findings:#?}"
    );
    assert!(detected("items.json"), "{findings:#?}");
    assert!(detected("pod.yaml"), "{findings:#?}");
}
