//! `custos redact`: a streaming filter for logging pipelines, meant to sit in front of
//! `custos chain seal`. JSON lines stay valid JSON (every string, keys included, is redacted in
//! place); other lines are redacted as text. Two modes: masks (`[REDACTED:EMAIL]`) or keyed
//! pseudonyms (`[EMAIL:3f1a…]`, HMAC-SHA256 under a secret key), so the same value always maps
//! to the same token and analysts can still join on it without seeing it.
//! The original value is never written; memory is bounded by the longest line.

use std::io::{BufRead, Write};

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::detect::{pii, secrets, Detection};

#[derive(Clone)]
pub enum Mode {
    Mask,
    Pseudonym(Vec<u8>),
}

impl std::fmt::Debug for Mode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Mode::Mask => f.write_str("Mask"),
            Mode::Pseudonym(_) => f.write_str("Pseudonym(<key>)"),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Redactor {
    pub mode: Mode,
    pub entities: Vec<pii::Entity>,
    pub secrets: bool,
}

/// Counts of what was replaced.
#[derive(Debug, Default, Clone, Copy)]
pub struct Stats {
    pub lines: u64,
    pub replaced: u64,
}

fn label(rule: &str) -> &'static str {
    pii::ENTITIES
        .iter()
        .find(|e| e.1 == rule)
        .map_or("SECRET", |e| e.2)
}

impl Redactor {
    fn token(&self, rule: &str, value: &str) -> String {
        let label = label(rule);
        match &self.mode {
            Mode::Mask => format!("[REDACTED:{label}]"),
            Mode::Pseudonym(key) => {
                let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key)
                    .expect("HMAC accepts any key length");
                mac.update(label.as_bytes());
                mac.update(&[0]);
                mac.update(value.as_bytes());
                let tag = mac.finalize().into_bytes();
                format!("[{label}:{}]", crate::chain::merkle::to_hex(&tag[..8]))
            }
        }
    }

    fn detect(&self, text: &str) -> Vec<Detection> {
        let mut found = if self.secrets {
            secrets::scan(text, secrets::Context::Config)
        } else {
            Vec::new()
        };
        for d in pii::scan(text, &self.entities) {
            if !found.iter().any(|f| f.start < d.end && d.start < f.end) {
                found.push(d);
            }
        }
        found.sort_by_key(|d| d.start);
        found
    }

    /// Redact one string; returns it and the number of replacements.
    pub fn text(&self, text: &str) -> (String, u64) {
        let found = self.detect(text);
        if found.is_empty() {
            return (text.to_owned(), 0);
        }
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        let mut n = 0;
        for d in found {
            if d.start < at {
                continue;
            }
            out.push_str(&text[at..d.start]);
            out.push_str(&self.token(d.rule, &text[d.start..d.end]));
            at = d.end;
            n += 1;
        }
        out.push_str(&text[at..]);
        (out, n)
    }

    fn json(&self, value: &mut serde_json::Value, count: &mut u64) {
        match value {
            serde_json::Value::String(text) => {
                let (redacted, replaced) = self.text(text);
                if replaced > 0 {
                    *text = redacted;
                    *count += replaced;
                }
            }
            serde_json::Value::Array(items) => {
                for item in items {
                    self.json(item, count);
                }
            }
            serde_json::Value::Object(map) => {
                let entries = std::mem::take(map);
                for (key, mut member) in entries {
                    let (new_key, replaced) = self.text(&key);
                    *count += replaced;
                    self.json(&mut member, count);
                    map.insert(new_key, member);
                }
            }
            _ => {}
        }
    }

    /// Redact one line (without its newline).
    pub fn line(&self, line: &str) -> (String, u64) {
        let t = line.trim_start();
        if t.starts_with('{') || t.starts_with('[') {
            if let Ok(mut v) = serde_json::from_str::<serde_json::Value>(line) {
                let mut n = 0;
                self.json(&mut v, &mut n);
                if n == 0 {
                    return (line.to_owned(), 0);
                }
                return (v.to_string(), n);
            }
        }
        self.text(line)
    }

    /// Filter a stream line by line.
    pub fn stream<R: BufRead, W: Write>(
        &self,
        mut input: R,
        out: &mut W,
    ) -> std::io::Result<Stats> {
        let mut stats = Stats::default();
        let mut buf = Vec::new();
        loop {
            buf.clear();
            if input.read_until(b'\n', &mut buf)? == 0 {
                break;
            }
            stats.lines += 1;
            let newline = buf.last() == Some(&b'\n');
            if newline {
                buf.pop();
            }
            let text = String::from_utf8_lossy(&buf);
            let (red, n) = self.line(&text);
            stats.replaced += n;
            out.write_all(red.as_bytes())?;
            if newline {
                out.write_all(b"\n")?;
            }
        }
        out.flush()?;
        Ok(stats)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn masker() -> Redactor {
        Redactor {
            mode: Mode::Mask,
            entities: pii::Entity::defaults(),
            secrets: true,
        }
    }

    #[test]
    fn json_lines_stay_json_and_lose_their_values() {
        let line = r#"{"prompt":"I am jane.doe@acme-corp.io, card 4111 1111 1111 1111","n":3,"messages":[{"content":"token ghp_4Nd8cR2xWq7Lm9Zt3Kp6Vb1Hs5Jf0Ga8Ye2Q"}]}"#;
        let (out, n) = masker().line(line);
        assert_eq!(n, 3);
        let v: serde_json::Value = serde_json::from_str(&out).expect("still JSON");
        assert_eq!(v["n"], 3);
        assert!(
            !out.contains("jane.doe") && !out.contains("4111 1111") && !out.contains("4Nd8cR2x"),
            "{out}"
        );
        assert!(
            out.contains("[REDACTED:EMAIL]")
                && out.contains("[REDACTED:CREDIT_CARD]")
                && out.contains("[REDACTED:SECRET]")
        );
    }

    #[test]
    fn pseudonyms_are_stable_and_keyed() {
        let a = Redactor {
            mode: Mode::Pseudonym(b"k1-0123456789abcdef".to_vec()),
            entities: pii::Entity::defaults(),
            secrets: true,
        };
        let b = Redactor {
            mode: Mode::Pseudonym(b"k2-0123456789abcdef".to_vec()),
            ..a.clone()
        };
        let (x1, _) = a.line("user jane.doe@acme-corp.io logged in");
        let (x2, _) = a.line("again: jane.doe@acme-corp.io");
        let (y, _) = b.line("user jane.doe@acme-corp.io logged in");
        let tok = |s: &str| {
            s.split_whitespace()
                .find(|w| w.starts_with("[EMAIL:"))
                .map(str::to_owned)
        };
        assert_eq!(tok(&x1), tok(&x2));
        assert_ne!(tok(&x1), tok(&y));
        assert!(!x1.contains("jane"));
    }

    #[test]
    fn redacted_output_has_nothing_left_to_find() {
        let r = masker();
        let (out, _) = r.line("ssn 536-22-8741 iban DE89 3704 0044 0532 0130 00 pw=hunter2-prod");
        assert!(r.detect(&out).is_empty(), "{out}");
    }
}
