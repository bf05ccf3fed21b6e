#![no_main]
//! Log scanning (JSONL, nginx, plain text) of a file written from the input: no panic, every
//! finding's span inside the file, and no excerpt carries a detected value whole.
use std::io::Write;
use std::sync::OnceLock;

use custos::detect::pii;
use custos::document::{Kind, Span};
use custos::logs::{self, LogOptions};
use libfuzzer_sys::fuzz_target;

fn scratch() -> &'static std::path::Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().expect("tempdir"))
        .path()
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let kind = match selector % 3 {
        0 => Kind::LogJsonl,
        1 => Kind::LogNginx,
        _ => Kind::LogText,
    };
    let path = scratch().join("sample.log");
    let mut f = std::fs::File::create(&path).expect("create");
    f.write_all(body).expect("write");
    drop(f);
    let opts = LogOptions {
        entities: pii::ENTITIES.iter().map(|e| e.0).collect(),
        sample: (selector >= 128).then_some(usize::from(selector % 7) + 1),
    };
    let scan = logs::scan_file(&path, "sample.log", kind, &opts, &|_, s| Some(s)).expect("scan");
    assert!(scan.findings.len() <= logs::MAX_FINDINGS_PER_LOG);
    let text = std::str::from_utf8(body).ok();
    for f in &scan.findings {
        let span = f.span.expect("log findings carry a span");
        assert!(span.start < span.end, "empty span {span:?}");
        assert!(
            span.end <= body.len(),
            "span {span:?} past the file ({} bytes)",
            body.len()
        );
        let e = f.excerpt.as_ref().expect("log findings carry an excerpt");
        custos_fuzz::assert_span(&e.text, Span::new(e.start, e.end), "excerpt");
        if let Some(text) = text {
            custos_fuzz::assert_span(text, span, &f.rule_id);
            let value = &text[span.start..span.end];
            if value.chars().count() >= 8 {
                assert!(
                    !e.text.contains(value),
                    "{}: excerpt {:?} shows the value whole",
                    f.rule_id,
                    e.text
                );
            }
            assert!(
                !f.message.contains(value) || value.chars().count() < 8,
                "message shows the value"
            );
        }
    }
});
