//! `--format markdown`: a summary for a pull request comment or `$GITHUB_STEP_SUMMARY` (GitHub
//! flavoured Markdown; GitLab renders it too).
//!
//! A verdict heading (passed / FAILED at the `--fail-on` threshold), counts by severity, a
//! table of findings (severity, rule, title, `path:line`, message) — most severe first, at most
//! [`MAX_ROWS`] rows, then "… and N more" — the findings counted but not listed, the notes,
//! the checks, and a footer with the tool version. Every cell is escaped ([`cell`], [`code`]):
//! a `|` cannot break the table, Markdown and HTML in a message are shown, not rendered, and
//! `@name` / `#123` are broken with a zero-width space so that a comment never pings anyone or
//! links an issue. Cells are clipped so that a comment stays well under GitHub's 65,536
//! character limit. Only messages, titles and paths are written — never source text — so no
//! secret value can reach the comment.

use std::fmt::Write as _;
use std::io::{self, Write};

use super::verdict::{self, Gate};
use super::Render;
use crate::finding::{Finding, Level};
use crate::report::{Report, Verdict};

/// Rows of the findings table; the rest are counted in an "and N more" line.
pub const MAX_ROWS: usize = 50;
/// Longest message, title and location shown in a cell (characters).
const MESSAGE_MAX: usize = 200;
const TITLE_MAX: usize = 80;
const LOCATION_MAX: usize = 100;

pub struct Markdown;

/// Escape `text` for a table cell: on one line, every Markdown-active ASCII character
/// backslash-escaped (so emphasis, links, HTML and `|` are literal), and `@` / `#` followed by
/// a zero-width space (no mentions, no issue links).
pub fn cell(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in verdict::one_line(text).chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' | '&' | '!' => {
                out.push('\\');
                out.push(c);
            }
            '@' | '#' => {
                out.push(c);
                out.push('\u{200b}');
            }
            c => out.push(c),
        }
    }
    out
}

/// `text` as an inline code span in a table cell: on one line, fenced with more backticks
/// than it contains in a row, `|` escaped (GFM splits cells before it parses code spans).
pub fn code(text: &str) -> String {
    let text = verdict::one_line(text);
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    let fence = "`".repeat(longest + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') || longest > 0 {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{}{pad}{fence}", text.replace('|', "\\|"))
}

fn location(report: &Report, f: &Finding) -> String {
    let at = report
        .location(f)
        .map_or_else(|| f.path.clone(), |l| format!("{}:{}", f.path, l.line));
    code(&verdict::clip_start(&at, LOCATION_MAX))
}

fn heading(report: &Report) -> String {
    match verdict::gate(report) {
        Gate::None => "## custos".to_owned(),
        Gate::Passed(_) | Gate::Failed { .. } => {
            format!("## custos: {}", verdict::gate_text(report))
        }
    }
}

impl Render for Markdown {
    fn render(&self, report: &Report, out: &mut dyn Write) -> io::Result<()> {
        let st = &report.stats;
        let total = report.total_findings();
        writeln!(out, "{}", heading(report))?;
        writeln!(out)?;
        writeln!(
            out,
            "**{}** in {} ({}, {} rules).",
            verdict::plural(total, "finding", "findings"),
            verdict::plural(st.files_scanned, "file", "files"),
            verdict::plural(st.documents, "document", "documents"),
            st.rules
        )?;
        let counts = verdict::counts(report);
        if !counts.is_empty() {
            writeln!(out)?;
            writeln!(out, "| Severity | Findings |")?;
            writeln!(out, "| --- | ---: |")?;
            for (s, n) in counts {
                writeln!(out, "| {s} | {n} |")?;
            }
        }
        if !report.findings.is_empty() {
            // Most severe first, so that the cap keeps what matters; report order otherwise.
            let mut rows: Vec<&Finding> = report.findings.iter().collect();
            rows.sort_by_key(|f| std::cmp::Reverse(f.severity));
            writeln!(out)?;
            writeln!(out, "| Severity | Rule | Title | Location | Message |")?;
            writeln!(out, "| --- | --- | --- | --- | --- |")?;
            for f in rows.iter().take(MAX_ROWS) {
                let severity = match f.level {
                    Level::Failure => f.severity.as_str().to_owned(),
                    Level::Warning => format!("{} (warning)", f.severity),
                };
                writeln!(
                    out,
                    "| {} | {} | {} | {} | {} |",
                    severity,
                    code(&f.rule_id),
                    cell(&verdict::clip(report.title_of(f), TITLE_MAX)),
                    location(report, f),
                    cell(&verdict::clip(&verdict::message(report, f), MESSAGE_MAX)),
                )?;
            }
            if rows.len() > MAX_ROWS {
                writeln!(out)?;
                writeln!(
                    out,
                    "_… and {} more finding{} not shown here (at most {MAX_ROWS} rows, most severe first); the SARIF, JSON or GitLab reports list every finding._",
                    rows.len() - MAX_ROWS,
                    if rows.len() - MAX_ROWS == 1 { "" } else { "s" }
                )?;
            }
        }
        if !report.unlisted.is_empty() {
            writeln!(out)?;
            writeln!(
                out,
                "**Counted but not listed** (log files over the listing cap; they count in the totals and the gate):"
            )?;
            writeln!(out)?;
            writeln!(out, "| Severity | Rule | Title | File | Findings |")?;
            writeln!(out, "| --- | --- | --- | --- | ---: |")?;
            for u in &report.unlisted {
                writeln!(
                    out,
                    "| {} | {} | {} | {} | {} |",
                    u.severity,
                    code(&u.rule_id),
                    cell(&verdict::clip(report.catalog.title(&u.rule_id), TITLE_MAX)),
                    code(&verdict::clip_start(&u.path, LOCATION_MAX)),
                    u.count
                )?;
            }
        }
        if !report.notes.is_empty() {
            writeln!(out)?;
            writeln!(out, "**Notes**")?;
            writeln!(out)?;
            for n in &report.notes {
                writeln!(
                    out,
                    "- {}: {}",
                    code(&verdict::clip_start(&n.path, LOCATION_MAX)),
                    cell(&verdict::clip(&n.message, MESSAGE_MAX))
                )?;
            }
        }
        if !report.checks.is_empty() {
            writeln!(out)?;
            writeln!(out, "**Checks**")?;
            writeln!(out)?;
            writeln!(out, "| Check | Subject | Verdict | Summary |")?;
            writeln!(out, "| --- | --- | --- | --- |")?;
            for c in &report.checks {
                let verdict = match c.verdict {
                    Verdict::Fail => "**FAIL**",
                    Verdict::Pass => "pass",
                    Verdict::Inconclusive => "inconclusive",
                };
                writeln!(
                    out,
                    "| {} | {} | {} | {} |",
                    code(&c.id),
                    code(&verdict::clip_start(&c.subject, LOCATION_MAX)),
                    verdict,
                    cell(&verdict::clip(&c.summary, MESSAGE_MAX))
                )?;
            }
        }
        writeln!(out)?;
        let mut footer = format!("custos {}", report.run.version);
        if st.not_scanned > 0 {
            let _ = write!(
                footer,
                " · {} not scanned",
                verdict::plural(st.not_scanned, "file", "files")
            );
        }
        if st.suppressed_inline + st.waived > 0 {
            let _ = write!(
                footer,
                " · {} suppressed inline, {} waived",
                st.suppressed_inline, st.waived
            );
        }
        writeln!(out, "<sub>{footer}</sub>")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Severity;
    use crate::report::Unlisted;

    #[test]
    fn cells_cannot_break_the_table_or_render_markup() {
        assert_eq!(cell("a | b"), "a \\| b");
        assert_eq!(cell("line\nbreak"), "line break");
        assert_eq!(
            cell("**bold** <img src=x>"),
            "\\*\\*bold\\*\\* \\<img src=x\\>"
        );
        assert_eq!(cell("[x](http://e)"), "\\[x\\](http://e)");
        assert_eq!(cell("`code`"), "\\`code\\`");
        assert_eq!(cell("a\\|b"), "a\\\\\\|b");
    }

    #[test]
    fn cells_do_not_mention_or_link() {
        assert_eq!(cell("@team #12"), "@\u{200b}team #\u{200b}12");
    }

    #[test]
    fn code_spans_fence_backticks_and_escape_pipes() {
        assert_eq!(code("TF001"), "`TF001`");
        assert_eq!(code("a|b"), "`a\\|b`");
        assert_eq!(code("x`y"), "`` x`y ``");
        assert_eq!(code("``"), "``` `` ```");
    }

    #[test]
    fn checks_have_their_table_and_fail_the_heading() {
        let mut r = Report::default();
        r.checks.push(crate::report::Check {
            id: "chain-verify".into(),
            subject: "audit.log".into(),
            verdict: Verdict::Fail,
            summary: "TAMPERED | record 3".into(),
            evidence: Vec::new(),
        });
        let mut buf = Vec::new();
        Markdown.render(&r, &mut buf).unwrap();
        let s = String::from_utf8(buf).unwrap();
        assert!(s.starts_with("## custos: FAILED: 1 check failed\n"), "{s}");
        assert!(
            s.contains("| `chain-verify` | `audit.log` | **FAIL** | TAMPERED \\| record 3 |"),
            "{s}"
        );
    }

    #[test]
    fn rows_are_capped_and_the_rest_counted() {
        let mut r = Report {
            fail_on: Some(Severity::Medium),
            ..Report::default()
        };
        for i in 0..(MAX_ROWS + 3) {
            let sev = if i == MAX_ROWS + 2 {
                Severity::Critical
            } else {
                Severity::Low
            };
            r.findings
                .push(Finding::new("R1", sev, format!("m{i}"), "a.yaml"));
        }
        r.unlisted.push(Unlisted {
            path: "x.log".into(),
            rule_id: "PII001".into(),
            severity: Severity::High,
            level: Level::Failure,
            count: 9,
        });
        let mut buf = Vec::new();
        Markdown.render(&r, &mut buf).unwrap();
        let s = String::from_utf8(buf).unwrap();
        assert!(
            s.starts_with("## custos: FAILED: 10 at or above medium\n"),
            "{s}"
        );
        assert!(s.contains("and 3 more findings not shown"), "{s}");
        // The critical finding, last in report order, is in the table.
        assert!(s.contains("| m52 |"), "{s}");
        assert!(
            s.contains("| high | `PII001` | PII001 | `x.log` | 9 |"),
            "{s}"
        );
        assert_eq!(s.matches("| low | `R1`").count(), MAX_ROWS - 1);
    }
}
