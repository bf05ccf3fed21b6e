//! `--format tap`: Test Anything Protocol version 14, for harnesses that read TAP (`prove`,
//! `tap-junit`, CI plugins).
//!
//! The plan comes first. Each finding is one `not ok` test point whose description is
//! `RULE path:line title`, with a YAML diagnostic block (rule, title, severity, level, message,
//! location, fingerprint). A finding that does not count against the gate (below `--fail-on`,
//! or a warning without `--fail-on-warn`) carries a `# TODO` directive, so that a harness
//! passes or fails the run exactly as custos's exit code does. Each group of findings counted
//! but not listed is one more test point with its count; each check is a test point (`ok`
//! when it passed, `not ok` when it failed, `ok … # SKIP` when inconclusive). A clean run is
//! `1..1` / `ok 1 - no findings`. Notes and the summary line are TAP comments (`# …`).
//!
//! Descriptions escape `\` and `#` (TAP 14) and are kept on one line; YAML values are written
//! as JSON strings, which are valid YAML, so no message can break the block. Only messages,
//! titles and paths are written — never source text — so no secret value can reach the
//! output.

use std::io::{self, Write};

use super::verdict;
use super::Render;
use crate::finding::{Finding, Level, Severity};
use crate::report::{Report, Verdict};

pub struct Tap;

/// Escape a test point description: one line, `\` → `\\`, `#` → `\#` (an unescaped `#`
/// would start a directive).
pub fn escape_description(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in verdict::one_line(text).chars() {
        if matches!(c, '\\' | '#') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A YAML scalar: a JSON string, which YAML reads as a double-quoted scalar.
fn yaml(text: &str) -> String {
    serde_json::Value::String(text.to_owned()).to_string()
}

/// Whether a result of `level` and `severity` counts against the report's gate.
fn fails(report: &Report, level: Level, severity: Severity) -> bool {
    report
        .fail_on
        .is_some_and(|t| (level == Level::Failure || report.fail_on_warn) && severity >= t)
}

fn todo(report: &Report, level: Level, severity: Severity) -> &'static str {
    if report.fail_on.is_none() || fails(report, level, severity) {
        ""
    } else if level == Level::Warning && !report.fail_on_warn {
        " # TODO warning, does not fail the gate"
    } else {
        " # TODO below the fail-on threshold"
    }
}

fn finding_point(out: &mut dyn Write, n: usize, report: &Report, f: &Finding) -> io::Result<()> {
    let loc = report.location(f);
    let at = loc.map_or_else(|| f.path.clone(), |l| format!("{}:{}", f.path, l.line));
    writeln!(
        out,
        "not ok {n} - {}{}",
        escape_description(&format!("{} {at} {}", f.rule_id, report.title_of(f))),
        todo(report, f.level, f.severity)
    )?;
    writeln!(out, "  ---")?;
    writeln!(out, "  rule: {}", yaml(&f.rule_id))?;
    writeln!(out, "  title: {}", yaml(report.title_of(f)))?;
    writeln!(out, "  severity: {}", f.severity)?;
    let level = match f.level {
        Level::Failure => "failure",
        Level::Warning => "warning",
    };
    writeln!(out, "  level: {level}")?;
    writeln!(out, "  message: {}", yaml(&f.message))?;
    writeln!(out, "  location:")?;
    writeln!(out, "    path: {}", yaml(&f.path))?;
    if let Some(l) = loc {
        writeln!(out, "    line: {}", l.line)?;
        writeln!(out, "    column: {}", l.column)?;
        writeln!(out, "    end_line: {}", l.end_line)?;
        writeln!(out, "    end_column: {}", l.end_column)?;
    }
    if let Some(also) = verdict::also(report, f) {
        writeln!(out, "  occurrences: {}", 1 + f.related.len())?;
        writeln!(out, "  also: {}", yaml(&also))?;
    }
    writeln!(out, "  fingerprint: {}", yaml(&f.fingerprint))?;
    writeln!(out, "  ...")
}

impl Render for Tap {
    fn render(&self, report: &Report, out: &mut dyn Write) -> io::Result<()> {
        writeln!(out, "TAP version 14")?;
        let points = report.findings.len() + report.unlisted.len() + report.checks.len();
        if points == 0 {
            writeln!(out, "1..1")?;
            writeln!(out, "ok 1 - no findings")?;
        } else {
            writeln!(out, "1..{points}")?;
        }
        let mut n = 0;
        for f in &report.findings {
            n += 1;
            finding_point(out, n, report, f)?;
        }
        for u in &report.unlisted {
            n += 1;
            let title = report.catalog.title(&u.rule_id);
            writeln!(
                out,
                "not ok {n} - {}{}",
                escape_description(&format!(
                    "{} {} {title}: {} counted but not listed",
                    u.rule_id,
                    u.path,
                    verdict::plural(u.count, "finding", "findings")
                )),
                todo(report, u.level, u.severity)
            )?;
            writeln!(out, "  ---")?;
            writeln!(out, "  rule: {}", yaml(&u.rule_id))?;
            writeln!(out, "  title: {}", yaml(title))?;
            writeln!(out, "  severity: {}", u.severity)?;
            writeln!(out, "  count: {}", u.count)?;
            writeln!(out, "  location:")?;
            writeln!(out, "    path: {}", yaml(&u.path))?;
            writeln!(out, "  ...")?;
        }
        for c in &report.checks {
            n += 1;
            let what = escape_description(&format!("{} {}: {}", c.id, c.subject, c.summary));
            match c.verdict {
                Verdict::Pass => writeln!(out, "ok {n} - {what}")?,
                Verdict::Fail => writeln!(out, "not ok {n} - {what}")?,
                Verdict::Inconclusive => writeln!(out, "ok {n} - {what} # SKIP inconclusive")?,
            }
            if !c.evidence.is_empty() {
                writeln!(out, "  ---")?;
                writeln!(out, "  evidence:")?;
                for (k, v) in &c.evidence {
                    writeln!(out, "    {}: {}", yaml(k), yaml(v))?;
                }
                writeln!(out, "  ...")?;
            }
        }
        for note in &report.notes {
            writeln!(
                out,
                "# note: {}: {}",
                verdict::one_line(&note.path),
                verdict::one_line(&note.message)
            )?;
        }
        writeln!(
            out,
            "# {}",
            verdict::one_line(&verdict::summary_line(report))
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{Check, Note, Unlisted};

    fn render(r: &Report) -> String {
        let mut buf = Vec::new();
        Tap.render(r, &mut buf).unwrap();
        String::from_utf8(buf).unwrap()
    }

    #[test]
    fn descriptions_escape_hash_and_backslash() {
        assert_eq!(escape_description("a # b \\ c"), "a \\# b \\\\ c");
        assert_eq!(escape_description("x\ny"), "x y");
    }

    #[test]
    fn yaml_values_are_quoted_json() {
        assert_eq!(yaml("a: \"b\"\n- c"), "\"a: \\\"b\\\"\\n- c\"");
    }

    #[test]
    fn a_clean_run_is_one_passing_point() {
        let r = Report {
            fail_on: Some(Severity::Medium),
            ..Report::default()
        };
        let s = render(&r);
        assert!(
            s.starts_with("TAP version 14\n1..1\nok 1 - no findings\n"),
            "{s}"
        );
    }

    #[test]
    fn the_plan_counts_findings_unlisted_groups_and_checks() {
        let mut r = Report {
            fail_on: Some(Severity::High),
            ..Report::default()
        };
        r.findings.push(Finding::new(
            "A",
            Severity::Critical,
            "m # x".into(),
            "a.tf",
        ));
        r.findings
            .push(Finding::new("B", Severity::Low, "m".into(), "b.tf"));
        r.unlisted.push(Unlisted {
            path: "x.log".into(),
            rule_id: "PII001".into(),
            severity: Severity::High,
            level: Level::Failure,
            count: 4,
        });
        r.checks.push(Check {
            id: "chain-verify".into(),
            subject: "audit.log".into(),
            verdict: Verdict::Inconclusive,
            summary: "no seal".into(),
            evidence: vec![("records".into(), "3".into())],
        });
        r.notes.push(Note {
            path: "big.bin".into(),
            message: "skipped".into(),
        });
        let s = render(&r);
        assert!(s.contains("\n1..4\n"), "{s}");
        assert!(s.contains("\nnot ok 1 - A a.tf A\n"), "{s}");
        assert!(s.contains("  message: \"m # x\"\n"), "{s}");
        assert!(
            s.contains("\nnot ok 2 - B b.tf B # TODO below the fail-on threshold\n"),
            "{s}"
        );
        assert!(
            s.contains("\nnot ok 3 - PII001 x.log PII001: 4 findings counted but not listed\n"),
            "{s}"
        );
        assert!(
            s.contains("\nok 4 - chain-verify audit.log: no seal # SKIP inconclusive\n"),
            "{s}"
        );
        assert!(s.contains("\n# note: big.bin: skipped\n"), "{s}");
    }
}
