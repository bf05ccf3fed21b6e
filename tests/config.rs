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
