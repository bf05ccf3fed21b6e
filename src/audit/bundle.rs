//! The evidence bundle: the one JSON document an audit leaves, from which the Markdown and
//! HTML reports are rendered (schema `custos-audit-bundle`, version [`VERSION`], documented
//! in docs/audit.md).
//!
//! A bundle holds facts and what is derived from them. Facts: the run (tool, policy and
//! mapping hashes, configuration hash, who ran it where, the window), one result per scope
//! item (with the git commit of a scanned repository and the rules that were in effect), the
//! findings (rule, severity, path, line, fingerprint, and the SHA-256 of the file they are in),
//! the verification checks (with checkpoint sizes and roots) and the evidence items. Derived:
//! the status of every control of the selected frameworks, the summary and the trend against a
//! previous bundle. [`derive`] recomputes the derived part from the facts, so a merge of shard
//! bundles ([`merge`]) unions facts and derives again — the merged result is the same as one
//! audit over the whole scope would have given.
//!
//! Everything is sorted, so the same inputs give the same bytes (with `SOURCE_DATE_EPOCH`
//! fixing the clock). No value is copied from a scanned file: a finding carries the rule's
//! message (secret values in it are already masked previews) and a line number.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::controls::Framework;
use super::evidence;
use super::scope::{Shard, Window};
use crate::document::Kind;
use crate::finding::{Level, Severity};
use crate::report::{Report, Verdict};

pub const SCHEMA: &str = "custos-audit-bundle";
/// Bumped on any change a reader of version 1 could misread.
pub const VERSION: u32 = 1;

/// The evidence bundle.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Bundle {
    pub schema: String,
    pub version: u32,
    pub run: RunInfo,
    pub summary: Summary,
    pub frameworks: Vec<FrameworkInfo>,
    pub controls: Vec<ControlResult>,
    pub scope: Vec<ScopeResult>,
    pub findings: Vec<FindingRecord>,
    pub checks: Vec<CheckRecord>,
    pub evidence: Vec<evidence::Item>,
    pub rules: Vec<RuleRecord>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trend: Option<Trend>,
    /// The bundles a merged bundle was made from.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inputs: Vec<InputRecord>,
    /// Where merged inputs disagreed (tool versions, policy hashes, windows, missing shards,
    /// a scope item in two inputs …).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conflicts: Vec<Conflict>,
}

/// What produced the bundle.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RunInfo {
    /// `audit` or `report merge`.
    pub command: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub tool: String,
    pub version: String,
    /// The commit the tool was built from.
    pub commit: String,
    /// SHA-256 of the bundled policy set.
    pub policies_sha256: String,
    /// SHA-256 of the embedded control mappings.
    pub controls_sha256: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_file: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_sha256: Option<String>,
    pub started: String,
    pub finished: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<Window>,
    /// Short names of the frameworks reported.
    pub frameworks: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fail_on: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<Shard>,
}

impl RunInfo {
    /// This tool's identity, now, on this machine.
    pub fn current(command: &str) -> Self {
        let now = crate::report::now_rfc3339();
        Self {
            command: command.to_owned(),
            name: None,
            tool: "custos".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            commit: env!("CUSTOS_GIT_COMMIT").into(),
            policies_sha256: env!("CUSTOS_POLICY_SHA256").into(),
            controls_sha256: super::controls::sha256(),
            config_file: None,
            config_sha256: None,
            started: now.clone(),
            finished: now,
            user: ["USER", "LOGNAME", "USERNAME"]
                .iter()
                .find_map(|v| std::env::var(v).ok().filter(|s| !s.is_empty())),
            host: host_name(),
            window: None,
            frameworks: Vec::new(),
            fail_on: None,
            shard: None,
        }
    }
}

/// The machine's name: `HOSTNAME`, else /etc/hostname.
fn host_name() -> Option<String> {
    std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|s| s.trim().chars().take(255).collect::<String>())
        .filter(|s| !s.is_empty())
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct FrameworkInfo {
    pub framework: String,
    pub name: String,
    pub version: String,
}

/// The status of one control.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// A failing finding of one of its rules.
    Fail,
    /// Its rules were in effect over part of the scope, and none failed.
    Pass,
    /// It has rules, but none was in effect over anything in the scope.
    NotTested,
    /// No automated rule: assessed by the auditor (see its procedure).
    Manual,
}

impl Status {
    pub const fn as_str(self) -> &'static str {
        match self {
            Status::Fail => "fail",
            Status::Pass => "pass",
            Status::NotTested => "not-tested",
            Status::Manual => "manual",
        }
    }
}

/// One requirement of a framework, judged.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ControlResult {
    pub framework: String,
    pub id: String,
    pub title: String,
    pub status: Status,
    /// Rule ids that evidence it (empty for a manual control).
    pub rules: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub procedure: Option<String>,
    /// Ids of the failing findings behind a `fail`.
    pub findings: Vec<String>,
    /// Ids of findings of its rules that do not fail (warnings, below the threshold).
    pub observations: Vec<String>,
    /// Scope items in which at least one of its rules was in effect.
    pub tested_in: Vec<String>,
}

/// One scope item's result.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ScopeResult {
    /// `scan:PATH`, `chain:PATH`, `cloudtrail:PATH`.
    pub key: String,
    pub kind: String,
    pub path: String,
    /// `ok`, or `error` (then `error` says why).
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub git_commit: Option<String>,
    /// SHA-256 of the custos.toml the scan used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_sha256: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fail_on: Option<String>,
    pub files_scanned: usize,
    pub documents: usize,
    pub bytes: u64,
    pub findings: usize,
    pub failing: usize,
    pub gate_failed: bool,
    /// Files found but passed over, and why.
    pub notes: Vec<NoteRecord>,
    /// Kinds of document found (`terraform`, `log-jsonl` …); empty when unknown.
    #[serde(default)]
    pub kinds: Vec<String>,
    /// Rules in effect for this item: loaded, and applying to a kind of document it holds.
    pub rules: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct NoteRecord {
    pub path: String,
    pub message: String,
}

/// One finding (or, with `count` > 1, findings counted but not listed one by one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingRecord {
    /// Stable id: a hash of the scope key and the fingerprint (or path and rule).
    pub id: String,
    pub scope: String,
    pub rule_id: String,
    pub severity: String,
    /// `failure` or `warning`.
    pub level: String,
    /// Counts against the gate (and so fails its controls).
    pub failing: bool,
    pub count: usize,
    pub message: String,
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
    /// SHA-256 of the file the finding is in, as examined.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence_sha256: Option<String>,
}

/// A verification (chain, CloudTrail) and its outcome.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CheckRecord {
    /// `chain-verify` or `cloudtrail-verify`.
    pub id: String,
    pub scope: String,
    pub subject: String,
    /// `pass`, `fail` or `inconclusive`.
    pub verdict: String,
    pub summary: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub records: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merkle_root: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trusted_size: Option<u64>,
    pub checkpoints: Vec<CheckpointRecord>,
    /// The verifier's evidence, as key/value pairs in its order.
    pub evidence: Vec<(String, String)>,
}

/// A checkpoint offered to a chain verification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckpointRecord {
    pub source: String,
    pub origin: String,
    pub size: u64,
    /// The Merkle root it signs, hex.
    pub root: String,
    /// `verified`, `bad` or `not-trusted`.
    pub signature: String,
    /// Whether the chain's first `size` records have this root (`None`: the chain is shorter).
    pub matches: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RuleRecord {
    pub id: String,
    pub title: String,
    pub severity: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remediation: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusCounts {
    pub pass: usize,
    pub fail: usize,
    pub not_tested: usize,
    pub manual: usize,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeverityCounts {
    pub critical: usize,
    pub high: usize,
    pub medium: usize,
    pub low: usize,
    pub info: usize,
    pub total: usize,
}

impl SeverityCounts {
    /// (severity name, count), most severe first.
    pub fn rows(&self) -> [(&'static str, usize); 5] {
        [
            ("critical", self.critical),
            ("high", self.high),
            ("medium", self.medium),
            ("low", self.low),
            ("info", self.info),
        ]
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerdictCounts {
    pub pass: usize,
    pub fail: usize,
    pub inconclusive: usize,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// `pass` or `fail`: the scan gate over every scope item, and every verification.
    pub gate: String,
    pub controls: StatusCounts,
    pub findings: SeverityCounts,
    pub failing_findings: usize,
    pub checks: VerdictCounts,
    pub scope_items: usize,
    pub scope_errors: usize,
    pub evidence_items: usize,
}

/// The change against a previous bundle.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Trend {
    pub previous_sha256: String,
    pub previous_started: String,
    pub previous_findings: SeverityCounts,
    pub previous_controls: StatusCounts,
    /// `framework id` of controls that fail now and did not before.
    pub newly_failing: Vec<String>,
    /// `framework id` of controls that failed before and do not now.
    pub no_longer_failing: Vec<String>,
}

/// One bundle a merge read.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InputRecord {
    pub file: String,
    pub sha256: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<Shard>,
    pub started: String,
    pub version: String,
    pub policies_sha256: String,
    pub scope_items: usize,
}

/// A disagreement between merged inputs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conflict {
    pub field: String,
    pub detail: String,
}

/// What one scope item produced, before it is folded into a bundle.
#[derive(Debug, Default)]
pub struct ItemOutcome {
    pub result: ScopeResult,
    /// The item's report; `None` when it could not be run.
    pub report: Option<Report>,
    pub evidence: Vec<evidence::Item>,
    /// Checkpoints offered to a chain verification.
    pub checkpoints: Vec<CheckpointRecord>,
    /// Kinds of document the item holds; `None` when not known (then every loaded rule
    /// counts as in effect).
    pub kinds: Option<BTreeSet<Kind>>,
}

/// The stable id of a finding.
fn finding_id(scope: &str, key: &str) -> String {
    let h = super::sha256_hex(format!("{scope}\n{key}").as_bytes());
    format!("F-{}", h.get(..16).unwrap_or(&h))
}

/// The rules of audit-log verification: in effect for chain and CloudTrail items only.
fn is_chain_rule(id: &str) -> bool {
    crate::catalog::CHAIN_RULES.iter().any(|(r, _, _)| *r == id)
}

/// Fold the items' reports into a bundle and derive its controls and summary.
pub fn build(
    run: RunInfo,
    frameworks: &[Framework],
    outcomes: Vec<ItemOutcome>,
    previous: Option<(&Bundle, &str)>,
) -> Bundle {
    let mut bundle = Bundle {
        schema: SCHEMA.into(),
        version: VERSION,
        run,
        summary: Summary::default(),
        frameworks: Vec::new(),
        controls: Vec::new(),
        scope: Vec::new(),
        findings: Vec::new(),
        checks: Vec::new(),
        evidence: Vec::new(),
        rules: Vec::new(),
        trend: None,
        inputs: Vec::new(),
        conflicts: Vec::new(),
    };
    let mut rules: BTreeMap<String, RuleRecord> = BTreeMap::new();
    for o in outcomes {
        let mut result = o.result;
        let hashes: BTreeMap<&str, &str> = o
            .evidence
            .iter()
            .filter_map(|e| Some((e.path.as_str(), e.sha256.as_deref()?)))
            .collect();
        if let Some(report) = &o.report {
            fold_report(
                &mut bundle,
                &mut result,
                report,
                &hashes,
                &o.checkpoints,
                o.kinds.as_ref(),
            );
            for f in report
                .findings
                .iter()
                .map(|f| f.rule_id.as_str())
                .chain(report.unlisted.iter().map(|u| u.rule_id.as_str()))
            {
                if let Some(r) = report.catalog.get(f) {
                    rules.entry(r.id.clone()).or_insert_with(|| RuleRecord {
                        id: r.id.clone(),
                        title: r.display_title().to_owned(),
                        severity: r.severity.as_str().to_owned(),
                        remediation: r.remediation.clone(),
                    });
                }
            }
        }
        bundle.evidence.extend(o.evidence);
        bundle.scope.push(result);
    }
    bundle.rules = rules.into_values().collect();
    derive(&mut bundle, frameworks);
    if let Some((prev, sha)) = previous {
        bundle.trend = Some(trend(&bundle, prev, sha));
    }
    bundle
}

fn fold_report(
    bundle: &mut Bundle,
    result: &mut ScopeResult,
    report: &Report,
    hashes: &BTreeMap<&str, &str>,
    checkpoints: &[CheckpointRecord],
    kinds: Option<&BTreeSet<Kind>>,
) {
    let scope = result.key.clone();
    let failing_unlisted = |level: Level, severity: Severity| {
        report
            .fail_on
            .is_some_and(|t| (level == Level::Failure || report.fail_on_warn) && severity >= t)
    };
    let level_str = |l: Level| match l {
        Level::Failure => "failure",
        Level::Warning => "warning",
    };
    for f in &report.findings {
        let failing = report.is_failing(f);
        result.failing += usize::from(failing);
        let key = if f.fingerprint.is_empty() {
            format!("{}\n{}\n{}", f.path, f.rule_id, f.message)
        } else {
            f.fingerprint.clone()
        };
        bundle.findings.push(FindingRecord {
            id: finding_id(&scope, &key),
            scope: scope.clone(),
            rule_id: f.rule_id.clone(),
            severity: f.severity.as_str().into(),
            level: level_str(f.level).into(),
            failing,
            count: 1,
            message: f.message.clone(),
            path: f.path.clone(),
            line: report.location(f).map(|l| l.line).filter(|l| *l > 0),
            fingerprint: (!f.fingerprint.is_empty()).then(|| f.fingerprint.clone()),
            evidence_sha256: hashes.get(f.path.as_str()).map(|h| (*h).to_owned()),
        });
    }
    for u in &report.unlisted {
        let failing = failing_unlisted(u.level, u.severity);
        if failing {
            result.failing += u.count;
        }
        bundle.findings.push(FindingRecord {
            id: finding_id(
                &scope,
                &format!("{}\n{}\n{}", u.path, u.rule_id, u.severity),
            ),
            scope: scope.clone(),
            rule_id: u.rule_id.clone(),
            severity: u.severity.as_str().into(),
            level: level_str(u.level).into(),
            failing,
            count: u.count,
            message: format!(
                "{} more findings of this rule, counted, not listed",
                u.count
            ),
            path: u.path.clone(),
            line: None,
            fingerprint: None,
            evidence_sha256: hashes.get(u.path.as_str()).map(|h| (*h).to_owned()),
        });
    }
    result.findings = report.total_findings();
    result.gate_failed = report.gate_failed();
    result.fail_on = report.fail_on.map(|s| s.as_str().to_owned());
    result.files_scanned = report.stats.files_scanned;
    result.documents = report.stats.documents;
    result.bytes = report.stats.bytes;
    if result.git_commit.is_none() {
        result.git_commit.clone_from(&report.run.git_commit);
    }
    if result.config_sha256.is_none() {
        result.config_sha256.clone_from(&report.run.config_sha256);
    }
    result.notes = report
        .notes
        .iter()
        .map(|n| NoteRecord {
            path: n.path.clone(),
            message: n.message.clone(),
        })
        .collect();
    let is_scan = result.kind == "scan";
    if let Some(k) = kinds {
        result.kinds = k.iter().map(|k| k.as_str().to_owned()).collect();
    }
    if !is_scan || result.files_scanned > 0 {
        let applies = |r: &crate::report::RuleInfo| {
            r.kinds.is_empty() || kinds.is_none_or(|k| r.kinds.iter().any(|x| k.contains(x)))
        };
        result.rules = report
            .catalog
            .iter()
            .filter(|r| is_chain_rule(&r.id) != is_scan && applies(r))
            .map(|r| r.id.clone())
            .collect();
    }
    for c in &report.checks {
        let get = |k: &str| {
            c.evidence
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.clone())
        };
        bundle.checks.push(CheckRecord {
            id: c.id.clone(),
            scope: scope.clone(),
            subject: c.subject.clone(),
            verdict: c.verdict.as_str().into(),
            summary: c.summary.clone(),
            records: get("records").and_then(|v| v.parse().ok()),
            merkle_root: get("merkle_root"),
            trusted_size: get("trusted_size").and_then(|v| v.parse().ok()),
            checkpoints: checkpoints.to_vec(),
            evidence: c.evidence.clone(),
        });
    }
}

/// Recompute everything derived from the facts: sort the facts, judge every control of
/// `frameworks`, and count.
pub fn derive(bundle: &mut Bundle, frameworks: &[Framework]) {
    bundle.scope.sort_by(|a, b| a.key.cmp(&b.key));
    for s in &mut bundle.scope {
        s.notes.sort();
        s.rules.sort();
        s.rules.dedup();
    }
    bundle.findings.sort_by(|a, b| {
        (&a.scope, &a.path, a.line, &a.rule_id, &a.id)
            .cmp(&(&b.scope, &b.path, b.line, &b.rule_id, &b.id))
    });
    bundle
        .checks
        .sort_by(|a, b| (&a.scope, &a.subject).cmp(&(&b.scope, &b.subject)));
    bundle.evidence.sort();
    bundle.evidence.dedup();
    bundle.rules.sort_by(|a, b| a.id.cmp(&b.id));
    bundle.frameworks = frameworks
        .iter()
        .map(|f| FrameworkInfo {
            framework: f.framework.clone(),
            name: f.name.clone(),
            version: f.version.clone(),
        })
        .collect();
    bundle.run.frameworks = frameworks.iter().map(|f| f.framework.clone()).collect();
    let mut in_effect: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for s in bundle.scope.iter().filter(|s| s.status == "ok") {
        for r in &s.rules {
            in_effect
                .entry(r.as_str())
                .or_default()
                .insert(s.key.as_str());
        }
    }
    let mut controls = Vec::new();
    for fw in frameworks {
        for req in &fw.requirements {
            let rules: BTreeSet<&str> = req.rules.iter().map(String::as_str).collect();
            let of_rules = bundle
                .findings
                .iter()
                .filter(|f| rules.contains(f.rule_id.as_str()));
            let (failing, observing): (Vec<&FindingRecord>, Vec<&FindingRecord>) =
                of_rules.partition(|f| f.failing);
            let tested_in: BTreeSet<&str> = rules
                .iter()
                .filter_map(|r| in_effect.get(r))
                .flatten()
                .copied()
                .collect();
            let status = if req.is_manual() {
                Status::Manual
            } else if !failing.is_empty() {
                Status::Fail
            } else if !tested_in.is_empty() {
                Status::Pass
            } else {
                Status::NotTested
            };
            controls.push(ControlResult {
                framework: fw.framework.clone(),
                id: req.id.clone(),
                title: req.title.clone(),
                status,
                rules: req.rules.clone(),
                procedure: req.procedure.clone(),
                findings: failing.iter().map(|f| f.id.clone()).collect(),
                observations: observing.iter().map(|f| f.id.clone()).collect(),
                tested_in: tested_in.into_iter().map(str::to_owned).collect(),
            });
        }
    }
    bundle.controls = controls;
    bundle.summary = summarize(bundle);
}

fn summarize(bundle: &Bundle) -> Summary {
    let mut s = Summary::default();
    for c in &bundle.controls {
        match c.status {
            Status::Pass => s.controls.pass += 1,
            Status::Fail => s.controls.fail += 1,
            Status::NotTested => s.controls.not_tested += 1,
            Status::Manual => s.controls.manual += 1,
        }
    }
    for f in &bundle.findings {
        let n = f.count;
        match f.severity.as_str() {
            "critical" => s.findings.critical += n,
            "high" => s.findings.high += n,
            "medium" => s.findings.medium += n,
            "low" => s.findings.low += n,
            _ => s.findings.info += n,
        }
        s.findings.total += n;
        if f.failing {
            s.failing_findings += n;
        }
    }
    for c in &bundle.checks {
        match c.verdict.as_str() {
            "pass" => s.checks.pass += 1,
            "fail" => s.checks.fail += 1,
            _ => s.checks.inconclusive += 1,
        }
    }
    s.scope_items = bundle.scope.len();
    s.scope_errors = bundle.scope.iter().filter(|r| r.status != "ok").count();
    s.evidence_items = bundle.evidence.len();
    let failed = bundle.scope.iter().any(|r| r.gate_failed)
        || bundle
            .checks
            .iter()
            .any(|c| c.verdict == Verdict::Fail.as_str());
    s.gate = if failed { "fail" } else { "pass" }.into();
    s
}

/// The change from `prev` (whose file hashed to `sha`) to `now`.
pub fn trend(now: &Bundle, prev: &Bundle, sha: &str) -> Trend {
    let failing = |b: &Bundle| -> BTreeSet<String> {
        b.controls
            .iter()
            .filter(|c| c.status == Status::Fail)
            .map(|c| format!("{} {}", c.framework, c.id))
            .collect()
    };
    let (was, is) = (failing(prev), failing(now));
    Trend {
        previous_sha256: sha.to_owned(),
        previous_started: prev.run.started.clone(),
        previous_findings: prev.summary.findings,
        previous_controls: prev.summary.controls,
        newly_failing: is.difference(&was).cloned().collect(),
        no_longer_failing: was.difference(&is).cloned().collect(),
    }
}

/// Read a bundle, checking its schema and version first (so that another document, or a
/// bundle of another version, is named as such rather than as a missing field).
pub fn parse(bytes: &[u8]) -> Result<Bundle, String> {
    #[derive(Deserialize)]
    struct Header {
        schema: Option<String>,
        version: Option<u64>,
    }
    let h: Header = serde_json::from_slice(bytes).map_err(|e| format!("not JSON: {e}"))?;
    if h.schema.as_deref() != Some(SCHEMA) {
        return Err(format!(
            "not a custos evidence bundle (schema is not `{SCHEMA}`)"
        ));
    }
    if h.version != Some(u64::from(VERSION)) {
        return Err(format!(
            "bundle version {} is not supported (this custos reads version {VERSION})",
            h.version.map_or_else(|| "?".to_owned(), |n| n.to_string())
        ));
    }
    serde_json::from_slice(bytes).map_err(|e| format!("malformed bundle: {e}"))
}

/// The bundle as pretty JSON with a final newline: the bytes that are hashed and sealed.
pub fn to_json(bundle: &Bundle) -> Result<Vec<u8>, String> {
    let mut out = serde_json::to_vec_pretty(bundle).map_err(|e| e.to_string())?;
    out.push(b'\n');
    Ok(out)
}

/// Merge bundles (`(file name, bytes)`) into one: facts are unioned, the derived part is
/// recomputed over `frameworks` (`None`: the union of the inputs' frameworks). Inputs are
/// ordered by shard, then by SHA-256, so the order they are given in does not matter. A scope
/// item present in two inputs is taken from the first and recorded as a conflict, as is any
/// disagreement in tool version, policy or mapping hash, configuration, window or threshold,
/// and missing or repeated shards.
pub fn merge(
    inputs: &[(String, Vec<u8>)],
    frameworks: Option<Vec<Framework>>,
    mut run: RunInfo,
) -> Result<Bundle, String> {
    if inputs.is_empty() {
        return Err("no bundle to merge".into());
    }
    let mut parsed: Vec<(InputRecord, Bundle)> = Vec::new();
    for (file, bytes) in inputs {
        let b = parse(bytes).map_err(|e| format!("{file}: {e}"))?;
        let rec = InputRecord {
            file: file.clone(),
            sha256: super::sha256_hex(bytes),
            shard: b.run.shard,
            started: b.run.started.clone(),
            version: b.run.version.clone(),
            policies_sha256: b.run.policies_sha256.clone(),
            scope_items: b.scope.len(),
        };
        parsed.push((rec, b));
    }
    parsed.sort_by(|a, b| {
        (a.0.shard.map(|s| (s.count, s.index)), &a.0.sha256)
            .cmp(&(b.0.shard.map(|s| (s.count, s.index)), &b.0.sha256))
    });
    let mut conflicts = Vec::new();
    let mut agree = |field: &str, values: Vec<Option<String>>| -> Option<String> {
        let distinct: BTreeSet<Option<String>> = values.into_iter().collect();
        if distinct.len() > 1 {
            conflicts.push(Conflict {
                field: field.to_owned(),
                detail: format!(
                    "inputs disagree: {}",
                    distinct
                        .iter()
                        .map(|v| v.as_deref().unwrap_or("(none)"))
                        .collect::<Vec<_>>()
                        .join(" | ")
                ),
            });
            None
        } else {
            distinct.into_iter().next().flatten()
        }
    };
    let runs: Vec<&RunInfo> = parsed.iter().map(|(_, b)| &b.run).collect();
    let col = |f: &dyn Fn(&RunInfo) -> Option<String>| runs.iter().map(|r| f(r)).collect();
    agree(
        "version",
        col(&|r| Some(format!("{} ({})", r.version, r.commit))),
    );
    agree("policies_sha256", col(&|r| Some(r.policies_sha256.clone())));
    agree("controls_sha256", col(&|r| Some(r.controls_sha256.clone())));
    run.config_sha256 = agree("config_sha256", col(&|r| r.config_sha256.clone()));
    run.config_file = if run.config_sha256.is_some() {
        runs.first().and_then(|r| r.config_file.clone())
    } else {
        None
    };
    run.name = agree("name", col(&|r| r.name.clone()));
    run.fail_on = agree("fail_on", col(&|r| r.fail_on.clone()));
    let window = agree(
        "window",
        col(&|r| {
            r.window
                .as_ref()
                .map(|w| format!("{} .. {}", w.start, w.end))
        }),
    );
    run.window = window.and_then(|_| runs.first().and_then(|r| r.window.clone()));
    run.started = runs
        .iter()
        .map(|r| r.started.clone())
        .min()
        .unwrap_or_default();
    // Shards: every input of one sharded run, each index once.
    let shards: Vec<Option<Shard>> = parsed.iter().map(|(r, _)| r.shard).collect();
    if shards.iter().any(Option::is_some) {
        let counts: BTreeSet<Option<usize>> = shards.iter().map(|s| s.map(|s| s.count)).collect();
        if let [Some(n)] = counts.iter().copied().collect::<Vec<_>>().as_slice() {
            let mut seen = vec![0usize; *n];
            for s in shards.iter().flatten() {
                if let Some(slot) = seen.get_mut(s.index) {
                    *slot += 1;
                }
            }
            for (i, k) in seen.iter().enumerate() {
                match k {
                    0 => conflicts.push(Conflict {
                        field: "shard".into(),
                        detail: format!("shard {i}/{n} is missing: the scope is not complete"),
                    }),
                    1 => {}
                    k => conflicts.push(Conflict {
                        field: "shard".into(),
                        detail: format!("shard {i}/{n} is given {k} times"),
                    }),
                }
            }
        } else {
            conflicts.push(Conflict {
                field: "shard".into(),
                detail: "inputs come from different shardings (or unsharded runs)".into(),
            });
        }
    }
    let frameworks = if let Some(f) = frameworks {
        f
    } else {
        let mut names: Vec<String> = Vec::new();
        for (_, b) in &parsed {
            for f in &b.run.frameworks {
                if !names.contains(f) {
                    names.push(f.clone());
                }
            }
        }
        let known = super::controls::names();
        names.retain(|n| known.contains(&n.as_str()));
        super::controls::select(&names)?
    };
    let mut merged = Bundle {
        schema: SCHEMA.into(),
        version: VERSION,
        run,
        summary: Summary::default(),
        frameworks: Vec::new(),
        controls: Vec::new(),
        scope: Vec::new(),
        findings: Vec::new(),
        checks: Vec::new(),
        evidence: Vec::new(),
        rules: Vec::new(),
        trend: None,
        inputs: Vec::new(),
        conflicts: Vec::new(),
    };
    let mut taken: BTreeMap<String, String> = BTreeMap::new();
    let mut rules: BTreeMap<String, RuleRecord> = BTreeMap::new();
    for (rec, b) in parsed {
        let mut mine: BTreeSet<String> = BTreeSet::new();
        for s in b.scope {
            if let Some(first) = taken.get(&s.key) {
                conflicts.push(Conflict {
                    field: format!("scope {}", s.key),
                    detail: format!("in {first} and {}; kept the one from {first}", rec.file),
                });
                continue;
            }
            taken.insert(s.key.clone(), rec.file.clone());
            mine.insert(s.key.clone());
            merged.scope.push(s);
        }
        merged
            .findings
            .extend(b.findings.into_iter().filter(|f| mine.contains(&f.scope)));
        merged
            .checks
            .extend(b.checks.into_iter().filter(|c| mine.contains(&c.scope)));
        merged
            .evidence
            .extend(b.evidence.into_iter().filter(|e| mine.contains(&e.scope)));
        for r in b.rules {
            rules.entry(r.id.clone()).or_insert(r);
        }
        merged.inputs.push(rec);
    }
    merged.rules = rules.into_values().collect();
    merged.conflicts = conflicts;
    derive(&mut merged, &frameworks);
    Ok(merged)
}

impl Bundle {
    /// Findings by id, for the renderers to follow a control's finding ids in O(log n).
    pub fn findings_by_id(&self) -> BTreeMap<&str, &FindingRecord> {
        self.findings.iter().map(|f| (f.id.as_str(), f)).collect()
    }
}

/// The one-line compliance summary printed at the end of a run.
pub fn summary_line(b: &Bundle) -> String {
    let s = &b.summary;
    let sev: Vec<String> = s
        .findings
        .rows()
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(name, n)| format!("{n} {name}"))
        .collect();
    format!(
        "compliance: {} controls — {} pass, {} fail, {} not tested, {} manual; {} finding{}{}; {} check{} ({} pass, {} fail, {} inconclusive); {} scope item{}{}; gate {}",
        b.controls.len(),
        s.controls.pass,
        s.controls.fail,
        s.controls.not_tested,
        s.controls.manual,
        s.findings.total,
        if s.findings.total == 1 { "" } else { "s" },
        if sev.is_empty() {
            String::new()
        } else {
            format!(" ({})", sev.join(", "))
        },
        b.checks.len(),
        if b.checks.len() == 1 { "" } else { "s" },
        s.checks.pass,
        s.checks.fail,
        s.checks.inconclusive,
        s.scope_items,
        if s.scope_items == 1 { "" } else { "s" },
        if s.scope_errors > 0 {
            format!(", {} with errors", s.scope_errors)
        } else {
            String::new()
        },
        if s.gate == "fail" { "FAILED" } else { "passed" },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::controls;

    fn framework() -> Framework {
        controls::parse(
            "t.toml",
            r#"framework = "t"
name = "T"
version = "1"
prefix = "T"
[[requirement]]
id = "ENC"
title = "Encryption"
rules = ["TF002"]
[[requirement]]
id = "LOG"
title = "Logs"
rules = ["PII001"]
[[requirement]]
id = "GOV"
title = "Governance"
procedure = "Ask."
"#,
        )
        .unwrap()
    }

    fn finding(scope: &str, rule: &str, failing: bool) -> FindingRecord {
        FindingRecord {
            id: finding_id(scope, rule),
            scope: scope.into(),
            rule_id: rule.into(),
            severity: "high".into(),
            level: if failing { "failure" } else { "warning" }.into(),
            failing,
            count: 1,
            message: "m".into(),
            path: "main.tf".into(),
            line: Some(1),
            fingerprint: None,
            evidence_sha256: Some("ab".repeat(32)),
        }
    }

    fn bundle(scopes: &[(&str, &[&str])], findings: Vec<FindingRecord>) -> Bundle {
        let mut b = build(RunInfo::current("audit"), &[], Vec::new(), None);
        b.scope = scopes
            .iter()
            .map(|(k, rules)| ScopeResult {
                key: (*k).into(),
                kind: "scan".into(),
                status: "ok".into(),
                rules: rules.iter().map(|r| (*r).to_owned()).collect(),
                gate_failed: findings.iter().any(|f| f.scope == *k && f.failing),
                ..ScopeResult::default()
            })
            .collect();
        b.findings = findings;
        derive(&mut b, &[framework()]);
        b
    }

    fn status(b: &Bundle, id: &str) -> Status {
        b.controls.iter().find(|c| c.id == id).unwrap().status
    }

    #[test]
    fn status_follows_findings_rules_in_effect_and_manual() {
        let b = bundle(&[("scan:a", &["TF002"])], Vec::new());
        assert_eq!(status(&b, "ENC"), Status::Pass);
        assert_eq!(status(&b, "LOG"), Status::NotTested);
        assert_eq!(status(&b, "GOV"), Status::Manual);
        assert_eq!(b.summary.gate, "pass");
        let b = bundle(
            &[("scan:a", &["TF002", "PII001"])],
            vec![
                finding("scan:a", "TF002", true),
                finding("scan:a", "PII001", false),
            ],
        );
        assert_eq!(status(&b, "ENC"), Status::Fail);
        // A warning is an observation: its control still passes.
        assert_eq!(status(&b, "LOG"), Status::Pass);
        let log = b.controls.iter().find(|c| c.id == "LOG").unwrap();
        assert_eq!(log.observations.len(), 1);
        assert_eq!(b.summary.gate, "fail");
        assert_eq!(b.summary.controls.fail, 1);
    }

    #[test]
    fn merge_unions_facts_and_reports_disagreements() {
        let mut one = bundle(
            &[("scan:a", &["TF002"])],
            vec![finding("scan:a", "TF002", true)],
        );
        one.run.shard = Some(Shard { index: 0, count: 2 });
        let mut two = bundle(&[("scan:b", &["TF002"])], Vec::new());
        two.run.shard = Some(Shard { index: 1, count: 2 });
        two.run.policies_sha256 = "other".into();
        let inputs = vec![
            ("two.json".to_owned(), to_json(&two).unwrap()),
            ("one.json".to_owned(), to_json(&one).unwrap()),
        ];
        let m = merge(
            &inputs,
            Some(vec![framework()]),
            RunInfo::current("report merge"),
        )
        .unwrap();
        assert_eq!(m.scope.len(), 2);
        assert_eq!(m.inputs[0].file, "one.json"); // ordered by shard
        assert_eq!(status(&m, "ENC"), Status::Fail);
        assert!(m.conflicts.iter().any(|c| c.field == "policies_sha256"));
        assert!(!m.conflicts.iter().any(|c| c.field == "shard"));
        let only_one = merge(&inputs[1..], Some(vec![framework()]), RunInfo::current("m")).unwrap();
        assert!(only_one
            .conflicts
            .iter()
            .any(|c| c.detail.contains("1/2 is missing")));
        assert!(merge(&[("x".into(), b"{}".to_vec())], None, RunInfo::current("m")).is_err());
    }
}
