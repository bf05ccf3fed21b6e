#![no_main]
//! `custos.toml` loading: no panic, and an error's location lies inside the text.
use custos::config::Config;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match Config::from_str(text, "custos.toml", std::path::Path::new("fuzz-root")) {
        Ok(cfg) => {
            let rel = std::path::Path::new("dags/etl.py");
            let _ = cfg.selects(rel);
            let _ = cfg.pii_entities_for(rel);
            let _ = cfg.context_of(rel, std::path::Path::new("fuzz-root"));
            let _ = cfg.check_rule_ids(&["TF001", "SEC001"]);
        }
        Err(e) => {
            if let Some(at) = e.at {
                assert!(
                    at.offset() + at.len() <= text.len(),
                    "error location {at:?} past the text ({} bytes): {}",
                    text.len(),
                    e.message
                );
            }
        }
    }
});
