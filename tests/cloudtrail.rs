//! CloudTrail digest-chain validation over synthetic trails signed with a test RSA key:
//! an intact trail passes; altered digests and log files, broken links (including a wrong
//! previousDigestHashValue under a valid signature), missing digests in the middle and at the
//! tail, and unknown keys are each reported.

mod common;

use std::io::Write as _;
use std::path::Path;

use custos::chain::cloudtrail::{self, PublicKey};
use custos::chain::merkle::to_hex;
use rsa::pkcs8::DecodePrivateKey;
use rsa::signature::{SignatureEncoding, Signer};
use sha2::{Digest, Sha256};

const BUCKET: &str = "acme-trail";
const BASE: &str = "2026-01-01T00:00:00Z";

fn fixture(name: &str) -> std::path::PathBuf {
    common::repo().join("fixtures/cloudtrail").join(name)
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn stamp(secs: i64) -> (String, String) {
    let days = secs.div_euclid(86_400);
    let date = custos::config::civil_date(days);
    let rem = secs.rem_euclid(86_400);
    let (h, m, s) = (rem / 3600, rem % 3600 / 60, rem % 60);
    (
        format!("{date}T{h:02}:{m:02}:{s:02}Z"),
        format!("{}T{h:02}{m:02}{s:02}Z", date.replace('-', "")),
    )
}

#[derive(Default, Clone)]
struct Knobs {
    skip_digest: Option<usize>,
    wrong_prev_hash_at: Option<usize>,
    fingerprint_override: Option<String>,
}

/// Write `hours` hourly digests (each listing one log file) under `root`; returns their paths.
fn build(root: &Path, hours: usize, knobs: &Knobs) -> Vec<std::path::PathBuf> {
    let key = rsa::RsaPrivateKey::from_pkcs8_pem(
        &std::fs::read_to_string(fixture("test-signing-key.pem")).unwrap(),
    )
    .unwrap();
    let signer = rsa::pkcs1v15::SigningKey::<Sha256>::new(key);
    let fp = PublicKey::load(&fixture("list-public-keys.json")).unwrap()[0]
        .fingerprint
        .clone();
    let base = cloudtrail::parse_time(BASE).unwrap();
    let mut prev: Option<(String, String, String)> = None; // (key, sha256, signature)
    let mut paths = Vec::new();
    for h in 0..hours {
        let start = base + 3600 * i64::try_from(h).unwrap();
        let (start_s, _) = stamp(start);
        let (end_s, end_compact) = stamp(start + 3600);
        let log_key = format!("AWSLogs/111122223333/CloudTrail/us-east-1/2026/01/01/111122223333_CloudTrail_us-east-1_{end_compact}_{h:04}.json.gz");
        let log = format!(
            r#"{{"Records":[{{"eventName":"GetObject","eventTime":"{start_s}","requestParameters":{{"bucketName":"acme-models","key":"m{h}"}}}}]}}"#
        );
        let log_path = root.join(&log_key);
        std::fs::create_dir_all(log_path.parent().unwrap()).unwrap();
        std::fs::write(&log_path, gzip(log.as_bytes())).unwrap();
        let digest_key = format!(
            "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/01/01/111122223333_CloudTrail-Digest_us-east-1_mgmt_us-east-1_{end_compact}.json.gz"
        );
        let (pb, pk, ph, ps) = match &prev {
            Some((k, sha, sig)) => {
                let sha = if knobs.wrong_prev_hash_at == Some(h) {
                    "0".repeat(64)
                } else {
                    sha.clone()
                };
                (
                    format!("\"{BUCKET}\""),
                    format!("\"{k}\""),
                    format!("\"{sha}\""),
                    format!("\"{sig}\""),
                )
            }
            None => ("null".into(), "null".into(), "null".into(), "null".into()),
        };
        let digest = format!(
            r#"{{"awsAccountId":"111122223333","digestStartTime":"{start_s}","digestEndTime":"{end_s}","digestS3Bucket":"{BUCKET}","digestS3Object":"{digest_key}","digestPublicKeyFingerprint":"{}","digestSignatureAlgorithm":"SHA256withRSA","newestEventTime":"{start_s}","oldestEventTime":"{start_s}","previousDigestS3Bucket":{pb},"previousDigestS3Object":{pk},"previousDigestHashValue":{ph},"previousDigestHashAlgorithm":{},"previousDigestSignature":{ps},"logFiles":[{{"s3Bucket":"{BUCKET}","s3Object":"{log_key}","hashValue":"{}","hashAlgorithm":"SHA-256","newestEventTime":"{start_s}","oldestEventTime":"{start_s}"}}]}}"#,
            knobs
                .fingerprint_override
                .clone()
                .unwrap_or_else(|| fp.clone()),
            if prev.is_some() {
                "\"SHA-256\""
            } else {
                "null"
            },
            to_hex(&Sha256::digest(log.as_bytes())),
        );
        let sha = to_hex(&Sha256::digest(digest.as_bytes()));
        let prev_sig = prev.as_ref().map_or("null".to_owned(), |p| p.2.clone());
        let message = format!("{end_s}\n{BUCKET}/{digest_key}\n{sha}\n{prev_sig}");
        let sig = to_hex(&signer.sign(message.as_bytes()).to_vec());
        prev = Some((digest_key.clone(), sha, sig.clone()));
        if knobs.skip_digest == Some(h) {
            continue;
        }
        let path = root.join(&digest_key);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, gzip(digest.as_bytes())).unwrap();
        std::fs::write(format!("{}.sig", path.display()), &sig).unwrap();
        paths.push(path);
    }
    paths
}

fn keys() -> Vec<PublicKey> {
    PublicKey::load(&fixture("list-public-keys.json")).unwrap()
}

/// Judged right after the last digest of a 5-hour trail.
fn as_of(hours: i64) -> i64 {
    cloudtrail::parse_time(BASE).unwrap() + 3600 * hours + 600
}

fn kinds(r: &cloudtrail::TrailReport) -> Vec<&'static str> {
    r.problems.iter().map(|p| p.kind).collect()
}

#[test]
fn key_forms_share_the_aws_fingerprint() {
    let a = &keys()[0];
    let b = &PublicKey::load(&fixture("test-public-pkcs1.pem")).unwrap()[0];
    let c = &PublicKey::load(&fixture("test-public-spki.pem")).unwrap()[0];
    assert_eq!(a.fingerprint, b.fingerprint);
    assert_eq!(a.fingerprint, c.fingerprint);
    assert_eq!(a.fingerprint.len(), 32);
}

#[test]
fn intact_trail_passes() {
    let dir = tempfile::tempdir().unwrap();
    build(dir.path(), 5, &Knobs::default());
    let r = cloudtrail::verify_dir(dir.path(), &keys(), as_of(5));
    assert!(r.intact(), "{:?}", r.problems);
    assert_eq!((r.digests, r.log_files), (5, 5));
}

#[test]
fn altered_log_file_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    build(dir.path(), 5, &Knobs::default());
    let log = walkdir::WalkDir::new(dir.path())
        .into_iter()
        .flatten()
        .find(|e| e.file_name().to_string_lossy().ends_with("_0002.json.gz"))
        .unwrap();
    std::fs::write(log.path(), gzip(br#"{"Records":[]}"#)).unwrap();
    let r = cloudtrail::verify_dir(dir.path(), &keys(), as_of(5));
    assert_eq!(kinds(&r), ["modified-log-file"]);
    assert!(r.problems[0].file.ends_with("_0002.json.gz"));
}

#[test]
fn deleted_log_file_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    build(dir.path(), 3, &Knobs::default());
    for e in walkdir::WalkDir::new(dir.path()).into_iter().flatten() {
        if e.file_name().to_string_lossy().ends_with("_0001.json.gz") {
            std::fs::remove_file(e.path()).unwrap();
        }
    }
    let r = cloudtrail::verify_dir(dir.path(), &keys(), as_of(3));
    assert_eq!(kinds(&r), ["missing-log-file"]);
}

#[test]
fn altered_digest_fails_its_signature() {
    let dir = tempfile::tempdir().unwrap();
    let digests = build(dir.path(), 4, &Knobs::default());
    let raw = std::fs::read(&digests[1]).unwrap();
    let mut text = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(raw.as_slice()), &mut text)
        .unwrap();
    let edited = text.replacen("\"logFiles\":[{", "\"logFiles\":[{\"note\":\"x\",", 1);
    std::fs::write(&digests[1], gzip(edited.as_bytes())).unwrap();
    let r = cloudtrail::verify_dir(dir.path(), &keys(), as_of(4));
    // Its own signature fails, and the next digest's previousDigestHashValue no longer matches.
    assert!(
        r.problems.iter().any(|p| p.kind == "bad-signature"
            && p.file
                .ends_with(&*digests[1].file_name().unwrap().to_string_lossy())),
        "{:?}",
        r.problems
    );
    assert!(
        r.problems.iter().any(|p| p.kind == "broken-link"),
        "{:?}",
        r.problems
    );
}

#[test]
fn wrong_previous_hash_under_a_valid_signature_is_a_broken_link() {
    // aws-cli does not check previousDigestHashValue; custos does.
    let dir = tempfile::tempdir().unwrap();
    build(
        dir.path(),
        4,
        &Knobs {
            wrong_prev_hash_at: Some(2),
            ..Knobs::default()
        },
    );
    let r = cloudtrail::verify_dir(dir.path(), &keys(), as_of(4));
    assert_eq!(kinds(&r), ["broken-link"], "{:?}", r.problems);
    assert!(r.problems[0].detail.contains("previousDigestHashValue"));
}

#[test]
fn missing_digest_in_the_middle_and_at_the_tail() {
    let dir = tempfile::tempdir().unwrap();
    build(
        dir.path(),
        5,
        &Knobs {
            skip_digest: Some(2),
            ..Knobs::default()
        },
    );
    let r = cloudtrail::verify_dir(dir.path(), &keys(), as_of(5));
    assert!(
        r.problems
            .iter()
            .any(|p| p.kind == "missing-digest" && p.detail.contains("is missing")),
        "{:?}",
        r.problems
    );

    let dir = tempfile::tempdir().unwrap();
    build(dir.path(), 3, &Knobs::default());
    let r = cloudtrail::verify_dir(dir.path(), &keys(), as_of(3));
    assert!(r.intact());
    // Judged five hours later, the hourly digests since then are missing.
    let r = cloudtrail::verify_dir(dir.path(), &keys(), as_of(8));
    assert_eq!(kinds(&r), ["missing-digest"]);
    assert!(
        r.problems[0].detail.contains("at the end"),
        "{}",
        r.problems[0].detail
    );
}

#[test]
fn unknown_key_and_missing_signature() {
    let dir = tempfile::tempdir().unwrap();
    build(
        dir.path(),
        2,
        &Knobs {
            fingerprint_override: Some("00".repeat(16)),
            ..Knobs::default()
        },
    );
    let r = cloudtrail::verify_dir(dir.path(), &keys(), as_of(2));
    assert_eq!(kinds(&r), ["unknown-key", "unknown-key"]);

    let dir = tempfile::tempdir().unwrap();
    let digests = build(dir.path(), 2, &Knobs::default());
    std::fs::remove_file(format!("{}.sig", digests[0].display())).unwrap();
    let r = cloudtrail::verify_dir(dir.path(), &keys(), as_of(2));
    assert!(
        r.problems
            .iter()
            .any(|p| p.kind == "bad-signature" && p.detail.contains(".sig")),
        "{:?}",
        r.problems
    );
}

#[test]
fn cli_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    build(dir.path(), 3, &Knobs::default());
    let keys = fixture("list-public-keys.json");
    let d = dir.path().to_str().unwrap();
    let k = keys.to_str().unwrap();
    let ok = common::custos(
        &[
            "chain",
            "verify",
            "--cloudtrail",
            d,
            "--public-keys",
            k,
            "--as-of",
            "2026-01-01T03:10:00Z",
        ],
        dir.path(),
    );
    assert_eq!(common::code(&ok), 0, "{}", common::stdout(&ok));
    assert!(common::stdout(&ok).contains("INTACT"));
    let late = common::custos(
        &[
            "chain",
            "verify",
            "--cloudtrail",
            d,
            "--public-keys",
            k,
            "--as-of",
            "2026-01-02T00:00:00Z",
        ],
        dir.path(),
    );
    assert_eq!(common::code(&late), 1);
    let nokeys = common::custos(&["chain", "verify", "--cloudtrail", d], dir.path());
    assert_eq!(common::code(&nokeys), 2);
}

/// Run `chain verify --cloudtrail DIR …` in human and JSON format; both must exit alike and
/// the human verdict line must be the JSON `summary`. Returns (code, human, json).
fn cli_verdict(dir: &Path, extra: &[&str]) -> (i32, String, serde_json::Value) {
    let keys = fixture("list-public-keys.json");
    let mut args = vec![
        "chain",
        "verify",
        "--cloudtrail",
        ".",
        "--public-keys",
        keys.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let human = common::custos(&args, dir);
    args.extend_from_slice(&["--format", "json"]);
    let json = common::custos(&args, dir);
    let text = common::stdout(&human);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(common::code(&human), common::code(&json), "{text}\n{v}");
    let summary = v["summary"].as_str().unwrap();
    assert!(
        text.lines().any(|l| l == summary),
        "human output lacks the JSON summary {summary:?}:\n{text}"
    );
    assert_eq!(v["intact"], v["verdict"] == "intact");
    (common::code(&human), text, v)
}

#[test]
fn no_digest_files_cannot_be_verified() {
    let dir = tempfile::tempdir().unwrap();
    // Log files but no digests: nothing can be verified.
    std::fs::create_dir_all(dir.path().join("AWSLogs/111122223333/CloudTrail")).unwrap();
    let (c, human, v) = cli_verdict(dir.path(), &[]);
    assert_eq!(c, 2, "{human}");
    assert_eq!(v["verdict"], "cannot-verify");
    assert_eq!(
        v["summary"],
        "CANNOT VERIFY: no digest files found under . (expected AWSLogs/<account>/CloudTrail-Digest/<region>/…)"
    );
    assert!(!human.contains("INTACT"), "{human}");
}

#[test]
fn unknown_key_cannot_be_verified_but_tampering_still_wins() {
    let dir = tempfile::tempdir().unwrap();
    build(
        dir.path(),
        2,
        &Knobs {
            fingerprint_override: Some("00".repeat(16)),
            ..Knobs::default()
        },
    );
    let (c, human, v) = cli_verdict(dir.path(), &["--as-of", "2026-01-01T02:10:00Z"]);
    assert_eq!(c, 2, "{human}");
    assert_eq!(
        v["summary"],
        format!(
            "CANNOT VERIFY: the signatures of 2 digest files cannot be checked: no public key with fingerprint {} was supplied",
            "00".repeat(16)
        )
    );
    // Judged a day later, digests are missing at the tail: that is tampering evidence.
    let (c, human, v) = cli_verdict(dir.path(), &["--as-of", "2026-01-02T00:00:00Z"]);
    assert_eq!(c, 1, "{human}");
    assert_eq!(v["summary"], "TAMPERED: 3 problems");
}

#[test]
fn cli_counts_are_in_the_right_number() {
    let dir = tempfile::tempdir().unwrap();
    build(dir.path(), 1, &Knobs::default());
    let (c, human, v) = cli_verdict(dir.path(), &["--as-of", "2026-01-01T01:10:00Z"]);
    assert_eq!(c, 0, "{human}");
    assert!(
        human.starts_with(".: 1 digest file, 1 log file\n"),
        "{human}"
    );
    assert_eq!(v["summary"], "INTACT: 1 digest file, 1 log file");
    let (c, _, v) = cli_verdict(dir.path(), &["--as-of", "2026-01-02T00:00:00Z"]);
    assert_eq!(c, 1);
    assert_eq!(v["summary"], "TAMPERED: 1 problem");
}
