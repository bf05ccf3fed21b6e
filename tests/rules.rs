//! Every bundled rule has a `fail` fixture directory whose expected findings are marked
//! (`custos-expect: RULE` on the line, or `expect.txt` for JSON), and a `pass` directory
//! that must produce no findings at all. The scan must find exactly what is marked.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::{repo, scan_json, triples};

fn expected(dir: &Path) -> Vec<(String, u64, String)> {
    let mut out = Vec::new();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.expect("walk");
        if !entry.file_type().is_file() {
            continue;
        }
        let rel = entry
            .path()
            .strip_prefix(dir)
            .expect("below")
            .to_string_lossy()
            .replace('\\', "/");
        let text = std::fs::read_to_string(entry.path()).expect("read fixture");
        let display = format!(
            "{}/{rel}",
            dir.strip_prefix(repo()).expect("in repo").display()
        );
        if rel == "expect.txt" {
            for line in text.lines().filter(|l| !l.trim().is_empty()) {
                let (loc, rule) = line.split_once(' ').expect("`file:line RULE`");
                let (file, n) = loc.rsplit_once(':').expect("file:line");
                let path = format!(
                    "{}/{file}",
                    dir.strip_prefix(repo()).expect("in repo").display()
                );
                out.push((
                    path,
                    n.parse().expect("line number"),
                    rule.trim().to_owned(),
                ));
            }
            continue;
        }
        for (i, line) in text.lines().enumerate() {
            if let Some((_, rest)) = line.split_once("custos-expect:") {
                for rule in rest.split(',').map(str::trim).filter(|r| !r.is_empty()) {
                    out.push((display.clone(), i as u64 + 1, rule.to_owned()));
                }
            }
        }
    }
    out.sort();
    out
}

fn rule_dirs() -> Vec<String> {
    let mut ids: Vec<String> = std::fs::read_dir(repo().join("fixtures/rules"))
        .expect("fixtures/rules")
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    ids.sort();
    ids
}

#[test]
fn every_bundled_rule_has_fixtures() {
    let o = common::custos(
        &["policy", "list", "--format", "json", "--no-config"],
        &repo(),
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let bundled: BTreeSet<String> = v["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .filter(|r| r["origin"] == "bundled")
        .map(|r| r["id"].as_str().expect("id").to_owned())
        .collect();
    let dirs: BTreeSet<String> = rule_dirs().into_iter().collect();
    assert_eq!(
        bundled, dirs,
        "each bundled rule needs fixtures/rules/<ID>/{{fail,pass}}"
    );
    for id in &dirs {
        for kind in ["fail", "pass"] {
            let d = repo().join("fixtures/rules").join(id).join(kind);
            assert!(
                d.is_dir() && std::fs::read_dir(&d).expect("dir").next().is_some(),
                "{}",
                d.display()
            );
        }
    }
}

#[test]
fn fail_fixtures_find_exactly_what_is_marked() {
    let cfg = repo().join("fixtures/rules/custos.toml");
    for id in rule_dirs() {
        let dir = repo().join("fixtures/rules").join(&id).join("fail");
        let want = expected(&dir);
        assert!(
            want.iter().any(|(_, _, r)| *r == id),
            "{id}: fail fixture marks no {id} finding"
        );
        let rel = format!("fixtures/rules/{id}/fail");
        let (code, report, _) =
            scan_json(&[&rel, "--config", cfg.to_str().expect("utf8")], &repo());
        // A multiset: the same finding reported twice on a line is a bug too.
        let got = triples(&report);
        assert_eq!(got, want, "{id}: findings differ from the marked ones");
        // Failures fail the gate; a rule that only warns (`warn`) never does.
        let failing = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["level"] == "failure");
        assert_eq!(code, i32::from(failing), "{id}: exit code");
    }
}

#[test]
fn pass_fixtures_are_clean() {
    let cfg = repo().join("fixtures/rules/custos.toml");
    for id in rule_dirs() {
        let rel = format!("fixtures/rules/{id}/pass");
        let (code, report, _) =
            scan_json(&[&rel, "--config", cfg.to_str().expect("utf8")], &repo());
        assert_eq!(triples(&report), vec![], "{id}: pass fixture has findings");
        assert_eq!(code, 0);
        assert!(
            report["summary"]["documents"].as_u64().unwrap_or(0) > 0,
            "{id}: nothing was evaluated"
        );
    }
}

#[test]
fn bundled_policy_unit_tests_pass() {
    let o = common::custos(&["policy", "test"], &repo());
    let out = common::stdout(&o);
    assert_eq!(common::code(&o), 0, "{out}{}", common::stderr(&o));
    assert!(out.contains(" 0 failed"), "{out}");
    assert!(!out.contains("FAIL"), "{out}");
}

/// Realistic clean DAGs in the styles Airflow users write (classic operators, TaskFlow,
/// dynamic task mapping, datasets, deferrable sensors, provider transfers): no findings at all.
#[test]
fn clean_airflow_dags_have_no_findings() {
    let cfg = repo().join("fixtures/rules/custos.toml");
    let (code, report, _) = scan_json(
        &[
            "fixtures/airflow/clean",
            "--config",
            cfg.to_str().expect("utf8"),
        ],
        &repo(),
    );
    assert_eq!(triples(&report), vec![], "clean DAGs produced findings");
    assert_eq!(code, 0);
    assert_eq!(
        report["summary"]["documents"], 4,
        "every clean DAG was modelled and evaluated"
    );
}

/// The vulnerable-by-design repository (Terraform across files, CloudFormation, Kubernetes,
/// GitHub Actions, docker-compose, .env, airflow.cfg, dbt, DVC, MLflow): every seeded problem is
/// found at its line, and nothing else is reported.
#[test]
fn vulnerable_repo_finds_exactly_what_is_seeded() {
    let dir = repo().join("fixtures/vulnerable");
    let want = expected(&dir);
    assert!(want.len() >= 40, "the repository seeds many problems");
    let (code, report, _) = scan_json(&["fixtures/vulnerable"], &repo());
    assert_eq!(triples(&report), want);
    assert_eq!(code, 1);
}

/// A bundled rule reads a library's rules (not its functions) through an import of the rule
/// itself (`import data.custos.lib.terraform.by_type`), never through the package's alias
/// (`tf.by_type`): the engine resolves a package alias by evaluating every rule of the
/// package, on each rule evaluation, which made the Terraform rules ~17 % slower.
#[test]
fn library_rules_are_not_read_through_a_package_alias() {
    let root = repo().join("policies");
    let rule_head =
        regex::Regex::new(r"(?m)^([a-z_][a-z0-9_]*)\s*(\[[^\]]*\])?\s*(:=|=|contains|if|\{)")
            .expect("regex");
    let import = regex::Regex::new(r"(?m)^import data\.([a-z_0-9.]+)(?:\s+as\s+([a-z_0-9]+))?\s*$")
        .expect("regex");
    let policies: Vec<(String, String)> = walkdir::WalkDir::new(&root)
        .into_iter()
        .map(|e| e.expect("walk"))
        .filter(|e| e.path().extension().is_some_and(|x| x == "rego"))
        .filter(|e| !e.path().to_string_lossy().ends_with("_test.rego"))
        .map(|e| {
            let rel = e
                .path()
                .strip_prefix(&root)
                .expect("below")
                .display()
                .to_string();
            (rel, std::fs::read_to_string(e.path()).expect("read"))
        })
        .collect();
    let package = regex::Regex::new(r"(?m)^package ([a-z_0-9.]+)\s*$").expect("regex");
    let packages: Vec<(String, &str)> = policies
        .iter()
        .filter_map(|(_, text)| {
            let name = package.captures(text)?.get(1)?.as_str().to_string();
            Some((name, text.as_str()))
        })
        .collect();
    let mut checked = 0;
    let mut offenders = Vec::new();
    for (path, text) in &policies {
        // The rule's body: no import lines, no comments.
        let body: String = text
            .lines()
            .filter(|l| !l.starts_with("import "))
            .map(|l| l.split('#').next().unwrap_or(""))
            .collect::<Vec<_>>()
            .join("\n");
        for cap in import.captures_iter(text) {
            let imported = &cap[1];
            let alias = cap.get(2).map_or_else(
                || imported.rsplit('.').next().unwrap_or(imported),
                |m| m.as_str(),
            );
            // Every file of the imported package (a package may span files).
            for (_, lib_text) in packages.iter().filter(|(name, _)| name == imported) {
                let rules: BTreeSet<&str> = rule_head
                    .captures_iter(lib_text)
                    .map(|c| c.get(1).expect("name").as_str())
                    .filter(|n| !["package", "import", "default"].contains(n))
                    .collect();
                for rule in rules {
                    checked += 1;
                    let pattern = format!(r"\b{alias}\.{rule}\b");
                    if regex::Regex::new(&pattern).expect("regex").is_match(&body) {
                        offenders.push(format!("{path}: {alias}.{rule}"));
                    }
                }
            }
        }
    }
    assert!(checked > 0, "no library rule found to check");
    assert!(
        offenders.is_empty(),
        "read through a package alias: {offenders:?}"
    );
}
