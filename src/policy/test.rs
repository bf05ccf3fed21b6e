//! `custos policy test`: run `test_*` rules with OPA semantics (a test passes when it
//! evaluates to `true`; `false`, undefined or an error fails it), with optional line coverage.

use serde::Serialize;

use super::sandbox::Outcome as Evaluated;
use super::PolicySet;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Pass,
    Fail,
    Error,
}

#[derive(Debug, Clone, Serialize)]
pub struct TestResult {
    pub name: String,
    pub file: String,
    pub outcome: Outcome,
    pub detail: Option<String>,
}

/// Line coverage of one policy file (test files excluded).
#[derive(Debug, Clone, Serialize)]
pub struct FileCoverage {
    pub path: String,
    pub covered: usize,
    pub not_covered: usize,
    pub uncovered_lines: Vec<u32>,
}

impl FileCoverage {
    pub fn percent(&self) -> f64 {
        let total = self.covered + self.not_covered;
        if total == 0 {
            100.0
        } else {
            #[allow(clippy::cast_precision_loss)]
            let p = self.covered as f64 * 100.0 / total as f64;
            p
        }
    }
}

#[derive(Debug, Default, Serialize)]
pub struct TestRun {
    pub results: Vec<TestResult>,
    pub coverage: Option<Vec<FileCoverage>>,
}

impl TestRun {
    pub fn passed(&self) -> usize {
        self.results
            .iter()
            .filter(|r| r.outcome == Outcome::Pass)
            .count()
    }
    pub fn failed(&self) -> usize {
        self.results.len() - self.passed()
    }
}

/// Run every test rule in the set. With user policies loaded, tests run in a policy worker,
/// bounded like a scan (see `sandbox`): a test that exceeds a bound is an error with the
/// reason. Coverage is
/// then gathered in-process by running again only the tests that stayed within the bounds.
pub fn run(set: &PolicySet, coverage: bool) -> TestRun {
    run_selected(set, coverage, &super::Namespaces::All)
}

/// [`run`], for the tests of the packages `namespaces` selects only (conftest's
/// `verify --namespace`).
pub fn run_selected(set: &PolicySet, coverage: bool, namespaces: &super::Namespaces) -> TestRun {
    let selected = |name: &str| {
        let package = name.rsplit_once('.').map_or(name, |(p, _)| p);
        namespaces.selects(package.strip_prefix("data.").unwrap_or(package))
    };
    let tests: Vec<(String, String)> = set
        .tests()
        .iter()
        .filter(|(name, _)| selected(name))
        .cloned()
        .collect();
    let mut engine = set.engine().clone();
    if coverage {
        engine.set_enable_coverage(true);
    }
    // A policy set with user files has a worker: then every test runs there.
    let untrusted: Vec<String> = tests.iter().map(|t| t.0.clone()).collect();
    let mut remote = std::collections::BTreeMap::new();
    if let (Some(sb), false) = (set.sandbox(), untrusted.is_empty()) {
        let mut slot = None;
        let outcomes = sb.evaluate(&mut slot, None, &untrusted);
        if let Some(w) = slot {
            sb.checkin(w);
        }
        remote = untrusted.into_iter().zip(outcomes).collect();
    }
    let mut run = TestRun::default();
    for (name, file) in &tests {
        let result = match remote.remove(name) {
            Some(Evaluated::Value(v)) => {
                // Within bounds: run it here too when coverage is wanted.
                if coverage {
                    let _ = engine.eval_rule(name.clone());
                }
                Ok(v)
            }
            Some(Evaluated::Error { reason, .. }) => Err(reason),
            // One line with the location and the reason (the engine's text starts with the
            // location alone, and only a first line is shown).
            None => engine
                .eval_rule(name.clone())
                .map_err(|e| super::sandbox::summarise(&e.to_string(), set.timeout()).0),
        };
        let (outcome, detail) = match result {
            Ok(regorus::Value::Bool(true)) => (Outcome::Pass, None),
            Ok(regorus::Value::Undefined) => (Outcome::Fail, Some("undefined".to_owned())),
            Ok(v) => (Outcome::Fail, Some(format!("evaluated to {v}"))),
            Err(e) => (Outcome::Error, Some(e)),
        };
        run.results.push(TestResult {
            name: name.strip_prefix("data.").unwrap_or(name).to_owned(),
            file: file.clone(),
            outcome,
            detail,
        });
    }
    if coverage {
        if let Ok(report) = engine.get_coverage_report() {
            let mut files: Vec<FileCoverage> = report
                .files
                .iter()
                .filter(|f| !f.path.ends_with("_test.rego"))
                .map(|f| FileCoverage {
                    path: f.path.clone(),
                    covered: f.covered.len(),
                    not_covered: f.not_covered.len(),
                    uncovered_lines: f.not_covered.iter().copied().collect(),
                })
                .collect();
            files.sort_by(|a, b| a.path.cmp(&b.path));
            run.coverage = Some(files);
        }
    }
    run
}
