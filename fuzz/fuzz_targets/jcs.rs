#![no_main]
//! JCS (RFC 8785) parsing and canonicalisation: no panic; the canonical form parses again,
//! is a fixed point, and is valid JSON to an independent parser.
use custos::chain::jcs;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(v) = jcs::parse(text) else {
        return;
    };
    let c = jcs::canonical(&v);
    let again = jcs::parse(&c).unwrap_or_else(|e| panic!("canonical form does not parse: {e}"));
    assert_eq!(
        jcs::canonical(&again),
        c,
        "canonicalisation is not a fixed point"
    );
    assert!(
        serde_json::from_str::<serde_json::Value>(&c).is_ok(),
        "canonical form is not JSON: {c:?}"
    );
    let _ = jcs::canonical_without(&v, "hash");
});
