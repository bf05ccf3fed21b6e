//! Secret + PII detection throughput (MB/s) over generated code, config and JSONL log text,
//! the way the scan runs it: secrets on everything, PII on the logs.

use std::fmt::Write as _;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use custos::detect::{pii, secrets};

fn code_corpus() -> String {
    let mut s = String::new();
    for i in 0..20_000 {
        let _ = writeln!(s, "def task_{i}(ctx):\n    rows = ctx.fetch(\"select * from events where day = %s\", day)\n    log.info(\"loaded %d rows\", len(rows))\n    return transform(rows, version={i})\n");
        if i % 1000 == 0 {
            let _ = writeln!(s, "    password = \"Summer{i}!\"\n    token = \"ghp_4Nd8cR2xWq7Lm9Zt3Kp6Vb1Hs5Jf0Ga8Ye2Q\"");
        }
    }
    s
}

fn log_corpus() -> String {
    let mut s = String::new();
    for i in 0..20_000 {
        let _ = writeln!(
            s,
            r#"{{"ts":"2026-11-22T06:{:02}:{:02}Z","model":"support-v2","prompt":"order {i} shipped to warehouse 7, status delivered","response":"Your order is on its way.","latency_ms":{}}}"#,
            i / 60 % 60,
            i % 60,
            i % 900
        );
        if i % 500 == 0 {
            let _ = writeln!(
                s,
                r#"{{"prompt":"I'm ana.lopez@globex-mail.com, card 5555 5555 5555 4444, ssn 536-22-8741"}}"#
            );
        }
    }
    s
}

fn bench(c: &mut Criterion) {
    let code = code_corpus();
    let logs = log_corpus();
    let entities = pii::Entity::defaults();
    let mut g = c.benchmark_group("detect");
    g.throughput(Throughput::Bytes(code.len() as u64));
    g.bench_function("secrets on code", |b| {
        b.iter(|| secrets::scan(&code, secrets::Context::Code));
    });
    g.throughput(Throughput::Bytes(logs.len() as u64));
    g.bench_function("secrets on JSONL logs (per line)", |b| {
        b.iter(|| {
            logs.lines()
                .map(|l| secrets::scan(l, secrets::Context::Config).len())
                .sum::<usize>()
        });
    });
    g.bench_function("pii on JSONL logs (per line)", |b| {
        b.iter(|| {
            logs.lines()
                .map(|l| pii::scan(l, &entities).len())
                .sum::<usize>()
        });
    });
    g.bench_function("secrets+pii on JSONL logs (whole text)", |b| {
        b.iter(|| {
            secrets::scan(&logs, secrets::Context::Config).len() + pii::scan(&logs, &entities).len()
        });
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
