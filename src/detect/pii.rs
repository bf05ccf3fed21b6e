//! The PII detector: candidate regexes, then validation the way Presidio's recognizers do it
//! (Luhn and issuer ranges for cards, SSN area/group/serial rules, IBAN length and mod-97,
//! NHS mod-11, Bitcoin base58check and bech32, Ethereum EIP-55), with context words raising
//! confidence. Entities that are ambiguous without context (NHS and passport numbers, national
//! phone formats, lower-case Ethereum addresses) are reported only when a context word is near.

use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::LazyLock;

use regex::Regex;
use sha2::{Digest, Sha256};

use super::Detection;
use crate::finding::Severity;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Entity {
    Email,
    Phone,
    CreditCard,
    UsSsn,
    Iban,
    IpAddress,
    UkNhs,
    CryptoWallet,
    UsPassport,
}

/// Per entity: rule id, name, severity of an unredacted occurrence in a log.
pub static ENTITIES: &[(Entity, &str, &str, Severity)] = &[
    (Entity::Email, "PII001", "EMAIL", Severity::Medium),
    (Entity::Phone, "PII002", "PHONE", Severity::Medium),
    (
        Entity::CreditCard,
        "PII003",
        "CREDIT_CARD",
        Severity::Critical,
    ),
    (Entity::UsSsn, "PII004", "US_SSN", Severity::Critical),
    (Entity::Iban, "PII005", "IBAN", Severity::High),
    (Entity::IpAddress, "PII006", "IP_ADDRESS", Severity::Low),
    (Entity::UkNhs, "PII007", "UK_NHS", Severity::High),
    (
        Entity::CryptoWallet,
        "PII008",
        "CRYPTO_WALLET",
        Severity::Medium,
    ),
    (Entity::UsPassport, "PII009", "US_PASSPORT", Severity::High),
];

impl Entity {
    pub fn id(self) -> &'static str {
        ENTITIES
            .iter()
            .find(|e| e.0 == self)
            .map_or("PII000", |e| e.1)
    }
    pub fn name(self) -> &'static str {
        ENTITIES.iter().find(|e| e.0 == self).map_or("PII", |e| e.2)
    }
    pub fn severity(self) -> Severity {
        ENTITIES
            .iter()
            .find(|e| e.0 == self)
            .map_or(Severity::Medium, |e| e.3)
    }
    pub fn parse(name: &str) -> Option<Entity> {
        ENTITIES
            .iter()
            .find(|e| e.2.eq_ignore_ascii_case(name) || e.1 == name)
            .map(|e| e.0)
    }
    /// Entities reported by default. IP addresses are opt-in: every access log is full of them.
    pub fn defaults() -> Vec<Entity> {
        ENTITIES
            .iter()
            .map(|e| e.0)
            .filter(|e| *e != Entity::IpAddress)
            .collect()
    }
}

struct Patterns {
    /// One pass over the text finds every window that could hold a non-email entity; the
    /// validating patterns below then only run inside those windows.
    candidates: Regex,
    email: Regex,
    phone_intl: Regex,
    phone_nanp: Regex,
    /// National formats with a trunk prefix: UK `07700 900123`, `020 7946 0958`, DE `030 1234567`.
    phone_national: Regex,
    card: Regex,
    ssn: Regex,
    iban: Regex,
    ipv4: Regex,
    ipv6: Regex,
    nhs: Regex,
    btc: Regex,
    bech32: Regex,
    eth: Regex,
    passport: Regex,
}

static P: LazyLock<Patterns> = LazyLock::new(|| {
    let r = |p: &str| Regex::new(p).expect("static PII regex");
    Patterns {
        candidates: r(concat!(
            r"[+(]?\d[\d \-.()]{5,40}\d",
            r"|\b[13][a-km-zA-HJ-NP-Z1-9]{25,34}\b",
            r"|(?i:\bbc1[ac-hj-np-z02-9]{11,71}\b)",
            r"|\b0x[0-9a-fA-F]{40}\b",
            r"|\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b",
        )),
        email: r(
            r"(?i)\b[a-z0-9][a-z0-9._%+\-]{0,63}@(?:[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?\.)+[a-z]{2,24}\b",
        ),
        phone_intl: r(r"(?:^|[^\w+])(\+[1-9]\d{0,2}(?:[ .\-]?\(?\d{1,4}\)?){1,5}[ .\-]?\d{2,4})\b"),
        phone_nanp: r(r"(?:^|[^\w])(\(?[2-9]\d{2}\)?[ .\-]\d{3}[ .\-]\d{4})\b"),
        phone_national: r(r"(?:^|[^\w+])(\(?0\d{2,4}\)?[ \-]?\d{3,4}[ \-]?\d{3,4})\b"),
        card: r(r"\b(?:\d[ \-]?){12,18}\d\b"),
        ssn: r(r"\b(\d{3})([ \-])(\d{2})([ \-])(\d{4})\b"),
        iban: r(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b"),
        ipv4: r(
            r"\b(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\b",
        ),
        ipv6: r(r"(?i)(?:[0-9a-f]{0,4}:){2,7}[0-9a-f]{0,4}"),
        nhs: r(r"\b\d{3}[ \-]?\d{3}[ \-]?\d{4}\b"),
        btc: r(r"\b[13][a-km-zA-HJ-NP-Z1-9]{25,34}\b"),
        bech32: r(r"(?i)\bbc1[ac-hj-np-z02-9]{11,71}\b"),
        eth: r(r"\b0x[0-9a-fA-F]{40}\b"),
        passport: r(r"\b[A-Z]?\d{8,9}\b"),
    }
});

/// Does one of `words` (lower-case ASCII) occur within 48 bytes before `start`
/// (case-insensitive)? Compared in place: this runs for every candidate that needs context.
fn context(text: &str, start: usize, words: &[&str]) -> bool {
    let mut from = start.saturating_sub(48);
    while !text.is_char_boundary(from) {
        from -= 1;
    }
    let window = text.as_bytes().get(from..start).unwrap_or_default();
    // Each position is compared with a word only where the word's first letter is: most
    // positions hold none of them, and the whole comparison is skipped there. The first
    // letters are a bit set (`None`: a word does not start with `a`-`z`, test every word).
    let firsts = words
        .iter()
        .try_fold(0u32, |m, w| match w.as_bytes().first() {
            Some(c @ b'a'..=b'z') => Some(m | 1 << (c - b'a')),
            _ => None,
        });
    window.iter().enumerate().any(|(i, b)| {
        let b = b.to_ascii_lowercase();
        if let Some(firsts) = firsts {
            if !b.is_ascii_lowercase() || firsts & 1 << (b - b'a') == 0 {
                return false;
            }
        }
        words.iter().any(|w| {
            w.as_bytes().first() == Some(&b)
                && window
                    .get(i..i + w.len())
                    .is_some_and(|x| x.eq_ignore_ascii_case(w.as_bytes()))
        })
    })
}

/// Which context words occur anywhere in a text (ASCII case-insensitive): a validator that
/// needs a word within 48 bytes before its match cannot succeed in a text without the word, so
/// its pattern need not run. Computed once per text, and only when a window needs it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Words {
    nhs: bool,
    passport: bool,
    phone: bool,
}

const NHS_WORDS: &[&str] = &["nhs", "national health"];
const PASSPORT_WORDS: &[&str] = &["passport"];

static WORDS: LazyLock<aho_corasick::AhoCorasick> = LazyLock::new(|| {
    aho_corasick::AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build(NHS_WORDS.iter().chain(PASSPORT_WORDS).chain(PHONE_WORDS))
        .expect("static context words")
});

/// The context words, in the order [`Words::add`] numbers them: for a caller that looks for
/// them in its own pass over a text, together with other keywords (ASCII case-insensitive).
pub fn context_words() -> impl Iterator<Item = &'static str> {
    NHS_WORDS
        .iter()
        .chain(PASSPORT_WORDS)
        .chain(PHONE_WORDS)
        .copied()
}

impl Words {
    fn of(text: &str) -> Words {
        let mut w = Words::default();
        for m in WORDS.find_overlapping_iter(text) {
            w.add(m.pattern().as_usize());
        }
        w
    }

    /// Context word `i` (of [`context_words`]) occurs in the text.
    pub fn add(&mut self, i: usize) {
        match i {
            i if i < NHS_WORDS.len() => self.nhs = true,
            i if i < NHS_WORDS.len() + PASSPORT_WORDS.len() => self.passport = true,
            _ => self.phone = true,
        }
    }
}

/// What a candidate window holds, counted in one pass, so that a validating pattern runs only
/// where it could match: each test below is a necessary condition of its pattern (digit counts,
/// a `+`, a run of digits, a length), so skipping a pattern never loses a match. Windows with
/// non-ASCII text (where `\d` also matches other scripts' digits) run every pattern.
#[derive(Debug, Clone, Copy, Default)]
#[allow(clippy::struct_excessive_bools)] // independent facts, each tested by one pattern
struct Shape {
    ascii: bool,
    len: usize,
    digits: usize,
    /// Longest run of consecutive digits.
    run: usize,
    /// Some run of consecutive digits is exactly 8 or 9 long (a passport number's).
    run89: bool,
    plus: bool,
    zero: bool,
    /// A space or a dash (the SSN's separators).
    sep: bool,
    /// Two upper-case letters in a row (an IBAN's country code).
    upper2: bool,
    /// An `x` or `X` (the `0x` of an Ethereum address).
    x: bool,
    /// A `b` or `B` (bech32's `bc1`).
    b: bool,
}

impl Shape {
    fn of(s: &str) -> Shape {
        let mut sh = Shape {
            ascii: s.is_ascii(),
            len: s.len(),
            ..Shape::default()
        };
        let (mut run, mut prev_upper) = (0, false);
        for &c in s.as_bytes() {
            if c.is_ascii_digit() {
                sh.digits += 1;
                run += 1;
                sh.run = sh.run.max(run);
                sh.zero |= c == b'0';
            } else {
                sh.run89 |= (8..=9).contains(&run);
                run = 0;
            }
            let upper = c.is_ascii_uppercase();
            sh.upper2 |= upper && prev_upper;
            prev_upper = upper;
            match c {
                b'+' => sh.plus = true,
                b' ' | b'-' => sh.sep = true,
                b'x' | b'X' => sh.x = true,
                b'b' | b'B' => sh.b = true,
                _ => {}
            }
        }
        sh.run89 |= (8..=9).contains(&run);
        sh
    }

    /// Could `pattern` match here? (Always, for non-ASCII text.)
    fn may(self, pattern: Pattern) -> bool {
        if !self.ascii {
            return true;
        }
        match pattern {
            Pattern::Card => self.digits >= 13,
            Pattern::Iban => self.upper2 && self.len >= 15,
            Pattern::Ssn => self.digits >= 9 && self.sep,
            Pattern::Nhs | Pattern::PhoneNanp => self.digits >= 10,
            // `\b` on both sides: a longer run of digits holds no match.
            Pattern::Passport => self.run89,
            Pattern::Btc => self.len >= 26,
            Pattern::Bech32 => self.b && self.len >= 14,
            Pattern::Eth => self.x && self.len >= 42,
            Pattern::PhoneIntl => self.plus && self.digits >= 2,
            Pattern::PhoneNational => self.zero && self.digits >= 8,
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Pattern {
    Card,
    Iban,
    Ssn,
    Nhs,
    Passport,
    Btc,
    Bech32,
    Eth,
    PhoneIntl,
    PhoneNational,
    PhoneNanp,
}

fn digits(s: &str) -> Vec<u8> {
    s.bytes()
        .filter(u8::is_ascii_digit)
        .map(|b| b - b'0')
        .collect()
}

pub fn luhn(d: &[u8]) -> bool {
    let sum: u32 = d
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &x)| {
            let x = u32::from(x);
            if i % 2 == 1 {
                let y = x * 2;
                if y > 9 {
                    y - 9
                } else {
                    y
                }
            } else {
                x
            }
        })
        .sum();
    !d.is_empty() && sum.is_multiple_of(10)
}

fn card_issuer_ok(d: &[u8]) -> bool {
    let n = |k: usize| d.iter().take(k).fold(0u32, |a, &x| a * 10 + u32::from(x));
    let len = d.len();
    match d.first() {
        Some(4) => matches!(len, 13 | 16 | 19),                // Visa
        Some(5) => (51..=55).contains(&n(2)) && len == 16,     // Mastercard
        Some(2) => (2221..=2720).contains(&n(4)) && len == 16, // Mastercard 2-series
        Some(3) => {
            (matches!(n(2), 34 | 37) && len == 15)                                 // Amex
            || ((3528..=3589).contains(&n(4)) && (16..=19).contains(&len))                // JCB
            || (((300..=305).contains(&n(3)) || matches!(n(2), 36 | 38 | 39)) && (14..=19).contains(&len))
        } // Diners
        Some(6) => {
            (n(4) == 6011 || n(2) == 65 || (644..=649).contains(&n(3)) || n(2) == 62)
                && (16..=19).contains(&len)
        }
        _ => false,
    }
}

/// Separators in a card number are all spaces, all dashes, or absent, and split the number the
/// way cards are printed: groups of four (the last one shorter for 13/19 digits), or Amex and
/// Diners 4-6-5 / 4-6-4.
fn card_grouping_ok(s: &str) -> bool {
    let sep = s.bytes().find(|c| !c.is_ascii_digit());
    let Some(sep) = sep else {
        return true;
    };
    let groups: Vec<usize> = s.split(char::from(sep)).map(str::len).collect();
    if s.bytes().any(|c| !c.is_ascii_digit() && c != sep) || groups.contains(&0) {
        return false;
    }
    match groups.as_slice() {
        [4, 6, 4 | 5] | [4, 4, 5] | [4, 3, 3, 3] => true,
        [4, rest @ ..] => match rest.split_last() {
            Some((last, middle)) => middle.iter().all(|&g| g == 4) && (1..=4).contains(last),
            None => false,
        },
        _ => false,
    }
}

fn ssn_ok(area: &str, group: &str, serial: &str) -> bool {
    let a: u32 = area.parse().unwrap_or(0);
    if a == 0 || a == 666 || a >= 900 || group == "00" || serial == "0000" {
        return false;
    }
    // Numbers published as examples or used in advertising.
    !matches!(
        format!("{area}{group}{serial}").as_str(),
        "078051120" | "219099999" | "123456789"
    )
}

/// IBAN length by country (ISO 13616 registry).
fn iban_length(country: &str) -> Option<usize> {
    const LENGTHS: &[(&str, usize)] = &[
        ("AD", 24),
        ("AE", 23),
        ("AL", 28),
        ("AT", 20),
        ("AZ", 28),
        ("BA", 20),
        ("BE", 16),
        ("BG", 22),
        ("BH", 22),
        ("BR", 29),
        ("BY", 28),
        ("CH", 21),
        ("CR", 22),
        ("CY", 28),
        ("CZ", 24),
        ("DE", 22),
        ("DK", 18),
        ("DO", 28),
        ("EE", 20),
        ("EG", 29),
        ("ES", 24),
        ("FI", 18),
        ("FO", 18),
        ("FR", 27),
        ("GB", 22),
        ("GE", 22),
        ("GI", 23),
        ("GL", 18),
        ("GR", 27),
        ("GT", 28),
        ("HR", 21),
        ("HU", 28),
        ("IE", 22),
        ("IL", 23),
        ("IQ", 23),
        ("IS", 26),
        ("IT", 27),
        ("JO", 30),
        ("KW", 30),
        ("KZ", 20),
        ("LB", 28),
        ("LC", 32),
        ("LI", 21),
        ("LT", 20),
        ("LU", 20),
        ("LV", 21),
        ("MC", 27),
        ("MD", 24),
        ("ME", 22),
        ("MK", 19),
        ("MR", 27),
        ("MT", 31),
        ("MU", 30),
        ("NL", 18),
        ("NO", 15),
        ("PK", 24),
        ("PL", 28),
        ("PS", 29),
        ("PT", 25),
        ("QA", 29),
        ("RO", 24),
        ("RS", 22),
        ("SA", 24),
        ("SC", 31),
        ("SE", 24),
        ("SI", 19),
        ("SK", 24),
        ("SM", 27),
        ("ST", 25),
        ("SV", 28),
        ("TL", 23),
        ("TN", 24),
        ("TR", 26),
        ("UA", 29),
        ("VA", 22),
        ("VG", 24),
        ("XK", 20),
    ];
    LENGTHS.iter().find(|(c, _)| *c == country).map(|(_, l)| *l)
}

pub fn iban_ok(raw: &str) -> bool {
    let s: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
    if iban_length(s.get(..2).unwrap_or_default()) != Some(s.len()) {
        return false;
    }
    let rearranged = format!("{}{}", &s[4..], &s[..4]);
    let mut rem: u32 = 0;
    for c in rearranged.chars() {
        let v = match c {
            '0'..='9' => c as u32 - '0' as u32,
            'A'..='Z' => c as u32 - 'A' as u32 + 10,
            _ => return false,
        };
        rem = if v >= 10 {
            (rem * 100 + v) % 97
        } else {
            (rem * 10 + v) % 97
        };
    }
    rem == 1
}

pub fn nhs_ok(d: &[u8]) -> bool {
    if d.len() != 10 {
        return false;
    }
    let sum: u32 = d
        .iter()
        .take(9)
        .zip((2..=10).rev())
        .map(|(&x, w)| u32::from(x) * w)
        .sum();
    let check = 11 - (sum % 11);
    let check = if check == 11 { 0 } else { check };
    check != 10 && check == u32::from(d[9])
}

fn base58check_ok(s: &str) -> bool {
    const ALPHABET: &[u8] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    let mut bytes: Vec<u8> = Vec::new();
    for c in s.bytes() {
        let Some(mut carry) = ALPHABET.iter().position(|&a| a == c) else {
            return false;
        };
        for b in bytes.iter_mut().rev() {
            carry += usize::from(*b) * 58;
            *b = u8::try_from(carry & 0xff).unwrap_or(0);
            carry >>= 8;
        }
        while carry > 0 {
            bytes.insert(0, u8::try_from(carry & 0xff).unwrap_or(0));
            carry >>= 8;
        }
    }
    let zeros = s.bytes().take_while(|&c| c == b'1').count();
    let mut full = vec![0u8; zeros];
    full.extend(bytes);
    if full.len() != 25 {
        return false;
    }
    let (payload, check) = full.split_at(21);
    let h = Sha256::digest(Sha256::digest(payload));
    h[..4] == *check
}

fn bech32_ok(s: &str) -> bool {
    const CHARSET: &[u8] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";
    let lower = s.to_ascii_lowercase();
    if lower != s && s.to_ascii_uppercase() != s {
        return false;
    }
    let Some(pos) = lower.rfind('1') else {
        return false;
    };
    let (hrp, data) = (&lower[..pos], &lower[pos + 1..]);
    let mut values: Vec<u32> = hrp.bytes().map(|b| u32::from(b >> 5)).collect();
    values.push(0);
    values.extend(hrp.bytes().map(|b| u32::from(b & 31)));
    for c in data.bytes() {
        let Some(v) = CHARSET.iter().position(|&x| x == c) else {
            return false;
        };
        values.push(u32::try_from(v).unwrap_or(0));
    }
    let gen = [
        0x3b6a_57b2u32,
        0x2650_8e6d,
        0x1ea1_19fa,
        0x3d42_33dd,
        0x2a14_62b3,
    ];
    let mut chk: u32 = 1;
    for v in values {
        let top = chk >> 25;
        chk = ((chk & 0x1ff_ffff) << 5) ^ v;
        for (i, g) in gen.iter().enumerate() {
            if (top >> i) & 1 == 1 {
                chk ^= g;
            }
        }
    }
    chk == 1 || chk == 0x2bc8_30a3 // bech32 or bech32m
}

fn eip55_ok(addr: &str) -> bool {
    let hex = &addr[2..];
    let lower = hex.to_ascii_lowercase();
    let hash = sha3::Keccak256::digest(lower.as_bytes());
    hex.chars().enumerate().all(|(i, c)| {
        if !c.is_ascii_alphabetic() {
            return true;
        }
        let nibble = (hash[i / 2] >> (if i % 2 == 0 { 4 } else { 0 })) & 0xf;
        (nibble >= 8) == c.is_ascii_uppercase()
    })
}

const PHONE_WORDS: &[&str] = &[
    "phone", "tel", "mobile", "cell", "call", "fax", "whatsapp", "sms", "contact",
];

fn email_ok(m: &str) -> bool {
    let (local, domain) = m.rsplit_once('@').unwrap_or_default();
    let domain = domain.to_ascii_lowercase();
    // RFC 2606/6761 reserved names are examples, not people; `git@host` is an SSH user.
    let reserved = ["example.com", "example.org", "example.net"]
        .iter()
        .any(|d| {
            domain
                .strip_suffix(d)
                .is_some_and(|rest| rest.is_empty() || rest.ends_with('.'))
        })
        || [".example", ".test", ".invalid", ".localhost", ".local"]
            .iter()
            .any(|t| domain.ends_with(t));
    !reserved && local != "git"
}

/// A match found inside a window, shifted back to a position in the whole text.
struct Hit<'t> {
    start: usize,
    end: usize,
    text: &'t str,
}

fn hits<'t>(re: &Regex, windows: &[(usize, &'t str, Shape)], pattern: Pattern) -> Vec<Hit<'t>> {
    windows
        .iter()
        .filter(|w| w.2.may(pattern))
        .flat_map(|&(base, win, _)| {
            re.find_iter(win).map(move |m| Hit {
                start: base + m.start(),
                end: base + m.end(),
                text: m.as_str(),
            })
        })
        .collect()
}

/// Find PII of the given entities in `text`.
pub fn scan(text: &str, entities: &[Entity]) -> Vec<Detection> {
    scan_with(text, entities, true, None)
}

/// [`scan`], given the context words found anywhere in `text` by the caller's own pass (see
/// [`context_words`]): the same detections, without a second pass over the text for them.
/// The words only let a validator be skipped where its word is absent (each validator still
/// checks its word right before its match), so words from the whole text, a superset of those
/// near the candidates, change nothing.
pub fn scan_with_words(text: &str, entities: &[Entity], words: Words) -> Vec<Detection> {
    scan_with(text, entities, true, Some(words))
}

/// [`scan`], with the per-window prechecks ([`Shape`]) on or off (off: every validating
/// pattern runs in every window, for tests that hold the two to the same result).
fn scan_with(
    text: &str,
    entities: &[Entity],
    prechecks: bool,
    known: Option<Words>,
) -> Vec<Detection> {
    let shape = |s: &str| {
        if prechecks {
            Shape::of(s)
        } else {
            Shape::default()
        }
    };
    let p = &*P;
    let want = |e: Entity| entities.contains(&e);
    let mut out: Vec<Detection> = Vec::new();
    let push = |e: Entity, start: usize, end: usize, out: &mut Vec<Detection>| {
        if !out.iter().any(|d| d.start < end && start < d.end) {
            out.push(Detection {
                rule: e.id(),
                start,
                end,
            });
        }
    };
    if want(Entity::Email) && memchr::memchr(b'@', text.as_bytes()).is_some() {
        for m in p.email.find_iter(text) {
            if email_ok(m.as_str()) {
                push(Entity::Email, m.start(), m.end(), &mut out);
            }
        }
    }
    // One pass for every other entity's candidates; validators run inside the windows only.
    let windows: Vec<(usize, &str, Shape)> = p
        .candidates
        .find_iter(text)
        .map(|m| (m.start(), m.as_str(), shape(m.as_str())))
        .collect();
    if !windows.is_empty() {
        scan_windows(text, &windows, &want, &mut out, &push, (prechecks, known));
    }
    if want(Entity::IpAddress) {
        for m in p.ipv4.find_iter(text) {
            let before = text[..m.start()].chars().next_back();
            let after = text[m.end()..].chars().next();
            if before == Some('.')
                || after == Some('.')
                    && text[m.end() + 1..].starts_with(|c: char| c.is_ascii_digit())
            {
                continue;
            }
            if m.as_str()
                .parse::<Ipv4Addr>()
                .is_ok_and(|ip| !ip.is_unspecified())
            {
                push(Entity::IpAddress, m.start(), m.end(), &mut out);
            }
        }
        for m in p.ipv6.find_iter(text) {
            if m.as_str().matches(':').count() >= 2
                && m.as_str().parse::<Ipv6Addr>().is_ok()
                && m.as_str().len() > 4
            {
                push(Entity::IpAddress, m.start(), m.end(), &mut out);
            }
        }
    }
    out.sort_by_key(|d| (d.start, d.rule));
    out
}

/// Adds a detection unless it overlaps one already found.
type Push<'a> = &'a dyn Fn(Entity, usize, usize, &mut Vec<Detection>);

/// Checksummed entities first, so a card is not also reported as a phone.
fn scan_windows(
    text: &str,
    windows: &[(usize, &str, Shape)],
    want: &dyn Fn(Entity) -> bool,
    out: &mut Vec<Detection>,
    push: Push<'_>,
    (prechecks, known): (bool, Option<Words>),
) {
    let p = &*P;
    let shape = |s: &str| {
        if prechecks {
            Shape::of(s)
        } else {
            Shape::default()
        }
    };
    let words_cell = std::cell::OnceCell::new();
    let words = || {
        *words_cell.get_or_init(|| {
            if let (true, Some(w)) = (prechecks, known) {
                w
            } else if prechecks {
                // Every context check looks at most 48 bytes (plus one character, for the
                // phone patterns, and a character boundary) before a match in a window.
                let lo = windows.iter().map(|w| w.0).min().unwrap_or(0);
                let hi = windows.iter().map(|w| w.0 + w.1.len()).max().unwrap_or(0);
                let mut from = lo.saturating_sub(48 + 8);
                while !text.is_char_boundary(from) {
                    from -= 1;
                }
                Words::of(text.get(from..hi).unwrap_or(text))
            } else {
                Words {
                    nhs: true,
                    passport: true,
                    phone: true,
                }
            }
        })
    };
    let may = |pattern: Pattern| windows.iter().any(|w| w.2.may(pattern));
    if want(Entity::CreditCard) {
        for h in hits(&p.card, windows, Pattern::Card) {
            // Candidate windows cut digit runs out of longer tokens, so the boundaries are
            // checked on the whole text: `9f3c4111111111111111e2` is a request id, not a card.
            let glued = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
            if glued(text[..h.start].chars().next_back()) || glued(text[h.end..].chars().next()) {
                continue;
            }
            if !card_grouping_ok(h.text) {
                continue;
            }
            let d = digits(h.text);
            if (13..=19).contains(&d.len()) && luhn(&d) && card_issuer_ok(&d) {
                push(Entity::CreditCard, h.start, h.end, out);
            }
        }
    }
    if want(Entity::Iban) {
        for h in hits(&p.iban, windows, Pattern::Iban) {
            if iban_ok(h.text) {
                push(Entity::Iban, h.start, h.end, out);
            }
        }
    }
    if want(Entity::UsSsn) {
        for &(base, win, _) in windows.iter().filter(|w| w.2.may(Pattern::Ssn)) {
            // A capture search runs the slower engines: only where the fast one finds a match.
            if !p.ssn.is_match(win) {
                continue;
            }
            for c in p.ssn.captures_iter(win) {
                let (Some(a), Some(s1), Some(g), Some(s2), Some(s)) =
                    (c.get(1), c.get(2), c.get(3), c.get(4), c.get(5))
                else {
                    continue;
                };
                if s1.as_str() == s2.as_str() && ssn_ok(a.as_str(), g.as_str(), s.as_str()) {
                    push(Entity::UsSsn, base + a.start(), base + s.end(), out);
                }
            }
        }
    }
    if want(Entity::UkNhs) && may(Pattern::Nhs) && words().nhs {
        for h in hits(&p.nhs, windows, Pattern::Nhs) {
            if nhs_ok(&digits(h.text)) && context(text, h.start, &["nhs", "national health"]) {
                push(Entity::UkNhs, h.start, h.end, out);
            }
        }
    }
    if want(Entity::UsPassport) && may(Pattern::Passport) && words().passport {
        for h in hits(&p.passport, windows, Pattern::Passport) {
            if context(text, h.start, &["passport"]) {
                push(Entity::UsPassport, h.start, h.end, out);
            }
        }
    }
    if want(Entity::CryptoWallet) {
        for h in hits(&p.btc, windows, Pattern::Btc) {
            if base58check_ok(h.text) {
                push(Entity::CryptoWallet, h.start, h.end, out);
            }
        }
        for h in hits(&p.bech32, windows, Pattern::Bech32) {
            if bech32_ok(h.text) {
                push(Entity::CryptoWallet, h.start, h.end, out);
            }
        }
        for h in hits(&p.eth, windows, Pattern::Eth) {
            let hex = &h.text[2..];
            let mixed = hex.chars().any(|c| c.is_ascii_uppercase())
                && hex.chars().any(|c| c.is_ascii_lowercase());
            let ok = if mixed {
                eip55_ok(h.text)
            } else {
                context(text, h.start, &["wallet", "eth", "address"])
            };
            if ok {
                push(Entity::CryptoWallet, h.start, h.end, out);
            }
        }
    }
    if want(Entity::Phone) {
        for &(base, win, _) in windows {
            // The phone patterns look one character back for a boundary: give them that character.
            let from = text[..base]
                .char_indices()
                .next_back()
                .map_or(base, |(i, _)| i);
            let region = &text[from..base + win.len()];
            let shape = shape(region);
            // A national number needs a phone word; a NANP one a word or its `(`.
            let intl = shape.may(Pattern::PhoneIntl);
            let national = shape.may(Pattern::PhoneNational) && words().phone;
            let nanp = shape.may(Pattern::PhoneNanp) && (words().phone || region.contains('('));
            if !(intl || national || nanp) {
                continue;
            }
            if intl && p.phone_intl.is_match(region) {
                for c in p.phone_intl.captures_iter(region) {
                    let Some(m) = c.get(1) else { continue };
                    let n = digits(m.as_str()).len();
                    if (8..=15).contains(&n) {
                        push(Entity::Phone, from + m.start(), from + m.end(), out);
                    }
                }
            }
            if national && p.phone_national.is_match(region) {
                for c in p.phone_national.captures_iter(region) {
                    let Some(m) = c.get(1) else { continue };
                    let n = digits(m.as_str()).len();
                    // A leading-zero number is only a phone where the text says so.
                    if (9..=12).contains(&n) && context(text, from + m.start(), PHONE_WORDS) {
                        push(Entity::Phone, from + m.start(), from + m.end(), out);
                    }
                }
            }
            if nanp && p.phone_nanp.is_match(region) {
                for c in p.phone_nanp.captures_iter(region) {
                    let Some(m) = c.get(1) else { continue };
                    // "(555) 123-4567" is a phone by its shape; bare "555-123-4567" needs a
                    // context word.
                    if m.as_str().starts_with('(') || context(text, from + m.start(), PHONE_WORDS) {
                        push(Entity::Phone, from + m.start(), from + m.end(), out);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first-letter skip changes nothing: every word, at every end, in mixed case and
    /// beside non-ASCII text, against a plain search of the 48 bytes before the match.
    #[test]
    fn context_is_a_search_of_the_bytes_before() {
        let reference = |text: &str, start: usize, words: &[&str]| {
            let mut from = start.saturating_sub(48);
            while !text.is_char_boundary(from) {
                from -= 1;
            }
            let w = text[from..start].to_ascii_lowercase();
            words.iter().any(|x| w.contains(&x.to_ascii_lowercase()))
        };
        let texts = [
            "call me on 020 7946 0958",
            "TEL: 020 7946 0958",
            "Ph. 020 7946 0958, tel",
            "é Passport № 123456789",
            "national Health no 943 476 5919",
            "nationalhealth 943 476 5919",
            "whatsapp+44 7700 900123 and 0x52908400098527886E0F7030069857D2E4169EE7",
            "a long line of padding text without any of the words at all 020 7946 0958",
            "Contact_phone=020 7946 0958",
            "x_eth 0x52908400098527886e0f7030069857d2e4169ee7",
        ];
        let sets: [&[&str]; 4] = [
            PHONE_WORDS,
            NHS_WORDS,
            PASSPORT_WORDS,
            &["wallet", "eth", "address", "9lives"],
        ];
        for text in texts {
            for start in (0..=text.len()).filter(|&i| text.is_char_boundary(i)) {
                for words in sets {
                    assert_eq!(
                        context(text, start, words),
                        reference(text, start, words),
                        "{text:?} at {start} for {words:?}"
                    );
                }
            }
        }
    }

    fn found(text: &str, e: Entity) -> Vec<&str> {
        scan(text, &[e])
            .into_iter()
            .filter(|d| d.rule == e.id())
            .map(|d| &text[d.start..d.end])
            .collect()
    }

    /// (entity, true-positive samples with the value each must find, false-positive samples).
    #[allow(clippy::type_complexity)]
    const SAMPLES: &[(Entity, &[(&str, &str)], &[&str])] = &[
        (
            Entity::Email,
            &[
                (
                    "contact jane.doe@acme-corp.io for access",
                    "jane.doe@acme-corp.io",
                ),
                ("\"user\":\"MAX+ml@gmail.com\"", "MAX+ml@gmail.com"),
            ],
            &[
                "git@github.com:org/repo.git",
                "test@example.com",
                "user@host",
                "name@localhost.local",
                "[REDACTED:EMAIL]",
            ],
        ),
        (
            Entity::CreditCard,
            &[
                ("card 4111 1111 1111 1111 exp 12/27", "4111 1111 1111 1111"),
                ("pan=5500-0000-0000-0004", "5500-0000-0000-0004"),
                ("amex 378282246310005", "378282246310005"),
                ("amex 3782 822463 10005", "3782 822463 10005"),
                ("\"pan\":\"4111111111111111\"", "4111111111111111"),
                ("card:4111-1111-1111-1111.", "4111-1111-1111-1111"),
            ],
            &[
                "order 4111 1111 1111 1112",
                "id 1234567812345678",
                "4111-1111 1111-1111",
                "ts 1700000000000000",
                // Digit runs inside hex request ids and other tokens.
                "request_id=9f3c4111111111111111e2a0",
                "trace a4111111111111111",
                "span 4111111111111111b",
                "id_4111111111111111",
                "x-req: 7d5500000000000004ff",
                // Inconsistent or un-card-like grouping.
                "4111 1111-1111 1111",
                "4111 111111111111",
                "41111 11111 11111 1",
            ],
        ),
        (
            Entity::UsSsn,
            &[
                ("ssn: 536-22-8741", "536-22-8741"),
                ("SSN 536 22 8741", "536 22 8741"),
            ],
            &[
                "000-12-3456",
                "666-12-3456",
                "912-12-3456",
                "536-00-8741",
                "536-22-0000",
                "078-05-1120",
                "536-22 8741",
                "2024-01-15",
            ],
        ),
        (
            Entity::Iban,
            &[
                (
                    "IBAN DE89 3704 0044 0532 0130 00",
                    "DE89 3704 0044 0532 0130 00",
                ),
                ("GB82WEST12345698765432", "GB82WEST12345698765432"),
            ],
            &[
                "DE89 3704 0044 0532 0130 01",
                "GB82WEST1234569876543",
                "XX82WEST12345698765432",
            ],
        ),
        (
            Entity::UkNhs,
            &[("NHS number: 943 476 5919", "943 476 5919")],
            &["NHS number: 943 476 5918", "order 943 476 5919"],
        ),
        (
            Entity::CryptoWallet,
            &[
                (
                    "send to 1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2",
                    "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2",
                ),
                (
                    "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
                    "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
                ),
                (
                    "eth 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
                    "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
                ),
            ],
            &[
                "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3",
                "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD",
                "commit 0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed",
            ],
        ),
        (
            Entity::Phone,
            &[
                ("call +44 20 7946 0958 today", "+44 20 7946 0958"),
                ("phone: 415-555-0132", "415-555-0132"),
                ("(415) 555-0132", "(415) 555-0132"),
                ("mobile 07700 900123", "07700 900123"),
                ("Tel. 030 1234567", "030 1234567"),
            ],
            &[
                "version 415-555-0132",
                "2024-01-15 10:20:30",
                "+1",
                "order 07700 900123",
                "build 020 7946 0958",
            ],
        ),
        (
            Entity::UsPassport,
            &[("passport no. 912803456", "912803456")],
            &["order 912803456"],
        ),
        (
            Entity::IpAddress,
            &[
                ("client 203.0.113.54 connected", "203.0.113.54"),
                ("from 2001:db8::8a2e:370:7334", "2001:db8::8a2e:370:7334"),
            ],
            &["version 1.2.3.4.5", "256.1.1.1", "at 12:30:45"],
        ),
    ];

    #[test]
    fn every_entity_has_samples_and_they_hold() {
        for (e, _, _, _) in ENTITIES {
            assert!(SAMPLES.iter().any(|s| s.0 == *e), "{e:?} has no samples");
        }
        for (e, tps, fps) in SAMPLES {
            for (text, want) in *tps {
                assert_eq!(found(text, *e), vec![*want], "{e:?} on {text:?}");
            }
            for text in *fps {
                assert!(
                    found(text, *e).is_empty(),
                    "{e:?} false positive on {text:?}"
                );
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config { cases: 2000, ..proptest::test_runner::Config::default() })]

        /// The prechecks only skip patterns that could not match: with and without them, the
        /// same detections.
        #[test]
        fn prechecks_never_lose_a_match(
            parts in proptest::collection::vec(proptest::sample::select(vec![
                "4111", "1111", "0", "1", "5", "9", "12", "078", "555", "0123", "943", "476",
                "5919", " ", "-", ".", "+", "(", ")", "x", "0x", "bc1", "DE89", "GB", "AB",
                "q", "z", "phone ", "nhs ", "passport ", "wallet ", "\u{663}", "é", "@", "a@b.io",
                "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", "5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
                "qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", "3704", "0044", "0532", "0130", "00",
                "(415) 555-0132", "415-555-0132", "+44 20 7946 0958", "07700 900123", "536-22-8741",
                "4111 1111 1111 1111", "378282246310005", "GB82WEST12345698765432", "912803456",
            ]), 0..40),
        ) {
            let text: String = parts.concat();
            let all: Vec<Entity> = ENTITIES.iter().map(|e| e.0).collect();
            proptest::prop_assert_eq!(scan_with(&text, &all, true, None), scan_with(&text, &all, false, None), "{}", text);
        }
    }

    #[test]
    fn validators() {
        assert!(luhn(&digits("4111111111111111")));
        assert!(!luhn(&digits("4111111111111112")));
        assert!(iban_ok("DE89370400440532013000"));
        assert!(nhs_ok(&digits("9434765919")));
        assert!(Entity::parse("email") == Some(Entity::Email));
    }
}
