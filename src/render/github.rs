//! `--format github`: GitHub Actions workflow commands, one annotation per finding
//! (`::error file=…,line=…,endLine=…,col=…,endColumn=…,title=…::message`), shown on the
//! pull request's changed files and in the run's summary, then a final `::notice` with the
//! summary line.
//!
//! Findings come most severe first (GitHub shows only the first few annotations of each level
//! in a step), in report order within a severity.
//!
//! Annotation level: a finding that fails the gate (`--fail-on`, warnings only with
//! `--fail-on-warn`) is an `error`; any other finding is a `warning`, or a `notice` when its
//! severity is `info`. A report without a gate treats failures of medium severity and above as
//! errors. Columns are given only when a finding starts and ends on one line (GitHub applies
//! them only then); `endColumn` is one past the last character, as in SARIF. A finding without
//! a position names the file only.
//!
//! Every property value and message is escaped ([`escape_data`], [`escape_property`]), so that
//! no message or path can end the command, start another one or inject a property. Findings
//! counted but not listed are one annotation per file and rule with their count; notes and
//! checks are annotations too. Only messages, titles and remediation are written — never
//! source text — so no secret value can reach the log.

use std::io::{self, Write};

use super::verdict;
use super::Render;
use crate::finding::{Finding, Level, Severity};
use crate::report::{Report, Verdict};

pub struct GitHub;

/// Escape the data (message) of a workflow command: `%`, `\r` and `\n`.
pub fn escape_data(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            c => out.push(c),
        }
    }
    out
}

/// Escape a property value of a workflow command: as data, plus `:` and `,`, which would end
/// the value.
pub fn escape_property(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in escape_data(s).chars() {
        match c {
            ':' => out.push_str("%3A"),
            ',' => out.push_str("%2C"),
            c => out.push(c),
        }
    }
    out
}

/// One workflow command: `::{level} k=v,…::{message}`.
fn command(level: &str, props: &[(&str, String)], message: &str) -> String {
    let props: Vec<String> = props
        .iter()
        .map(|(k, v)| format!("{k}={}", escape_property(v)))
        .collect();
    if props.is_empty() {
        format!("::{level}::{}", escape_data(message))
    } else {
        format!("::{level} {}::{}", props.join(","), escape_data(message))
    }
}

/// The annotation level of a result of `level` and `severity`.
fn annotation(report: &Report, level: Level, severity: Severity) -> &'static str {
    let fails = match report.fail_on {
        Some(t) => (level == Level::Failure || report.fail_on_warn) && severity >= t,
        None => level == Level::Failure && severity >= Severity::Medium,
    };
    if fails {
        "error"
    } else if severity == Severity::Info {
        "notice"
    } else {
        "warning"
    }
}

fn finding_line(report: &Report, f: &Finding) -> String {
    let mut props = vec![("file", f.path.clone())];
    if let Some(l) = report.location(f) {
        props.push(("line", l.line.to_string()));
        props.push(("endLine", l.end_line.to_string()));
        if l.line == l.end_line && l.end_column > l.column {
            props.push(("col", l.column.to_string()));
            props.push(("endColumn", l.end_column.to_string()));
        }
    }
    let warn = if f.level == Level::Warning {
        ", warning"
    } else {
        ""
    };
    props.push((
        "title",
        format!(
            "{} [{}{warn}] {}",
            f.rule_id,
            f.severity,
            report.title_of(f)
        ),
    ));
    let mut message = verdict::message(report, f);
    if let Some(fix) = report.rule_of(f).and_then(|r| r.remediation.as_deref()) {
        message.push_str("\n\nRemediation: ");
        message.push_str(fix);
    }
    command(annotation(report, f.level, f.severity), &props, &message)
}

impl Render for GitHub {
    fn render(&self, report: &Report, out: &mut dyn Write) -> io::Result<()> {
        // GitHub shows only the first few annotations of each level per step: most severe
        // first, report order otherwise.
        let mut findings: Vec<&Finding> = report.findings.iter().collect();
        findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
        for f in findings {
            writeln!(out, "{}", finding_line(report, f))?;
        }
        for u in &report.unlisted {
            let props = [
                ("file", u.path.clone()),
                (
                    "title",
                    format!(
                        "{} [{}] {}",
                        u.rule_id,
                        u.severity,
                        report.catalog.title(&u.rule_id)
                    ),
                ),
            ];
            let message = format!(
                "{} counted but not listed in this file (listing cap per log file); they count in the totals and the gate",
                verdict::plural(u.count, "more finding", "more findings")
            );
            writeln!(
                out,
                "{}",
                command(annotation(report, u.level, u.severity), &props, &message)
            )?;
        }
        for n in &report.notes {
            let props = [
                ("file", n.path.clone()),
                ("title", "custos: note".to_owned()),
            ];
            writeln!(out, "{}", command("notice", &props, &n.message))?;
        }
        for c in &report.checks {
            let level = match c.verdict {
                Verdict::Pass => "notice",
                Verdict::Fail => "error",
                Verdict::Inconclusive => "warning",
            };
            let props = [
                ("file", c.subject.clone()),
                ("title", format!("custos {} {}", c.id, c.verdict.as_str())),
            ];
            writeln!(out, "{}", command(level, &props, &c.summary))?;
        }
        writeln!(
            out,
            "{}",
            command(
                "notice",
                &[("title", "custos".to_owned())],
                &verdict::summary_line(report)
            )
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::Span;
    use crate::report::SourceFile;

    #[test]
    fn data_escapes_percent_and_line_breaks_only() {
        assert_eq!(escape_data("100% a\r\nb: c, d"), "100%25 a%0D%0Ab: c, d");
        // `%` first, so an already-escaped sequence stays literal.
        assert_eq!(escape_data("%0A"), "%250A");
    }

    #[test]
    fn properties_also_escape_colon_and_comma() {
        assert_eq!(escape_property("a:b,c%d\ne"), "a%3Ab%2Cc%25d%0Ae");
    }

    #[test]
    fn a_message_cannot_start_another_command() {
        let line = command(
            "error",
            &[("file", "x,line=1::y".to_owned())],
            "m\n::error::injected",
        );
        assert_eq!(line.lines().count(), 1);
        assert_eq!(
            line,
            "::error file=x%2Cline=1%3A%3Ay::m%0A::error::injected"
        );
    }

    #[test]
    fn levels_follow_the_gate() {
        let mut r = Report {
            fail_on: Some(Severity::High),
            ..Report::default()
        };
        assert_eq!(annotation(&r, Level::Failure, Severity::High), "error");
        assert_eq!(annotation(&r, Level::Failure, Severity::Medium), "warning");
        assert_eq!(
            annotation(&r, Level::Warning, Severity::Critical),
            "warning"
        );
        assert_eq!(annotation(&r, Level::Failure, Severity::Info), "notice");
        r.fail_on_warn = true;
        assert_eq!(annotation(&r, Level::Warning, Severity::Critical), "error");
        r.fail_on = None;
        assert_eq!(annotation(&r, Level::Failure, Severity::Medium), "error");
        assert_eq!(annotation(&r, Level::Failure, Severity::Low), "warning");
    }

    #[test]
    fn positions_and_file_only_findings() {
        let mut r = Report::default();
        r.sources
            .insert("a.tf".into(), SourceFile::new("ab\ncdef\n".into()));
        let mut f = Finding::new("TF001", Severity::High, "m".into(), "a.tf");
        f.span = Some(Span::new(4, 6));
        let line = finding_line(&r, &f);
        assert!(
            line.starts_with("::error file=a.tf,line=2,endLine=2,col=2,endColumn=4,title="),
            "{line}"
        );
        f.span = None;
        assert!(finding_line(&r, &f).starts_with("::error file=a.tf,title="));
    }
}
