//! `--format gitlab`: a GitLab Code Quality report (`artifacts:reports:codequality`), the
//! subset of the Code Climate issue format GitLab reads: a JSON array of issues with
//! `description`, `check_name`, `fingerprint`, `severity` and `location.path` +
//! `location.lines.begin`. GitLab shows them in the merge request widget and diff; it matches
//! issues between pipelines by `fingerprint`, so ours (stable across line moves, unique per
//! report) is used as is.
//!
//! Mapping (documented in `docs/formats-ci.md`): severity info → `info`, low → `minor`,
//! medium → `major`, high → `critical`, critical → `blocker`; every issue is in the
//! `Security` category. Findings without a position point at line 1 (GitLab requires a line).
//! The format has no summary, so findings counted but not listed (a log over the listing cap)
//! become one issue per file and rule saying how many, and files passed over (notes) become
//! `info` issues: nothing is dropped silently. Only messages, titles and remediation are
//! written — never source text, so no secret value can reach the report.

use std::fmt::Write as _;
use std::io::{self, Write};

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::Render;
use crate::finding::Severity;
use crate::report::Report;

pub struct GitLab;

#[derive(Serialize)]
struct Issue<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    check_name: &'a str,
    description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    content: Option<Content<'a>>,
    categories: [&'static str; 1],
    severity: &'static str,
    fingerprint: String,
    location: Location<'a>,
}

#[derive(Serialize)]
struct Content<'a> {
    body: &'a str,
}

#[derive(Serialize)]
struct Location<'a> {
    path: &'a str,
    lines: Lines,
}

#[derive(Serialize)]
struct Lines {
    begin: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    end: Option<usize>,
}

/// GitLab's severity for ours.
pub const fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Info => "info",
        Severity::Low => "minor",
        Severity::Medium => "major",
        Severity::High => "critical",
        Severity::Critical => "blocker",
    }
}

/// A fingerprint for an issue that is not a finding (an unlisted count, a note): a hash of
/// what identifies it, in the same 32-hex-digit shape as a finding's, prefixed so it can never
/// equal one.
fn synthetic_fingerprint(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0]);
    }
    let digest = h.finalize();
    let mut s = String::from("custos-");
    for b in digest.iter().take(16) {
        let _ = write!(s, "{b:02x}");
    }
    s
}

fn issues(report: &Report) -> Vec<Issue<'_>> {
    let mut out = Vec::with_capacity(report.findings.len() + report.unlisted.len());
    for f in &report.findings {
        let loc = report.location(f);
        let rule = report.rule_of(f);
        let level = match f.level {
            crate::finding::Level::Failure => "",
            crate::finding::Level::Warning => " (warning)",
        };
        out.push(Issue {
            kind: "issue",
            check_name: &f.rule_id,
            description: format!(
                "{} {}{level}: {}",
                f.rule_id,
                report.title_of(f),
                super::verdict::message(report, f)
            ),
            content: rule
                .and_then(|r| r.remediation.as_deref())
                .map(|body| Content { body }),
            categories: ["Security"],
            severity: severity(f.severity),
            fingerprint: f.fingerprint.clone(),
            location: Location {
                path: &f.path,
                lines: Lines {
                    begin: loc.map_or(1, |l| l.line),
                    end: loc.map(|l| l.end_line),
                },
            },
        });
    }
    for u in &report.unlisted {
        out.push(Issue {
            kind: "issue",
            check_name: &u.rule_id,
            description: format!(
                "{} {}: {} more finding{} of this rule in this file, counted but not listed (listing cap per log file); they count in the totals and the gate",
                u.rule_id,
                report.catalog.title(&u.rule_id),
                u.count,
                if u.count == 1 { "" } else { "s" },
            ),
            content: None,
            categories: ["Security"],
            severity: severity(u.severity),
            fingerprint: synthetic_fingerprint(&[
                "unlisted",
                &u.path,
                &u.rule_id,
                u.severity.as_str(),
            ]),
            location: Location {
                path: &u.path,
                lines: Lines {
                    begin: 1,
                    end: None,
                },
            },
        });
    }
    for n in &report.notes {
        out.push(Issue {
            kind: "issue",
            check_name: "custos-note",
            description: format!("custos: {}", n.message),
            content: None,
            categories: ["Security"],
            severity: "info",
            fingerprint: synthetic_fingerprint(&["note", &n.path, &n.message]),
            location: Location {
                path: &n.path,
                lines: Lines {
                    begin: 1,
                    end: None,
                },
            },
        });
    }
    out
}

impl Render for GitLab {
    fn render(&self, report: &Report, out: &mut dyn Write) -> io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, &issues(report)).map_err(io::Error::other)?;
        writeln!(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::Span;
    use crate::finding::{Finding, Level};
    use crate::report::{Note, SourceFile, Unlisted};

    fn report() -> Report {
        let mut r = Report::default();
        r.sources
            .insert("a.tf".into(), SourceFile::new("x = 1\ny = \"z\"\n".into()));
        let mut f = Finding::new("TF001", Severity::Critical, "literal".into(), "a.tf");
        f.span = Some(Span::new(10, 13));
        f.fingerprint = "f1".into();
        r.findings.push(f);
        let mut g = Finding::new("AF004", Severity::Low, "no position".into(), "b.py");
        g.fingerprint = "f2".into();
        g.level = Level::Warning;
        r.findings.push(g);
        r.unlisted.push(Unlisted {
            path: "big.log".into(),
            rule_id: "PII001".into(),
            severity: Severity::High,
            level: Level::Failure,
            count: 12,
        });
        r.notes.push(Note {
            path: "huge.bin".into(),
            message: "skipped: binary".into(),
        });
        r
    }

    #[test]
    fn every_finding_count_and_note_is_an_issue_with_a_unique_fingerprint() {
        let r = report();
        let v = serde_json::to_value(issues(&r)).unwrap();
        let a = v.as_array().unwrap();
        assert_eq!(a.len(), 4);
        assert_eq!(a[0]["location"]["lines"]["begin"], 2);
        assert_eq!(a[0]["severity"], "blocker");
        assert_eq!(a[1]["location"]["lines"]["begin"], 1);
        assert!(a[1]["location"]["lines"].get("end").is_none());
        assert!(a[1]["description"].as_str().unwrap().contains("(warning)"));
        assert!(a[2]["description"].as_str().unwrap().contains("12 more"));
        assert_eq!(a[3]["severity"], "info");
        let mut fps: Vec<&str> = a
            .iter()
            .map(|i| i["fingerprint"].as_str().unwrap())
            .collect();
        fps.sort_unstable();
        fps.dedup();
        assert_eq!(fps.len(), 4);
    }

    #[test]
    fn severity_mapping_is_total_and_ordered() {
        let names: Vec<&str> = Severity::ALL.iter().map(|s| severity(*s)).collect();
        assert_eq!(names, ["info", "minor", "major", "critical", "blocker"]);
    }
}
