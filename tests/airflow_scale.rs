//! A generated DAG with thousands of tasks (a file the model parses in parts, and the rules read
//! a block of calls at a time) is checked completely: no rule runs out of its time limit
//! (`policy-error`), and what is planted deep inside is found at its line. Asserts results, never
//! timings; the file is written under the target directory.

mod common;

use std::fmt::Write as _;

use common::{repo, scan_json, triples};

const TASKS: usize = 5_000;

#[test]
fn generated_dag_with_thousands_of_tasks_is_fully_checked() {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("airflow_scale");
    std::fs::create_dir_all(&dir).expect("tmp dir");
    let mut src = String::from(
        "from datetime import datetime\n\nfrom airflow import DAG\nfrom airflow.operators.bash import BashOperator\n\n\
         with DAG(\"generated\", start_date=datetime(2024, 1, 1), schedule=\"@daily\") as dag:\n",
    );
    let mut planted = Vec::new();
    for i in 0..TASKS {
        let line = src.lines().count() + 1;
        let extra = match i {
            4_000 => {
                planted.push((line, "AF001"));
                r#", env={"DB_PASSWORD": "Planted-Pw-4000x"}"#
            }
            4_200 => {
                planted.push((line, "AF002"));
                r#", env={"WAREHOUSE_URI": "postgresql://etl:Planted-Uri-42@db:5432/dw"}"#
            }
            4_500 => {
                planted.push((line, "AF003"));
                r#", env={"TARGET": "s3://public-planted/exports/"}"#
            }
            _ => "",
        };
        let _ = writeln!(
            src,
            "    t{i:05} = BashOperator(task_id=\"load_part_{i:05}\", bash_command=\"python etl/load.py --part {i} --ds {{{{ ds }}}}\"{extra})"
        );
    }
    let file = dir.join("generated_dag.py");
    std::fs::write(&file, &src).expect("write DAG");
    assert!(src.len() > 256 * 1024, "large enough to be parsed in parts");

    let cfg = repo().join("fixtures/rules/custos.toml");
    let (code, report, _) = scan_json(
        &[
            file.to_str().expect("utf8"),
            "--config",
            cfg.to_str().expect("utf8"),
        ],
        &repo(),
    );
    let got: Vec<(u64, String)> = triples(&report)
        .into_iter()
        .map(|(_, line, rule)| (line, rule))
        .collect();
    assert!(
        !got.iter().any(|(_, r)| r == "policy-error"),
        "a rule did not finish: {got:?}"
    );
    let mut want: Vec<(u64, String)> = planted
        .into_iter()
        .map(|(line, rule)| (line as u64, rule.to_owned()))
        .collect();
    want.sort();
    assert_eq!(got, want);
    assert_eq!(code, 1);
}
