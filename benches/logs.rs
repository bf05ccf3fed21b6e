//! Log scanning throughput (MB/s): the secret and PII detectors on every line (default
//! entities; clean lines, and lines with an email address and a client IP each), records
//! parsed and aggregated per source (JSONL and nginx), and the bundled LOG rules evaluated on
//! the resulting aggregate document. The logs are generated here (a seeded generator: ~400
//! principals over two days); scripts/bench-logs.sh measures the whole scan on up to 1 GB
//! with peak memory.

use std::fmt::Write as _;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use custos::config::Config;
use custos::document::{Document, Kind, SpanMap};
use custos::logs::aggregate::Display;
use custos::logs::audit::aggregate_files;
use custos::logs::source::{LogsConfig, Source};
use custos::logs::time::format_ms;
use custos::policy::{PolicySet, PolicySources};

/// `SplitMix64`: deterministic and fast.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const RESOURCES: [&str; 6] = [
    "claims",
    "customers",
    "policies",
    "quotes",
    "/v1/chat/completions",
    "/v1/embeddings",
];

fn corpus(nginx: bool, records: usize) -> String {
    corpus_with(nginx, records, false)
}

/// `pii`: every JSONL record also carries an email address and a client IP.
fn corpus_with(nginx: bool, records: usize, pii: bool) -> String {
    let mut r = Rng(7);
    let mut s = String::new();
    let mut t: i64 = 1_795_305_600_000;
    for n in 0..records {
        t += i64::try_from(r.below(400)).unwrap_or(0);
        let who = r.below(400);
        let res = RESOURCES[usize::try_from(r.below(6)).unwrap_or(0)];
        let status = if r.below(50) == 0 { 503 } else { 200 };
        let bytes = 200 + r.below(9000);
        if nginx {
            let secs = t / 1000;
            let _ = writeln!(
                s,
                r#"10.0.{}.{} - user-{who} [{}] "GET /v1/datasets/{res}?limit=100 HTTP/1.1" {status} {bytes} "-" "sdk/1.4" rt=0.051 rid=req-{n:010}"#,
                who % 250,
                who % 7,
                clf(secs)
            );
        } else {
            let _ = write!(
                s,
                r#"{{"timestamp":"{}","request_id":"req-{n:010}","principal":"user-{who}","action":"GET","resource":"{res}","status":{status},"bytes":{bytes},"model":"gpt-4o-2024-08-06","usage":{{"prompt_tokens":{},"completion_tokens":{}}},"cost_usd":0.00{}"#,
                format_ms(t),
                r.below(900),
                r.below(900),
                r.below(9999)
            );
            if pii {
                let _ = write!(
                    s,
                    r#","client_ip":"203.0.{}.{}","contact":"user-{who}.{}@acme-corp.io""#,
                    r.below(256),
                    1 + r.below(254),
                    r.below(100)
                );
            }
            s.push_str("}\n");
        }
    }
    s
}

fn clf(secs: i64) -> String {
    // `22/Nov/2026:06:00:00 +0000` from the RFC 3339 form.
    let iso = format_ms(secs * 1000);
    let (date, time) = iso.split_once('T').unwrap_or((&iso, ""));
    let mut d = date.split('-');
    let (y, m, day) = (
        d.next().unwrap_or(""),
        d.next().unwrap_or("01"),
        d.next().unwrap_or(""),
    );
    let month = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ][m.parse::<usize>().unwrap_or(1).saturating_sub(1) % 12];
    format!("{day}/{month}/{y}:{} +0000", time.trim_end_matches('Z'))
}

fn bench(c: &mut Criterion) {
    let cfg = LogsConfig::default();
    let display = Display::new(&cfg, custos::detect::pii::Entity::defaults());
    let source = Source::implied("bench");
    let mut g = c.benchmark_group("logs");
    g.sample_size(10).measurement_time(Duration::from_secs(8));
    // The detectors on every line, as `custos scan` runs them on a log.
    let entities = custos::detect::pii::Entity::defaults();
    for (name, nginx, pii, kind) in [
        ("jsonl", false, false, Kind::LogJsonl),
        ("jsonl_pii", false, true, Kind::LogJsonl),
        ("nginx", true, false, Kind::LogNginx),
    ] {
        let text = corpus_with(nginx, 50_000, pii);
        g.throughput(Throughput::Bytes(text.len() as u64));
        g.bench_function(format!("detect_{name}"), |b| {
            b.iter(|| {
                text.lines()
                    .map(|l| custos::logs::detect_line(l, kind, &entities).len())
                    .sum::<usize>()
            });
        });
    }
    for (name, nginx, kind) in [
        ("jsonl", false, Kind::LogJsonl),
        ("nginx", true, Kind::LogNginx),
    ] {
        let text = corpus(nginx, 100_000);
        g.throughput(Throughput::Bytes(text.len() as u64));
        let files = vec![(format!("bench.{name}"), text)];
        g.bench_function(format!("aggregate_{name}"), |b| {
            b.iter(|| aggregate_files(&files, kind, &source, &cfg, &display));
        });
    }
    // The bundled rules on one aggregate document (400 principals, two days).
    let files = vec![("bench.jsonl".to_owned(), corpus(false, 100_000))];
    let doc = aggregate_files(&files, Kind::LogJsonl, &source, &cfg, &display);
    let policies = PolicySet::load(
        &PolicySources {
            include_bundled: true,
            ..PolicySources::default()
        },
        &serde_json::json!({}),
        Duration::from_secs(60),
    )
    .expect("bundled policies");
    let config = Config::defaults(".".into());
    g.throughput(Throughput::Elements(1));
    g.bench_function("evaluate_aggregate", |b| {
        let mut ev = policies.worker();
        b.iter(|| {
            let d = Document {
                path: "bench".into(),
                kind: Kind::LogAggregate,
                index: 0,
                input: doc.clone(),
                spans: SpanMap::new(),
            };
            ev.evaluate_explicit_owned(d, &config)
        });
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
