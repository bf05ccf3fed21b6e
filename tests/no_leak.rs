//! No output ever contains a full secret or PII value — as a property: generated credentials
//! (AWS, GitHub, Stripe, Hugging Face, a password in a URI) and personal data (email, payment
//! card, US SSN) are written into files of every kind custos reads (YAML, JSON, Terraform,
//! an Airflow DAG, `.env`, INI, a JSONL log, an nginx log, plain text), scanned, and rendered in
//! every registered output format. Each value must be found (so the property is not vacuous)
//! and no rendering may contain it, nor its tail after the few characters masking keeps.

use std::path::PathBuf;
use std::time::Duration;

use custos::config::Config;
use custos::parse::Limits;
use custos::policy::{PolicySet, PolicySources};
use custos::render::{renderer, RenderOptions, FORMATS};
use proptest::prelude::*;

const UPPER: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz0123456789";

fn pick(alphabet: &'static [u8], n: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(0..alphabet.len(), n)
        .prop_map(move |ix| ix.into_iter().map(|i| char::from(alphabet[i])).collect())
}

/// A payment card number (16 digits, Visa prefix) with a valid Luhn check digit.
fn card() -> impl Strategy<Value = String> {
    proptest::collection::vec(0u8..10, 14).prop_map(|body| {
        let mut digits = vec![4u8];
        digits.extend(body);
        let sum: u32 = digits
            .iter()
            .rev()
            .enumerate()
            .map(|(i, d)| {
                let d = u32::from(*d);
                // The check digit will sit to the right: these positions double from the first.
                if i % 2 == 0 {
                    let x = d * 2;
                    if x > 9 {
                        x - 9
                    } else {
                        x
                    }
                } else {
                    d
                }
            })
            .sum();
        digits.push(u8::try_from((10 - sum % 10) % 10).unwrap_or(0));
        digits.iter().map(|d| char::from(b'0' + d)).collect()
    })
}

/// A US SSN that passes the area/group/serial rules.
fn ssn() -> impl Strategy<Value = String> {
    (1u32..=665, 1u32..=99, 1u32..=9999)
        .prop_filter("area 666 is never issued", |(a, _, _)| *a != 666)
        .prop_map(|(a, g, s)| format!("{a:03}-{g:02}-{s:04}"))
}

#[derive(Debug, Clone)]
struct Values {
    aws: String,
    github: String,
    stripe: String,
    hf: String,
    uri_password: String,
    email: String,
    card: String,
    ssn: String,
}

fn values() -> impl Strategy<Value = Values> {
    (
        pick(UPPER, 16),
        pick(ALNUM, 36),
        pick(ALNUM, 28),
        pick(ALNUM, 34),
        pick(ALNUM, 14),
        pick(b"abcdefghijklmnopqrstuvwxyz", 9),
        card(),
        ssn(),
    )
        .prop_map(|(aws, gh, stripe, hf, pw, local, card, ssn)| Values {
            aws: format!("AKIA{aws}"),
            github: format!("ghp_{gh}"),
            stripe: format!("sk_live_{stripe}"),
            hf: format!("hf_{hf}"),
            uri_password: format!("Pw{pw}9!"),
            email: format!("{local}.q@corp-mail.net"),
            card,
            ssn,
        })
}

/// The files of one case: (name, content, the values planted in it).
fn files(v: &Values) -> Vec<(&'static str, String, Vec<String>)> {
    vec![
        (
            "config.yaml",
            format!("service:\n  aws_access_key_id: {}\n  hub: \"{}\"\n", v.aws, v.hf),
            vec![v.aws.clone(), v.hf.clone()],
        ),
        (
            "settings.json",
            format!("{{\"github_token\": \"{}\"}}\n", v.github),
            vec![v.github.clone()],
        ),
        (
            "main.tf",
            format!(
                "provider \"aws\" {{\n  region     = \"eu-west-1\"\n  access_key = \"{}\"\n}}\n",
                v.aws
            ),
            vec![v.aws.clone()],
        ),
        (
            "dag.py",
            format!(
                "from airflow import DAG\nfrom airflow.operators.bash import BashOperator\n\n\
                 with DAG(\"d\") as dag:\n    BashOperator(task_id=\"t\", bash_command=\"run\", env={{\"STRIPE_KEY\": \"{}\"}})\n",
                v.stripe
            ),
            vec![v.stripe.clone()],
        ),
        (
            ".env",
            format!("GITHUB_TOKEN={}\n", v.github),
            vec![v.github.clone()],
        ),
        (
            "airflow.cfg",
            format!(
                "[database]\nsql_alchemy_conn = postgresql://etl:{}@db.internal:5432/airflow\n",
                v.uri_password
            ),
            vec![v.uri_password.clone()],
        ),
        (
            "app.jsonl",
            format!(
                "{{\"ts\": \"2026-01-01T00:00:00Z\", \"user\": \"{}\", \"card\": \"{}\", \"ssn\": \"{}\"}}\n",
                v.email, v.card, v.ssn
            ),
            vec![v.email.clone(), v.card.clone(), v.ssn.clone()],
        ),
        (
            "access.log",
            format!(
                "10.0.0.1 - - [01/Jan/2026:00:00:00 +0000] \"GET /signup?email={} HTTP/1.1\" 200 12 \"-\" \"curl/8\"\n",
                v.email
            ),
            vec![v.email.clone()],
        ),
        (
            "notes.txt",
            format!("deploy token {} for the hub\n", v.hf),
            vec![v.hf.clone()],
        ),
    ]
}

fn policies() -> PolicySet {
    PolicySet::load(
        &PolicySources {
            include_bundled: true,
            dirs: Vec::new(),
            include_tests: false,
            kinds: None,
        },
        &serde_json::json!({}),
        Duration::from_secs(120),
    )
    .expect("policies load")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn no_format_ever_prints_a_generated_secret_or_pii_value(v in values()) {
        static SET: std::sync::OnceLock<PolicySet> = std::sync::OnceLock::new();
        let set = SET.get_or_init(policies);
        let dir = tempfile::tempdir().expect("tempdir");
        let mut planted: Vec<String> = Vec::new();
        for (name, content, values) in files(&v) {
            std::fs::write(dir.path().join(name), content).expect("write");
            planted.extend(values);
        }
        let config = Config::defaults(dir.path().to_path_buf());
        let roots = vec![PathBuf::from(dir.path())];
        let report = custos::scan::run(&roots, &config, set, &Limits::default()).expect("scan");
        // Every file yields findings: the values were recognised, so the check below means
        // something.
        for (name, _, _) in files(&v) {
            prop_assert!(
                report.findings.iter().any(|f| f.path.ends_with(name)),
                "nothing found in {name}"
            );
        }
        for format in FORMATS {
            let r = renderer(format.name, RenderOptions::default()).expect("registered");
            let mut out = Vec::new();
            r.render(&report, &mut out).expect("render");
            let text = String::from_utf8_lossy(&out);
            for value in &planted {
                prop_assert!(!text.contains(value.as_str()), "{} printed {value}", format.name);
                // Masking keeps at most a short prefix: the rest must not appear either.
                let tail: String = value.chars().skip(4).collect();
                prop_assert!(!text.contains(tail.as_str()), "{} printed the tail of {value}", format.name);
            }
        }
    }
}
