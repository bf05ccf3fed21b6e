//! A user policy is untrusted code: whatever it does — allocate without bound, recurse, loop,
//! flood the report — the scan ends normally, with a `policy-error` finding that names the
//! policy and the reason, and every other rule's findings still reported.
//!
//! Each case is a policy in `fixtures/hostile-policies/` run against `repo/main.tf`, whose
//! literal AWS keys are a bundled TF001 finding (see `docs/policy-bounds.md`).

mod common;

use std::fs;

use common::{repo, scan_json};

const DIR: &str = "fixtures/hostile-policies";

/// Scan the fixture repository with one or more policy directories; time limit `ms`.
fn scan(policies: &[&str], ms: &str, more: &[&str]) -> (i32, serde_json::Value) {
    let target = format!("{DIR}/repo");
    let config = format!("{DIR}/custos.toml");
    // The hostile packages are not `main`: evaluate every package (conftest's default is `main`).
    let mut args: Vec<&str> = vec![
        &target,
        "--config",
        &config,
        "--policy-timeout-ms",
        ms,
        "--all-namespaces",
    ];
    for p in policies {
        args.push("--policy");
        args.push(p);
    }
    args.extend_from_slice(more);
    let (code, report, _) = scan_json(&args, &repo());
    (code, report)
}

fn findings<'a>(report: &'a serde_json::Value, rule: &str) -> Vec<&'a serde_json::Value> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["rule_id"] == rule)
        .collect()
}

/// The bundled finding on `repo/main.tf` is still there: both keys of the provider.
fn assert_bundled_findings(report: &serde_json::Value) {
    let tf001 = findings(report, "TF001");
    assert_eq!(tf001.len(), 2, "bundled TF001 findings missing: {report:#}");
}

/// Run one hostile case: exactly one policy-error, naming `file` and saying each of `reason`.
fn assert_policy_error(case: &str, file: &str, ms: &str, reason: &[&str]) -> String {
    let policy = format!("{DIR}/{case}");
    let (code, report) = scan(&[&policy], ms, &[]);
    let errors = findings(&report, "policy-error");
    assert_eq!(errors.len(), 1, "one policy-error expected: {report:#}");
    let message = errors[0]["message"].as_str().expect("message").to_owned();
    assert!(
        message.contains(&format!("{policy}/{file}")),
        "the policy is named: {message}"
    );
    for r in reason {
        assert!(message.contains(r), "`{r}` missing from: {message}");
    }
    assert_eq!(errors[0]["path"], "fixtures/hostile-policies/repo/main.tf");
    assert_bundled_findings(&report);
    assert_eq!(code, 1, "a policy-error fails the gate: {report:#}");
    message
}

#[test]
fn a_huge_numbers_range_is_stopped_by_the_memory_limit() {
    assert_policy_error(
        "range",
        "range.rego",
        "10000",
        &[
            "could not be evaluated on this document",
            "exceeded the memory limit of 256 MiB",
            "memory allocation of",
        ],
    );
}

#[test]
fn a_string_doubled_in_a_loop_is_stopped_by_the_memory_limit() {
    assert_policy_error(
        "doubling",
        "doubling.rego",
        "10000",
        &["exceeded the memory limit of 256 MiB"],
    );
}

#[test]
fn a_huge_comprehension_is_stopped_by_the_memory_limit() {
    assert_policy_error(
        "comprehension",
        "comprehension.rego",
        "10000",
        &["exceeded the memory limit of 256 MiB"],
    );
}

#[test]
fn a_recursive_function_is_rejected_at_load_with_its_line() {
    assert_policy_error(
        "fn-recursion",
        "fn_recursion.rego",
        "10000",
        &[
            "was not evaluated",
            "function data.hostile.fn_recursion.forever is recursive",
            "fn_recursion.rego:5",
            "Rego does not allow recursion",
        ],
    );
}

#[test]
fn deep_mutual_recursion_is_rejected_at_load_with_the_chain() {
    assert_policy_error(
        "mutual-recursion",
        "mutual.rego",
        "10000",
        &[
            "was not evaluated",
            "data.hostile.mutual.down (fixtures/hostile-policies/mutual-recursion/mutual.rego:5) → data.hostile.mutual.step (fixtures/hostile-policies/mutual-recursion/mutual.rego:9) → data.hostile.mutual.down",
        ],
    );
}

#[test]
fn rules_that_depend_on_each_other_are_a_policy_error() {
    assert_policy_error(
        "rule-recursion",
        "rules.rego",
        "10000",
        &[
            "rules.rego:5 depends on itself",
            "line 9 → line 5 → line 7 → line 5",
        ],
    );
}

#[test]
fn a_rule_and_a_function_that_depend_on_each_other_are_a_policy_error() {
    assert_policy_error(
        "rule-fn-recursion",
        "rule_fn.rego",
        "10000",
        &["rule_fn.rego:5 depends on itself"],
    );
}

#[test]
fn a_loop_without_builtins_is_stopped_by_the_time_limit() {
    assert_policy_error(
        "busy-loop",
        "loop.rego",
        "1000",
        &["exceeded the time limit of 1000 ms"],
    );
}

#[test]
fn metadata_that_exceeds_a_bound_leaves_the_rule_unevaluated() {
    assert_policy_error(
        "metadata-bomb",
        "metadata.rego",
        "10000",
        &[
            "rule hostile.metadata",
            "was not evaluated: its metadata could not be evaluated",
            "exceeded the memory limit of 256 MiB",
        ],
    );
}

#[test]
fn a_result_too_large_to_hand_back_is_a_policy_error() {
    assert_policy_error(
        "big-result",
        "big.rego",
        "20000",
        &["its result is larger than 16 MiB"],
    );
}

#[test]
fn too_many_results_for_one_document_are_a_policy_error() {
    assert_policy_error(
        "many-results",
        "many.rego",
        "10000",
        &["it returned 20000 results; at most 10000 per document are accepted"],
    );
}

#[test]
fn a_well_behaved_user_policy_reports_its_findings() {
    let (code, report) = scan(&[&format!("{DIR}/well-behaved")], "10000", &[]);
    assert!(findings(&report, "policy-error").is_empty(), "{report:#}");
    let usr = findings(&report, "USR001");
    assert_eq!(usr.len(), 1, "{report:#}");
    assert_eq!(usr[0]["message"], "provider aws is pinned to us-east-1");
    assert_eq!(usr[0]["pointer"], "/provider/aws");
    assert_bundled_findings(&report);
    assert_eq!(code, 1);
}

#[test]
fn the_exit_code_follows_the_gate_not_the_failure() {
    // On a clean file the only finding is the policy-error (high): it fails the default
    // gate, and a critical gate lets the run pass.
    let dir = tempfile::tempdir().expect("tempdir");
    fs::write(
        dir.path().join("clean.tf"),
        "resource \"null_resource\" \"x\" {}\n",
    )
    .expect("write");
    let policy = repo().join(DIR).join("range");
    let policy = policy.to_string_lossy();
    for (gate, expected) in [("low", 1), ("critical", 0)] {
        let (code, report, _) = scan_json(
            &[
                "clean.tf",
                "--no-config",
                "--policy",
                &policy,
                "--fail-on",
                gate,
                "--all-namespaces",
            ],
            dir.path(),
        );
        let ids: Vec<&str> = report["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter_map(|f| f["rule_id"].as_str())
            .collect();
        assert_eq!(ids, ["policy-error"], "{report:#}");
        assert_eq!(report["findings"][0]["severity"], "high");
        assert_eq!(code, expected, "gate {gate}");
    }
}

#[test]
fn every_hostile_policy_at_once_each_ends_as_its_own_policy_error() {
    // Workers die one after the other here; each is replaced and the scan completes.
    let (code, report) = scan(&[DIR], "2000", &[]);
    let errors = findings(&report, "policy-error");
    let mut named: Vec<String> = errors
        .iter()
        .filter_map(|f| f["message"].as_str())
        .filter_map(|m| m.strip_prefix("rule "))
        .filter_map(|m| m.split(' ').next())
        .map(str::to_owned)
        .collect();
    named.sort();
    assert_eq!(
        named,
        [
            "hostile.big",
            "hostile.comprehension",
            "hostile.doubling",
            "hostile.fn_recursion",
            "hostile.loop",
            "hostile.many",
            "hostile.metadata",
            "hostile.mutual",
            "hostile.range",
            "hostile.rule_fn",
            "hostile.rules",
        ],
        "{report:#}"
    );
    assert_eq!(findings(&report, "USR001").len(), 1, "{report:#}");
    assert_bundled_findings(&report);
    assert_eq!(code, 1);
}

#[test]
fn calls_nested_past_the_worker_stack_are_a_policy_error() {
    // An acyclic chain of 20,000 functions passes the recursion check and is only stopped by
    // the worker's fixed stack. Two files: one file may have at most 20,000 lines.
    let dir = tempfile::tempdir().expect("tempdir");
    let n = 20_000;
    let lines: Vec<String> = (0..n)
        .map(|i| format!("f{i}(x) := f{}(x)", i + 1))
        .chain(std::iter::once(format!("f{n}(x) := x")))
        .collect();
    for (k, part) in lines.chunks(10_001).enumerate() {
        let mut src = format!(
            "package hostile.chain\nimport rego.v1\n{}\n",
            part.join("\n")
        );
        if k == 0 {
            src.push_str("deny contains \"deep\" if f0(1) == 1\n");
        }
        fs::write(dir.path().join(format!("chain{k}.rego")), src).expect("write");
    }
    let policy = dir.path().to_string_lossy().into_owned();
    let (code, report) = scan(&[&policy], "60000", &[]);
    let errors = findings(&report, "policy-error");
    assert_eq!(errors.len(), 1, "{report:#}");
    let message = errors[0]["message"].as_str().expect("message");
    assert!(
        message.contains("exceeded the stack limit of 64 MiB"),
        "{message}"
    );
    assert!(message.contains("chain0.rego"), "{message}");
    assert_bundled_findings(&report);
    assert_eq!(code, 1);
}

#[test]
fn a_user_file_in_a_bundled_package_makes_the_package_untrusted() {
    // The user's rule shares TF001's package: the package is evaluated in a worker as a
    // whole, so the hostile rule ends as a policy-error instead of aborting the scan.
    let dir = tempfile::tempdir().expect("tempdir");
    fs::write(
        dir.path().join("hijack.rego"),
        "package custos.terraform.provider_credentials\nimport rego.v1\ndeny contains \"x\" if count(numbers.range(0, 3e9)) > 0\n",
    )
    .expect("write");
    let policy = dir.path().to_string_lossy().into_owned();
    let (code, report) = scan(&[&policy], "10000", &[]);
    let errors = findings(&report, "policy-error");
    assert_eq!(errors.len(), 1, "{report:#}");
    let message = errors[0]["message"].as_str().expect("message");
    assert!(message.starts_with("rule TF001 ("), "{message}");
    assert!(message.contains("hijack.rego"), "{message}");
    assert!(message.contains("exceeded the memory limit"), "{message}");
    assert_eq!(code, 1);
}

#[test]
fn policy_test_runs_user_tests_within_the_same_bounds() {
    let dir = tempfile::tempdir().expect("tempdir");
    fs::write(
        dir.path().join("p.rego"),
        "package p\nimport rego.v1\nforever(n) := forever(n + 1)\nok if true\n",
    )
    .expect("write");
    fs::write(
        dir.path().join("p_test.rego"),
        "package p_test\nimport rego.v1\ntest_recursion if data.p.forever(0) > 0\ntest_memory if count(numbers.range(0, 3e9)) > 0\ntest_ok if data.p.ok\n",
    )
    .expect("write");
    for coverage in [false, true] {
        let mut args = vec!["policy", "test", "."];
        if coverage {
            args.push("--coverage");
        }
        let o = common::custos(&args, dir.path());
        let out = common::stdout(&o);
        assert!(
            out.contains(
                "ERROR  p_test.test_recursion  (p_test.rego)  it exceeded the stack limit"
            ),
            "{out}"
        );
        assert!(
            out.contains(
                "ERROR  p_test.test_memory  (p_test.rego)  it exceeded the memory limit of 1 GiB"
            ),
            "{out}"
        );
        assert!(out.contains("PASS  p_test.test_ok"), "{out}");
        assert!(out.contains("policy-test: 1 passed, 2 failed"), "{out}");
        assert_eq!(common::code(&o), 1);
    }
}

#[test]
fn a_memory_limit_below_the_minimum_is_a_config_error_at_its_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    fs::write(
        dir.path().join("custos.toml"),
        "fail_on = \"low\"\npolicy_memory_limit = \"64MiB\"\n",
    )
    .expect("write");
    fs::write(dir.path().join("a.yaml"), "a: 1\n").expect("write");
    let o = common::custos(&["scan", "a.yaml"], dir.path());
    assert_eq!(common::code(&o), 2);
    let err = common::stderr(&o);
    assert!(
        err.contains("policy_memory_limit must be at least 256 MiB"),
        "{err}"
    );
    assert!(err.contains("custos.toml:2"), "{err}");
}

/// regorus parses the first element of nested `[`/`{` literals twice per level: 81 unclosed
/// `{` (found by scripts/mutate-binary.py) never finished loading. Such a file is refused as a
/// compile error with its line and column before the parser runs, instead of hanging the run;
/// the same structure with the nesting in later elements still loads.
#[test]
fn exponential_literal_nesting_is_refused_before_parsing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let deep = format!(
        "package main\nimport rego.v1\n\n# nested first elements\nx := {}1{}\n",
        "[".repeat(30),
        "]".repeat(30)
    );
    let unclosed = format!(
        "package main\nimport rego.v1\n\ndeny contains{}.name)\n",
        "{".repeat(81)
    );
    let later = format!(
        "package main\nimport rego.v1\n\nx := {}1{}\n\ndeny contains \"later elements load\" if count(x) == 2\n",
        "[0, ".repeat(30),
        "]".repeat(30)
    );
    let target = repo().join(DIR).join("repo");
    let target = target.to_str().expect("utf-8 path");
    for (name, src, line) in [("deep", &deep, "5:"), ("unclosed", &unclosed, "4:")] {
        let policy = dir.path().join(name);
        fs::create_dir_all(&policy).expect("mkdir");
        fs::write(policy.join("p.rego"), src).expect("write");
        let out = common::custos(
            &[
                "scan",
                "--no-config",
                "--policy",
                policy.to_str().expect("utf-8"),
                target,
            ],
            &repo(),
        );
        let err = common::stderr(&out);
        assert_eq!(common::code(&out), 2, "{name}: {err}");
        assert!(err.contains("brackets nested"), "{name}: {err}");
        assert!(err.contains(&format!("p.rego:{line}")), "{name}: {err}");
    }
    let policy = dir.path().join("later");
    fs::create_dir_all(&policy).expect("mkdir");
    fs::write(policy.join("p.rego"), later).expect("write");
    let out = common::custos(
        &[
            "scan",
            "--no-config",
            "-f",
            "json",
            "--policy",
            policy.to_str().expect("utf-8"),
            target,
        ],
        &repo(),
    );
    assert_eq!(common::code(&out), 1, "{}", common::stderr(&out));
    assert!(common::stdout(&out).contains("later elements load"));
}
