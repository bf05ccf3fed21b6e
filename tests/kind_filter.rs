//! A scan of files named one by one (pre-commit) compiles only the bundled rules of the kinds
//! those files can produce (`scan::kinds_of_files`). This must never change what is found:
//! every fixture file, scanned alone, gives the same findings with the filtered rule set as
//! with every rule loaded.

use std::path::{Path, PathBuf};
use std::time::Duration;

use custos::config::Config;
use custos::parse::Limits;
use custos::policy::{PolicySet, PolicySources};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn load(kinds: Option<std::collections::BTreeSet<custos::document::Kind>>) -> PolicySet {
    PolicySet::load(
        &PolicySources {
            include_bundled: true,
            dirs: Vec::new(),
            include_tests: false,
            kinds,
        },
        &serde_json::json!({"prohibited_buckets": ["public-*", "tmp-*"]}),
        Duration::from_secs(120),
    )
    .expect("policies load")
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            files_under(&p, out);
        } else {
            out.push(p);
        }
    }
}

fn fingerprints(report: &custos::report::Report) -> Vec<String> {
    let mut v: Vec<String> = report
        .findings
        .iter()
        .map(|f| format!("{} {} {}", f.rule_id, f.fingerprint, f.message))
        .collect();
    v.sort();
    v
}

#[test]
fn filtered_rules_find_exactly_what_all_rules_find_file_by_file() {
    let all = load(None);
    let mut files = Vec::new();
    for d in [
        "fixtures/rules",
        "fixtures/demo",
        "fixtures/vulnerable",
        "fixtures/airflow",
    ] {
        files_under(&repo().join(d), &mut files);
    }
    assert!(files.len() > 100, "fixtures found: {}", files.len());
    let limits = Limits::default();
    let mut compared = 0;
    let mut narrowed = 0;
    for file in &files {
        let root = file.parent().unwrap().to_path_buf();
        let mut config = Config::defaults(root);
        config.data = serde_json::json!({"prohibited_buckets": ["public-*", "tmp-*"]});
        let roots = vec![file.clone()];
        let Some(kinds) = custos::scan::kinds_of_files(&roots, &config) else {
            panic!("a readable file has kinds: {}", file.display());
        };
        let filtered = load(Some(kinds));
        if filtered.rules().count() < all.rules().count() {
            narrowed += 1;
        }
        let full = custos::scan::run(&roots, &config, &all, &limits).expect("scan");
        let part = custos::scan::run(&roots, &config, &filtered, &limits).expect("scan");
        assert_eq!(
            fingerprints(&full),
            fingerprints(&part),
            "{}: the filtered rule set found something else",
            file.display()
        );
        compared += 1;
    }
    assert_eq!(compared, files.len());
    // The filter does narrow: most single files need only a few rules.
    assert!(narrowed * 2 > compared, "{narrowed} of {compared} narrowed");
}

#[test]
fn a_directory_loads_every_rule() {
    let config = Config::defaults(repo());
    assert!(custos::scan::kinds_of_files(&[repo().join("fixtures/demo")], &config).is_none());
    assert!(custos::scan::kinds_of_files(&[], &config).is_none());
}
