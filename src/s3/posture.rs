//! A bucket's posture as one JSON document of kind `s3-bucket`, path `s3://bucket`, for the
//! rules under `policies/s3/`.
//!
//! Every section records what the server answered and which call it came from, so a finding
//! can say what evidence it read: `encryption` (GetBucketEncryption), `versioning`
//! (GetBucketVersioning, with MFA delete), `object_lock` (GetObjectLockConfiguration),
//! `public_access_block` (GetPublicAccessBlock), `policy` (GetBucketPolicy, parsed: TLS-only
//! deny, public principals) and `logging` (GetBucketLogging). Each section has a `status`; a
//! call the server refuses or does not implement (access denied, 501) is `"unknown"` with the
//! reason in `error` — never read as compliant: the rules report unknown evidence as its own
//! finding (S3B000).

use serde_json::{json, Map, Value};

use super::client::{classify, ErrorKind, S3Error};
use super::{S3Url, Store};

/// The call behind each section (named in the document and in findings).
pub const CALLS: [(&str, &str); 6] = [
    ("encryption", "GetBucketEncryption"),
    ("versioning", "GetBucketVersioning"),
    ("object_lock", "GetObjectLockConfiguration"),
    ("public_access_block", "GetPublicAccessBlock"),
    ("policy", "GetBucketPolicy"),
    ("logging", "GetBucketLogging"),
];

/// A section for a call that failed: "none" when the configuration simply does not exist,
/// else "unknown" with the reason.
fn failed(call: &str, e: &S3Error, none: Value) -> Value {
    if e.kind == ErrorKind::NotConfigured {
        let mut v = none;
        if let Some(o) = v.as_object_mut() {
            o.insert("call".into(), json!(call));
        }
        return v;
    }
    json!({"status": "unknown", "call": call, "error": e.to_string(), "error_kind": e.kind})
}

/// Collect the posture of `bucket`. `audit_log` marks a bucket that holds audit logs (named in
/// `[s3] audit_logs` or by the caller), for the rules that apply only to those. Fails only
/// when the bucket itself cannot be reached; a failing posture call is recorded as unknown.
pub fn collect(store: &Store, bucket: &str, audit_log: bool) -> Result<Value, S3Error> {
    store.check_bucket(bucket)?;
    let target = S3Url::bucket_url(bucket);
    let c = store.client();
    let (enc, ver, lock, pab, pol, log) = store.block_on(async {
        tokio::join!(
            c.get_bucket_encryption().bucket(bucket).send(),
            c.get_bucket_versioning().bucket(bucket).send(),
            c.get_object_lock_configuration().bucket(bucket).send(),
            c.get_public_access_block().bucket(bucket).send(),
            c.get_bucket_policy().bucket(bucket).send(),
            c.get_bucket_logging().bucket(bucket).send(),
        )
    });

    let encryption = match enc {
        Ok(o) => {
            let rule = o
                .server_side_encryption_configuration()
                .and_then(|c| c.rules().first());
            let default = rule.and_then(|r| r.apply_server_side_encryption_by_default());
            match default {
                Some(d) => json!({
                    "status": "enabled",
                    "call": CALLS[0].1,
                    "algorithm": d.sse_algorithm().as_str(),
                    "kms_key": d.kms_master_key_id(),
                    "bucket_key": rule.and_then(aws_sdk_s3::types::ServerSideEncryptionRule::bucket_key_enabled),
                }),
                None => json!({"status": "none", "call": CALLS[0].1}),
            }
        }
        Err(e) => failed(
            CALLS[0].1,
            &classify(&e, &target),
            json!({"status": "none"}),
        ),
    };
    let versioning = match ver {
        Ok(o) => json!({
            "status": o.status().map_or("Off", |s| s.as_str()),
            "mfa_delete": o.mfa_delete().map_or("Disabled", |s| s.as_str()),
            "call": CALLS[1].1,
        }),
        Err(e) => failed(CALLS[1].1, &classify(&e, &target), json!({"status": "Off"})),
    };
    let object_lock = match lock {
        Ok(o) => {
            let cfg = o.object_lock_configuration();
            let enabled = cfg
                .and_then(|c| c.object_lock_enabled())
                .is_some_and(|e| e.as_str() == "Enabled");
            let retention = cfg
                .and_then(|c| c.rule())
                .and_then(|r| r.default_retention());
            json!({
                "status": if enabled { "enabled" } else { "none" },
                "call": CALLS[2].1,
                "mode": retention.and_then(|r| r.mode()).map(aws_sdk_s3::types::ObjectLockRetentionMode::as_str),
                "days": retention.and_then(aws_sdk_s3::types::DefaultRetention::days),
                "years": retention.and_then(aws_sdk_s3::types::DefaultRetention::years),
            })
        }
        Err(e) => failed(
            CALLS[2].1,
            &classify(&e, &target),
            json!({"status": "none", "mode": null, "days": null, "years": null}),
        ),
    };
    let public_access_block = match pab {
        Ok(o) => {
            let c = o.public_access_block_configuration();
            let flag = |f: Option<bool>| f.unwrap_or(false);
            json!({
                "status": "configured",
                "call": CALLS[3].1,
                "block_public_acls": flag(c.and_then(aws_sdk_s3::types::PublicAccessBlockConfiguration::block_public_acls)),
                "ignore_public_acls": flag(c.and_then(aws_sdk_s3::types::PublicAccessBlockConfiguration::ignore_public_acls)),
                "block_public_policy": flag(c.and_then(aws_sdk_s3::types::PublicAccessBlockConfiguration::block_public_policy)),
                "restrict_public_buckets": flag(c.and_then(aws_sdk_s3::types::PublicAccessBlockConfiguration::restrict_public_buckets)),
            })
        }
        Err(e) => failed(
            CALLS[3].1,
            &classify(&e, &target),
            json!({"status": "none"}),
        ),
    };
    let policy = match pol {
        Ok(o) => match o.policy() {
            Some(text) => analyse_policy(text),
            None => json!({"status": "none"}),
        },
        Err(e) => failed(
            CALLS[4].1,
            &classify(&e, &target),
            json!({"status": "none"}),
        ),
    };
    let policy = with_call(policy, CALLS[4].1);
    let logging = match log {
        Ok(o) => match o.logging_enabled() {
            Some(l) => json!({
                "status": "enabled",
                "call": CALLS[5].1,
                "target_bucket": l.target_bucket(),
                "target_prefix": l.target_prefix(),
            }),
            None => json!({"status": "disabled", "call": CALLS[5].1}),
        },
        Err(e) => failed(
            CALLS[5].1,
            &classify(&e, &target),
            json!({"status": "disabled"}),
        ),
    };
    let mut doc = Map::new();
    doc.insert("bucket".into(), json!(bucket));
    doc.insert("endpoint".into(), json!(store.endpoint));
    doc.insert("region".into(), json!(store.region));
    doc.insert("audit_log".into(), json!(audit_log));
    doc.insert("encryption".into(), encryption);
    doc.insert("versioning".into(), versioning);
    doc.insert("object_lock".into(), object_lock);
    doc.insert("public_access_block".into(), public_access_block);
    doc.insert("policy".into(), policy);
    doc.insert("logging".into(), logging);
    let unknown: Vec<&str> = CALLS
        .iter()
        .filter(|(k, _)| doc.get(*k).and_then(|s| s.get("status")) == Some(&json!("unknown")))
        .map(|(k, _)| *k)
        .collect();
    doc.insert("unknown".into(), json!(unknown));
    Ok(Value::Object(doc))
}

fn with_call(mut v: Value, call: &str) -> Value {
    if let Some(o) = v.as_object_mut() {
        o.entry("call").or_insert_with(|| json!(call));
    }
    v
}

/// A list from a value that IAM writes as a string or a list of strings.
fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}

/// Is a statement's principal everyone (`"*"` or `{"AWS": "*"}`)?
fn public_principal(p: Option<&Value>) -> bool {
    match p {
        Some(Value::String(s)) => s == "*",
        Some(Value::Object(o)) => o
            .get("AWS")
            .is_some_and(|a| strings(Some(a)).iter().any(|s| s == "*")),
        _ => false,
    }
}

/// The parts of a bucket policy the rules read: whether a statement denies every request
/// without TLS (`aws:SecureTransport` = false), and which Allow statements name a public
/// principal without a condition narrowing it.
pub fn analyse_policy(text: &str) -> Value {
    let parsed: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            return json!({"status": "unknown", "error": format!("the bucket policy is not JSON: {e}")})
        }
    };
    let statements: Vec<Value> = match parsed.get("Statement") {
        Some(Value::Array(a)) => a.clone(),
        Some(o @ Value::Object(_)) => vec![o.clone()],
        _ => Vec::new(),
    };
    let mut tls_only = false;
    let mut public = Vec::new();
    for (i, s) in statements.iter().enumerate() {
        let effect = s.get("Effect").and_then(Value::as_str).unwrap_or_default();
        let actions = strings(s.get("Action"));
        let all_actions = actions.iter().any(|a| a == "*" || a == "s3:*");
        let cond = s.get("Condition");
        let secure_false = cond
            .and_then(|c| c.get("Bool"))
            .and_then(|b| b.get("aws:SecureTransport"))
            .is_some_and(|v| {
                strings(Some(v))
                    .iter()
                    .any(|x| x.eq_ignore_ascii_case("false"))
                    || v == &json!(false)
            });
        if effect == "Deny" && all_actions && public_principal(s.get("Principal")) && secure_false {
            tls_only = true;
        }
        if effect == "Allow" && public_principal(s.get("Principal")) && cond.is_none() {
            public.push(json!({
                "index": i,
                "sid": s.get("Sid").and_then(Value::as_str),
                "actions": actions,
            }));
        }
    }
    json!({
        "status": "present",
        "statements": statements.len(),
        "tls_only": tls_only,
        "public_statements": public,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_analysis() {
        let tls = r#"{"Statement":[{"Sid":"TLS","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}"#;
        let v = analyse_policy(tls);
        assert_eq!(v["tls_only"], true);
        assert_eq!(v["public_statements"], json!([]));
        let public = r#"{"Statement":{"Sid":"Pub","Effect":"Allow","Principal":{"AWS":["*"]},"Action":"s3:GetObject"}}"#;
        let v = analyse_policy(public);
        assert_eq!(v["tls_only"], false);
        assert_eq!(v["public_statements"][0]["sid"], "Pub");
        // A condition narrows a public principal (e.g. to an organisation): not listed.
        let org = r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-1"}}}]}"#;
        assert_eq!(analyse_policy(org)["public_statements"], json!([]));
        assert_eq!(analyse_policy("not json")["status"], "unknown");
    }
}
