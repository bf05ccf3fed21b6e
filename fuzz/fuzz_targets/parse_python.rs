#![no_main]
//! Airflow DAG model (tree-sitter Python): no panic, spans valid, and the module summary used
//! for cross-file flows does not panic either.
use custos::parse::Syntax;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    custos_fuzz::parse_both(Syntax::Python, data);
    if let Ok(source) = std::str::from_utf8(data) {
        let _ = custos::parse::python::summarize(source, &custos_fuzz::small_limits());
    }
});
