#![no_main]
//! Hcl1 parser (hand-written, src/parse/hcl1.rs): no panic, spans valid.
use custos::parse::Syntax;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| custos_fuzz::parse_both(Syntax::Hcl1, data));
