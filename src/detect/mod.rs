//! Detectors: secrets and personal data in text, in Rust, shared by the scan (which turns
//! detections into findings), Rego policies (as `custos.secrets` / `custos.pii` builtins) and
//! `custos redact`.
//!
//! A detection is a rule or entity id and a byte range; the matched value itself never leaves
//! this module except through [`preview`] and [`mask`], which keep a short prefix only.
//! [`high_entropy_tokens`] finds what no rule names but an excerpt must still mask.

pub mod literal;
pub mod pii;
pub mod secrets;
pub mod tokens;

pub use tokens::high_entropy_tokens;

/// Controls a hardcoded credential violates (every secret rule).
pub const SECRET_CONTROLS: &[&str] = &[
    "SOC2:CC6.1",
    "ISO27001:A.5.17",
    "ISO27001:A.8.12",
    "NIST-800-53:IA-5",
];
/// What to do about a hardcoded credential.
pub const SECRET_REMEDIATION: &str =
    "Remove the value from the file and its history, rotate it, and load it at run time from a secret store or the environment.";
/// Controls unredacted personal data in a log violates (every PII rule).
pub const PII_CONTROLS: &[&str] = &[
    "GDPR:Art.5(1)(c)",
    "GDPR:Art.32",
    "SOC2:P4.1",
    "ISO27001:A.8.11",
];
/// What to do about personal data in a log.
pub const PII_REMEDIATION: &str =
    "Redact personal data before it is logged (e.g. pipe the log through `custos redact`), and purge the affected log files.";

/// The title of a detector rule (a secret rule's, or `Unredacted NAME in a log` for a PII
/// entity); the rule id itself for an unknown id.
pub fn title(rule: &str) -> String {
    if let Some(r) = secrets::rule(rule) {
        return r.title.to_owned();
    }
    pii::ENTITIES.iter().find(|e| e.1 == rule).map_or_else(
        || rule.to_owned(),
        |e| format!("Unredacted {} in a log", e.2),
    )
}

/// One match: which rule or entity, and the byte range of the sensitive value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Detection {
    pub rule: &'static str,
    pub start: usize,
    pub end: usize,
}

/// Shannon entropy in bits per character.
pub fn shannon_entropy(s: &str) -> f64 {
    if s.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for b in s.bytes() {
        counts[usize::from(b)] += 1;
    }
    #[allow(clippy::cast_precision_loss)]
    let n = s.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / n;
            -p * p.log2()
        })
        .sum()
}

/// Lower-case starts of fill-in instructions: `INSERT_KEY`, `enter-your-token`, `set-me`.
const FILL_INS: &[&str] = &[
    "insert",
    "enter-",
    "enter_",
    "replace-",
    "replace_",
    "update-this",
    "update_this",
    "set-me",
    "set_me",
    "setme",
    "fill-in",
    "fill_in",
    "fillme",
    "put-",
    "put_",
    "change-this",
    "change_this",
];

/// Values that stand for a secret rather than being one: templates, variables, masks,
/// angle-bracket placeholders, fill-in instructions (`INSERT_…`, `update-this-value`),
/// `UPPER_SNAKE` variable names, elisions (`sk-…`, `...`), format directives (`%s`, `{}`),
/// repeated filler characters, and shapes drawn with filler (`T00000000?token=XXXXXXXX`).
pub fn is_placeholder(v: &str) -> bool {
    let t = v.trim();
    if t.is_empty() {
        return true;
    }
    if is_format_directive(t) || is_filler_shape(t) {
        return true;
    }
    if literal::is_upper_snake(t) || t.contains("...") || t.contains('…') {
        return true;
    }
    // The documented AWS example credentials end in EXAMPLE / EXAMPLEKEY.
    if t.ends_with("EXAMPLE") || t.ends_with("EXAMPLEKEY") {
        return true;
    }
    if t.contains("${")
        || t.contains("{{")
        || t.contains("$(")
        || t.contains("((")
        || t.contains("%(")
        || t.starts_with('$')
    {
        return true;
    }
    if t.starts_with('<') && t.ends_with('>') {
        return true;
    }
    let lower = t.to_ascii_lowercase();
    if lower.contains("redacted")
        || lower.contains("your-")
        || lower.contains("your_")
        || lower.starts_with("your")
        || lower.contains("example") && lower.len() < 40
    {
        return true;
    }
    if FILL_INS.iter().any(|f| lower.starts_with(f))
        || lower.contains("-here")
        || lower.contains("_here")
    {
        return true;
    }
    if matches!(
        lower.as_str(),
        "changeme"
            | "change-me"
            | "change_me"
            | "replaceme"
            | "replace-me"
            | "todo"
            | "tbd"
            | "dummy"
            | "placeholder"
    ) {
        return true;
    }
    // Filler: the same character (or x/*/.) over and over.
    let mut chars = t.chars().filter(|c| !matches!(c, '-' | '_' | '.'));
    if let Some(first) = chars.next() {
        if chars.all(|c| c == first) {
            return true;
        }
    }
    lower
        .chars()
        .all(|c| matches!(c, 'x' | '*' | '.' | '-' | '_' | '#'))
}

/// A printf or `str.format` directive standing where the value is filled in at run time:
/// `%s`, `%v`, `%-8s`, `%[1]s`, `{}`, `{0}`, `{password}`, `{db.password!s}`.
fn is_format_directive(t: &str) -> bool {
    if let Some(rest) = t.strip_prefix('%') {
        let rest = rest
            .strip_prefix('[')
            .and_then(|r| r.split_once(']'))
            .map_or(rest, |(n, r)| {
                if n.bytes().all(|c| c.is_ascii_digit()) {
                    r
                } else {
                    rest
                }
            });
        let body = rest.trim_start_matches(['-', '+', ' ', '#', '0']);
        let body = body.trim_start_matches(|c: char| c.is_ascii_digit() || c == '.');
        return body.len() == 1 && "sdvqxXfgeibouc".contains(body);
    }
    t.strip_prefix('{')
        .and_then(|r| r.strip_suffix('}'))
        .is_some_and(|inner| {
            inner
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'!' | b':'))
        })
}

/// Characters that fill a placeholder's variable part (`XXXX`, `0000`, `****`, `••••`).
const FILLER: &[char] = &['x', 'X', '0', '*', '#', '•'];

/// A shape drawn with filler: runs of four or more filler characters make up at least half the
/// value, and what is left is letters and punctuation (`T00000000?token=XXXXXXXXXXXXXXXX`,
/// `sk-XXXXXXXXXXXXXXXXXXXX`, `xoxb-0000000000-XXXXXXXXXXXX`). A real value has digits or
/// letters where the filler stands.
fn is_filler_shape(t: &str) -> bool {
    let chars: Vec<char> = t.chars().collect();
    let mut filler = 0usize;
    let mut rest = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let run = chars[i..].iter().take_while(|&&d| d == c).count();
        if FILLER.contains(&c) && run >= 4 {
            filler += run;
        } else {
            rest.extend(&chars[i..i + run]);
        }
        i += run;
    }
    filler > 0 && filler * 2 >= chars.len() && !rest.chars().any(|c| c.is_ascii_digit())
}

/// A short, safe preview of a sensitive value: at most four leading characters (fewer for
/// short values) and its length.
pub fn preview(v: &str) -> String {
    let n = v.chars().count();
    let keep = (n / 4).min(4);
    let head: String = v.chars().take(keep).collect();
    format!("{head}… ({n} chars)")
}

/// Mask `text` (a secret as it appears in source, possibly quoted) keeping only a short prefix.
/// The result has the same byte length, so spans stay valid in a masked copy of the source.
pub fn mask(text: &str) -> String {
    let quote = |c: char| matches!(c, '"' | '\'' | '`');
    let chars: Vec<char> = text.chars().collect();
    let lead = chars.first().is_some_and(|c| quote(*c));
    let trail = chars.len() > 1 && chars.last().is_some_and(|c| quote(*c));
    let inner_len = chars.len() - usize::from(lead) - usize::from(trail);
    let keep = (inner_len / 4).min(4);
    let mut out = String::with_capacity(text.len());
    for (i, c) in chars.iter().enumerate() {
        let is_quote = (i == 0 && lead) || (i == chars.len() - 1 && trail);
        let inner_i = i.wrapping_sub(usize::from(lead));
        if is_quote || inner_i < keep {
            out.push(*c);
        } else {
            out.extend(std::iter::repeat_n('*', c.len_utf8()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mask_keeps_length_and_a_short_prefix_only() {
        let m = mask("\"AKIAABCDEFGHIJKLMNOP\"");
        assert_eq!(m.len(), 22);
        assert_eq!(m, "\"AKIA****************\"");
        assert_eq!(mask("hunter2"), "h******");
        assert_eq!(mask("ab"), "**");
        let u = mask("pässwörd");
        assert_eq!(u.len(), "pässwörd".len());
        assert!(!u.contains("sswö"));
    }

    #[test]
    fn entropy_and_placeholders() {
        assert!(shannon_entropy("aaaa") < 0.01);
        assert!(shannon_entropy("Zq8Lm2Xw9Kt3Rp6Vb1Hs") > 4.0);
        for p in [
            "${X}",
            "{{ t }}",
            "$SECRET",
            "<token>",
            "xxxxxxxx",
            "********",
            "changeme",
            "your-api-key",
            "[REDACTED]",
            "DB_PASSWORD",
            "_REDIS_PASSWORD_",
            "INSERT_API_KEY",
            "insert-token",
            "yourpassword",
            "update-this-value",
            "sk-ant-api03-...",
            "%(password)s",
            "$VAR",
            "xxx",
            "...",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "%s",
            "%-12v",
            "%[2]s",
            "{}",
            "{0}",
            "{db.password}",
            "T00000000?token=XXXXXXXXXXXXXXXXXXXXXXXX",
            "sk-XXXXXXXXXXXXXXXXXXXXXXXX",
            "xoxb-0000000000-XXXXXXXXXXXX",
        ] {
            assert!(is_placeholder(p), "{p}");
        }
        for s in [
            "hunter2",
            "Zq8Lm2Xw9K",
            "s3cr3t-redis",
            "HUNTER2",
            "Summer2024!",
            "Pr0d_Pass",
            // Not directives: more than one, or text around it.
            "%s%s-Pr0d",
            "Pa%s9word",
            "{Zq8Lm2-Xw9K}",
            // Filler that is not most of the value, or real digits beside it.
            "Pass0000word",
            "T04K8Q2ZC?token=XXXXXXXXXXXXXXXXXXXXXXXX1",
            "Zq8Lm2Xw9Kt3Rp6Vb1HsXXXX",
        ] {
            assert!(!is_placeholder(s), "{s}");
        }
    }

    #[test]
    fn preview_never_shows_much() {
        assert_eq!(preview("AKIA2E0A8F3B244C9986"), "AKIA… (20 chars)");
        assert_eq!(preview("hunter2"), "h… (7 chars)");
        assert_eq!(preview("abc"), "… (3 chars)");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]
        /// The detectors never panic and report ranges on char boundaries, in every context.
        #[test]
        fn detectors_are_total(line in "(\\PC|[=:\"' ]|password|secret|token|AKIA|4111){0,80}") {
            for ctx in [
                super::secrets::Context::Code,
                super::secrets::Context::Config,
                super::secrets::Context::Prose,
                super::secrets::Context::Digests,
            ] {
                for d in super::secrets::scan(&line, ctx) {
                    proptest::prop_assert!(line.get(d.start..d.end).is_some());
                }
            }
            for d in super::pii::scan(&line, &super::pii::Entity::defaults()) {
                proptest::prop_assert!(line.get(d.start..d.end).is_some());
            }
        }
    }
}
