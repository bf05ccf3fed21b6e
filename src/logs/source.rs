//! The `[logs]` section of `custos.toml`: log sources, their formats and field mappings, and
//! the settings of the aggregates (windows, baseline, thresholds the bundled rules read).
//!
//! ```toml
//! [logs]
//! windows = ["1h", "2h"]
//! [[logs.source]]
//! name = "gateway"
//! path = "logs/gateway/**"
//! format = "jsonl"            # jsonl | nginx | text
//! preset = "gateway"          # openai-usage | gateway | feature-store | nginx | auto
//! redacted = true             # prompts must not appear in this source
//! required = ["timestamp", "request_id", "principal", "resource", "action", "outcome"]
//! [logs.source.fields]
//! principal = "auth.subject"  # a dotted path into the record (or a list of them)
//! ```
//!
//! Every logical field has default candidate paths that fit common shapes (OpenAI-style usage
//! records, API-gateway access logs, feature-store access logs, nginx); a preset only changes
//! which fields are required and which candidate wins. A log file no source names is a source
//! of its own (preset `auto`).

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::document::Kind;

/// The logical fields custos reads from a record.
pub const FIELDS: [&str; 15] = [
    "timestamp",
    "request_id",
    "principal",
    "resource",
    "model",
    "model_version",
    "action",
    "outcome",
    "tokens",
    "prompt_tokens",
    "completion_tokens",
    "max_tokens",
    "finish_reason",
    "cost",
    "bytes",
];

/// Default candidate paths of each logical field, in order of preference.
pub fn default_candidates(field: &str) -> &'static [&'static str] {
    match field {
        "timestamp" => &[
            "timestamp",
            "@timestamp",
            "ts",
            "time",
            "created_at",
            "created",
            "event_time",
            "eventTime",
            "datetime",
            "date",
            "log_time",
            "time_local",
            "time_iso8601",
            "msec",
        ],
        "request_id" => &[
            "request_id",
            "requestId",
            "req_id",
            "http_x_request_id",
            "x_request_id",
            "trace_id",
            "traceId",
            "correlation_id",
            "id",
        ],
        "principal" => &[
            "principal",
            "user.id",
            "user.email",
            "user_id",
            "userId",
            "user",
            "api_key_id",
            "key_id",
            "client_id",
            "clientId",
            "service_account",
            "account",
            "actor",
            "caller",
            "identity",
            "subject",
            "sub",
            "userIdentity.arn",
            "remote_user",
            "remote_addr",
        ],
        "resource" => &[
            "resource",
            "dataset",
            "feature_view",
            "feature_set",
            "table",
            "model",
            "endpoint",
            "path",
            "uri",
            "url",
            "object",
            "key",
        ],
        "model" => &["model", "model_name", "modelName", "deployment", "engine"],
        "model_version" => &[
            "model_version",
            "modelVersion",
            "model_revision",
            "revision",
            "version",
            "system_fingerprint",
        ],
        "action" => &[
            "action",
            "operation",
            "op",
            "method",
            "verb",
            "eventName",
            "event",
            "request_method",
            "endpoint",
            "object",
        ],
        "outcome" => &[
            "status",
            "status_code",
            "statusCode",
            "http_status",
            "response.status",
            "outcome",
            "result",
            "error.code",
        ],
        "tokens" => &[
            "usage.total_tokens",
            "total_tokens",
            "tokens",
            "token_count",
        ],
        "prompt_tokens" => &[
            "usage.prompt_tokens",
            "prompt_tokens",
            "usage.input_tokens",
            "input_tokens",
        ],
        "completion_tokens" => &[
            "usage.completion_tokens",
            "completion_tokens",
            "usage.output_tokens",
            "output_tokens",
        ],
        "max_tokens" => &[
            "max_tokens",
            "max_completion_tokens",
            "max_output_tokens",
            "request.max_tokens",
            "params.max_tokens",
        ],
        "finish_reason" => &[
            "finish_reason",
            "choices.0.finish_reason",
            "stop_reason",
            "response.finish_reason",
        ],
        "cost" => &[
            "cost",
            "cost_usd",
            "usage.cost",
            "total_cost",
            "spend",
            "billing.cost",
        ],
        "bytes" => &[
            "bytes",
            "body_bytes_sent",
            "bytes_sent",
            "response_bytes",
            "bytes_out",
            "size",
            "content_length",
        ],
        _ => &[],
    }
}

/// Fields holding prompt or completion text: raw text here in a redacted source is a finding.
pub const PROMPT_FIELDS: [&str; 10] = [
    "prompt",
    "messages",
    "input",
    "request.prompt",
    "request.messages",
    "request.input",
    "completion",
    "output_text",
    "response.text",
    "choices",
];

/// What a preset says: the fields its records must carry, and `(field, path)` preferences
/// tried before the defaults.
pub type Preset = (Vec<&'static str>, Vec<(&'static str, &'static str)>);

/// A preset by name.
pub fn preset(name: &str) -> Option<Preset> {
    Some(match name {
        "auto" => (Vec::new(), Vec::new()),
        "openai-usage" => (
            vec![
                "timestamp",
                "request_id",
                "principal",
                "model",
                "model_version",
                "outcome",
            ],
            vec![("resource", "model"), ("action", "object")],
        ),
        "gateway" => (
            vec![
                "timestamp",
                "request_id",
                "principal",
                "resource",
                "action",
                "outcome",
            ],
            vec![("resource", "path"), ("action", "method")],
        ),
        "feature-store" => (
            vec!["timestamp", "principal", "resource", "action", "outcome"],
            vec![("resource", "feature_view")],
        ),
        "nginx" => (
            vec!["timestamp", "principal", "resource", "action", "outcome"],
            vec![("resource", "path"), ("action", "method")],
        ),
        _ => return None,
    })
}

pub const PRESETS: [&str; 5] = ["auto", "openai-usage", "gateway", "feature-store", "nginx"];

/// `[logs]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLogs {
    windows: Option<Vec<String>>,
    baseline: Option<String>,
    min_baseline: Option<u32>,
    spike_factor: Option<f64>,
    spike_window: Option<String>,
    spike_min: Option<u64>,
    off_hours: Option<[u32; 2]>,
    utc_offset_minutes: Option<i32>,
    bulk_reads: Option<u64>,
    learning: Option<String>,
    service_accounts: Option<Vec<String>>,
    read_actions: Option<Vec<String>>,
    outlier_z: Option<f64>,
    outlier_ratio: Option<f64>,
    outlier_min_requests: Option<u64>,
    limit_share: Option<f64>,
    limit_min: Option<u64>,
    limit_hours: Option<u32>,
    model_limits: Option<BTreeMap<String, u64>>,
    burst_min: Option<u64>,
    burst_share: Option<f64>,
    failures_min: Option<u64>,
    failures_success_share: Option<f64>,
    max_principals: Option<usize>,
    max_resources: Option<usize>,
    pseudonym_key_env: Option<String>,
    #[serde(default)]
    source: Vec<RawSource>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSource {
    name: String,
    path: String,
    format: Option<String>,
    preset: Option<String>,
    log_format: Option<String>,
    #[serde(default)]
    redacted: bool,
    required: Option<Vec<String>>,
    #[serde(default)]
    fields: BTreeMap<String, OneOrMany>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

/// One configured (or implied) log source.
#[derive(Debug, Clone)]
pub struct Source {
    pub name: String,
    /// The glob as written (`None` for a file that is a source of its own).
    pub path: Option<String>,
    pub matcher: Option<globset::GlobMatcher>,
    /// The kind records are read as; `None`: sniffed per file.
    pub kind: Option<Kind>,
    pub preset: String,
    pub log_format: Option<super::nginx::LogFormat>,
    pub redacted: bool,
    /// Logical fields every record must carry (empty: only consistency is checked).
    pub required: Vec<String>,
    pub required_explicit: bool,
    /// Candidate paths per logical field, split on `.`.
    pub fields: BTreeMap<&'static str, Vec<Vec<String>>>,
    /// The same, and [`PROMPT_FIELDS`], indexed by the path's first key. A record's
    /// top-level keys are looked up once each.
    pub by_key: KeyIndex,
}

/// See [`Source::by_key`].
pub type KeyIndex = std::collections::HashMap<String, KeyEntry, KeyHash>;

/// What one top-level key of a record can hold.
#[derive(Debug, Clone, Default)]
pub struct KeyEntry {
    /// The key's position in the index: a record's members are told apart by it (a later
    /// duplicate replaces an earlier one) without comparing their text.
    pub id: usize,
    /// The field candidates whose path starts with this key.
    pub cands: Vec<Cand>,
    /// The distinct keys one level down that candidates name (`usage.prompt_tokens`,
    /// `usage.total_tokens`, …): read in one pass over the member's object.
    pub inner: Vec<String>,
    /// Rests of the [`PROMPT_FIELDS`] paths that start with this key (empty: the member).
    pub prompts: Vec<Vec<String>>,
}

/// One candidate path of a logical field, under its first key.
#[derive(Debug, Clone)]
pub struct Cand {
    /// Index in [`FIELDS`].
    pub field: usize,
    /// Rank among the field's candidates (lower is preferred).
    pub rank: usize,
    /// The rest of the path.
    pub rest: Vec<String>,
    /// For a rest of one key: its position in [`KeyEntry::inner`].
    pub inner: Option<usize>,
}

/// FNV-1a: the log audit hashes a dozen short keys per record (member names, principals);
/// SipHash's protection against chosen collisions costs more than the rest of the lookup, and
/// these maps are bounded by configuration (field names) or by caps (principals), so a
/// collision-heavy input only slows itself down.
#[derive(Debug, Clone, Copy)]
pub struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// The hasher of the log audit's maps ([`Fnv`]).
pub type KeyHash = std::hash::BuildHasherDefault<Fnv>;

fn key_index(fields: &BTreeMap<&'static str, Vec<Vec<String>>>) -> KeyIndex {
    let mut out = KeyIndex::default();
    let entry = |out: &mut KeyIndex, first: &str| -> usize {
        let n = out.len();
        let e = out.entry(first.to_owned()).or_insert_with(|| KeyEntry {
            id: n,
            ..KeyEntry::default()
        });
        e.id
    };
    for (fi, name) in FIELDS.iter().enumerate() {
        for (rank, path) in fields.get(name).into_iter().flatten().enumerate() {
            if let Some((first, rest)) = path.split_first() {
                entry(&mut out, first);
                if let Some(e) = out.get_mut(first) {
                    let inner = if let [one] = rest {
                        Some(e.inner.iter().position(|k| k == one).unwrap_or_else(|| {
                            e.inner.push(one.clone());
                            e.inner.len() - 1
                        }))
                    } else {
                        None
                    };
                    e.cands.push(Cand {
                        field: fi,
                        rank,
                        rest: rest.to_vec(),
                        inner,
                    });
                }
            }
        }
    }
    for path in PROMPT_FIELDS {
        let mut parts = path.split('.').map(str::to_owned);
        let Some(first) = parts.next() else { continue };
        entry(&mut out, &first);
        if let Some(e) = out.get_mut(&first) {
            e.prompts.push(parts.collect());
        }
    }
    out
}

impl Source {
    /// The source of a file no configured source names.
    pub fn implied(name: &str) -> Self {
        Self::build(
            name,
            None,
            None,
            "auto",
            None,
            false,
            None,
            &BTreeMap::new(),
        )
        .unwrap_or_else(|_| unreachable_source(name))
    }

    #[allow(clippy::too_many_arguments)]
    fn build(
        name: &str,
        path: Option<&str>,
        kind: Option<Kind>,
        preset_name: &str,
        log_format: Option<super::nginx::LogFormat>,
        redacted: bool,
        required: Option<&[String]>,
        overrides: &BTreeMap<String, Vec<String>>,
    ) -> Result<Self, String> {
        let (preset_required, prefs) = preset(preset_name).ok_or_else(|| {
            format!(
                "unknown log preset `{preset_name}` (expected one of: {})",
                PRESETS.join(", ")
            )
        })?;
        let mut fields = BTreeMap::new();
        for f in FIELDS {
            let mut list: Vec<Vec<String>> = Vec::new();
            if let Some(o) = overrides.get(f) {
                list.extend(o.iter().map(|p| split_path(p)));
            } else {
                for (pf, path) in &prefs {
                    if *pf == f {
                        list.push(split_path(path));
                    }
                }
                for c in default_candidates(f) {
                    let p = split_path(c);
                    if !list.contains(&p) {
                        list.push(p);
                    }
                }
            }
            fields.insert(f, list);
        }
        for k in overrides.keys() {
            if !FIELDS.contains(&k.as_str()) {
                return Err(format!(
                    "unknown log field `{k}` (expected one of: {})",
                    FIELDS.join(", ")
                ));
            }
        }
        let required: Vec<String> = match required {
            Some(r) => {
                for f in r {
                    if !FIELDS.contains(&f.as_str()) {
                        return Err(format!(
                            "unknown required field `{f}` (expected one of: {})",
                            FIELDS.join(", ")
                        ));
                    }
                }
                r.to_vec()
            }
            None => preset_required.iter().map(|s| (*s).to_owned()).collect(),
        };
        let matcher = match path {
            Some(p) => Some(
                globset::Glob::new(p)
                    .map_err(|e| format!("invalid glob `{p}`: {e}"))?
                    .compile_matcher(),
            ),
            None => None,
        };
        Ok(Self {
            name: name.to_owned(),
            path: path.map(str::to_owned),
            matcher,
            kind,
            preset: preset_name.to_owned(),
            log_format,
            redacted,
            required_explicit: !required.is_empty(),
            required,
            by_key: key_index(&fields),
            fields,
        })
    }
}

fn unreachable_source(name: &str) -> Source {
    Source {
        name: name.to_owned(),
        path: None,
        matcher: None,
        kind: None,
        preset: "auto".to_owned(),
        log_format: None,
        redacted: false,
        required: Vec::new(),
        required_explicit: false,
        fields: BTreeMap::new(),
        by_key: KeyIndex::default(),
    }
}

fn split_path(p: &str) -> Vec<String> {
    p.split('.').map(str::to_owned).collect()
}

/// The effective `[logs]` settings.
#[derive(Debug, Clone)]
pub struct LogsConfig {
    pub sources: Vec<Source>,
    /// Window lengths in seconds, ascending.
    pub windows: Vec<i64>,
    /// Trailing span of the baseline, seconds.
    pub baseline: i64,
    pub min_baseline: u32,
    pub spike_factor: f64,
    pub spike_window: i64,
    pub spike_min: u64,
    pub off_hours: [u32; 2],
    pub utc_offset_minutes: i32,
    pub bulk_reads: u64,
    pub learning: i64,
    pub service_accounts: Vec<String>,
    pub service_matcher: globset::GlobSet,
    pub read_actions: Vec<String>,
    pub outlier_z: f64,
    /// An outlier is also at least this many times the median.
    pub outlier_ratio: f64,
    pub outlier_min_requests: u64,
    pub limit_share: f64,
    pub limit_min: u64,
    pub limit_hours: u32,
    pub model_limits: BTreeMap<String, u64>,
    pub burst_min: u64,
    pub burst_share: f64,
    pub failures_min: u64,
    pub failures_success_share: f64,
    pub max_principals: usize,
    pub max_resources: usize,
    /// HMAC key for pseudonymising PII in principals (from the named environment variable);
    /// `None`: PII is masked.
    pub pseudonym_key: Option<Vec<u8>>,
}

/// Default service-account name patterns (case-insensitive globs).
pub const SERVICE_ACCOUNTS: [&str; 7] = [
    "svc-*",
    "svc_*",
    "*-sa",
    "sa-*",
    "system:serviceaccount:*",
    "*.iam.gserviceaccount.com",
    "*-bot",
];

/// Default actions that count as reads (case-insensitive).
pub const READ_ACTIONS: [&str; 14] = [
    "get",
    "head",
    "read",
    "select",
    "query",
    "list",
    "download",
    "getobject",
    "get_object",
    "fetch",
    "scan",
    "export",
    "get_online_features",
    "get_historical_features",
];

impl Default for LogsConfig {
    fn default() -> Self {
        Self {
            sources: Vec::new(),
            windows: vec![3600, 7200],
            baseline: 7 * 86_400,
            min_baseline: 3,
            spike_factor: 3.0,
            spike_window: 7200,
            spike_min: 20,
            off_hours: [20, 6],
            utc_offset_minutes: 0,
            bulk_reads: 200,
            learning: 86_400,
            service_accounts: SERVICE_ACCOUNTS.iter().map(|s| (*s).to_owned()).collect(),
            service_matcher: glob_set(&SERVICE_ACCOUNTS.map(str::to_owned))
                .unwrap_or_else(|_| globset::GlobSet::empty()),
            read_actions: READ_ACTIONS.iter().map(|s| (*s).to_owned()).collect(),
            outlier_z: 3.5,
            outlier_ratio: 3.0,
            outlier_min_requests: 5,
            limit_share: 0.8,
            limit_min: 50,
            limit_hours: 12,
            model_limits: BTreeMap::new(),
            burst_min: 20,
            burst_share: 0.5,
            failures_min: 50,
            failures_success_share: 0.01,
            max_principals: 100_000,
            max_resources: 1_000,
            pseudonym_key: None,
        }
    }
}

fn glob_set(pats: &[String]) -> Result<globset::GlobSet, String> {
    let mut b = globset::GlobSetBuilder::new();
    for p in pats {
        b.add(
            globset::GlobBuilder::new(&p.to_lowercase())
                .literal_separator(false)
                .build()
                .map_err(|e| format!("invalid service-account pattern `{p}`: {e}"))?,
        );
    }
    b.build().map_err(|e| e.to_string())
}

/// `90s`, `30m`, `2h`, `7d` (or a bare number of seconds) in seconds.
pub fn duration(s: &str) -> Result<i64, String> {
    let t = s.trim();
    let (num, unit) = t.split_at(t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len()));
    let n: i64 = num
        .parse()
        .map_err(|_| format!("`{s}` is not a duration (like 30m, 2h, 7d)"))?;
    let mult = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("`{s}` is not a duration (like 30m, 2h, 7d)")),
    };
    let secs = n.checked_mul(mult).filter(|v| *v > 0 && *v <= 366 * 86_400);
    secs.ok_or_else(|| format!("duration `{s}` must be between 1s and 366d"))
}

impl LogsConfig {
    /// Validate `[logs]`; an error is a message about the section.
    pub fn from_raw(raw: RawLogs) -> Result<Self, String> {
        let mut c = Self::default();
        if let Some(w) = raw.windows {
            let mut ws = w
                .iter()
                .map(|s| duration(s))
                .collect::<Result<Vec<_>, _>>()?;
            ws.sort_unstable();
            ws.dedup();
            if ws.is_empty() || ws.len() > 8 {
                return Err("[logs] windows: between 1 and 8 window lengths".to_owned());
            }
            if ws.iter().any(|w| *w < 60) {
                return Err("[logs] windows: a window is at least 1m".to_owned());
            }
            c.windows = ws;
        }
        if let Some(b) = raw.baseline {
            c.baseline = duration(&b)?;
        }
        if let Some(s) = raw.spike_window {
            c.spike_window = duration(&s)?;
        }
        if !c.windows.contains(&c.spike_window) {
            c.windows.push(c.spike_window);
            c.windows.sort_unstable();
        }
        if let Some(l) = raw.learning {
            c.learning = duration(&l)?;
        }
        let positive = |name: &str, v: f64| {
            if v.is_finite() && v > 0.0 {
                Ok(v)
            } else {
                Err(format!("[logs] {name} must be a positive number"))
            }
        };
        let share = |name: &str, v: f64| {
            if (0.0..=1.0).contains(&v) {
                Ok(v)
            } else {
                Err(format!("[logs] {name} must be between 0 and 1"))
            }
        };
        if let Some(v) = raw.spike_factor {
            c.spike_factor = positive("spike_factor", v)?;
        }
        if let Some(v) = raw.outlier_z {
            c.outlier_z = positive("outlier_z", v)?;
        }
        if let Some(v) = raw.outlier_ratio {
            c.outlier_ratio = positive("outlier_ratio", v)?;
        }
        if let Some(v) = raw.limit_share {
            c.limit_share = share("limit_share", v)?;
        }
        if let Some(v) = raw.burst_share {
            c.burst_share = share("burst_share", v)?;
        }
        if let Some(v) = raw.failures_success_share {
            c.failures_success_share = share("failures_success_share", v)?;
        }
        if let Some(h) = raw.off_hours {
            if h.iter().any(|x| *x > 23) {
                return Err("[logs] off_hours: two hours of the day, 0 to 23".to_owned());
            }
            c.off_hours = h;
        }
        if let Some(o) = raw.utc_offset_minutes {
            if o.abs() > 14 * 60 {
                return Err("[logs] utc_offset_minutes: at most ±840".to_owned());
            }
            c.utc_offset_minutes = o;
        }
        if let Some(h) = raw.limit_hours {
            c.limit_hours = h.min(24);
        }
        c.min_baseline = raw.min_baseline.unwrap_or(c.min_baseline).max(1);
        c.spike_min = raw.spike_min.unwrap_or(c.spike_min);
        c.bulk_reads = raw.bulk_reads.unwrap_or(c.bulk_reads);
        c.outlier_min_requests = raw.outlier_min_requests.unwrap_or(c.outlier_min_requests);
        c.limit_min = raw.limit_min.unwrap_or(c.limit_min);
        c.burst_min = raw.burst_min.unwrap_or(c.burst_min);
        c.failures_min = raw.failures_min.unwrap_or(c.failures_min);
        c.max_principals = raw
            .max_principals
            .unwrap_or(c.max_principals)
            .clamp(1, 10_000_000);
        c.max_resources = raw
            .max_resources
            .unwrap_or(c.max_resources)
            .clamp(1, 1_000_000);
        if let Some(m) = raw.model_limits {
            c.model_limits = m;
        }
        if let Some(s) = raw.service_accounts {
            c.service_matcher = glob_set(&s)?;
            c.service_accounts = s;
        }
        if let Some(r) = raw.read_actions {
            c.read_actions = r.iter().map(|a| a.to_lowercase()).collect();
        }
        if let Some(var) = raw.pseudonym_key_env {
            let key = std::env::var(&var).map_err(|_| {
                format!("[logs] pseudonym_key_env: environment variable {var} is not set")
            })?;
            if key.len() < 16 {
                return Err(format!(
                    "[logs] pseudonym_key_env: the key in {var} must be at least 16 bytes"
                ));
            }
            c.pseudonym_key = Some(key.into_bytes());
        }
        let mut names = std::collections::BTreeSet::new();
        for s in raw.source {
            if !names.insert(s.name.clone()) {
                return Err(format!("[[logs.source]] `{}` is defined twice", s.name));
            }
            let kind = match s.format.as_deref() {
                None => None,
                Some("jsonl" | "log-jsonl") => Some(Kind::LogJsonl),
                Some("nginx" | "log-nginx") => Some(Kind::LogNginx),
                Some("text" | "log-text") => Some(Kind::LogText),
                Some(other) => {
                    return Err(format!(
                        "[[logs.source]] `{}`: unknown format `{other}` (expected jsonl, nginx or text)",
                        s.name
                    ))
                }
            };
            let log_format = s
                .log_format
                .as_deref()
                .map(super::nginx::LogFormat::new)
                .transpose()
                .map_err(|e| format!("[[logs.source]] `{}`: {e}", s.name))?;
            let overrides: BTreeMap<String, Vec<String>> = s
                .fields
                .into_iter()
                .map(|(k, v)| {
                    (
                        k,
                        match v {
                            OneOrMany::One(p) => vec![p],
                            OneOrMany::Many(ps) => ps,
                        },
                    )
                })
                .collect();
            let preset_name = s.preset.as_deref().unwrap_or(match kind {
                Some(Kind::LogNginx) => "nginx",
                _ => "auto",
            });
            let src = Source::build(
                &s.name,
                Some(&s.path),
                kind,
                preset_name,
                log_format,
                s.redacted,
                s.required.as_deref(),
                &overrides,
            )
            .map_err(|e| format!("[[logs.source]] `{}`: {e}", s.name))?;
            c.sources.push(src);
        }
        Ok(c)
    }

    /// The source a log file (path relative to the config root) belongs to: the first
    /// configured source whose glob matches, else a source of its own named after the file.
    pub fn source_for(&self, rel: &std::path::Path, display: &str) -> Source {
        self.sources
            .iter()
            .find(|s| s.matcher.as_ref().is_some_and(|m| m.is_match(rel)))
            .cloned()
            .unwrap_or_else(|| Source::implied(display))
    }

    /// Is `principal` a service account by the configured patterns?
    pub fn is_service_account(&self, principal: &str) -> bool {
        self.service_matcher.is_match(principal.to_lowercase())
    }

    /// Does `action` count as a read?
    pub fn is_read(&self, action: &str) -> bool {
        self.read_actions
            .iter()
            .any(|a| a.eq_ignore_ascii_case(action))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<LogsConfig, String> {
        #[derive(Deserialize)]
        struct W {
            logs: RawLogs,
        }
        let w: W = toml::from_str(text).map_err(|e| e.to_string())?;
        LogsConfig::from_raw(w.logs)
    }

    #[test]
    fn sources_and_settings() {
        let c = parse(
            r#"
[logs]
windows = ["30m", "1h"]
spike_window = "2h"
[[logs.source]]
name = "gw"
path = "logs/gw/**"
format = "jsonl"
preset = "gateway"
redacted = true
[logs.source.fields]
principal = "auth.sub"
cost = ["billing.usd", "cost"]
"#,
        )
        .unwrap();
        assert_eq!(c.windows, vec![1800, 3600, 7200]);
        let s = c.source_for(std::path::Path::new("logs/gw/a.jsonl"), "logs/gw/a.jsonl");
        assert_eq!(s.name, "gw");
        assert!(s.redacted);
        assert_eq!(
            s.fields["principal"],
            vec![vec!["auth".to_owned(), "sub".to_owned()]]
        );
        assert_eq!(s.fields["cost"].len(), 2);
        assert_eq!(
            s.fields["resource"].first().unwrap(),
            &vec!["path".to_owned()]
        );
        assert!(s.required.contains(&"request_id".to_owned()));
        let other = c.source_for(std::path::Path::new("x.log"), "x.log");
        assert_eq!(other.name, "x.log");
        assert!(other.required.is_empty());
        assert!(c.is_service_account("svc-etl"));
        assert!(c.is_service_account("Batch@proj.iam.gserviceaccount.com"));
        assert!(!c.is_service_account("alice"));
        assert!(c.is_read("GET") && !c.is_read("POST"));
    }

    /// Each preset reads its shape: its own preference wins over the default order where a
    /// record carries both (a gateway's `path` over its `model`, an OpenAI usage record's
    /// `object` over its `method`, a feature store's `feature_view` over its `dataset`), and
    /// its required fields are the source's.
    #[test]
    fn each_preset_reads_its_shape() {
        let c = parse(
            r#"
[[logs.source]]
name = "llm"
path = "llm/**"
preset = "openai-usage"
[[logs.source]]
name = "gw"
path = "gw/**"
preset = "gateway"
[[logs.source]]
name = "fs"
path = "fs/**"
preset = "feature-store"
[[logs.source]]
name = "web"
path = "web/**"
preset = "nginx"
"#,
        )
        .unwrap();
        let record = serde_json::json!({
            "timestamp": "2026-11-22T06:00:00Z", "request_id": "r-1", "user": "u-1",
            "model": "gpt-4o-2024-08-06", "object": "chat.completion", "method": "POST",
            "path": "/v1/chat/completions", "dataset": "fs-prod", "feature_view": "customer_ltv",
            "status": 200,
        });
        for (dir, preset, resource, action) in [
            (
                "llm",
                "openai-usage",
                "gpt-4o-2024-08-06",
                "chat.completion",
            ),
            ("gw", "gateway", "/v1/chat/completions", "POST"),
            ("fs", "feature-store", "customer_ltv", "POST"),
            ("web", "nginx", "/v1/chat/completions", "POST"),
        ] {
            let rel = format!("{dir}/a.jsonl");
            let s = c.source_for(std::path::Path::new(&rel), &rel);
            assert_eq!(s.preset, preset);
            let f = super::super::record::fields(&record, &s);
            assert_eq!(f.resource.as_deref(), Some(resource), "{preset}");
            assert_eq!(f.action.as_deref(), Some(action), "{preset}");
            assert_eq!(f.principal.as_deref(), Some("u-1"), "{preset}");
            let required: Vec<String> = super::preset(preset)
                .unwrap()
                .0
                .into_iter()
                .map(str::to_owned)
                .collect();
            assert_eq!(s.required, required, "{preset}");
            assert!(!s.required.is_empty(), "{preset}");
        }
        // Without a preset the default order decides: `dataset` before `feature_view`,
        // `method` before `object`.
        let s = c.source_for(std::path::Path::new("x.jsonl"), "x.jsonl");
        let f = super::super::record::fields(&record, &s);
        assert_eq!(f.resource.as_deref(), Some("fs-prod"));
        assert_eq!(f.action.as_deref(), Some("POST"));
    }

    #[test]
    fn bad_settings_are_named() {
        for (text, want) in [
            ("[logs]\nwindows = [\"1x\"]", "not a duration"),
            ("[logs]\nspike_factor = -1.0", "positive"),
            ("[logs]\noff_hours = [25, 3]", "off_hours"),
            ("[[logs.source]]\nname = \"a\"\npath = \"*\"\nformat = \"xml\"", "unknown format"),
            ("[[logs.source]]\nname = \"a\"\npath = \"*\"\npreset = \"x\"", "unknown log preset"),
            ("[[logs.source]]\nname = \"a\"\npath = \"*\"\nrequired = [\"nope\"]", "unknown required"),
            ("[[logs.source]]\nname = \"a\"\npath = \"*\"\n[logs.source.fields]\nwho = \"x\"", "unknown log field"),
            ("[[logs.source]]\nname = \"a\"\npath = \"*\"\n[[logs.source]]\nname = \"a\"\npath = \"*\"", "twice"),
            ("[[logs.source]]\nname = \"a\"\npath = \"*\"\nlog_format = \"$a$b\"", "cannot be told apart"),
        ] {
            let e = parse(text).unwrap_err();
            assert!(e.contains(want), "{text}: {e}");
        }
        assert_eq!(duration("7d"), Ok(604_800));
    }
}
