//! Baselines: accept the findings a repository has today, gate only on new ones.
//!
//! A baseline file (`.custos-baseline.json`, format in docs/baseline.md) lists the fingerprint
//! of every current finding, with its rule, path and a line number as a hint for people — never
//! a value. Fingerprints ([`crate::finding::Finding::compute_fingerprint`]) leave line numbers
//! out, so lines moving above a finding do not make it new.
//!
//! Matching is by fingerprint *without* the occurrence suffix that
//! [`crate::finding::disambiguate_fingerprints`] adds (`…:1`), counted: identical findings
//! (same rule, file, text and message) are interchangeable, so a baseline with two of them
//! accepts any two and reports a third, however the three are ordered in the file.
//!
//! Log files list at most [`crate::logs::MAX_FINDINGS_PER_LOG`] findings and count the rest
//! ([`crate::report::Unlisted`]); which findings are listed can change when others are added.
//! So for a (path, rule) that has counted-but-unlisted findings now or in the baseline, the
//! baseline's unmatched entries and its unlisted count form one pool that accepts that many of
//! the current unlisted findings first, then of the unmatched listed ones.
//!
//! Only entries inside the scanned paths take part: a scan of `src/` neither matches nor
//! resolves the baseline's entries under `infra/`.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::report::Report;

/// The format version this build writes and reads.
pub const VERSION: u32 = 1;
/// Where `custos baseline create` writes by default.
pub const DEFAULT_FILE: &str = ".custos-baseline.json";
/// Largest baseline file read (64 MiB).
const MAX_SIZE: u64 = 64 * 1024 * 1024;

/// A baseline file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    pub version: u32,
    pub tool: String,
    /// Listed findings, sorted by path, rule, fingerprint.
    #[serde(default)]
    pub findings: Vec<Entry>,
    /// Counted-but-unlisted findings of log files, by path and rule.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unlisted: Vec<UnlistedEntry>,
}

/// One accepted finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub fingerprint: String,
    pub rule: String,
    pub path: String,
    /// Where it was when the baseline was written: a hint for people, not used to match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
}

/// Accepted counted-but-unlisted findings of one rule in one log file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnlistedEntry {
    pub path: String,
    pub rule: String,
    pub count: usize,
}

/// What applying a baseline did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Applied {
    /// Findings dropped because the baseline has them.
    pub baselined: usize,
    /// Baseline entries (counting unlisted counts one by one) no longer found.
    pub resolved: usize,
    /// The baseline with only what is still found (and what was outside the scanned paths):
    /// what `custos baseline update` writes.
    pub kept: Baseline,
}

/// A baseline file that cannot be used (exit code 2).
#[derive(Debug, thiserror::Error)]
#[error("baseline {path}: {reason}")]
pub struct BaselineError {
    pub path: String,
    pub reason: String,
}

/// `fp` without the occurrence suffix (`abc…:2` → `abc…`).
fn base(fp: &str) -> &str {
    fp.split_once(':').map_or(fp, |(b, _)| b)
}

impl Baseline {
    fn empty() -> Self {
        Self {
            version: VERSION,
            tool: "custos".to_owned(),
            findings: Vec::new(),
            unlisted: Vec::new(),
        }
    }

    /// Every finding of `report`, listed or counted.
    pub fn from_report(report: &Report) -> Self {
        let mut b = Self::empty();
        b.findings = report
            .findings
            .iter()
            .map(|f| Entry {
                fingerprint: f.fingerprint.clone(),
                rule: f.rule_id.clone(),
                path: f.path.clone(),
                line: report.location(f).map(|l| l.line),
            })
            .collect();
        let mut unlisted: BTreeMap<(String, String), usize> = BTreeMap::new();
        for u in &report.unlisted {
            *unlisted
                .entry((u.path.clone(), u.rule_id.clone()))
                .or_default() += u.count;
        }
        b.unlisted = unlisted
            .into_iter()
            .map(|((path, rule), count)| UnlistedEntry { path, rule, count })
            .collect();
        b.normalize();
        b
    }

    /// Sort for a stable file (entries do not move when lines do).
    fn normalize(&mut self) {
        self.findings.sort_by(|a, b| {
            (&a.path, &a.rule, &a.fingerprint).cmp(&(&b.path, &b.rule, &b.fingerprint))
        });
        self.unlisted.retain(|u| u.count > 0);
        self.unlisted
            .sort_by(|a, b| (&a.path, &a.rule).cmp(&(&b.path, &b.rule)));
    }

    /// Total number of accepted findings (unlisted counts one by one).
    pub fn len(&self) -> usize {
        self.findings.len() + self.unlisted.iter().map(|u| u.count).sum::<usize>()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Read and check a baseline file.
    pub fn load(path: &Path) -> Result<Self, BaselineError> {
        let err = |reason: String| BaselineError {
            path: path.display().to_string(),
            reason,
        };
        let meta = std::fs::metadata(path).map_err(|e| err(e.to_string()))?;
        if meta.len() > MAX_SIZE {
            return Err(err(format!(
                "{} bytes; a baseline may be at most {MAX_SIZE} bytes",
                meta.len()
            )));
        }
        let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
        let b: Baseline =
            serde_json::from_str(&text).map_err(|e| err(format!("not a custos baseline: {e}")))?;
        if b.tool != "custos" {
            return Err(err(format!("written by `{}`, not custos", b.tool)));
        }
        if b.version != VERSION {
            return Err(err(format!(
                "format version {} (this custos reads version {VERSION}); recreate it with `custos baseline create`",
                b.version
            )));
        }
        Ok(b)
    }

    /// The file's text: pretty JSON, one entry per line group, a final newline.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }
}

/// Whether `path` (a finding's display path) lies inside one of `scope` (display paths of the
/// scanned roots; `.` is everything).
fn in_scope(path: &str, scope: &[String]) -> bool {
    scope.iter().any(|r| {
        r == "." || r.is_empty() || path == r || {
            let r = r.trim_end_matches('/');
            path.strip_prefix(r)
                .is_some_and(|rest| rest.starts_with('/'))
        }
    })
}

/// Drop the findings of `report` that `baseline` accepts and record the counts in
/// `report.stats`. `scope`: the display paths of the scanned roots.
pub fn apply(report: &mut Report, baseline: &Baseline, scope: &[String]) -> Applied {
    let mut kept = Baseline::empty();
    // Out of scope: untouched, kept as they are.
    let (entries, outside): (Vec<&Entry>, Vec<&Entry>) = baseline
        .findings
        .iter()
        .partition(|e| in_scope(&e.path, scope));
    kept.findings.extend(outside.into_iter().cloned());
    kept.unlisted.extend(
        baseline
            .unlisted
            .iter()
            .filter(|u| !in_scope(&u.path, scope))
            .cloned(),
    );
    // Capacity per (path, rule, fingerprint base).
    let mut capacity: HashMap<(&str, &str, &str), usize> = HashMap::new();
    for e in &entries {
        *capacity
            .entry((e.path.as_str(), e.rule.as_str(), base(&e.fingerprint)))
            .or_default() += 1;
    }
    let mut matched = vec![false; report.findings.len()];
    for (i, f) in report.findings.iter().enumerate() {
        let key = (f.path.as_str(), f.rule_id.as_str(), base(&f.fingerprint));
        if let Some(n) = capacity.get_mut(&key).filter(|n| **n > 0) {
            *n -= 1;
            if let Some(m) = matched.get_mut(i) {
                *m = true;
            }
        }
    }
    // Unmatched baseline entries per (path, rule), and the baseline's unlisted counts.
    let mut pool: BTreeMap<(String, String), usize> = BTreeMap::new();
    for ((path, rule, _), n) in &capacity {
        if *n > 0 {
            *pool
                .entry(((*path).to_owned(), (*rule).to_owned()))
                .or_default() += n;
        }
    }
    let mut unlisted_base: BTreeMap<(String, String), usize> = BTreeMap::new();
    for u in baseline
        .unlisted
        .iter()
        .filter(|u| in_scope(&u.path, scope))
    {
        *unlisted_base
            .entry((u.path.clone(), u.rule.clone()))
            .or_default() += u.count;
    }
    let current_unlisted: std::collections::BTreeSet<(String, String)> = report
        .unlisted
        .iter()
        .map(|u| (u.path.clone(), u.rule_id.clone()))
        .collect();
    // Pools only where counting happens (log files); elsewhere unmatched entries are resolved.
    let mut resolved = 0usize;
    let mut counted: BTreeMap<(String, String), usize> = BTreeMap::new();
    for (key, n) in pool {
        if unlisted_base.contains_key(&key) || current_unlisted.contains(&key) {
            counted.insert(key, n);
        } else {
            resolved += n;
        }
    }
    for (key, n) in unlisted_base {
        *counted.entry(key).or_default() += n;
    }
    let mut baselined = 0usize;
    let mut kept_unlisted: BTreeMap<(String, String), usize> = BTreeMap::new();
    for u in &mut report.unlisted {
        let Some(n) = counted.get_mut(&(u.path.clone(), u.rule_id.clone())) else {
            continue;
        };
        let take = u.count.min(*n);
        *n -= take;
        u.count -= take;
        baselined += take;
        *kept_unlisted
            .entry((u.path.clone(), u.rule_id.clone()))
            .or_default() += take;
    }
    report.unlisted.retain(|u| u.count > 0);
    for (i, f) in report.findings.iter().enumerate() {
        if matched.get(i).copied().unwrap_or(false) {
            continue;
        }
        if let Some(n) = counted
            .get_mut(&(f.path.clone(), f.rule_id.clone()))
            .filter(|n| **n > 0)
        {
            *n -= 1;
            if let Some(m) = matched.get_mut(i) {
                *m = true;
            }
        }
    }
    resolved += counted.values().sum::<usize>();
    // What is still found, as it is now.
    for (i, f) in report.findings.iter().enumerate() {
        if matched.get(i).copied().unwrap_or(false) {
            baselined += 1;
            kept.findings.push(Entry {
                fingerprint: f.fingerprint.clone(),
                rule: f.rule_id.clone(),
                path: f.path.clone(),
                line: report.location(f).map(|l| l.line),
            });
        }
    }
    kept.unlisted.extend(
        kept_unlisted
            .into_iter()
            .map(|((path, rule), count)| UnlistedEntry { path, rule, count }),
    );
    kept.normalize();
    let mut i = 0;
    report.findings.retain(|_| {
        let keep = !matched.get(i).copied().unwrap_or(false);
        i += 1;
        keep
    });
    report.stats.baselined = Some(baselined);
    report.stats.baseline_resolved = Some(resolved);
    Applied {
        baselined,
        resolved,
        kept,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{Finding, Severity};
    use crate::report::Unlisted;

    fn finding(rule: &str, path: &str, fp: &str) -> Finding {
        let mut f = Finding::new(rule, Severity::High, "m".into(), path);
        f.fingerprint = fp.to_owned();
        f
    }

    fn report(findings: Vec<Finding>) -> Report {
        Report {
            findings,
            ..Report::default()
        }
    }

    #[test]
    fn new_findings_stay_and_gone_ones_are_resolved() {
        let base = Baseline::from_report(&report(vec![
            finding("R1", "a.tf", "aa"),
            finding("R2", "a.tf", "bb"),
        ]));
        let mut now = report(vec![
            finding("R1", "a.tf", "aa"),
            finding("R3", "a.tf", "cc"),
        ]);
        let applied = apply(&mut now, &base, &[".".into()]);
        assert_eq!(applied.baselined, 1);
        assert_eq!(applied.resolved, 1);
        let ids: Vec<&str> = now.findings.iter().map(|f| f.rule_id.as_str()).collect();
        assert_eq!(ids, ["R3"]);
        assert_eq!(applied.kept.findings.len(), 1);
        assert_eq!(now.stats.baselined, Some(1));
    }

    #[test]
    fn identical_findings_match_by_count_whatever_their_suffix() {
        let base = Baseline::from_report(&report(vec![
            finding("R1", "a.tf", "aa"),
            finding("R1", "a.tf", "aa:1"),
        ]));
        // A third identical one, inserted first: suffixes shift, two are accepted.
        let mut now = report(vec![
            finding("R1", "a.tf", "aa"),
            finding("R1", "a.tf", "aa:1"),
            finding("R1", "a.tf", "aa:2"),
        ]);
        let applied = apply(&mut now, &base, &[".".into()]);
        assert_eq!((applied.baselined, applied.resolved), (2, 0));
        assert_eq!(now.findings.len(), 1);
    }

    #[test]
    fn entries_outside_the_scanned_paths_are_neither_matched_nor_resolved() {
        let base = Baseline::from_report(&report(vec![
            finding("R1", "infra/a.tf", "aa"),
            finding("R1", "src/b.tf", "bb"),
        ]));
        let mut now = report(vec![]);
        let applied = apply(&mut now, &base, &["src".into()]);
        assert_eq!((applied.baselined, applied.resolved), (0, 1));
        assert_eq!(applied.kept.findings.len(), 1);
        assert_eq!(applied.kept.findings[0].path, "infra/a.tf");
        assert!(!in_scope("srcx/b.tf", &["src".into()]));
        assert!(in_scope("src/b.tf", &["src/".into()]));
    }

    #[test]
    fn unlisted_log_findings_are_matched_by_path_and_rule_counts() {
        let unlisted = |count| Unlisted {
            path: "app.log".into(),
            rule_id: "PII001".into(),
            severity: Severity::Medium,
            level: crate::finding::Level::Failure,
            count,
        };
        let mut then = report(vec![finding("PII001", "app.log", "l1")]);
        then.unlisted.push(unlisted(5));
        let base = Baseline::from_report(&then);
        assert_eq!(base.len(), 6);
        // The listed one moved into the counted ones, and two more appeared.
        let mut now = report(vec![finding("PII001", "app.log", "l9")]);
        now.unlisted.push(unlisted(7));
        let applied = apply(&mut now, &base, &[".".into()]);
        assert_eq!((applied.baselined, applied.resolved), (6, 0));
        assert_eq!(now.total_findings(), 2);
    }

    #[test]
    fn round_trips_and_refuses_other_versions() {
        let dir = tempfile::tempdir().expect("tempdir");
        let b = Baseline::from_report(&report(vec![finding("R1", "a.tf", "aa")]));
        let p = dir.path().join("b.json");
        std::fs::write(&p, b.to_json()).expect("write");
        assert_eq!(Baseline::load(&p).expect("load"), b);
        std::fs::write(&p, b.to_json().replace("\"version\": 1", "\"version\": 9")).expect("write");
        assert!(Baseline::load(&p).is_err());
    }
}
