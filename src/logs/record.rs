//! One log line as a record: the JSON value policies see as `input`, and the logical fields
//! (principal, resource, action, outcome, time, usage) the aggregates are built from.
//!
//! JSONL lines are their own JSON object; nginx lines are split by the source's `log_format`
//! (or the combined and common formats); a plain-text line whose tail is a JSON object
//! (`2026-11-22T06:00:00Z INFO gateway {"user": …}`) is that object, with the prefix's time
//! and level added as `log_time` and `log_level` when the object does not carry them. Lines
//! that are none of these are not records (they are counted, and still scanned for secrets).

use serde_json::{Map, Value};

use super::source::Source;
use crate::document::Kind;

/// How a request ended, as far as the record says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Outcome {
    /// An HTTP-like status code.
    Status(u16),
    /// A word meaning success (`ok`, `success`, `allowed`, …).
    Success,
    /// A word meaning failure (`error`, `denied`, `timeout`, …).
    Failure,
}

impl Outcome {
    pub fn is_success(self) -> bool {
        match self {
            Outcome::Status(s) => (200..400).contains(&s),
            Outcome::Success => true,
            Outcome::Failure => false,
        }
    }

    /// The class counted in aggregates: `2xx` … `5xx`, `429`, `success`, `failure`.
    pub fn class(self) -> &'static str {
        match self {
            Outcome::Status(429) => "429",
            Outcome::Status(s) => match s / 100 {
                1 => "1xx",
                2 => "2xx",
                3 => "3xx",
                4 => "4xx",
                5 => "5xx",
                _ => "other",
            },
            Outcome::Success => "success",
            Outcome::Failure => "failure",
        }
    }

    fn from_json(v: &Value) -> Option<Self> {
        match v {
            Value::Number(n) => n
                .as_u64()
                .and_then(|s| u16::try_from(s).ok())
                .filter(|s| (100..600).contains(s))
                .map(Outcome::Status),
            Value::Bool(true) => Some(Outcome::Success),
            Value::Bool(false) => Some(Outcome::Failure),
            Value::String(s) => {
                if let Ok(code) = s.trim().parse::<u16>() {
                    return (100..600).contains(&code).then_some(Outcome::Status(code));
                }
                match s.trim().to_ascii_lowercase().as_str() {
                    "ok" | "success" | "succeeded" | "successful" | "allowed" | "allow"
                    | "completed" | "complete" | "done" | "pass" | "passed" => {
                        Some(Outcome::Success)
                    }
                    "error" | "err" | "failed" | "failure" | "fail" | "denied" | "deny"
                    | "forbidden" | "unauthorized" | "timeout" | "timed_out" | "rejected"
                    | "rate_limited" | "throttled" => Some(Outcome::Failure),
                    _ => None,
                }
            }
            _ => None,
        }
    }
}

/// The logical fields of one record.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Fields {
    pub ts: Option<i64>,
    pub principal: Option<String>,
    pub resource: Option<String>,
    pub model: Option<String>,
    pub action: Option<String>,
    pub outcome: Option<Outcome>,
    pub tokens: Option<u64>,
    pub completion_tokens: Option<u64>,
    pub max_tokens: Option<u64>,
    pub finish_reason: Option<String>,
    /// Cost in millionths (of the record's currency): integer, so sums do not depend on order.
    pub cost_micros: Option<i64>,
    pub bytes: Option<u64>,
    /// Which of [`super::source::FIELDS`] the record carries, by index.
    pub present: [bool; super::source::FIELDS.len()],
    /// The record carries prompt or completion text that is not redacted.
    pub raw_prompt: bool,
}

/// The value at a dotted path (`usage.total_tokens`, `choices.0.finish_reason`).
pub fn lookup<'a>(v: &'a Value, path: &[String]) -> Option<&'a Value> {
    let mut cur = v;
    for seg in path {
        cur = match cur {
            Value::Object(m) => m.get(seg.as_str())?,
            Value::Array(a) => a.get(seg.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    (!cur.is_null()).then_some(cur)
}

fn scalar_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() && s != "-" => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn as_u64(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64().or_else(|| {
            n.as_f64()
                .filter(|f| f.is_finite() && *f >= 0.0 && *f < 1.8e19)
                .map(|f| {
                    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                    let u = f.round() as u64;
                    u
                })
        }),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn cost_micros(v: &Value) -> Option<i64> {
    let f = match v {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => s.trim().trim_start_matches('$').parse().ok()?,
        _ => return None,
    };
    let micros = (f * 1e6).round();
    #[allow(clippy::cast_possible_truncation)]
    (micros.is_finite() && micros.abs() < 9e15).then_some(micros as i64)
}

/// Text that is a redaction marker, a hash or nothing, rather than a prompt.
pub fn looks_redacted(s: &str) -> bool {
    let t = s.trim();
    if t.is_empty() {
        return true;
    }
    let lower = t.to_ascii_lowercase();
    if t.len() <= 64
        && (lower.contains("redacted") || lower.contains("omitted") || lower.contains("removed"))
    {
        return true;
    }
    if t.chars()
        .all(|c| matches!(c, '*' | '#' | 'x' | 'X' | '-' | '_' | ' ' | '.'))
    {
        return true;
    }
    let hex = lower
        .strip_prefix("sha256:")
        .or_else(|| lower.strip_prefix("sha1:"))
        .unwrap_or(&lower);
    hex.len() >= 32 && hex.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Whether a prompt-holding value carries text that is not redacted.
fn has_raw_text(v: &Value, depth: usize) -> bool {
    if depth > 6 {
        return false;
    }
    match v {
        Value::String(s) => !looks_redacted(s),
        Value::Array(items) => items.iter().any(|i| has_raw_text(i, depth + 1)),
        Value::Object(m) => ["content", "text", "message", "prompt"]
            .iter()
            .filter_map(|k| m.get(*k))
            .any(|x| has_raw_text(x, depth + 1)),
        _ => false,
    }
}

/// A model name that names its version: a date (`-2024-08-06`), a version (`-v3`, `@3`,
/// `:3`, `/versions/3`) or a numeric suffix (`-0613`).
pub fn model_is_versioned(model: &str) -> bool {
    let m = model.to_ascii_lowercase();
    if m.contains("/versions/") || m.contains('@') || m.contains(':') {
        return true;
    }
    let tail = m.rsplit(['-', '_']).next().unwrap_or("");
    (tail.len() >= 4 && tail.bytes().all(|b| b.is_ascii_digit()))
        || (tail.starts_with('v')
            && tail.len() > 1
            && tail[1..].bytes().all(|b| b.is_ascii_digit() || b == b'.'))
        || regex_date(&m)
}

fn regex_date(m: &str) -> bool {
    // `yyyy-mm-dd` anywhere.
    let b = m.as_bytes();
    b.windows(10).any(|w| {
        w[4] == b'-'
            && w[7] == b'-'
            && w.iter()
                .enumerate()
                .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
    })
}

/// [`super::source::PROMPT_FIELDS`], split once.
static PROMPT_PATHS: std::sync::LazyLock<Vec<Vec<String>>> = std::sync::LazyLock::new(|| {
    super::source::PROMPT_FIELDS
        .iter()
        .map(|p| p.split('.').map(str::to_owned).collect())
        .collect()
});

/// Extract the logical fields of a record. Each field's candidates are looked up once.
pub fn fields(record: &Value, source: &Source) -> Fields {
    use super::source::FIELDS;
    let mut out = Fields::default();
    // The first candidate (by rank) of each field that the record has: each of the record's
    // top-level keys is looked up once in the source's index.
    let mut best: [Option<(usize, &Value)>; FIELDS.len()] = [None; FIELDS.len()];
    if let Value::Object(m) = record {
        for (k, v) in m {
            let Some(cands) = source.by_key.get(k.as_str()) else {
                continue;
            };
            for (fi, rank, rest) in cands {
                let Some(slot) = best.get_mut(*fi) else {
                    continue;
                };
                if slot.is_some_and(|(r, _)| r <= *rank) {
                    continue;
                }
                if let Some(x) = lookup(v, rest) {
                    *slot = Some((*rank, x));
                }
            }
        }
    }
    let found: Vec<Option<&Value>> = best.iter().map(|b| b.map(|(_, v)| v)).collect();
    let get = |name: &str| -> Option<&Value> {
        FIELDS
            .iter()
            .position(|f| *f == name)
            .and_then(|i| found.get(i).copied().flatten())
    };
    out.model = get("model").and_then(scalar_string);
    for (i, name) in FIELDS.iter().enumerate() {
        let value = found.get(i).copied().flatten();
        let present = match *name {
            "model_version" => {
                value.and_then(scalar_string).is_some()
                    || out.model.as_deref().is_some_and(model_is_versioned)
            }
            "tokens" => value.is_some() || get("prompt_tokens").is_some(),
            _ => value
                .is_some_and(|x| !matches!(x, Value::String(s) if s.trim().is_empty() || s == "-")),
        };
        if let Some(slot) = out.present.get_mut(i) {
            *slot = present;
        }
    }
    out.ts = get("timestamp").and_then(super::time::from_json);
    out.principal = get("principal").and_then(scalar_string);
    out.resource = get("resource").and_then(scalar_string);
    out.action = get("action").and_then(scalar_string);
    out.outcome = get("outcome").and_then(Outcome::from_json);
    out.completion_tokens = get("completion_tokens").and_then(as_u64);
    out.tokens = get("tokens").and_then(as_u64).or_else(|| {
        let p = get("prompt_tokens").and_then(as_u64);
        match (p, out.completion_tokens) {
            (None, None) => None,
            (a, b) => Some(a.unwrap_or(0).saturating_add(b.unwrap_or(0))),
        }
    });
    out.max_tokens = get("max_tokens").and_then(as_u64);
    out.finish_reason = get("finish_reason").and_then(scalar_string);
    out.cost_micros = get("cost").and_then(cost_micros);
    out.bytes = get("bytes").and_then(as_u64);
    out.raw_prompt = PROMPT_PATHS
        .iter()
        .any(|path| lookup(record, path).is_some_and(|x| has_raw_text(x, 0)));
    out
}

const LEVELS: [&str; 9] = [
    "TRACE", "DEBUG", "INFO", "NOTICE", "WARN", "WARNING", "ERROR", "FATAL", "CRITICAL",
];

/// A plain-text line whose tail is a JSON object, with the prefix's time and level.
fn text_payload(line: &str) -> Option<Value> {
    let brace = line.find('{')?;
    let prefix = line.get(..brace)?;
    let payload: Value = serde_json::from_str(line.get(brace..)?.trim_end()).ok()?;
    let Value::Object(mut m) = payload else {
        return None;
    };
    let mut tokens = prefix.split_whitespace();
    let t1 = tokens.next();
    let t2 = tokens.next();
    // `date time` as two tokens first (a date alone also parses, as midnight).
    let ts = t1
        .zip(t2)
        .and_then(|(a, b)| super::time::parse(&format!("{a} {b}")))
        .or_else(|| t1.and_then(super::time::parse));
    if let Some(ms) = ts {
        m.entry("log_time")
            .or_insert_with(|| Value::from(super::time::format_ms(ms)));
    }
    if let Some(level) = prefix
        .split(|c: char| !c.is_ascii_alphabetic())
        .find(|t| LEVELS.iter().any(|l| l.eq_ignore_ascii_case(t)) && t.len() >= 4)
    {
        m.entry("log_level")
            .or_insert_with(|| Value::from(level.to_ascii_uppercase()));
    }
    let p = prefix.trim();
    if !p.is_empty() {
        m.entry("log_prefix").or_insert_with(|| Value::from(p));
    }
    Some(Value::Object(m))
}

/// nginx's combined and common formats, compiled once.
static BUILTIN_NGINX: std::sync::LazyLock<[super::nginx::LogFormat; 2]> =
    std::sync::LazyLock::new(super::nginx::builtin);

/// A line as a record value, or `None` when it is not one.
pub fn parse_line(line: &str, kind: Kind, source: &Source) -> Option<Value> {
    let t = line.trim();
    if t.is_empty() {
        return None;
    }
    match kind {
        Kind::LogJsonl => match serde_json::from_str::<Value>(t) {
            Ok(v @ Value::Object(_)) => Some(v),
            _ => text_payload(t),
        },
        Kind::LogNginx => {
            if let Some(f) = &source.log_format {
                return f.parse(t).map(Value::Object);
            }
            let [combined, common] = &*BUILTIN_NGINX;
            combined
                .parse(t)
                .or_else(|| common.parse(t))
                .map(Value::Object)
        }
        _ => {
            if t.starts_with('{') {
                if let Ok(v @ Value::Object(_)) = serde_json::from_str::<Value>(t) {
                    return Some(v);
                }
            }
            text_payload(t)
        }
    }
}

/// An empty record (for tests and defaults).
pub fn empty() -> Value {
    Value::Object(Map::new())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn src() -> Source {
        Source::implied("t")
    }

    #[test]
    fn openai_usage_record() {
        let v = json!({"id": "chatcmpl-1", "created": 1_795_327_200, "model": "gpt-4o-2024-08-06",
            "object": "chat.completion", "user": "u-42", "status": 200,
            "usage": {"prompt_tokens": 10, "completion_tokens": 4096, "total_tokens": 4106},
            "max_tokens": 4096, "choices": [{"finish_reason": "length", "message": {"content": "[REDACTED]"}}],
            "cost_usd": 0.0125});
        let f = fields(&v, &src());
        assert_eq!(f.ts, Some(1_795_327_200_000));
        assert_eq!(f.principal.as_deref(), Some("u-42"));
        assert_eq!(f.resource.as_deref(), Some("gpt-4o-2024-08-06"));
        assert_eq!(f.tokens, Some(4106));
        assert_eq!(f.completion_tokens, Some(4096));
        assert_eq!(f.max_tokens, Some(4096));
        assert_eq!(f.finish_reason.as_deref(), Some("length"));
        assert_eq!(f.cost_micros, Some(12_500));
        assert_eq!(f.outcome, Some(Outcome::Status(200)));
        assert!(!f.raw_prompt, "a redacted message is not raw text");
        assert!(f.present.iter().filter(|p| **p).count() >= 10);
    }

    #[test]
    fn raw_prompts_and_versions() {
        let v = json!({"messages": [{"role": "user", "content": "summarise the Q3 report"}]});
        assert!(fields(&v, &src()).raw_prompt);
        let v = json!({"prompt": "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"});
        assert!(!fields(&v, &src()).raw_prompt);
        assert!(model_is_versioned("gpt-4o-2024-08-06"));
        assert!(model_is_versioned("fraud-model@3"));
        assert!(model_is_versioned("claude-3-haiku-v2"));
        assert!(!model_is_versioned("gpt-4o"));
        assert!(!model_is_versioned("fraud-model"));
    }

    #[test]
    fn text_lines_with_a_json_payload() {
        let line = r#"2026-11-22 06:00:00,250 INFO  [feast] served {"user": "svc-etl", "feature_view": "customer_ltv", "action": "get_online_features", "outcome": "ok"}"#;
        let v = parse_line(line, Kind::LogText, &src()).unwrap();
        assert_eq!(v["log_time"], "2026-11-22T06:00:00.250Z");
        assert_eq!(v["log_level"], "INFO");
        let f = fields(&v, &src());
        assert_eq!(f.ts, Some(1_795_327_200_250));
        assert_eq!(f.resource.as_deref(), Some("customer_ltv"));
        assert_eq!(f.outcome, Some(Outcome::Success));
        assert!(parse_line("plain words only", Kind::LogText, &src()).is_none());
        assert!(parse_line("{not json", Kind::LogJsonl, &src()).is_none());
        assert!(parse_line("[1,2]", Kind::LogJsonl, &src()).is_none());
    }

    #[test]
    fn a_configured_log_format_is_used() {
        #[derive(serde::Deserialize)]
        struct W {
            logs: super::super::source::RawLogs,
        }
        let w: W = toml::from_str(
            r#"
[[logs.source]]
name = "edge"
path = "edge/**"
format = "nginx"
log_format = '$time_iso8601|$remote_user|$request|$status|$request_time|$http_x_request_id'
"#,
        )
        .unwrap();
        let cfg = super::super::source::LogsConfig::from_raw(w.logs).unwrap();
        let source = cfg.source_for(std::path::Path::new("edge/a.log"), "edge/a.log");
        let line =
            "2026-11-22T06:00:00+00:00|svc-etl|GET /v1/datasets/claims HTTP/1.1|200|0.004|abc-1";
        let v = parse_line(line, Kind::LogNginx, &source).unwrap();
        let f = fields(&v, &source);
        assert_eq!(f.principal.as_deref(), Some("svc-etl"));
        assert_eq!(f.resource.as_deref(), Some("/v1/datasets/claims"));
        assert_eq!(f.ts, Some(1_795_327_200_000));
        assert_eq!(f.outcome, Some(Outcome::Status(200)));
        let request_id = super::super::source::FIELDS
            .iter()
            .position(|x| *x == "request_id")
            .unwrap();
        assert!(f.present[request_id]);
        // The combined format does not read this line.
        assert!(parse_line(line, Kind::LogNginx, &src()).is_none());
    }

    #[test]
    fn nginx_records_get_principal_and_resource() {
        let line = r#"203.0.113.7 - - [22/Nov/2026:06:00:00 +0000] "GET /v1/models?x=1 HTTP/1.1" 429 0 "-" "sdk/1.0""#;
        let v = parse_line(line, Kind::LogNginx, &src()).unwrap();
        let f = fields(&v, &src());
        assert_eq!(f.principal.as_deref(), Some("203.0.113.7"));
        assert_eq!(f.resource.as_deref(), Some("/v1/models"));
        assert_eq!(f.action.as_deref(), Some("GET"));
        assert_eq!(f.outcome.map(Outcome::class), Some("429"));
        assert_eq!(f.ts, Some(1_795_327_200_000));
    }
}
