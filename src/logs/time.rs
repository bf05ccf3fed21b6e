//! Timestamps in log records, as milliseconds since the Unix epoch (UTC).
//!
//! Log sources write time in many ways; the ones recognised here are RFC 3339 / ISO 8601
//! (`2026-11-22T06:00:00Z`, `2026-11-22 06:00:00.123+01:00`, no offset meaning UTC), the
//! nginx/Apache `$time_local` form (`22/Nov/2026:06:00:00 +0000`, with or without brackets),
//! and epoch numbers (seconds, milliseconds, microseconds or nanoseconds, told apart by
//! magnitude; fractional seconds allowed). Parsing is hand-written and allocation-free: it
//! runs once per log record.

/// Days from 1970-01-01 to the civil date (proleptic Gregorian), Howard Hinnant's algorithm.
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day number (inverse of [`days_from_civil`]).
pub fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Epoch milliseconds as RFC 3339 in UTC: `2026-11-22T06:00:00Z` (`.123` when not whole).
pub fn format_ms(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let frac = ms.rem_euclid(1000);
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let sod = secs.rem_euclid(86_400);
    let (hh, mm, ss) = (sod / 3600, sod / 60 % 60, sod % 60);
    if frac == 0 {
        format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}Z")
    } else {
        format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}.{frac:03}Z")
    }
}

/// Earliest and latest instants accepted (years 1970 to 2200): a number outside is not a time.
const MIN_MS: i64 = 0;
const MAX_MS: i64 = 7_258_118_400_000;

/// An epoch number: seconds below 1e11, milliseconds below 1e14, microseconds below 1e17,
/// nanoseconds above.
pub fn from_epoch(n: f64) -> Option<i64> {
    if !n.is_finite() || n < 0.0 {
        return None;
    }
    let ms = if n < 1e11 {
        n * 1000.0
    } else if n < 1e14 {
        n
    } else if n < 1e17 {
        n / 1000.0
    } else {
        n / 1_000_000.0
    };
    #[allow(clippy::cast_possible_truncation)]
    let ms = ms.round() as i64;
    (MIN_MS..=MAX_MS).contains(&ms).then_some(ms)
}

/// A timestamp in a JSON value: a string in any recognised form, or an epoch number.
pub fn from_json(v: &serde_json::Value) -> Option<i64> {
    match v {
        serde_json::Value::String(s) => parse(s),
        serde_json::Value::Number(n) => from_epoch(n.as_f64()?),
        _ => None,
    }
}

/// Parse a timestamp string in any recognised form.
pub fn parse(s: &str) -> Option<i64> {
    let s = s.trim().trim_start_matches('[').trim_end_matches(']');
    let b = s.as_bytes();
    if b.len() >= 10 && b.get(4) == Some(&b'-') {
        return rfc3339(b);
    }
    if b.len() >= 20 && b.get(2) == Some(&b'/') {
        return clf(b);
    }
    if !b.is_empty() && b.iter().all(|c| c.is_ascii_digit() || *c == b'.') {
        return from_epoch(s.parse().ok()?);
    }
    None
}

fn digits(b: &[u8], at: usize, n: usize) -> Option<i64> {
    let part = b.get(at..at + n)?;
    let mut v = 0i64;
    for c in part {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + i64::from(c - b'0');
    }
    Some(v)
}

fn civil_ms(y: i64, mo: i64, d: i64, h: i64, mi: i64, s: i64) -> Option<i64> {
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    let ms = (days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + s) * 1000;
    (MIN_MS..=MAX_MS).contains(&ms).then_some(ms)
}

/// `±hh:mm`, `±hhmm`, `Z` at `at` (or nothing: UTC); returns the offset in seconds.
fn offset(b: &[u8], at: usize) -> Option<i64> {
    match b.get(at) {
        None => Some(0),
        Some(b'Z' | b'z') if b.len() == at + 1 => Some(0),
        Some(sign @ (b'+' | b'-')) => {
            let h = digits(b, at + 1, 2)?;
            let m = match b.get(at + 3) {
                Some(b':') => digits(b, at + 4, 2)?,
                None => 0,
                _ => digits(b, at + 3, 2)?,
            };
            let secs = h * 3600 + m * 60;
            Some(if *sign == b'-' { -secs } else { secs })
        }
        Some(b' ') if b.get(at + 1..) == Some(b"UTC") || b.get(at + 1..) == Some(b"GMT") => Some(0),
        _ => None,
    }
}

/// `2026-11-22T06:00:00[.fff][Z|±hh:mm]`, `T` or space; a date alone is midnight UTC.
// y/mo/d/h/mi/s are the date's own names.
#[allow(clippy::many_single_char_names)]
fn rfc3339(b: &[u8]) -> Option<i64> {
    let (y, mo, d) = (digits(b, 0, 4)?, digits(b, 5, 2)?, digits(b, 8, 2)?);
    if b.get(7) != Some(&b'-') {
        return None;
    }
    if b.len() == 10 {
        return civil_ms(y, mo, d, 0, 0, 0);
    }
    if !matches!(b.get(10), Some(b'T' | b't' | b' ')) || b.get(13) != Some(&b':') {
        return None;
    }
    let (h, mi) = (digits(b, 11, 2)?, digits(b, 14, 2)?);
    let (s, mut at) = if b.get(16) == Some(&b':') {
        (digits(b, 17, 2)?, 19)
    } else {
        (0, 16)
    };
    let mut frac_ms = 0;
    if matches!(b.get(at), Some(b'.' | b',')) {
        at += 1;
        let start = at;
        while b.get(at).is_some_and(u8::is_ascii_digit) {
            at += 1;
        }
        let n = at - start;
        if n == 0 {
            return None;
        }
        frac_ms = digits(b, start, n.min(3))? * [100, 10, 1][n.min(3) - 1];
    }
    let off = offset(b, at)?;
    Some(civil_ms(y, mo, d, h, mi, s)? + frac_ms - off * 1000)
}

fn month(b: &[u8]) -> Option<i64> {
    const NAMES: [&[u8; 3]; 12] = [
        b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov",
        b"Dec",
    ];
    let m = b.get(..3)?;
    NAMES
        .iter()
        .position(|n| n.eq_ignore_ascii_case(m))
        .and_then(|i| i64::try_from(i + 1).ok())
}

/// `22/Nov/2026:06:00:00 +0000` (Common Log Format).
#[allow(clippy::many_single_char_names)]
fn clf(b: &[u8]) -> Option<i64> {
    let d = digits(b, 0, 2)?;
    let mo = month(b.get(3..6)?)?;
    if b.get(6) != Some(&b'/') || b.get(11) != Some(&b':') {
        return None;
    }
    let y = digits(b, 7, 4)?;
    let (h, mi, s) = (digits(b, 12, 2)?, digits(b, 15, 2)?, digits(b, 18, 2)?);
    let off = match b.get(20) {
        None => 0,
        Some(b' ') => offset(b, 21)?,
        _ => return None,
    };
    Some(civil_ms(y, mo, d, h, mi, s)? - off * 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_agree() {
        let want = Some(1_795_327_200_000); // 2026-11-22T06:00:00Z
        for s in [
            "2026-11-22T06:00:00Z",
            "2026-11-22T07:00:00+01:00",
            "2026-11-22T07:00:00+0100",
            "2026-11-22 06:00:00",
            "2026-11-22T01:00:00.000-05:00",
            "22/Nov/2026:06:00:00 +0000",
            "[22/Nov/2026:08:00:00 +0200]",
            "1795327200",
            "1795327200000",
            "1795327200.000",
        ] {
            assert_eq!(parse(s), want, "{s}");
        }
        assert_eq!(format_ms(1_795_327_200_000), "2026-11-22T06:00:00Z");
        assert_eq!(format_ms(1_795_327_200_123), "2026-11-22T06:00:00.123Z");
        assert_eq!(
            parse("2026-11-22T06:00:00.1234567Z"),
            Some(1_795_327_200_123)
        );
        assert_eq!(from_json(&serde_json::json!(1_795_327_200)), want);
        assert_eq!(
            from_json(&serde_json::json!(1_795_327_200_000_000u64)),
            want
        );
    }

    #[test]
    fn garbage_is_not_a_time() {
        for s in [
            "",
            "now",
            "2026-13-01",
            "2026-11-22T25:00:00Z",
            "22/Foo/2026:06:00:00 +0000",
            "2026-11-22T06:00:00Zjunk",
            "-5",
            "1e400",
            "2026-11-22T06:00:00.Z",
            "é",
        ] {
            assert_eq!(parse(s), None, "{s}");
        }
    }

    #[test]
    fn civil_round_trip() {
        for days in [-1000, 0, 1, 59, 60, 365, 10_957, 20_000, 100_000] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }
}
