//! `--format sarif`: SARIF 2.1.0 for GitHub code scanning and other SARIF consumers
//! (documented in `docs/formats.md`; validated against the official schema and GitHub's
//! ingestion rules by `tests/schemas.rs`).
//!
//! One run. `tool.driver.rules[]` holds the catalog entries the report refers to (never the
//! whole catalog), each with its descriptions, help text and markdown (description,
//! remediation, controls), `defaultConfiguration.level`, tags, `precision` and GitHub's
//! `security-severity`. Each finding is one result with `ruleId`/`ruleIndex`, its level, the
//! finding's message (already a preview: no secret in full), one location with a full region,
//! `partialFingerprints["custosFingerprint/v1"]` (our line-independent fingerprint) and the
//! folded occurrences as `relatedLocations`. What is not a finding is still said:
//! counted-but-unlisted findings go to `run.properties.unlisted` and a notification, files not
//! scanned and checks that did not pass are notifications of `invocations[0]`, every check is in
//! `invocations[0].properties.checks`.
//!
//! Paths. GitHub resolves `artifactLocation.uri` against the root of the repository, so URIs
//! are relative to the git work tree that contains the scan root (the directory holding `.git`,
//! found by walking up from the root), or to the scan root itself outside a repository, under
//! `uriBaseId` `%SRCROOT%`; `originalUriBaseIds` gives that directory as an absolute `file:`
//! URI for viewers that open the files. A path outside that directory becomes an absolute
//! `file:` URI (GitHub turns those into repository paths itself). This is the one place a
//! renderer looks at the file system (the working directory and `.git` entries); the report's
//! display paths alone cannot say where the repository starts.
//!
//! Columns are Unicode code points (our columns count characters), so the run says
//! `columnKind: unicodeCodePoints` instead of SARIF's default UTF-16 code units.
//!
//! `automationDetails.id` is `<category>/<run started>`: GitHub takes everything before the last
//! `/` as the analysis category, so runs of the same category replace each other. The category
//! is `custos/<command>` (e.g. `custos/scan`), or the value of `CUSTOS_SARIF_CATEGORY` when set
//! (for several custos uploads in one repository, e.g. one per directory of a monorepo).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write};
use std::path::{Component, Path, PathBuf};

use serde_json::{json, Map, Value};

use super::Render;
use crate::detect::secrets::{self, Check as SecretCheck};
use crate::finding::{Finding, Level, Severity};
use crate::report::{Catalog, Location, Origin, Report, RuleInfo, Verdict};

pub struct Sarif;

const SCHEMA_URI: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";
const FINGERPRINT_KEY: &str = "custosFingerprint/v1";
const SRCROOT: &str = "%SRCROOT%";
/// GitHub includes at most this many related locations per result; more are counted.
const MAX_RELATED: usize = 1_000;
/// Environment variable overriding the analysis category of `automationDetails.id`.
pub const CATEGORY_ENV: &str = "CUSTOS_SARIF_CATEGORY";

/// GitHub's `security-severity` for a custos severity (GitHub reads > 9.0 as critical,
/// 7.0–8.9 high, 4.0–6.9 medium, 0.1–3.9 low).
pub fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "7.5",
        Severity::Medium => "5.0",
        Severity::Low => "3.0",
        Severity::Info => "0.0",
    }
}

/// A rule's `defaultConfiguration.level`, from its default severity: what a failure of the
/// rule is at the default gate (`--fail-on medium`).
pub fn default_level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High | Severity::Medium => "error",
        Severity::Low => "warning",
        Severity::Info => "note",
    }
}

/// A result's level: `error` exactly when the finding fails this report's gate (so the SARIF
/// agrees with the exit code; a report without a gate uses the default threshold, medium, for
/// failures), otherwise `warning`, or `note` for info-severity findings.
pub fn result_level(report: &Report, f: &Finding) -> &'static str {
    let fails = match report.fail_on {
        Some(_) => report.is_failing(f),
        None => f.level == Level::Failure && f.severity >= Severity::Medium,
    };
    if fails {
        "error"
    } else if f.severity == Severity::Info {
        "note"
    } else {
        "warning"
    }
}

/// PII entities whose matches are validated beyond their shape (a checksum or a structural
/// rule: Luhn, SSN area rules, IBAN mod-97, NHS mod-11, wallet checksums).
const VALIDATED_PII: &[&str] = &["CREDIT_CARD", "US_SSN", "IBAN", "UK_NHS", "CRYPTO_WALLET"];

/// How often a rule's results are true positives (SARIF `precision`, which GitHub shows):
/// - custos's own rules (parse errors, waivers, chain verification) state facts: `very-high`;
/// - Rego rules test parsed structure: `high`;
/// - secret detectors with a format-specific pattern (a fixed prefix, a checked structure):
///   `high`; the generic `key = value` detector: `medium`;
/// - PII detectors whose matches are validated (checksums): `high`; the others: `medium`.
pub fn precision(rule: &RuleInfo) -> &'static str {
    match rule.origin {
        Origin::Builtin => "very-high",
        Origin::Bundled | Origin::User => "high",
        Origin::Detector => {
            if let Some(s) = secrets::rule(&rule.id) {
                if s.check == SecretCheck::Generic {
                    "medium"
                } else {
                    "high"
                }
            } else if crate::detect::pii::ENTITIES
                .iter()
                .any(|e| e.1 == rule.id && VALIDATED_PII.contains(&e.2))
            {
                "high"
            } else {
                "medium"
            }
        }
    }
}

/// `PascalCase` of a rule's title (its id when it has none): SARIF's `name`.
fn pascal_case(text: &str) -> String {
    let mut out = String::new();
    for word in text.split(|c: char| !c.is_alphanumeric()) {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            out.extend(first.to_uppercase());
            out.push_str(chars.as_str());
        }
    }
    if out.is_empty() {
        "Rule".to_owned()
    } else {
        out
    }
}

fn rule_help(rule: &RuleInfo) -> (String, String) {
    let title = rule.display_title();
    let description = rule.description.as_deref().unwrap_or(title);
    let mut text = description.to_owned();
    let mut markdown = format!("**{}** ({})\n\n{}", md_escape(title), rule.id, description);
    if let Some(r) = &rule.remediation {
        text.push_str("\n\nRemediation: ");
        text.push_str(r);
        markdown.push_str("\n\n**Remediation:** ");
        markdown.push_str(r);
    }
    if !rule.controls.is_empty() {
        text.push_str("\n\nControls: ");
        text.push_str(&rule.controls.join(", "));
        markdown.push_str("\n\n**Controls:** ");
        let list: Vec<String> = rule.controls.iter().map(|c| format!("`{c}`")).collect();
        markdown.push_str(&list.join(", "));
    }
    (text, markdown)
}

/// Escape the characters that change Markdown inline formatting in a title.
fn md_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn rule_descriptor(rule: &RuleInfo) -> Value {
    let title = rule.display_title();
    let (text, markdown) = rule_help(rule);
    let mut d = json!({
        "id": rule.id,
        "name": pascal_case(title),
        "shortDescription": { "text": title },
        "fullDescription": { "text": rule.description.as_deref().unwrap_or(title) },
        "help": { "text": text, "markdown": markdown },
        "defaultConfiguration": { "level": default_level(rule.severity) },
        "properties": {
            "tags": rule.tags,
            "precision": precision(rule),
            "security-severity": security_severity(rule.severity),
            "severity": rule.severity,
            "controls": rule.controls,
            "origin": rule.origin,
        },
    });
    if let (Some(uri), Some(obj)) = (&rule.help_uri, d.as_object_mut()) {
        obj.insert("helpUri".into(), json!(uri));
    }
    d
}

/// Turns report paths into SARIF artifact locations.
struct Uris {
    /// Absolute, lexically normalised working directory (display paths are relative to it).
    cwd: PathBuf,
    /// Absolute directory URIs are relative to: the git work tree of the root, or the root.
    base: Option<PathBuf>,
}

impl Uris {
    fn new(root: &str) -> Self {
        let cwd = std::env::current_dir()
            .map(|d| normalize(&d))
            .unwrap_or_default();
        let root = normalize(&cwd.join(root));
        let base = if cwd.as_os_str().is_empty() {
            None
        } else {
            let dir = if root.is_dir() {
                root.as_path()
            } else {
                root.parent().unwrap_or(&root)
            };
            Some(
                dir.ancestors()
                    .find(|d| d.join(".git").exists())
                    .unwrap_or(dir)
                    .to_path_buf(),
            )
        };
        Self { cwd, base }
    }

    fn original_uri_base_ids(&self) -> Option<Value> {
        let base = self.base.as_ref()?;
        let mut uri = file_uri(base);
        if !uri.ends_with('/') {
            uri.push('/');
        }
        Some(json!({ "SRCROOT": { "uri": uri } }))
    }

    /// The working directory as a `file:` URI (display paths are relative to it; GitHub also
    /// uses it as the checkout path for absolute URIs).
    fn working_directory(&self) -> Option<Value> {
        if self.cwd.as_os_str().is_empty() {
            return None;
        }
        let mut uri = file_uri(&self.cwd);
        if !uri.ends_with('/') {
            uri.push('/');
        }
        Some(json!({ "uri": uri }))
    }

    fn artifact(&self, path: &str) -> Value {
        let abs = normalize(&self.cwd.join(path));
        match self.base.as_ref().and_then(|b| abs.strip_prefix(b).ok()) {
            Some(rel) if !rel.as_os_str().is_empty() => {
                json!({ "uri": encode_relative(rel), "uriBaseId": SRCROOT })
            }
            _ if self.base.is_none() && Path::new(path).is_relative() => {
                json!({ "uri": encode_relative(Path::new(path)) })
            }
            _ => json!({ "uri": file_uri(&abs) }),
        }
    }
}

/// `path` with `.` and `..` resolved lexically, without touching the file system (symlinks
/// stay as the user named them).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push(c);
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// Percent-encode one path segment (RFC 3986 `pchar` less `:`, so that a first segment is
/// never read as a scheme).
fn encode_segment(seg: &str, out: &mut String) {
    for b in seg.bytes() {
        let keep = b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'-' | b'.'
                    | b'_'
                    | b'~'
                    | b'!'
                    | b'$'
                    | b'&'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
                    | b'@'
            );
        if keep {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
}

fn segments(path: &Path) -> Vec<String> {
    path.components()
        .filter_map(|c| match c {
            Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
            Component::ParentDir => Some("..".to_owned()),
            _ => None,
        })
        .collect()
}

fn encode_relative(path: &Path) -> String {
    let mut out = String::new();
    for (i, seg) in segments(path).iter().enumerate() {
        if i > 0 {
            out.push('/');
        }
        encode_segment(seg, &mut out);
    }
    out
}

fn file_uri(abs: &Path) -> String {
    let mut out = String::from("file://");
    for c in abs.components() {
        if let Component::Prefix(p) = c {
            // A Windows drive (`C:`): kept as the URI's first segment.
            out.push('/');
            out.push_str(&p.as_os_str().to_string_lossy().replace('\\', "/"));
        }
    }
    let segs = segments(abs);
    if segs.is_empty() {
        out.push('/');
    }
    for seg in segs {
        out.push('/');
        encode_segment(&seg, &mut out);
    }
    out
}

fn region(loc: &Location) -> Value {
    let start_line = loc.line.max(1);
    let start_column = loc.column.max(1);
    let end_line = loc.end_line.max(start_line);
    let end_column = if end_line == start_line {
        loc.end_column.max(start_column)
    } else {
        loc.end_column.max(1)
    };
    json!({
        "startLine": start_line,
        "startColumn": start_column,
        "endLine": end_line,
        "endColumn": end_column,
        "byteOffset": loc.start_byte,
        "byteLength": loc.end_byte.saturating_sub(loc.start_byte),
    })
}

fn physical(artifact: Value, loc: Option<&Location>) -> Value {
    let mut p = Map::new();
    p.insert("artifactLocation".into(), artifact);
    if let Some(l) = loc {
        p.insert("region".into(), region(l));
    }
    json!({ "physicalLocation": p })
}

fn message_text(f: &Finding, catalog: &Catalog) -> String {
    if f.message.trim().is_empty() {
        catalog.title(&f.rule_id).to_owned()
    } else {
        f.message.clone()
    }
}

fn result(f: &Finding, report: &Report, rule_index: &BTreeMap<&str, usize>, uris: &Uris) -> Value {
    let loc = report.location(f);
    let artifact = uris.artifact(&f.path);
    let mut r = Map::new();
    r.insert("ruleId".into(), json!(f.rule_id));
    if let Some(i) = rule_index.get(f.rule_id.as_str()) {
        r.insert("ruleIndex".into(), json!(i));
    }
    r.insert("level".into(), json!(result_level(report, f)));
    r.insert(
        "message".into(),
        json!({ "text": message_text(f, &report.catalog) }),
    );
    r.insert(
        "locations".into(),
        json!([physical(artifact.clone(), loc.as_ref())]),
    );
    if !f.fingerprint.is_empty() {
        r.insert(
            "partialFingerprints".into(),
            json!({ FINGERPRINT_KEY: f.fingerprint }),
        );
    }
    if !f.related.is_empty() {
        let src = report.sources.get(&f.path);
        let related: Vec<Value> = f
            .related
            .iter()
            .take(MAX_RELATED)
            .enumerate()
            .map(|(i, rel)| {
                let rloc = rel
                    .span
                    .and_then(|sp| src.map(|s| crate::report::span_location(s, sp)));
                let mut v = physical(artifact.clone(), rloc.as_ref());
                let text = match &rel.pointer {
                    Some(p) => format!("Also reached via {p}"),
                    None => "Another occurrence of the same value".to_owned(),
                };
                if let Some(o) = v.as_object_mut() {
                    o.insert("id".into(), json!(i + 1));
                    o.insert("message".into(), json!({ "text": text }));
                }
                v
            })
            .collect();
        r.insert("relatedLocations".into(), Value::Array(related));
    }
    let mut props = Map::new();
    props.insert("severity".into(), json!(f.severity));
    props.insert("context".into(), json!(f.context.as_str()));
    if let Some(k) = f.kind {
        props.insert("kind".into(), json!(k.as_str()));
    }
    if let Some(p) = &f.pointer {
        props.insert("pointer".into(), json!(p));
    }
    props.insert("occurrences".into(), json!(1 + f.related.len()));
    r.insert("properties".into(), Value::Object(props));
    Value::Object(r)
}

fn notification(level: &str, text: &str, artifact: Option<Value>) -> Value {
    let mut n = Map::new();
    n.insert("level".into(), json!(level));
    n.insert("message".into(), json!({ "text": text }));
    if let Some(a) = artifact {
        n.insert("locations".into(), json!([physical(a, None)]));
    }
    Value::Object(n)
}

/// The analysis category: `CUSTOS_SARIF_CATEGORY`, or `custos/<command>`.
fn category(report: &Report) -> String {
    let from_env = std::env::var(CATEGORY_ENV)
        .ok()
        .map(|c| c.trim().trim_end_matches('/').to_owned())
        .filter(|c| !c.is_empty());
    from_env.unwrap_or_else(|| format!("custos/{}", report.run.command.as_str().replace(' ', "-")))
}

impl Render for Sarif {
    fn render(&self, report: &Report, out: &mut dyn Write) -> io::Result<()> {
        let uris = Uris::new(&report.run.root);
        let rules: Vec<&RuleInfo> = report.catalog.used_by(report).collect();
        let rule_index: BTreeMap<&str, usize> = rules
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id.as_str(), i))
            .collect();
        let results: Vec<Value> = report
            .findings
            .iter()
            .map(|f| result(f, report, &rule_index, &uris))
            .collect();

        let mut notifications = Vec::new();
        for n in &report.notes {
            notifications.push(notification(
                "warning",
                &format!("Not scanned: {}", n.message),
                Some(uris.artifact(&n.path)),
            ));
        }
        for u in &report.unlisted {
            let fails = report.fail_on.is_some_and(|t| {
                (u.level == Level::Failure || report.fail_on_warn) && u.severity >= t
            });
            notifications.push(notification(
                if fails { "error" } else { "warning" },
                &format!(
                    "{} more {} finding{} ({}, {}) counted but not listed: over the per-file listing cap",
                    u.count,
                    u.rule_id,
                    if u.count == 1 { "" } else { "s" },
                    report.catalog.title(&u.rule_id),
                    u.severity
                ),
                Some(uris.artifact(&u.path)),
            ));
        }
        for c in report.checks.iter().filter(|c| c.verdict != Verdict::Pass) {
            notifications.push(notification(
                if c.verdict == Verdict::Fail {
                    "error"
                } else {
                    "warning"
                },
                &format!("{} {}: {}", c.id, c.verdict.as_str(), c.summary),
                Some(uris.artifact(&c.subject)),
            ));
        }
        let checks: Vec<Value> = report
            .checks
            .iter()
            .map(|c| {
                let evidence: Map<String, Value> = c
                    .evidence
                    .iter()
                    .map(|(k, v)| (k.clone(), json!(v)))
                    .collect();
                json!({
                    "id": c.id,
                    "subject": c.subject,
                    "verdict": c.verdict,
                    "summary": c.summary,
                    "evidence": evidence,
                })
            })
            .collect();

        let mut invocation = Map::new();
        invocation.insert("executionSuccessful".into(), json!(true));
        invocation.insert("startTimeUtc".into(), json!(report.run.started));
        if let Some(wd) = uris.working_directory() {
            invocation.insert("workingDirectory".into(), wd);
        }
        if !notifications.is_empty() {
            invocation.insert(
                "toolExecutionNotifications".into(),
                Value::Array(notifications),
            );
        }
        let mut inv_props = Map::new();
        inv_props.insert("command".into(), json!(report.run.command));
        inv_props.insert("gateFailed".into(), json!(report.gate_failed()));
        if let Some(t) = report.fail_on {
            inv_props.insert("failOn".into(), json!(t));
            inv_props.insert("failing".into(), json!(report.failing(t)));
        }
        inv_props.insert("failOnWarn".into(), json!(report.fail_on_warn));
        if !checks.is_empty() {
            inv_props.insert("checks".into(), Value::Array(checks));
        }
        invocation.insert("properties".into(), Value::Object(inv_props));

        let mut driver = Map::new();
        driver.insert("name".into(), json!(report.run.tool));
        driver.insert("version".into(), json!(report.run.version));
        driver.insert("semanticVersion".into(), json!(report.run.version));
        driver.insert(
            "rules".into(),
            Value::Array(rules.iter().map(|r| rule_descriptor(r)).collect()),
        );

        let mut run = Map::new();
        run.insert("tool".into(), json!({ "driver": driver }));
        run.insert("invocations".into(), json!([invocation]));
        if let Some(ids) = uris.original_uri_base_ids() {
            run.insert("originalUriBaseIds".into(), ids);
        }
        run.insert(
            "automationDetails".into(),
            json!({ "id": format!("{}/{}", category(report), report.run.started) }),
        );
        run.insert("columnKind".into(), json!("unicodeCodePoints"));
        run.insert("results".into(), Value::Array(results));
        let unlisted: Vec<Value> = report
            .unlisted
            .iter()
            .map(|u| {
                json!({
                    "path": u.path,
                    "ruleId": u.rule_id,
                    "severity": u.severity,
                    "level": u.level,
                    "count": u.count,
                })
            })
            .collect();
        let mut by_severity = Map::new();
        for s in Severity::ALL.iter().rev() {
            by_severity.insert(s.as_str().into(), json!(report.count_severity(*s)));
        }
        run.insert(
            "properties".into(),
            json!({
                "toolCommit": report.run.commit,
                "policiesSha256": report.run.policies_sha256,
                "configSha256": report.run.config_sha256,
                "gitCommit": report.run.git_commit,
                "root": report.run.root,
                "findings": report.total_findings(),
                "listed": report.findings.len(),
                "bySeverity": by_severity,
                "unlisted": unlisted,
                "stats": report.stats,
            }),
        );

        let doc = json!({
            "$schema": SCHEMA_URI,
            "version": "2.1.0",
            "runs": [run],
        });
        serde_json::to_writer_pretty(&mut *out, &doc).map_err(io::Error::other)?;
        writeln!(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pascal_case_of_titles() {
        assert_eq!(
            pascal_case("S3 bucket without encryption"),
            "S3BucketWithoutEncryption"
        );
        assert_eq!(pascal_case("parse-error"), "ParseError");
        assert_eq!(pascal_case("--"), "Rule");
    }

    #[test]
    fn relative_uris_are_percent_encoded_and_never_look_like_a_scheme() {
        assert_eq!(encode_relative(Path::new("a b/c#d.tf")), "a%20b/c%23d.tf");
        assert_eq!(encode_relative(Path::new("c:x/y%z")), "c%3Ax/y%25z");
        assert_eq!(encode_relative(Path::new("dags/é.py")), "dags/%C3%A9.py");
    }

    #[test]
    fn normalize_is_lexical() {
        assert_eq!(normalize(Path::new("/a/./b/../c")), PathBuf::from("/a/c"));
    }

    #[test]
    fn security_severity_bands_match_github() {
        for (s, band) in [
            (Severity::Critical, 9.0..=10.0),
            (Severity::High, 7.0..=8.9),
            (Severity::Medium, 4.0..=6.9),
            (Severity::Low, 0.1..=3.9),
        ] {
            let v: f64 = security_severity(s).parse().unwrap();
            assert!(band.contains(&v), "{s}: {v}");
        }
    }
}
