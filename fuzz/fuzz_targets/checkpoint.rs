#![no_main]
//! Signed checkpoint notes. Arbitrary text: opening and parsing never panic. A note signed
//! here, with one byte changed, never verifies with a different text.
use arbitrary::Arbitrary;
use custos::chain::note::{self, Checkpoint, Signer, Verdict, Verifier};
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
struct Input {
    raw: String,
    key_text: String,
    origin: String,
    size: u64,
    root: [u8; 32],
    byte: usize,
    new: u8,
}

fuzz_target!(|input: Input| {
    let signer = Signer::generate("fuzz.example/log", [3; 32]).expect("key");
    let keys = [signer.verifier()];
    if let Ok((body, _)) = note::open(&input.raw, &keys) {
        let _ = Checkpoint::parse_text(body);
    }
    let _ = Checkpoint::parse_text(&input.raw);
    let _ = Verifier::parse(&input.key_text);
    let _ = Signer::parse(&input.key_text);

    if input.origin.is_empty() || input.origin.contains('\n') {
        return;
    }
    let cp = Checkpoint {
        origin: input.origin.clone(),
        size: input.size,
        root: input.root,
    };
    let text = cp.text();
    assert_eq!(
        Checkpoint::parse_text(&text).ok().as_ref(),
        Some(&cp),
        "checkpoint text does not round-trip"
    );
    let signed = signer.sign(&text).expect("sign");
    let (body, verdict) = note::open(&signed, &keys).expect("open own note");
    assert_eq!(body, text);
    assert!(
        matches!(verdict, Verdict::Verified(_)),
        "own signature: {verdict:?}"
    );

    let mut bytes = signed.into_bytes();
    let at = input.byte % bytes.len();
    if bytes[at] == input.new {
        return;
    }
    bytes[at] = input.new;
    let Ok(changed) = String::from_utf8(bytes) else {
        return;
    };
    if let Ok((body, Verdict::Verified(_))) = note::open(&changed, &keys) {
        assert_eq!(body, text, "a modified note verified with a different text");
    }
});
