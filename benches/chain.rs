//! Seal and verify throughput on a generated 1M-record chain, beside plain SHA-256 over the
//! same bytes (the bound to approach: verification hashes every byte at least once).

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

criterion_group!(benches, bench);
criterion_main!(benches);
