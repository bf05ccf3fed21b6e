//! A position in source text, shared by the hand-written parsers (EDN, CUE, HOCON, HCL1,
//! nginx, VCL, textproto, SPDX tag-value, Groovy).
//!
//! It owns only what every one of them repeats: peeking and consuming without indexing
//! panics, skipping blanks and line comments, reading quoted strings with the common
//! backslash escapes, and building a [`ParseError`] at the current offset. The grammar of
//! each format stays in its own module.

use super::ParseError;

/// A byte offset into `src`, always on a character boundary.
#[derive(Debug, Clone)]
pub struct Cursor<'a> {
    pub src: &'a str,
    pub pos: usize,
}

impl<'a> Cursor<'a> {
    pub fn new(src: &'a str) -> Self {
        Self { src, pos: 0 }
    }

    /// The rest of the input.
    pub fn rest(&self) -> &'a str {
        self.src.get(self.pos..).unwrap_or_default()
    }

    pub fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    pub fn peek_at(&self, n: usize) -> Option<char> {
        self.rest().chars().nth(n)
    }

    pub fn at_end(&self) -> bool {
        self.pos >= self.src.len()
    }

    pub fn starts_with(&self, s: &str) -> bool {
        self.rest().starts_with(s)
    }

    /// Consume one character.
    pub fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    /// Consume `s` if the input continues with it.
    pub fn eat(&mut self, s: &str) -> bool {
        if self.starts_with(s) {
            self.pos += s.len();
            true
        } else {
            false
        }
    }

    /// Consume characters while `f` holds; the consumed text.
    pub fn take_while(&mut self, f: impl Fn(char) -> bool) -> &'a str {
        let start = self.pos;
        while let Some(c) = self.peek() {
            if !f(c) {
                break;
            }
            self.pos += c.len_utf8();
        }
        self.src.get(start..self.pos).unwrap_or_default()
    }

    /// Skip to the end of the line (the newline stays).
    pub fn skip_line(&mut self) {
        self.take_while(|c| c != '\n');
    }

    /// Skip whitespace (newlines included when `newlines`) and comments starting with any of
    /// `line_comments`; `block` comments (`/* … */`) when asked.
    pub fn skip_blank(&mut self, newlines: bool, line_comments: &[&str], block: bool) {
        loop {
            self.take_while(|c| c.is_whitespace() && (newlines || c != '\n'));
            if line_comments.iter().any(|p| self.starts_with(p)) {
                self.skip_line();
                continue;
            }
            if block && self.starts_with("/*") {
                match self.rest().get(2..).and_then(|r| r.find("*/")) {
                    Some(i) => self.pos += i + 4,
                    None => self.pos = self.src.len(),
                }
                continue;
            }
            break;
        }
    }

    pub fn error(&self, message: impl Into<String>) -> ParseError {
        ParseError::within(self.src, message, self.pos)
    }

    pub fn error_at(&self, message: impl Into<String>, at: usize) -> ParseError {
        ParseError::within(self.src, message, at)
    }

    /// A description of what comes next, for error messages.
    pub fn found(&self) -> String {
        match self.peek() {
            None => "end of input".to_owned(),
            Some(c) => format!("{c:?}"),
        }
    }

    /// A string quoted with `quote` (the cursor on the opening quote), with the escapes
    /// `\n \t \r \\ \" \' \/ \b \f \uXXXX` (and `\UXXXXXXXX` when `long_unicode`). An
    /// unknown escape keeps its character. No newline inside unless `multiline`.
    pub fn quoted(&mut self, quote: char, multiline: bool) -> Result<String, ParseError> {
        let start = self.pos;
        self.bump();
        let mut out = String::new();
        loop {
            let Some(c) = self.bump() else {
                return Err(self.error_at("unterminated string", start));
            };
            if c == quote {
                return Ok(out);
            }
            if c == '\n' && !multiline {
                return Err(self.error_at("unterminated string (newline inside)", start));
            }
            if c != '\\' {
                out.push(c);
                continue;
            }
            let at = self.pos;
            let Some(e) = self.bump() else {
                return Err(self.error_at("unterminated string", start));
            };
            match e {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                'r' => out.push('\r'),
                'b' => out.push('\u{8}'),
                'f' => out.push('\u{c}'),
                'u' | 'U' => {
                    let n = if e == 'u' { 4 } else { 8 };
                    let hex = self.rest().get(..n).unwrap_or_default();
                    let code = u32::from_str_radix(hex, 16)
                        .ok()
                        .filter(|_| hex.len() == n && hex.bytes().all(|b| b.is_ascii_hexdigit()))
                        .and_then(char::from_u32)
                        .ok_or_else(|| self.error_at("invalid unicode escape", at))?;
                    self.pos += n;
                    out.push(code);
                }
                other => out.push(other),
            }
        }
    }
}

/// Go's `strconv.ParseBool` spellings.
pub fn go_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// Go's `strconv.ParseFloat(s, 64)` for the decimal forms (an optional sign, digits with an
/// optional fraction and exponent, `inf`/`infinity`/`nan`), as a JSON number when finite.
pub fn go_float(s: &str) -> Option<serde_json::Number> {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    let valid = !body.is_empty()
        && body
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_digit() || b == b'.')
        && body
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'));
    if !valid {
        return None;
    }
    s.parse::<f64>().ok().and_then(json_number)
}

/// A float as a JSON number: integral values within 2^53 as integers (as Go's encoder
/// prints them), others as floats; `None` when not finite.
#[allow(clippy::cast_possible_truncation)]
pub fn json_number(f: f64) -> Option<serde_json::Number> {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 9_007_199_254_740_992.0 {
        // Exact: integral and within i64's exactly representable range.
        return Some(serde_json::Number::from(f as i64));
    }
    serde_json::Number::from_f64(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_strings_and_escapes() {
        let mut c = Cursor::new(r#""a\"b\u00e9\n" x"#);
        assert_eq!(c.quoted('"', false).unwrap(), "a\"bé\n");
        assert_eq!(c.rest(), " x");
        assert!(Cursor::new("\"abc").quoted('"', false).is_err());
        assert!(Cursor::new("\"\\u12\"").quoted('"', false).is_err());
        assert!(Cursor::new("\"a\nb\"").quoted('"', false).is_err());
    }

    #[test]
    fn blanks_and_comments() {
        let mut c = Cursor::new("  # c\n /* x */ // y\n z");
        c.skip_blank(true, &["#", "//"], true);
        assert_eq!(c.rest(), "z");
        let mut c = Cursor::new("/* open");
        c.skip_blank(true, &[], true);
        assert!(c.at_end());
    }

    #[test]
    fn go_scalars() {
        assert_eq!(go_bool("T"), Some(true));
        assert_eq!(go_bool("yes"), None);
        assert_eq!(go_float("9001").map(|n| n.as_f64()), Some(Some(9001.0)));
        assert_eq!(go_float("1e3").map(|n| n.as_f64()), Some(Some(1000.0)));
        assert!(go_float("75 seconds").is_none());
        assert!(go_float("e5").is_none());
        assert!(go_float("").is_none());
    }
}
