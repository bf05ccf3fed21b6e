//! Scan throughput over a generated corpus of Terraform and YAML files (discovery, parsing,
//! policy evaluation with the bundled rules, suppression), reported per byte and per file.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use custos::config::Config;
use custos::parse::Limits;
use custos::policy::{PolicySet, PolicySources};

fn terraform(i: usize) -> String {
    let mut s = format!(
        "provider \"aws\" {{\n  region = \"eu-west-1\"\n  access_key = var.key_{i}\n}}\n\n\
         variable \"env\" {{\n  default = \"prod\"\n}}\n\n"
    );
    for r in 0..4 {
        let _ = write!(
            s,
            "resource \"aws_s3_bucket\" \"b{i}_{r}\" {{\n  bucket = \"acme-{i}-{r}\"\n  tags = {{ Team = \"data\", Env = var.env }}\n}}\n\n"
        );
        if r % 2 == 0 {
            let _ = write!(
                s,
                "resource \"aws_s3_bucket_server_side_encryption_configuration\" \"b{i}_{r}\" {{\n  bucket = aws_s3_bucket.b{i}_{r}.id\n  rule {{\n    apply_server_side_encryption_by_default {{\n      sse_algorithm = \"aws:kms\"\n    }}\n  }}\n}}\n\n"
            );
        }
    }
    s
}

fn yaml(i: usize) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: svc-{i}\n  labels: {{app: svc-{i}, team: data}}\n\
         spec:\n  replicas: 3\n  template:\n    spec:\n      containers:\n        - name: app\n          image: acme/svc:{i}\n\
         \x20         args: [\"--input\", \"s3://acme-raw/{i}/\", \"--output\", \"s3://acme-curated/{i}/\"]\n\
         \x20         env:\n            - name: DB_PASSWORD\n              valueFrom:\n                secretKeyRef: {{name: db, key: password}}\n\
         \x20           - name: LOG_LEVEL\n              value: info\n"
    )
}

fn dag(i: usize) -> String {
    format!(
        "from datetime import datetime\n\nfrom airflow import DAG\nfrom airflow.decorators import task\n\
         from airflow.operators.bash import BashOperator\n\
         from airflow.providers.amazon.aws.transfers.sql_to_s3 import SqlToS3Operator\n\n\
         BUCKET = \"acme-features-{i}\"\ndefault_args = {{\"owner\": \"data\", \"retries\": 2}}\n\n\
         with DAG(\"dag_{i}\", start_date=datetime(2024, 1, 1), schedule=\"@daily\", default_args=default_args):\n\
         \x20   export = SqlToS3Operator(task_id=\"export\", sql_conn_id=\"warehouse\", query=\"select {i}\", s3_bucket=BUCKET, s3_key=\"k/{{{{ ds }}}}\")\n\
         \x20   run = BashOperator(task_id=\"run\", bash_command=\"dbt run --vars '{{{{ ds }}}}'\", env={{\"DBT_PASSWORD\": \"{{{{ conn.wh.password }}}}\"}})\n\n\
         \x20   @task\n    def check():\n        return {i}\n\n    export >> run >> check()\n"
    )
}

/// One generated DAG of `tasks` `BashOperator` tasks in a `with DAG(...)` block (44,738 make
/// about 5 MB), with one hardcoded password planted at task 4,000.
fn large_dag(tasks: usize) -> String {
    let mut s = String::from(
        "from datetime import datetime\nfrom airflow import DAG\nfrom airflow.operators.bash import BashOperator\n\n\
         with DAG(\"generated_big\", start_date=datetime(2024, 1, 1), schedule=\"@daily\") as dag:\n",
    );
    for i in 0..tasks {
        let extra = if i == 4_000 {
            ", env={\"DB_PASSWORD\": \"Planted-Pw-4000x\"}"
        } else {
            ""
        };
        let _ = writeln!(
            s,
            "    t{i:05} = BashOperator(task_id=\"load_part_{i:05}\", bash_command=\"python etl/load.py --part {i} --ds {{{{ ds }}}}\"{extra})"
        );
    }
    s
}

fn corpus(dir: &Path, n: usize) -> u64 {
    let mut bytes = 0;
    for i in 0..n {
        let sub = dir.join(format!("mod{}", i / 100));
        std::fs::create_dir_all(&sub).expect("mkdir");
        let tf = terraform(i);
        let y = yaml(i);
        bytes += (tf.len() + y.len()) as u64;
        std::fs::write(sub.join(format!("main{i}.tf")), tf).expect("write");
        std::fs::write(sub.join(format!("deploy{i}.yaml")), y).expect("write");
    }
    bytes
}

#[allow(clippy::many_single_char_names)] // c, b, g, d, p: criterion handles and groups
fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let files_per_kind = 2_000;
    let bytes = corpus(dir.path(), files_per_kind);
    let mut config = Config::defaults(dir.path().to_path_buf());
    config.data = serde_json::json!({"prohibited_buckets": ["public-*"]});
    let policies = PolicySet::load(
        &PolicySources {
            include_bundled: true,
            dirs: vec![],
            include_tests: false,
            kinds: None,
        },
        &config.data,
        Duration::from_secs(5),
    )
    .expect("policies");
    let roots: Vec<PathBuf> = vec![dir.path().to_path_buf()];
    let limits = Limits::default();

    let mut g = c.benchmark_group("scan");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(bytes));
    g.bench_function("tf+yaml corpus (bytes)", |b| {
        b.iter(|| custos::scan::run(&roots, &config, &policies, &limits).expect("scan"));
    });
    g.throughput(Throughput::Elements((files_per_kind * 2) as u64));
    g.bench_function("tf+yaml corpus (files)", |b| {
        b.iter(|| custos::scan::run(&roots, &config, &policies, &limits).expect("scan"));
    });
    g.finish();

    // Terraform only: module resolution and sibling merging on, all bundled rules.
    let tf_dir = tempfile::tempdir().expect("tempdir");
    let mut tf_bytes = 0u64;
    let tf_count = 2_000;
    for i in 0..tf_count {
        let sub = tf_dir.path().join(format!("mod{}", i / 100));
        std::fs::create_dir_all(&sub).expect("mkdir");
        let text = terraform(i);
        tf_bytes += text.len() as u64;
        std::fs::write(sub.join(format!("main{i}.tf")), text).expect("write");
    }
    let tf_roots = vec![tf_dir.path().to_path_buf()];
    let mut t = c.benchmark_group("terraform");
    t.sample_size(10);
    t.throughput(Throughput::Elements(tf_count as u64));
    t.bench_function("files with resolution and merging (files)", |b| {
        b.iter(|| custos::scan::run(&tf_roots, &config, &policies, &limits).expect("scan"));
    });
    t.throughput(Throughput::Bytes(tf_bytes));
    t.bench_function("files with resolution and merging (bytes)", |b| {
        b.iter(|| custos::scan::run(&tf_roots, &config, &policies, &limits).expect("scan"));
    });
    t.finish();

    // Airflow DAGs: tree-sitter model + the bundled rules, per file.
    let dags = tempfile::tempdir().expect("tempdir");
    let mut dag_bytes = 0u64;
    let dag_count = 1_000;
    for i in 0..dag_count {
        let text = dag(i);
        dag_bytes += text.len() as u64;
        std::fs::write(dags.path().join(format!("dag_{i}.py")), text).expect("write");
    }
    let dag_roots = vec![dags.path().to_path_buf()];
    let mut d = c.benchmark_group("airflow");
    d.sample_size(10);
    d.throughput(Throughput::Elements(dag_count as u64));
    d.bench_function("DAG files parsed and evaluated (files)", |b| {
        b.iter(|| custos::scan::run(&dag_roots, &config, &policies, &limits).expect("scan"));
    });
    d.throughput(Throughput::Bytes(dag_bytes));
    d.bench_function("DAG files parsed and evaluated (bytes)", |b| {
        b.iter(|| custos::scan::run(&dag_roots, &config, &policies, &limits).expect("scan"));
    });
    d.finish();

    // One Terraform file with N bare buckets: every bucket rule must stay linear in the number
    // of resources (sibling and log-target lookups are indexed, never a scan per bucket).
    let mut bk = c.benchmark_group("terraform_buckets");
    bk.sample_size(10);
    for n in [4_000usize, 16_000] {
        let dir = tempfile::tempdir().expect("tempdir");
        let text = (0..n).fold(String::new(), |mut s, i| {
            use std::fmt::Write as _;
            let _ = write!(
                s,
                "resource \"aws_s3_bucket\" \"b{i}\" {{\n  bucket = \"b{i}\"\n}}\n"
            );
            s
        });
        std::fs::write(dir.path().join("main.tf"), &text).expect("write");
        let roots = vec![dir.path().to_path_buf()];
        bk.throughput(Throughput::Elements(n as u64));
        bk.bench_function(format!("{n} buckets in one file (buckets)"), |b| {
            b.iter(|| custos::scan::run(&roots, &config, &policies, &limits).expect("scan"));
        });
    }
    bk.finish();
    // One very large generated DAG: split parsing, the compact model and the linear rules.
    let large = tempfile::tempdir().expect("tempdir");
    let text = large_dag(44_738);
    let large_bytes = text.len() as u64;
    std::fs::write(large.path().join("big_dag.py"), text).expect("write");
    let large_roots = vec![large.path().to_path_buf()];
    let mut l = c.benchmark_group("airflow_large");
    l.sample_size(10);
    l.throughput(Throughput::Bytes(large_bytes));
    l.bench_function("one 5 MB DAG of 44,738 tasks (bytes)", |b| {
        b.iter(|| custos::scan::run(&large_roots, &config, &policies, &limits).expect("scan"));
    });
    l.finish();

    // A pre-commit run on one staged file: load the rules of its kinds, scan it (in process;
    // the whole-process figure in README comes from timing the binary).
    let one = vec![PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo/infra/main.tf")];
    let one_config =
        Config::defaults(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo"));
    let mut o = c.benchmark_group("one_file");
    o.sample_size(20);
    o.bench_function("load the rules of its kinds and scan one .tf file", |b| {
        b.iter(|| {
            let kinds = custos::scan::kinds_of_files(&one, &one_config);
            let set = PolicySet::load(
                &PolicySources {
                    include_bundled: true,
                    dirs: vec![],
                    include_tests: false,
                    kinds,
                },
                &one_config.data,
                Duration::from_secs(5),
            )
            .expect("policies");
            custos::scan::run(&one, &one_config, &set, &limits).expect("scan")
        });
    });
    o.finish();

    let mut p = c.benchmark_group("parse");
    let tf = terraform(7).repeat(20);
    p.throughput(Throughput::Bytes(tf.len() as u64));
    p.bench_function("hcl", |b| {
        b.iter(|| custos::parse::hcl::parse(&tf, &limits));
    });
    let y = yaml(7).replace("apiVersion", "---\napiVersion").repeat(20);
    p.throughput(Throughput::Bytes(y.len() as u64));
    p.bench_function("yaml", |b| {
        b.iter(|| custos::parse::yaml::parse(&y, &limits));
    });
    p.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
