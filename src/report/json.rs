//! `--format json`: a stable, versioned schema (documented in `docs/json-output.md`).
//! Bump [`SCHEMA_VERSION`] on any incompatible change. No source snippets are included, so
//! no secret value can reach this output through them.

use std::io::{self, Write};

use serde::Serialize;

use super::Render;
use crate::document::LineIndex;
use crate::finding::{Finding, Level, Severity};
use crate::scan::{ScanReport, Stats};

pub const SCHEMA_VERSION: u32 = 1;

pub struct Json;

#[derive(Serialize)]
struct Out<'a> {
    version: u32,
    tool: Tool,
    summary: Summary<'a>,
    findings: Vec<OutFinding<'a>>,
    unlisted: &'a [crate::scan::Unlisted],
    notes: &'a [crate::discover::Note],
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
    commit: &'static str,
    policies_sha256: &'static str,
}

#[derive(Serialize)]
struct Summary<'a> {
    #[serde(flatten)]
    stats: &'a Stats,
    /// Every finding, listed or counted in `unlisted`.
    findings: usize,
    listed: usize,
    by_severity: std::collections::BTreeMap<&'static str, usize>,
    fail_on: Option<Severity>,
    failed: bool,
}

#[derive(Serialize)]
struct Location {
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    start_byte: usize,
    end_byte: usize,
}

#[derive(Serialize)]
struct OutFinding<'a> {
    rule_id: &'a str,
    title: &'a str,
    severity: Severity,
    level: Level,
    message: &'a str,
    path: &'a str,
    location: Option<Location>,
    kind: Option<&'static str>,
    pointer: Option<&'a str>,
    fingerprint: &'a str,
    controls: &'a [String],
    remediation: Option<&'a str>,
    context: crate::context::PathContext,
    /// 1 + the other places folded into this finding.
    occurrences: usize,
    related: Vec<OutRelated<'a>>,
}

#[derive(Serialize)]
struct OutRelated<'a> {
    line: Option<usize>,
    pointer: Option<&'a str>,
}

fn related<'a>(f: &'a Finding, report: &ScanReport) -> Vec<OutRelated<'a>> {
    let src = report.sources.get(&f.path);
    let idx = src.map(|s| LineIndex::new(s));
    f.related
        .iter()
        .map(|r| OutRelated {
            line: r
                .span
                .zip(src.zip(idx.as_ref()))
                .map(|(sp, (s, i))| i.line_col(s, sp.start).0),
            pointer: r.pointer.as_deref(),
        })
        .collect()
}

fn location(f: &Finding, report: &ScanReport) -> Option<Location> {
    let span = f.span?;
    if let Some(e) = &f.excerpt {
        let width = e.text.get(e.start..e.end).map_or(0, |t| t.chars().count());
        return Some(Location {
            line: e.line,
            column: e.column,
            end_line: e.line,
            end_column: e.column + width,
            start_byte: span.start,
            end_byte: span.end,
        });
    }
    let src = report.sources.get(&f.path)?;
    let idx = LineIndex::new(src);
    let (line, column) = idx.line_col(src, span.start);
    let (end_line, end_column) = idx.line_col(src, span.end);
    Some(Location {
        line,
        column,
        end_line,
        end_column,
        start_byte: span.start,
        end_byte: span.end,
    })
}

impl Render for Json {
    fn render(&self, report: &ScanReport, out: &mut dyn Write) -> io::Result<()> {
        let mut by_severity = std::collections::BTreeMap::new();
        for s in Severity::ALL {
            by_severity.insert(s.as_str(), report.count_severity(s));
        }
        let doc = Out {
            version: SCHEMA_VERSION,
            tool: Tool {
                name: "custos",
                version: env!("CARGO_PKG_VERSION"),
                commit: env!("CUSTOS_GIT_COMMIT"),
                policies_sha256: env!("CUSTOS_POLICY_SHA256"),
            },
            summary: Summary {
                stats: &report.stats,
                findings: report.total_findings(),
                listed: report.findings.len(),
                by_severity,
                fail_on: report.fail_on,
                failed: report.fail_on.is_some_and(|t| report.failing(t) > 0),
            },
            findings: report
                .findings
                .iter()
                .map(|f| OutFinding {
                    rule_id: &f.rule_id,
                    title: &f.title,
                    severity: f.severity,
                    level: f.level,
                    message: &f.message,
                    path: &f.path,
                    location: location(f, report),
                    kind: f.kind.map(crate::document::Kind::as_str),
                    pointer: f.pointer.as_deref(),
                    fingerprint: &f.fingerprint,
                    controls: &f.controls,
                    remediation: f.remediation.as_deref(),
                    context: f.context,
                    occurrences: 1 + f.related.len(),
                    related: related(f, report),
                })
                .collect(),
            unlisted: &report.unlisted,
            notes: &report.notes,
        };
        serde_json::to_writer_pretty(&mut *out, &doc).map_err(io::Error::other)?;
        writeln!(out)
    }
}
