//! `custos policy test`: run `test_*` rules with OPA semantics (a test passes when it
//! evaluates to `true`; `false`, undefined or an error fails it), with optional line coverage.

use serde::Serialize;

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

/// Run every test rule in the set.
pub fn run(set: &PolicySet, coverage: bool) -> TestRun {
    let mut engine = set.engine().clone();
    if coverage {
        engine.set_enable_coverage(true);
    }
    let mut run = TestRun::default();
    for (name, file) in set.tests() {
        let (outcome, detail) = match engine.eval_rule(name.clone()) {
            Ok(regorus::Value::Bool(true)) => (Outcome::Pass, None),
            Ok(regorus::Value::Undefined) => (Outcome::Fail, Some("undefined".to_owned())),
            Ok(v) => (Outcome::Fail, Some(format!("evaluated to {v}"))),
            Err(e) => (Outcome::Error, Some(e.to_string())),
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
