//! AWS CloudTrail log-file integrity validation, over a local copy of the trail's bucket.
//!
//! What is checked, per digest file: its RSA (SHA256withRSA) signature over
//! `digestEndTime\nbucket/key\nhex(sha256(digest))\npreviousDigestSignature`, made with the
//! public key named by `digestPublicKeyFingerprint` (MD5 of the key's PKCS#1 DER); the link to
//! the previous digest (`previousDigestSignature` and `previousDigestHashValue`, the latter of
//! which aws-cli does not check); the SHA-256 of every log file it lists; and the hourly
//! cadence, so that a missing digest in the middle of the chain or at its end (which aws-cli
//! does not flag) is reported. Hashes are over the uncompressed content, as AWS computes them.
//!
//! Local layout: the directory mirrors the bucket (`AWSLogs/…`, as `aws s3 sync` leaves it).
//! A digest's signature lives in S3 object metadata (`x-amz-meta-signature`), which a sync
//! does not copy; it is read from a sidecar file `<digest file>.sig` holding that hex value.

use std::collections::{BTreeMap, HashMap};
use std::io::Read as _;
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use md5::Md5;
use rsa::pkcs1::{DecodeRsaPublicKey, EncodeRsaPublicKey};
use rsa::pkcs8::DecodePublicKey;
use rsa::signature::Verifier as _;
use rsa::RsaPublicKey;
use serde::Serialize;
use sha2::{Digest as _, Sha256};

use super::merkle::to_hex;
use super::{counted, Outcome};

/// Digests are delivered hourly; allow this much beyond an hour before calling it a gap.
const CADENCE_SECS: i64 = 3600;
const TOLERANCE_SECS: i64 = 30 * 60;

/// A CloudTrail public key, with the fingerprint AWS uses for it.
#[derive(Debug, Clone)]
pub struct PublicKey {
    pub fingerprint: String,
    key: RsaPublicKey,
}

impl PublicKey {
    /// From PKCS#1 or SPKI DER. The fingerprint is the MD5 of the PKCS#1 DER, which is what
    /// `list-public-keys` returns, whichever form the key was supplied in.
    pub fn from_der(der: &[u8]) -> Result<Self, String> {
        let key = RsaPublicKey::from_pkcs1_der(der)
            .or_else(|_| RsaPublicKey::from_public_key_der(der))
            .map_err(|e| format!("not an RSA public key (PKCS#1 or SPKI DER): {e}"))?;
        Self::from_key(key)
    }

    fn from_key(key: RsaPublicKey) -> Result<Self, String> {
        let pkcs1 = key.to_pkcs1_der().map_err(|e| e.to_string())?;
        Ok(Self {
            fingerprint: to_hex(&Md5::digest(pkcs1.as_bytes())),
            key,
        })
    }

    /// Keys from a file: `aws cloudtrail list-public-keys` JSON, PEM (PKCS#1 or SPKI), or DER.
    pub fn load(path: &Path) -> Result<Vec<Self>, String> {
        let bytes =
            crate::discover::read_regular(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let err = |e: String| format!("{}: {e}", path.display());
        if let Ok(text) = std::str::from_utf8(&bytes) {
            let t = text.trim_start();
            if t.starts_with('{') {
                let v: serde_json::Value =
                    serde_json::from_str(t).map_err(|e| err(e.to_string()))?;
                let list = v["PublicKeyList"]
                    .as_array()
                    .ok_or_else(|| err("no PublicKeyList".into()))?;
                return list
                    .iter()
                    .map(|k| {
                        let der = B64
                            .decode(k["Value"].as_str().unwrap_or_default())
                            .map_err(|e| err(format!("Value: {e}")))?;
                        Self::from_der(&der).map_err(err)
                    })
                    .collect();
            }
            let pem = if t.starts_with("-----BEGIN RSA PUBLIC KEY-----") {
                Some(RsaPublicKey::from_pkcs1_pem(t))
            } else if t.starts_with("-----BEGIN PUBLIC KEY-----") {
                Some(
                    RsaPublicKey::from_public_key_pem(t)
                        .map_err(|e| rsa::pkcs1::Error::Pkcs8(e.into())),
                )
            } else {
                None
            };
            if let Some(key) = pem {
                let key = key.map_err(|e| err(e.to_string()))?;
                return Self::from_key(key).map(|k| vec![k]).map_err(err);
            }
        }
        Self::from_der(&bytes).map(|k| vec![k]).map_err(err)
    }

    fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        let vk = rsa::pkcs1v15::VerifyingKey::<Sha256>::new(self.key.clone());
        rsa::pkcs1v15::Signature::try_from(signature).is_ok_and(|s| vk.verify(message, &s).is_ok())
    }
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct TrailProblem {
    pub file: String,
    pub kind: &'static str,
    pub detail: String,
}

/// Problem kind of a digest signed by a key whose fingerprint was not supplied: not evidence of
/// tampering by itself (AWS rotates keys), but the digest's signature could not be checked.
pub const UNKNOWN_KEY: &str = "unknown-key";

/// Where digest files live in a trail bucket, for messages.
pub const DIGEST_LAYOUT: &str = "AWSLogs/<account>/CloudTrail-Digest/<region>/…";

#[derive(Debug, Default, Serialize)]
pub struct TrailReport {
    /// The directory verified, as given.
    pub root: String,
    /// Files named like digest files (`*_CloudTrail-Digest_*.json[.gz]`), readable or not.
    pub digest_files_found: usize,
    /// Digest files that were read and checked.
    pub digests: usize,
    pub log_files: usize,
    pub problems: Vec<TrailProblem>,
    /// Fingerprints named by digests for which no public key was supplied, sorted.
    pub unknown_fingerprints: std::collections::BTreeSet<String>,
    pub notes: Vec<String>,
}

impl TrailReport {
    /// No problem found (see [`TrailReport::outcome`] for the verdict).
    pub fn intact(&self) -> bool {
        self.problems.is_empty()
    }

    /// The verdict: any problem other than an unknown key is tampering; digests whose key was
    /// not supplied, or no digest files at all, mean nothing could be concluded.
    pub fn outcome(&self) -> Outcome {
        if self.problems.iter().any(|p| p.kind != UNKNOWN_KEY) {
            Outcome::Tampered
        } else if !self.problems.is_empty() || self.digest_files_found == 0 {
            Outcome::CannotVerify
        } else {
            Outcome::Intact
        }
    }

    /// The verdict line, the same in every output format.
    pub fn summary(&self) -> String {
        match self.outcome() {
            Outcome::Tampered => format!(
                "TAMPERED: {}",
                counted(self.problems.len() as u64, "problem")
            ),
            Outcome::CannotVerify if self.digest_files_found == 0 => format!(
                "CANNOT VERIFY: no digest files found under {} (expected {DIGEST_LAYOUT})",
                self.root
            ),
            Outcome::CannotVerify => format!(
                "CANNOT VERIFY: the signatures of {} cannot be checked: no public key with fingerprint {} was supplied",
                counted(self.problems.len() as u64, "digest file"),
                self.unknown_fingerprints
                    .iter()
                    .map(String::as_str)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Outcome::Empty | Outcome::Intact => format!(
                "INTACT: {}, {}",
                counted(self.digests as u64, "digest file"),
                counted(self.log_files as u64, "log file")
            ),
        }
    }
    fn problem(&mut self, file: &str, kind: &'static str, detail: String) {
        self.problems.push(TrailProblem {
            file: file.to_owned(),
            kind,
            detail,
        });
    }
}

struct DigestFile {
    path: PathBuf,
    display: String,
    sha256: String,
    json: serde_json::Value,
    signature: Option<String>,
    end: i64,
    start: i64,
}

impl DigestFile {
    fn field(&self, k: &str) -> Option<&str> {
        self.json.get(k).and_then(serde_json::Value::as_str)
    }
    fn key(&self) -> &str {
        self.field("digestS3Object").unwrap_or_default()
    }
}

/// Read a file, gunzipping `.gz`, bounded to 1 GiB uncompressed.
fn read_content(path: &Path) -> Result<Vec<u8>, String> {
    let raw =
        crate::discover::read_regular(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if path.extension().is_some_and(|e| e == "gz") {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(raw.as_slice())
            .take(1 << 30)
            .read_to_end(&mut out)
            .map_err(|e| format!("{}: not valid gzip: {e}", path.display()))?;
        Ok(out)
    } else {
        Ok(raw)
    }
}

/// `2015-08-17T15:01:31Z` → seconds since the epoch.
pub fn parse_time(text: &str) -> Option<i64> {
    let bytes = text.as_bytes();
    let shape = bytes.len() == 20
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && bytes[10] == b'T'
        && bytes[13] == b':'
        && bytes[16] == b':'
        && bytes[19] == b'Z';
    if !shape {
        return None;
    }
    let num = |r: std::ops::Range<usize>| text.get(r)?.parse::<i64>().ok();
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    // Days from civil (Howard Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + hour * 3600 + minute * 60 + second)
}

fn format_hours(secs: i64) -> String {
    #[allow(clippy::cast_precision_loss)]
    let h = secs as f64 / 3600.0;
    format!("{h:.1} h")
}

/// Local file for an S3 key: `root/key`, or the part of the key from `AWSLogs/` on.
fn locate(root: &Path, key: &str) -> Option<PathBuf> {
    let direct = root.join(key);
    if direct.is_file() {
        return Some(direct);
    }
    let i = key.find("AWSLogs/")?;
    let p = root.join(&key[i..]);
    p.is_file().then_some(p)
}

/// Validate every digest chain found under `root`. `as_of` is when the tail is judged.
pub fn verify_dir(root: &Path, keys: &[PublicKey], as_of: i64) -> TrailReport {
    let mut report = TrailReport {
        root: root.display().to_string(),
        ..TrailReport::default()
    };
    let mut digests = Vec::new();
    for entry in walkdir::WalkDir::new(root)
        .sort_by_file_name()
        .into_iter()
        .flatten()
    {
        let name = entry.file_name().to_string_lossy();
        if !entry.file_type().is_file()
            || !name.contains("_CloudTrail-Digest_")
            || !(name.ends_with(".json.gz") || name.ends_with(".json"))
        {
            continue;
        }
        report.digest_files_found += 1;
        let display = crate::discover::display_path(entry.path());
        let content = match read_content(entry.path()) {
            Ok(c) => c,
            Err(e) => {
                report.problem(&display, "malformed", e);
                continue;
            }
        };
        let json: serde_json::Value = match serde_json::from_slice(&content) {
            Ok(v) => v,
            Err(e) => {
                report.problem(&display, "malformed", format!("not a digest file: {e}"));
                continue;
            }
        };
        let sig_path = PathBuf::from(format!("{}.sig", entry.path().display()));
        let signature = crate::discover::read_regular_string(&sig_path)
            .ok()
            .map(|s| s.trim().to_ascii_lowercase());
        let times = (
            json.get("digestEndTime")
                .and_then(|v| v.as_str())
                .and_then(parse_time),
            json.get("digestStartTime")
                .and_then(|v| v.as_str())
                .and_then(parse_time),
        );
        let (Some(end), Some(start)) = times else {
            report.problem(
                &display,
                "malformed",
                "digestStartTime/digestEndTime missing or not UTC timestamps".into(),
            );
            continue;
        };
        digests.push(DigestFile {
            path: entry.path().to_path_buf(),
            display,
            sha256: to_hex(&Sha256::digest(&content)),
            json,
            signature,
            end,
            start,
        });
    }
    report.digests = digests.len();
    if digests.is_empty() {
        return report;
    }

    // One chain per trail and region: group by the digest file name without its timestamp.
    let mut chains: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, d) in digests.iter().enumerate() {
        let name = d
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let group = name
            .rsplit_once('_')
            .map_or(name.clone(), |(g, _)| g.to_owned());
        chains.entry(group).or_default().push(i);
    }
    let by_key: HashMap<&str, usize> = digests
        .iter()
        .enumerate()
        .map(|(i, d)| (d.key(), i))
        .collect();

    for d in &digests {
        check_signature(d, keys, &mut report);
        check_log_files(d, root, &mut report);
    }
    for (group, mut members) in chains {
        members.sort_by_key(|&i| digests[i].end);
        for w in members.windows(2) {
            let (prev, next) = (&digests[w[0]], &digests[w[1]]);
            check_link(prev, next, &by_key, &mut report);
        }
        if let Some(&first) = members.first() {
            let d = &digests[first];
            if d.field("previousDigestS3Object").is_some() {
                report.notes.push(format!(
                    "{group}: chain checked from {} on; the digest before it ({}) is not in this copy",
                    d.display,
                    d.field("previousDigestS3Object").unwrap_or_default()
                ));
            }
        }
        if let Some(&last) = members.last() {
            let d = &digests[last];
            let behind = as_of - d.end;
            if behind > CADENCE_SECS + TOLERANCE_SECS {
                report.problem(
                    &d.display,
                    "missing-digest",
                    format!(
                        "{group}: the newest digest ends {}; digests are hourly, so about {} of digests are missing at the end",
                        d.field("digestEndTime").unwrap_or_default(),
                        format_hours(behind - CADENCE_SECS)
                    ),
                );
            }
        }
    }
    report.problems.sort();
    report
}

fn check_signature(d: &DigestFile, keys: &[PublicKey], report: &mut TrailReport) {
    if d.field("digestSignatureAlgorithm") != Some("SHA256withRSA") {
        report.problem(
            &d.display,
            "malformed",
            format!(
                "unsupported digestSignatureAlgorithm {:?}",
                d.field("digestSignatureAlgorithm")
            ),
        );
        return;
    }
    let Some(sig_hex) = &d.signature else {
        report.problem(
            &d.display,
            "bad-signature",
            "no signature: put the object's x-amz-meta-signature value in a .sig file beside it"
                .into(),
        );
        return;
    };
    let fp = d.field("digestPublicKeyFingerprint").unwrap_or_default();
    let Some(key) = keys.iter().find(|k| k.fingerprint == fp) else {
        report.problem(
            &d.display,
            UNKNOWN_KEY,
            format!(
                "no public key with fingerprint {fp} was supplied; the signature was not checked"
            ),
        );
        report.unknown_fingerprints.insert(fp.to_owned());
        return;
    };
    let prev_sig = d.field("previousDigestSignature").unwrap_or("null");
    let message = format!(
        "{}\n{}/{}\n{}\n{}",
        d.field("digestEndTime").unwrap_or_default(),
        d.field("digestS3Bucket").unwrap_or_default(),
        d.key(),
        d.sha256,
        prev_sig
    );
    let sig = decode_hex(sig_hex);
    if !sig
        .as_deref()
        .is_some_and(|s| key.verify(message.as_bytes(), s))
    {
        report.problem(&d.display, "bad-signature", "the digest's signature does not verify (the digest file was altered, or signed by another key)".into());
    }
}

fn check_link(
    prev: &DigestFile,
    next: &DigestFile,
    by_key: &HashMap<&str, usize>,
    report: &mut TrailReport,
) {
    let named = next.field("previousDigestS3Object").unwrap_or_default();
    if named == prev.key() {
        if next.field("previousDigestHashValue") != Some(prev.sha256.as_str()) {
            report.problem(
                &next.display,
                "broken-link",
                format!(
                    "previousDigestHashValue does not match the SHA-256 of {}",
                    prev.display
                ),
            );
        }
        if next
            .field("previousDigestSignature")
            .map(str::to_ascii_lowercase)
            != prev.signature
        {
            report.problem(
                &next.display,
                "broken-link",
                format!(
                    "previousDigestSignature does not match the signature of {}",
                    prev.display
                ),
            );
        }
    } else {
        // The digest `next` points at is not the one before it here: is it missing?
        if by_key.get(named).is_none() {
            report.problem(
                &next.display,
                "missing-digest",
                format!(
                    "the previous digest {named} is missing (between {} and {})",
                    prev.field("digestEndTime").unwrap_or_default(),
                    next.field("digestStartTime").unwrap_or_default()
                ),
            );
        } else {
            report.problem(
                &next.display,
                "broken-link",
                format!(
                    "points at {named}, not at the digest before it in time ({})",
                    prev.key()
                ),
            );
        }
    }
    let gap = next.start - prev.end;
    if gap > TOLERANCE_SECS || next.end - prev.end > CADENCE_SECS + TOLERANCE_SECS {
        report.problem(
            &next.display,
            "missing-digest",
            format!(
                "gap of {} between digests ending {} and {}",
                format_hours(next.end - prev.end - CADENCE_SECS),
                prev.field("digestEndTime").unwrap_or_default(),
                next.field("digestEndTime").unwrap_or_default()
            ),
        );
    }
}

fn check_log_files(d: &DigestFile, root: &Path, report: &mut TrailReport) {
    let Some(files) = d.json.get("logFiles").and_then(|v| v.as_array()) else {
        report.problem(&d.display, "malformed", "no logFiles array".into());
        return;
    };
    for f in files {
        report.log_files += 1;
        let key = f
            .get("s3Object")
            .and_then(|v| v.as_str())
            .unwrap_or_default();
        let want = f
            .get("hashValue")
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_ascii_lowercase();
        let Some(path) = locate(root, key) else {
            report.problem(
                &d.display,
                "missing-log-file",
                format!("{key} is listed but not present"),
            );
            continue;
        };
        match read_content(&path) {
            Ok(content) if to_hex(&Sha256::digest(&content)) == want => {}
            Ok(_) => report.problem(
                &crate::discover::display_path(&path),
                "modified-log-file",
                format!("SHA-256 does not match the hash in {}", d.display),
            ),
            Err(e) => report.problem(
                &crate::discover::display_path(&path),
                "modified-log-file",
                e,
            ),
        }
    }
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_parse() {
        assert_eq!(parse_time("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_time("2015-08-17T15:01:31Z"), Some(1_439_823_691));
        assert_eq!(parse_time("2015-08-17 15:01:31"), None);
    }
}
