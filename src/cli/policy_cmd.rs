//! `custos policy list` and `custos policy test`.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Subcommand};

use super::{fail, load_config, PolicyArgs, EXIT_FINDINGS, EXIT_OK};
use crate::policy::test::Outcome;
use crate::policy::{PolicySet, PolicySources, BUILTIN_RULES};

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// List every rule: id, severity, title, kinds, controls.
    List(ListArgs),
    /// Run `test_*` rules in `*_test.rego` files (OPA semantics); exit 1 on any failure.
    Test(TestArgs),
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[arg(long, short, default_value = "human", value_parser = ["human", "json"])]
    pub format: String,
    #[command(flatten)]
    pub policies: PolicyArgs,
}

#[derive(Debug, Args)]
pub struct TestArgs {
    /// Directory of policies and their tests (default: the bundled policies).
    pub dir: Option<PathBuf>,
    /// Print line coverage per policy file.
    #[arg(long)]
    pub coverage: bool,
    #[arg(long, short, default_value = "human", value_parser = ["human", "json"])]
    pub format: String,
}

pub fn run(cmd: &PolicyCommand) -> i32 {
    match cmd {
        PolicyCommand::List(a) => list(a),
        PolicyCommand::Test(a) => test(a),
    }
}

fn list(args: &ListArgs) -> i32 {
    let config = match load_config(&args.policies, &PathBuf::from(".")) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    let sources = args.policies.sources(&config);
    let set = match PolicySet::load(&sources, &config.data, Duration::from_secs(5)) {
        Ok(s) => s,
        Err(e) => return fail(miette::Report::new(e)),
    };
    if args.format == "json" {
        let rules: Vec<_> = set.rules().collect();
        let detectors: Vec<serde_json::Value> = crate::detect::secrets::RULES
            .iter()
            .map(|r| serde_json::json!({"id": r.id, "title": r.title, "severity": r.severity, "kinds": ["*"]}))
            .chain(crate::detect::pii::ENTITIES.iter().map(|e| {
                serde_json::json!({"id": e.1, "title": format!("Unredacted {} in a log", e.2), "severity": e.3, "kinds": ["log-jsonl", "log-nginx", "log-text"]})
            }))
            .collect();
        match serde_json::to_string_pretty(&serde_json::json!({
            "rules": rules,
            "detectors": detectors,
            "builtin": BUILTIN_RULES.iter().map(|(id, t)| serde_json::json!({"id": id, "title": t})).collect::<Vec<_>>(),
        })) {
            Ok(s) => out!("{s}"),
            Err(e) => return fail(miette::miette!("{e}")),
        }
        return EXIT_OK;
    }
    out!(
        "{:<14} {:<9} {:<58} {:<28} CONTROLS",
        "ID",
        "SEVERITY",
        "TITLE",
        "KINDS"
    );
    for r in set.rules() {
        let kinds = if r.kinds.is_empty() {
            "*".to_owned()
        } else {
            r.kinds
                .iter()
                .map(|k| k.as_str())
                .collect::<Vec<_>>()
                .join(",")
        };
        let title = if r.title.is_empty() {
            format!("({})", r.sources.join(", "))
        } else {
            r.title.clone()
        };
        out!(
            "{:<14} {:<9} {:<58} {:<28} {}",
            r.id,
            config.severity_for(&r.id, r.severity).as_str(),
            title,
            kinds,
            r.controls.join(", ")
        );
    }
    for r in crate::detect::secrets::RULES {
        out!(
            "{:<14} {:<9} {:<58} {:<28}",
            r.id,
            config.severity_for(r.id, r.severity).as_str(),
            r.title,
            "*"
        );
    }
    for (_, id, name, sev) in crate::detect::pii::ENTITIES {
        out!(
            "{id:<14} {:<9} {:<58} {:<28} GDPR:Art.5(1)(c), GDPR:Art.32",
            config.severity_for(id, *sev).as_str(),
            format!("Unredacted {name} in a log"),
            "log-jsonl,log-nginx,log-text"
        );
    }
    for (id, title) in BUILTIN_RULES {
        out!("{id:<14} {:<9} {title:<58} {:<28}", "-", "*");
    }
    EXIT_OK
}

fn test(args: &TestArgs) -> i32 {
    let sources = PolicySources {
        include_bundled: args.dir.is_none(),
        dirs: args.dir.iter().cloned().collect(),
        include_tests: true,
    };
    let set = match PolicySet::load(&sources, &serde_json::json!({}), Duration::from_secs(30)) {
        Ok(s) => s,
        Err(e) => return fail(miette::Report::new(e)),
    };
    let run = crate::policy::test::run(&set, args.coverage);
    if args.format == "json" {
        match serde_json::to_string_pretty(&run) {
            Ok(s) => out!("{s}"),
            Err(e) => return fail(miette::miette!("{e}")),
        }
    } else {
        for r in &run.results {
            let tag = match r.outcome {
                Outcome::Pass => "PASS",
                Outcome::Fail => "FAIL",
                Outcome::Error => "ERROR",
            };
            if let Some(d) = &r.detail {
                out!(
                    "{tag}  {}  ({})  {}",
                    r.name,
                    r.file,
                    d.lines().next().unwrap_or_default()
                );
            } else {
                out!("{tag}  {}  ({})", r.name, r.file);
            }
        }
        if let Some(cov) = &run.coverage {
            out!();
            out!("coverage:");
            for c in cov {
                out!(
                    "  {:>6.1}%  {}  ({} of {} lines{})",
                    c.percent(),
                    c.path,
                    c.covered,
                    c.covered + c.not_covered,
                    if c.uncovered_lines.is_empty() {
                        String::new()
                    } else {
                        format!(
                            "; not covered: {}",
                            c.uncovered_lines
                                .iter()
                                .map(u32::to_string)
                                .collect::<Vec<_>>()
                                .join(",")
                        )
                    }
                );
            }
        }
        out!();
        out!(
            "policy-test: {} passed, {} failed",
            run.passed(),
            run.failed()
        );
    }
    if run.results.is_empty() {
        eprintln!("custos: no test_* rules found in *_test.rego files");
        return EXIT_FINDINGS;
    }
    if run.failed() > 0 {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    }
}
