#![no_main]
//! HCL (Terraform) parser: no panic, every span inside the source on char boundaries.
use custos::parse::Syntax;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| custos_fuzz::parse_both(Syntax::Hcl, data));
