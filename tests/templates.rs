//! Templates are not their target format until rendered: a Helm chart, a Jinja JSON template
//! or a JSON-with-comments config is never a parse error, and what can be checked is checked.

mod common;

use common::{repo, scan_json, triples};

#[test]
fn templates_are_checked_without_parse_errors() {
    let (exit, report, _) = scan_json(&["--no-config", "fixtures/templates"], &repo());
    let got = triples(&report);
    // The one real problem: a literal credential in the chart's static YAML.
    assert_eq!(
        got,
        [(
            "fixtures/templates/chart/templates/manifests.yaml".to_owned(),
            26,
            "K8S001".to_owned()
        )],
        "{report:#}"
    );
    assert_eq!(exit, 1);
    let f = &report["findings"][0];
    assert_eq!(f["kind"], "helm-template");
    let src =
        std::fs::read_to_string(repo().join("fixtures/templates/chart/templates/manifests.yaml"))
            .expect("fixture");
    let marked = src
        .lines()
        .position(|l| l.contains("# expect: K8S001"))
        .map(|i| i + 1);
    assert_eq!(marked, Some(26));
    // Both manifests of the multi-document template were evaluated, and the config files.
    assert!(
        report["summary"]["documents"].as_u64().unwrap_or(0) >= 4,
        "{}",
        report["summary"]
    );
}
