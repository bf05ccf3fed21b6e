//! Public conftest policy packs' own tests under `custos policy test` (compat/policy_packs.py
//! runs the packs themselves): one fixture per class of difference between regorus 0.14 and
//! OPA those packs ran into, written for custos under `fixtures/conftest/packs/`. Every
//! `test_*` rule there holds under OPA, and each class failed here before custos closed it
//! (docs/rego-compatibility.md).

mod common;

use std::path::PathBuf;

use common::{code, custos, repo, stderr};

fn dir(case: &str) -> PathBuf {
    repo().join("fixtures/conftest/packs").join(case)
}

/// `custos policy test --format json -p <case>/policy`: (exit code, [(test, outcome, detail)]).
fn policy_test(case: &str) -> (i32, Vec<(String, String, String)>) {
    let o = custos(
        &[
            "policy",
            "test",
            "--no-config",
            "--format",
            "json",
            "-p",
            "policy",
        ],
        &dir(case),
    );
    let err = stderr(&o);
    assert!(!err.contains("panicked"), "{err}");
    let report: serde_json::Value =
        serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("json: {e}\n{err}"));
    let mut tests: Vec<(String, String, String)> = report["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .filter(|c| c["id"] == "policy-test")
        .map(|c| {
            let evidence: std::collections::BTreeMap<String, String> =
                serde_json::from_value::<Vec<(String, String)>>(c["evidence"].clone())
                    .unwrap_or_default()
                    .into_iter()
                    .collect();
            (
                c["subject"].as_str().unwrap_or_default().to_owned(),
                evidence.get("outcome").cloned().unwrap_or_default(),
                evidence.get("detail").cloned().unwrap_or_default(),
            )
        })
        .collect();
    tests.sort();
    (code(&o), tests)
}

/// Every test of the case passes, and there are `count` of them.
fn all_pass(case: &str, count: usize) {
    let (rc, tests) = policy_test(case);
    let failed: Vec<_> = tests.iter().filter(|t| t.1 != "pass").collect();
    assert!(failed.is_empty(), "{case}: {failed:#?}");
    assert_eq!(tests.len(), count, "{case}: {tests:#?}");
    assert_eq!(rc, 0, "{case}");
}

#[test]
fn references_through_an_import_alias_evaluate_only_the_rule_named() {
    // A package importing itself (`import data.shapes` in `package shapes`) was reported
    // as recursion, and an alias into a package with a failing rule failed every reference.
    all_pass("import-alias", 3);
}

#[test]
fn unifying_a_variable_with_its_own_index_iterates_the_collection() {
    // `x = s[x]` and `s[x] = x` (regorus: `var x is unsafe`).
    all_pass("self-index", 3);
}

#[test]
fn sprintf_formats_extra_arguments_and_floats_as_go_does() {
    all_pass("sprintf", 4);
}

#[test]
fn calls_in_a_negated_expression_are_evaluated_before_the_negation() {
    // konstraint's `has_field` on a null value.
    all_pass("negated-call", 4);
}

#[test]
fn a_set_rule_whose_element_iterates_is_empty_over_nothing() {
    // konstraint's `volumes contains pod.spec.volumes[_]` on a pod without volumes.
    all_pass("iterating-head", 4);
}

#[test]
fn comprehensions_have_their_own_variables() {
    // A `:=` redeclaration inside a comprehension, and `some i` bound only inside
    // comprehensions, as in conftest's `combine` example.
    all_pass("comprehension-scope", 2);
}

#[test]
fn some_in_over_a_scalar_iterates_nothing() {
    all_pass("some-in-scalar", 3);
}

#[test]
fn data_paths_load_json_and_yaml_only() {
    // `--data` naming a .rego file (as conftest users do for `package parameters`) loads
    // nothing from it, as conftest's loader; the data beside it is still read.
    let o = custos(
        &[
            "scan",
            "--no-bundled",
            "--no-config",
            "--format",
            "json",
            "-p",
            "policy",
            "-d",
            "data/limits.yaml",
            "-d",
            "data/notes.rego",
            "deployment.yaml",
        ],
        &dir("data-files"),
    );
    let err = stderr(&o);
    assert_eq!(code(&o), 1, "{err}");
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let messages: Vec<&str> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["message"].as_str())
        .collect();
    assert_eq!(messages, ["5 replicas is more than 3"]);
}

#[test]
fn strict_and_capabilities_judge_the_policy_as_written() {
    // The compatibility rewrites remove uses of an import and add calls of custos's own;
    // OPA's load-time checks must see neither.
    let strict = custos(
        &["policy", "test", "--no-config", "--strict", "-p", "policy"],
        &dir("import-alias"),
    );
    let err = stderr(&strict);
    assert!(!err.contains("unused"), "{err}");
    assert_eq!(code(&strict), 0, "{err}");
    let caps = custos(
        &[
            "policy",
            "test",
            "--no-config",
            "--capabilities",
            "capabilities.json",
            "-p",
            "policy",
        ],
        &dir("some-in-scalar"),
    );
    let err = stderr(&caps);
    assert!(!err.contains("__custos"), "{err}");
    assert_eq!(code(&caps), 0, "{err}");
}

/// `custos scan --no-bundled --format json ARGS` in the textproto fixture: (exit, messages of
/// the findings, sorted).
fn scan_textproto(args: &[&str]) -> (i32, Vec<String>) {
    let mut all = vec![
        "scan",
        "--no-bundled",
        "--no-config",
        "--format",
        "json",
        "-p",
        "policy",
    ];
    all.extend_from_slice(args);
    let o = custos(&all, &dir("textproto"));
    let err = stderr(&o);
    assert!(!err.contains("panicked"), "{err}");
    let report: serde_json::Value =
        serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("json: {e}\n{err}"));
    let mut messages: Vec<String> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["message"].as_str().map(str::to_owned))
        .collect();
    messages.sort();
    (code(&o), messages)
}

#[test]
fn proto_file_dirs_read_text_format_with_its_schema() {
    // With the schema (conftest's --proto-file-dirs, the .proto files found in
    // subdirectories too): one `tags` value is an array, `timeout_ms` (int64) a string.
    let (rc, messages) = scan_textproto(&[
        "--proto-file-dirs",
        "protos",
        "docs/risky.textproto",
        "docs/calm.textproto",
    ]);
    assert_eq!(rc, 1);
    assert_eq!(
        messages,
        [
            "nightly-export handles personal data in production (timeout 60000)",
            "nightly-export retries 9 times",
        ]
    );
    // Without it, files that name their type are refused as conftest refuses them.
    let (rc, messages) = scan_textproto(&["docs/risky.textproto", "docs/calm.textproto"]);
    assert_eq!(rc, 1);
    assert_eq!(messages.len(), 2, "{messages:?}");
    for m in &messages {
        assert!(
            m.contains("look up message type \"pipeline.v1.Job\""),
            "{messages:?}"
        );
    }
}

#[test]
fn a_message_type_the_schema_lacks_is_a_parse_error_with_conftest_s_words() {
    let (rc, messages) = scan_textproto(&["--proto-file-dirs", "protos", "docs/unknown.textproto"]);
    assert_eq!(rc, 1);
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert!(
        messages[0].contains("look up message type \"pipeline.v1.Missing\""),
        "{messages:?}"
    );
    // A directory without .proto files is a usage error.
    let o = custos(
        &[
            "scan",
            "--no-bundled",
            "--no-config",
            "--proto-file-dirs",
            "docs",
            "docs",
        ],
        &dir("textproto"),
    );
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("no .proto files"), "{}", stderr(&o));
}

#[test]
fn proto_file_dirs_reach_parse_config_in_policy_tests() {
    let run = |args: &[&str]| {
        let mut all = vec!["policy", "test", "--no-config", "-p", "policy"];
        all.extend_from_slice(args);
        code(&custos(&all, &dir("textproto")))
    };
    assert_eq!(run(&["--proto-file-dirs", "protos"]), 0);
    assert_eq!(
        run(&[]),
        1,
        "without the schema the document keeps its written shape"
    );
}

#[test]
fn conftest_toml_names_the_proto_file_dirs() {
    let o = custos(
        &[
            "scan",
            "--no-bundled",
            "--format",
            "json",
            "../textproto/docs/risky.textproto",
        ],
        &dir("textproto-config"),
    );
    let err = stderr(&o);
    let report: serde_json::Value =
        serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("json: {e}\n{err}"));
    let messages: Vec<&str> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["message"].as_str())
        .collect();
    // The `tags` rule fires only with the schema (`tags` an array).
    assert!(
        messages
            .iter()
            .any(|m| m.contains("personal data in production")),
        "{messages:?}\n{err}"
    );
    assert_eq!(code(&o), 1);
}
