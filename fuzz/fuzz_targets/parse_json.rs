#![no_main]
//! JSON and JSONC parsers: no panic, spans valid.
use custos::parse::Syntax;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    custos_fuzz::parse_both(Syntax::Json, data);
    custos_fuzz::parse_both(Syntax::Jsonc, data);
});
