#![no_main]
//! PII detector with every entity enabled: no panic, detections valid, never shown whole.
use custos::detect::pii;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let all: Vec<pii::Entity> = pii::ENTITIES.iter().map(|e| e.0).collect();
    for d in pii::scan(text, &all) {
        custos_fuzz::assert_detection(text, &d);
    }
});
