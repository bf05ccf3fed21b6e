//! The one scan entry point for local paths and `s3://` URLs alike ([`scan_paths`]):
//! `custos scan` and `custos audit` pass the same path strings and get one report.
//!
//! An `s3://bucket/prefix` root is listed (every page), each object is checked against the
//! size limits and `include`/`exclude` globs (matched against its key), then the objects are
//! streamed with bounded parallel GETs ([`Store::concurrency`]) into a private temporary
//! mirror — one HTTP chunk in memory at a time — and handed to the scan pipeline as candidates
//! named `s3://bucket/key`. So objects are classified by key name and judged by exactly the
//! parsers, policies and detectors that judge local files (logs are streamed by the log
//! scanner as local logs are), and every finding's path is `s3://bucket/key`. The mirror is
//! removed when the scan ends.
//!
//! An object that cannot be read (access denied, deleted since it was listed, throttled past
//! the retries) is a `read-error` finding at its URL — it fails the gate like an unreadable
//! local file — and the rest of the run goes on. A root whose bucket cannot be listed at all is
//! an error of the run (exit 2), as an unreadable local root is.
//!
//! Each bucket a scan touches has its posture collected once ([`super::posture`]) and every
//! `[s3] audit_logs` prefix in a touched bucket its versions ([`super::versions`]); those
//! documents are evaluated by the bundled `policies/s3/` rules with the scan's policy set.

use std::collections::BTreeSet;
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use serde::Serialize;
use sha2::{Digest as _, Sha256};

use super::{S3Url, Store};
use crate::config::Config;
use crate::discover::{self, Candidate, Discovered, Note, RootError};
use crate::document::{Document, Kind, LineIndex};
use crate::finding::{self, Finding};
use crate::parse::Limits;
use crate::policy::PolicySet;
use crate::report::Report;
use crate::scan::Progress;

/// One object read from S3: the evidence of what was scanned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ObjectEvidence {
    /// `s3://bucket/key`.
    pub url: String,
    pub size: u64,
    pub etag: Option<String>,
    pub version_id: Option<String>,
    /// SHA-256 of the bytes read.
    pub sha256: String,
    /// `x-amz-meta-signature-algorithm`, when the object has it (CloudTrail digests).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature_algorithm: Option<String>,
}

/// What a scan of local and S3 roots produced.
#[derive(Debug)]
pub struct Outcome {
    pub report: Report,
    /// Every object read, in URL order.
    pub objects: Vec<ObjectEvidence>,
    /// The `s3-bucket` and `s3-audit-log` documents evaluated, `(path, kind, document)`.
    pub documents: Vec<(String, Kind, serde_json::Value)>,
}

/// Is any of `paths` an `s3://` URL?
pub fn has_s3(paths: &[PathBuf]) -> bool {
    paths.iter().any(|p| p.to_str().is_some_and(S3Url::is_s3))
}

/// Scan local paths and `s3://` URLs into one report (see the module docs).
pub fn scan_paths(
    paths: &[PathBuf],
    config: &Config,
    policies: &PolicySet,
    limits: &Limits,
    progress: &dyn Progress,
    own: &[PathBuf],
    endpoint_url: Option<&str>,
) -> Result<Outcome, RootError> {
    let (remote, local): (Vec<&PathBuf>, Vec<&PathBuf>) = paths
        .iter()
        .partition(|p| p.to_str().is_some_and(S3Url::is_s3));
    let local: Vec<PathBuf> = local.into_iter().cloned().collect();
    let mut found = if local.is_empty() {
        Discovered {
            files: Vec::new(),
            notes: Vec::new(),
            refused: Vec::new(),
        }
    } else {
        discover::discover(&local, config)?
    };
    if remote.is_empty() {
        let report =
            crate::scan::run_discovered(found, &local, config, policies, limits, progress, own);
        return Ok(Outcome {
            report,
            objects: Vec::new(),
            documents: Vec::new(),
        });
    }
    let urls: Vec<S3Url> = remote
        .iter()
        .map(|p| {
            let s = p.to_string_lossy();
            S3Url::parse(&s).map_err(|reason| RootError {
                path: s.into_owned(),
                reason,
            })
        })
        .collect::<Result<_, _>>()?;
    let store = Store::connect(&config.s3, endpoint_url).map_err(|e| RootError {
        path: urls.first().map(ToString::to_string).unwrap_or_default(),
        reason: e.to_string(),
    })?;
    let mirror = tempfile::Builder::new()
        .prefix("custos-s3-")
        .tempdir()
        .map_err(|e| RootError {
            path: "s3".into(),
            reason: format!("no temporary directory for the S3 mirror: {e}"),
        })?;
    let mut wanted: Vec<(S3Url, u64, Option<String>)> = Vec::new();
    let mut buckets = BTreeSet::new();
    for url in &urls {
        let listed = store.list(&url.bucket, &url.key).map_err(|e| RootError {
            path: url.to_string(),
            reason: e.to_string(),
        })?;
        buckets.insert(url.bucket.clone());
        for o in listed {
            let obj = S3Url {
                bucket: url.bucket.clone(),
                key: o.key,
            };
            let display = obj.to_string();
            if obj.key.ends_with('/') {
                continue; // a "folder" marker
            }
            if let Some(why) = unsafe_key(&obj.key) {
                found.notes.push(Note {
                    path: display,
                    message: format!("skipped: {why}"),
                });
                continue;
            }
            if !selected(&obj.key, config) {
                continue;
            }
            let log = discover::is_log_name(Path::new(&obj.key));
            let (limit, what, key) = if log {
                (config.max_log_size, "log size limit", "max_log_size")
            } else {
                (config.max_file_size, "size limit", "max_file_size")
            };
            if o.size > limit {
                found.notes.push(Note {
                    path: display,
                    message: format!(
                        "skipped: {} bytes is over the {what} of {limit} bytes ({key})",
                        o.size
                    ),
                });
                continue;
            }
            wanted.push((obj, limit, o.etag));
        }
    }
    wanted.sort_by(|a, b| a.0.cmp(&b.0));
    wanted.dedup_by(|a, b| a.0 == b.0);
    let fetched = fetch_all(&store, &wanted, mirror.path(), false);
    let mut problems: Vec<Finding> = Vec::new();
    let mut objects = Vec::new();
    for f in fetched {
        match f {
            Fetched::Spooled(c, ev) => {
                found.files.push(c);
                objects.push(ev);
            }
            Fetched::Skipped(note) => found.notes.push(note),
            Fetched::Failed(url, message) => {
                let mut f = Finding::new(
                    "read-error",
                    config.severity_for("read-error", config.parse_error_severity),
                    format!("could not read object: {message}"),
                    &url,
                );
                f.compute_fingerprint(None);
                problems.push(f);
            }
        }
    }
    let mut roots = local.clone();
    roots.extend(buckets.iter().map(|b| mirror.path().join(b)));
    let mut report =
        crate::scan::run_discovered(found, &roots, config, policies, limits, progress, own);
    report.findings.extend(problems);

    // Posture and audit-log documents, evaluated by the bundled s3 rules.
    let audit: Vec<S3Url> = config
        .s3
        .audit_logs
        .iter()
        .filter_map(|u| S3Url::parse(u).ok())
        .filter(|u| buckets.contains(&u.bucket))
        .collect();
    let mut documents = Vec::new();
    for b in &buckets {
        let is_audit = audit.iter().any(|u| &u.bucket == b);
        match super::posture::collect(&store, b, is_audit) {
            Ok(doc) => documents.push((S3Url::bucket_url(b), Kind::S3Bucket, doc)),
            Err(e) => report.findings.push(read_error(
                &S3Url::bucket_url(b),
                &format!("could not read the bucket's posture: {e}"),
                config,
            )),
        }
    }
    if !audit.is_empty() {
        match super::parse_window(config.s3.audit_window.as_deref(), super::now_secs()) {
            Ok((start, end)) => {
                for u in &audit {
                    match super::versions::collect(&store, u, start, end) {
                        Ok(doc) => documents.push((u.to_string(), Kind::S3AuditLog, doc)),
                        Err(e) => report.findings.push(read_error(
                            &u.to_string(),
                            &format!("could not list the object versions: {e}"),
                            config,
                        )),
                    }
                }
            }
            Err(e) => report
                .findings
                .push(read_error("custos.toml", &format!("[s3] {e}"), config)),
        }
    }
    report
        .findings
        .extend(evaluate(&documents, config, policies));
    report.stats.documents += documents.len();
    finding::sort_findings(&mut report.findings);
    finding::disambiguate_fingerprints(&mut report.findings);
    report.notes.sort();
    objects.sort_by(|a: &ObjectEvidence, b| a.url.cmp(&b.url));
    drop(mirror);
    Ok(Outcome {
        report,
        objects,
        documents,
    })
}

/// Evaluate posture / audit-log documents (no source text: findings point at the URL).
pub fn evaluate(
    documents: &[(String, Kind, serde_json::Value)],
    config: &Config,
    policies: &PolicySet,
) -> Vec<Finding> {
    let mut ev = policies.worker();
    let lines = LineIndex::new("");
    let mut out = Vec::new();
    for (path, kind, input) in documents {
        let doc = Document {
            path: path.clone(),
            kind: *kind,
            index: 0,
            input: input.clone(),
            spans: std::collections::HashMap::new(),
        };
        for mut f in ev.evaluate_owned(doc, "", &lines, config) {
            f.compute_fingerprint(None);
            out.push(f);
        }
    }
    out
}

fn read_error(path: &str, message: &str, config: &Config) -> Finding {
    let mut f = Finding::new(
        "read-error",
        config.severity_for("read-error", config.parse_error_severity),
        message.to_owned(),
        path,
    );
    f.compute_fingerprint(None);
    f
}

/// Why a key cannot be mirrored safely as a local path (`None`: it can).
fn unsafe_key(key: &str) -> Option<&'static str> {
    if key.starts_with('/') || key.contains('\\') || key.contains('\0') {
        return Some("the key is not a relative path (leading `/`, `\\` or NUL)");
    }
    if key
        .split('/')
        .any(|seg| seg.is_empty() || seg == "." || seg == "..")
    {
        return Some("the key has an empty, `.` or `..` segment");
    }
    if key.split('/').any(|seg| seg.len() > 255) {
        return Some("a segment of the key is longer than 255 bytes");
    }
    None
}

/// The configuration's include/exclude globs, matched against the key.
fn selected(key: &str, config: &Config) -> bool {
    let p = Path::new(key);
    if config.exclude.is_match(p) {
        return false;
    }
    config.include.as_ref().is_none_or(|inc| inc.is_match(p))
}

pub(super) enum Fetched {
    Spooled(Candidate, ObjectEvidence),
    Skipped(Note),
    Failed(String, String),
}

/// GET every wanted object into `mirror/bucket/key`, at most `store.concurrency()` at once.
pub(super) fn fetch_all(
    store: &Store,
    wanted: &[(S3Url, u64, Option<String>)],
    mirror: &Path,
    sidecars: bool,
) -> Vec<Fetched> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(usize, Fetched)>> = Mutex::new(Vec::with_capacity(wanted.len()));
    let workers = store.concurrency().min(wanted.len()).max(1);
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some((url, limit, _)) = wanted.get(i) else {
                    break;
                };
                let r = fetch_one(store, url, *limit, mirror, sidecars);
                if let Ok(mut v) = results.lock() {
                    v.push((i, r));
                }
            });
        }
    });
    let mut v = results.into_inner().unwrap_or_default();
    v.sort_by_key(|(i, _)| *i);
    v.into_iter().map(|(_, r)| r).collect()
}

/// GET one object into `mirror/bucket/key`; with `sidecars`, its `x-amz-meta-signature` (as
/// CloudTrail stores a digest's signature) goes to `<file>.sig` beside it, as the local
/// CloudTrail verification reads it.
fn fetch_one(store: &Store, url: &S3Url, limit: u64, mirror: &Path, sidecars: bool) -> Fetched {
    let display = url.to_string();
    // Keys are untrusted: never let one name a path outside the mirror.
    if let Some(why) = unsafe_key(&url.key) {
        return Fetched::Skipped(Note {
            path: display,
            message: format!("skipped: {why}"),
        });
    }
    let path = mirror.join(&url.bucket).join(&url.key);
    let mut reader = match store.open(&url.bucket, &url.key) {
        Ok(r) => r,
        Err(e) => return Fetched::Failed(display, e.to_string()),
    };
    let written = (|| -> std::io::Result<(u64, String)> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut file = std::fs::File::create(&path)?;
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 64 * 1024];
        let mut total = 0u64;
        loop {
            let n = reader.read(&mut buf)?;
            if n == 0 {
                break;
            }
            let chunk = buf.get(..n).unwrap_or_default();
            total += n as u64;
            if total > limit {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::FileTooLarge,
                    format!("over the size limit of {limit} bytes"),
                ));
            }
            hasher.update(chunk);
            file.write_all(chunk)?;
        }
        file.flush()?;
        if sidecars {
            if let Some(sig) = reader.info.metadata.get("signature") {
                let mut sidecar = path.clone().into_os_string();
                sidecar.push(".sig");
                std::fs::write(sidecar, sig.trim())?;
            }
        }
        Ok((total, crate::chain::merkle::to_hex(&hasher.finalize())))
    })();
    match written {
        Ok((size, sha256)) => Fetched::Spooled(
            Candidate {
                fs_path: path,
                display: display.clone(),
                size,
                named: false,
            },
            ObjectEvidence {
                url: display,
                size,
                etag: reader.info.etag.clone(),
                version_id: reader.info.version_id.clone(),
                sha256,
                signature_algorithm: reader.info.metadata.get("signature-algorithm").cloned(),
            },
        ),
        Err(e) if e.kind() == std::io::ErrorKind::FileTooLarge => {
            let _ = std::fs::remove_file(&path);
            Fetched::Skipped(Note {
                path: display,
                message: format!("skipped: it grew since it was listed and is {e}"),
            })
        }
        // `a` and `a/b` are both keys: a file system cannot hold both.
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::AlreadyExists
                    | std::io::ErrorKind::NotADirectory
                    | std::io::ErrorKind::IsADirectory
            ) =>
        {
            Fetched::Skipped(Note {
                path: display,
                message: format!(
                    "skipped: the key is also a prefix of other keys (or one of its prefixes is a key), which the local mirror cannot hold ({e})"
                ),
            })
        }
        Err(e) => {
            let _ = std::fs::remove_file(&path);
            Fetched::Failed(display, e.to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_that_cannot_be_mirrored() {
        assert!(unsafe_key("logs/app.jsonl").is_none());
        for bad in ["/abs", "a//b", "a/../b", "..", "./a", "a\\b"] {
            assert!(unsafe_key(bad).is_some(), "{bad}");
        }
    }
}
