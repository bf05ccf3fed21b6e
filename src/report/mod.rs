//! The report model: what every command produces and every output renders.
//!
//! A [`Report`] is plain data in the vocabulary layer (it depends only on [`crate::document`]
//! and [`crate::finding`]). `scan`, `chain verify`, `cloudtrail verify` and `policy test` each
//! build one; the renderers in [`crate::render`] turn it into text. Nothing here knows how a
//! finding was found.
//!
//! - [`Catalog`]: the one rule catalog — every rule a run could report (bundled and user Rego
//!   rules, the secret and PII detectors, custos's own rules such as `parse-error`), with its
//!   title, description, remediation, controls and tags. Findings refer to rules by id only.
//! - [`Check`]: a verdict that is not a finding (an audit-log chain verified intact, with the
//!   evidence); a check that fails also yields findings that point at where it failed.
//! - [`Run`]: what produced the report (tool version and commit, policy bundle hash, config
//!   hash, time, root, the git commit of the scanned tree) so that an auditor can tie a report
//!   to its inputs.
//! - [`SourceFile`]: the text of each file that has findings with its line index, built once,
//!   so that every renderer turns spans into lines and columns through [`Report::location`] in
//!   logarithmic time.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::document::{Kind, LineIndex, Span};
use crate::finding::{Finding, Level, Severity};

/// A file or directory passed over, and why. Shown in the output; never silent.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Note {
    pub path: String,
    pub message: String,
}

/// Counts describing what a run covered.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Stats {
    pub files_scanned: usize,
    pub documents: usize,
    pub bytes: u64,
    pub rules: usize,
    pub suppressed_inline: usize,
    pub waived: usize,
    /// Files found but not scanned (binary, over a size limit, special files …); each has a
    /// note saying why.
    pub not_scanned: usize,
    /// Findings dropped by `--baseline` because the baseline already has them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baselined: Option<usize>,
    /// Baseline entries no longer found (fixed, or their file is gone).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline_resolved: Option<usize>,
}

/// Findings that were found and counted but not listed individually (a log file over the
/// listing cap): they count in every total and in the gate exactly like listed ones.
#[derive(Debug, Clone, Serialize)]
pub struct Unlisted {
    pub path: String,
    pub rule_id: String,
    pub severity: Severity,
    pub level: Level,
    pub count: usize,
}

/// What kind of command produced a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Command {
    #[default]
    Scan,
    ChainVerify,
    CloudtrailVerify,
    PolicyTest,
}

impl Command {
    pub const fn as_str(self) -> &'static str {
        match self {
            Command::Scan => "scan",
            Command::ChainVerify => "chain verify",
            Command::CloudtrailVerify => "cloudtrail verify",
            Command::PolicyTest => "policy test",
        }
    }
}

/// What produced a report.
#[derive(Debug, Clone, Serialize)]
pub struct Run {
    pub command: Command,
    pub tool: &'static str,
    pub version: &'static str,
    /// Commit the binary was built from (`unknown` outside a git checkout).
    pub commit: &'static str,
    /// SHA-256 over the bundled policy set.
    pub policies_sha256: &'static str,
    /// SHA-256 of the configuration file, when one was used.
    pub config_sha256: Option<String>,
    /// When the run started, RFC 3339 UTC.
    pub started: String,
    /// The directory paths in the report are relative to.
    pub root: String,
    /// `HEAD` of the git repository the root is in, when there is one.
    pub git_commit: Option<String>,
}

impl Run {
    /// A run of `command` starting now, with the tool's own identity filled in.
    pub fn new(command: Command, root: &str) -> Self {
        Self {
            command,
            tool: "custos",
            version: env!("CARGO_PKG_VERSION"),
            commit: env!("CUSTOS_GIT_COMMIT"),
            policies_sha256: env!("CUSTOS_POLICY_SHA256"),
            config_sha256: None,
            started: now_rfc3339(),
            root: root.to_owned(),
            git_commit: None,
        }
    }
}

impl Default for Run {
    fn default() -> Self {
        Self::new(Command::Scan, ".")
    }
}

/// The current time as RFC 3339 UTC with second precision (`SOURCE_DATE_EPOCH`, when set,
/// stands in for the clock so that golden files and reproducible reports are stable).
pub fn now_rfc3339() -> String {
    let secs = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        });
    jiff::Timestamp::from_second(secs)
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// Where a rule comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// A Rego rule shipped with custos.
    Bundled,
    /// A Rego rule from the user's policy directories.
    User,
    /// A secret or PII detector.
    Detector,
    /// custos's own rules: parse errors, policy errors, waivers, chain verification.
    Builtin,
}

/// One rule of the catalog.
#[derive(Debug, Clone, Serialize)]
pub struct RuleInfo {
    pub id: String,
    pub title: String,
    /// Default severity (before configuration overrides).
    pub severity: Severity,
    pub description: Option<String>,
    pub remediation: Option<String>,
    pub controls: Vec<String>,
    /// Document kinds the rule applies to; empty = every kind it can see.
    pub kinds: Vec<Kind>,
    pub tags: Vec<String>,
    pub origin: Origin,
    /// Where a user can read about the rule.
    pub help_uri: Option<String>,
}

impl RuleInfo {
    /// A rule with just an id, title and severity.
    pub fn new(id: &str, title: &str, severity: Severity, origin: Origin) -> Self {
        Self {
            id: id.to_owned(),
            title: title.to_owned(),
            severity,
            description: None,
            remediation: None,
            controls: Vec::new(),
            kinds: Vec::new(),
            tags: Vec::new(),
            origin,
            help_uri: None,
        }
    }

    /// The title, or the id when the rule has none (conftest-style policies).
    pub fn display_title(&self) -> &str {
        if self.title.is_empty() {
            &self.id
        } else {
            &self.title
        }
    }
}

/// The rule catalog, keyed by id.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(transparent)]
pub struct Catalog {
    rules: BTreeMap<String, RuleInfo>,
}

impl Catalog {
    pub fn insert(&mut self, rule: RuleInfo) {
        self.rules.insert(rule.id.clone(), rule);
    }

    pub fn get(&self, id: &str) -> Option<&RuleInfo> {
        self.rules.get(id)
    }

    /// Every rule, in id order.
    pub fn iter(&self) -> impl Iterator<Item = &RuleInfo> {
        self.rules.values()
    }

    pub fn len(&self) -> usize {
        self.rules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The title of rule `id` (its id when the catalog does not know it).
    pub fn title<'a>(&'a self, id: &'a str) -> &'a str {
        self.get(id).map_or(id, RuleInfo::display_title)
    }

    /// Only the rules some finding or unlisted count of `report` refers to.
    pub fn used_by<'a>(&'a self, report: &'a Report) -> impl Iterator<Item = &'a RuleInfo> {
        let mut ids: Vec<&str> = report
            .findings
            .iter()
            .map(|f| f.rule_id.as_str())
            .chain(report.unlisted.iter().map(|u| u.rule_id.as_str()))
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids.into_iter().filter_map(|id| self.get(id))
    }
}

/// The outcome of a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Verified: the property holds (a chain is intact).
    Pass,
    /// The property does not hold (a chain was tampered with).
    Fail,
    /// Could not be decided (missing digests, unreadable file, nothing to verify).
    Inconclusive,
}

impl Verdict {
    pub const fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::Inconclusive => "inconclusive",
        }
    }
}

/// A verdict that is not a finding: what was checked, the outcome and its evidence.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// What kind of check (`chain-verify`, `cloudtrail-verify`, `policy-test`).
    pub id: String,
    /// The file, log or policy that was checked.
    pub subject: String,
    pub verdict: Verdict,
    /// The headline, as a person reads it (`INTACT: 1,204 records …`).
    pub summary: String,
    /// Evidence as key/value pairs (record counts, root hashes, key ids …), in order.
    pub evidence: Vec<(String, String)>,
}

/// A file's text and its line index: spans become lines and columns through it.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub text: String,
    lines: LineIndex,
    encoding: SourceEncoding,
}

/// How a file's bytes were turned into the UTF-8 text findings' spans point into. Spans are
/// offsets into that text; reports give offsets into the file ([`SourceFile::file_offset`]),
/// which differ after a byte-order mark and throughout UTF-16.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SourceEncoding {
    #[default]
    Utf8,
    /// UTF-8 after a three-byte byte-order mark.
    Utf8Bom,
    /// UTF-16 (either byte order) after a two-byte byte-order mark.
    Utf16,
}

impl SourceFile {
    pub fn new(text: String) -> Self {
        let lines = LineIndex::new(&text);
        Self {
            text,
            lines,
            encoding: SourceEncoding::Utf8,
        }
    }

    /// The same text, read from a file in `encoding`.
    #[must_use]
    pub fn encoded(mut self, encoding: SourceEncoding) -> Self {
        self.encoding = encoding;
        self
    }

    /// The offset in the file's bytes of `offset` in the decoded text.
    pub fn file_offset(&self, offset: usize) -> usize {
        match self.encoding {
            SourceEncoding::Utf8 => offset,
            SourceEncoding::Utf8Bom => offset + 3,
            SourceEncoding::Utf16 => {
                let before = self
                    .text
                    .get(..offset.min(self.text.len()))
                    .or_else(|| {
                        // Not on a character boundary: count up to the boundary before it.
                        let mut at = offset.min(self.text.len());
                        while !self.text.is_char_boundary(at) {
                            at -= 1;
                        }
                        self.text.get(..at)
                    })
                    .unwrap_or_default();
                2 + 2 * before.encode_utf16().count()
            }
        }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        self.lines.line_col(&self.text, offset)
    }

    /// The 1-based line a byte offset is on, and that line's byte range (without its
    /// newline), in logarithmic time.
    pub fn line_at(&self, offset: usize) -> (usize, Span) {
        let line = self.lines.line_of(offset.min(self.text.len()));
        let span = self
            .lines
            .line_span(&self.text, line)
            .unwrap_or(Span::new(offset, offset));
        (line, span)
    }
}

/// Where a finding is, in lines and columns (1-based; columns in characters) and bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Location {
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    pub start_byte: usize,
    pub end_byte: usize,
}

/// Everything a renderer needs.
#[derive(Debug, Default)]
pub struct Report {
    pub run: Run,
    pub catalog: Catalog,
    pub findings: Vec<Finding>,
    /// Counted, not listed (see [`Unlisted`]); sorted by path, then rule, then severity.
    pub unlisted: Vec<Unlisted>,
    pub checks: Vec<Check>,
    pub notes: Vec<Note>,
    pub stats: Stats,
    /// Source of each file that has findings, keyed by display path.
    pub sources: BTreeMap<String, SourceFile>,
    /// The gate's threshold; `None` for reports that have no gate.
    pub fail_on: Option<Severity>,
    /// Warnings fail the gate too (`--fail-on-warn`).
    pub fail_on_warn: bool,
}

impl Report {
    /// An empty report of `command`.
    pub fn new(command: Command, root: &str) -> Self {
        Self {
            run: Run::new(command, root),
            ..Self::default()
        }
    }

    /// Whether `f` counts against the gate at `threshold`.
    fn fails(&self, level: Level, severity: Severity, threshold: Severity) -> bool {
        (level == Level::Failure || self.fail_on_warn) && severity >= threshold
    }

    /// Findings that fail the gate at `threshold`, listed or not (warnings only with
    /// `fail_on_warn`).
    pub fn failing(&self, threshold: Severity) -> usize {
        let listed = self
            .findings
            .iter()
            .filter(|f| self.fails(f.level, f.severity, threshold))
            .count();
        let unlisted: usize = self
            .unlisted
            .iter()
            .filter(|u| self.fails(u.level, u.severity, threshold))
            .map(|u| u.count)
            .sum();
        listed + unlisted
    }

    /// Whether the gate fails: findings at or above the threshold, or a failed check.
    pub fn gate_failed(&self) -> bool {
        self.fail_on.is_some_and(|t| self.failing(t) > 0)
            || self.checks.iter().any(|c| c.verdict == Verdict::Fail)
    }

    /// Whether `f` fails the gate of this report.
    pub fn is_failing(&self, f: &Finding) -> bool {
        self.fail_on
            .is_some_and(|t| self.fails(f.level, f.severity, t))
    }

    /// Every finding, listed or not.
    pub fn total_findings(&self) -> usize {
        self.findings.len() + self.unlisted.iter().map(|u| u.count).sum::<usize>()
    }

    /// Findings of one severity, listed or not.
    pub fn count_severity(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
            + self
                .unlisted
                .iter()
                .filter(|u| u.severity == severity)
                .map(|u| u.count)
                .sum::<usize>()
    }

    /// The title of a finding's rule.
    pub fn title_of<'a>(&'a self, f: &'a Finding) -> &'a str {
        self.catalog.title(&f.rule_id)
    }

    /// The catalog entry of a finding's rule.
    pub fn rule_of(&self, f: &Finding) -> Option<&RuleInfo> {
        self.catalog.get(&f.rule_id)
    }

    /// Where `f` is, in lines and columns; `None` when it has no position.
    pub fn location(&self, f: &Finding) -> Option<Location> {
        if let Some(e) = &f.excerpt {
            // A streamed file (a log, a chain): the excerpt knows the line.
            let width = e.text.get(e.start..e.end).map_or(0, |t| t.chars().count());
            let span = f
                .span
                .unwrap_or(Span::new(e.line_start + e.start, e.line_start + e.end));
            return Some(Location {
                line: e.line,
                column: e.column,
                end_line: e.line,
                end_column: e.column + width,
                start_byte: span.start,
                end_byte: span.end,
            });
        }
        let span = f.span?;
        let src = self.sources.get(&f.path)?;
        Some(span_location(src, span))
    }

    /// The 1-based line of `span` in the file `path`, when its source is kept.
    pub fn line_of(&self, path: &str, span: Span) -> Option<usize> {
        self.sources.get(path).map(|s| s.line_col(span.start).0)
    }
}

/// Lines and columns of `span` in `src`.
pub fn span_location(src: &SourceFile, span: Span) -> Location {
    let (line, column) = src.line_col(span.start);
    let (end_line, end_column) = src.line_col(span.end);
    Location {
        line,
        column,
        end_line,
        end_column,
        start_byte: src.file_offset(span.start),
        end_byte: src.file_offset(span.end),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(rule: &str, level: Level, severity: Severity) -> Finding {
        let mut f = Finding::new(rule, severity, "m".into(), "a.yaml");
        f.level = level;
        f
    }

    #[test]
    fn warnings_fail_the_gate_only_with_fail_on_warn() {
        let mut r = Report {
            fail_on: Some(Severity::High),
            ..Report::default()
        };
        r.findings
            .push(finding("X", Level::Warning, Severity::Critical));
        r.findings.push(finding("Y", Level::Failure, Severity::Low));
        assert!(!r.gate_failed());
        r.fail_on_warn = true;
        assert!(r.gate_failed());
        assert_eq!(r.failing(Severity::High), 1);
        assert_eq!(r.failing(Severity::Low), 2);
    }

    #[test]
    fn unlisted_findings_count_in_the_gate_and_totals() {
        let mut r = Report {
            fail_on: Some(Severity::High),
            ..Report::default()
        };
        r.unlisted.push(Unlisted {
            path: "x.log".into(),
            rule_id: "PII004".into(),
            severity: Severity::Critical,
            level: Level::Failure,
            count: 5000,
        });
        assert!(r.gate_failed());
        assert_eq!(r.total_findings(), 5000);
        assert_eq!(r.count_severity(Severity::Critical), 5000);
    }

    #[test]
    fn a_failed_check_fails_the_gate_without_findings() {
        let mut r = Report::new(Command::ChainVerify, ".");
        r.checks.push(Check {
            id: "chain-verify".into(),
            subject: "audit.log".into(),
            verdict: Verdict::Fail,
            summary: "TAMPERED".into(),
            evidence: Vec::new(),
        });
        assert!(r.gate_failed());
        r.checks[0].verdict = Verdict::Pass;
        assert!(!r.gate_failed());
    }

    #[test]
    fn locations_come_from_one_index_per_file() {
        let mut r = Report::default();
        r.sources
            .insert("a.yaml".into(), SourceFile::new("a: 1\nbé: 22\n".into()));
        let mut f = finding("X", Level::Failure, Severity::High);
        f.span = Some(Span::new(9, 11));
        let loc = r.location(&f).unwrap();
        assert_eq!(
            (loc.line, loc.column, loc.end_line, loc.end_column),
            (2, 4, 2, 6)
        );
        assert_eq!(r.line_of("a.yaml", Span::new(0, 1)), Some(1));
        f.span = None;
        assert!(r.location(&f).is_none());
    }

    #[test]
    fn catalog_titles_fall_back_to_the_id() {
        let mut c = Catalog::default();
        c.insert(RuleInfo::new("A1", "", Severity::Low, Origin::User));
        c.insert(RuleInfo::new("B2", "Bee", Severity::Low, Origin::Bundled));
        assert_eq!(c.title("A1"), "A1");
        assert_eq!(c.title("B2"), "Bee");
        assert_eq!(c.title("ZZ"), "ZZ");
        assert_eq!(c.len(), 2);
    }
}
