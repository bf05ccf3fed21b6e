//! Suppression: inline `custos:ignore` comments and waivers from `custos.toml`.
//!
//! An inline comment `# custos:ignore RULE[,RULE…] -- reason` (in the comment syntax of the
//! file's language) suppresses those rules on its own line, or on the next line when the
//! comment stands alone. Waivers accept a rule under a path glob until an expiry date. A waiver
//! that has expired or matches nothing is reported as a finding itself, so accepted risk
//! cannot silently outlive its reason; an inline comment that suppresses nothing is reported
//! (`ignore-unused`) for the same reason. With `[suppression] require_reason = true` a comment
//! without `-- reason` suppresses nothing and says so (`ignore-without-reason`).
//!
//! Repositories that already mark vetted values for other secret scanners keep those marks:
//! `pragma: allowlist secret` (detect-secrets; `pragma: allowlist nextline secret` covers the
//! next line) and `gitleaks:allow` in a comment suppress secret findings (findings whose value
//! is a credential; not personal data, not other rules) on that line. They name no rule and
//! give no reason, so they are accepted as written and never reported unused.

use std::path::Path;

use crate::config::{Config, Waiver};
use crate::document::{Kind, LineIndex, Span};
use crate::finding::{Finding, Severity};

const MARKER: &str = "custos:ignore";

/// Whether `text` holds `needle`: every file is searched for the suppression marks, and
/// `memchr`'s SIMD substring search is several times faster than `str::contains` on text
/// that does not hold them (almost all of it).
fn holds(text: &str, needle: &str) -> bool {
    memchr::memmem::find(text.as_bytes(), needle.as_bytes()).is_some()
}

/// Other scanners' inline allowlist marks, each with whether it covers the next line instead
/// of its own. Compared case-insensitively, after a comment opener.
const FOREIGN_MARKS: &[(&str, bool)] = &[
    ("pragma: allowlist secret", false),
    ("pragma: allowlist nextline secret", true),
    ("gitleaks:allow", false),
];
/// Comment openers a foreign mark may follow (any language: the marks are language-agnostic).
const COMMENT_OPENERS: &[&str] = &["#", "//", "/*", "<!--", "--", ";"];

/// 1-based lines whose secret findings another scanner's allowlist mark suppresses.
fn foreign_allowlisted_lines(source: &str) -> Vec<usize> {
    let mut out = Vec::new();
    if !(holds(source, "allowlist") || holds(source, "gitleaks:allow")) {
        return out;
    }
    for (i, line) in source.lines().enumerate() {
        let lower = line.to_ascii_lowercase();
        for (mark, next) in FOREIGN_MARKS {
            let Some(pos) = lower.find(mark) else {
                continue;
            };
            let before = lower[..pos].trim_end();
            if COMMENT_OPENERS.iter().any(|o| before.contains(o)) {
                out.push(i + 1 + usize::from(*next));
            }
        }
    }
    out
}

/// A finding another scanner's allowlist mark can suppress: its value is a secret (personal
/// data in logs is not a "secret" to those tools).
fn is_secret_finding(f: &Finding) -> bool {
    f.sensitive && !f.rule_id.starts_with("PII")
}

/// One `custos:ignore` comment.
#[derive(Debug)]
struct Comment {
    /// 1-based line the comment is on.
    line: usize,
    /// The comment stands alone on its line: it covers the next line too.
    covers_next: bool,
    /// It gives a reason (`-- why`, not empty).
    has_reason: bool,
    /// Byte range of the `custos:ignore` marker.
    marker: Span,
    /// The rule ids (or `*`) it names, each with its byte range.
    rules: Vec<(String, Span)>,
}

impl Comment {
    fn covers(&self, line: usize) -> bool {
        line == self.line || (self.covers_next && line == self.line + 1)
    }
}

/// The `custos:ignore` comments of one file.
#[derive(Debug, Default)]
pub struct InlineIgnores {
    comments: Vec<Comment>,
}

impl InlineIgnores {
    pub fn scan(source: &str, kind: Kind) -> Self {
        let prefixes = kind.comment_prefixes();
        let mut comments = Vec::new();
        if prefixes.is_empty() || !holds(source, MARKER) {
            return Self { comments };
        }
        let mut line_start = 0usize;
        for (i, line) in source.split_inclusive('\n').enumerate() {
            let start = line_start;
            line_start += line.len();
            let line = line.trim_end_matches(['\n', '\r']);
            let Some(pos) = line.find(MARKER) else {
                continue;
            };
            let before = &line[..pos];
            let Some(prefix) = prefixes.iter().find(|p| before.contains(**p)) else {
                continue;
            };
            let rest = &line[pos + MARKER.len()..];
            let (rules_part, reason) = match rest.split_once("--") {
                Some((r, why)) => (r, why.trim()),
                None => (rest, ""),
            };
            let base = start + pos + MARKER.len();
            let mut off = 0;
            let mut rules = Vec::new();
            for token in rules_part.split([',', ' ', '\t']) {
                if !token.is_empty() {
                    rules.push((
                        token.to_owned(),
                        Span::new(base + off, base + off + token.len()),
                    ));
                }
                off += token.len() + 1;
            }
            if rules.is_empty() {
                continue;
            }
            comments.push(Comment {
                line: i + 1,
                covers_next: before.trim_start().starts_with(prefix),
                has_reason: !reason.is_empty(),
                marker: Span::new(start + pos, base),
                rules,
            });
        }
        Self { comments }
    }

    /// Whether a comment (with or without a reason) covers `rule` on 1-based `line`.
    pub fn suppresses(&self, rule: &str, line: usize) -> bool {
        self.comments
            .iter()
            .any(|c| c.covers(line) && c.rules.iter().any(|(r, _)| r == rule || r == "*"))
    }
}

/// How inline comments are accepted (from `custos.toml`).
#[derive(Debug, Clone, Copy, Default)]
pub struct InlineOptions<'a> {
    /// Every rule id of the catalog (empty: ids are not checked).
    pub known: &'a [String],
    /// `[suppression] require_reason`: a comment without `-- reason` suppresses nothing.
    pub require_reason: bool,
}

/// Drop findings covered by inline comments; returns how many were dropped. Problems with the
/// comments themselves become warnings at the comment:
/// - `ignore-unknown-rule`: it names a rule id not in `known` (a typo would otherwise suppress
///   nothing without a word);
/// - `ignore-without-reason`: it gives no `-- reason` while reasons are required, so it
///   suppressed nothing;
/// - `ignore-unused`: it names a rule that has no finding on the lines it covers (the problem
///   was fixed, or the comment sits on the wrong line). Not judged in a file that could not be
///   fully checked (a parse or policy error), where a rule may not have run.
pub fn apply_inline(
    findings: &mut Vec<Finding>,
    source: &str,
    kind: Kind,
    lines: &LineIndex,
    path: &str,
    opts: InlineOptions<'_>,
) -> usize {
    let line_of = |s: Span| lines.line_col(source, s.start).0;
    let allowlisted = foreign_allowlisted_lines(source);
    let before_foreign = findings.len();
    if !allowlisted.is_empty() {
        findings.retain(|f| {
            !(is_secret_finding(f)
                && f.span.is_some_and(|s| {
                    allowlisted.contains(&line_of(s))
                        || allowlisted.contains(&lines.line_col(source, s.end).0)
                }))
        });
    }
    let foreign = before_foreign - findings.len();
    let ignores = InlineIgnores::scan(source, kind);
    if ignores.comments.is_empty() {
        return foreign;
    }
    let accepted = |c: &Comment| c.has_reason || !opts.require_reason;
    let fully_checked = !findings
        .iter()
        .any(|f| f.rule_id == "parse-error" || f.rule_id == "policy-error");
    let mut used: Vec<Vec<bool>> = ignores
        .comments
        .iter()
        .map(|c| vec![false; c.rules.len()])
        .collect();
    let before = findings.len();
    findings.retain(|f| {
        let line = f.span.map_or(1, |s| lines.line_col(source, s.start).0);
        let mut suppressed = false;
        for (ci, c) in ignores.comments.iter().enumerate() {
            if !c.covers(line) || !accepted(c) {
                continue;
            }
            for (ri, (r, _)) in c.rules.iter().enumerate() {
                if r == &f.rule_id || r == "*" {
                    suppressed = true;
                    if let Some(u) = used.get_mut(ci).and_then(|u| u.get_mut(ri)) {
                        *u = true;
                    }
                }
            }
        }
        !suppressed
    });
    let dropped = before - findings.len() + foreign;
    let warn = |rule: &str, message: String, span: Span| {
        let mut f = Finding::new(rule, Severity::Low, message, path);
        f.level = crate::finding::Level::Warning;
        f.span = Some(span);
        f.kind = Some(kind);
        f
    };
    for (ci, c) in ignores.comments.iter().enumerate() {
        if !accepted(c) {
            findings.push(warn(
                "ignore-without-reason",
                "`custos:ignore` without `-- reason` suppresses nothing: reasons are required ([suppression] require_reason)".to_owned(),
                c.marker,
            ));
            continue;
        }
        for (ri, (id, span)) in c.rules.iter().enumerate() {
            let known = id == "*" || opts.known.is_empty() || opts.known.iter().any(|k| k == id);
            if !known {
                findings.push(warn(
                    "ignore-unknown-rule",
                    format!("`custos:ignore` names `{id}`, which is not a known rule id; it suppresses nothing"),
                    *span,
                ));
            } else if fully_checked
                && !used
                    .get(ci)
                    .and_then(|u| u.get(ri))
                    .copied()
                    .unwrap_or(true)
            {
                let what = if id == "*" {
                    "no finding".to_owned()
                } else {
                    format!("no {id} finding")
                };
                let place = if c.covers_next {
                    "on this or the next line"
                } else {
                    "on this line"
                };
                findings.push(warn(
                    "ignore-unused",
                    format!("`custos:ignore {id}` suppresses nothing: {what} {place}; remove it"),
                    *span,
                ));
            }
        }
    }
    dropped
}

fn waiver_matches(w: &Waiver, f: &Finding, config: &Config) -> bool {
    if w.rule != f.rule_id && w.rule != "*" {
        return false;
    }
    match &w.matcher {
        None => true,
        Some(m) => m.is_match(crate::discover::rel_to(&config.root, Path::new(&f.path))),
    }
}

/// Apply waivers: drop waived findings, add findings for expired and unused waivers.
/// Returns the number waived.
pub fn apply_waivers(findings: &mut Vec<Finding>, config: &Config, today: &str) -> usize {
    if config.waivers.is_empty() {
        return 0;
    }
    let mut used = vec![false; config.waivers.len()];
    let mut expired_hits = vec![false; config.waivers.len()];
    let before = findings.len();
    findings.retain(|f| {
        for (i, w) in config.waivers.iter().enumerate() {
            if waiver_matches(w, f, config) {
                if w.expires.as_deref().is_some_and(|e| e < today) {
                    expired_hits[i] = true;
                    continue;
                }
                used[i] = true;
                return false;
            }
        }
        true
    });
    let waived = before - findings.len();
    let file = config.file.as_ref().map_or_else(
        || crate::config::FILE_NAME.to_owned(),
        |p| crate::discover::display_path(p),
    );
    let source = config
        .file
        .as_ref()
        .and_then(|p| std::fs::read_to_string(p).ok())
        .unwrap_or_default();
    let lines = LineIndex::new(&source);
    for (i, w) in config.waivers.iter().enumerate() {
        let expired = w.expires.as_deref().is_some_and(|e| e < today);
        let (rule, severity, message) = if expired {
            (
                "waiver-expired",
                Severity::Medium,
                format!(
                    "waiver for {} on {} expired on {} (owner: {}; reason: {}){}",
                    w.rule,
                    w.path.as_deref().unwrap_or("all paths"),
                    w.expires.as_deref().unwrap_or_default(),
                    w.owner.as_deref().unwrap_or("none"),
                    w.reason,
                    if expired_hits[i] {
                        "; its findings are reported again"
                    } else {
                        ""
                    }
                ),
            )
        } else if used[i] {
            continue;
        } else {
            (
                "waiver-unused",
                Severity::Low,
                format!(
                    "waiver for {} on {} matches no finding; remove it",
                    w.rule,
                    w.path.as_deref().unwrap_or("all paths")
                ),
            )
        };
        let mut f = Finding::new(rule, config.severity_for(rule, severity), message, &file);
        f.span = lines.line_span(&source, w.line);
        f.pointer = Some(format!("/waivers/{i}"));
        f.compute_fingerprint(None);
        findings.push(f);
    }
    waived
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_comment_on_line_and_line_above() {
        let src = "a = 1 # custos:ignore TF001 -- test key\n# custos:ignore TF002,TF003 -- reason\nb = 2\nc = 3\n";
        let ig = InlineIgnores::scan(src, Kind::Terraform);
        assert!(ig.suppresses("TF001", 1));
        assert!(!ig.suppresses("TF001", 2));
        assert!(ig.suppresses("TF002", 3));
        assert!(ig.suppresses("TF003", 3));
        assert!(!ig.suppresses("TF002", 4));
        // The marker inside a string, not a comment, in JSON: no comments there.
        let ig = InlineIgnores::scan("{\"x\": \"custos:ignore TF001\"}", Kind::Json);
        assert!(!ig.suppresses("TF001", 1));
    }

    /// A finding of `rule` whose span is `needle` in `src`.
    fn at(src: &str, rule: &str, needle: &str, sensitive: bool) -> Finding {
        let mut f = Finding::new(rule, Severity::High, "m".into(), "f");
        let start = src.find(needle).expect("needle in source");
        f.span = Some(Span::new(start, start + needle.len()));
        f.sensitive = sensitive;
        f
    }

    #[test]
    fn other_scanners_allowlist_marks_suppress_secret_findings_on_their_line() {
        let src = "a: Qz7-first # pragma: allowlist secret\n\
                   b: Qz7-second // gitleaks:allow\n\
                   # pragma: allowlist nextline secret\n\
                   c: Qz7-third\n\
                   d: Qz7-fourth\n\
                   e: \"pragma: allowlist secret\" Qz7-fifth\n\
                   f: Qz7-sixth # pragma: allowlist secret\n";
        let mut findings = vec![
            at(src, "SEC024", "Qz7-first", true),
            at(src, "CFG001", "Qz7-second", true),
            at(src, "SEC024", "Qz7-third", true),
            // Not covered: the line after the next-line mark's target, a mark that is not in
            // a comment, and a finding that is not about a secret value.
            at(src, "SEC024", "Qz7-fourth", true),
            at(src, "SEC024", "Qz7-fifth", true),
            at(src, "K8S002", "Qz7-sixth", false),
            at(src, "PII001", "Qz7-sixth", true),
        ];
        let dropped = apply_inline(
            &mut findings,
            src,
            Kind::Yaml,
            &LineIndex::new(src),
            "f",
            InlineOptions::default(),
        );
        assert_eq!(dropped, 3);
        let left: Vec<(&str, usize)> = findings
            .iter()
            .map(|f| {
                let s = f.span.expect("span");
                (
                    f.rule_id.as_str(),
                    LineIndex::new(src).line_col(src, s.start).0,
                )
            })
            .collect();
        assert_eq!(
            left,
            [("SEC024", 5), ("SEC024", 6), ("K8S002", 7), ("PII001", 7)]
        );
    }

    #[test]
    fn waivers_expire_and_unused_ones_are_reported() {
        let cfg = Config::from_str(
            "[[waivers]]\nrule = \"TF002\"\npath = \"legacy/**\"\nreason = \"r\"\nexpires = \"2030-01-01\"\n\
             [[waivers]]\nrule = \"TF001\"\nreason = \"old\"\nexpires = \"2020-01-01\"\n\
             [[waivers]]\nrule = \"BKT001\"\nreason = \"never used\"\n",
            "custos.toml", Path::new("."))
        .expect("valid");
        let mut f1 = Finding::new("TF002", Severity::High, "m".into(), "legacy/a.tf");
        f1.span = Some(Span::new(0, 1));
        let f2 = Finding::new("TF002", Severity::High, "m".into(), "new/a.tf");
        let f3 = Finding::new("TF001", Severity::High, "m".into(), "new/a.tf");
        let mut findings = vec![f1, f2, f3];
        let waived = apply_waivers(&mut findings, &cfg, "2026-11-22");
        assert_eq!(waived, 1);
        let ids: Vec<&str> = findings.iter().map(|f| f.rule_id.as_str()).collect();
        assert_eq!(ids, ["TF002", "TF001", "waiver-expired", "waiver-unused"]);
    }
}
