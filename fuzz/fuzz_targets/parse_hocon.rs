#![no_main]
//! Hocon parser (hand-written, src/parse/hocon.rs): no panic, spans valid.
use custos::parse::Syntax;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| custos_fuzz::parse_both(Syntax::Hocon, data));
