//! What a value is, once a rule has found it under a credential-named key: a literal credential,
//! or something that only looks like one because of where it stands.
//!
//! The generic rule (SEC024) sees every `<credential-word> = <value>` in every file, so most of
//! its precision lives here. Each predicate names one class of value that is not a credential
//! however it is assigned: a digest of known length, a reference to a secret kept elsewhere (a
//! Vault path, an ARN, a variable or Kubernetes Secret name), an identifier, a type annotation,
//! a phrase or a few plain words, a number. The predicates look at the value alone (or at the
//! value and its key); where the value stands in a file is the caller's concern.

/// Word segments of a value: split on every non-alphanumeric character and on case changes
/// (`dbPassword` → `db`, `Password`; `DBPassword` → `DB`, `Password`; `feast_pass` → `feast`,
/// `pass`). Digits stay with the letters they touch.
pub fn segments(v: &str) -> Vec<&str> {
    let b = v.as_bytes();
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    for i in 0..b.len() {
        let c = b[i];
        if !c.is_ascii_alphanumeric() {
            if let Some(s) = start.take() {
                out.push(&v[s..i]);
            }
            continue;
        }
        match start {
            None => start = Some(i),
            Some(s) if i > s && c.is_ascii_uppercase() => {
                let prev = b[i - 1];
                let next_lower = b.get(i + 1).is_some_and(u8::is_ascii_lowercase);
                // lower/digit → Upper, or the last capital of a run before a lower-case letter.
                if !prev.is_ascii_uppercase() || next_lower {
                    out.push(&v[s..i]);
                    start = Some(i);
                }
            }
            Some(_) => {}
        }
    }
    if let Some(s) = start {
        out.push(&v[s..]);
    }
    out
}

/// Words that name a credential (compared against lower-cased segments).
const CREDENTIAL_WORDS: &[&str] = &[
    "password",
    "passwd",
    "passphrase",
    "pass",
    "pwd",
    "secret",
    "secrets",
    "token",
    "tokens",
    "key",
    "keys",
    "apikey",
    "credential",
    "credentials",
    "creds",
    "jwt",
];

/// Is this segment a credential word, or a word built on one (`dbpassword`, `apitoken`)?
fn is_credential_segment(seg: &str) -> bool {
    let s = seg.to_ascii_lowercase();
    CREDENTIAL_WORDS.iter().any(|w| {
        s == *w || (w.len() >= 5 && (s.starts_with(w) || s.ends_with(w)) && s.len() <= w.len() + 8)
    })
}

/// An `UPPER_SNAKE` identifier (`DB_PASSWORD`, `_REDIS_PASSWORD_`, `INSERT_KEY_HERE`) names a
/// variable or is a fill-in marker; it is never the secret itself.
pub fn is_upper_snake(v: &str) -> bool {
    let core = v.trim_matches('_');
    core.contains('_')
        && core.starts_with(|c: char| c.is_ascii_uppercase())
        && core
            .bytes()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == b'_')
}

/// An identifier of several words, one of them a credential word, without digits:
/// `user_password`, `feast_password`, `dbPassword`, `Client_Secret`, `my-secret-key`.
/// A value like that names the credential (a variable, a key, a Kubernetes Secret) rather than
/// being one. `Passw0rd1` and `s3cr3t-redis` are not names: they have digits.
pub fn is_credential_name(v: &str) -> bool {
    if !v
        .bytes()
        .all(|c| c.is_ascii_alphabetic() || matches!(c, b'_' | b'-' | b'.'))
    {
        return false;
    }
    let segs = segments(v);
    segs.len() >= 2 && segs.iter().any(|s| is_credential_segment(s))
}

/// Plain words: letters only, joined by separators (`airflow-secrets`, `must-not-match`,
/// `idp-issued-jwt`, `demo/cluster-ops`, `Where do I`). Random tokens have digits or short,
/// choppy case-changes (`KqrJxTmZ` splits into segments of two); words average three or more
/// letters per segment.
pub fn is_words(v: &str) -> bool {
    if !v.bytes().any(|c| c.is_ascii_alphabetic())
        || !v
            .bytes()
            .all(|c| c.is_ascii_alphabetic() || b"-_./: ~@".contains(&c))
    {
        return false;
    }
    let segs = segments(v);
    let letters: usize = segs.iter().map(|s| s.len()).sum();
    !segs.is_empty() && letters >= 3 * segs.len()
}

/// A file path: absolute, relative (`./`, `../`, `~/`), a Windows path, or words joined by
/// slashes (`reference/profiles/UserPassword.html`). A path says where a secret is kept.
pub fn is_path(v: &str) -> bool {
    let b = v.as_bytes();
    v.starts_with(['/', '\\'])
        || v.starts_with("./")
        || v.starts_with("../")
        || v.starts_with("~/")
        || (b.len() > 2 && b[0].is_ascii_alphabetic() && b[1] == b':' && b[2] == b'\\')
        || (v.contains('/') && is_words(v))
}

/// Words that mark a value as made up for a test or a doc: `fake_value_for_tests`, `fake-token`.
pub fn is_made_up(v: &str) -> bool {
    is_words(v)
        && segments(v).iter().any(|s| {
            matches!(
                s.to_ascii_lowercase().as_str(),
                "mock" | "mocked" | "fake" | "dummy" | "placeholder" | "sample" | "bogus"
            )
        })
}

/// Digits only (with `.`/`-`/`_` separators): a count, a port, an id, a date.
pub fn is_number(v: &str) -> bool {
    v.bytes().any(|c| c.is_ascii_digit())
        && v.bytes()
            .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'-' | b'_' | b','))
}

/// A version or version range: `2.0.0-rc.20240315`, `^9.0.6`, `v1.30.2+k3s1`. Lock files and
/// manifests pair package names like `csrf-token` or `jsonwebtoken` with these.
pub fn is_version(v: &str) -> bool {
    let t = v.trim_start_matches(['^', '~', '=', '<', '>', 'v', 'V']);
    let core_len = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let core = &t[..core_len];
    let parts: Vec<&str> = core.split('.').collect();
    if !(2..=4).contains(&parts.len()) || parts.iter().any(|p| p.is_empty()) {
        return false;
    }
    let rest = &t[core_len..];
    if rest.is_empty() {
        return true;
    }
    rest.starts_with(['-', '+'])
        && rest[1..]
            .split(['.', '-', '+'])
            .all(|id| !id.is_empty() && (id.len() <= 8 || is_number(id) || is_words(id)))
}

/// Lengths in hex digits of common digests: MD5, SHA-1, SHA-224, SHA-256, SHA-384, SHA-512.
const DIGEST_HEX_LENGTHS: &[usize] = &[32, 40, 56, 64, 96, 128];
/// Lengths in base64 (padded or not) of SHA-1, SHA-256, SHA-384 and SHA-512 digests.
const DIGEST_B64_LENGTHS: &[usize] = &[27, 28, 43, 44, 64, 86, 88];

/// A digest: hex of a digest length, optionally `algo:`/`algo=`-prefixed (`sha256:ab…`), a
/// Subresource-Integrity value (`sha512-…`), or a go.sum `h1:` hash. A digest of a secret is
/// not the secret (detect-secrets baselines store exactly that), and lock files are full of them.
pub fn is_digest(v: &str) -> bool {
    let lower = v.to_ascii_lowercase();
    for prefix in [
        "sha1", "sha224", "sha256", "sha384", "sha512", "md5", "h1", "blake2b", "sha3",
    ] {
        if let Some(rest) = lower.strip_prefix(prefix) {
            if let Some(body) = rest.strip_prefix(['-', ':', '=']) {
                let raw = &v[v.len() - body.len()..];
                return is_hex_digest(body) || is_b64_digest(raw);
            }
        }
    }
    is_hex_digest(v)
}

fn is_hex_digest(v: &str) -> bool {
    DIGEST_HEX_LENGTHS.contains(&v.len()) && v.bytes().all(|c| c.is_ascii_hexdigit())
}

fn is_b64_digest(v: &str) -> bool {
    let body = v.trim_end_matches('=');
    (DIGEST_B64_LENGTHS.contains(&v.len()) || DIGEST_B64_LENGTHS.contains(&body.len()))
        && body
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'-' | b'_'))
}

/// Does the key say its value is a digest (`hashed_secret`, `token_sha256`, `api_key_digest`,
/// `integrity`)? Matched on whole segments, so `shared_secret` is not a `sha` key.
pub fn is_digest_key(key: &str) -> bool {
    segments(key).iter().any(|s| {
        let s = s.to_ascii_lowercase();
        matches!(
            s.as_str(),
            "hash" | "hashed" | "digest" | "checksum" | "integrity" | "md5" | "sha" | "fingerprint"
        ) || (s.starts_with("sha") && s.len() > 3 && s[3..].bytes().all(|c| c.is_ascii_digit()))
            || s.ends_with("hash")
            || s.ends_with("checksum")
    })
}

/// A type, not a value: `Option<String>`, `Secret<String>`, `[]string`, `*string`, `&str`,
/// `string | undefined`, `SecretStr`.
pub fn is_type_expr(v: &str) -> bool {
    let t = v.trim_start_matches(['&', '*', '?', '[', ']']);
    let ident_start = t.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_');
    if !ident_start {
        return false;
    }
    if t.contains('<') && t.ends_with('>') {
        return true;
    }
    let lower = t.trim_end_matches('?').to_ascii_lowercase();
    (t.len() < v.len() && t.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_'))
        || matches!(
            lower.as_str(),
            "secretstr"
                | "secretstring"
                | "secretbytes"
                | "number"
                | "object"
                | "any"
                | "char"
                | "long"
                | "float"
                | "double"
                | "uuid"
                | "pathbuf"
                | "path"
                | "optional"
                | "boolean"
        )
}

/// A URL that points somewhere without carrying anything random: `https://auth.example.com/token`.
/// (Userinfo passwords and query secrets have their own rules.)
pub fn is_plain_url(v: &str) -> bool {
    let Some((scheme, rest)) = v.split_once("://") else {
        return false;
    };
    !scheme.is_empty()
        && scheme
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'+')
        && !rest.contains('@')
        && rest
            .split(|c: char| !c.is_ascii_alphanumeric())
            .all(|s| s.len() <= 4 || is_words(s) || is_number(s))
}

/// Key endings (lower case, separators removed) of pagination cursors.
const CURSORS: &[&str] = &[
    "pagetoken",
    "nexttoken",
    "prevtoken",
    "previoustoken",
    "continuationtoken",
    "paginationtoken",
    "cursortoken",
    "resumetoken",
    "pagingtoken",
];

/// Key endings (lower case, separators removed) of tokens that identify a request or a
/// version rather than authenticate anyone: AWS idempotency tokens (`ClientToken`,
/// `client_request_token`, `IdempotencyToken`) make a retried call run once, and version or
/// concurrency tokens (`versionToken`) guard an update against a concurrent one. Whoever holds
/// one can do nothing with it.
const REQUEST_TOKENS: &[&str] = &[
    "clienttoken",
    "clientrequesttoken",
    "idempotencytoken",
    "versiontoken",
    "concurrencytoken",
];

/// Keys whose value is not a credential even though the key ends in a credential word: page
/// cursors (`nextPageToken`, `page_token`, `continuation_token`), idempotency and version
/// tokens (`ClientToken`, `client_request_token`, `version_token`), and switches that say a
/// password is absent (`NOPASSWD`, `ALLOW_EMPTY_PASSWORD`).
pub fn is_non_credential_key(key: &str) -> bool {
    let k: String = key
        .bytes()
        .filter(u8::is_ascii_alphanumeric)
        .map(|c| char::from(c.to_ascii_lowercase()))
        .collect();
    if CURSORS.iter().chain(REQUEST_TOKENS).any(|c| k.ends_with(c)) {
        return true;
    }
    k.starts_with("nopass")
        || k.starts_with("allowempty")
        || k.starts_with("emptypass")
        || k.starts_with("withoutpass")
        || k.starts_with("skippass")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_split_on_separators_and_case() {
        assert_eq!(segments("dbPassword"), ["db", "Password"]);
        assert_eq!(segments("DBPassword"), ["DB", "Password"]);
        assert_eq!(segments("feast_pass"), ["feast", "pass"]);
        assert_eq!(segments("_REDIS_PASSWORD_"), ["REDIS", "PASSWORD"]);
        assert_eq!(segments("x7Kq2Lm"), ["x7", "Kq2", "Lm"]);
    }

    #[test]
    fn names_words_and_identifiers() {
        for v in [
            "user_password",
            "feast_password",
            "dbPassword",
            "Client_Secret",
            "my-secret-key",
            "readonly_password",
            "password_test",
        ] {
            assert!(is_credential_name(v), "{v}");
        }
        for v in [
            "Passw0rd1",
            "s3cr3t-redis",
            "mysecretpassword",
            "hunter2",
            "Summer2024!",
        ] {
            assert!(!is_credential_name(v), "{v}");
        }
        for v in [
            "DB_PASSWORD",
            "_REDIS_PASSWORD_",
            "INSERT_KEY_HERE",
            "ES_PASSWORD",
        ] {
            assert!(is_upper_snake(v), "{v}");
        }
        for v in ["HUNTER2", "Db_Password", "ab_cd", "_"] {
            assert!(!is_upper_snake(v), "{v}");
        }
        for v in [
            "airflow-secrets",
            "must-not-match",
            "idp-issued-jwt",
            "demo/cluster-ops",
            "wrong-key",
        ] {
            assert!(is_words(v), "{v}");
        }
        for v in [
            "KqrJxTmZvLwY",
            "Zq8Lm2Xw9Kt3Rp6Vb1Hs",
            "f9a8b7c6d5e4f3a2b1c0",
            "x7-Kq",
        ] {
            assert!(!is_words(v), "{v}");
        }
    }

    #[test]
    fn digests_and_digest_keys() {
        for v in [
            "3e26d6750975d678acb8fa35a0f69237881576b0",
            "d41d8cd98f00b204e9800998ecf8427e",
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            "sha512-z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg==",
            "sha1-Aa3ZvHXu8TmD1bBqG1lCgLBlmSw=",
            "h1:Zq8Lm2Xw9Kt3Rp6Vb1Hs5Jf0Ga8Ye2Qn4Mc7Ud1Wo3T=",
        ] {
            assert!(is_digest(v), "{v}");
        }
        for v in [
            "f9a8b7c6d5e4f3a2b1c0",
            "Zq8Lm2Xw9Kt3Rp6Vb1Hs5Jf0Ga8Ye2Qn4Mc7Ud1Wo",
            "sha256:short",
        ] {
            assert!(!is_digest(v), "{v}");
        }
        for k in [
            "hashed_secret",
            "token_sha256",
            "api_key_digest",
            "secretHash",
            "integrity",
        ] {
            assert!(is_digest_key(k), "{k}");
        }
        for k in [
            "shared_secret",
            "sharepoint_token",
            "password",
            "client_secret",
        ] {
            assert!(!is_digest_key(k), "{k}");
        }
    }

    #[test]
    fn types_urls_numbers_and_keys() {
        for v in ["Option<String>", "[]string", "*string", "&str", "SecretStr"] {
            assert!(is_type_expr(v), "{v}");
        }
        for v in ["hunter2", "Summer2024!", "Zq8Lm2Xw9K"] {
            assert!(!is_type_expr(v), "{v}");
        }
        assert!(is_plain_url("https://auth.example.com/oauth/token"));
        assert!(!is_plain_url(
            "https://discord.com/api/webhooks/1234/Zq8Lm2Xw9Kt3Rp6Vb1Hs5Jf0"
        ));
        assert!(is_number("4096") && is_number("2024-01-15") && !is_number("a1"));
        for v in [
            "/run/secrets/db",
            "../reference/profiles/UserPassword.html",
            "./certs/key.pem",
            "C:\\secrets\\db.txt",
            "conf/keys/api-token",
        ] {
            assert!(is_path(v), "{v}");
        }
        for v in ["hunter2", "Pa55/word9", "Zq8L/m2Xw9Kt3Rp6"] {
            assert!(!is_path(v), "{v}");
        }
        for v in [
            "2.0.0-rc.20240315",
            "^9.0.6",
            "v1.30.2+k3s1",
            "10.1.0-beta.1",
        ] {
            assert!(is_version(v), "{v}");
        }
        for v in ["1.2.3-Zq8Lm2Xw9Kt3Rp6Vb", "2024", "1..2", "Zq8Lm2Xw9K"] {
            assert!(!is_version(v), "{v}");
        }
        assert!(is_made_up("fake_value_for_tests") && is_made_up("fake-token"));
        assert!(!is_made_up("mock-Pr0d-1") && !is_made_up("hunter"));
        for k in [
            "nextPageToken",
            "page_token",
            "next_token",
            "continuation_token",
            "ClientToken",
            "client_request_token",
            "IdempotencyToken",
            "versionToken",
            "NOPASSWD",
            "ALLOW_EMPTY_PASSWORD",
        ] {
            assert!(is_non_credential_key(k), "{k}");
        }
        for k in [
            "token",
            "access_token",
            "id_token",
            "DB_PASSWORD",
            "session_token",
            "refresh_token",
            "client_secret",
        ] {
            assert!(!is_non_credential_key(k), "{k}");
        }
    }
}
