//! Verification results as the common report model ([`crate::report::Report`]), so that chain
//! and CloudTrail verification render through every output format (SARIF, JUnit, Markdown …)
//! like a scan.
//!
//! A verification is one [`Check`] (the verdict with its evidence) plus one finding per
//! problem: `chain-tampered` for evidence of tampering, at the line of the chain file where it
//! was found, or `chain-unverifiable` when the verdict cannot be reached. No record content is
//! copied into the report — records may hold personal data — only line numbers, sequence
//! numbers and the verifier's own descriptions.

use super::cloudtrail::TrailReport;
use super::merkle::to_hex;
use super::{Outcome, VerifyReport};
use crate::finding::{self, Excerpt, Finding, Severity};
use crate::report::{Check, Command, Report, Verdict};

const TAMPERED: &str = "chain-tampered";
const UNVERIFIABLE: &str = "chain-unverifiable";

fn verdict(outcome: Outcome, allow_empty: bool) -> Verdict {
    match outcome {
        Outcome::Intact => Verdict::Pass,
        Outcome::Empty if allow_empty => Verdict::Pass,
        Outcome::Tampered => Verdict::Fail,
        Outcome::Empty | Outcome::CannotVerify => Verdict::Inconclusive,
    }
}

/// A finding at a 1-based line of `path` (no byte offsets: the file is streamed, not kept).
fn at_line(rule: &str, severity: Severity, message: String, path: &str, line: usize) -> Finding {
    let mut f = Finding::new(rule, severity, message, path);
    if line > 0 {
        f.excerpt = Some(Excerpt {
            line,
            line_start: 0,
            column: 1,
            text: String::new(),
            start: 0,
            end: 0,
        });
    }
    f
}

fn finish(mut report: Report) -> Report {
    for f in &mut report.findings {
        f.compute_fingerprint(None);
    }
    finding::disambiguate_fingerprints(&mut report.findings);
    report.catalog = crate::catalog::builtin_only();
    report.fail_on = Some(Severity::Info);
    report
}

/// The report of verifying the chain file `path`.
pub fn chain_report(path: &str, r: &VerifyReport, allow_empty: bool) -> Report {
    let mut report = Report::new(Command::ChainVerify, ".");
    let outcome = r.outcome();
    let mut evidence = vec![
        ("records".to_owned(), r.records.to_string()),
        ("merkle_root".to_owned(), to_hex(&r.root)),
    ];
    if let Some(n) = r.trusted_size {
        evidence.push(("trusted_size".into(), n.to_string()));
    }
    for c in &r.checkpoints {
        evidence.push((
            format!("checkpoint {}", c.source),
            format!(
                "origin {}, size {}, signature {:?}, root matches {}",
                c.origin,
                c.size,
                c.signature,
                c.matches
                    .map_or_else(|| "n/a".to_owned(), |m| m.to_string())
            ),
        ));
    }
    if let Some(c) = r.caveat() {
        evidence.push(("caveat".into(), c));
    }
    report.checks.push(Check {
        id: "chain-verify".into(),
        subject: path.to_owned(),
        verdict: verdict(outcome, allow_empty),
        summary: r.summary(),
        evidence,
    });
    for p in &r.problems {
        let message = match p.seq {
            Some(s) => format!("{} (seq {s}): {}", p.kind.as_str(), p.detail),
            None => format!("{}: {}", p.kind.as_str(), p.detail),
        };
        report
            .findings
            .push(at_line(TAMPERED, Severity::Critical, message, path, p.line));
    }
    if r.problems_not_shown > 0 {
        report.findings.push(at_line(
            TAMPERED,
            Severity::Critical,
            format!("{} more problems, not listed", r.problems_not_shown),
            path,
            0,
        ));
    }
    if matches!(outcome, Outcome::CannotVerify) || (outcome == Outcome::Empty && !allow_empty) {
        report
            .findings
            .push(at_line(UNVERIFIABLE, Severity::High, r.summary(), path, 0));
    }
    report.stats.files_scanned = 1;
    report.stats.documents = usize::try_from(r.records).unwrap_or(usize::MAX);
    finish(report)
}

/// The report of verifying a CloudTrail digest directory `dir`.
pub fn trail_report(dir: &str, r: &TrailReport) -> Report {
    let mut report = Report::new(Command::CloudtrailVerify, dir);
    let outcome = r.outcome();
    let mut evidence = vec![
        ("digest_files".to_owned(), r.digests.to_string()),
        ("log_files".to_owned(), r.log_files.to_string()),
    ];
    for n in &r.notes {
        evidence.push(("note".into(), n.clone()));
    }
    report.checks.push(Check {
        id: "cloudtrail-verify".into(),
        subject: dir.to_owned(),
        verdict: verdict(outcome, false),
        summary: r.summary(),
        evidence,
    });
    for p in &r.problems {
        report.findings.push(Finding::new(
            TAMPERED,
            Severity::Critical,
            format!("{}: {}", p.kind, p.detail),
            &p.file,
        ));
    }
    if matches!(outcome, Outcome::CannotVerify | Outcome::Empty) {
        report
            .findings
            .push(Finding::new(UNVERIFIABLE, Severity::High, r.summary(), dir));
    }
    report.stats.files_scanned = r.digests + r.log_files;
    finish(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::{Problem, ProblemKind};

    fn verify_report(problems: Vec<Problem>, records: u64) -> VerifyReport {
        VerifyReport {
            records,
            problems,
            ..VerifyReport::default()
        }
    }

    #[test]
    fn a_tampered_chain_is_a_failed_check_with_findings_at_lines() {
        let r = verify_report(
            vec![Problem {
                line: 7,
                seq: Some(6),
                kind: ProblemKind::Modified,
                detail: "hash does not match".into(),
            }],
            10,
        );
        let report = chain_report("audit.jsonl", &r, false);
        assert_eq!(report.checks[0].verdict, Verdict::Fail);
        assert!(report.gate_failed());
        let f = &report.findings[0];
        assert_eq!(f.rule_id, "chain-tampered");
        assert_eq!(report.location(f).map(|l| l.line), Some(7));
        assert!(report.catalog.get("chain-tampered").is_some());
        assert!(!f.fingerprint.is_empty());
    }

    #[test]
    fn an_intact_chain_passes_and_an_empty_one_is_inconclusive() {
        let ok = chain_report("a.jsonl", &verify_report(Vec::new(), 3), false);
        assert_eq!(ok.checks[0].verdict, Verdict::Pass);
        assert!(ok.findings.is_empty());
        assert!(!ok.gate_failed());
        let empty = chain_report("e.jsonl", &verify_report(Vec::new(), 0), false);
        assert_eq!(empty.checks[0].verdict, Verdict::Inconclusive);
        assert_eq!(empty.findings[0].rule_id, "chain-unverifiable");
        assert!(empty.gate_failed());
        let allowed = chain_report("e.jsonl", &verify_report(Vec::new(), 0), true);
        assert_eq!(allowed.checks[0].verdict, Verdict::Pass);
        assert!(allowed.findings.is_empty());
    }
}
