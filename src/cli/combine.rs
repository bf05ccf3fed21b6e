//! conftest's `--combine` and conftest's own reporting of a scan.
//!
//! With `--combine`, the user's conftest-style policies are evaluated once, over one input:
//! the array of `{"path": …, "contents": …}` of every document of every file, sorted by path
//! (a multi-document YAML file gives one entry per document), as conftest's
//! `CombineConfigurations` builds it. Findings are reported against the pseudo-file
//! `Combined`, as conftest names them. Bundled rules, which judge one document of a known
//! kind, are not evaluated on the combined input.
//!
//! Every scan with conftest-style policies also gets conftest's own accounting as checks
//! (see [`add_conftest_results`]): the exceptions that applied, and the summary line.

use std::path::PathBuf;

use crate::config::Config;
use crate::document::{Document, Kind};
use crate::parse::Limits;
use crate::policy::PolicySet;
use crate::report::{Check, Command, Report, Verdict};

/// The path conftest gives results of a combined evaluation.
pub const COMBINED: &str = "Combined";

/// Check id of an exception that suppressed a conftest rule on a document.
pub const EXCEPTION_CHECK: &str = "policy-exception";
/// Check id of conftest's summary line.
pub const TALLY_CHECK: &str = "policy-tally";

/// Scan `roots` with `--combine`.
pub fn scan(
    roots: &[PathBuf],
    config: &Config,
    policies: &PolicySet,
) -> Result<Report, crate::discover::RootError> {
    let found = crate::discover::discover(roots, config)?;
    let mut report = Report::new(Command::Scan, &crate::discover::display_path(&config.root));
    report.notes = found.notes;
    report.fail_on = Some(config.fail_on);
    report.catalog = crate::catalog::build(policies.rules());
    report.stats.rules = policies.rules().count();
    let mut entries: Vec<(String, serde_json::Value)> = Vec::new();
    for c in &found.files {
        let Ok(source) = std::fs::read_to_string(&c.fs_path) else {
            report.notes.push(crate::report::Note {
                path: c.display.clone(),
                message: "skipped: not readable as UTF-8 text (--combine)".to_owned(),
            });
            continue;
        };
        let rel = crate::discover::rel_to(&config.root, &c.fs_path);
        let (_, syntax) = crate::discover::classify(&rel, &source, config);
        report.stats.files_scanned += 1;
        report.stats.bytes += source.len() as u64;
        let Some(parsed) = crate::parse::parse_conftest(syntax, &source, &Limits::default()) else {
            continue;
        };
        if let Some(e) = parsed.error {
            let mut f = crate::finding::Finding::new(
                "parse-error",
                config.parse_error_severity,
                format!("{} (it was left out of the combined input)", e.message),
                &c.display,
            );
            f.compute_fingerprint(None);
            report.findings.push(f);
            continue;
        }
        for d in parsed.docs {
            report.stats.documents += 1;
            entries.push((c.display.clone(), d.value));
        }
    }
    // Sorted by path; documents of one file keep their order.
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    let input = serde_json::Value::Array(
        entries
            .into_iter()
            .map(|(path, contents)| serde_json::json!({"path": path, "contents": contents}))
            .collect(),
    );
    let doc = Document {
        path: COMBINED.to_owned(),
        kind: Kind::Json,
        index: 0,
        input,
        spans: crate::document::SpanMap::default(),
    };
    let mut ev = policies.worker();
    for mut f in ev.evaluate_conftest(&doc, config) {
        f.compute_fingerprint(None);
        report.findings.push(f);
    }
    drop(ev);
    crate::finding::sort_findings(&mut report.findings);
    Ok(report)
}

/// Add conftest's accounting to a scan report, when conftest-style policies were evaluated:
/// one passing check per exception (`EXCP` in conftest's output: the path, the package and
/// the exception query), and one check with conftest's summary line and its counts as
/// evidence. `print()` output is returned to be shown on stderr.
pub fn add_conftest_results(report: &mut Report, policies: &PolicySet) -> Vec<String> {
    let tally = policies.take_tally();
    if !policies.has_conftest_rules() {
        return tally.prints;
    }
    for (path, namespace, query) in &tally.excepted {
        report.checks.push(Check {
            id: EXCEPTION_CHECK.to_owned(),
            subject: path.clone(),
            verdict: Verdict::Pass,
            summary: format!("EXCP - {path} - {namespace} - {query}"),
            evidence: vec![
                ("namespace".to_owned(), namespace.clone()),
                ("query".to_owned(), query.clone()),
            ],
        });
    }
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    report.checks.push(Check {
        id: TALLY_CHECK.to_owned(),
        subject: "conftest".to_owned(),
        verdict: Verdict::Pass,
        summary: format!(
            "{}, {} passed, {}, {}, {}",
            plural(tally.tests, "test"),
            tally.passed,
            plural(tally.warnings, "warning"),
            plural(tally.failures, "failure"),
            plural(tally.exceptions, "exception"),
        ),
        evidence: vec![
            ("tests".to_owned(), tally.tests.to_string()),
            ("passed".to_owned(), tally.passed.to_string()),
            ("warnings".to_owned(), tally.warnings.to_string()),
            ("failures".to_owned(), tally.failures.to_string()),
            ("exceptions".to_owned(), tally.exceptions.to_string()),
        ],
    });
    tally.prints
}
