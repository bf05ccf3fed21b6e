//! Suppression: inline `custos:ignore` comments and waivers from `custos.toml`.
//!
//! An inline comment `# custos:ignore RULE[,RULE…] -- reason` (in the comment syntax of the
//! file's language) suppresses those rules on its own line, or on the next line when the
//! comment stands alone. Waivers accept a rule under a path glob until an expiry date. A waiver
//! that has expired or matches nothing is reported as a finding itself, so accepted risk
//! cannot silently outlive its reason.

use std::collections::HashMap;
use std::path::Path;

use crate::config::{Config, Waiver};
use crate::document::{Kind, LineIndex};
use crate::finding::{Finding, Severity};

const MARKER: &str = "custos:ignore";

/// Rules ignored per 1-based line of a file.
#[derive(Debug, Default)]
pub struct InlineIgnores {
    by_line: HashMap<usize, Vec<String>>,
    /// Every rule id written in a comment, with its byte range in the file.
    named: Vec<(String, crate::document::Span)>,
}

impl InlineIgnores {
    pub fn scan(source: &str, kind: Kind) -> Self {
        let prefixes = kind.comment_prefixes();
        let mut by_line: HashMap<usize, Vec<String>> = HashMap::new();
        let mut named = Vec::new();
        if prefixes.is_empty() || !source.contains(MARKER) {
            return Self { by_line, named };
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
            let rules_part = rest.split("--").next().unwrap_or("");
            let base = start + pos + MARKER.len();
            let mut off = 0;
            for token in rules_part.split([',', ' ', '\t']) {
                if !token.is_empty() && token != "*" {
                    named.push((
                        token.to_owned(),
                        crate::document::Span::new(base + off, base + off + token.len()),
                    ));
                }
                off += token.len() + 1;
            }
            let rules: Vec<String> = rules_part
                .split([',', ' ', '\t'])
                .filter(|r| !r.is_empty())
                .map(str::to_owned)
                .collect();
            if rules.is_empty() {
                continue;
            }
            let line_no = i + 1;
            by_line
                .entry(line_no)
                .or_default()
                .extend(rules.iter().cloned());
            // A comment alone on its line covers the next line.
            if before.trim_start().starts_with(prefix) {
                by_line.entry(line_no + 1).or_default().extend(rules);
            }
        }
        Self { by_line, named }
    }

    pub fn suppresses(&self, rule: &str, line: usize) -> bool {
        self.by_line
            .get(&line)
            .is_some_and(|rules| rules.iter().any(|r| r == rule || r == "*"))
    }
}

/// Drop findings covered by inline comments; returns how many were dropped. A comment that
/// names a rule id not in `known` (when given) adds an `ignore-unknown-rule` warning at the
/// id: a typo would otherwise suppress nothing without a word.
pub fn apply_inline(
    findings: &mut Vec<Finding>,
    source: &str,
    kind: Kind,
    lines: &LineIndex,
    path: &str,
    known: &[String],
) -> usize {
    let ignores = InlineIgnores::scan(source, kind);
    let before = findings.len();
    findings.retain(|f| {
        let line = f.span.map_or(1, |s| lines.line_col(source, s.start).0);
        !ignores.suppresses(&f.rule_id, line)
    });
    let dropped = before - findings.len();
    if !known.is_empty() {
        for (id, span) in &ignores.named {
            if known.iter().any(|k| k == id) {
                continue;
            }
            let mut f = Finding::new(
                "ignore-unknown-rule",
                Severity::Low,
                format!("`custos:ignore` names `{id}`, which is not a known rule id; it suppresses nothing"),
                path,
            );
            f.level = crate::finding::Level::Warning;
            f.span = Some(*span);
            f.kind = Some(kind);
            findings.push(f);
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
    use crate::document::Span;

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
