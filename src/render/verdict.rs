//! The gate's verdict and the run's counts, worded once for the CI formats (`github`,
//! `markdown`, `tap`, `table`), so that a summary line reads the same in a workflow log, a pull
//! request comment and a terminal. Also the small text shaping those formats share: one line
//! per value (no control characters reach a log or a terminal) and bounded widths.

use std::fmt::Write as _;

use crate::finding::Severity;
use crate::report::{Report, Verdict};

/// Severities with at least one finding (listed or not), most severe first.
pub fn counts(report: &Report) -> Vec<(Severity, usize)> {
    Severity::ALL
        .iter()
        .rev()
        .map(|s| (*s, report.count_severity(*s)))
        .filter(|(_, n)| *n > 0)
        .collect()
}

/// `4 critical, 7 high, 3 low` (empty when there are no findings).
pub fn counts_text(report: &Report) -> String {
    counts(report)
        .iter()
        .map(|(s, n)| format!("{n} {s}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `1 finding` / `18 findings`.
pub fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The gate's outcome, when the report has a gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    /// No finding at or above the threshold and no failed check.
    Passed(Severity),
    /// `failing` findings at or above the threshold (and/or `failed_checks` checks failed).
    Failed {
        threshold: Option<Severity>,
        failing: usize,
        failed_checks: usize,
    },
    /// A report without a gate (no threshold) and no failed check.
    None,
}

pub fn gate(report: &Report) -> Gate {
    let failed_checks = report
        .checks
        .iter()
        .filter(|c| c.verdict == Verdict::Fail)
        .count();
    let failing = report.fail_on.map_or(0, |t| report.failing(t));
    if failing > 0 || failed_checks > 0 {
        Gate::Failed {
            threshold: report.fail_on,
            failing,
            failed_checks,
        }
    } else if let Some(t) = report.fail_on {
        Gate::Passed(t)
    } else {
        Gate::None
    }
}

/// `passed (fail-on medium)` / `FAILED: 15 at or above medium` / `FAILED: 1 check failed`;
/// empty for a report without a gate that passed.
pub fn gate_text(report: &Report) -> String {
    let warn = if report.fail_on_warn {
        ", warnings included"
    } else {
        ""
    };
    match gate(report) {
        Gate::Passed(t) => format!("passed (fail-on {t}{warn})"),
        Gate::Failed {
            threshold,
            failing,
            failed_checks,
        } => {
            let mut parts = Vec::new();
            if let (Some(t), true) = (threshold, failing > 0) {
                parts.push(format!("{failing} at or above {t}{warn}"));
            }
            if failed_checks > 0 {
                parts.push(format!(
                    "{} failed",
                    plural(failed_checks, "check", "checks")
                ));
            }
            format!("FAILED: {}", parts.join(", "))
        }
        Gate::None => String::new(),
    }
}

/// One line summing up the run: `custos: 18 findings (4 critical, …) in 6 files; 1 file not
/// scanned (see notes); FAILED: 15 at or above medium`.
pub fn summary_line(report: &Report) -> String {
    let st = &report.stats;
    let total = report.total_findings();
    let mut s = format!("custos: {}", plural(total, "finding", "findings"));
    let counts = counts_text(report);
    if !counts.is_empty() {
        let _ = write!(s, " ({counts})");
    }
    let _ = write!(s, " in {}", plural(st.files_scanned, "file", "files"));
    if !report.unlisted.is_empty() {
        let _ = write!(
            s,
            "; {} listed, {} counted but not listed",
            report.findings.len(),
            total - report.findings.len()
        );
    }
    if st.not_scanned > 0 {
        let _ = write!(
            s,
            "; {} not scanned (see notes)",
            plural(st.not_scanned, "file", "files")
        );
    }
    if st.suppressed_inline + st.waived > 0 {
        let _ = write!(
            s,
            "; {} suppressed inline, {} waived",
            st.suppressed_inline, st.waived
        );
    }
    if let Some(r) = st.baseline_resolved.filter(|n| *n > 0) {
        let _ = write!(s, "; {r} baseline entries resolved");
    }
    if let Some(b) = st.baselined.filter(|n| *n > 0) {
        let _ = write!(s, "; {b} in the baseline (not shown)");
    }
    if !report.checks.is_empty() {
        let passed = report
            .checks
            .iter()
            .filter(|c| c.verdict == Verdict::Pass)
            .count();
        let _ = write!(
            s,
            "; {} passed of {}",
            passed,
            plural(report.checks.len(), "check", "checks")
        );
    }
    let gate = gate_text(report);
    if !gate.is_empty() {
        s.push_str("; ");
        s.push_str(&gate);
    }
    s
}

/// `text` on one line: line breaks and tabs become spaces, other control characters (an
/// escape sequence in a file name, say) become `\u{fffd}`, so that a value can neither end a
/// line of a line-based format nor drive a terminal.
pub fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\n' | '\r' | '\t' => ' ',
            c if c.is_control() => '\u{fffd}',
            c => c,
        })
        .collect()
}

/// `text` with control characters written as escapes (`\n`, `\t`, `\r`, `\u{1b}`), as git
/// quotes such file names: for a name shown in free-form text, where it must stay one visible
/// name, can neither break a line nor drive a terminal, and must still be recognisable.
pub fn escaped(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

/// At most `max` characters of `text`, ending in `…` when it was cut.
pub fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// At most `max` characters of `text`, keeping its end (`…/dir/file.tf:12`) when it was cut:
/// for paths, whose file name matters most.
pub fn clip_start(text: &str, max: usize) -> String {
    let n = text.chars().count();
    if n <= max {
        return text.to_owned();
    }
    let mut out = String::from("…");
    out.extend(text.chars().skip(n - max.saturating_sub(1)));
    out
}

/// The other places folded into a finding (the same value repeated, a YAML anchor reached
/// through aliases), shortly: `also at line 4, line 9, via /jobs/b/env and 3 more`; `None`
/// when it has none.
pub fn also(report: &Report, f: &crate::finding::Finding) -> Option<String> {
    const SHOWN: usize = 5;
    if f.related.is_empty() {
        return None;
    }
    let mut parts: Vec<String> = f
        .related
        .iter()
        .take(SHOWN)
        .map(|r| {
            match (
                &r.pointer,
                r.span.and_then(|sp| report.line_of(&f.path, sp)),
            ) {
                (Some(p), _) => format!("via {p}"),
                (None, Some(l)) => format!("line {l}"),
                (None, None) => "elsewhere in the file".to_owned(),
            }
        })
        .collect();
    if f.related.len() > SHOWN {
        parts.push(format!("and {} more", f.related.len() - SHOWN));
    }
    Some(format!("also at {}", parts.join(", ")))
}

/// A finding's message, followed by its other places when it has any:
/// `… is a literal credential (also at line 9, line 14)`.
pub fn message(report: &Report, f: &crate::finding::Finding) -> String {
    match also(report, f) {
        Some(a) => format!("{} ({a})", f.message),
        None => f.message.clone(),
    }
}

/// `path:line:column` of a finding, or `path` when it has no position.
pub fn position(report: &Report, f: &crate::finding::Finding) -> String {
    report.location(f).map_or_else(
        || f.path.clone(),
        |l| format!("{}:{}:{}", f.path, l.line, l.column),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{Finding, Level};
    use crate::report::{Check, Unlisted};

    #[test]
    fn one_line_removes_line_breaks_and_escape_sequences() {
        assert_eq!(one_line("a\nb\r\tc"), "a b  c");
        assert_eq!(one_line("x\u{1b}[31my"), "x\u{fffd}[31my");
        assert_eq!(one_line("plain é"), "plain é");
    }

    #[test]
    fn clips_count_characters_not_bytes() {
        assert_eq!(clip("ééééé", 5), "ééééé");
        assert_eq!(clip("éééééé", 5), "éééé…");
        assert_eq!(clip_start("a/b/c/file.tf", 8), "…file.tf");
        assert_eq!(clip_start("short", 8), "short");
    }

    #[test]
    fn also_lists_the_folded_places_shortly() {
        use crate::document::Span;
        use crate::finding::Related;
        use crate::report::SourceFile;
        let mut r = Report::default();
        r.sources
            .insert("a.yaml".into(), SourceFile::new("a\nb\nc\nd\n".into()));
        let mut f = Finding::new("X", Severity::Low, "m".into(), "a.yaml");
        assert_eq!(also(&r, &f), None);
        f.related.push(Related {
            span: Some(Span::new(4, 5)),
            pointer: None,
        });
        f.related.push(Related {
            span: None,
            pointer: Some("/jobs/b".into()),
        });
        for _ in 0..5 {
            f.related.push(Related {
                span: None,
                pointer: None,
            });
        }
        assert_eq!(
            also(&r, &f).unwrap(),
            "also at line 3, via /jobs/b, elsewhere in the file, elsewhere in the file, elsewhere in the file, and 2 more"
        );
    }

    #[test]
    fn summary_counts_unlisted_findings_and_failed_checks() {
        let mut r = Report {
            fail_on: Some(Severity::High),
            ..Report::default()
        };
        r.findings
            .push(Finding::new("X", Severity::Low, "m".into(), "a"));
        r.unlisted.push(Unlisted {
            path: "x.log".into(),
            rule_id: "PII001".into(),
            severity: Severity::High,
            level: Level::Failure,
            count: 7,
        });
        let s = summary_line(&r);
        assert!(s.contains("8 findings (7 high, 1 low)"), "{s}");
        assert!(s.contains("1 listed, 7 counted but not listed"), "{s}");
        assert!(s.ends_with("FAILED: 7 at or above high"), "{s}");
        r.unlisted.clear();
        assert!(summary_line(&r).ends_with("passed (fail-on high)"));
        r.checks.push(Check {
            id: "chain-verify".into(),
            subject: "a.log".into(),
            verdict: Verdict::Fail,
            summary: "TAMPERED".into(),
            evidence: Vec::new(),
        });
        assert!(summary_line(&r).ends_with("FAILED: 1 check failed"));
    }
}
