#![no_main]
//! Groovy parser (hand-written, src/parse/groovy/): no panic or stack overflow, spans valid.
use custos::parse::Syntax;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| custos_fuzz::parse_both(Syntax::Groovy, data));
