#![no_main]
//! CloudTrail digest validation on digest files written from the input (split on a 0xff
//! byte into up to three consecutive hourly digests, plus a signature file): no panic.
use std::sync::OnceLock;

use custos::chain::cloudtrail;
use libfuzzer_sys::fuzz_target;

fn scratch() -> &'static std::path::Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().expect("tempdir"))
        .path()
}

fuzz_target!(|data: &[u8]| {
    let root = scratch().join("trail");
    let _ = std::fs::remove_dir_all(&root);
    let dir = root.join("AWSLogs/111122223333/CloudTrail-Digest/eu-west-1/2026/01/01");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let mut parts = data.split(|&b| b == 0xff);
    for hour in 0..3 {
        let Some(part) = parts.next() else { break };
        let name = format!(
            "111122223333_CloudTrail-Digest_eu-west-1_trail_eu-west-1_20260101T{hour:02}0000Z.json"
        );
        std::fs::write(dir.join(&name), part).expect("write");
        if let Some(sig) = parts.next() {
            std::fs::write(dir.join(format!("{name}.sig")), sig).expect("write");
        }
    }
    if let Some(key) = parts.next() {
        let _ = cloudtrail::PublicKey::from_der(key);
    }
    if let Ok(t) = std::str::from_utf8(data) {
        let _ = cloudtrail::parse_time(t);
    }
    let report = cloudtrail::verify_dir(&root, &[], 1_767_232_800);
    let _ = report.summary();
});
