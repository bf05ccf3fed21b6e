//! Deletion detection under an audit-log prefix, as one JSON document of kind `s3-audit-log`
//! (path `s3://bucket/prefix`) for the rules under `policies/s3/`.
//!
//! Every object version under the prefix is listed (ListObjectVersions, all pages). Inside the
//! audit window `[start, end]` the document lists, with key, version id and timestamps:
//! - `delete_markers`: objects deleted (a delete marker was written);
//! - `overwritten`: versions that stopped being current because a newer version replaced them
//!   (`replaced_at` is when the next version was written — the overwrite);
//! - `digest_gaps`: for each CloudTrail digest stream (account, region, trail), consecutive
//!   current digest files more than 90 minutes apart (digests are hourly), and a last digest
//!   more than 2.5 hours before the window's end (an hour plus delivery delay).
//!
//! Without versioning a deleted object leaves no trace: the document then says
//! `versioning: "Off"` (or `"Suspended"`), and the rules report that deletions cannot be seen.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::client::{classify, S3Error};
use super::{format_time, S3Url, Store};

/// Digests are hourly; a gap is more than this between two consecutive digests.
const DIGEST_GAP_SECS: i64 = 3600 + 30 * 60;
/// The last digest may lag the window's end by its hour plus CloudTrail's delivery delay
/// (digests arrive up to about an hour after the hour they cover): more than this is a gap.
const TAIL_GAP_SECS: i64 = 2 * 3600 + 30 * 60;
/// At most this many versions are listed (then the document says `truncated`).
pub const MAX_VERSIONS: usize = 1_000_000;
/// At most this many evidence entries of each list are kept in the document (counts stay exact).
pub const MAX_ENTRIES: usize = 1000;

#[derive(Debug, Clone)]
#[allow(clippy::struct_field_names)] // `version_id` is S3's name for it
struct Version {
    key: String,
    version_id: String,
    last_modified: i64,
    is_latest: bool,
    delete_marker: bool,
    etag: Option<String>,
    size: Option<i64>,
}

/// Build the `s3-audit-log` document for `url` over the window `[start, end]`.
pub fn collect(store: &Store, url: &S3Url, start: i64, end: i64) -> Result<Value, S3Error> {
    let target = url.to_string();
    let c = store.client();
    let versioning = store
        .block_on(c.get_bucket_versioning().bucket(&url.bucket).send())
        .map_or_else(
            |e| {
                let err = classify(&e, &S3Url::bucket_url(&url.bucket));
                format!("unknown: {err}")
            },
            |o| o.status().map_or("Off", |s| s.as_str()).to_owned(),
        );
    let mut all: Vec<Version> = Vec::new();
    let mut truncated = false;
    store.block_on(async {
        let (mut key_marker, mut version_marker): (Option<String>, Option<String>) = (None, None);
        loop {
            let resp = c
                .list_object_versions()
                .bucket(&url.bucket)
                .prefix(&url.key)
                .set_max_keys(store.page_size())
                .set_key_marker(key_marker.take())
                .set_version_id_marker(version_marker.take())
                .send()
                .await
                .map_err(|e| classify(&e, &target))?;
            for v in resp.versions() {
                all.push(Version {
                    key: v.key().unwrap_or_default().to_owned(),
                    version_id: v.version_id().unwrap_or("null").to_owned(),
                    last_modified: v
                        .last_modified()
                        .map_or(0, aws_sdk_s3::primitives::DateTime::secs),
                    is_latest: v.is_latest().unwrap_or(false),
                    delete_marker: false,
                    etag: v.e_tag().map(|e| e.trim_matches('"').to_owned()),
                    size: v.size(),
                });
            }
            for m in resp.delete_markers() {
                all.push(Version {
                    key: m.key().unwrap_or_default().to_owned(),
                    version_id: m.version_id().unwrap_or("null").to_owned(),
                    last_modified: m
                        .last_modified()
                        .map_or(0, aws_sdk_s3::primitives::DateTime::secs),
                    is_latest: m.is_latest().unwrap_or(false),
                    delete_marker: true,
                    etag: None,
                    size: None,
                });
            }
            if all.len() >= MAX_VERSIONS {
                truncated = true;
                break;
            }
            if resp.is_truncated() != Some(true) {
                break;
            }
            key_marker = resp.next_key_marker().map(str::to_owned);
            version_marker = resp.next_version_id_marker().map(str::to_owned);
            if key_marker.is_none() {
                break;
            }
        }
        Ok::<(), S3Error>(())
    })?;
    Ok(document(url, &versioning, all, truncated, start, end))
}

/// The document from listed versions (pure: unit-tested without a server).
fn document(
    url: &S3Url,
    versioning: &str,
    mut all: Vec<Version>,
    truncated: bool,
    start: i64,
    end: i64,
) -> Value {
    // Per key, newest first; ties broken by "latest" then version id, so output is stable.
    all.sort_by(|a, b| {
        a.key
            .cmp(&b.key)
            .then(b.last_modified.cmp(&a.last_modified))
            .then(b.is_latest.cmp(&a.is_latest))
            .then(a.version_id.cmp(&b.version_id))
    });
    // Inclusive at both ends: a version written in the second the window closes is in it.
    let inside = |t: i64| start <= t && t <= end;
    let mut deleted = Vec::new();
    let mut overwritten = Vec::new();
    let (mut n_deleted, mut n_overwritten) = (0usize, 0usize);
    let mut by_key: BTreeMap<&str, Vec<&Version>> = BTreeMap::new();
    for v in &all {
        by_key.entry(v.key.as_str()).or_default().push(v);
    }
    for (key, versions) in &by_key {
        for (i, v) in versions.iter().enumerate() {
            if v.delete_marker {
                if inside(v.last_modified) {
                    n_deleted += 1;
                    if deleted.len() < MAX_ENTRIES {
                        deleted.push(json!({
                            "key": key,
                            "version_id": v.version_id,
                            "deleted_at": format_time(v.last_modified),
                            "is_latest": v.is_latest,
                        }));
                    }
                }
                continue;
            }
            // A non-current version replaced by the next newer version (not a delete marker).
            let newer = i.checked_sub(1).and_then(|j| versions.get(j));
            if let Some(n) = newer.filter(|n| !n.delete_marker && !v.is_latest) {
                if inside(n.last_modified) {
                    n_overwritten += 1;
                    if overwritten.len() < MAX_ENTRIES {
                        overwritten.push(json!({
                            "key": key,
                            "version_id": v.version_id,
                            "etag": v.etag,
                            "size": v.size,
                            "written_at": format_time(v.last_modified),
                            "replaced_at": format_time(n.last_modified),
                            "replaced_by": n.version_id,
                        }));
                    }
                }
            }
        }
    }
    // Digest streams: current digest files, by (account, region, trail).
    let mut streams: BTreeMap<String, Vec<(i64, &str)>> = BTreeMap::new();
    for v in all.iter().filter(|v| v.is_latest && !v.delete_marker) {
        if let Some((stream, t)) = digest_stream(&v.key) {
            streams.entry(stream).or_default().push((t, v.key.as_str()));
        }
    }
    let mut gaps = Vec::new();
    for (stream, mut ds) in streams {
        ds.sort_unstable();
        for pair in ds.windows(2) {
            if let [(a, ka), (b, kb)] = pair {
                if b - a > DIGEST_GAP_SECS && *b > start && *a < end {
                    gaps.push(json!({
                        "stream": stream,
                        "after": format_time(*a),
                        "before": format_time(*b),
                        "after_key": ka,
                        "before_key": kb,
                        "missing_hours": (b - a) / 3600 - 1,
                    }));
                }
            }
        }
        if let Some((last, key)) = ds.last() {
            if end - last > TAIL_GAP_SECS && *last >= start {
                gaps.push(json!({
                    "stream": stream,
                    "after": format_time(*last),
                    "before": null,
                    "after_key": key,
                    "before_key": null,
                    "missing_hours": (end - last) / 3600,
                }));
            }
        }
    }
    json!({
        "bucket": url.bucket,
        "prefix": url.key,
        "versioning": versioning,
        "window": {"start": format_time(start), "end": format_time(end)},
        "versions_listed": all.len(),
        "truncated": truncated,
        "deleted_count": n_deleted,
        "overwritten_count": n_overwritten,
        "delete_markers": deleted,
        "overwritten": overwritten,
        "digest_gaps": gaps,
    })
}

/// `(account/region/trail, time)` of a CloudTrail digest key:
/// `…/AWSLogs/<acct>/CloudTrail-Digest/<region>/YYYY/MM/DD/<acct>_CloudTrail-Digest_<region>_<trail>_<region>_<YYYYMMDDThhmmssZ>.json.gz`.
pub fn digest_stream(key: &str) -> Option<(String, i64)> {
    let name = key.rsplit('/').next()?;
    let stem = name
        .strip_suffix(".json.gz")
        .or_else(|| name.strip_suffix(".json"))?;
    let (account, rest) = stem.split_once("_CloudTrail-Digest_")?;
    let (middle, stamp) = rest.rsplit_once('_')?;
    if stamp.len() != 16 {
        return None;
    }
    let iso = format!(
        "{}-{}-{}T{}:{}:{}Z",
        stamp.get(0..4)?,
        stamp.get(4..6)?,
        stamp.get(6..8)?,
        stamp.get(9..11)?,
        stamp.get(11..13)?,
        stamp.get(13..15)?
    );
    let t = crate::chain::cloudtrail::parse_time(&iso)?;
    Some((format!("{account}/{middle}"), t))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(key: &str, id: &str, t: i64, latest: bool, dm: bool) -> Version {
        Version {
            key: key.into(),
            version_id: id.into(),
            last_modified: t,
            is_latest: latest,
            delete_marker: dm,
            etag: Some("e".into()),
            size: Some(1),
        }
    }

    #[test]
    fn deletions_overwrites_and_window() {
        let url = S3Url::parse("s3://audit-b/logs/").unwrap();
        let all = vec![
            v("logs/a", "1", 100, false, false),
            v("logs/a", "2", 200, true, true), // deleted at 200
            v("logs/b", "1", 100, false, false),
            v("logs/b", "2", 300, true, false), // overwritten at 300
            v("logs/c", "1", 100, true, false), // untouched
            v("logs/d", "1", 10, false, false),
            v("logs/d", "2", 20, true, true), // deleted before the window
        ];
        let d = document(&url, "Enabled", all, false, 50, 1000);
        assert_eq!(d["deleted_count"], 1);
        assert_eq!(d["delete_markers"][0]["key"], "logs/a");
        assert_eq!(d["overwritten_count"], 1);
        assert_eq!(d["overwritten"][0]["key"], "logs/b");
        assert_eq!(d["overwritten"][0]["version_id"], "1");
        assert_eq!(d["overwritten"][0]["replaced_by"], "2");
    }

    #[test]
    fn digest_keys_and_gaps() {
        let k = |stamp: &str| {
            format!("AWSLogs/111122223333/CloudTrail-Digest/eu-west-1/2026/01/01/111122223333_CloudTrail-Digest_eu-west-1_main_eu-west-1_{stamp}.json.gz")
        };
        let (s, t) = digest_stream(&k("20260101T010000Z")).unwrap();
        assert_eq!(s, "111122223333/eu-west-1_main_eu-west-1");
        let base = crate::chain::cloudtrail::parse_time("2026-01-01T00:00:00Z").unwrap();
        assert_eq!(t, base + 3600);
        assert!(digest_stream("AWSLogs/x/CloudTrail/a.json.gz").is_none());
        let url = S3Url::parse("s3://audit-b/AWSLogs/").unwrap();
        let all = ["20260101T000000Z", "20260101T010000Z", "20260101T040000Z"]
            .iter()
            .enumerate()
            .map(|(i, s)| v(&k(s), &i.to_string(), base, true, false))
            .collect();
        let d = document(&url, "Enabled", all, false, base, base + 5 * 3600);
        let gaps = d["digest_gaps"].as_array().unwrap();
        assert_eq!(gaps.len(), 1, "{gaps:?}");
        assert_eq!(gaps[0]["missing_hours"], 2);
        assert_eq!(gaps[0]["after"], "2026-01-01T01:00:00Z");
        // The tail: the last digest is 4 hours before the window's end (2 hours is not a gap).
        let d2 = document(
            &url,
            "Enabled",
            vec![v(&k("20260101T000000Z"), "1", base, true, false)],
            false,
            base,
            base + 2 * 3600,
        );
        assert_eq!(d2["digest_gaps"], serde_json::json!([]));
        let d = document(
            &url,
            "Enabled",
            vec![v(&k("20260101T000000Z"), "1", base, true, false)],
            false,
            base,
            base + 4 * 3600,
        );
        assert_eq!(d["digest_gaps"][0]["before"], Value::Null);
    }
}
