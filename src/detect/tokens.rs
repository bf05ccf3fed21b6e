//! Credential-shaped tokens in free text, for masking rather than reporting.
//!
//! The rules in [`super::secrets`] report what they can name. A log excerpt must not leak what
//! they cannot (a key from an unknown vendor, a token pasted into a prompt), so the log writer
//! also masks every token that is long and random enough to be a credential. Masking costs
//! little, so this errs towards masking: hex digests, UUIDs and JWTs are masked too. It does not
//! mask plain words and identifiers (`feature_store_registry`, `getUserNameFromToken`), numbers
//! and dates, or paths and host names made of words, so an excerpt stays readable.
//!
//! UUIDs are masked on purpose: several services issue UUID-shaped API keys (Heroku, Postmark
//! server tokens and many `X-Api-Key` schemes), and a masked request id in an excerpt loses
//! little because the finding keeps its file and line.

use std::ops::Range;

use super::shannon_entropy;

/// Shortest token that is considered.
pub const MIN_TOKEN_LEN: usize = 16;

/// Characters of a token: base64 (standard and URL-safe), JWT dots, `~` of some API keys.
/// `=` belongs to a token only as trailing padding, so `key=Zq8L…` yields the value alone.
fn is_token_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'_' | b'-' | b'.' | b'~')
}

/// Byte ranges of every token in `line` of [`MIN_TOKEN_LEN`]+ characters whose make-up and
/// entropy are those of a credential. Ranges are sorted, disjoint and on char boundaries.
pub fn high_entropy_tokens(line: &str) -> Vec<Range<usize>> {
    let b = line.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if !is_token_byte(b[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && is_token_byte(b[i]) {
            i += 1;
        }
        let token_end = i;
        while i < b.len() && b[i] == b'=' {
            i += 1;
        }
        // Separators at either end are not part of the token; padding is, when it ends it.
        let mut s = start;
        while s < token_end && matches!(b[s], b'.' | b'-' | b'_' | b'/' | b'~') {
            s += 1;
        }
        let mut end = token_end;
        while end > s && matches!(b[end - 1], b'.' | b'-' | b'_' | b'/' | b'~') {
            end -= 1;
        }
        if end == token_end {
            end = i;
        }
        if let Some(tok) = line.get(s..end) {
            if is_credential_like(tok) {
                out.push(s..end);
            }
        }
    }
    out
}

/// Is this one token (no spaces) random enough to be a credential?
pub fn is_credential_like(tok: &str) -> bool {
    let body = tok.trim_end_matches('=');
    if body.len() < MIN_TOKEN_LEN {
        return false;
    }
    let has_digit = body.bytes().any(|c| c.is_ascii_digit());
    let has_lower = body.bytes().any(|c| c.is_ascii_lowercase());
    let has_upper = body.bytes().any(|c| c.is_ascii_uppercase());
    let has_b64_sym = body.bytes().any(|c| matches!(c, b'+' | b'/'));
    // Numbers and dates; words and identifiers (no digit at all, unless base64 symbols and mixed
    // case make it a blob).
    if !(has_lower || has_upper) {
        return false;
    }
    if !(has_digit || has_b64_sym && has_lower && has_upper) {
        return false;
    }
    // Words and numbers joined by separators: `support-v2-model-2024`, `release_2024_11_22`.
    if body
        .split(|c: char| !c.is_ascii_alphanumeric())
        .all(is_word_or_number)
    {
        return false;
    }
    let hex = body
        .bytes()
        .all(|c| c.is_ascii_hexdigit() || matches!(c, b'-' | b'_' | b'.'));
    let threshold = match (hex, body.len()) {
        (true, n) if n < 24 => 2.7,
        (true, _) => 3.0,
        (false, n) if n < 20 => 3.0,
        (false, n) if n < 32 => 3.3,
        (false, _) => 3.6,
    };
    shannon_entropy(body) >= threshold
}

/// `model`, `2024`, `v2`, `ipv4`, `python3`, `sha256`, `k8s`, `3d`: a segment a person wrote,
/// not a random one.
fn is_word_or_number(seg: &str) -> bool {
    let b = seg.as_bytes();
    if b.len() <= 3 || b.iter().all(u8::is_ascii_digit) {
        return true;
    }
    let letters = b.iter().take_while(|c| c.is_ascii_alphabetic()).count();
    if letters > 0
        && b[letters..].len() <= 3
        && b[letters..].iter().all(u8::is_ascii_digit)
        && is_wordlike(&seg[..letters])
    {
        return true;
    }
    let digits = b.iter().take_while(|c| c.is_ascii_digit()).count();
    (1..=4).contains(&digits)
        && (1..=3).contains(&(b.len() - digits))
        && b[digits..].iter().all(u8::is_ascii_alphabetic)
}

/// Letters as people write them: lower case, Capitalised, UPPER, or camelCase whose humps are
/// three or more letters long (`getUserName`); random mixed case has short humps (`KqrJxTmZ`).
fn is_wordlike(s: &str) -> bool {
    let humps = super::literal::segments(s);
    let letters: usize = humps.iter().map(|h| h.len()).sum();
    letters >= 3 * humps.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn masked(line: &str) -> Vec<&str> {
        high_entropy_tokens(line)
            .into_iter()
            .map(|r| &line[r])
            .collect()
    }

    #[test]
    fn credentials_are_masked() {
        for (line, want) in [
            (
                "aws secret wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY here",
                "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            ),
            (
                "{\"prompt\":\"use Kq3rJ9xT0mZ8vLw2Yp5Nc7Hd1Fg4Bs6Ae9Ui0Ok2 please\"}",
                "Kq3rJ9xT0mZ8vLw2Yp5Nc7Hd1Fg4Bs6Ae9Ui0Ok2",
            ),
            (
                "GET /x?key=Zq8Lm2Xw9Kt3Rp6Vb1Hs HTTP/1.1",
                "Zq8Lm2Xw9Kt3Rp6Vb1Hs",
            ),
            (
                "token glpat-x7Kq2Lm9Zt3Rp6Vb1Hs5J.",
                "glpat-x7Kq2Lm9Zt3Rp6Vb1Hs5J",
            ),
            (
                "fernet Zq8Lm2Xw9Kt3Rp6Vb1Hs5Jf0Ga8Ye2Qn4Mc7Ud1Wo3T= ok",
                "Zq8Lm2Xw9Kt3Rp6Vb1Hs5Jf0Ga8Ye2Qn4Mc7Ud1Wo3T=",
            ),
            (
                "sha 3e26d6750975d678acb8fa35a0f69237881576b0",
                "3e26d6750975d678acb8fa35a0f69237881576b0",
            ),
            (
                "req 550e8400-e29b-41d4-a716-446655440000 done",
                "550e8400-e29b-41d4-a716-446655440000",
            ),
            (
                "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.Zq8Lm2Xw9Kt3Rp6Vb1Hs",
                "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.Zq8Lm2Xw9Kt3Rp6Vb1Hs",
            ),
            ("id 9f8e7d6c5b4a3210", "9f8e7d6c5b4a3210"),
        ] {
            assert_eq!(masked(line), [want], "{line}");
        }
    }

    #[test]
    fn words_numbers_and_paths_are_not() {
        for line in [
            "2026-11-22T06:00:00Z INFO loaded model from s3://acme-models/v3",
            "feature_store_registry getUserNameFromToken internationalization",
            "ts 1700000000000000000 build 20261122T060000 release_2024_11_22",
            "support-v2-model-2024 /usr/local/lib/python3.11/site-packages",
            "host warehouse.internal.example.com user ana.lopez@globex-mail.com",
            "short Zq8Lm2Xw9K",
            "aaaaaaaaaaaaaaaaaaaaaaaa1",
        ] {
            assert_eq!(masked(line), Vec::<&str>::new(), "{line}");
        }
    }

    #[test]
    fn ranges_are_on_char_boundaries_in_unicode_text() {
        let line = "clé Zq8Lm2Xw9Kt3Rp6Vb1Hs — naïve";
        let r = high_entropy_tokens(line);
        assert_eq!(r.len(), 1);
        assert_eq!(&line[r[0].clone()], "Zq8Lm2Xw9Kt3Rp6Vb1Hs");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]
        /// Any text: ranges are ordered, disjoint, on char boundaries, and each is a token
        /// that [`is_credential_like`] accepts.
        #[test]
        fn ranges_are_sound_on_any_text(line in "(\\PC|[A-Za-z0-9+/=_.~-]){0,120}") {
            let mut last = 0;
            for r in high_entropy_tokens(&line) {
                proptest::prop_assert!(r.start >= last && r.start < r.end);
                proptest::prop_assert!(line.is_char_boundary(r.start) && line.is_char_boundary(r.end));
                proptest::prop_assert!(is_credential_like(&line[r.clone()]));
                last = r.end;
            }
        }
    }
}
