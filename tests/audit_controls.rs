//! The control mappings (controls/*.toml) against the bundled rule catalog, as `custos policy
//! list` shows it: every rule a mapping names exists; every bundled rule (Rego rules, secret
//! and PII detectors, the audit-log verification rules) evidences at least one requirement; and
//! every control a rule cites in its own metadata (`SOC2:CC6.1` …) for a framework that has a
//! mapping file lists that rule. Failures name every offending rule id at once.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::{code, custos, repo, stderr};

/// custos's own housekeeping rules: they report on the run itself (a file that could not be
/// parsed, a waiver that expired, an inline ignore that suppresses nothing), not on a control;
/// the audit report lists their findings without mapping them.
const HOUSEKEEPING: &[&str] = &[
    "ignore-unknown-rule",
    "ignore-unused",
    "ignore-without-reason",
    "parse-error",
    "policy-error",
    "read-error",
    "too-large",
    "waiver-expired",
    "waiver-unused",
];

fn catalog() -> Vec<serde_json::Value> {
    let o = custos(
        &["policy", "list", "--format", "json", "--no-config"],
        &repo(),
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    v["rules"].as_array().unwrap().clone()
}

#[test]
fn every_mapped_rule_exists_and_every_bundled_rule_is_mapped() {
    let rules = catalog();
    let known: BTreeSet<&str> = rules.iter().filter_map(|r| r["id"].as_str()).collect();
    let frameworks = custos::audit::controls::all().unwrap();
    let mut mapped: BTreeSet<String> = BTreeSet::new();
    let mut unknown: Vec<String> = Vec::new();
    for f in &frameworks {
        for req in &f.requirements {
            for r in &req.rules {
                if !known.contains(r.as_str()) {
                    unknown.push(format!("{} {}: {r}", f.framework, req.id));
                }
                mapped.insert(r.clone());
            }
        }
    }
    assert!(
        unknown.is_empty(),
        "controls/*.toml name rules the bundled catalog does not have:\n  {}",
        unknown.join("\n  ")
    );
    let unmapped: Vec<&str> = rules
        .iter()
        .filter(|r| {
            matches!(
                r["origin"].as_str(),
                Some("bundled" | "detector" | "builtin")
            )
        })
        .filter_map(|r| r["id"].as_str())
        .filter(|id| !HOUSEKEEPING.contains(id) && !mapped.contains(*id))
        .collect();
    assert!(
        unmapped.is_empty(),
        "bundled rules that no control in controls/*.toml lists (add each to the requirements it evidences): {}",
        unmapped.join(", ")
    );
}

#[test]
fn controls_cited_in_rule_metadata_list_the_rule() {
    let frameworks = custos::audit::controls::all().unwrap();
    let by_prefix: BTreeMap<&str, &custos::audit::controls::Framework> =
        frameworks.iter().map(|f| (f.prefix.as_str(), f)).collect();
    let mut missing = Vec::new();
    for r in catalog() {
        let id = r["id"].as_str().unwrap_or_default();
        for c in r["controls"].as_array().into_iter().flatten() {
            let Some((prefix, control)) = c.as_str().and_then(|c| c.split_once(':')) else {
                continue;
            };
            let Some(f) = by_prefix.get(prefix) else {
                continue; // a framework without a mapping file (CIS, PCI-DSS, HIPAA …)
            };
            let listed = f
                .requirements
                .iter()
                .any(|q| q.id == control && q.rules.iter().any(|x| x == id));
            if !listed {
                missing.push(format!("{id} cites {prefix}:{control}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "rule metadata cites controls whose mapping does not list the rule:\n  {}",
        missing.join("\n  ")
    );
}

#[test]
fn every_framework_of_the_issue_has_a_mapping_with_manual_requirements() {
    let frameworks = custos::audit::controls::all().unwrap();
    let names: Vec<&str> = frameworks.iter().map(|f| f.framework.as_str()).collect();
    for want in [
        "soc2",
        "iso27001",
        "gdpr",
        "nist-800-53",
        "nist-ai-rmf",
        "owasp-llm",
    ] {
        assert!(names.contains(&want), "no mapping for {want}");
    }
    for f in &frameworks {
        assert!(
            f.requirements
                .iter()
                .any(custos::audit::controls::Requirement::is_manual),
            "{} lists no manual requirement",
            f.framework
        );
        assert!(
            f.requirements.iter().any(|r| !r.is_manual()),
            "{} maps no rule",
            f.framework
        );
    }
}
