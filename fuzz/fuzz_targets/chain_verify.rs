#![no_main]
//! Chain verification of arbitrary bytes: no panic, and a chain judged intact really is: every
//! record line parses, carries its own content hash, and the records count up from 0.
use custos::chain::{self, Outcome};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let report = chain::verify(data, &[]);
    if report.outcome() != Outcome::Intact {
        return;
    }
    let text = std::str::from_utf8(data).expect("an intact chain is UTF-8");
    let mut seq = 0;
    for line in text.lines().filter(|l| !l.is_empty()) {
        let rec = chain::parse_record(line).expect("an intact chain's lines are records");
        assert_eq!(rec.computed, rec.hash, "intact chain with a wrong hash");
        assert_eq!(rec.seq, seq, "intact chain with a seq gap");
        seq += 1;
    }
    assert_eq!(seq, report.records);
});
