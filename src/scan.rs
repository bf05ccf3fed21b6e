//! The scan pipeline: discover → classify → parse → evaluate → suppress → (report).
//!
//! Files are processed in parallel (rayon), each worker holding its own clone of the
//! compiled policy engine. Every per-file problem becomes a finding or a note in the report;
//! only a root that cannot be read at all is an error. The report keeps the source text of
//! files that have findings, so renderers can show snippets without reading files again.

use std::collections::BTreeMap;
use std::path::PathBuf;

use rayon::prelude::*;
use serde::Serialize;

use crate::config::Config;
use crate::discover::{self, Candidate, Note, RootError};
use crate::document::{Document, LineIndex, Span};
use crate::finding::{self, Finding, Level, Severity};
use crate::parse::{self, Limits};
use crate::policy::{Evaluator, PolicySet, BUILTIN_RULES};
use crate::suppress;

/// Counts describing what a scan covered.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Stats {
    pub files_scanned: usize,
    pub documents: usize,
    pub bytes: u64,
    pub rules: usize,
    pub suppressed_inline: usize,
    pub waived: usize,
}

/// Everything a renderer needs.
#[derive(Debug, Default)]
pub struct ScanReport {
    pub findings: Vec<Finding>,
    pub notes: Vec<Note>,
    pub stats: Stats,
    /// Source of each file that has findings, keyed by display path.
    pub sources: BTreeMap<String, String>,
    pub fail_on: Option<Severity>,
}

impl ScanReport {
    /// Findings that fail the gate at `threshold` (warnings never do).
    pub fn failing(&self, threshold: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.level == Level::Failure && f.severity >= threshold)
            .count()
    }
}

struct FileResult {
    findings: Vec<Finding>,
    notes: Vec<Note>,
    documents: usize,
    bytes: u64,
    suppressed: usize,
    source: Option<String>,
    scanned: bool,
}

/// Run a scan over `roots`.
pub fn run(
    roots: &[PathBuf],
    config: &Config,
    policies: &PolicySet,
    limits: &Limits,
) -> Result<ScanReport, RootError> {
    let found = discover::discover(roots, config)?;
    let results: Vec<FileResult> = found
        .files
        .par_iter()
        .map_init(
            || policies.worker(),
            |ev, c| scan_file(ev, c, config, limits),
        )
        .collect();

    let mut report = ScanReport {
        notes: found.notes,
        fail_on: Some(config.fail_on),
        ..ScanReport::default()
    };
    report.stats.rules = policies.rules().count();
    for r in results {
        report.stats.files_scanned += usize::from(r.scanned);
        report.stats.documents += r.documents;
        report.stats.bytes += r.bytes;
        report.stats.suppressed_inline += r.suppressed;
        report.notes.extend(r.notes);
        if let Some(src) = r.source {
            if let Some(f) = r.findings.first() {
                report.sources.insert(f.path.clone(), src);
            }
        }
        report.findings.extend(r.findings);
    }
    report.stats.waived =
        suppress::apply_waivers(&mut report.findings, config, &crate::config::today());
    if let Some(cfg_file) = &config.file {
        if report
            .findings
            .iter()
            .any(|f| f.rule_id.starts_with("waiver-"))
        {
            if let Ok(src) = std::fs::read_to_string(cfg_file) {
                report.sources.insert(discover::display_path(cfg_file), src);
            }
        }
    }
    finding::sort_findings(&mut report.findings);
    finding::disambiguate_fingerprints(&mut report.findings);
    report.notes.sort();
    Ok(report)
}

fn scan_file(
    ev: &mut Evaluator<'_>,
    c: &Candidate,
    config: &Config,
    limits: &Limits,
) -> FileResult {
    let mut res = FileResult {
        findings: Vec::new(),
        notes: Vec::new(),
        documents: 0,
        bytes: 0,
        suppressed: 0,
        source: None,
        scanned: false,
    };
    let bytes = match std::fs::read(&c.fs_path) {
        Ok(b) => b,
        Err(e) => {
            let mut f = file_problem("read-error", format!("could not read file: {e}"), c, config);
            f.compute_fingerprint(None);
            res.findings.push(f);
            return res;
        }
    };
    if discover::looks_binary(&bytes) {
        res.notes.push(Note {
            path: c.display.clone(),
            message: "skipped: binary file".into(),
        });
        return res;
    }
    // Re-check the size: the file may have grown since it was listed.
    if bytes.len() as u64 > config.max_file_size {
        res.notes.push(Note {
            path: c.display.clone(),
            message: format!(
                "skipped: over the size limit of {} bytes",
                config.max_file_size
            ),
        });
        return res;
    }
    res.scanned = true;
    res.bytes = bytes.len() as u64;
    let rel = discover::rel_to(&config.root, &c.fs_path);
    let (source, utf8_error) = match String::from_utf8(bytes) {
        Ok(s) => (s, None),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            (String::from_utf8_lossy(e.as_bytes()).into_owned(), Some(at))
        }
    };
    let (kind, syntax) = discover::classify(&rel, &source, config);
    let lines = LineIndex::new(&source);

    let mut findings = Vec::new();
    if let Some(at) = utf8_error {
        if syntax != parse::Syntax::Text {
            let mut f = file_problem(
                "parse-error",
                format!("file is not valid UTF-8 (first invalid byte at offset {at}); it was not checked"),
                c,
                config,
            );
            f.kind = Some(kind);
            f.span = Some(Span::new(at.min(source.len()), at.min(source.len())));
            findings.push(f);
            return finish(res, findings, source, kind, &lines);
        }
    }
    if let Some(parsed) = parse::parse(syntax, &source, limits) {
        if let Some(err) = parsed.error {
            let mut f = file_problem(
                "parse-error",
                format!(
                    "{} ({kind} could not be parsed; it was not fully checked)",
                    err.message
                ),
                c,
                config,
            );
            f.kind = Some(kind);
            f.span = err.span;
            findings.push(f);
        }
        for (index, d) in parsed.docs.into_iter().enumerate() {
            if d.value.is_null() {
                continue;
            }
            let doc = Document {
                path: c.display.clone(),
                kind,
                index,
                input: d.value,
                spans: d.spans,
            };
            res.documents += 1;
            findings.extend(ev.evaluate(&doc, &source, &lines, config));
        }
    }
    finish(res, findings, source, kind, &lines)
}

/// A finding about the file itself (it could not be read or parsed), at the configured severity.
fn file_problem(rule: &str, message: String, c: &Candidate, config: &Config) -> Finding {
    let mut f = Finding::new(
        rule,
        config.severity_for(rule, config.parse_error_severity),
        message,
        &c.display,
    );
    f.title = BUILTIN_RULES
        .iter()
        .find(|(id, _)| *id == rule)
        .map(|(_, t)| (*t).to_owned())
        .unwrap_or_default();
    f
}

fn finish(
    mut res: FileResult,
    mut findings: Vec<Finding>,
    source: String,
    kind: crate::document::Kind,
    lines: &LineIndex,
) -> FileResult {
    res.suppressed = suppress::apply_inline(&mut findings, &source, kind, lines);
    for f in &mut findings {
        f.compute_fingerprint(Some(&source));
    }
    if !findings.is_empty() {
        res.source = Some(source);
    }
    res.findings = findings;
    res
}
