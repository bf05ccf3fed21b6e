//! `custos report merge` cost for 100 shard bundles (docs/audit.md, "Scale").
//!
//! Each generated bundle is the shard of an org-wide audit: 10 repositories, 40 findings and
//! 400 evidence items (file hashes) per shard, every framework judged — about 160 kB of JSON
//! per shard, 15.8 MB in all. Measured: parsing and merging the 100 bundles (facts unioned, controls derived
//! again), and the same plus writing the merged bundle, Markdown and HTML.

use std::time::Duration;

use criterion::{criterion_group, Criterion, Throughput};
use custos::audit::bundle::{self, Bundle, FindingRecord, RunInfo, ScopeResult, Summary};
use custos::audit::evidence;
use custos::audit::scope::Shard;
use custos::audit::{controls, html, markdown};

const SHARDS: usize = 100;
const REPOS_PER_SHARD: usize = 10;
const FINDINGS_PER_REPO: usize = 4;
const FILES_PER_REPO: usize = 40;

const RULES: [&str; 8] = [
    "TF002", "TF004", "TF005", "SEC001", "SEC003", "PII001", "CI001", "K8S001",
];

fn hash(seed: usize) -> String {
    custos::audit::sha256_hex(seed.to_string().as_bytes())
}

fn shard_bundle(index: usize) -> Vec<u8> {
    let frameworks = controls::all().expect("mappings");
    let mut run = RunInfo::current("audit");
    run.shard = Some(Shard {
        index,
        count: SHARDS,
    });
    let mut b = Bundle {
        schema: bundle::SCHEMA.into(),
        version: bundle::VERSION,
        run,
        summary: Summary::default(),
        frameworks: Vec::new(),
        controls: Vec::new(),
        scope: Vec::new(),
        findings: Vec::new(),
        checks: Vec::new(),
        evidence: Vec::new(),
        rules: Vec::new(),
        trend: None,
        inputs: Vec::new(),
        conflicts: Vec::new(),
    };
    for r in 0..REPOS_PER_SHARD {
        let repo = format!("repos/team-{index}-{r}");
        let key = format!("scan:{repo}");
        b.scope.push(ScopeResult {
            key: key.clone(),
            kind: "scan".into(),
            path: repo.clone(),
            status: "ok".into(),
            git_commit: Some(hash(index * 1000 + r)[..40].to_owned()),
            files_scanned: FILES_PER_REPO,
            findings: FINDINGS_PER_REPO,
            failing: FINDINGS_PER_REPO,
            gate_failed: true,
            kinds: vec!["terraform".into(), "yaml".into()],
            rules: RULES.iter().map(|s| (*s).to_owned()).collect(),
            ..ScopeResult::default()
        });
        for f in 0..FILES_PER_REPO {
            b.evidence.push(evidence::Item {
                scope: key.clone(),
                role: "file".into(),
                path: format!("{repo}/mod-{f}/main.tf"),
                sha256: Some(hash(index * 100_000 + r * 100 + f)),
                size: Some(1024 + f as u64),
                s3: None,
                error: None,
            });
        }
        for n in 0..FINDINGS_PER_REPO {
            let path = format!("{repo}/mod-{n}/main.tf");
            b.findings.push(FindingRecord {
                id: format!("F-{}", &hash(index * 10_000 + r * 10 + n)[..16]),
                scope: key.clone(),
                rule_id: RULES[(index + r + n) % RULES.len()].into(),
                severity: "high".into(),
                level: "failure".into(),
                failing: true,
                count: 1,
                message: "S3 bucket `data` has no server-side encryption".into(),
                path,
                line: Some(n + 1),
                fingerprint: Some(hash(n)),
                evidence_sha256: Some(hash(index * 100_000 + r * 100 + n)),
            });
        }
    }
    bundle::derive(&mut b, &frameworks);
    bundle::to_json(&b).expect("json")
}

fn bench(c: &mut Criterion) {
    let inputs: Vec<(String, Vec<u8>)> = (0..SHARDS)
        .map(|i| (format!("shard-{i}/bundle.json"), shard_bundle(i)))
        .collect();
    let bytes: usize = inputs.iter().map(|(_, b)| b.len()).sum();
    let merged = bundle::merge(&inputs, None, RunInfo::current("report merge")).expect("merge");
    assert_eq!(merged.scope.len(), SHARDS * REPOS_PER_SHARD);
    assert!(merged.conflicts.is_empty(), "{:?}", merged.conflicts);
    let mut g = c.benchmark_group("report-merge");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(20))
        .throughput(Throughput::Bytes(bytes as u64));
    g.bench_function("merge-100-bundles", |b| {
        b.iter(|| bundle::merge(&inputs, None, RunInfo::current("report merge")).expect("merge"));
    });
    g.bench_function("merge-and-render-100-bundles", |b| {
        b.iter(|| {
            let m = bundle::merge(&inputs, None, RunInfo::current("report merge")).expect("merge");
            let json = bundle::to_json(&m).expect("json");
            (
                json.len(),
                markdown::render(&m).len(),
                html::render(&m).len(),
            )
        });
    });
    g.finish();
}

criterion_group!(benches, bench);

/// `CUSTOS_MERGE_ONCE=1 cargo test --bench merge` times one merge in the test profile (debug),
/// printing the figure, without criterion's sampling (a quick check on a busy machine).
#[allow(clippy::print_stdout, clippy::cast_precision_loss)] // the figure is the output
fn main() {
    if std::env::var_os("CUSTOS_MERGE_ONCE").is_some() {
        let inputs: Vec<(String, Vec<u8>)> = (0..SHARDS)
            .map(|i| (format!("shard-{i}/bundle.json"), shard_bundle(i)))
            .collect();
        let bytes: usize = inputs.iter().map(|(_, b)| b.len()).sum();
        let t = std::time::Instant::now();
        let m = bundle::merge(&inputs, None, RunInfo::current("report merge")).expect("merge");
        let merged = t.elapsed();
        let json = bundle::to_json(&m).expect("json");
        let (md, page) = (markdown::render(&m), html::render(&m));
        let all = t.elapsed();
        println!(
            "merge of {SHARDS} bundles ({:.1} MB in): {:.0} ms; with writing bundle ({:.1} MB), Markdown ({:.1} MB) and HTML ({:.1} MB): {:.0} ms",
            bytes as f64 / 1e6,
            merged.as_secs_f64() * 1e3,
            json.len() as f64 / 1e6,
            md.len() as f64 / 1e6,
            page.len() as f64 / 1e6,
            all.as_secs_f64() * 1e3
        );
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
