#![no_main]
//! YAML parser (and the Helm-template front end on the same text): no panic, spans valid,
//! alias expansion bounded by the limits.
use custos::parse::Syntax;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    custos_fuzz::parse_both(Syntax::Yaml, data);
    custos_fuzz::parse_both(Syntax::HelmTemplate, data);
});
