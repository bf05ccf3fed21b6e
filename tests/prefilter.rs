//! The native prefilters of bundled rules (src/policy/prefilter.rs) skip a rule only where it
//! cannot fire: every document here gets exactly the same findings with prefilters on and off.
//!
//! Three corpora: every structured fixture of the checkout, the generated scan corpus
//! (scripts/gen-scan-corpus.py, as the benchmark scans it), and one document per (key, value,
//! shape) combination of CFG001 — credential-named and other keys, literal, placeholder and
//! template values, in each shape the rule reads — so that every decision of the prefilter is
//! compared with the rule's on its own.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use custos::config::Config;
use custos::document::{Document, Kind, LineIndex};
use custos::finding::Finding;
use custos::parse::{self, Limits, Syntax};
use custos::policy::{PolicySet, PolicySources};
use serde_json::{json, Value};

fn load(prefilters: bool) -> PolicySet {
    let sources = PolicySources {
        include_bundled: true,
        dirs: vec![],
        include_tests: false,
        kinds: None,
    };
    // Generous: this test compares results, and the debug build on a busy machine is slow.
    let mut set = PolicySet::load(&sources, &json!({}), Duration::from_secs(300)).expect("load");
    set.set_prefilters(prefilters);
    set
}

/// What a finding says, comparable across runs.
fn shown(findings: &[Finding]) -> Vec<String> {
    let mut v: Vec<String> = findings
        .iter()
        .map(|f| {
            format!(
                "{} {:?} {} {:?} {:?} {}",
                f.rule_id, f.span, f.path, f.pointer, f.severity, f.message
            )
        })
        .collect();
    v.sort();
    v
}

/// (path, kind, source, documents) of every structured fixture.
fn fixtures(root: &Path) -> Vec<(String, Kind, String, Vec<Document>)> {
    let config = Config::defaults(root.to_path_buf());
    let limits = Limits::default();
    let mut out = Vec::new();
    for entry in walkdir::WalkDir::new(root.join("fixtures")).sort_by_file_name() {
        let entry = entry.expect("walk fixtures");
        if !entry.file_type().is_file() {
            continue;
        }
        let Ok(source) = std::fs::read_to_string(entry.path()) else {
            continue;
        };
        let rel = entry.path().strip_prefix(root).expect("in repo");
        let (kind, syntax) = custos::discover::classify(rel, &source, &config);
        if syntax == Syntax::Text {
            continue;
        }
        let Some(parsed) = parse::parse(syntax, &source, &limits) else {
            continue;
        };
        let path = rel.display().to_string();
        let docs = parsed
            .docs
            .into_iter()
            .enumerate()
            .map(|(index, d)| Document {
                path: path.clone(),
                kind,
                index,
                input: d.value,
                spans: d.spans,
            })
            .collect();
        out.push((path, kind, source, docs));
    }
    out
}

#[test]
fn fixture_documents_get_the_same_findings_with_and_without_prefilters() {
    let root = common::repo();
    let config = Config::defaults(root.clone());
    let (on, off) = (load(true), load(false));
    let (mut with, mut without) = (on.worker(), off.worker());
    let mut compared = 0;
    let mut cfg001 = 0;
    for (path, _, source, docs) in fixtures(&root) {
        let lines = LineIndex::new(&source);
        for doc in &docs {
            let a = shown(&with.evaluate(doc, &source, &lines, &config));
            let b = shown(&without.evaluate(doc, &source, &lines, &config));
            assert_eq!(a, b, "{path} (document {})", doc.index);
            compared += 1;
            cfg001 += b.iter().filter(|f| f.starts_with("CFG001 ")).count();
        }
    }
    assert!(compared > 200, "only {compared} fixture documents");
    assert!(cfg001 > 10, "only {cfg001} CFG001 findings in the fixtures");
}

/// `metadata.reads` is a promise: the rule reads no other top-level member of its input. For
/// every bundled rule that makes it, every fixture document of the rule's kinds gets the same
/// findings of that rule when only the declared members are left (with prefilters off, so that
/// the rule is evaluated on both); and rules declaring it exist (a test over none passes).
#[test]
fn bundled_rules_read_only_the_members_they_declare() {
    let root = common::repo();
    let config = Config::defaults(root.clone());
    let set = load(false);
    let declared: Vec<(String, Vec<Kind>, Vec<String>)> = set
        .rules()
        .filter(|r| r.bundled && !r.reads.is_empty())
        .map(|r| (r.id.clone(), r.kinds.clone(), r.reads.clone()))
        .collect();
    assert!(declared.len() >= 10, "{declared:?}");
    let mut ev = set.worker();
    let (mut compared, mut fired) = (0, 0);
    for (path, kind, source, docs) in fixtures(&root) {
        let lines = LineIndex::new(&source);
        for doc in &docs {
            let Value::Object(members) = &doc.input else {
                continue;
            };
            let whole = ev.evaluate(doc, &source, &lines, &config);
            for (id, _, reads) in declared.iter().filter(|d| d.1.contains(&kind)) {
                let kept: serde_json::Map<String, Value> = members
                    .iter()
                    .filter(|(k, _)| reads.contains(k))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                let only = Document {
                    input: Value::Object(kept),
                    ..doc.clone()
                };
                let of = |fs: &[Finding]| -> Vec<String> {
                    shown(fs)
                        .into_iter()
                        .filter(|f| f.starts_with(&format!("{id} ")))
                        .collect()
                };
                let a = of(&whole);
                let b = of(&ev.evaluate(&only, &source, &lines, &config));
                assert_eq!(a, b, "{id} on {path} (document {})", doc.index);
                compared += 1;
                fired += a.len();
            }
        }
    }
    assert!(compared > 100, "only {compared} comparisons");
    assert!(
        fired > 20,
        "only {fired} findings of rules that declare `reads`"
    );
}

/// A rule that declares `reads` is not evaluated on a document without those members (its
/// `deny` would fire on any document), and is evaluated on one with them.
#[test]
fn a_rule_is_skipped_where_none_of_the_members_it_reads_exist() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("r.rego"),
        r#"package acme.always
import rego.v1
metadata := {"id": "ACME-READS", "severity": "low", "kinds": ["json"], "reads": ["resource"]}
deny contains "fires on every document it is evaluated on"
"#,
    )
    .expect("write rule");
    // User policies are evaluated in a custos worker process; this harness is not custos.
    std::env::set_var("CUSTOS_POLICY_WORKER", env!("CARGO_BIN_EXE_custos"));
    let sources = PolicySources {
        include_bundled: false,
        dirs: vec![dir.path().to_path_buf()],
        include_tests: false,
        kinds: None,
    };
    let config = Config::defaults(dir.path().to_path_buf());
    for (prefilters, input, fires) in [
        (true, json!({"variable": {"a": {}}}), false),
        (true, json!({"resource": {}, "variable": {}}), true),
        (true, json!(["not", "an", "object"]), true),
        (false, json!({"variable": {"a": {}}}), true),
    ] {
        let mut set =
            PolicySet::load(&sources, &json!({}), Duration::from_secs(60)).expect("load rule");
        set.set_prefilters(prefilters);
        let doc = Document {
            path: "x.json".into(),
            kind: Kind::Json,
            index: 0,
            input: input.clone(),
            spans: custos::document::SpanMap::new(),
        };
        let found = set
            .worker()
            .evaluate(&doc, "", &LineIndex::new(""), &config);
        assert_eq!(
            found.iter().any(|f| f.rule_id == "ACME-READS"),
            fires,
            "prefilters {prefilters}, input {input}: {found:?}"
        );
    }
}

#[test]
fn the_generated_scan_corpus_gets_the_same_findings_with_and_without_prefilters() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = std::process::Command::new("python3")
        .arg(common::repo().join("scripts/gen-scan-corpus.py"))
        .args(["--files", "400", "--plant-every", "2", "--out"])
        .arg(dir.path())
        .output()
        .expect("python3 runs scripts/gen-scan-corpus.py");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let config = Config::defaults(dir.path().to_path_buf());
    let roots: Vec<PathBuf> = vec![dir.path().to_path_buf()];
    let scan = |set: &PolicySet| {
        let report =
            custos::scan::run(&roots, &config, set, &Limits::default()).expect("scan runs");
        shown(&report.findings)
    };
    let (a, b) = (scan(&load(true)), scan(&load(false)));
    assert_eq!(a, b);
    // The planted problems are found (a scan that found nothing would compare equal too).
    assert!(a.iter().any(|f| f.starts_with("K8S001 ")), "{a:#?}");
    assert!(a.iter().any(|f| f.starts_with("TF010 ")), "{a:#?}");
}

/// Keys around the edges of CFG001's name patterns and their exceptions.
const KEYS: &[&str] = &[
    "password",
    "PASSWORD",
    "db_password",
    "DB_PASSWORD",
    "dbPass",
    "dbPwd",
    "FTP_PASS",
    "pass",
    "passwd",
    "passphrase",
    "secret",
    "client_secret",
    "token",
    "api_key",
    "apiKey",
    "API-KEY",
    "api.key",
    "private_key",
    "access_key",
    "secret_key",
    "jwt_key",
    "signing_key",
    "hmac_key",
    "credentials",
    "credential",
    "next_page_token",
    "nextPageToken",
    "eos_token",
    "client_token",
    "ClientToken",
    "allow_empty_password",
    "ALLOW_EMPTY_PASSWORD",
    "allowEmptyPassword",
    "password_hash",
    "hashedPassword",
    "existingSecret",
    "passwordSecret",
    "userSecretKey",
    "password_file",
    "bypass",
    "compass",
    "Passport",
    "name",
    "value",
    "key",
    "keys",
    "token_limit",
    "secrets",
    "ПАРОЛЬ_password",
    "İpassword",
];

/// Values around the edges of the literal judgement.
const VALUES: &[&str] = &[
    "hunter2-Literal-9x",
    "s3cr3t",
    "",
    "   ",
    " \t",
    "${DB_PASSWORD}",
    "{{ .Values.pw }}",
    "$(PW)",
    "$PW",
    "%(pw)s",
    "<your-token>",
    "xxxx",
    "****",
    "changeme",
    "CHANGEME",
    "DB_PASSWORD",
    "db-password",
    "vault:secret/data/db",
    "arn:aws:secretsmanager:x",
    "/run/secrets/db",
    "./pw.txt",
    "true",
    "no",
    "write",
    "password",
    "Forgot your password?",
    "sk-XXXXXXXXXXXXXXXXXXXX",
    "ENC[AES256_GCM,data:abc]",
    " padded-Literal-1 ",
    "\u{a0}nbsp-Literal\u{a0}",
    "\u{85}",
    "T00000000?token=XXXXXXXX",
    "%s",
    "{0}",
];

/// One document per (shape, key, value): a mapping entry, a long-form variable, a
/// `{name, value}` pair, a `KEY=value` list entry, and the same under a skipped ancestor.
fn pair_documents() -> Vec<Value> {
    let mut docs = Vec::new();
    for k in KEYS {
        for v in VALUES {
            docs.push(json!({ "config": { *k: v } }));
            docs.push(json!({ "variables": { *k: { "value": v, "description": "d" } } }));
            docs.push(
                json!({ "containerDefinitions": [{ "environment": [{ "name": k, "value": v }] }] }),
            );
            docs.push(json!({ "services": { "app": { "environment": [format!("{k}={v}")] } } }));
            docs.push(json!({ "dependencies": { *k: v } }));
        }
        // Numbers count for password-named keys.
        docs.push(json!({ "config": { *k: 12_345_678 } }));
        docs.push(json!({ "config": { *k: 7 } }));
        docs.push(json!({ "config": { *k: { "value": 12_345 } } }));
        docs.push(json!([{ "name": k, "value": 98_765 }]));
        docs.push(json!({ *k: null, "nested": [[{ *k: true }]] }));
    }
    docs
}

#[test]
fn every_credential_pair_gets_the_same_findings_with_and_without_prefilters() {
    let config = Config::defaults(common::repo());
    let (on, off) = (load(true), load(false));
    let (mut with, mut without) = (on.worker(), off.worker());
    let lines = LineIndex::new("");
    let mut fired = 0;
    let mut docs = 0;
    for (i, input) in pair_documents().into_iter().enumerate() {
        for kind in [Kind::Json, Kind::DockerCompose, Kind::Kubernetes] {
            let doc = Document {
                path: format!("pair{i}.json"),
                kind,
                index: 0,
                input: input.clone(),
                spans: custos::document::SpanMap::default(),
            };
            let a = shown(&with.evaluate(&doc, "", &lines, &config));
            let b = shown(&without.evaluate(&doc, "", &lines, &config));
            assert_eq!(a, b, "{kind:?} {input}");
            docs += 1;
            if b.iter().any(|f| f.starts_with("CFG001 ")) {
                fired += 1;
            }
        }
    }
    // Both sides of the boundary are reached.
    assert!(
        fired > 100,
        "CFG001 fired on only {fired} of {docs} documents"
    );
    assert!(
        docs - fired > 1000,
        "CFG001 fired on {fired} of {docs} documents"
    );
}
