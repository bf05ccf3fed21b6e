//! The fast paths of `chain verify` and `chain seal`: a record line that is already in RFC 8785
//! canonical form, and an input line whose values are (see [`seal_members`]).
//!
//! `chain seal` writes every record canonically, so on an intact chain the line itself, minus
//! its `"hash":"…"` member, is exactly the canonical form whose SHA-256 the `hash` member must
//! be. [`parse_canonical`] checks that in one pass over the bytes, with no allocation, and
//! hashes the line's own bytes; the general path ([`super::parse_record`]) parses into a tree
//! and writes the canonical form again, about four times the work.
//!
//! The check is conservative: it accepts only what it can prove canonical without a tree —
//! no whitespace, object keys in strictly increasing order (compared as bytes, so keys with an
//! escape or a supplementary-plane character are left to the general path), strings with only
//! the escapes RFC 8785 writes, numbers that read back to the same text, and the three chain
//! members in the shape the general path requires. Everything else, including every malformed
//! or non-canonical record, returns `None` and takes the general path, which decides; so the
//! verdict on a line never depends on which path computed it (a property test checks both paths
//! agree on sealed and on mutated records).

use sha2::{Digest, Sha256};

use super::merkle::Hash;
use super::Record;

/// Deepest nesting the fast path follows; deeper records take the general path.
const MAX_DEPTH: usize = 64;

/// The record in `line`, if the line is canonical JSON in the subset described above.
pub fn parse_canonical(line: &str) -> Option<Record> {
    let b = line.as_bytes();
    let mut p = Parser { b, i: 0 };
    let top = p.top_object()?;
    if p.i != b.len() {
        return None;
    }
    let (hash_start, hash_end) = top.hash_member?;
    let mut h = Sha256::new();
    h.update(b.get(..hash_start)?);
    h.update(b.get(hash_end..)?);
    Some(Record {
        seq: top.seq?,
        prev_hash: top.prev_hash?,
        hash: top.hash?,
        computed: h.finalize().into(),
    })
}

/// The members of an input line for `chain seal`, when every value is in canonical form
/// already: `(key, value text)` sorted in canonical order, borrowed from the line.
///
/// Producers write audit records as compact or `json.dumps`-style JSON, whose values (strings
/// without escapes, integers, nested canonical values) are usually canonical while the member
/// order and the blanks between top-level tokens are not; sealing such a line needs only the
/// members sorted, not a tree. Blanks are allowed between the top-level tokens only; keys must
/// have no escape and no supplementary-plane character (so byte order is RFC 8785's order);
/// every value must pass the same check as [`parse_canonical`]'s. A line with a reserved
/// member (`seq`, `prev_hash`, `hash`), a duplicate key, or anything else returns `None` and
/// takes the general path, which decides and words the error.
pub fn seal_members(line: &str) -> Option<Vec<Member<'_>>> {
    let b = line.as_bytes();
    let mut p = Parser { b, i: 0 };
    p.blanks();
    p.eat(b'{')?;
    p.blanks();
    let mut members: Vec<Member<'_>> = Vec::with_capacity(16);
    if p.eat(b'}').is_none() {
        loop {
            let start = p.i + 1;
            p.key(None)?;
            let key = line.get(start..p.i - 1)?;
            if matches!(key, "seq" | "prev_hash" | "hash") {
                return None;
            }
            p.blanks();
            p.eat(b':')?;
            p.blanks();
            let value_start = p.i;
            p.value(1)?;
            members.push(Member {
                order: key
                    .as_bytes()
                    .first_chunk::<8>()
                    .map_or_else(|| order_prefix(key), |w| u64::from_be_bytes(*w)),
                key,
                value: line.get(value_start..p.i)?,
            });
            p.blanks();
            match p.peek()? {
                b',' => {
                    p.i += 1;
                    p.blanks();
                }
                b'}' => {
                    p.i += 1;
                    break;
                }
                _ => return None,
            }
        }
    }
    p.blanks();
    if p.i != b.len() {
        return None;
    }
    members.sort_unstable_by(Member::cmp_key);
    if members.windows(2).any(|w| w[0].key == w[1].key) {
        return None;
    }
    Some(members)
}

/// One member of an input line for `chain seal`: key and value text, borrowed from the line.
#[derive(Debug, Clone, Copy)]
pub struct Member<'a> {
    /// The key's first eight bytes as a big-endian number ([`order_prefix`]).
    pub order: u64,
    pub key: &'a str,
    pub value: &'a str,
}

impl Member<'_> {
    /// A member with this key and no value, to compare keys with.
    pub const fn named(key: &'static str) -> Member<'static> {
        Member {
            order: order_prefix(key),
            key,
            value: "",
        }
    }

    /// Canonical (byte) order of the keys; most keys differ in their first eight bytes, which
    /// are compared as one number.
    pub fn cmp_key(&self, other: &Self) -> std::cmp::Ordering {
        self.order
            .cmp(&other.order)
            .then_with(|| self.key.as_bytes().cmp(other.key.as_bytes()))
    }
}

/// A key's first eight bytes as a big-endian number, zero-padded: numbers compare as the keys
/// do, up to ties between keys that share eight bytes (or differ only by trailing NUL bytes,
/// which a plain key cannot hold).
pub const fn order_prefix(key: &str) -> u64 {
    let b = key.as_bytes();
    let mut w = [0u8; 8];
    let mut i = 0;
    while i < 8 && i < b.len() {
        w[i] = b[i];
        i += 1;
    }
    u64::from_be_bytes(w)
}

/// Value of each byte as a lowercase hex digit; 0xFF for every other byte.
static HEX: [u8; 256] = {
    let mut t = [0xFF_u8; 256];
    let mut d: u8 = 0;
    while d < 10 {
        t[(b'0' + d) as usize] = d;
        d += 1;
    }
    let mut d: u8 = 0;
    while d < 6 {
        t[(b'a' + d) as usize] = 10 + d;
        d += 1;
    }
    t
};

/// 64 lowercase hex digits as 32 bytes, without allocating or branching per digit.
pub fn hex32(s: &[u8]) -> Option<Hash> {
    if s.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    let mut bad = 0u8;
    for (o, pair) in out.iter_mut().zip(s.chunks_exact(2)) {
        let hi = HEX[usize::from(pair[0])];
        let lo = HEX[usize::from(pair[1])];
        bad |= hi | lo;
        *o = (hi << 4) | (lo & 0x0F);
    }
    (bad & 0xF0 == 0).then_some(out)
}

/// Length of the run of plain string content at the start of `s`: bytes other than a quote, a
/// backslash or a control character. Eight bytes are tested per step as one word (the flag of
/// the lowest matching byte of each test is exact, so the first stop byte is found exactly).
fn plain_run(s: &[u8]) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut words = s.chunks_exact(8);
    let mut at = 0;
    for w in words.by_ref() {
        let mut word = [0u8; 8];
        word.copy_from_slice(w);
        let x = u64::from_le_bytes(word);
        let quote = x ^ (ONES * u64::from(b'"'));
        let backslash = x ^ (ONES * u64::from(b'\\'));
        let stop = ((quote.wrapping_sub(ONES) & !quote)
            | (backslash.wrapping_sub(ONES) & !backslash)
            | (x.wrapping_sub(ONES * 0x20) & !x))
            & HIGH;
        if stop != 0 {
            return at + (stop.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    let tail = words.remainder();
    at + tail
        .iter()
        .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
        .unwrap_or(tail.len())
}

struct Top {
    seq: Option<u64>,
    prev_hash: Option<Hash>,
    hash: Option<Hash>,
    /// Bytes to leave out of the content hash: the `hash` member and one adjacent comma.
    hash_member: Option<(usize, usize)>,
}

struct Parser<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    /// JSON's insignificant whitespace.
    fn blanks(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.b.get(self.i) {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) -> Option<()> {
        (self.peek()? == c).then(|| self.i += 1)
    }

    /// The top-level object, noting the chain members.
    fn top_object(&mut self) -> Option<Top> {
        let mut top = Top {
            seq: None,
            prev_hash: None,
            hash: None,
            hash_member: None,
        };
        self.eat(b'{')?;
        if self.eat(b'}').is_some() {
            return Some(top);
        }
        let mut prev_key: Option<&'a [u8]> = None;
        let mut first = true;
        loop {
            let member_start = self.i;
            let key = self.key(prev_key)?;
            prev_key = Some(key);
            self.eat(b':')?;
            let value_start = self.i;
            self.value(1)?;
            let value = self.b.get(value_start..self.i)?;
            match key {
                b"seq" => top.seq = Some(canonical_seq(value)?),
                b"prev_hash" => top.prev_hash = Some(hex_string(value)?),
                b"hash" => {
                    top.hash = Some(hex_string(value)?);
                    top.hash_member = Some(if first {
                        // `{"hash":…,` → drop the member and the comma after it.
                        (member_start, self.i + usize::from(self.peek()? == b','))
                    } else {
                        // `,"hash":…` → drop the comma before it and the member.
                        (member_start - 1, self.i)
                    });
                }
                _ => {}
            }
            first = false;
            match self.peek()? {
                b',' => self.i += 1,
                b'}' => {
                    self.i += 1;
                    return Some(top);
                }
                _ => return None,
            }
        }
    }

    /// An object key, which must sort strictly after `prev`; returned without its quotes.
    fn key(&mut self, prev: Option<&'a [u8]>) -> Option<&'a [u8]> {
        let start = self.i + 1;
        let plain = self.string()?;
        let b: &'a [u8] = self.b;
        let key = b.get(start..self.i - 1)?;
        // Byte order is RFC 8785's UTF-16 order for keys without escapes and without
        // supplementary-plane characters; other keys are left to the general path.
        if !plain || key.iter().any(|&c| c >= 0xF0) {
            return None;
        }
        match prev {
            Some(p) if p >= key => None,
            _ => Some(key),
        }
    }

    fn value(&mut self, depth: usize) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        match self.peek()? {
            b'{' => {
                self.i += 1;
                if self.eat(b'}').is_some() {
                    return Some(());
                }
                let mut prev: Option<&'a [u8]> = None;
                loop {
                    prev = Some(self.key(prev)?);
                    self.eat(b':')?;
                    self.value(depth + 1)?;
                    match self.peek()? {
                        b',' => self.i += 1,
                        b'}' => {
                            self.i += 1;
                            return Some(());
                        }
                        _ => return None,
                    }
                }
            }
            b'[' => {
                self.i += 1;
                if self.eat(b']').is_some() {
                    return Some(());
                }
                loop {
                    self.value(depth + 1)?;
                    match self.peek()? {
                        b',' => self.i += 1,
                        b']' => {
                            self.i += 1;
                            return Some(());
                        }
                        _ => return None,
                    }
                }
            }
            b'"' => self.string().map(|_| ()),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            _ => self.number(),
        }
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        let end = self.i + word.len();
        (self.b.get(self.i..end)? == word).then(|| self.i = end)
    }

    /// A string in canonical form; `Some(true)` when it has no escape at all.
    fn string(&mut self) -> Option<bool> {
        self.eat(b'"')?;
        let mut plain = true;
        loop {
            // Skip the run of bytes that need no attention, eight at a time.
            let rest = self.b.get(self.i..)?;
            let run = plain_run(rest);
            if run == rest.len() {
                return None;
            }
            self.i += run;
            match self.b[self.i] {
                b'"' => {
                    self.i += 1;
                    return Some(plain);
                }
                b'\\' => {
                    plain = false;
                    match self.b.get(self.i + 1)? {
                        b'"' | b'\\' | b'b' | b'f' | b'n' | b'r' | b't' => self.i += 2,
                        b'u' => {
                            // RFC 8785 writes `\u00xx` (lowercase) only for the control
                            // characters that have no short escape.
                            let hex = self.b.get(self.i + 2..self.i + 6)?;
                            let v = u32::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?;
                            let lowercase = hex.iter().all(|c| !c.is_ascii_uppercase());
                            let short = matches!(v, 0x08 | 0x09 | 0x0a | 0x0c | 0x0d);
                            if v >= 0x20 || short || !lowercase {
                                return None;
                            }
                            self.i += 6;
                        }
                        _ => return None,
                    }
                }
                // A raw control character is not JSON.
                _ => return None,
            }
        }
    }

    /// A number whose canonical form is its own text.
    fn number(&mut self) -> Option<()> {
        let start = self.i;
        self.eat(b'-');
        let digits = |p: &mut Self| {
            let n =
                p.b.get(p.i..)?
                    .iter()
                    .take_while(|c| c.is_ascii_digit())
                    .count();
            p.i += n;
            (n > 0).then_some(n)
        };
        let int_digits = digits(self)?;
        if int_digits > 1 && self.b.get(self.i - int_digits) == Some(&b'0') {
            return None;
        }
        if self.eat(b'.').is_some() {
            digits(self)?;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            digits(self)?;
        }
        let token = self.b.get(start..self.i)?;
        // Integers of up to 15 digits without a leading zero are their own canonical form
        // (below 2^53, written as integers); `-0` is not.
        let magnitude = token.strip_prefix(b"-").unwrap_or(token);
        if magnitude.len() <= 15
            && magnitude.iter().all(u8::is_ascii_digit)
            && (magnitude[0] != b'0' || token == b"0")
        {
            return Some(());
        }
        if plain_decimal_is_canonical(magnitude) {
            return Some(());
        }
        let text = std::str::from_utf8(token).ok()?;
        let n: f64 = text.parse().ok()?;
        // The general path refuses integers beyond ±2^53 (they cannot be represented
        // exactly), whatever their notation.
        if !n.is_finite() || (n.fract() == 0.0 && n.abs() > super::jcs::MAX_SAFE) {
            return None;
        }
        let mut canon = String::new();
        super::jcs::write_number_to(n, &mut canon);
        (canon == text).then_some(())
    }
}

/// Whether a decimal without sign and exponent (`12.5`, `0.001`) is its own canonical form,
/// decided from the text alone.
///
/// A decimal of at most 15 significant digits reads to a double that no other decimal of at
/// most 15 digits reads to (`DBL_DIG`), so the shortest text that reads back to that double —
/// the digits ECMAScript's `Number::toString` writes — is the decimal's own digits, provided
/// they end in a non-zero digit. ECMAScript writes magnitudes from 10^-6 up to 10^21 without an
/// exponent, which here means at most five zeros after `0.`. Anything else (more digits, a
/// trailing zero, an exponent) is left to the formatter.
fn plain_decimal_is_canonical(magnitude: &[u8]) -> bool {
    let Some(dot) = memchr::memchr(b'.', magnitude) else {
        return false;
    };
    let (int, frac) = (&magnitude[..dot], &magnitude[dot + 1..]);
    if frac.is_empty() || frac.last() == Some(&b'0') || !frac.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let significant = if int == b"0" {
        let zeros = frac.iter().take_while(|&&c| c == b'0').count();
        if zeros > 5 {
            return false;
        }
        frac.len() - zeros
    } else {
        int.len() + frac.len()
    };
    significant <= 15
}

/// `seq` as the general path accepts it: a non-negative integer, here in canonical digits.
fn canonical_seq(value: &[u8]) -> Option<u64> {
    if value.is_empty() || value.len() > 16 || !value.iter().all(u8::is_ascii_digit) {
        return None;
    }
    if value.len() > 1 && value[0] == b'0' {
        return None;
    }
    let n: u64 = std::str::from_utf8(value).ok()?.parse().ok()?;
    (n <= 1 << 53).then_some(n)
}

/// A quoted 64-digit lowercase hex string.
fn hex_string(value: &[u8]) -> Option<Hash> {
    hex32(value.strip_prefix(b"\"")?.strip_suffix(b"\"")?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::{parse_record, Sealer};
    use proptest::prelude::*;

    fn sealed(lines: &[&str]) -> Vec<String> {
        let mut s = Sealer::default();
        lines
            .iter()
            .enumerate()
            .map(|(i, l)| s.seal(l, i + 1).expect("seal"))
            .collect()
    }

    fn same(line: &str) {
        let slow = parse_record(line).ok();
        if let Some(fast) = parse_canonical(line) {
            let slow = slow.unwrap_or_else(|| panic!("fast path accepted a bad line: {line}"));
            assert_eq!(
                (fast.seq, fast.prev_hash, fast.hash, fast.computed),
                (slow.seq, slow.prev_hash, slow.hash, slow.computed),
                "{line}"
            );
        }
    }

    #[test]
    fn sealed_records_take_the_fast_path_and_agree() {
        let recs = sealed(&[
            r#"{"user":"alice","action":"read","n":1}"#,
            r#"{"a":{"z":[1,2.5,-3e-7,true,null],"b":"x\ny\u0001"},"zz":"é😀"}"#,
            "{}",
            r#"{"aaa":1}"#,
            r#"{"zzz":1}"#,
        ]);
        for r in &recs {
            let fast = parse_canonical(r).unwrap_or_else(|| panic!("not fast: {r}"));
            assert_eq!(fast.hash, fast.computed, "{r}");
            same(r);
        }
    }

    #[test]
    fn non_canonical_lines_take_the_general_path() {
        let r = &sealed(&[r#"{"b":1,"a":2}"#])[0];
        for bad in [
            r.replace(':', ": "),
            r.replacen("{\"a\":2,\"b\":1", "{\"b\":1,\"a\":2", 1),
            r.replace("\"a\":2", "\"a\":2.0"),
            r.replace("\"a\":2", "\"a\":-0"),
            r.replace("\"a\":2", "\"a\":\"\\/\""),
            r.replace("\"a\":2", "\"a\":\"\\u0041\""),
            format!("{r} "),
        ] {
            assert!(parse_canonical(&bad).is_none(), "{bad}");
            same(&bad);
        }
    }

    #[test]
    fn hex_decoding() {
        let h = "00ff10ab".repeat(8);
        assert_eq!(hex32(h.as_bytes()).map(|x| x[1]), Some(0xff));
        assert!(hex32("00FF10AB".repeat(8).as_bytes()).is_none());
        assert!(hex32(b"00").is_none());
    }

    /// Whether the fast path takes `text` as a whole canonical number.
    fn fast_number(text: &str) -> bool {
        let mut p = Parser {
            b: text.as_bytes(),
            i: 0,
        };
        p.number().is_some() && p.i == text.len()
    }

    /// Whether the formatter writes the number `text` reads to as `text` itself.
    fn formatter_writes(text: &str) -> bool {
        let n: f64 = text.parse().expect("a number");
        let mut canon = String::new();
        crate::chain::jcs::write_number_to(n, &mut canon);
        canon == text
    }

    #[test]
    fn decimals_at_the_edges_of_the_plain_form() {
        for (text, canonical) in [
            ("0.5", true),
            ("-0.5", true),
            ("0.000001", true),
            ("0.0000001", false),
            ("100.25", true),
            ("1.50", false),
            ("1.0", false),
            ("0.0", false),
            ("123456789012345.6", true),
            ("0.1000000000000000055511151231257827", false),
            ("12345678901234.5", true),
            ("0.123456789012345", true),
            ("0.10000000000000001", false),
            ("0.30000000000000004", true),
        ] {
            assert_eq!(formatter_writes(text), canonical, "{text}");
            assert_eq!(fast_number(text), canonical, "{text}");
        }
    }

    #[test]
    fn plain_runs_stop_at_the_first_quote_backslash_or_control_byte() {
        // Every byte value at every position of words and tails, behind plain bytes of
        // every kind (ASCII, UTF-8 continuation and lead bytes, 0x7F).
        for fill in [b'a', 0x80, 0xC3, 0xFF, 0x7F, b' ', b'!', b'#', b'[', b']'] {
            for len in 0..20 {
                for at in 0..=len {
                    for byte in 0..=255u8 {
                        let mut s = vec![fill; len];
                        if at < len {
                            s[at] = byte;
                        }
                        let want = s
                            .iter()
                            .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
                            .unwrap_or(s.len());
                        assert_eq!(plain_run(&s), want, "{s:?}");
                    }
                }
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2048))]

        /// The fast path takes a decimal exactly when the formatter writes it back unchanged.
        #[test]
        fn plain_decimals_are_judged_as_the_formatter_writes_them(
            neg in any::<bool>(),
            int in "0|[1-9][0-9]{0,17}",
            frac in "0{0,8}[0-9]{1,12}|[0-9]{1,19}",
        ) {
            let text = format!("{}{int}.{frac}", if neg { "-" } else { "" });
            prop_assert_eq!(fast_number(&text), formatter_writes(&text), "{}", text);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Whatever one byte of a sealed record is changed to, the fast path either declines
        /// or computes exactly what the general path computes.
        #[test]
        fn mutated_records_agree(
            user in "[a-z\\\\\"é\u{1}]{0,12}",
            n in any::<i32>(),
            x in any::<f64>(),
            at in any::<prop::sample::Index>(),
            byte in any::<u8>(),
        ) {
            let x = if x.is_finite() && x != 0.0 && (x.fract() != 0.0 || x.abs() < 1e15) { x } else { 0.5 };
            let input = serde_json::json!({"user": user, "n": n, "x": x, "tags": ["a", {"k": n}]});
            let rec = sealed(&[&input.to_string()]).remove(0);
            prop_assert!(parse_canonical(&rec).is_some());
            same(&rec);
            let mut bytes = rec.into_bytes();
            let i = at.index(bytes.len());
            bytes[i] = byte;
            if let Ok(line) = String::from_utf8(bytes) {
                same(&line);
            }
        }
    }
}
