//! `custos.toml`: what to scan, which policies, data for policies, waivers.
//!
//! Every key is known: an unknown key or a bad value is a diagnostic that points at its line
//! in the file (deserialised with `deny_unknown_fields`, values that need checking kept as
//! `toml::Spanned` so the error can carry their span). Command-line flags override the file.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};
use miette::{Diagnostic, NamedSource, SourceSpan};
use serde::Deserialize;
use thiserror::Error;
use toml::Spanned;

use crate::context::PathContext;
use crate::document::Kind;
use crate::finding::Severity;

pub const FILE_NAME: &str = "custos.toml";
pub const DEFAULT_MAX_FILE_SIZE: u64 = 5 * 1024 * 1024;
/// Largest `custos.toml` read (1 MiB): a configuration is hand-written, and a huge one is a
/// mistake (or an attack) that would otherwise cost memory out of proportion.
pub const MAX_CONFIG_SIZE: u64 = 1024 * 1024;

/// A problem in the configuration file, pointing into it.
#[derive(Debug, Error, Diagnostic)]
#[error("{message}")]
#[diagnostic(code(custos::config))]
pub struct ConfigError {
    pub message: String,
    #[source_code]
    pub src: NamedSource<String>,
    #[label("here")]
    pub at: Option<SourceSpan>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    include: Vec<Spanned<String>>,
    #[serde(default)]
    exclude: Vec<Spanned<String>>,
    fail_on: Option<Spanned<String>>,
    max_file_size: Option<Spanned<toml::Value>>,
    policy_timeout_ms: Option<u64>,
    /// Address-space limit of one worker that evaluates user policies (bytes or "1GiB").
    policy_memory_limit: Option<Spanned<toml::Value>>,
    parse_error_severity: Option<Spanned<String>>,
    #[serde(default)]
    policies: RawPolicies,
    #[serde(default)]
    data: toml::Table,
    #[serde(default)]
    classify: BTreeMap<String, Spanned<String>>,
    #[serde(default)]
    waivers: Vec<RawWaiver>,
    /// Scan an evenly spaced sample of at most this many lines per log file.
    log_sample: Option<usize>,
    /// Largest log file streamed (bytes or "10GiB"); logs are not held in memory.
    max_log_size: Option<Spanned<toml::Value>>,
    #[serde(default)]
    pii: RawPii,
    #[serde(default)]
    context: RawContext,
    #[serde(default)]
    suppression: RawSuppression,
    /// `[logs]`: log sources and the access-log audit (docs/logs.md).
    #[serde(default)]
    logs: crate::logs::source::RawLogs,
    /// `[s3]`: endpoint, region, parallelism, audit-log prefixes (src/s3/mod.rs).
    #[serde(default)]
    s3: crate::s3::S3Config,
}

/// `[suppression]`: how inline `custos:ignore` comments are accepted.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSuppression {
    /// A comment without `-- reason` suppresses nothing (and is reported).
    #[serde(default)]
    require_reason: bool,
}

/// `[context]`: path globs forced to a context, and how demo credentials are treated.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawContext {
    #[serde(default)]
    source: Vec<Spanned<String>>,
    #[serde(default)]
    test: Vec<Spanned<String>>,
    #[serde(default)]
    docs: Vec<Spanned<String>>,
    #[serde(default)]
    example: Vec<Spanned<String>>,
    #[serde(default)]
    notebook: Vec<Spanned<String>>,
    #[serde(default)]
    vendored: Vec<Spanned<String>>,
    /// `warning` (default) or `failure`: generic credentials in test/docs/example/vendored files.
    demo_credentials: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPii {
    entities: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    source: Vec<RawPiiSource>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPiiSource {
    path: Spanned<String>,
    entities: Vec<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicies {
    #[serde(default)]
    dirs: Vec<String>,
    #[serde(default)]
    disabled: Vec<Spanned<String>>,
    #[serde(default)]
    severity: BTreeMap<String, Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWaiver {
    rule: Spanned<String>,
    path: Option<Spanned<String>>,
    reason: String,
    owner: Option<String>,
    expires: Option<Spanned<String>>,
}

/// A waiver: accepted risk for a rule (optionally only under a path glob), until a date.
#[derive(Debug, Clone)]
pub struct Waiver {
    pub rule: String,
    pub path: Option<String>,
    pub matcher: Option<globset::GlobMatcher>,
    pub reason: String,
    pub owner: Option<String>,
    /// `YYYY-MM-DD`, validated.
    pub expires: Option<String>,
    /// 1-based line in custos.toml, for findings about the waiver itself.
    pub line: usize,
}

/// The effective configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Directory that include/exclude/classify/waiver globs are relative to.
    pub root: PathBuf,
    /// The file this came from, if any.
    pub file: Option<PathBuf>,
    pub include: Option<GlobSet>,
    pub exclude: GlobSet,
    pub fail_on: Severity,
    pub max_file_size: u64,
    pub policy_timeout_ms: u64,
    /// Address-space limit of one user-policy worker process (docs/policy-bounds.md).
    pub policy_memory_limit: u64,
    pub parse_error_severity: Severity,
    pub policy_dirs: Vec<PathBuf>,
    /// `--parser`: read every file with this parser (conftest's flag); `None` classifies.
    pub parser: Option<crate::parse::Syntax>,
    pub disabled: Vec<String>,
    pub severity_overrides: BTreeMap<String, Severity>,
    /// Every rule id the file names (`disabled`, `severity`, waivers), where, and in what
    /// role: checked against the rule catalog once policies are loaded.
    pub rule_refs: Vec<(String, Range<usize>, &'static str)>,
    /// The file's name and text, for diagnostics raised after loading.
    pub source: Option<(String, String)>,
    /// Every rule id of the loaded catalog, once policies are loaded (empty: not checked).
    pub known_rules: Vec<String>,
    pub data: serde_json::Value,
    pub classify: Vec<(globset::GlobMatcher, Kind)>,
    pub waivers: Vec<Waiver>,
    pub log_sample: Option<usize>,
    pub max_log_size: u64,
    /// PII entities that count as findings in logs.
    pub pii_entities: Vec<crate::detect::pii::Entity>,
    /// Per log source (path glob): the entities that count there, first match wins.
    pub pii_sources: Vec<(globset::GlobMatcher, Vec<crate::detect::pii::Entity>)>,
    /// `[context]` globs (relative to `root`), first match wins over the path conventions.
    pub context_globs: Vec<(globset::GlobMatcher, PathContext)>,
    /// Generic credentials in test/docs/example/vendored files are warnings (default) or failures.
    pub demote_demo_credentials: bool,
    /// `[suppression] require_reason`: an inline ignore without `-- reason` suppresses nothing.
    pub require_reason: bool,
    /// `[logs]`: log sources, field mappings and aggregate settings (docs/logs.md).
    pub logs: crate::logs::source::LogsConfig,
    /// `[s3]`: how S3 sources are reached and which prefixes hold audit logs.
    pub s3: crate::s3::S3Config,
}

pub const DEFAULT_MAX_LOG_SIZE: u64 = 64 * 1024 * 1024 * 1024;

impl Config {
    pub fn defaults(root: PathBuf) -> Self {
        Self {
            root,
            file: None,
            include: None,
            exclude: GlobSet::empty(),
            fail_on: Severity::Low,
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            policy_timeout_ms: 5_000,
            policy_memory_limit: crate::policy::sandbox::DEFAULT_MEMORY_LIMIT,
            parse_error_severity: Severity::High,
            policy_dirs: Vec::new(),
            parser: None,
            disabled: Vec::new(),
            severity_overrides: BTreeMap::new(),
            rule_refs: Vec::new(),
            source: None,
            known_rules: Vec::new(),
            data: serde_json::Value::Object(serde_json::Map::new()),
            classify: Vec::new(),
            waivers: Vec::new(),
            log_sample: None,
            max_log_size: DEFAULT_MAX_LOG_SIZE,
            pii_entities: crate::detect::pii::Entity::defaults(),
            pii_sources: Vec::new(),
            context_globs: Vec::new(),
            demote_demo_credentials: true,
            require_reason: false,
            logs: crate::logs::source::LogsConfig::default(),
            s3: crate::s3::S3Config::default(),
        }
    }

    /// Find `custos.toml` in `start` or its ancestors, stopping at a repository root (`.git`).
    pub fn discover(start: &Path) -> Option<PathBuf> {
        let start = start.canonicalize().ok()?;
        let mut dir = if start.is_dir() {
            Some(start.as_path())
        } else {
            start.parent()
        };
        while let Some(d) = dir {
            let candidate = d.join(FILE_NAME);
            if candidate.is_file() {
                // Name it relative to the working directory when it lies below it.
                let cwd = std::env::current_dir()
                    .ok()
                    .and_then(|c| c.canonicalize().ok());
                return Some(
                    match cwd.and_then(|c| candidate.strip_prefix(c).ok().map(Path::to_path_buf)) {
                        Some(rel) => rel,
                        None => candidate,
                    },
                );
            }
            if d.join(".git").exists() {
                return None;
            }
            dir = d.parent();
        }
        None
    }

    /// Load and validate a config file.
    pub fn load(path: &Path) -> Result<Self, Box<ConfigError>> {
        let too_big = |len: u64| {
            Box::new(ConfigError {
                message: format!(
                    "{} is {len} bytes; a configuration file may be at most {MAX_CONFIG_SIZE} bytes",
                    path.display()
                ),
                src: NamedSource::new(path.display().to_string(), String::new()),
                at: None,
            })
        };
        if let Ok(m) = std::fs::metadata(path) {
            if m.len() > MAX_CONFIG_SIZE {
                return Err(too_big(m.len()));
            }
        }
        let text = std::fs::read_to_string(path).map_err(|e| {
            Box::new(ConfigError {
                message: format!("cannot read {}: {e}", path.display()),
                src: NamedSource::new(path.display().to_string(), String::new()),
                at: None,
            })
        })?;
        let root = path
            .parent()
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        Self::from_str(&text, &path.display().to_string(), &root).map(|mut c| {
            c.file = Some(path.to_path_buf());
            c
        })
    }

    /// Parse config text; `name` is used in diagnostics, `root` anchors relative paths.
    pub fn from_str(text: &str, name: &str, root: &Path) -> Result<Self, Box<ConfigError>> {
        let err = |message: String, span: Option<Range<usize>>| {
            Box::new(ConfigError {
                message,
                src: NamedSource::new(name, text.to_owned()),
                at: span.map(|r| SourceSpan::from(r.start..r.end.max(r.start))),
            })
        };
        let raw: RawConfig =
            toml::from_str(text).map_err(|e| err(e.message().to_owned(), e.span()))?;
        let mut cfg = Config::defaults(root.to_path_buf());

        let globset = |pats: &[Spanned<String>]| -> Result<GlobSet, Box<ConfigError>> {
            let mut b = GlobSetBuilder::new();
            for p in pats {
                let g = Glob::new(p.get_ref())
                    .map_err(|e| err(format!("invalid glob: {e}"), Some(p.span())))?;
                b.add(g);
            }
            b.build()
                .map_err(|e| err(format!("invalid globs: {e}"), None))
        };
        if !raw.include.is_empty() {
            cfg.include = Some(globset(&raw.include)?);
        }
        cfg.exclude = globset(&raw.exclude)?;
        let severity = |s: &Spanned<String>| {
            s.get_ref()
                .parse::<Severity>()
                .map_err(|m| err(m, Some(s.span())))
        };
        if let Some(s) = &raw.fail_on {
            cfg.fail_on = severity(s)?;
        }
        if let Some(s) = &raw.parse_error_severity {
            cfg.parse_error_severity = severity(s)?;
        }
        if let Some(v) = &raw.max_file_size {
            cfg.max_file_size = parse_size(v.get_ref()).map_err(|m| err(m, Some(v.span())))?;
        }
        cfg.log_sample = raw.log_sample;
        if let Some(v) = &raw.max_log_size {
            cfg.max_log_size = parse_size(v.get_ref()).map_err(|m| err(m, Some(v.span())))?;
        }
        let entities = |list: &[Spanned<String>]| -> Result<Vec<crate::detect::pii::Entity>, Box<ConfigError>> {
            list.iter()
                .map(|e| {
                    crate::detect::pii::Entity::parse(e.get_ref()).ok_or_else(|| {
                        let names: Vec<&str> = crate::detect::pii::ENTITIES.iter().map(|x| x.2).collect();
                        err(format!("unknown PII entity `{}` (expected one of: {})", e.get_ref(), names.join(", ")), Some(e.span()))
                    })
                })
                .collect()
        };
        if let Some(list) = &raw.pii.entities {
            cfg.pii_entities = entities(list)?;
        }
        for s in &raw.pii.source {
            let g = Glob::new(s.path.get_ref())
                .map_err(|e| err(format!("invalid glob: {e}"), Some(s.path.span())))?;
            cfg.pii_sources
                .push((g.compile_matcher(), entities(&s.entities)?));
        }
        if let Some(ms) = raw.policy_timeout_ms {
            cfg.policy_timeout_ms = ms;
        }
        if let Some(v) = &raw.policy_memory_limit {
            let n = parse_size(v.get_ref()).map_err(|m| err(m, Some(v.span())))?;
            let min = crate::policy::sandbox::MIN_MEMORY_LIMIT;
            if n < min {
                return Err(err(
                    format!("policy_memory_limit must be at least {} MiB", min >> 20),
                    Some(v.span()),
                ));
            }
            cfg.policy_memory_limit = n;
        }
        cfg.policy_dirs = raw.policies.dirs.iter().map(|d| root.join(d)).collect();
        for d in &raw.policies.disabled {
            cfg.rule_refs
                .push((d.get_ref().clone(), d.span(), "[policies] disabled"));
        }
        cfg.disabled = raw
            .policies
            .disabled
            .into_iter()
            .map(Spanned::into_inner)
            .collect();
        for (rule, s) in &raw.policies.severity {
            cfg.severity_overrides.insert(rule.clone(), severity(s)?);
            cfg.rule_refs
                .push((rule.clone(), s.span(), "[policies.severity]"));
        }
        cfg.source = Some((name.to_owned(), text.to_owned()));
        cfg.data = serde_json::to_value(&raw.data)
            .map_err(|e| err(format!("[data] cannot be handed to policies: {e}"), None))?;
        for (pattern, kind) in &raw.classify {
            let k = Kind::parse(kind.get_ref()).ok_or_else(|| {
                let names: Vec<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
                err(
                    format!(
                        "unknown kind `{}` (expected one of: {})",
                        kind.get_ref(),
                        names.join(", ")
                    ),
                    Some(kind.span()),
                )
            })?;
            let g = Glob::new(pattern)
                .map_err(|e| err(format!("invalid glob `{pattern}`: {e}"), Some(kind.span())))?;
            cfg.classify.push((g.compile_matcher(), k));
        }
        let ctx = &raw.context;
        for (c, globs) in [
            (PathContext::Source, &ctx.source),
            (PathContext::Test, &ctx.test),
            (PathContext::Docs, &ctx.docs),
            (PathContext::Example, &ctx.example),
            (PathContext::Notebook, &ctx.notebook),
            (PathContext::Vendored, &ctx.vendored),
        ] {
            for g in globs {
                let m = Glob::new(g.get_ref())
                    .map_err(|e| err(format!("invalid glob: {e}"), Some(g.span())))?;
                cfg.context_globs.push((m.compile_matcher(), c));
            }
        }
        if let Some(v) = &ctx.demo_credentials {
            cfg.demote_demo_credentials = match v.get_ref().as_str() {
                "warning" => true,
                "failure" => false,
                other => {
                    return Err(err(
                        format!("`demo_credentials` is `warning` or `failure`, not `{other}`"),
                        Some(v.span()),
                    ))
                }
            };
        }
        cfg.require_reason = raw.suppression.require_reason;
        cfg.logs = crate::logs::source::LogsConfig::from_raw(raw.logs).map_err(|m| err(m, None))?;
        cfg.s3 = raw.s3;
        for w in raw.waivers {
            let line = text[..w.rule.span().start.min(text.len())]
                .matches('\n')
                .count()
                + 1;
            if let Some(e) = &w.expires {
                if !is_iso_date(e.get_ref()) {
                    return Err(err(
                        format!(
                            "`expires` must be a date as YYYY-MM-DD, not `{}`",
                            e.get_ref()
                        ),
                        Some(e.span()),
                    ));
                }
            }
            let matcher = match &w.path {
                Some(p) => Some(
                    Glob::new(p.get_ref())
                        .map_err(|e| err(format!("invalid glob: {e}"), Some(p.span())))?
                        .compile_matcher(),
                ),
                None => None,
            };
            cfg.rule_refs
                .push((w.rule.get_ref().clone(), w.rule.span(), "a waiver"));
            cfg.waivers.push(Waiver {
                rule: w.rule.into_inner(),
                path: w.path.map(Spanned::into_inner),
                matcher,
                reason: w.reason,
                owner: w.owner,
                expires: w.expires.map(Spanned::into_inner),
                line,
            });
        }
        Ok(cfg)
    }

    /// Is `rel` (relative to the config root) selected by include/exclude?
    pub fn selects(&self, rel: &Path) -> bool {
        if self.exclude.is_match(rel) {
            return false;
        }
        self.include.as_ref().is_none_or(|inc| inc.is_match(rel))
    }

    /// Severity after overrides.
    pub fn severity_for(&self, rule: &str, default: Severity) -> Severity {
        self.severity_overrides
            .get(rule)
            .copied()
            .unwrap_or(default)
    }

    /// PII entities that count for the log at `rel`.
    pub fn pii_entities_for(&self, rel: &Path) -> Vec<crate::detect::pii::Entity> {
        self.pii_sources
            .iter()
            .find(|(g, _)| g.is_match(rel))
            .map_or_else(|| self.pii_entities.clone(), |(_, e)| e.clone())
    }

    /// The context of a file: `[context]` globs on `rel` (relative to the config root) first,
    /// then the path conventions on `within` (relative to the scanned root).
    pub fn context_of(&self, rel: &Path, within: &Path) -> PathContext {
        self.context_globs
            .iter()
            .find(|(g, _)| g.is_match(rel))
            .map_or_else(|| crate::context::by_convention(within), |(_, c)| *c)
    }

    /// Every rule id the file names must exist in the catalog (`known`): a typo in
    /// `disabled`, a severity override or a waiver would otherwise pass without a word.
    pub fn check_rule_ids(&self, known: &[&str]) -> Result<(), Box<ConfigError>> {
        let Some((name, text)) = &self.source else {
            return Ok(());
        };
        for (id, span, role) in &self.rule_refs {
            if known.iter().any(|k| k == id) {
                continue;
            }
            // Closest by edit distance (case-insensitive), ties to the smaller id.
            let wanted = id.to_lowercase();
            let best = known
                .iter()
                .map(|k| (strsim::levenshtein(&k.to_lowercase(), &wanted), *k))
                .filter(|(d, _)| *d <= 2.max(wanted.len() / 3))
                .min();
            let hint = best.map_or_else(
                || " (`custos policy list` shows every rule id)".to_owned(),
                |(_, k)| format!("; did you mean `{k}`?"),
            );
            return Err(Box::new(ConfigError {
                message: format!("unknown rule id `{id}` in {role}{hint}"),
                src: NamedSource::new(name, text.clone()),
                at: Some(SourceSpan::from(span.start..span.end.max(span.start))),
            }));
        }
        Ok(())
    }

    pub fn is_disabled(&self, rule: &str) -> bool {
        self.disabled.iter().any(|r| r == rule)
    }
}

fn parse_size(v: &toml::Value) -> Result<u64, String> {
    match v {
        toml::Value::Integer(i) => {
            u64::try_from(*i).map_err(|_| "size must not be negative".to_owned())
        }
        toml::Value::String(s) => {
            let s = s.trim();
            let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
            let (num, unit) = s.split_at(split);
            let n: u64 = num.parse().map_err(|_| format!("invalid size `{s}`"))?;
            let mult = match unit.trim().to_ascii_lowercase().as_str() {
                "" | "b" => 1,
                "k" | "kb" | "kib" => 1024,
                "m" | "mb" | "mib" => 1024 * 1024,
                "g" | "gb" | "gib" => 1024 * 1024 * 1024,
                other => {
                    return Err(format!(
                        "unknown size unit `{other}` (use B, KiB, MiB or GiB)"
                    ))
                }
            };
            n.checked_mul(mult)
                .ok_or_else(|| format!("size `{s}` is too large"))
        }
        _ => Err("size must be a number of bytes or a string like \"5MiB\"".to_owned()),
    }
}

fn is_iso_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
        && matches!(s[5..7].parse::<u8>(), Ok(1..=12))
        && matches!(s[8..10].parse::<u8>(), Ok(1..=31))
}

/// Today's date (UTC) as `YYYY-MM-DD`, for comparing waiver expiry dates.
pub fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    civil_date(i64::try_from(secs / 86_400).unwrap_or(0))
}

/// Days since 1970-01-01 → `YYYY-MM-DD` (Howard Hinnant's civil-from-days algorithm).
pub fn civil_date(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

impl crate::policy::RuleFilter for Config {
    fn is_disabled(&self, rule: &str) -> bool {
        Config::is_disabled(self, rule)
    }
    fn severity_for(&self, rule: &str, default: Severity) -> Severity {
        Config::severity_for(self, rule, default)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<Config, Box<ConfigError>> {
        Config::from_str(text, "custos.toml", Path::new("."))
    }

    fn line_of(e: &ConfigError, text: &str) -> usize {
        let off = e.at.expect("span").offset();
        text[..off].matches('\n').count() + 1
    }

    #[test]
    fn unknown_key_points_at_its_line() {
        let text = "fail_on = \"high\"\n\n[policies]\ndirs = []\nbogus = 1\n";
        let e = load(text).unwrap_err();
        assert!(e.message.contains("bogus"), "{}", e.message);
        assert_eq!(line_of(&e, text), 5);
    }

    #[test]
    fn bad_values_point_at_their_line() {
        let text = "exclude = [\"a\"]\nfail_on = \"urgent\"\n";
        let e = load(text).unwrap_err();
        assert!(e.message.contains("urgent"));
        assert_eq!(line_of(&e, text), 2);
        let text = "[classify]\n\"x/*.yaml\" = \"kubernetez\"\n";
        let e = load(text).unwrap_err();
        assert!(e.message.contains("kubernetez"));
        assert_eq!(line_of(&e, text), 2);
        let text = "max_file_size = \"5 parsecs\"\n";
        assert!(load(text).is_err());
        let text = "[[waivers]]\nrule = \"X\"\nreason = \"r\"\nexpires = \"next week\"\n";
        let e = load(text).unwrap_err();
        assert_eq!(line_of(&e, text), 4);
    }

    #[test]
    fn full_config_loads() {
        let text = r#"
include = ["**/*.tf", "**/*.yaml"]
exclude = ["vendor/**"]
fail_on = "medium"
max_file_size = "1MiB"
[policies]
dirs = ["policy"]
disabled = ["TF001"]
severity = { TF002 = "critical" }
[data]
prohibited_buckets = ["public-*"]
[[waivers]]
rule = "TF002"
path = "legacy/**"
reason = "migrating"
owner = "data-platform"
expires = "2030-01-31"
"#;
        let c = load(text).expect("valid");
        assert_eq!(c.fail_on, Severity::Medium);
        assert_eq!(c.max_file_size, 1024 * 1024);
        assert_eq!(c.severity_for("TF002", Severity::High), Severity::Critical);
        assert!(c.is_disabled("TF001"));
        assert_eq!(c.data["prohibited_buckets"][0], "public-*");
        assert!(c.selects(Path::new("main.tf")));
        assert!(!c.selects(Path::new("vendor/x.tf")));
        assert!(!c.selects(Path::new("README.md")));
        assert_eq!(c.waivers[0].line, 13);
    }

    #[test]
    fn pii_entities_per_source() {
        use crate::detect::pii::Entity;
        let c = load("[pii]\nentities = [\"EMAIL\"]\n[[pii.source]]\npath = \"logs/nginx/**\"\nentities = [\"email\", \"IP_ADDRESS\"]\n").unwrap();
        assert_eq!(
            c.pii_entities_for(Path::new("logs/app.log")),
            vec![Entity::Email]
        );
        assert_eq!(
            c.pii_entities_for(Path::new("logs/nginx/access.log")),
            vec![Entity::Email, Entity::IpAddress]
        );
        let text = "[pii]\nentities = [\"EMAIL\", \"SHOE_SIZE\"]\n";
        let e = load(text).unwrap_err();
        assert!(e.message.contains("SHOE_SIZE"));
        assert_eq!(line_of(&e, text), 2);
    }

    #[test]
    fn civil_dates() {
        assert_eq!(civil_date(0), "1970-01-01");
        assert_eq!(civil_date(19_723), "2024-01-01");
        assert_eq!(civil_date(11_016), "2000-02-29");
    }
}

/// The name of conftest's configuration file.
pub const CONFTEST_FILE_NAME: &str = "conftest.toml";

/// What custos reads from an existing `conftest.toml`, so that a repository configured for
/// conftest runs unchanged: `policy` (a directory or a list of them), `namespace` (one or a
/// list), `all-namespaces`, `data` (files or directories), `combine` and `fail-on-warn`.
/// Paths are relative to the working directory, as conftest reads them. Other conftest keys
/// (output format, parser …) are accepted and ignored; they have custos flags of their own.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConftestConfig {
    pub file: PathBuf,
    pub policy: Vec<PathBuf>,
    pub namespace: Vec<String>,
    pub all_namespaces: bool,
    pub data: Vec<PathBuf>,
    pub combine: bool,
    pub fail_on_warn: bool,
    /// `proto-file-dirs`: `.proto` schemas for text-format files.
    pub proto_file_dirs: Vec<PathBuf>,
}

impl ConftestConfig {
    /// Read a `conftest.toml`.
    pub fn load(path: &Path) -> Result<Self, String> {
        let meta = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
        if meta.len() > MAX_CONFIG_SIZE {
            return Err(format!(
                "{} is {} bytes; a configuration file may be at most {MAX_CONFIG_SIZE} bytes",
                path.display(),
                meta.len()
            ));
        }
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        Self::parse(&text, path)
    }

    /// Parse the text of a `conftest.toml` named `path`.
    pub fn parse(text: &str, path: &Path) -> Result<Self, String> {
        let table: toml::Table =
            toml::from_str(text).map_err(|e| format!("{}: {}", path.display(), e.message()))?;
        let strings = |key: &str| -> Result<Vec<String>, String> {
            match table.get(key) {
                None => Ok(Vec::new()),
                Some(toml::Value::String(s)) => Ok(vec![s.clone()]),
                Some(toml::Value::Array(a)) => a
                    .iter()
                    .map(|v| {
                        v.as_str().map(str::to_owned).ok_or_else(|| {
                            format!(
                                "{}: `{key}` must be a string or a list of strings",
                                path.display()
                            )
                        })
                    })
                    .collect(),
                Some(_) => Err(format!(
                    "{}: `{key}` must be a string or a list of strings",
                    path.display()
                )),
            }
        };
        let flag = |key: &str| -> Result<bool, String> {
            match table.get(key) {
                None => Ok(false),
                Some(toml::Value::Boolean(b)) => Ok(*b),
                Some(_) => Err(format!("{}: `{key}` must be true or false", path.display())),
            }
        };
        Ok(Self {
            file: path.to_path_buf(),
            policy: strings("policy")?.into_iter().map(PathBuf::from).collect(),
            namespace: strings("namespace")?,
            all_namespaces: flag("all-namespaces")?,
            data: strings("data")?.into_iter().map(PathBuf::from).collect(),
            combine: flag("combine")?,
            fail_on_warn: flag("fail-on-warn")?,
            proto_file_dirs: strings("proto-file-dirs")?
                .into_iter()
                .map(PathBuf::from)
                .collect(),
        })
    }

    /// `conftest.toml` in the working directory, where conftest looks for it.
    pub fn discover() -> Option<PathBuf> {
        let p = PathBuf::from(CONFTEST_FILE_NAME);
        p.is_file().then_some(p)
    }
}

/// Data files for policies (`--data`, conftest's `-d`): every `.json`, `.yaml` and `.yml` file
/// in `paths` (files, or directories walked recursively), merged into one object as OPA's
/// loader does: a file's top-level keys at the root of `data`, a file in a subdirectory of a
/// named directory under that subdirectory's path (`dir/a/b.yaml` → `data.a.…`).
pub fn load_data_files(paths: &[PathBuf]) -> Result<serde_json::Value, String> {
    let mut data = serde_json::Value::Object(serde_json::Map::new());
    for root in paths {
        let meta =
            std::fs::metadata(root).map_err(|e| format!("--data {}: {e}", root.display()))?;
        // As OPA's loader under conftest: only JSON and YAML files are data, a file named
        // explicitly too (`--data lib.rego` loads nothing).
        let is_data_file = |p: &Path| {
            p.extension().is_some_and(|x| {
                x.eq_ignore_ascii_case("json")
                    || x.eq_ignore_ascii_case("yaml")
                    || x.eq_ignore_ascii_case("yml")
            })
        };
        let files: Vec<(PathBuf, Vec<String>)> = if meta.is_file() {
            if is_data_file(root) {
                vec![(root.clone(), Vec::new())]
            } else {
                Vec::new()
            }
        } else {
            let mut out = Vec::new();
            for entry in walkdir::WalkDir::new(root).sort_by_file_name() {
                let entry = entry.map_err(|e| format!("--data {}: {e}", root.display()))?;
                if entry.file_type().is_file() && is_data_file(entry.path()) {
                    let prefix = entry
                        .path()
                        .parent()
                        .and_then(|p| p.strip_prefix(root).ok())
                        .map(|p| {
                            p.components()
                                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                                .collect()
                        })
                        .unwrap_or_default();
                    out.push((entry.path().to_path_buf(), prefix));
                }
            }
            out
        };
        for (file, prefix) in files {
            let value = read_data_file(&file)?;
            let mut wrapped = value;
            for key in prefix.iter().rev() {
                let mut m = serde_json::Map::new();
                m.insert(key.clone(), wrapped);
                wrapped = serde_json::Value::Object(m);
            }
            merge_data(&mut data, wrapped)
                .map_err(|key| format!("--data {}: `{key}` is defined twice", file.display()))?;
        }
    }
    Ok(data)
}

fn read_data_file(file: &Path) -> Result<serde_json::Value, String> {
    let text =
        std::fs::read_to_string(file).map_err(|e| format!("--data {}: {e}", file.display()))?;
    let syntax = if file
        .extension()
        .is_some_and(|x| x.eq_ignore_ascii_case("json"))
    {
        crate::parse::Syntax::Json
    } else {
        crate::parse::Syntax::Yaml
    };
    let parsed = crate::parse::parse(syntax, &text, &crate::parse::Limits::default())
        .ok_or_else(|| format!("--data {}: no parser", file.display()))?;
    if let Some(e) = parsed.error {
        return Err(format!("--data {}: {}", file.display(), e.message));
    }
    let value = parsed
        .docs
        .into_iter()
        .next()
        .map_or(serde_json::Value::Null, |d| d.value);
    match value {
        serde_json::Value::Null => Ok(serde_json::Value::Object(serde_json::Map::new())),
        v @ serde_json::Value::Object(_) => Ok(v),
        _ => Err(format!(
            "--data {}: a data file must hold an object at the top level",
            file.display()
        )),
    }
}

/// Deep-merge `from` into `into`; `Err(key)` when a key holds a non-object value on both sides.
pub fn merge_data(into: &mut serde_json::Value, from: serde_json::Value) -> Result<(), String> {
    let (serde_json::Value::Object(a), serde_json::Value::Object(b)) = (into, from) else {
        return Err(String::new());
    };
    for (k, v) in b {
        match a.get_mut(&k) {
            Some(existing) if existing.is_object() && v.is_object() => {
                merge_data(existing, v).map_err(|inner| {
                    if inner.is_empty() {
                        k.clone()
                    } else {
                        format!("{k}.{inner}")
                    }
                })?;
            }
            Some(_) => return Err(k),
            None => {
                a.insert(k, v);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod conftest_tests {
    use super::*;

    #[test]
    fn conftest_toml_keys_are_read_as_strings_or_lists() {
        let c = ConftestConfig::parse(
            "policy = \"checks\"\nnamespace = [\"a\", \"b\"]\ndata = \"d\"\ncombine = true\noutput = \"json\"\n",
            Path::new("conftest.toml"),
        )
        .unwrap();
        assert_eq!(c.policy, [PathBuf::from("checks")]);
        assert_eq!(c.namespace, ["a", "b"]);
        assert_eq!(c.data, [PathBuf::from("d")]);
        assert!(c.combine && !c.fail_on_warn && !c.all_namespaces);
        let err = ConftestConfig::parse("policy = 3\n", Path::new("conftest.toml")).unwrap_err();
        assert!(err.contains("`policy` must be a string"), "{err}");
    }

    #[test]
    fn data_merges_deeply_and_refuses_a_value_defined_twice() {
        let mut a = serde_json::json!({"x": {"y": 1}});
        merge_data(&mut a, serde_json::json!({"x": {"z": 2}, "w": 3})).unwrap();
        assert_eq!(a, serde_json::json!({"x": {"y": 1, "z": 2}, "w": 3}));
        let err = merge_data(&mut a, serde_json::json!({"x": {"y": 5}})).unwrap_err();
        assert_eq!(err, "x.y");
    }
}
