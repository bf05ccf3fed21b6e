//! S3 sources against real S3-compatible servers (tests/s3_server): SeaweedFS for objects,
//! listing, versions, Object Lock, default encryption and the posture calls it implements;
//! moto for the posture calls SeaweedFS does not (public access block answers 501 there) and
//! for bucket policies (SeaweedFS enforces a TLS-only policy, which would lock a plain-HTTP test
//! out). docs/s3.md lists which server covers which call.

mod common;
mod s3_server;

use std::io::Write as _;
use std::path::Path;
use std::process::Command;

use aws_sdk_s3::types::{
    BucketLoggingStatus, BucketVersioningStatus, DefaultRetention, LoggingEnabled,
    ObjectLockConfiguration, ObjectLockEnabled, ObjectLockRetentionMode, ObjectLockRule,
    PublicAccessBlockConfiguration, ServerSideEncryption, ServerSideEncryptionByDefault,
    ServerSideEncryptionConfiguration, ServerSideEncryptionRule, VersioningConfiguration,
};
use s3_server::{moto, seaweed, store, Server};
use serde_json::Value;

/// An AWS access key id shape (SEC001), built so no full key sits in this file.
fn token() -> String {
    format!("AKIA{}", "Q7ZLR4VN2XW5TG3H")
}

fn custos_with(args: &[&str], cwd: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_custos"))
        .args(args)
        .current_dir(cwd)
        .envs(s3_server::env())
        .output()
        .expect("run custos")
}

/// `custos scan … --format json` against `server`, with `config` as custos.toml.
fn scan(server: &Server, target: &str, config: &str) -> (i32, Value, String) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("custos.toml"), config).unwrap();
    let o = custos_with(
        &[
            "scan",
            target,
            "--format",
            "json",
            "--endpoint-url",
            &server.endpoint,
            "--config",
            "custos.toml",
        ],
        dir.path(),
    );
    let err = common::stderr(&o);
    assert!(!err.contains("panicked"), "{err}");
    let v: Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("json: {e}\n{}\n{err}", common::stdout(&o)));
    (common::code(&o), v, common::stdout(&o))
}

fn findings<'a>(v: &'a Value, rule: &str) -> Vec<&'a Value> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"] == rule)
        .collect()
}

fn rules_at(v: &Value, path: &str) -> Vec<String> {
    let mut r: Vec<String> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["path"] == path)
        .map(|f| f["rule_id"].as_str().unwrap().to_owned())
        .collect();
    r.sort();
    r
}

fn create_bucket(s: &custos::s3::Store, bucket: &str, locked: bool) {
    s.block_on(
        s.client()
            .create_bucket()
            .bucket(bucket)
            .object_lock_enabled_for_bucket(locked)
            .send(),
    )
    .unwrap_or_else(|e| panic!("create {bucket}: {e:?}"));
}

fn put(s: &custos::s3::Store, bucket: &str, key: &str, body: &[u8]) -> Option<String> {
    s.put(bucket, key, body.to_vec(), &[])
        .unwrap_or_else(|e| panic!("put {key}: {e}"))
}

#[test]
fn scan_reads_objects_by_kind_and_reports_bucket_posture() {
    let server = seaweed();
    let s = store(server);
    create_bucket(&s, "scan-plain", false);
    put(
        &s,
        "scan-plain",
        "conf/app.yaml",
        b"service: api\npassword: \"Xq9-correct-horse-battery\"\n",
    );
    let log = format!(
        "{{\"level\":\"info\",\"msg\":\"start\"}}\n{{\"level\":\"warn\",\"msg\":\"using {}\"}}\n",
        token()
    );
    put(&s, "scan-plain", "logs/app.jsonl", log.as_bytes());
    put(&s, "scan-plain", "README.txt", b"nothing here\n");
    let (code, v, out) = scan(server, "s3://scan-plain/", "");
    assert_eq!(code, 1, "{v:#}");
    // Objects are classified by key and judged like local files, at s3://bucket/key.
    assert_eq!(rules_at(&v, "s3://scan-plain/conf/app.yaml"), ["CFG001"]);
    assert_eq!(findings(&v, "CFG001")[0]["location"]["line"], 2);
    assert_eq!(rules_at(&v, "s3://scan-plain/logs/app.jsonl"), ["SEC001"]);
    assert!(!out.contains(&token()), "a full secret was printed");
    // The bucket's posture, read once, as SeaweedFS answers it.
    assert_eq!(
        rules_at(&v, "s3://scan-plain"),
        ["S3B000", "S3B001", "S3B003", "S3B007", "S3B008"]
    );
    let unknown = &findings(&v, "S3B000")[0];
    assert_eq!(unknown["level"], "warning");
    let msg = unknown["message"].as_str().unwrap();
    assert!(
        msg.contains("public_access_block")
            && msg.contains("GetPublicAccessBlock")
            && msg.contains("501"),
        "{msg}"
    );
    assert!(findings(&v, "S3B001")[0]["message"]
        .as_str()
        .unwrap()
        .contains("s3://scan-plain has no default encryption"));
    assert_eq!(v["summary"]["files_scanned"], 3, "{:#}", v["summary"]);

    // One GET at a time or several: the same report.
    let (_, serial, _) = scan(server, "s3://scan-plain/", "[s3]\nconcurrency = 1\n");
    let fp = |v: &Value| -> Vec<String> {
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| format!("{} {}", f["path"], f["fingerprint"]))
            .collect()
    };
    assert_eq!(fp(&serial), fp(&v));
}

#[test]
fn an_unreadable_object_is_an_error_finding_and_the_rest_is_scanned() {
    let server = seaweed();
    let s = store(server);
    create_bucket(&s, "scan-deny", false);
    put(
        &s,
        "scan-deny",
        "ok/app.yaml",
        b"password: \"Xq9-correct-horse-battery\"\n",
    );
    put(
        &s,
        "scan-deny",
        "secret/app.yaml",
        b"password: \"Xq9-correct-horse-battery\"\n",
    );
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Sid":"NoSecret","Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::scan-deny/secret/*"}]}"#;
    s.block_on(
        s.client()
            .put_bucket_policy()
            .bucket("scan-deny")
            .policy(policy)
            .send(),
    )
    .expect("put policy");
    // `clash/x.yaml` is a key and a prefix of another: one is mirrored, the other is a note.
    put(&s, "scan-deny", "clash/x.yaml", b"a: 1\n");
    put(&s, "scan-deny", "clash/x.yaml/y.yaml", b"b: 2\n");
    let (code, v, _) = scan(server, "s3://scan-deny/", "");
    assert_eq!(code, 1);
    let clash: Vec<&Value> = v["notes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| {
            n["message"]
                .as_str()
                .unwrap()
                .contains("prefix of other keys")
        })
        .collect();
    assert_eq!(clash.len(), 1, "{:#}", v["notes"]);
    assert!(clash[0]["path"]
        .as_str()
        .unwrap()
        .starts_with("s3://scan-deny/clash/x.yaml"));
    assert_eq!(rules_at(&v, "s3://scan-deny/ok/app.yaml"), ["CFG001"]);
    let err = findings(&v, "read-error");
    assert_eq!(err.len(), 1, "{v:#}");
    assert_eq!(err[0]["path"], "s3://scan-deny/secret/app.yaml");
    assert_eq!(err[0]["severity"], "high");
    let msg = err[0]["message"].as_str().unwrap();
    assert!(
        msg.contains("s3://scan-deny/secret/app.yaml: access denied"),
        "{msg}"
    );
}

#[test]
fn audit_bucket_posture_and_deletions_in_the_window() {
    let server = seaweed();
    let s = store(server);
    let b = "audit-trail-b";
    create_bucket(&s, b, true);
    let c = s.client();
    s.block_on(
        c.put_object_lock_configuration()
            .bucket(b)
            .object_lock_configuration(
                ObjectLockConfiguration::builder()
                    .object_lock_enabled(ObjectLockEnabled::Enabled)
                    .rule(
                        ObjectLockRule::builder()
                            .default_retention(
                                DefaultRetention::builder()
                                    .mode(ObjectLockRetentionMode::Compliance)
                                    .days(1)
                                    .build(),
                            )
                            .build(),
                    )
                    .build(),
            )
            .send(),
    )
    .expect("object lock");
    // SSE-S3: SeaweedFS has no KMS to encrypt objects with (SSE-KMS is covered with moto).
    s.block_on(
        c.put_bucket_encryption()
            .bucket(b)
            .server_side_encryption_configuration(
                ServerSideEncryptionConfiguration::builder()
                    .rules(
                        ServerSideEncryptionRule::builder()
                            .apply_server_side_encryption_by_default(
                                ServerSideEncryptionByDefault::builder()
                                    .sse_algorithm(ServerSideEncryption::Aes256)
                                    .build()
                                    .unwrap(),
                            )
                            .build(),
                    )
                    .build()
                    .unwrap(),
            )
            .send(),
    )
    .expect("encryption");
    // Logs: one overwritten, one deleted; hourly digests with two hours missing.
    let v1 = put(&s, b, "AWSLogs/app/a.log", b"first\n");
    let v2 = put(&s, b, "AWSLogs/app/a.log", b"rewritten\n");
    assert_ne!(v1, v2, "versioning keeps both");
    put(&s, b, "AWSLogs/app/b.log", b"gone soon\n");
    s.block_on(c.delete_object().bucket(b).key("AWSLogs/app/b.log").send())
        .expect("delete");
    let now = custos::s3::now_secs();
    let hour = |t: i64| custos::s3::format_time(t).replace(['-', ':'], "");
    // Digests of the current hour and 3 and 4 hours before it: hours -2 and -1 are missing.
    let this_hour = now - now.rem_euclid(3600);
    for t in [this_hour - 4 * 3600, this_hour - 3 * 3600, this_hour] {
        let key = format!(
            "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/111122223333_CloudTrail-Digest_us-east-1_main_us-east-1_{}.json.gz",
            hour(t)
        );
        put(&s, b, &key, b"{}");
    }
    let config = format!("[s3]\naudit_logs = [\"s3://{b}/AWSLogs/\"]\naudit_window = \"2d\"\n");
    let (code, v, _) = scan(server, &format!("s3://{b}/AWSLogs/"), &config);
    assert_eq!(code, 1);
    // Encrypted (SSE-S3, so not with a customer-managed key), versioned, locked in
    // COMPLIANCE mode: no encryption, versioning or Object Lock finding but S3B002.
    assert_eq!(
        rules_at(&v, &format!("s3://{b}")),
        ["S3B000", "S3B002", "S3B007", "S3B008"],
        "{v:#}"
    );
    let prefix = format!("s3://{b}/AWSLogs/");
    assert_eq!(
        rules_at(&v, &prefix),
        ["S3L001", "S3L002", "S3L003"],
        "{v:#}"
    );
    let del = findings(&v, "S3L001")[0]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        del.starts_with(&format!("s3://{b}/AWSLogs/app/b.log was deleted at ")),
        "{del}"
    );
    let over = findings(&v, "S3L002")[0]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    let first = v1.unwrap_or_default();
    assert!(
        over.contains("AWSLogs/app/a.log was overwritten")
            && over.contains(&format!("version {first}")),
        "{over}"
    );
    let gap = findings(&v, "S3L003")[0]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(gap.contains("about 2 hourly digest(s)"), "{gap}");

    // The same prefix outside the window: nothing deleted or overwritten in it.
    let config = format!(
        "[s3]\naudit_logs = [\"s3://{b}/AWSLogs/\"]\naudit_window = \"2020-01-01T00:00:00Z/2020-01-02T00:00:00Z\"\n"
    );
    let (_, v, _) = scan(server, &format!("s3://{b}/AWSLogs/"), &config);
    assert_eq!(rules_at(&v, &prefix), Vec::<String>::new(), "{v:#}");
}

#[test]
fn listing_follows_every_page() {
    let server = seaweed();
    let mut s = store(server);
    create_bucket(&s, "pages-b", false);
    for i in 0..7 {
        put(&s, "pages-b", &format!("k/{i:02}.txt"), b"x");
    }
    s.set_page_size(2);
    let keys: Vec<String> = s
        .list("pages-b", "k/")
        .unwrap()
        .into_iter()
        .map(|o| o.key)
        .collect();
    assert_eq!(keys.len(), 7, "{keys:?}");
    assert_eq!(keys.first().map(String::as_str), Some("k/00.txt"));
    assert_eq!(keys.last().map(String::as_str), Some("k/06.txt"));
}

#[test]
fn a_large_object_is_read_as_a_stream() {
    let server = seaweed();
    let s = store(server);
    create_bucket(&s, "stream-b", false);
    // 24 MiB of log lines (one with a token near the end), read back through the reader.
    let mut body = Vec::with_capacity(24 << 20);
    let mut n = 0usize;
    while body.len() < 24 << 20 {
        writeln!(body, "{{\"seq\":{n},\"msg\":\"request served in 12ms\"}}").unwrap();
        n += 1;
    }
    writeln!(body, "{{\"msg\":\"{}\"}}", token()).unwrap();
    let want = body.len() as u64;
    put(&s, "stream-b", "big/app.jsonl", &body);
    drop(body);
    let mut r = s.open("stream-b", "big/app.jsonl").unwrap();
    let mut total = 0u64;
    let mut largest = 0usize;
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let k = std::io::Read::read(&mut r, &mut buf).unwrap();
        if k == 0 {
            break;
        }
        largest = largest.max(k);
        total += k as u64;
    }
    assert_eq!(total, want);
    assert!(r.info.etag.is_some());
    let (code, v, out) = scan(server, "s3://stream-b/big/", "");
    assert_eq!(code, 1);
    assert_eq!(rules_at(&v, "s3://stream-b/big/app.jsonl"), ["SEC001"]);
    assert!(!out.contains(&token()));
}

#[test]
fn errors_name_the_bucket_and_key_and_never_panic() {
    let server = seaweed();
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str], env: &[(&str, &str)]| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_custos"));
        cmd.args(args)
            .current_dir(dir.path())
            .envs(s3_server::env());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let o = cmd.output().unwrap();
        let err = common::stderr(&o);
        assert!(!err.contains("panicked"), "{err}");
        // miette wraps long messages in a frame: read the words.
        let words = err
            .replace(['│', '×'], " ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        (common::code(&o), words)
    };
    let e = server.endpoint.as_str();
    let (code, err) = run(
        &["scan", "s3://no-such-bucket-x/", "--endpoint-url", e],
        &[],
    );
    assert_eq!(code, 2);
    assert!(
        err.contains("s3://no-such-bucket-x/: no such bucket"),
        "{err}"
    );
    let (code, err) = run(
        &["scan", "s3://scan-any/", "--endpoint-url", e],
        &[("AWS_SECRET_ACCESS_KEY", "not-the-secret")],
    );
    assert_eq!(code, 2);
    assert!(err.contains("access denied"), "{err}");
    assert!(!err.contains("not-the-secret"), "{err}");
    let (code, err) = run(
        &[
            "scan",
            "s3://scan-any/",
            "--endpoint-url",
            "http://127.0.0.1:9",
        ],
        &[],
    );
    assert_eq!(code, 2);
    assert!(err.contains("endpoint unreachable"), "{err}");
    let s = store(server);
    create_bucket(&s, "chain-missing", false);
    let (code, err) = run(
        &[
            "chain",
            "verify",
            "s3://chain-missing/none.jsonl",
            "--endpoint-url",
            e,
        ],
        &[],
    );
    assert_eq!(code, 2);
    assert!(
        err.contains("s3://chain-missing/none.jsonl: no such key"),
        "{err}"
    );
    // AWS_ENDPOINT_URL is honoured without a flag.
    let (code, err) = run(
        &["chain", "verify", "s3://chain-missing/none.jsonl"],
        &[("AWS_ENDPOINT_URL", e)],
    );
    assert_eq!(code, 2);
    assert!(err.contains("no such key"), "{err}");
}

#[test]
fn chain_verify_reads_a_chain_from_s3() {
    let server = seaweed();
    let s = store(server);
    create_bucket(&s, "chains-b", false);
    let dir = tempfile::tempdir().unwrap();
    let mut plain = Vec::new();
    for i in 0..50 {
        writeln!(plain, "{{\"event\":\"login\",\"n\":{i}}}").unwrap();
    }
    std::fs::write(dir.path().join("plain.jsonl"), plain).unwrap();
    let o = common::custos(
        &["chain", "seal", "plain.jsonl", "-o", "chain.jsonl"],
        dir.path(),
    );
    assert_eq!(common::code(&o), 0, "{}", common::stderr(&o));
    let chain = std::fs::read(dir.path().join("chain.jsonl")).unwrap();
    put(&s, "chains-b", "audit/chain.jsonl", &chain);
    let e = server.endpoint.as_str();
    let o = custos_with(
        &[
            "chain",
            "verify",
            "s3://chains-b/audit/chain.jsonl",
            "--endpoint-url",
            e,
            "--format",
            "json",
        ],
        dir.path(),
    );
    assert_eq!(common::code(&o), 0, "{}", common::stderr(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["records"], 50);
    assert_eq!(v["chain"], "s3://chains-b/audit/chain.jsonl");
    // One record altered in the stored object: tampered.
    let text = String::from_utf8(chain)
        .unwrap()
        .replacen("\"n\":7", "\"n\":8", 1);
    put(&s, "chains-b", "audit/chain.jsonl", text.as_bytes());
    let o = custos_with(
        &[
            "chain",
            "verify",
            "s3://chains-b/audit/chain.jsonl",
            "--endpoint-url",
            e,
        ],
        dir.path(),
    );
    assert_eq!(common::code(&o), 1, "{}", common::stdout(&o));
}

mod trail {
    use std::io::Write as _;

    use custos::chain::cloudtrail::{self, PublicKey};
    use custos::chain::merkle::to_hex;
    use rsa::pkcs8::DecodePrivateKey;
    use rsa::signature::{SignatureEncoding, Signer};
    use sha2::{Digest, Sha256};

    pub const BASE: &str = "2026-01-01T00:00:00Z";

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn fixture(name: &str) -> std::path::PathBuf {
        super::common::repo().join("fixtures/cloudtrail").join(name)
    }

    pub fn keys_file() -> std::path::PathBuf {
        fixture("list-public-keys.json")
    }

    /// `(key, body, signature)` of each object of an `hours`-long trail in `bucket`: a log
    /// file and a signed digest per hour (the signature is for object metadata).
    pub fn build(bucket: &str, hours: i64) -> Vec<(String, Vec<u8>, Option<String>)> {
        let key = rsa::RsaPrivateKey::from_pkcs8_pem(
            &std::fs::read_to_string(fixture("test-signing-key.pem")).unwrap(),
        )
        .unwrap();
        let signer = rsa::pkcs1v15::SigningKey::<Sha256>::new(key);
        let fp = PublicKey::load(&keys_file()).unwrap()[0]
            .fingerprint
            .clone();
        let base = cloudtrail::parse_time(BASE).unwrap();
        let mut prev: Option<(String, String, String)> = None;
        let mut out = Vec::new();
        for h in 0..hours {
            let start = base + 3600 * h;
            let start_s = custos::s3::format_time(start);
            let end_s = custos::s3::format_time(start + 3600);
            let compact = end_s.replace(['-', ':'], "");
            let log_key = format!("AWSLogs/111122223333/CloudTrail/us-east-1/2026/01/01/111122223333_CloudTrail_us-east-1_{compact}_{h:04}.json.gz");
            let log =
                format!(r#"{{"Records":[{{"eventName":"GetObject","eventTime":"{start_s}"}}]}}"#);
            let digest_key = format!("AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/01/01/111122223333_CloudTrail-Digest_us-east-1_mgmt_us-east-1_{compact}.json.gz");
            let (pk, ph, ps, alg) = match &prev {
                Some((k, sha, sig)) => (
                    format!("\"{k}\""),
                    format!("\"{sha}\""),
                    format!("\"{sig}\""),
                    "\"SHA-256\"",
                ),
                None => ("null".into(), "null".into(), "null".into(), "null"),
            };
            let pb = if prev.is_some() {
                format!("\"{bucket}\"")
            } else {
                "null".into()
            };
            let digest = format!(
                r#"{{"awsAccountId":"111122223333","digestStartTime":"{start_s}","digestEndTime":"{end_s}","digestS3Bucket":"{bucket}","digestS3Object":"{digest_key}","digestPublicKeyFingerprint":"{fp}","digestSignatureAlgorithm":"SHA256withRSA","previousDigestS3Bucket":{pb},"previousDigestS3Object":{pk},"previousDigestHashValue":{ph},"previousDigestHashAlgorithm":{alg},"previousDigestSignature":{ps},"logFiles":[{{"s3Bucket":"{bucket}","s3Object":"{log_key}","hashValue":"{}","hashAlgorithm":"SHA-256"}}]}}"#,
                to_hex(&Sha256::digest(log.as_bytes())),
            );
            let sha = to_hex(&Sha256::digest(digest.as_bytes()));
            let prev_sig = prev.as_ref().map_or("null".to_owned(), |p| p.2.clone());
            let message = format!("{end_s}\n{bucket}/{digest_key}\n{sha}\n{prev_sig}");
            let sig = to_hex(&signer.sign(message.as_bytes()).to_vec());
            prev = Some((digest_key.clone(), sha, sig.clone()));
            out.push((log_key, gzip(log.as_bytes()), None));
            out.push((digest_key, gzip(digest.as_bytes()), Some(sig)));
        }
        out
    }

    pub fn as_of(hours: i64) -> String {
        custos::s3::format_time(cloudtrail::parse_time(BASE).unwrap() + 3600 * hours + 600)
    }
}

#[test]
fn cloudtrail_digests_are_verified_with_signatures_from_object_metadata() {
    let server = seaweed();
    let s = store(server);
    let b = "trail-meta-b";
    create_bucket(&s, b, false);
    let objects = trail::build(b, 4);
    for (key, body, sig) in &objects {
        let meta: Vec<(&str, &str)> = match sig {
            Some(sig) => vec![
                ("signature", sig.as_str()),
                ("signature-algorithm", "SHA256withRSA"),
            ],
            None => vec![],
        };
        s.put(b, key, body.clone(), &meta).unwrap();
    }
    let keys = trail::keys_file();
    let verify = || {
        let o = custos_with(
            &[
                "chain",
                "verify",
                "--cloudtrail",
                &format!("s3://{b}/AWSLogs/"),
                "--public-keys",
                keys.to_str().unwrap(),
                "--as-of",
                &trail::as_of(4),
                "--endpoint-url",
                &server.endpoint,
                "--format",
                "json",
            ],
            &common::repo(),
        );
        let v: Value = serde_json::from_slice(&o.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", common::stderr(&o)));
        (common::code(&o), v)
    };
    let (code, v) = verify();
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["report"]["digests"], 4);
    assert_eq!(v["report"]["log_files"], 4);
    // A log file deleted from the bucket: tampered, named by its S3 URL.
    let (log_key, _, _) = &objects[2];
    s.block_on(s.client().delete_object().bucket(b).key(log_key).send())
        .unwrap();
    let (code, v) = verify();
    assert_eq!(code, 1);
    let problems = v["report"]["problems"].as_array().unwrap();
    assert!(
        problems.iter().any(|p| p["kind"] == "missing-log-file"
            && p["detail"].as_str().unwrap().contains(log_key.as_str())
            && p["file"]
                .as_str()
                .unwrap()
                .starts_with(&format!("s3://{b}/AWSLogs/"))),
        "{problems:?}"
    );
    // A digest rewritten without its signature metadata: its signature cannot be found.
    let (dkey, dbody, _) = &objects[5];
    s.put(b, dkey, dbody.clone(), &[]).unwrap();
    let (code, v) = verify();
    assert_eq!(code, 1);
    let problems = v["report"]["problems"].as_array().unwrap();
    assert!(
        problems.iter().any(|p| p["kind"] == "bad-signature"
            && p["detail"]
                .as_str()
                .unwrap()
                .contains("x-amz-meta-signature")
            && p["file"] == format!("s3://{b}/{dkey}")),
        "{problems:?}"
    );
}

fn moto_bucket(s: &custos::s3::Store, b: &str, kms_key: Option<&str>) {
    create_bucket(s, b, false);
    let c = s.client();
    s.block_on(
        c.put_bucket_versioning()
            .bucket(b)
            .versioning_configuration(
                VersioningConfiguration::builder()
                    .status(BucketVersioningStatus::Enabled)
                    .build(),
            )
            .send(),
    )
    .expect("versioning");
    s.block_on(
        c.put_bucket_encryption()
            .bucket(b)
            .server_side_encryption_configuration(
                ServerSideEncryptionConfiguration::builder()
                    .rules(
                        ServerSideEncryptionRule::builder()
                            .apply_server_side_encryption_by_default(
                                ServerSideEncryptionByDefault::builder()
                                    .sse_algorithm(if kms_key.is_some() {
                                        ServerSideEncryption::AwsKms
                                    } else {
                                        ServerSideEncryption::Aes256
                                    })
                                    .set_kms_master_key_id(kms_key.map(str::to_owned))
                                    .build()
                                    .unwrap(),
                            )
                            .build(),
                    )
                    .build()
                    .unwrap(),
            )
            .send(),
    )
    .expect("encryption");
}

#[test]
fn posture_calls_seaweedfs_lacks_are_read_from_moto() {
    let server = moto();
    let s = store(server);
    let c = s.client();
    // A well-configured bucket (SSE-KMS with a customer key) except for a public statement.
    moto_bucket(
        &s,
        "posture-full",
        Some("arn:aws:kms:us-east-1:111122223333:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"),
    );
    create_bucket(&s, "posture-logs", false);
    s.block_on(
        c.put_bucket_acl()
            .bucket("posture-logs")
            .grant_write("uri=http://acs.amazonaws.com/groups/s3/LogDelivery")
            .grant_read_acp("uri=http://acs.amazonaws.com/groups/s3/LogDelivery")
            .send(),
    )
    .expect("log delivery ACL");
    s.block_on(
        c.put_public_access_block()
            .bucket("posture-full")
            .public_access_block_configuration(
                PublicAccessBlockConfiguration::builder()
                    .block_public_acls(true)
                    .ignore_public_acls(true)
                    .block_public_policy(true)
                    .restrict_public_buckets(true)
                    .build(),
            )
            .send(),
    )
    .expect("public access block");
    let policy = r#"{"Version":"2012-10-17","Statement":[
        {"Sid":"TlsOnly","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::posture-full","arn:aws:s3:::posture-full/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}},
        {"Sid":"PublicRead","Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::posture-full/*"}]}"#;
    s.block_on(
        c.put_bucket_policy()
            .bucket("posture-full")
            .policy(policy)
            .send(),
    )
    .expect("policy");
    s.block_on(
        c.put_bucket_logging()
            .bucket("posture-full")
            .bucket_logging_status(
                BucketLoggingStatus::builder()
                    .logging_enabled(
                        LoggingEnabled::builder()
                            .target_bucket("posture-logs")
                            .target_prefix("full/")
                            .build()
                            .unwrap(),
                    )
                    .build(),
            )
            .send(),
    )
    .expect("logging");
    let doc = custos::s3::posture::collect(&s, "posture-full", false).unwrap();
    assert_eq!(
        doc["public_access_block"]["status"], "configured",
        "{doc:#}"
    );
    assert_eq!(doc["policy"]["tls_only"], true);
    assert_eq!(doc["policy"]["public_statements"][0]["sid"], "PublicRead");
    assert_eq!(doc["logging"]["target_bucket"], "posture-logs");
    assert_eq!(doc["encryption"]["algorithm"], "aws:kms");
    assert_eq!(doc["unknown"], serde_json::json!([]));
    let (code, v, _) = scan(server, "s3://posture-full/data/", "");
    assert_eq!(code, 1);
    // An empty prefix: no object, but the bucket's posture is still read.
    assert_eq!(rules_at(&v, "s3://posture-full"), ["S3B006"], "{v:#}");

    // A partial public access block, no policy: S3B005 names the setting that is off.
    moto_bucket(&s, "posture-partial", None);
    s.block_on(
        c.put_public_access_block()
            .bucket("posture-partial")
            .public_access_block_configuration(
                PublicAccessBlockConfiguration::builder()
                    .block_public_acls(true)
                    .ignore_public_acls(true)
                    .block_public_policy(false)
                    .restrict_public_buckets(true)
                    .build(),
            )
            .send(),
    )
    .expect("public access block");
    put(&s, "posture-partial", "x.txt", b"x\n");
    let (_, v, _) = scan(server, "s3://posture-partial/", "");
    assert_eq!(
        rules_at(&v, "s3://posture-partial"),
        ["S3B002", "S3B005", "S3B007", "S3B008"],
        "{v:#}"
    );
    let m = findings(&v, "S3B005")[0]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(m.contains("block_public_policy off"), "{m}");
}

/// An audit whose scope is an S3 prefix records each object read as evidence: its key,
/// version id, ETag and the SHA-256 of the bytes the scan read, so a finding traces to exactly
/// that version of the object.
#[test]
fn an_audit_of_an_s3_prefix_records_each_object_version_as_evidence() {
    use sha2::Digest as _;
    let server = seaweed();
    let s = store(server);
    create_bucket(&s, "audit-scope", true);
    let body = b"service: api\npassword: \"Xq9-correct-horse-battery\"\n";
    put(&s, "audit-scope", "conf/app.yaml", body);
    let dir = tempfile::tempdir().unwrap();
    // A chain stored in the bucket, with its second record edited after sealing.
    let plain = "{\"who\":\"a\",\"n\":1}\n{\"who\":\"b\",\"n\":2}\n{\"who\":\"c\",\"n\":3}\n";
    std::fs::write(dir.path().join("plain.jsonl"), plain).unwrap();
    let sealed = custos_with(&["chain", "seal", "plain.jsonl"], dir.path());
    assert_eq!(common::code(&sealed), 0, "{}", common::stderr(&sealed));
    let tampered = common::stdout(&sealed).replacen("\"who\":\"b\"", "\"who\":\"x\"", 1);
    put(&s, "audit-scope", "chains/audit.jsonl", tampered.as_bytes());
    std::fs::write(
        dir.path().join("audit.toml"),
        "name = \"s3 scope\"\noutput = \"out\"\nscan = [\"s3://audit-scope/conf/\"]\n\
         [[chain]]\npath = \"s3://audit-scope/chains/audit.jsonl\"\n",
    )
    .unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_custos"))
        .args(["audit", "--config", "audit.toml"])
        .current_dir(dir.path())
        .envs(s3_server::env())
        .env("AWS_ENDPOINT_URL", &server.endpoint)
        .output()
        .expect("run custos");
    let err = common::stderr(&o);
    assert_eq!(common::code(&o), 1, "{err}");
    let bundle: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("out/bundle.json")).unwrap())
            .unwrap();
    let item = bundle["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["path"] == "s3://audit-scope/conf/app.yaml")
        .unwrap_or_else(|| panic!("no evidence for the object: {:#}", bundle["evidence"]));
    assert_eq!(item["role"], "s3-object");
    let sha = format!("{:x}", sha2::Sha256::digest(body));
    assert_eq!(item["sha256"], sha);
    assert_eq!(item["s3"]["bucket"], "audit-scope");
    assert_eq!(item["s3"]["key"], "conf/app.yaml");
    assert!(
        item["s3"]["version_id"]
            .as_str()
            .is_some_and(|v| !v.is_empty()),
        "{item:#}"
    );
    // The finding in the object points at that evidence.
    let finding = bundle["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == "s3://audit-scope/conf/app.yaml")
        .unwrap_or_else(|| panic!("{:#}", bundle["findings"]));
    assert_eq!(finding["evidence_sha256"], sha);
    // The chain read from S3 is verified (its edited record found) and hashed as evidence.
    let chain_hash = format!("{:x}", sha2::Sha256::digest(tampered.as_bytes()));
    let chain = bundle["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["path"] == "s3://audit-scope/chains/audit.jsonl")
        .unwrap_or_else(|| panic!("no chain evidence: {:#}", bundle["evidence"]));
    assert_eq!(chain["sha256"], chain_hash);
    let edited = bundle["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == "chain-tampered")
        .unwrap_or_else(|| panic!("{:#}", bundle["findings"]));
    assert_eq!(edited["line"], 2);
}
