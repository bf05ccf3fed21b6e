//! `--format table`: a compact plain-text table for a terminal — one row per finding with
//! severity, rule, `path:line:column` and `title: message` — then the findings counted but not
//! listed, the notes, the checks and the summary line.
//!
//! Column widths follow the content up to a bound ([`RULE_MAX`], [`LOCATION_MAX`],
//! [`TEXT_MAX`] characters; long paths keep their end, long messages their start), so a row
//! stays readable whatever a policy writes. The severity is coloured only when
//! [`RenderOptions::color`] says so (a terminal without `NO_COLOR`, or `--color always`); no
//! escape code is written otherwise, and control characters in paths or messages are replaced,
//! so that a file name cannot drive the terminal. Only messages, titles and paths are written —
//! never source text — so no secret value can reach the output.

use std::io::{self, Write};

use super::verdict;
use super::{Render, RenderOptions};
use crate::finding::{Level, Severity};
use crate::report::{Report, Verdict};

/// Widest rule, location and message columns (characters).
pub const RULE_MAX: usize = 20;
pub const LOCATION_MAX: usize = 48;
pub const TEXT_MAX: usize = 120;

pub struct Table {
    pub options: RenderOptions,
}

struct Row {
    severity: Severity,
    severity_text: String,
    rule: String,
    location: String,
    text: String,
}

impl Table {
    fn paint(&self, severity: Severity, padded: &str) -> String {
        if !self.options.color {
            return padded.to_owned();
        }
        let code = match severity {
            Severity::Critical => "1;31",
            Severity::High => "31",
            Severity::Medium => "33",
            Severity::Low => "34",
            Severity::Info => "2",
        };
        format!("\x1b[{code}m{padded}\x1b[0m")
    }
}

fn rows(report: &Report) -> Vec<Row> {
    report
        .findings
        .iter()
        .map(|f| Row {
            severity: f.severity,
            severity_text: match f.level {
                Level::Failure => f.severity.as_str().to_owned(),
                Level::Warning => format!("{} (warning)", f.severity),
            },
            rule: verdict::clip(&verdict::one_line(&f.rule_id), RULE_MAX),
            location: verdict::clip_start(
                &verdict::one_line(&verdict::position(report, f)),
                LOCATION_MAX,
            ),
            text: verdict::clip(
                &verdict::one_line(&format!(
                    "{}: {}",
                    report.title_of(f),
                    verdict::message(report, f)
                )),
                TEXT_MAX,
            ),
        })
        .collect()
}

fn width(header: &str, cells: impl Iterator<Item = usize>) -> usize {
    cells.fold(header.chars().count(), usize::max)
}

impl Render for Table {
    fn render(&self, report: &Report, out: &mut dyn Write) -> io::Result<()> {
        let rows = rows(report);
        if !rows.is_empty() {
            let ws = width(
                "SEVERITY",
                rows.iter().map(|r| r.severity_text.chars().count()),
            );
            let wr = width("RULE", rows.iter().map(|r| r.rule.chars().count()));
            let wl = width("LOCATION", rows.iter().map(|r| r.location.chars().count()));
            writeln!(
                out,
                "{:<ws$}  {:<wr$}  {:<wl$}  MESSAGE",
                "SEVERITY", "RULE", "LOCATION"
            )?;
            for r in &rows {
                let sev = self.paint(r.severity, &format!("{:<ws$}", r.severity_text));
                writeln!(
                    out,
                    "{sev}  {:<wr$}  {:<wl$}  {}",
                    r.rule, r.location, r.text
                )?;
            }
        }
        // Sections are separated by one blank line; nothing precedes the first.
        let mut started = !rows.is_empty();
        let mut section = |out: &mut dyn Write| -> io::Result<()> {
            if started {
                writeln!(out)?;
            }
            started = true;
            Ok(())
        };
        if !report.unlisted.is_empty() {
            section(out)?;
            writeln!(
                out,
                "counted but not listed (log files over the listing cap):"
            )?;
            for u in &report.unlisted {
                let sev = self.paint(u.severity, u.severity.as_str());
                writeln!(
                    out,
                    "  {sev}  {}  {}  {} × {}",
                    verdict::clip(&verdict::one_line(&u.rule_id), RULE_MAX),
                    verdict::clip_start(&verdict::one_line(&u.path), LOCATION_MAX),
                    u.count,
                    verdict::clip(
                        &verdict::one_line(report.catalog.title(&u.rule_id)),
                        TEXT_MAX
                    )
                )?;
            }
        }
        if !report.checks.is_empty() {
            section(out)?;
            for c in &report.checks {
                let v = match c.verdict {
                    Verdict::Pass => "pass",
                    Verdict::Fail => "FAIL",
                    Verdict::Inconclusive => "inconclusive",
                };
                writeln!(
                    out,
                    "check {v}: {} {}: {}",
                    verdict::one_line(&c.id),
                    verdict::one_line(&c.subject),
                    verdict::clip(&verdict::one_line(&c.summary), TEXT_MAX)
                )?;
            }
        }
        if !report.notes.is_empty() {
            section(out)?;
            for n in &report.notes {
                writeln!(
                    out,
                    "note: {}: {}",
                    verdict::one_line(&n.path),
                    verdict::one_line(&n.message)
                )?;
            }
        }
        section(out)?;
        writeln!(out, "{}", verdict::summary_line(report))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Finding;

    fn render(color: bool, r: &Report) -> String {
        let mut buf = Vec::new();
        Table {
            options: RenderOptions { color },
        }
        .render(r, &mut buf)
        .unwrap();
        String::from_utf8(buf).unwrap()
    }

    fn report() -> Report {
        let mut r = Report {
            fail_on: Some(Severity::High),
            ..Report::default()
        };
        let long_path = format!("{}main.tf", "deep/".repeat(20));
        r.findings.push(Finding::new(
            "TF001",
            Severity::Critical,
            "x".repeat(300),
            &long_path,
        ));
        r.findings.push(Finding::new(
            "R\u{1b}[2J",
            Severity::Low,
            "evil\nname".into(),
            "a.yaml",
        ));
        r
    }

    #[test]
    fn no_escape_codes_without_colour_and_columns_are_bounded() {
        let s = render(false, &report());
        assert!(!s.contains('\u{1b}'), "{s}");
        for line in s.lines() {
            assert!(
                line.chars().count() <= 14 + 2 + RULE_MAX + 2 + LOCATION_MAX + 2 + TEXT_MAX,
                "{line}"
            );
        }
        assert!(s.contains("  …deep/") && s.contains("/main.tf  "), "{s}");
        assert_eq!(s.lines().count(), 1 + 2 + 1 + 1, "{s}");
    }

    #[test]
    fn a_report_of_checks_only_starts_with_its_checks() {
        let mut r = Report::default();
        r.checks.push(crate::report::Check {
            id: "chain-verify".into(),
            subject: "audit.log".into(),
            verdict: Verdict::Fail,
            summary: "TAMPERED: record 3 changed".into(),
            evidence: Vec::new(),
        });
        let s = render(false, &r);
        assert_eq!(
            s,
            "check FAIL: chain-verify audit.log: TAMPERED: record 3 changed\n\ncustos: 0 findings in 0 files; 0 passed of 1 check; FAILED: 1 check failed\n"
        );
    }

    #[test]
    fn colour_only_on_request() {
        let s = render(true, &report());
        assert!(s.contains("\x1b[1;31mcritical\x1b[0m"), "{s}");
        // Only our own codes: the one in the rule id was replaced.
        assert!(!s.contains("\x1b[2J"), "{s}");
    }
}
