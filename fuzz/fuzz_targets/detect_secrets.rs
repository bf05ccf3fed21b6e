#![no_main]
//! Secret detector, in every text context: no panic, detections inside the text on char
//! boundaries, and neither the mask nor the preview of a detected value shows it whole.
use custos::detect::secrets::{self, Context};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for ctx in [
        Context::Code,
        Context::Config,
        Context::Prose,
        Context::Digests,
    ] {
        for d in secrets::scan(text, ctx) {
            custos_fuzz::assert_detection(text, &d);
        }
    }
});
