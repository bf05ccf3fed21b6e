//! Seal and verify throughput on a generated 1M-record chain, beside plain SHA-256 over the
//! same bytes (the bound to approach: verification hashes every byte at least once).
//!
//! `chain-wide-record`: verifying one record with 10k to 100k keys, as throughput in keys per
//! second. Canonicalisation is O(n log n), so keys/s stays nearly flat as the record widens;
//! a quadratic step shows up as keys/s falling ten-fold from 10k to 100k keys.
//! Run only this group with `cargo bench --bench chain -- chain-wide-record`.

use std::io::Write as _;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use custos::chain::{self, Sealer};
use sha2::{Digest, Sha256};

const RECORDS: usize = 1_000_000;

fn plain_input() -> Vec<u8> {
    let mut out = Vec::with_capacity(RECORDS * 120);
    for i in 0..RECORDS {
        let _ = writeln!(
            out,
            r#"{{"ts":"2026-11-22T06:{:02}:{:02}Z","model":"scorer-v3","actor":"svc-{}","input_sha":"{:016x}","score":0.{}}}"#,
            i / 60 % 60,
            i % 60,
            i % 97,
            (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15),
            i % 1000
        );
    }
    out
}

fn bench(c: &mut Criterion) {
    let input = plain_input();
    let mut sealed = Vec::with_capacity(input.len() * 2);
    Sealer::default()
        .seal_stream(input.as_slice(), &mut sealed)
        .expect("seal");
    assert!(chain::verify(sealed.as_slice(), &[]).intact());

    let mut g = c.benchmark_group("chain-1M");
    g.sample_size(10).measurement_time(Duration::from_secs(40));
    g.throughput(Throughput::Bytes(sealed.len() as u64));
    g.bench_function("verify (bytes of chain)", |b| {
        b.iter(|| chain::verify(sealed.as_slice(), &[]));
    });
    g.bench_function("sha256 of the same bytes", |b| {
        b.iter(|| Sha256::digest(&sealed));
    });
    g.throughput(Throughput::Elements(RECORDS as u64));
    g.bench_function("verify (records)", |b| {
        b.iter(|| chain::verify(sealed.as_slice(), &[]));
    });
    g.bench_function("seal (records)", |b| {
        b.iter(|| {
            Sealer::default()
                .seal_stream(input.as_slice(), &mut std::io::sink())
                .expect("seal")
        });
    });
    g.throughput(Throughput::Bytes(input.len() as u64));
    g.bench_function("seal (bytes of input)", |b| {
        b.iter(|| {
            Sealer::default()
                .seal_stream(input.as_slice(), &mut std::io::sink())
                .expect("seal")
        });
    });
    g.finish();
}

/// A one-record chain whose record has `keys` members, in descending key order.
fn wide_chain(keys: usize) -> Vec<u8> {
    let mut plain = String::from("{");
    for i in (0..keys).rev() {
        let _ = std::fmt::Write::write_fmt(&mut plain, format_args!("\"k{i:06}\":{i},"));
    }
    plain.pop();
    plain.push_str("}\n");
    let mut sealed = Vec::new();
    Sealer::default()
        .seal_stream(plain.as_bytes(), &mut sealed)
        .expect("seal");
    sealed
}

fn bench_wide_record(c: &mut Criterion) {
    let mut g = c.benchmark_group("chain-wide-record");
    g.sample_size(10);
    for keys in [10_000, 40_000, 100_000] {
        let sealed = wide_chain(keys);
        let report = chain::verify(sealed.as_slice(), &[]);
        assert!(report.intact() && report.records == 1);
        g.throughput(Throughput::Elements(keys as u64));
        g.bench_function(format!("verify ({keys} keys, keys)"), |b| {
            b.iter(|| chain::verify(sealed.as_slice(), &[]));
        });
    }
    g.finish();
}

criterion_group!(benches, bench, bench_wide_record);
criterion_main!(benches);
