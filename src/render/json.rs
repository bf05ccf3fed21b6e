//! `--format json`: a stable, versioned schema (documented in `docs/json-output.md`).
//! Bump [`SCHEMA_VERSION`] on any incompatible change. No source snippets are included, so
//! no secret value can reach this output through them.

use std::io::{self, Write};

use serde::Serialize;

use super::Render;
use crate::finding::{Finding, Level, Severity};
use crate::report::{Check, Location, Report, Run, Stats};

pub const SCHEMA_VERSION: u32 = 1;

pub struct Json;

#[derive(Serialize)]
struct Out<'a> {
    version: u32,
    tool: Tool,
    summary: Summary<'a>,
    run: &'a Run,
    findings: Vec<OutFinding<'a>>,
    unlisted: Vec<OutUnlisted<'a>>,
    checks: &'a [Check],
    notes: &'a [crate::report::Note],
}

#[derive(Serialize)]
struct OutUnlisted<'a> {
    path: &'a str,
    rule_id: &'a str,
    title: &'a str,
    severity: Severity,
    level: Level,
    count: usize,
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

fn related<'a>(f: &'a Finding, report: &Report) -> Vec<OutRelated<'a>> {
    f.related
        .iter()
        .map(|r| OutRelated {
            line: r.span.and_then(|sp| report.line_of(&f.path, sp)),
            pointer: r.pointer.as_deref(),
        })
        .collect()
}

impl Render for Json {
    fn render(&self, report: &Report, out: &mut dyn Write) -> io::Result<()> {
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
                failed: report.gate_failed(),
            },
            findings: report
                .findings
                .iter()
                .map(|f| {
                    let rule = report.rule_of(f);
                    OutFinding {
                        rule_id: &f.rule_id,
                        title: report.title_of(f),
                        severity: f.severity,
                        level: f.level,
                        message: &f.message,
                        path: &f.path,
                        location: report.location(f),
                        kind: f.kind.map(crate::document::Kind::as_str),
                        pointer: f.pointer.as_deref(),
                        fingerprint: &f.fingerprint,
                        controls: rule.map_or(&[][..], |r| r.controls.as_slice()),
                        remediation: rule.and_then(|r| r.remediation.as_deref()),
                        context: f.context,
                        occurrences: 1 + f.related.len(),
                        related: related(f, report),
                    }
                })
                .collect(),
            unlisted: report
                .unlisted
                .iter()
                .map(|u| OutUnlisted {
                    path: &u.path,
                    rule_id: &u.rule_id,
                    title: report.catalog.title(&u.rule_id),
                    severity: u.severity,
                    level: u.level,
                    count: u.count,
                })
                .collect(),
            run: &report.run,
            checks: &report.checks,
            notes: &report.notes,
        };
        serde_json::to_writer_pretty(&mut *out, &doc).map_err(io::Error::other)?;
        writeln!(out)
    }
}
