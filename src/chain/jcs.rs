//! RFC 8785 JSON Canonicalization Scheme, with a strict parser in front of it.
//!
//! Written here rather than taken from a crate because the chain format needs what generic
//! JSON libraries do not give: duplicate keys must be *rejected* (serde_json keeps the last),
//! and integers beyond ±2^53 must be rejected rather than rounded to a double. Number
//! formatting is ECMAScript's `Number.prototype.toString`, via `ryu-js`.
//!
//! Cost is O(n log n) in the number of members of an object, whatever the input: duplicate
//! keys are found by sorting member indices once (small objects are scanned directly), and
//! canonical order sorts once with a cheap comparison (bytes, or UTF-16 code units computed
//! once per key when a supplementary-plane character makes the two orders differ).

use std::fmt::Write as _;

/// A parsed JSON value; objects keep their members in input order (no duplicates).
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    Arr(Vec<Json>),
    Obj(Vec<(String, Json)>),
}

impl Json {
    pub fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Obj(members) => members.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::Str(s) => Some(s),
            _ => None,
        }
    }
}

/// Largest integer a double represents exactly together with all smaller ones.
pub const MAX_SAFE: f64 = 9_007_199_254_740_992.0; // 2^53
const MAX_DEPTH: usize = 128;
/// Objects with at most this many members are checked for duplicate keys by a direct scan,
/// which is cheaper than sorting at this size.
const SMALL_OBJECT: usize = 8;

/// Parse one JSON text strictly (RFC 8259, I-JSON constraints of RFC 8785).
pub fn parse(text: &str) -> Result<Json, String> {
    let mut p = Parser {
        s: text.as_bytes(),
        i: 0,
        depth: 0,
    };
    p.ws();
    let v = p.value()?;
    p.ws();
    if p.i != p.s.len() {
        return Err(format!(
            "unexpected content after the JSON value at byte {}",
            p.i
        ));
    }
    Ok(v)
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
    depth: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.s.get(self.i) {
            self.i += 1;
        }
    }

    fn err<T>(&self, what: &str) -> Result<T, String> {
        Err(format!("{what} at byte {}", self.i))
    }

    fn eat(&mut self, lit: &[u8]) -> bool {
        if self.s[self.i..].starts_with(lit) {
            self.i += lit.len();
            true
        } else {
            false
        }
    }

    fn value(&mut self) -> Result<Json, String> {
        match self.s.get(self.i) {
            None => self.err("unexpected end of input"),
            Some(b'{') => self.object(),
            Some(b'[') => self.array(),
            Some(b'"') => Ok(Json::Str(self.string()?)),
            Some(b't') if self.eat(b"true") => Ok(Json::Bool(true)),
            Some(b'f') if self.eat(b"false") => Ok(Json::Bool(false)),
            Some(b'n') if self.eat(b"null") => Ok(Json::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => self.err("unexpected character"),
        }
    }

    fn enter(&mut self) -> Result<(), String> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return self.err("nesting too deep");
        }
        Ok(())
    }

    fn object(&mut self) -> Result<Json, String> {
        self.enter()?;
        self.i += 1;
        let mut members: Vec<(String, Json)> = Vec::new();
        // Byte offset of each member's key, for the duplicate-key message.
        let mut offsets: Vec<usize> = Vec::new();
        self.ws();
        if self.eat(b"}") {
            self.depth -= 1;
            return Ok(Json::Obj(members));
        }
        loop {
            self.ws();
            if self.s.get(self.i) != Some(&b'"') {
                return self.err("expected a string key");
            }
            let at = self.i;
            let key = self.string()?;
            if members.len() < SMALL_OBJECT && members.iter().any(|(k, _)| *k == key) {
                return Err(format!("duplicate key {key:?} at byte {at}"));
            }
            offsets.push(at);
            self.ws();
            if !self.eat(b":") {
                return self.err("expected ':'");
            }
            self.ws();
            let v = self.value()?;
            members.push((key, v));
            self.ws();
            if self.eat(b",") {
                continue;
            }
            if self.eat(b"}") {
                self.depth -= 1;
                if members.len() > SMALL_OBJECT {
                    check_duplicates(&members, &offsets)?;
                }
                return Ok(Json::Obj(members));
            }
            return self.err("expected ',' or '}'");
        }
    }

    fn array(&mut self) -> Result<Json, String> {
        self.enter()?;
        self.i += 1;
        let mut items = Vec::new();
        self.ws();
        if self.eat(b"]") {
            self.depth -= 1;
            return Ok(Json::Arr(items));
        }
        loop {
            self.ws();
            items.push(self.value()?);
            self.ws();
            if self.eat(b",") {
                continue;
            }
            if self.eat(b"]") {
                self.depth -= 1;
                return Ok(Json::Arr(items));
            }
            return self.err("expected ',' or ']'");
        }
    }

    fn hex4(&mut self) -> Result<u32, String> {
        let h = self
            .s
            .get(self.i..self.i + 4)
            .ok_or_else(|| format!("truncated \\u escape at byte {}", self.i))?;
        let s = std::str::from_utf8(h).map_err(|_| format!("bad \\u escape at byte {}", self.i))?;
        let v =
            u32::from_str_radix(s, 16).map_err(|_| format!("bad \\u escape at byte {}", self.i))?;
        self.i += 4;
        Ok(v)
    }

    fn string(&mut self) -> Result<String, String> {
        self.i += 1;
        let mut out = String::new();
        loop {
            let start = self.i;
            while let Some(&b) = self.s.get(self.i) {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.i += 1;
            }
            // The input is a &str, so any run without quotes/escapes is valid UTF-8.
            out.push_str(std::str::from_utf8(&self.s[start..self.i]).map_err(|e| e.to_string())?);
            match self.s.get(self.i) {
                None => return self.err("unterminated string"),
                Some(b'"') => {
                    self.i += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.i += 1;
                    let Some(&e) = self.s.get(self.i) else {
                        return self.err("unterminated escape");
                    };
                    self.i += 1;
                    match e {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let hi = self.hex4()?;
                            let c = if (0xD800..0xDC00).contains(&hi) {
                                if !self.eat(b"\\u") {
                                    return self.err("lone surrogate in string");
                                }
                                let lo = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&lo) {
                                    return self.err("lone surrogate in string");
                                }
                                0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                            } else if (0xDC00..0xE000).contains(&hi) {
                                return self.err("lone surrogate in string");
                            } else {
                                hi
                            };
                            out.push(
                                char::from_u32(c).ok_or_else(|| {
                                    format!("invalid code point at byte {}", self.i)
                                })?,
                            );
                        }
                        _ => return self.err("invalid escape"),
                    }
                }
                Some(_) => return self.err("control character in string"),
            }
        }
    }

    fn number(&mut self) -> Result<Json, String> {
        let start = self.i;
        self.eat(b"-");
        let digits = |p: &mut Self| {
            let s = p.i;
            while let Some(b'0'..=b'9') = p.s.get(p.i) {
                p.i += 1;
            }
            p.i - s
        };
        let int_start = self.i;
        let n = digits(self);
        if n == 0 || (n > 1 && self.s[int_start] == b'0') {
            return self.err("invalid number");
        }
        let mut integer = true;
        if self.eat(b".") {
            integer = false;
            if digits(self) == 0 {
                return self.err("invalid number");
            }
        }
        if let Some(b'e' | b'E') = self.s.get(self.i) {
            integer = false;
            self.i += 1;
            if let Some(b'+' | b'-') = self.s.get(self.i) {
                self.i += 1;
            }
            if digits(self) == 0 {
                return self.err("invalid number");
            }
        }
        let text = std::str::from_utf8(&self.s[start..self.i]).map_err(|e| e.to_string())?;
        let v: f64 = text
            .parse()
            .map_err(|_| format!("invalid number at byte {start}"))?;
        if !v.is_finite() {
            return Err(format!("number {text} at byte {start} is out of range"));
        }
        if v == 0.0 {
            // JCS writes every zero as `0`: a negative zero, or a non-zero number that
            // underflows to zero, would be silently changed by canonicalisation.
            let mantissa = text.split(['e', 'E']).next().unwrap_or(text);
            if mantissa.bytes().any(|b| matches!(b, b'1'..=b'9')) {
                return Err(format!(
                    "number {text} at byte {start} is too small: it would become 0"
                ));
            }
            if text.starts_with('-') {
                return Err(format!(
                    "negative zero {text} at byte {start} cannot be represented (JCS writes it as 0)"
                ));
            }
        }
        // An integer beyond 2^53 cannot be represented exactly; refuse instead of rounding.
        // Integer literals are checked on their digits (the double may already be rounded).
        let too_big = if integer {
            text.parse::<i128>()
                .map_or(true, |i| i.unsigned_abs() > 1u128 << 53)
        } else {
            v.fract() == 0.0 && v.abs() > MAX_SAFE
        };
        if too_big {
            return Err(format!(
                "integer {text} at byte {start} is beyond ±2^53 and cannot be represented exactly"
            ));
        }
        Ok(Json::Num(v))
    }
}

/// Reject the first duplicate key (in input order) of an object, in O(n log n): sort member
/// indices by key once; equal keys end up adjacent.
fn check_duplicates(members: &[(String, Json)], offsets: &[usize]) -> Result<(), String> {
    let key = |i: usize| members.get(i).map_or("", |(k, _)| k.as_str());
    let mut order: Vec<usize> = (0..members.len()).collect();
    order.sort_unstable_by(|&a, &b| key(a).cmp(key(b)).then(a.cmp(&b)));
    let first_duplicate = order
        .windows(2)
        .filter(|w| key(w[0]) == key(w[1]))
        .map(|w| w[1])
        .min();
    match first_duplicate {
        Some(i) => Err(format!(
            "duplicate key {:?} at byte {}",
            key(i),
            offsets.get(i).copied().unwrap_or_default()
        )),
        None => Ok(()),
    }
}

/// Where canonical bytes go: a `String`, or straight into a hash function.
pub trait Sink {
    fn put(&mut self, s: &str);
    fn put_char(&mut self, c: char) {
        self.put(c.encode_utf8(&mut [0u8; 4]));
    }
}

impl Sink for String {
    fn put(&mut self, s: &str) {
        self.push_str(s);
    }
    fn put_char(&mut self, c: char) {
        self.push(c);
    }
}

impl Sink for sha2::Sha256 {
    fn put(&mut self, s: &str) {
        sha2::Digest::update(self, s.as_bytes());
    }
}

/// Serialize `v` in RFC 8785 canonical form.
pub fn canonical(v: &Json) -> String {
    let mut out = String::new();
    write_canonical(v, &mut out, None);
    out
}

/// Canonical form of an object without the member named `skip` (used to hash a record
/// without its `hash` field).
pub fn canonical_without(v: &Json, skip: &str) -> String {
    let mut out = String::new();
    write_canonical(v, &mut out, Some(skip));
    out
}

/// The canonical form of the object `members`, and the byte offset where a member with key
/// `slot` (which `members` must not hold) belongs, with whether members precede it there.
/// Sealing writes a record's content once, hashes it, and inserts the `hash` member at the
/// offset, instead of writing the whole record a second time.
pub fn canonical_object_with_slot(members: &[(String, Json)], slot: &str) -> (String, usize, bool) {
    let mut sorted: Vec<&(String, Json)> = members.iter().collect();
    sort_members(&mut sorted);
    let mut out = String::with_capacity(256);
    out.push('{');
    let mut at = None;
    let mut before = false;
    for (i, (k, val)) in sorted.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        // `slot` is ASCII in every use, and UTF-16 order equals byte order against ASCII.
        if at.is_none() && k.as_str() > slot {
            at = Some(out.len());
        } else if at.is_none() {
            before = true;
        }
        write_string(k, &mut out);
        out.push(':');
        write_canonical(val, &mut out, None);
    }
    let at = at.unwrap_or(out.len());
    out.push('}');
    (out, at, before)
}

/// Write the canonical form of `v` (minus top-level member `skip`) into `out`.
pub fn write_canonical<S: Sink>(v: &Json, out: &mut S, skip: Option<&str>) {
    match v {
        Json::Null => out.put("null"),
        Json::Bool(b) => out.put(if *b { "true" } else { "false" }),
        Json::Num(n) => write_number(*n, out),
        Json::Str(s) => write_string(s, out),
        Json::Arr(items) => {
            out.put("[");
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.put(",");
                }
                write_canonical(item, out, None);
            }
            out.put("]");
        }
        Json::Obj(members) => {
            let mut sorted: Vec<&(String, Json)> = members
                .iter()
                .filter(|(k, _)| Some(k.as_str()) != skip)
                .collect();
            sort_members(&mut sorted);
            out.put("{");
            for (i, (k, val)) in sorted.into_iter().enumerate() {
                if i > 0 {
                    out.put(",");
                }
                write_string(k, out);
                out.put(":");
                write_canonical(val, out, None);
            }
            out.put("}");
        }
    }
}

/// RFC 8785 §3.2.3: order members by their keys' UTF-16 code units. UTF-8 byte order is the
/// same order unless a supplementary-plane character (4-byte UTF-8, lead byte ≥ 0xF0) is
/// involved, so keys are compared as bytes unless one of them has such a character; then each
/// key is converted to UTF-16 once (not once per comparison).
fn sort_members(members: &mut [&(String, Json)]) {
    let supplementary = |s: &str| s.bytes().any(|x| x >= 0xF0);
    if members.iter().any(|(k, _)| supplementary(k)) {
        members.sort_by_cached_key(|(k, _)| k.encode_utf16().collect::<Vec<u16>>());
    } else {
        members.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    }
}

/// A finite number in canonical form, appended to `out`.
pub fn write_number_to(n: f64, out: &mut String) {
    write_number(n, out);
}

fn write_number<S: Sink>(n: f64, out: &mut S) {
    if n == 0.0 {
        out.put("0"); // also -0
        return;
    }
    // Safe integers print as integers in ECMAScript; skip the float formatter for them.
    if n.fract() == 0.0 && n.abs() <= MAX_SAFE {
        #[allow(clippy::cast_possible_truncation)]
        let i = n as i64;
        let mut buf = [0u8; 24];
        let mut pos = buf.len();
        let mut u = i.unsigned_abs();
        loop {
            pos -= 1;
            #[allow(clippy::cast_possible_truncation)]
            let digit = (u % 10) as u8;
            buf[pos] = b'0' + digit;
            u /= 10;
            if u == 0 {
                break;
            }
        }
        if i < 0 {
            pos -= 1;
            buf[pos] = b'-';
        }
        out.put(std::str::from_utf8(&buf[pos..]).unwrap_or("0"));
        return;
    }
    let mut buf = ryu_js::Buffer::new();
    out.put(buf.format_finite(n));
}

fn write_string<S: Sink>(s: &str, out: &mut S) {
    out.put("\"");
    let bytes = s.as_bytes();
    let mut start = 0;
    // Only `"`, `\` and C0 controls are escaped; they are ASCII, so a byte scan finds them
    // and every slice boundary below is a character boundary.
    for (i, &b) in bytes.iter().enumerate() {
        let esc = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            0x08 => "\\b",
            0x0c => "\\f",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0..=0x1f => "",
            _ => continue,
        };
        out.put(&s[start..i]);
        if esc.is_empty() {
            let mut hex = String::with_capacity(6);
            let _ = write!(hex, "\\u{b:04x}");
            out.put(&hex);
        } else {
            out.put(esc);
        }
        start = i + 1;
    }
    out.put(&s[start..]);
    out.put("\"");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(s: &str) -> String {
        canonical(&parse(s).unwrap())
    }

    #[test]
    fn rfc8785_sorting_example() {
        // RFC 8785 §3.2.3: keys sorted by UTF-16 code units.
        let input = r#"{"\u20ac": "Euro Sign", "\r": "Carriage Return", "\ufb33": "Hebrew Letter Dalet With Dagesh",
            "1": "One", "\ud83d\ude00": "Emoji: Grinning Face", "\u0080": "Control", "\u00f6": "Latin Small Letter O With Diaeresis"}"#;
        let out = canon(input);
        let keys: Vec<String> = match parse(&out).unwrap() {
            Json::Obj(m) => m.into_iter().map(|(k, _)| k).collect(),
            _ => unreachable!(),
        };
        let expect = [
            "\r",
            "1",
            "\u{80}",
            "\u{f6}",
            "\u{20ac}",
            "\u{1f600}",
            "\u{fb33}",
        ];
        assert_eq!(keys, expect);
    }

    #[test]
    fn rfc8785_serialization_example() {
        // RFC 8785 §3.2.2 example.
        let input = r#"{
          "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
          "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
          "literals": [null, true, false]
        }"#;
        // 1E30 is integral and beyond 2^53: custos rejects it (see below), so use the rest.
        assert!(parse(input).is_err());
        let input = input.replace("1E30, ", "");
        assert_eq!(
            canon(&input),
            r#"{"literals":[null,true,false],"numbers":[333333333.3333333,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}"#
        );
    }

    #[test]
    fn es6_number_formatting() {
        let cases = [
            ("0", "0"),
            ("-0", "0"),
            ("1", "1"),
            ("-1.5", "-1.5"),
            ("0.1", "0.1"),
            ("1e21", "1e+21"),
            ("1e-7", "1e-7"),
            ("0.000001", "0.000001"),
            ("123456789012345.6", "123456789012345.6"),
            ("9007199254740991", "9007199254740991"),
            ("5e-324", "5e-324"),
            ("1.7976931348623157e308", "1.7976931348623157e+308"),
        ];
        for (i, o) in cases {
            // 1e21 and the max double are integral beyond 2^53: check the formatter directly.
            let mut s = String::new();
            write_number(i.parse().unwrap(), &mut s);
            assert_eq!(s, o, "{i}");
        }
    }

    /// RFC 8785 Appendix B: IEEE 754 bit patterns and their canonical spellings.
    #[test]
    fn rfc8785_appendix_b_numbers() {
        let table: [(u64, &str); 24] = [
            (0x0000_0000_0000_0000, "0"),
            (0x8000_0000_0000_0000, "0"),
            (0x0000_0000_0000_0001, "5e-324"),
            (0x8000_0000_0000_0001, "-5e-324"),
            (0x7fef_ffff_ffff_ffff, "1.7976931348623157e+308"),
            (0xffef_ffff_ffff_ffff, "-1.7976931348623157e+308"),
            (0x4340_0000_0000_0000, "9007199254740992"),
            (0xc340_0000_0000_0000, "-9007199254740992"),
            (0x4430_0000_0000_0000, "295147905179352830000"),
            (0x44b5_2d02_c7e1_4af5, "9.999999999999997e+22"),
            (0x44b5_2d02_c7e1_4af6, "1e+23"),
            (0x44b5_2d02_c7e1_4af7, "1.0000000000000001e+23"),
            (0x444b_1ae4_d6e2_ef4e, "999999999999999700000"),
            (0x444b_1ae4_d6e2_ef4f, "999999999999999900000"),
            (0x444b_1ae4_d6e2_ef50, "1e+21"),
            (0x3eb0_c6f7_a0b5_ed8c, "9.999999999999997e-7"),
            (0x3eb0_c6f7_a0b5_ed8d, "0.000001"),
            (0x41b3_de43_5555_5553, "333333333.3333332"),
            (0x41b3_de43_5555_5554, "333333333.33333325"),
            (0x41b3_de43_5555_5555, "333333333.3333333"),
            (0x41b3_de43_5555_5556, "333333333.3333334"),
            (0x41b3_de43_5555_5557, "333333333.33333343"),
            (0xbecb_f647_612f_3696, "-0.0000033333333333333333"),
            (0x4314_3ff3_c1cb_0959, "1424953923781206.2"),
        ];
        for (bits, want) in table {
            let mut got = String::new();
            write_number(f64::from_bits(bits), &mut got);
            assert_eq!(got, want, "0x{bits:016x}");
        }
    }

    #[test]
    fn rejects_what_jcs_cannot_represent() {
        assert!(parse(r#"{"a": 1, "a": 2}"#)
            .unwrap_err()
            .contains("duplicate"));
        assert!(parse("9007199254740993").unwrap_err().contains("2^53"));
        assert!(parse("-9007199254740993").is_err());
        assert!(parse("1e400").unwrap_err().contains("out of range"));
        assert!(parse("-1e400").unwrap_err().contains("out of range"));
        for z in ["-0", "-0.0", "-0e7", "-0E-2"] {
            assert!(parse(z).unwrap_err().contains("negative zero"), "{z}");
        }
        for tiny in ["1e-400", "-2.5e-999", "0.000001e-400"] {
            assert!(parse(tiny).unwrap_err().contains("too small"), "{tiny}");
        }
        for zero in ["0", "0.0", "0e10", "0.000E-5"] {
            assert_eq!(parse(zero), Ok(Json::Num(0.0)), "{zero}");
        }
        assert!(parse("5e-324").is_ok());
        assert!(parse(r#""\ud800""#).unwrap_err().contains("surrogate"));
        assert!(parse("[1,]").is_err());
        assert!(parse("01").is_err());
        assert!(parse("{} x").is_err());
        assert!(parse(&"[".repeat(200)).unwrap_err().contains("deep"));
        assert!(parse("9007199254740992").is_ok());
        assert!(parse("1.5e3").is_ok());
    }

    /// Objects above and below the direct-scan size: the first duplicate in input order is
    /// reported, at the byte where its second occurrence starts.
    #[test]
    fn duplicates_found_at_every_object_size() {
        for n in [2usize, 7, 8, 9, 10, 50, 1000] {
            for (first, second) in [(0, n - 1), (n / 2, n - 1), (0, 1), (n - 2, n - 1)] {
                if first == second {
                    continue;
                }
                let mut keys: Vec<String> = (0..n).map(|i| format!("k{i}")).collect();
                keys[second] = keys[first].clone();
                let body: Vec<String> = keys.iter().map(|k| format!("\"{k}\":1")).collect();
                let text = format!("{{{}}}", body.join(","));
                let at = text
                    .match_indices(&format!("\"{}\"", keys[first]))
                    .nth(1)
                    .unwrap()
                    .0;
                assert_eq!(
                    parse(&text).unwrap_err(),
                    format!("duplicate key {:?} at byte {at}", keys[first]),
                    "n={n}"
                );
            }
            let keys: Vec<String> = (0..n).map(|i| format!("\"k{i}\":1")).collect();
            assert!(parse(&format!("{{{}}}", keys.join(","))).is_ok(), "n={n}");
        }
        // Two duplicated keys: the one whose repeat comes first in the input is named.
        let text = r#"{"b":1,"a":1,"c":1,"d":1,"e":1,"f":1,"g":1,"h":1,"i":1,"a":2,"b":2}"#;
        assert!(parse(text).unwrap_err().starts_with("duplicate key \"a\""));
    }

    /// A 100,000-key object (with supplementary-plane keys, where UTF-16 and byte order differ)
    /// canonicalises to exactly its keys in UTF-16 order, and its hash is the hash of that text.
    #[test]
    fn wide_object_is_canonical() {
        use sha2::Digest as _;
        let n = 100_000;
        // Keys in a scrambled input order; every 1000th carries U+1F600, which sorts before
        // U+FB33 in UTF-16 (0xD83D < 0xFB33) but after it in UTF-8 (0xF0 > 0xEF).
        let key = |i: usize| {
            let j = (i * 7919) % n;
            if j.is_multiple_of(1000) {
                format!("k{j:06}\u{1f600}")
            } else if j % 1000 == 1 {
                format!("k{:06}\u{fb33}", j - 1)
            } else {
                format!("k{j:06}")
            }
        };
        let mut input = String::from("{");
        for i in 0..n {
            if i > 0 {
                input.push(',');
            }
            let _ = write!(input, "\"{}\":{i}", key(i));
        }
        input.push('}');
        let v = parse(&input).unwrap();
        let mut want_keys: Vec<(String, usize)> = (0..n).map(|i| (key(i), i)).collect();
        // RFC 8785 §3.2.3, literally: compare the keys' UTF-16 code unit sequences.
        want_keys.sort_by_cached_key(|(k, _)| k.encode_utf16().collect::<Vec<u16>>());
        let mut want = String::from("{");
        for (i, (k, val)) in want_keys.iter().enumerate() {
            if i > 0 {
                want.push(',');
            }
            let _ = write!(want, "\"{k}\":{val}");
        }
        want.push('}');
        let got = canonical(&v);
        assert_eq!(got.len(), want.len());
        assert!(got == want, "canonical form differs from UTF-16 key order");
        let mut h = sha2::Sha256::new();
        write_canonical(&v, &mut h, None);
        assert_eq!(
            h.finalize().as_slice(),
            sha2::Sha256::digest(want.as_bytes()).as_slice()
        );
        // The supplementary key sorts before its U+FB33 sibling (UTF-16), not after (UTF-8).
        let fb33 = got.find("\"k000000\u{fb33}\"").unwrap();
        let emoji = got.find("\"k000000\u{1f600}\"").unwrap();
        assert!(emoji < fb33);
    }

    #[test]
    fn without_skips_only_top_level_member() {
        let v = parse(r#"{"hash": "x", "b": {"hash": 1}, "a": 2}"#).unwrap();
        assert_eq!(canonical_without(&v, "hash"), r#"{"a":2,"b":{"hash":1}}"#);
    }
}
