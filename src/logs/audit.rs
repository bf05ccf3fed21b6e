//! Log records and their aggregates as policy documents: what the scan hands to Rego for a
//! log file.
//!
//! While a log file streams ([`super::scan_file_with`]), each line is parsed as a record of
//! the file's source ([`FileAudit::line`]): its fields feed the source's aggregate
//! ([`Partial`]), and, when a loaded rule names the file's kind (`log-jsonl`, `log-nginx`,
//! `log-text`) in its `kinds`, the record itself is evaluated as a document (input = the
//! record, span = its line; findings carry the masked line as their excerpt). Rules whose
//! `kinds` are empty (every structured document) are not run on log records: a log has
//! millions of them.
//!
//! Once every file is read, the partials of each source are merged and the aggregate is
//! evaluated as one `log-aggregate` document ([`evaluate_aggregates`]). A finding on it is
//! placed at the evidence its `path` points to: the nearest `at` (file, line) on the way down
//! that path, else the source's first record.

use std::collections::BTreeMap;

use serde_json::Value;

use super::aggregate::{Display, Loc, Partial};
use super::record;
use super::source::{LogsConfig, Source};
use crate::config::Config;
use crate::document::{Document, Kind, LineIndex, Span};
use crate::finding::{Excerpt, Finding, Severity};
use crate::policy::{Evaluator, PolicySet};

/// What the audit of one file produced.
#[derive(Debug)]
pub struct FileOutcome {
    pub partial: Partial,
    /// Findings of record rules (listed, at most [`super::MAX_FINDINGS_PER_LOG`]).
    pub findings: Vec<Finding>,
    /// Record findings over the cap, per (rule, severity).
    pub unlisted: BTreeMap<(String, Severity), usize>,
    /// Records evaluated as documents.
    pub documents: usize,
}

/// The audit of one log file while it streams.
pub struct FileAudit<'a> {
    source: Source,
    kind: Kind,
    display: String,
    /// The display path as evidence locations hold it.
    file: std::sync::Arc<str>,
    cfg: &'a LogsConfig,
    /// Reused for every JSON line read in place.
    reader: super::json::Record,
    partial: Partial,
    /// Evaluate records (a loaded rule names this kind).
    evaluate: bool,
    findings: Vec<Finding>,
    unlisted: BTreeMap<(String, Severity), usize>,
    documents: usize,
}

impl<'a> FileAudit<'a> {
    pub fn new(
        cfg: &'a LogsConfig,
        source: Source,
        kind: Kind,
        display: &str,
        evaluate: bool,
    ) -> Self {
        let kind = source.kind.unwrap_or(kind);
        let mut partial = Partial::new(&source.name, kind.as_str(), &cfg.windows);
        partial.add_file(display);
        Self {
            source,
            kind,
            display: display.to_owned(),
            file: display.into(),
            cfg,
            reader: super::json::Record::default(),
            partial,
            evaluate,
            findings: Vec::new(),
            unlisted: BTreeMap::new(),
            documents: 0,
        }
    }

    /// The kind records of this file are read as.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// One line: aggregate it, and evaluate it as a document when `sampled` and record
    /// rules apply.
    pub fn line(
        &mut self,
        line: &str,
        line_no: usize,
        line_start: usize,
        sampled: bool,
        ev: &mut Evaluator<'_>,
        config: &Config,
    ) {
        if line.trim().is_empty() {
            return;
        }
        let loc = Loc {
            file: self.file.clone(),
            line: line_no,
            offset: line_start,
        };
        if !(self.evaluate && sampled) {
            // Only the aggregates need this record: its fields, read in place when it can be.
            match record::read(&mut self.reader, line, self.kind, &self.source) {
                Some(fields) => self.partial.add(&fields, &loc, self.cfg),
                None => self.partial.add_unparsed(),
            }
            return;
        }
        let Some(value) = record::parse_line(line, self.kind, &self.source) else {
            self.partial.add_unparsed();
            return;
        };
        self.partial
            .add(&record::fields(&value, &self.source), &loc, self.cfg);
        let mut spans = crate::document::SpanMap::new();
        spans.insert(
            String::new(),
            Span::new(line_start, line_start + line.len()),
        );
        let doc = Document {
            path: self.display.clone(),
            kind: self.kind,
            // The line number: pointers of findings stay distinct across records.
            index: line_no,
            input: value,
            spans,
        };
        self.documents += 1;
        let found = ev.evaluate_explicit_owned(doc, config);
        if found.is_empty() {
            return;
        }
        let dets = super::detect_line(line, self.kind, &config.pii_entities);
        let masked = super::masked_line(line, &dets);
        for mut f in found {
            if self.findings.len() >= super::MAX_FINDINGS_PER_LOG {
                *self.unlisted.entry((f.rule_id, f.severity)).or_default() += 1;
                continue;
            }
            f.span = Some(Span::new(line_start, line_start + line.len()));
            f.excerpt = Some(whole_line_excerpt(&masked, line_no, line_start));
            f.compute_fingerprint(Some(&masked));
            self.findings.push(f);
        }
    }

    pub fn finish(self) -> FileOutcome {
        FileOutcome {
            partial: self.partial,
            findings: self.findings,
            unlisted: self.unlisted,
            documents: self.documents,
        }
    }
}

fn whole_line_excerpt(masked: &str, line_no: usize, line_start: usize) -> Excerpt {
    let mut end = masked.len().min(240);
    while !masked.is_char_boundary(end) {
        end -= 1;
    }
    Excerpt {
        line: line_no,
        line_start,
        column: 1,
        text: masked.get(..end).unwrap_or_default().to_owned(),
        start: 0,
        end,
    }
}

/// Whether a loaded rule names `kind` explicitly (records are evaluated only then).
pub fn rules_name(policies: &PolicySet, kind: Kind) -> bool {
    policies.rules().any(|r| r.kinds.contains(&kind))
}

/// The `at` (file, line, offset) of an object of an aggregate document, if it has one.
fn at_of(v: &Value) -> Option<Loc> {
    let a = v.get("at")?;
    Some(Loc {
        file: a.get("file")?.as_str()?.into(),
        line: usize::try_from(a.get("line")?.as_u64()?).ok()?,
        offset: usize::try_from(a.get("offset")?.as_u64()?).ok()?,
    })
}

/// The evidence locations of an aggregate document (every `at`, where it is), kept apart from
/// the document so that the document itself can be handed to the engine and freed while it is
/// converted: the document is by far the largest thing a log audit holds.
#[derive(Debug, Default)]
struct Evidence {
    at: Option<Loc>,
    kids: Kids,
}

#[derive(Debug, Default)]
enum Kids {
    #[default]
    None,
    Object(BTreeMap<String, Evidence>),
    Array(Vec<Evidence>),
}

impl Evidence {
    /// The evidence under `v`, or `None` when there is none.
    fn of(v: &Value) -> Option<Evidence> {
        let at = at_of(v);
        let kids = match v {
            Value::Object(m) => {
                let k: BTreeMap<String, Evidence> = m
                    .iter()
                    .filter_map(|(k, x)| Some((k.clone(), Evidence::of(x)?)))
                    .collect();
                if k.is_empty() {
                    Kids::None
                } else {
                    Kids::Object(k)
                }
            }
            Value::Array(a) => {
                let items: Vec<Option<Evidence>> = a.iter().map(Evidence::of).collect();
                if items.iter().all(Option::is_none) {
                    Kids::None
                } else {
                    Kids::Array(items.into_iter().map(Option::unwrap_or_default).collect())
                }
            }
            _ => Kids::None,
        };
        (at.is_some() || !matches!(kids, Kids::None)).then_some(Evidence { at, kids })
    }

    /// The nearest evidence along `pointer` (a JSON pointer into the document): the deepest
    /// `at` on the way down.
    fn find(&self, pointer: Option<&str>) -> Option<Loc> {
        let mut best = self.at.as_ref();
        let mut cur = self;
        for token in pointer.unwrap_or("").split('/').skip(1) {
            let token = token.replace("~1", "/").replace("~0", "~");
            let next = match &cur.kids {
                Kids::Object(m) => m.get(&token),
                Kids::Array(a) => token.parse::<usize>().ok().and_then(|i| a.get(i)),
                Kids::None => None,
            };
            let Some(next) = next else { break };
            cur = next;
            if let Some(l) = &cur.at {
                best = Some(l);
            }
        }
        best.cloned()
    }
}

/// The aggregates of every source, merged as files finish (so that memory holds one
/// aggregate per source, not one per file). Shared by the scan's worker threads.
pub struct Sources<'a> {
    cfg: &'a LogsConfig,
    by_source: std::sync::Mutex<BTreeMap<String, Partial>>,
}

impl<'a> Sources<'a> {
    pub fn new(cfg: &'a LogsConfig) -> Self {
        Self {
            cfg,
            by_source: std::sync::Mutex::new(BTreeMap::new()),
        }
    }

    /// Merge one file's partial into its source's aggregate.
    pub fn add(&self, p: Partial) {
        let Ok(mut map) = self.by_source.lock() else {
            return;
        };
        match map.get_mut(&p.source) {
            Some(mine) => mine.merge(p, self.cfg),
            None => {
                map.insert(p.source.clone(), p);
            }
        }
    }

    /// Evaluate every source's aggregate (see [`evaluate_aggregates`]).
    pub fn evaluate(self, policies: &PolicySet, config: &Config) -> (Vec<Finding>, usize) {
        let map = self.by_source.into_inner().unwrap_or_default();
        evaluate_aggregates(map.into_values().collect(), policies, config)
    }
}

/// Merge the partials of each source, evaluate each source's aggregate document, and place
/// the findings at their evidence. Returns the findings and the number of documents.
pub fn evaluate_aggregates(
    partials: Vec<Partial>,
    policies: &PolicySet,
    config: &Config,
) -> (Vec<Finding>, usize) {
    let cfg = &config.logs;
    let mut by_source: BTreeMap<String, Partial> = BTreeMap::new();
    for p in partials {
        match by_source.get_mut(&p.source) {
            Some(mine) => mine.merge(p, cfg),
            None => {
                by_source.insert(p.source.clone(), p);
            }
        }
    }
    if !rules_name(policies, Kind::LogAggregate) {
        return (Vec::new(), 0);
    }
    let display = Display::new(cfg, config.pii_entities.clone());
    let mut ev = policies.worker();
    let mut out = Vec::new();
    let mut documents = 0;
    for (name, partial) in by_source {
        if partial.records == 0 {
            continue;
        }
        let source = cfg
            .sources
            .iter()
            .find(|s| s.name == name)
            .cloned()
            .unwrap_or_else(|| Source::implied(&name));
        let doc_value = partial.into_document(cfg, &source, &display);
        let evidence = Evidence::of(&doc_value).unwrap_or_default();
        let doc = Document {
            path: format!("log source {name}"),
            kind: Kind::LogAggregate,
            index: 0,
            input: doc_value,
            spans: crate::document::SpanMap::new(),
        };
        documents += 1;
        for mut f in ev.evaluate_explicit_owned(doc, config) {
            if let Some(at) = evidence.find(f.pointer.as_deref()) {
                f.path = at.file.to_string();
                f.span = Some(Span::new(at.offset, at.offset));
                f.excerpt = Some(Excerpt {
                    line: at.line,
                    line_start: at.offset,
                    column: 1,
                    text: String::new(),
                    start: 0,
                    end: 0,
                });
            }
            f.compute_fingerprint(None);
            out.push(f);
        }
    }
    (out, documents)
}

/// The aggregate documents of `files` read as one source (for tests and benchmarks): every
/// file fully parsed, no policies.
pub fn aggregate_files(
    files: &[(String, String)],
    kind: Kind,
    source: &Source,
    cfg: &LogsConfig,
    display: &Display,
) -> Value {
    let mut total = Partial::new(&source.name, kind.as_str(), &cfg.windows);
    let mut reader = super::json::Record::default();
    for (name, text) in files {
        let file: std::sync::Arc<str> = name.as_str().into();
        let mut p = Partial::new(&source.name, kind.as_str(), &cfg.windows);
        p.add_file(name);
        let mut offset = 0;
        for (i, line) in text.split_inclusive('\n').enumerate() {
            let l = line.trim_end_matches(['\n', '\r']);
            if !l.trim().is_empty() {
                match record::read(&mut reader, l, kind, source) {
                    Some(f) => p.add(
                        &f,
                        &Loc {
                            file: file.clone(),
                            line: i + 1,
                            offset,
                        },
                        cfg,
                    ),
                    None => p.add_unparsed(),
                }
            }
            offset += line.len();
        }
        total.merge(p, cfg);
    }
    total.into_document(cfg, source, display)
}

/// A line-less empty evaluation context (aggregates have no source text).
pub fn no_lines() -> LineIndex {
    LineIndex::new("")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn loc(line: usize) -> Loc {
        Loc {
            file: "a.jsonl".into(),
            line,
            offset: line * 10,
        }
    }

    #[test]
    fn evidence_is_the_deepest_at_along_the_pointer() {
        let at = |line: usize| json!({"file": "a.jsonl", "line": line, "offset": line * 10});
        let doc = json!({
            "at": at(1),
            "fields": {"request_id": {"present": 1, "at": at(2)}, "model": {"present": 3}},
            "principals": [
                {"principal": "a", "at": at(3), "windows": {"7200": [{"at": at(4)}, {"reads": 2}]}},
                {"principal": "b", "windows": {"3600": [{"at": at(5)}]}},
            ],
            "odd/key": {"at": at(6)},
        });
        let e = Evidence::of(&doc).unwrap();
        for (pointer, want) in [
            (None, 1),
            (Some(""), 1),
            (Some("/fields/request_id"), 2),
            (Some("/fields/model"), 1),
            (Some("/principals/0"), 3),
            (Some("/principals/0/windows/7200/0"), 4),
            (Some("/principals/0/windows/7200/0/reads"), 4),
            (Some("/principals/0/windows/7200/1"), 3),
            (Some("/principals/0/windows/7200/9"), 3),
            (Some("/principals/1/windows/3600/0"), 5),
            (Some("/principals/1"), 1),
            (Some("/principals/x"), 1),
            (Some("/odd~1key"), 6),
            (Some("/principals/0/at"), 3),
        ] {
            assert_eq!(e.find(pointer), Some(loc(want)), "{pointer:?}");
        }
        assert!(Evidence::of(&json!({"a": [1, {"b": 2}]})).is_none());
    }
}
