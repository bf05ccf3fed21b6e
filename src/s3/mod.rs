//! Amazon S3 (and S3-compatible stores) as a source: `s3://bucket/prefix` wherever a path is
//! accepted, the posture of the buckets a run touches, and deletions in audit-log prefixes.
//!
//! This module owns everything that talks to S3. The rest of custos is blocking code (rayon
//! workers, `std::io::Read`), so the AWS SDK runs on a small tokio runtime owned by a
//! [`Store`], and every call is bridged with `block_on`; object bodies are read through
//! [`ObjectReader`], a `std::io::Read` that pulls one chunk of the HTTP body at a time, so no
//! object is ever held whole in memory.
//!
//! - [`client`]: the [`Store`] (SDK client from the standard credential chain and region
//!   resolution, `--endpoint-url` / `[s3]` / `AWS_ENDPOINT_URL`, retries with backoff), listing
//!   with pagination, streaming GETs, and errors that name the bucket and key ([`S3Error`]).
//! - [`source`]: the one scan entry point ([`source::scan_paths`]) that takes local paths and
//!   `s3://` URLs alike; objects are spooled (streamed, bounded parallel GETs) into a private
//!   mirror and judged by the same discovery, parsers, policies and detectors as local files,
//!   with findings at `s3://bucket/key`.
//! - [`posture`]: a bucket's configuration as one `s3-bucket` document for `policies/s3/`.
//! - [`versions`]: object versions under an audit-log prefix (delete markers, overwritten
//!   versions, gaps in hourly CloudTrail digests) as one `s3-audit-log` document.
//! - [`trail`]: `chain verify s3://…` and CloudTrail verification straight from a bucket, with
//!   digest signatures read from object metadata (`x-amz-meta-signature`).
//!
//! TLS: the SDK's default HTTPS client (rustls with aws-lc-rs; `aws-lc-sys` builds here with
//! the C compiler alone).

pub mod client;
pub mod posture;
pub mod source;
pub mod trail;
pub mod versions;

pub use client::{ErrorKind, ObjectReader, S3Error, Store};

use serde::Deserialize;

/// `[s3]` in `custos.toml`.
///
/// ```toml
/// [s3]
/// endpoint_url = "http://127.0.0.1:8333"   # an S3-compatible store (else AWS_ENDPOINT_URL, else AWS)
/// region = "eu-west-1"                      # else the standard region chain, else us-east-1
/// force_path_style = true                   # bucket in the path, not the host name
/// concurrency = 4                           # parallel GETs
/// max_attempts = 5                          # per request, with exponential backoff
/// audit_logs = ["s3://acme-trail/AWSLogs/"] # prefixes checked for deletions and digest gaps
/// audit_window = "30d"                      # or "2026-01-01T00:00:00Z/2026-02-01T00:00:00Z"
/// ```
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct S3Config {
    pub endpoint_url: Option<String>,
    pub region: Option<String>,
    #[serde(default)]
    pub force_path_style: Option<bool>,
    pub concurrency: Option<usize>,
    pub max_attempts: Option<u32>,
    #[serde(default)]
    pub audit_logs: Vec<String>,
    pub audit_window: Option<String>,
}

/// Parallel GETs when not configured: small, so a scan does not flood a store.
pub const DEFAULT_CONCURRENCY: usize = 4;
/// Attempts per request when not configured (the first try and the retries).
pub const DEFAULT_MAX_ATTEMPTS: u32 = 5;
/// The audit window when not configured: the 30 days before now.
pub const DEFAULT_WINDOW_SECS: i64 = 30 * 86_400;

/// `s3://bucket/key-or-prefix`, parsed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct S3Url {
    pub bucket: String,
    /// The key or prefix, without the leading `/` (may be empty: the whole bucket).
    pub key: String,
}

impl S3Url {
    /// Is `s` an `s3://` URL (case-insensitive scheme)?
    pub fn is_s3(s: &str) -> bool {
        s.get(..5).is_some_and(|p| p.eq_ignore_ascii_case("s3://"))
    }

    /// Parse `s3://bucket[/key]`. The bucket must be a plausible S3 bucket name.
    pub fn parse(s: &str) -> Result<Self, String> {
        if !Self::is_s3(s) {
            return Err(format!("{s}: not an s3:// URL"));
        }
        let rest = s.get(5..).unwrap_or_default();
        let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
        let valid = (3..=63).contains(&bucket.len())
            && bucket
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
            && !bucket.starts_with(['-', '.'])
            && !bucket.ends_with(['-', '.']);
        if !valid {
            return Err(format!(
                "{s}: `{bucket}` is not a valid bucket name (3-63 lowercase letters, digits, `-` and `.`)"
            ));
        }
        Ok(Self {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
        })
    }

    /// The URL of the bucket itself (`s3://bucket`): where posture findings point.
    pub fn bucket_url(bucket: &str) -> String {
        format!("s3://{bucket}")
    }

    /// `s3://bucket/key` of another key in the same bucket.
    pub fn object_url(bucket: &str, key: &str) -> String {
        format!("s3://{bucket}/{key}")
    }
}

impl std::fmt::Display for S3Url {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "s3://{}/{}", self.bucket, self.key)
    }
}

/// The audit window `[start, end]` in seconds since the epoch, from `[s3] audit_window`:
/// `Nd` / `Nh` (the N days or hours before `now`) or `START/END` (UTC, `YYYY-MM-DDThh:mm:ssZ`).
pub fn parse_window(spec: Option<&str>, now: i64) -> Result<(i64, i64), String> {
    let Some(spec) = spec.map(str::trim) else {
        return Ok((now - DEFAULT_WINDOW_SECS, now));
    };
    if let Some((a, b)) = spec.split_once('/') {
        let parse = |t: &str| {
            crate::chain::cloudtrail::parse_time(t.trim())
                .ok_or_else(|| format!("audit_window: `{t}` is not YYYY-MM-DDThh:mm:ssZ"))
        };
        let (start, end) = (parse(a)?, parse(b)?);
        if end <= start {
            return Err(format!("audit_window: `{spec}` ends before it starts"));
        }
        return Ok((start, end));
    }
    let (num, unit) = spec.split_at(spec.len().saturating_sub(1));
    let n: i64 = num
        .parse()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("audit_window: `{spec}` is neither `Nd`, `Nh` nor START/END"))?;
    let secs = match unit {
        "d" => n.saturating_mul(86_400),
        "h" => n.saturating_mul(3600),
        _ => return Err(format!("audit_window: `{spec}`: the unit is `d` or `h`")),
    };
    Ok((now.saturating_sub(secs), now))
}

/// Seconds since the epoch, now.
pub fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// `YYYY-MM-DDThh:mm:ssZ` for seconds since the epoch (evidence timestamps).
pub fn format_time(secs: i64) -> String {
    jiff::Timestamp::from_second(secs).map_or_else(
        |_| secs.to_string(),
        |t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse_and_reject() {
        let u = S3Url::parse("s3://acme-logs/AWSLogs/1/x.json").unwrap();
        assert_eq!(u.bucket, "acme-logs");
        assert_eq!(u.key, "AWSLogs/1/x.json");
        assert_eq!(S3Url::parse("S3://abc").unwrap().key, "");
        for bad in [
            "s3://",
            "s3://ab",
            "s3://Upper/x",
            "s3://-ab/x",
            "/tmp/x",
            "s3://a_b/c",
        ] {
            assert!(S3Url::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn windows() {
        assert_eq!(parse_window(None, 100 * 86_400).unwrap().0, 70 * 86_400);
        assert_eq!(parse_window(Some("2h"), 10_000).unwrap(), (2800, 10_000));
        let (s, e) = parse_window(Some("2026-01-01T00:00:00Z/2026-01-02T00:00:00Z"), 0).unwrap();
        assert_eq!(e - s, 86_400);
        for bad in ["0d", "3w", "x", "2026-01-02T00:00:00Z/2026-01-01T00:00:00Z"] {
            assert!(parse_window(Some(bad), 0).is_err(), "{bad}");
        }
        assert_eq!(format_time(0), "1970-01-01T00:00:00Z");
    }
}
