//! The default terminal output: one miette diagnostic per finding (rule, severity,
//! `file:line:col`, the source line with the span underlined, remediation as help), then notes
//! and a summary. Values of sensitive findings are masked in the snippet.

use std::collections::BTreeMap;
use std::fmt;
use std::io::{self, Write};

use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError,
    MietteSpanContents, SourceCode, SourceSpan, SpanContents,
};

use super::{verdict, Render, RenderOptions};
use crate::detect::mask;
use crate::document::Span;
use crate::finding::{Finding, Level, Severity};
use crate::report::Report;

pub struct Human {
    pub options: RenderOptions,
}

/// The (masked) text of the one line a finding is on: no context lines, which could hold
/// secrets nobody has flagged, and no clipping to the span either.
struct LineSource<'a> {
    name: String,
    text: &'a str,
    /// 0-based line number of `text` in the file.
    line: usize,
    /// Byte offset of `text` in the file (spans are file offsets).
    base: usize,
}

impl SourceCode for LineSource<'_> {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        _before: usize,
        _after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let start = span.offset().saturating_sub(self.base).min(self.text.len());
        let column = self.text.get(..start).map_or(0, |p| p.chars().count());
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            self.text.as_bytes(),
            SourceSpan::from(self.base..self.base + self.text.len()),
            self.line,
            column,
            1,
        )))
    }
}

struct FindingDiagnostic<'a> {
    header: String,
    level: Level,
    help: Option<String>,
    src: Option<LineSource<'a>>,
    label: Option<(String, Span)>,
}

impl fmt::Debug for FindingDiagnostic<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.header)
    }
}

impl fmt::Display for FindingDiagnostic<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.header)
    }
}

impl std::error::Error for FindingDiagnostic<'_> {}

impl Diagnostic for FindingDiagnostic<'_> {
    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.level {
            Level::Failure => miette::Severity::Error,
            Level::Warning => miette::Severity::Warning,
        })
    }
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.src.as_ref().map(|s| s as &dyn SourceCode)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let (text, span) = self.label.as_ref()?;
        Some(Box::new(std::iter::once(LabeledSpan::new(
            Some(text.clone()),
            span.start,
            span.end - span.start,
        ))))
    }
}

/// Limit a span to its first line so a whole resource block does not fill the screen.
fn first_line(source: &str, span: Span) -> Span {
    let end = source
        .get(span.start..span.end)
        .and_then(|t| t.find('\n'))
        .map_or(span.end, |i| span.start + i);
    Span::new(span.start, end.max(span.start))
}

/// The source of every file with findings, with every sensitive finding's value masked — at
/// its span and wherever else the same value appears in the file (a comment repeating it, a
/// second assignment) — so that no snippet, of this finding or of another one, shows a
/// secret. Built once per file with one multi-pattern pass: linear in sources plus findings.
fn masked_sources(report: &Report) -> BTreeMap<&str, String> {
    /// Shorter values are masked at their spans only (a 3-character "secret" recurs by
    /// chance everywhere).
    const MIN_RECURRING: usize = 6;
    let mut values: BTreeMap<&str, std::collections::BTreeSet<&str>> = BTreeMap::new();
    let mut out: BTreeMap<&str, String> = BTreeMap::new();
    for (path, src) in &report.sources {
        out.insert(path.as_str(), src.text.clone());
    }
    for f in report.findings.iter().filter(|f| f.sensitive) {
        let (Some(span), Some(src), Some(text)) = (
            f.span,
            report.sources.get(&f.path),
            out.get_mut(f.path.as_str()),
        ) else {
            continue;
        };
        if let Some(secret) = src.text.get(span.range()) {
            text.replace_range(span.range(), &mask(secret));
            let inner = secret.trim_matches(|c| matches!(c, '"' | '\'' | '`'));
            if inner.len() >= MIN_RECURRING {
                values.entry(f.path.as_str()).or_default().insert(inner);
            }
        }
    }
    for (path, secrets) in values {
        let (Some(src), Some(text)) = (report.sources.get(path), out.get_mut(path)) else {
            continue;
        };
        // A handful of values searched once: the plain NFA, not a DFA built for it.
        let Ok(ac) = aho_corasick::AhoCorasick::builder()
            .kind(Some(aho_corasick::AhoCorasickKind::NoncontiguousNFA))
            .build(secrets.iter())
        else {
            continue;
        };
        for m in ac.find_overlapping_iter(src.text.as_str()) {
            if let Some(value) = src.text.get(m.range()) {
                if text.is_char_boundary(m.start()) && text.is_char_boundary(m.end()) {
                    text.replace_range(m.range(), &mask(value));
                }
            }
        }
    }
    out
}

fn diagnostic<'a>(
    f: &'a Finding,
    report: &Report,
    masked: &'a BTreeMap<&str, String>,
) -> FindingDiagnostic<'a> {
    let rule = report.rule_of(f);
    let mut header = match rule.map(|r| r.title.as_str()) {
        Some(title) if !title.is_empty() => {
            format!("{} [{}] {}: {}", f.rule_id, f.severity, title, f.message)
        }
        _ => format!("{} [{}] {}", f.rule_id, f.severity, f.message),
    };
    if f.context != crate::context::PathContext::Source {
        header = format!("{header} ({} file)", f.context.as_str());
    }
    let mut d = FindingDiagnostic {
        header,
        level: f.level,
        help: rule.and_then(|r| r.remediation.clone()),
        src: None,
        label: None,
    };
    if let Some(e) = &f.excerpt {
        let label = match f.level {
            Level::Failure => "here",
            Level::Warning => "warning here",
        };
        d.src = Some(LineSource {
            name: verdict::escaped(&f.path).into_owned(),
            text: &e.text,
            line: e.line - 1,
            base: e.line_start,
        });
        d.label = Some((
            label.to_owned(),
            Span::new(e.line_start + e.start, e.line_start + e.end),
        ));
    } else if let (Some(text), Some(src), Some(span)) = (
        masked.get(f.path.as_str()),
        report.sources.get(&f.path),
        f.span,
    ) {
        // Only the span's first line is handed to the snippet renderer, with its line number
        // from the file's index: rendering stays linear in the findings of a file.
        let span = first_line(text, span);
        let (line, range) = src.line_at(span.start);
        let label = match f.level {
            Level::Failure => "here",
            Level::Warning => "warning here",
        };
        d.src = Some(LineSource {
            name: verdict::escaped(&f.path).into_owned(),
            text: text.get(range.range()).unwrap_or_default(),
            line: line - 1,
            base: range.start,
        });
        d.label = Some((
            label.to_owned(),
            Span::new(span.start, span.end.min(range.end).max(span.start)),
        ));
    }
    d
}

/// The other places folded into a finding, shortly: lines, and the paths that reach an anchor.
fn also(f: &Finding, report: &Report) -> String {
    const SHOWN: usize = 10;
    let mut parts: Vec<String> = f
        .related
        .iter()
        .take(SHOWN)
        .map(|r| {
            let line = r.span.and_then(|sp| report.line_of(&f.path, sp));
            match (&r.pointer, line) {
                (Some(p), _) => format!("via {p}"),
                (None, Some(l)) => format!("line {l}"),
                (None, None) => "elsewhere in the file".to_owned(),
            }
        })
        .collect();
    if f.related.len() > SHOWN {
        parts.push(format!("and {} more", f.related.len() - SHOWN));
    }
    format!(
        "{} more occurrence{} ({})",
        f.related.len(),
        if f.related.len() == 1 { "" } else { "s" },
        parts.join(", ")
    )
}

impl Render for Human {
    fn render(&self, report: &Report, out: &mut dyn Write) -> io::Result<()> {
        let theme = if self.options.color {
            GraphicalTheme::unicode()
        } else {
            GraphicalTheme::unicode_nocolor()
        };
        let handler = GraphicalReportHandler::new_themed(theme).with_context_lines(0);
        let masked = masked_sources(report);
        for f in &report.findings {
            let d = diagnostic(f, report, &masked);
            let mut s = String::new();
            if handler.render_report(&mut s, &d).is_err() {
                s = format!(
                    "{}: {} {}\n",
                    verdict::escaped(&f.path),
                    f.rule_id,
                    d.header
                );
            }
            if d.src.is_none() {
                // No position to show: still name the file.
                writeln!(out, "{}:", verdict::escaped(&f.path))?;
            }
            write!(out, "{s}")?;
            if !f.related.is_empty() {
                writeln!(out, "  also: {}", also(f, report))?;
            }
            if let Some(rule) = report.rule_of(f).filter(|r| !r.controls.is_empty()) {
                writeln!(out, "  controls: {}", rule.controls.join(", "))?;
            }
            writeln!(out)?;
        }
        for n in &report.notes {
            writeln!(out, "note: {}: {}", verdict::escaped(&n.path), n.message)?;
        }
        if !report.notes.is_empty() {
            writeln!(out)?;
        }
        if !report.unlisted.is_empty() {
            writeln!(out, "counted but not listed:")?;
            for u in &report.unlisted {
                writeln!(
                    out,
                    "  {}: {} {} ({}) ×{}",
                    verdict::escaped(&u.path),
                    u.rule_id,
                    u.severity,
                    report.catalog.title(&u.rule_id),
                    u.count
                )?;
            }
            writeln!(out)?;
        }
        writeln!(out, "{}", summary_line(report))
    }
}

/// The one-line summary that ends the human output (and is all `--quiet` prints): findings by
/// severity, what was scanned, what was suppressed, waived or baselined, and the gate's verdict.
pub fn summary_line(report: &Report) -> String {
    use std::fmt::Write as _;
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    let counts: Vec<String> = Severity::ALL
        .iter()
        .rev()
        .filter_map(|s| {
            let n = report.count_severity(*s);
            (n > 0).then(|| format!("{n} {s}"))
        })
        .collect();
    let st = &report.stats;
    let total = report.total_findings();
    let mut out = format!(
        "custos: {total} finding{}{} in {} file{} ({} document{}, {} rules)",
        plural(total),
        if counts.is_empty() {
            String::new()
        } else {
            format!(" ({})", counts.join(", "))
        },
        st.files_scanned,
        plural(st.files_scanned),
        st.documents,
        plural(st.documents),
        st.rules,
    );
    if !report.unlisted.is_empty() {
        let _ = write!(out, "; {} listed", report.findings.len());
    }
    if st.not_scanned > 0 {
        let _ = write!(
            out,
            "; {} file{} not scanned (see notes)",
            st.not_scanned,
            plural(st.not_scanned)
        );
    }
    if st.suppressed_inline + st.waived > 0 {
        let _ = write!(
            out,
            "; {} suppressed inline, {} waived",
            st.suppressed_inline, st.waived
        );
    }
    if let (Some(b), Some(r)) = (st.baselined, st.baseline_resolved) {
        let _ = write!(
            out,
            "; {b} in baseline, {r} baseline entr{} no longer found",
            if r == 1 { "y" } else { "ies" }
        );
    }
    if let Some(t) = report.fail_on {
        let failing = report.failing(t);
        let warn = if report.fail_on_warn {
            " (warnings included)"
        } else {
            ""
        };
        if failing > 0 {
            let _ = write!(out, "; FAILED: {failing} at or above {t}{warn}");
        } else {
            let _ = write!(out, "; passed (fail-on {t}{warn})");
        }
    }
    out
}
