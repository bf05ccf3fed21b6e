//! Invariants shared by the fuzz targets: what every parser and detector must guarantee for
//! any input, checked with plain `assert!` so that libFuzzer records a violation as a crash.

use custos::document::Span;
use custos::parse::{Limits, Parsed, Syntax};

/// Limits small enough that the fuzzer reaches the "too deep" / "too many aliases" paths.
pub fn small_limits() -> Limits {
    Limits {
        max_depth: 32,
        max_alias_nodes: 2_000,
        ..Limits::default()
    }
}

/// A span must lie inside `source` and start and end on character boundaries.
pub fn assert_span(source: &str, span: Span, what: &str) {
    assert!(
        span.start <= span.end,
        "{what}: span {span:?} is reversed (source {} bytes)",
        source.len()
    );
    assert!(
        span.end <= source.len(),
        "{what}: span {span:?} ends past the source ({} bytes)",
        source.len()
    );
    assert!(
        source.is_char_boundary(span.start) && source.is_char_boundary(span.end),
        "{what}: span {span:?} splits a character"
    );
}

/// Every span a parser reports (values and the error location) is valid for `source`.
pub fn check_parsed(source: &str, parsed: &Parsed) {
    for doc in &parsed.docs {
        for (pointer, span) in &doc.spans {
            assert_span(source, *span, pointer);
        }
    }
    if let Some(e) = &parsed.error {
        if let Some(span) = e.span {
            assert_span(source, span, &format!("error {:?}", e.message));
        }
    }
}

/// Parse with the default and the small limits, checking spans both times.
pub fn parse_both(syntax: Syntax, data: &[u8]) {
    let Ok(source) = std::str::from_utf8(data) else {
        return;
    };
    for limits in [Limits::default(), small_limits()] {
        if let Some(parsed) = custos::parse::parse(syntax, source, &limits) {
            check_parsed(source, &parsed);
        }
    }
}

/// Characters of `masked` equal to `value` at the same position, not counting quotes: what a
/// mask lets through.
pub fn revealed_chars(value: &str, masked: &str) -> usize {
    value
        .chars()
        .zip(masked.chars())
        .filter(|(a, b)| a == b && !matches!(a, '"' | '\'' | '`' | '*'))
        .count()
}

/// A detection lies inside `text`, and what reports show of its value never shows it whole:
/// [`custos::detect::mask`] keeps at most four characters and the byte length, and
/// [`custos::detect::preview`] keeps at most four characters.
pub fn assert_detection(text: &str, d: &custos::detect::Detection) {
    assert_span(text, Span::new(d.start, d.end), d.rule);
    let value = &text[d.start..d.end];
    assert!(
        !value.is_empty(),
        "{}: empty detection at {}",
        d.rule,
        d.start
    );
    assert_masked(value);
    let preview = custos::detect::preview(value);
    if value.chars().count() >= 8 {
        assert!(
            !preview.contains(value),
            "{}: preview shows the value whole",
            d.rule
        );
    }
}

/// `mask(value)` keeps the byte length and lets through at most four characters and at most a
/// quarter of them (characters that are already `*` or quotes do not count as shown).
pub fn assert_masked(value: &str) {
    let masked = custos::detect::mask(value);
    assert_eq!(masked.len(), value.len(), "mask changed the byte length");
    let shown = revealed_chars(value, &masked);
    let total = value.chars().count();
    assert!(
        shown <= 4 && shown <= total / 4,
        "mask shows {shown} of {total} characters"
    );
}
