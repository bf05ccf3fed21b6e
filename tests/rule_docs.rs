//! The rule documentation is generated from the rule catalog and kept equal to it: README's
//! rules tables (between `<!-- rules:begin -->` and `<!-- rules:end -->`) are the output of
//! `custos policy list --format markdown --no-config`, and docs/rules.md is the output of
//! `custos policy explain --all --format markdown --no-config`.
//!
//! To regenerate both after changing a rule: `UPDATE_RULE_DOCS=1 cargo test --test rule_docs`.

mod common;

use std::collections::BTreeSet;

use common::{code, custos, repo, stderr, stdout};

const BEGIN: &str = "<!-- rules:begin -->";
const END: &str = "<!-- rules:end -->";
const TABLE_ARGS: &[&str] = &["policy", "list", "--format", "markdown", "--no-config"];
const PAGES_ARGS: &[&str] = &[
    "policy",
    "explain",
    "--all",
    "--format",
    "markdown",
    "--no-config",
];
const REGENERATE: &str = "UPDATE_RULE_DOCS=1 cargo test --test rule_docs";

fn updating() -> bool {
    std::env::var_os("UPDATE_RULE_DOCS").is_some_and(|v| !v.is_empty() && v != "0")
}

fn generated(args: &[&str]) -> String {
    let o = custos(args, &repo());
    assert_eq!(code(&o), 0, "custos {}: {}", args.join(" "), stderr(&o));
    stdout(&o)
}

/// README's text before the block, the block, and the text after it.
fn readme_block(readme: &str) -> (&str, &str, &str) {
    assert_eq!(readme.matches(BEGIN).count(), 1, "README needs one {BEGIN}");
    assert_eq!(readme.matches(END).count(), 1, "README needs one {END}");
    let (before, rest) = readme.split_once(BEGIN).expect("begin marker");
    let (block, after) = rest
        .split_once(END)
        .expect("end marker after the begin marker");
    (before, block, after)
}

#[test]
fn readme_rules_tables_are_generated_from_the_catalog() {
    let path = repo().join("README.md");
    let readme = std::fs::read_to_string(&path).expect("README.md");
    let (before, block, after) = readme_block(&readme);
    assert!(
        before
            .rsplit("\n## ")
            .next()
            .is_some_and(|s| s.starts_with("Bundled rules")),
        "the generated block belongs in the `## Bundled rules` section"
    );
    let want = generated(TABLE_ARGS);
    if updating() {
        let text = format!("{before}{BEGIN}\n{}\n{END}{after}", want.trim_end());
        std::fs::write(&path, text).expect("write README.md");
        return;
    }
    assert!(
        block.trim() == want.trim(),
        "README's rules tables differ from `custos {}`; regenerate them with `{REGENERATE}`\n\
         --- README\n{}\n--- generated\n{}",
        TABLE_ARGS.join(" "),
        block.trim(),
        want.trim()
    );
}

#[test]
fn docs_rules_md_is_generated_from_the_catalog() {
    let path = repo().join("docs/rules.md");
    let want = generated(PAGES_ARGS);
    if updating() {
        std::fs::write(&path, &want).expect("write docs/rules.md");
        return;
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    if have != want {
        let first = have
            .lines()
            .zip(want.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| have.lines().count().min(want.lines().count()));
        panic!(
            "docs/rules.md differs from `custos {}` (first at line {}); regenerate it with \
             `{REGENERATE}`\n--- docs/rules.md\n{}\n--- generated\n{}",
            PAGES_ARGS.join(" "),
            first + 1,
            have.lines().nth(first).unwrap_or("(end of file)"),
            want.lines().nth(first).unwrap_or("(end of file)"),
        );
    }
}

/// Every rule of the catalog has a row in the README block and a page in docs/rules.md.
#[test]
fn every_rule_has_a_row_and_a_page() {
    let list = generated(&["policy", "list", "--format", "json", "--no-config"]);
    let v: serde_json::Value = serde_json::from_str(&list).expect("json");
    let ids: BTreeSet<String> = v["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .map(|r| r["id"].as_str().expect("id").to_owned())
        .collect();
    assert!(ids.len() > 60, "{ids:?}");
    let table = generated(TABLE_ARGS);
    let pages = generated(PAGES_ARGS);
    for id in &ids {
        assert!(table.contains(&format!("\n| {id} |")), "{id}: no row");
        assert!(pages.contains(&format!("\n### {id} — ")), "{id}: no page");
    }
}

/// No sample secret reaches the rule pages: every value the secret detector finds in a rule's
/// true-positive samples is masked wherever the sample is shown.
#[test]
fn rule_pages_show_no_sample_secret() {
    use custos::detect::secrets;
    let pages = generated(PAGES_ARGS);
    let json = generated(&[
        "policy",
        "explain",
        "--all",
        "--format",
        "json",
        "--no-config",
    ]);
    let mut checked = 0;
    for r in secrets::RULES {
        for tp in r.tps {
            for d in secrets::scan(tp, secrets::Context::Config) {
                let value = &tp[d.start..d.end];
                assert!(!pages.contains(value), "{}: {value:?} in the pages", r.id);
                assert!(!json.contains(value), "{}: {value:?} in the JSON", r.id);
                checked += 1;
            }
        }
    }
    assert!(checked >= secrets::RULES.len());
}

#[test]
fn explain_shows_a_page_and_suggests_the_nearest_id() {
    let o = custos(&["policy", "explain", "TF002", "--no-config"], &repo());
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let out = stdout(&o);
    for needle in [
        "TF002: S3 bucket without server-side encryption",
        "What it checks:",
        "Flagged:",
        "fixtures/rules/TF002/fail/",
        "Not flagged:",
        "How to fix:",
        "NIST-800-53:SC-28",
    ] {
        assert!(out.contains(needle), "{needle} missing:\n{out}");
    }
    let o = custos(&["policy", "explain", "TF02", "--no-config"], &repo());
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("did you mean `TF002`"),
        "{}",
        stderr(&o)
    );
    let o = custos(
        &[
            "policy",
            "explain",
            "sec001",
            "--format",
            "json",
            "--no-config",
        ],
        &repo(),
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["id"], "SEC001");
    assert_eq!(v["example"]["type"], "samples");
}

/// `policy list` and `policy explain` show the severity the configuration sets.
#[test]
fn configured_severities_are_shown() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = dir.path().join("custos.toml");
    std::fs::write(&cfg, "[policies]\nseverity = { TF006 = \"critical\" }\n").expect("write");
    let cfg = cfg.to_str().expect("utf8");
    let o = custos(
        &["policy", "list", "--format", "json", "--config", cfg],
        &repo(),
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let tf006 = v["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .find(|r| r["id"] == "TF006")
        .expect("TF006");
    assert_eq!(tf006["severity"], "critical");
    assert_eq!(tf006["default_severity"], "low");
    let o = custos(&["policy", "explain", "TF006", "--config", cfg], &repo());
    assert!(
        stdout(&o).contains("critical (default low; set in the configuration)"),
        "{}",
        stdout(&o)
    );
}

/// custos's own rules are listed at the severity they are reported at.
#[test]
fn own_rules_are_listed_at_the_severity_they_are_reported_at() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("custos.toml"),
        "[[waivers]]\nrule = \"TF002\"\npath = \"nowhere/**\"\nreason = \"r\"\nowner = \"o\"\nexpires = \"2099-01-01\"\n\n\
         [[waivers]]\nrule = \"TF006\"\npath = \"nowhere/**\"\nreason = \"r\"\nowner = \"o\"\nexpires = \"2000-01-01\"\n",
    )
    .expect("write");
    std::fs::write(dir.path().join("a.yaml"), "a: 1 # custos:ignore NOPE001\n").expect("write");
    let (_, report, _) = common::scan_json(&["."], dir.path());
    let list = generated(&["policy", "list", "--format", "json", "--no-config"]);
    let v: serde_json::Value = serde_json::from_str(&list).expect("json");
    let listed = |id: &str| {
        v["rules"]
            .as_array()
            .expect("rules")
            .iter()
            .find(|r| r["id"] == id)
            .map(|r| r["severity"].clone())
    };
    let mut seen = BTreeSet::new();
    for f in report["findings"].as_array().expect("findings") {
        let id = f["rule_id"].as_str().expect("rule_id");
        assert_eq!(listed(id), Some(f["severity"].clone()), "{id}");
        seen.insert(id.to_owned());
    }
    for id in ["waiver-unused", "waiver-expired", "ignore-unknown-rule"] {
        assert!(seen.contains(id), "{id} not reported: {report:#}");
    }
}
