//! Audit-log verification straight from S3: `chain verify s3://bucket/key` (a custos chain
//! stored as an object, streamed through the verifier line by line) and
//! `chain verify --cloudtrail s3://bucket/AWSLogs/…` (a CloudTrail trail as CloudTrail writes
//! it, with each digest's signature read from the object's metadata, `x-amz-meta-signature`
//! and `x-amz-meta-signature-algorithm`, instead of `.sig` sidecar files).
//!
//! The trail is spooled (streamed, bounded parallel GETs) into a private temporary mirror of
//! the bucket and checked by the same code as a local copy ([`crate::chain::cloudtrail`]);
//! file names in the report are `s3://bucket/key`.

use std::io::BufRead;

use super::source::{fetch_all, Fetched};
use super::{S3Config, S3Url, Store};
use crate::chain::cloudtrail::{self, PublicKey, TrailReport};

/// The `[s3]` section of the `custos.toml` found from the current directory (default when
/// there is none or it does not load: the commands that call this have no `--config`).
pub fn config_from_cwd() -> S3Config {
    crate::config::Config::discover(std::path::Path::new("."))
        .and_then(|f| crate::config::Config::load(&f).ok())
        .map(|c| c.s3)
        .unwrap_or_default()
}

/// Run `f` over the object at `url`, streamed (one HTTP chunk in memory at a time).
pub fn with_object<T>(
    url: &str,
    cfg: &S3Config,
    endpoint_url: Option<&str>,
    f: impl FnOnce(&mut dyn BufRead) -> T,
) -> Result<T, String> {
    let u = S3Url::parse(url)?;
    if u.key.is_empty() || u.key.ends_with('/') {
        return Err(format!("{url}: name one object (s3://bucket/key)"));
    }
    let store = Store::connect(cfg, endpoint_url).map_err(|e| e.to_string())?;
    let reader = store.open(&u.bucket, &u.key).map_err(|e| e.to_string())?;
    let mut buffered = std::io::BufReader::with_capacity(1 << 16, reader);
    Ok(f(&mut buffered))
}

/// Largest object spooled for a trail: digest and log files are small (CloudTrail writes
/// files of at most a few tens of MiB).
const MAX_TRAIL_OBJECT: u64 = 1 << 30;

/// Verify the CloudTrail trail under `url` (a bucket and a prefix such as `AWSLogs/` or
/// `AWSLogs/<account>/`) as of `as_of`.
pub fn verify_cloudtrail(
    url: &str,
    keys: &[PublicKey],
    as_of: i64,
    cfg: &S3Config,
    endpoint_url: Option<&str>,
) -> Result<TrailReport, String> {
    let u = S3Url::parse(url)?;
    let store = Store::connect(cfg, endpoint_url).map_err(|e| e.to_string())?;
    let listed = store.list(&u.bucket, &u.key).map_err(|e| e.to_string())?;
    let mirror = tempfile::Builder::new()
        .prefix("custos-trail-")
        .tempdir()
        .map_err(|e| format!("no temporary directory for the trail: {e}"))?;
    let bucket_dir = mirror.path().join(&u.bucket);
    let wanted: Vec<(S3Url, u64, Option<String>)> = listed
        .into_iter()
        .filter(|o| !o.key.ends_with('/'))
        .map(|o| {
            (
                S3Url {
                    bucket: u.bucket.clone(),
                    key: o.key,
                },
                MAX_TRAIL_OBJECT,
                o.etag,
            )
        })
        .collect();
    let mut failures = Vec::new();
    let mut bad_algorithms = Vec::new();
    for f in fetch_all(&store, &wanted, mirror.path(), true) {
        match f {
            Fetched::Spooled(_, ev) => {
                if let Some(alg) = ev
                    .signature_algorithm
                    .filter(|a| !a.eq_ignore_ascii_case("SHA256withRSA"))
                {
                    bad_algorithms.push((ev.url, alg));
                }
            }
            Fetched::Skipped(n) => failures.push((n.path, n.message)),
            Fetched::Failed(url, message) => failures.push((url, message)),
        }
    }
    let mut report = cloudtrail::verify_dir(&bucket_dir, keys, as_of);
    // Name files as S3 does, and say where the signature comes from.
    let local = crate::discover::display_path(&bucket_dir);
    let rename = |s: &str| s.replace(&format!("{local}/"), &format!("s3://{}/", u.bucket));
    url.clone_into(&mut report.root);
    for p in &mut report.problems {
        p.file = rename(&p.file);
        p.detail = rename(&p.detail);
        if p.kind == "bad-signature" && p.detail.starts_with("no signature") {
            p.detail = "no signature: the object has no x-amz-meta-signature metadata".into();
        }
    }
    for n in &mut report.notes {
        *n = rename(n);
    }
    for (url, message) in failures {
        report.problems.push(cloudtrail::TrailProblem {
            file: url,
            kind: "unreadable",
            detail: message,
        });
    }
    for (url, alg) in bad_algorithms {
        report.problems.push(cloudtrail::TrailProblem {
            file: url,
            kind: "bad-signature",
            detail: format!(
                "x-amz-meta-signature-algorithm is `{alg}`, not SHA256withRSA: the signature was not accepted"
            ),
        });
    }
    report.problems.sort();
    drop(mirror);
    Ok(report)
}

/// Is this `--cloudtrail` / chain argument an S3 URL?
pub fn is_s3_path(p: &std::path::Path) -> bool {
    p.to_str().is_some_and(S3Url::is_s3)
}

/// `PathBuf` of an `s3://` argument, unchanged (for messages).
pub fn shown(p: &std::path::Path) -> String {
    p.to_string_lossy().into_owned()
}
