#![no_main]
//! `detect::mask` on any string: same byte length, at most four characters shown.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        custos_fuzz::assert_masked(text);
    }
});
