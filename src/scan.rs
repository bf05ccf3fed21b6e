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
use crate::detect::secrets;
use crate::discover::{self, Candidate, Note, RootError};
use crate::document::{Document, Kind, LineIndex, Span};
use crate::finding::{self, Finding, Level, Severity};
use crate::logs;
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
    // Terraform modules are directories: gather what each module declares first.
    let modules = crate::terraform::ModuleIndex::build(&found.files, limits);
    // Python files that reach airflow through project modules are DAG files too.
    let pyindex = crate::pyindex::PyIndex::build(&found.files, roots, limits);
    let results: Vec<FileResult> = found
        .files
        .par_iter()
        .map_init(
            || policies.worker(),
            |ev, c| scan_file(ev, c, config, limits, &modules, &pyindex),
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
    modules: &crate::terraform::ModuleIndex,
    pyindex: &crate::pyindex::PyIndex,
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
    if discover::is_log_name(&c.fs_path) {
        return scan_log(res, c, config);
    }
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
    let (kind, syntax) = pyindex.classify(
        &c.fs_path,
        &rel,
        discover::classify(&rel, &source, config),
        config,
    );
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
    let mut ciphertext: Vec<Span> = Vec::new();
    if let Some(parsed) = pyindex.parse(&c.fs_path, syntax, &source, limits) {
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
            // Ciphertext committed on purpose (SealedSecret `encryptedData`) is not a secret.
            ciphertext.extend(
                d.spans
                    .iter()
                    .filter(|(p, _)| p.contains("/encryptedData/"))
                    .map(|(_, s)| *s),
            );
            let mut input = d.value;
            if kind == Kind::Terraform {
                if let Some(module) = modules.module_for(&c.fs_path) {
                    module.enrich(&mut input);
                }
            }
            let doc = Document {
                path: c.display.clone(),
                kind,
                index,
                input,
                spans: d.spans,
            };
            res.documents += 1;
            findings.extend(ev.evaluate(doc, &source, &lines, config));
        }
    }
    findings.extend(detector_findings(
        &source,
        kind,
        &c.display,
        &findings,
        &ciphertext,
        config,
    ));
    finish(res, findings, source, kind, &lines)
}

/// Secret-detector findings for a whole file; none where a policy already flagged the value.
fn detector_findings(
    source: &str,
    kind: Kind,
    path: &str,
    existing: &[Finding],
    ciphertext: &[Span],
    config: &Config,
) -> Vec<Finding> {
    let ctx = match kind {
        Kind::Python | Kind::AirflowDag | Kind::Terraform => secrets::Context::Code,
        _ => secrets::Context::Config,
    };
    let mut out = Vec::new();
    for d in secrets::scan(source, ctx) {
        if config.is_disabled(d.rule) {
            continue;
        }
        let covered = existing
            .iter()
            .any(|f| f.sensitive && f.span.is_some_and(|s| s.start <= d.start && d.end <= s.end));
        if covered
            || ciphertext
                .iter()
                .any(|s| s.start <= d.start && d.end <= s.end)
        {
            continue;
        }
        let value = source.get(d.start..d.end).unwrap_or_default();
        let (title, severity, message) = logs::describe(&d, value);
        let mut f = Finding::new(d.rule, config.severity_for(d.rule, severity), message, path);
        f.title = title;
        f.kind = Some(kind);
        f.span = Some(Span::new(d.start, d.end));
        f.sensitive = true;
        f.controls = SECRET_CONTROLS.iter().map(|c| (*c).to_owned()).collect();
        f.remediation = Some(SECRET_REMEDIATION.to_owned());
        out.push(f);
    }
    out
}

const SECRET_CONTROLS: &[&str] = &[
    "SOC2:CC6.1",
    "ISO27001:A.5.17",
    "ISO27001:A.8.12",
    "NIST-800-53:IA-5",
];
const SECRET_REMEDIATION: &str =
    "Remove the value from the file and its history, rotate it, and load it at run time from a secret store or the environment.";
const PII_CONTROLS: &[&str] = &[
    "GDPR:Art.5(1)(c)",
    "GDPR:Art.32",
    "SOC2:P4.1",
    "ISO27001:A.8.11",
];
const PII_REMEDIATION: &str =
    "Redact personal data before it is logged (e.g. pipe the log through `custos redact`), and purge the affected log files.";

/// A log file, streamed: secret and PII findings, each with its own masked excerpt.
fn scan_log(mut res: FileResult, c: &Candidate, config: &Config) -> FileResult {
    let mut head = Vec::with_capacity(8192);
    let opened = std::fs::File::open(&c.fs_path).and_then(|f| {
        use std::io::Read as _;
        f.take(8192).read_to_end(&mut head)
    });
    if let Err(e) = opened {
        let mut f = file_problem("read-error", format!("could not read file: {e}"), c, config);
        f.compute_fingerprint(None);
        res.findings.push(f);
        return res;
    }
    if discover::looks_binary(&head) {
        res.notes.push(Note {
            path: c.display.clone(),
            message: "skipped: binary file".into(),
        });
        return res;
    }
    let rel = discover::rel_to(&config.root, &c.fs_path);
    let first_line = String::from_utf8_lossy(&head);
    let first_line = first_line
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or_default();
    // A [classify] override wins; otherwise the first line tells JSONL, nginx and plain text apart.
    let overridden = config
        .classify
        .iter()
        .find(|(g, _)| g.is_match(&rel))
        .map(|(_, k)| *k);
    let kind = match overridden {
        Some(k @ (Kind::LogJsonl | Kind::LogNginx | Kind::LogText)) => k,
        _ => logs::sniff(first_line),
    };
    let opts = logs::LogOptions {
        entities: config.pii_entities_for(&rel),
        sample: config.log_sample,
    };
    match logs::scan_file(&c.fs_path, &c.display, kind, &opts) {
        Ok(scan) => {
            res.scanned = true;
            res.bytes = scan.bytes;
            res.documents += 1;
            for mut f in scan.findings {
                if config.is_disabled(&f.rule_id) {
                    continue;
                }
                f.severity = config.severity_for(&f.rule_id, f.severity);
                let (controls, remediation) = if f.rule_id.starts_with("PII") {
                    (PII_CONTROLS, PII_REMEDIATION)
                } else {
                    (SECRET_CONTROLS, SECRET_REMEDIATION)
                };
                f.controls = controls.iter().map(|c| (*c).to_owned()).collect();
                f.remediation = Some(remediation.to_owned());
                let line_text = f
                    .excerpt
                    .as_ref()
                    .map(|e| e.text.clone())
                    .unwrap_or_default();
                // Fingerprint on the (masked) line, not its position in the file.
                let file_span = f.span;
                f.span = f.excerpt.as_ref().map(|e| Span::new(e.start, e.end));
                f.compute_fingerprint(Some(&line_text));
                f.span = file_span;
                res.findings.push(f);
            }
            if scan.lines_scanned < scan.lines {
                res.notes.push(Note {
                    path: c.display.clone(),
                    message: format!(
                        "sampled: scanned {} of {} lines (log_sample)",
                        scan.lines_scanned, scan.lines
                    ),
                });
            }
            if scan.dropped > 0 {
                res.notes.push(Note {
                    path: c.display.clone(),
                    message: format!(
                        "{} more findings not listed (at most {} per log file)",
                        scan.dropped,
                        logs::MAX_FINDINGS_PER_LOG
                    ),
                });
            }
        }
        Err(e) => {
            let mut f = file_problem("read-error", format!("could not read file: {e}"), c, config);
            f.compute_fingerprint(None);
            res.findings.push(f);
        }
    }
    res
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
    kind: Kind,
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
