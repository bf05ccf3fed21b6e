//! One problem, one finding: a value reused through YAML anchors is reported once at the
//! anchor, and a value repeated on many lines of a file once with its other lines.

mod common;

use std::fmt::Write as _;

use common::scan_json;

#[test]
fn a_merged_anchor_is_one_finding_at_the_anchor() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut compose = String::from(
        "x-env: &shared-env\n  DB_PASSWORD: \"Zq8vT2mWx9Lk4Rb7\"\n  LOG_LEVEL: info\nservices:\n",
    );
    for i in 0..7 {
        let _ = write!(
            compose,
            "  svc{i}:\n    image: app\n    environment:\n      <<: *shared-env\n"
        );
    }
    compose.push_str("  direct:\n    image: app\n    environment: *shared-env\n");
    std::fs::write(dir.path().join("docker-compose.yml"), compose).expect("write");
    let (_, report, _) = scan_json(&["--no-config", "."], dir.path());
    let findings = report["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), 1, "{findings:#?}");
    let f = &findings[0];
    assert_eq!(f["rule_id"], "CFG001");
    assert_eq!(
        f["location"]["line"], 2,
        "reported where the value is written"
    );
    assert_eq!(f["pointer"], "/x-env/DB_PASSWORD");
    assert_eq!(f["occurrences"], 9);
    let via: Vec<&str> = f["related"]
        .as_array()
        .expect("related")
        .iter()
        .filter_map(|r| r["pointer"].as_str())
        .collect();
    assert!(
        via.contains(&"/services/svc3/environment/DB_PASSWORD"),
        "{via:?}"
    );
    assert!(
        via.contains(&"/services/direct/environment/DB_PASSWORD"),
        "{via:?}"
    );
}

#[test]
fn an_explicit_key_beside_a_merge_is_its_own_finding() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("docker-compose.yml"),
        "x-env: &e\n  DB_PASSWORD: \"Zq8vT2mWx9Lk4Rb7\"\nservices:\n  a:\n    image: x\n    environment:\n      <<: *e\n      DB_PASSWORD: \"Hn3rPq7sVw2Xy5Za\"\n",
    )
    .expect("write");
    let (_, report, _) = scan_json(&["--no-config", "."], dir.path());
    let mut lines: Vec<u64> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["location"]["line"].as_u64())
        .collect();
    lines.sort_unstable();
    assert_eq!(lines, [2, 8]);
}

#[test]
fn a_repeated_value_is_one_finding_with_its_other_lines() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut text = String::new();
    for i in 0..21 {
        let _ = writeln!(text, "row{i},AKIA2E0A8F3B244C9986,ok");
    }
    text.push_str("other,AKIAQ7ZP3LM2XK9D4471,ok\n");
    std::fs::write(dir.path().join("accounts.csv"), text).expect("write");
    let (exit, report, _) = scan_json(&["--no-config", "."], dir.path());
    assert_eq!(exit, 1);
    let findings = report["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), 2, "one per distinct value: {findings:#?}");
    assert_eq!(findings[0]["occurrences"], 21);
    assert_eq!(findings[0]["location"]["line"], 1);
    let lines: Vec<u64> = findings[0]["related"]
        .as_array()
        .expect("related")
        .iter()
        .filter_map(|r| r["line"].as_u64())
        .collect();
    assert_eq!(lines, (2..=21).collect::<Vec<u64>>());
    assert_eq!(findings[1]["occurrences"], 1);
    // The summary counts problems, not lines.
    assert_eq!(report["summary"]["findings"], 2);
}
