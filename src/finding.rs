//! Findings: what a scan reports, and how they are ordered and fingerprinted.
//!
//! A finding is plain data. Positions are byte spans into the file; renderers turn them into
//! lines and columns. The fingerprint deliberately leaves line numbers out so that a baseline
//! or a SARIF `partialFingerprints` entry survives unrelated edits above the finding.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::document::{Kind, Span};

/// How bad a finding is. Ordered, so `--fail-on` is a comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Info,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Severity::ALL
            .into_iter()
            .find(|v| v.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                format!("unknown severity `{s}` (expected info, low, medium, high or critical)")
            })
    }
}

/// Whether a result fails the gate (`deny`, `violation`) or only warns (`warn`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Failure,
    Warning,
}

/// One problem found in one place.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// The rule, by id: its title, remediation and controls are in the report's catalog.
    pub rule_id: String,
    pub severity: Severity,
    pub level: Level,
    pub message: String,
    pub path: String,
    #[serde(skip)]
    pub span: Option<Span>,
    pub kind: Option<Kind>,
    /// JSON pointer into the document that the policy pointed at, if any.
    pub pointer: Option<String>,
    pub fingerprint: String,
    /// What part of the repository the file belongs to (tests, docs, …).
    pub context: crate::context::PathContext,
    /// Other places in the same file with the same problem: the same value repeated, or the
    /// same YAML anchor reached through aliases and merge keys. Reported once, here.
    #[serde(skip)]
    pub related: Vec<Related>,
    /// The spanned text is a secret: renderers must mask it in snippets.
    #[serde(skip)]
    pub sensitive: bool,
    /// For files scanned as a stream (logs), whose source is not kept: the finding's line,
    /// already masked, and where the span sits in it.
    #[serde(skip)]
    pub excerpt: Option<Excerpt>,
}

/// Another place of the same finding in the same file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Related {
    pub span: Option<Span>,
    pub pointer: Option<String>,
}

/// Fold duplicates within one file's findings into one finding each, keeping the others as
/// [`Finding::related`]:
/// - the same rule and message at the same span (a value defined once under a YAML anchor and reached
///   through aliases or `<<` merge keys): the finding whose pointer is shortest stays — that is
///   the anchor's own, where one edit fixes all users;
/// - the same rule on the same value text (a key repeated on many lines of a data file): the
///   first occurrence stays.
///
/// Findings of different levels or severities are never folded together.
pub fn fold_duplicates(findings: &mut Vec<Finding>, source: &str) {
    use std::collections::HashMap;
    if findings.len() < 2 {
        return;
    }
    let value_of = |f: &Finding| -> Option<String> {
        if f.pointer.is_some() || !f.sensitive {
            return None;
        }
        let t = source.get(f.span?.range())?;
        Some(t.split_whitespace().collect::<Vec<_>>().join(" "))
    };
    // Order so that the representative of each group comes first.
    findings.sort_by(|a, b| {
        let key = |f: &Finding| {
            (
                f.span.map(|s| s.start),
                f.pointer.as_ref().map_or(0, String::len),
                f.pointer.clone(),
            )
        };
        key(a).cmp(&key(b))
    });
    let mut by_span: HashMap<(String, Level, Severity, Span, String), usize> = HashMap::new();
    let mut by_value: HashMap<(String, Level, Severity, String), usize> = HashMap::new();
    let mut kept: Vec<Finding> = Vec::with_capacity(findings.len());
    for f in findings.drain(..) {
        let related = Related {
            span: f.span,
            pointer: f.pointer.clone(),
        };
        let head = f
            .span
            .and_then(|sp| {
                by_span
                    .get(&(
                        f.rule_id.clone(),
                        f.level,
                        f.severity,
                        sp,
                        f.message.clone(),
                    ))
                    .copied()
            })
            .or_else(|| {
                value_of(&f).and_then(|v| {
                    by_value
                        .get(&(f.rule_id.clone(), f.level, f.severity, v))
                        .copied()
                })
            });
        if let Some(i) = head {
            if let Some(h) = kept.get_mut(i) {
                h.related.push(related);
                continue;
            }
        }
        let i = kept.len();
        if let Some(sp) = f.span {
            by_span.insert(
                (
                    f.rule_id.clone(),
                    f.level,
                    f.severity,
                    sp,
                    f.message.clone(),
                ),
                i,
            );
        }
        if let Some(v) = value_of(&f) {
            by_value.insert((f.rule_id.clone(), f.level, f.severity, v), i);
        }
        kept.push(f);
    }
    *findings = kept;
}

/// One line of a streamed file, masked, with the finding's position in it.
#[derive(Debug, Clone)]
pub struct Excerpt {
    /// 1-based line number in the file.
    pub line: usize,
    /// Byte offset of the excerpt's start in the file.
    pub line_start: usize,
    /// 1-based column (in characters) of the finding in the full line.
    pub column: usize,
    /// The line with every sensitive value masked (and long lines shortened).
    pub text: String,
    /// Byte range of the finding within `text`.
    pub start: usize,
    pub end: usize,
}

impl Finding {
    /// A finding with the given identity and no location details yet.
    pub fn new(rule_id: &str, severity: Severity, message: String, path: &str) -> Self {
        Self {
            rule_id: rule_id.to_owned(),
            severity,
            level: Level::Failure,
            message,
            path: path.to_owned(),
            span: None,
            kind: None,
            pointer: None,
            fingerprint: String::new(),
            context: crate::context::PathContext::Source,
            related: Vec::new(),
            sensitive: false,
            excerpt: None,
        }
    }

    /// Compute the fingerprint from what identifies the finding independent of line numbers:
    /// rule, file, and either the JSON pointer or the whitespace-normalised source text of the span.
    pub fn compute_fingerprint(&mut self, source: Option<&str>) {
        let mut h = Sha256::new();
        h.update(self.rule_id.as_bytes());
        h.update([0]);
        h.update(self.path.as_bytes());
        h.update([0]);
        if let Some(p) = &self.pointer {
            h.update(b"p:");
            h.update(p.as_bytes());
        } else if let (Some(src), Some(span)) = (source, self.span) {
            let text = src.get(span.range()).unwrap_or_default();
            h.update(b"t:");
            for word in text.split_whitespace() {
                h.update(word.as_bytes());
                h.update([b' ']);
            }
        }
        h.update([0]);
        h.update(self.message.as_bytes());
        let digest = h.finalize();
        self.fingerprint = digest[..16]
            .iter()
            .fold(String::with_capacity(32), |mut s, b| {
                use fmt::Write;
                let _ = write!(s, "{b:02x}");
                s
            });
    }
}

/// Deterministic order: file, position, rule, message.
pub fn sort_findings(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        a.path
            .cmp(&b.path)
            .then_with(|| a.span.map(|s| s.start).cmp(&b.span.map(|s| s.start)))
            .then_with(|| a.rule_id.cmp(&b.rule_id))
            .then_with(|| a.message.cmp(&b.message))
    });
}

/// Make identical fingerprints unique by suffixing an occurrence counter, in sorted order.
pub fn disambiguate_fingerprints(findings: &mut [Finding]) {
    let mut seen = std::collections::HashMap::<String, usize>::new();
    for f in findings.iter_mut() {
        let n = seen.entry(f.fingerprint.clone()).or_insert(0);
        if *n > 0 {
            f.fingerprint = format!("{}:{n}", f.fingerprint);
        }
        *n += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severity_orders_and_parses() {
        assert!(Severity::Critical > Severity::High);
        assert!(Severity::Low > Severity::Info);
        assert_eq!("HIGH".parse::<Severity>(), Ok(Severity::High));
        assert!("urgent".parse::<Severity>().is_err());
    }

    #[test]
    fn fingerprint_ignores_line_moves_but_not_content() {
        let src1 = "a = 1\nkey = \"x\"\n";
        let src2 = "# new line\n\na = 1\nkey = \"x\"\n";
        let mut f1 = Finding::new("R1", Severity::High, "m".into(), "f.tf");
        f1.span = Some(Span::new(6, 15));
        f1.compute_fingerprint(Some(src1));
        let mut f2 = Finding::new("R1", Severity::High, "m".into(), "f.tf");
        f2.span = Some(Span::new(18, 27));
        f2.compute_fingerprint(Some(src2));
        assert_eq!(f1.fingerprint, f2.fingerprint);
        let mut f3 = Finding::new("R2", Severity::High, "m".into(), "f.tf");
        f3.span = Some(Span::new(6, 15));
        f3.compute_fingerprint(Some(src1));
        assert_ne!(f1.fingerprint, f3.fingerprint);
    }
}
