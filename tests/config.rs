//! Configuration mistakes are errors that point at the line: a rule id that does not exist
//! (a typo would silently disable nothing), and a file too large to be a configuration.

mod common;

use common::{code, custos, stderr};

fn run_with(config: &str) -> (i32, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("custos.toml"), config).expect("config");
    std::fs::write(dir.path().join("main.tf"), "locals {}\n").expect("tf");
    let o = custos(&["scan", "."], dir.path());
    (code(&o), stderr(&o))
}

#[test]
fn unknown_rule_ids_are_errors_with_a_suggestion() {
    for (config, id, hint, line) in [
        (
            "[policies]\ndisabled = [\"TF02\"]\n",
            "TF02",
            "TF002",
            "2:13",
        ),
        (
            "[policies.severity]\nCFG01 = \"low\"\n",
            "CFG01",
            "CFG001",
            "2:9",
        ),
        (
            "[[waivers]]\nrule = \"k8s001\"\nreason = \"migrating\"\n",
            "k8s001",
            "K8S001",
            "2:8",
        ),
    ] {
        let (exit, err) = run_with(config);
        assert_eq!(exit, 2, "{err}");
        assert!(err.contains(&format!("unknown rule id `{id}`")), "{err}");
        assert!(err.contains(&format!("did you mean `{hint}`?")), "{err}");
        assert!(err.contains(&format!("custos.toml:{line}")), "{err}");
    }
}

#[test]
fn known_ids_of_every_origin_are_accepted() {
    // A Rego rule, a secret detector rule, a PII entity and one of custos's own rules.
    let (exit, err) = run_with(
        "[policies]\ndisabled = [\"TF002\", \"SEC024\", \"PII001\"]\n[policies.severity]\nparse-error = \"low\"\n",
    );
    assert_eq!(exit, 0, "{err}");
}

#[test]
fn an_oversized_config_is_refused_with_its_size() {
    let big = format!("# {}\n", "x".repeat(2 * 1024 * 1024));
    let (exit, err) = run_with(&big);
    assert_eq!(exit, 2);
    assert!(
        err.contains("2097155 bytes") && err.contains("1048576"),
        "{err}"
    );
}

#[test]
fn an_inline_ignore_of_an_unknown_rule_is_a_warning_at_the_id() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("main.tf"),
        "# custos:ignore ZZZ123 -- typo\nlocals {}\nprovider \"aws\" {\n  # custos:ignore TF001 -- test account\n  access_key = \"AKIA2E0A8F3B244C9986\"\n}\n",
    )
    .expect("tf");
    let (exit, report, _) = common::scan_json(&["--no-config", "."], dir.path());
    let findings = report["findings"].as_array().expect("findings");
    let unknown: Vec<_> = findings
        .iter()
        .filter(|f| f["rule_id"] == "ignore-unknown-rule")
        .collect();
    assert_eq!(unknown.len(), 1, "{findings:#?}");
    assert_eq!(unknown[0]["level"], "warning");
    assert_eq!(unknown[0]["location"]["line"], 1);
    assert_eq!(unknown[0]["location"]["column"], 17);
    assert!(unknown[0]["message"]
        .as_str()
        .unwrap_or_default()
        .contains("ZZZ123"));
    // The known id did suppress; the secret detector's own finding on that line is separate.
    assert!(
        !findings.iter().any(|f| f["rule_id"] == "TF001"),
        "{findings:#?}"
    );
    let _ = exit;
}
