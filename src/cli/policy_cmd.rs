//! `custos policy list`, `custos policy explain` and `custos policy test`.
//!
//! `test` produces a [`Report`] (`Command::PolicyTest`) with one check per `test_*` rule, so
//! its JSON is the report schema every command shares.
//!
//! `list` and `explain` read the rule catalog ([`crate::catalog`]) and nothing else, with the
//! configuration's severity overrides applied to the severity shown. Their Markdown output is
//! the rule documentation: README's rules table (`policy list --format markdown --no-config`)
//! and docs/rules.md (`policy explain --all --format markdown --no-config`), both kept equal to
//! the generated text by `tests/rule_docs.rs`. Rule pages are modelled on ruff's `ruff rule`.

mod examples;
mod pages;

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Subcommand};
use serde::Serialize;

use super::{fail, load_config, PolicyArgs, EXIT_FINDINGS, EXIT_OK};
use crate::detect::secrets;
use crate::finding::Severity;
use crate::policy::test::{Outcome, TestRun};
use crate::policy::{PolicySet, PolicySources};
use crate::report::{Check, Command, Origin, Report, RuleInfo, Verdict};

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// List every rule: id, severity, title, kinds, controls.
    List(ListArgs),
    /// Explain a rule: what it checks, an example, how to fix it, the controls it maps to.
    Explain(ExplainArgs),
    /// Run `test_*` rules in `*_test.rego` files (OPA semantics); exit 1 on any failure.
    Test(TestArgs),
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// `markdown` writes the rules tables README shows.
    #[arg(long, short, default_value = "human", value_parser = ["human", "json", "markdown"])]
    pub format: String,
    #[command(flatten)]
    pub policies: PolicyArgs,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The rule id (`custos policy list` shows them all).
    #[arg(required_unless_present = "all")]
    pub id: Option<String>,
    /// Explain every rule (with `--format markdown`: docs/rules.md).
    #[arg(long, conflicts_with = "id")]
    pub all: bool,
    #[arg(long, short, default_value = "human", value_parser = ["human", "json", "markdown"])]
    pub format: String,
    #[command(flatten)]
    pub policies: PolicyArgs,
}

#[derive(Debug, Args)]
pub struct TestArgs {
    /// Directory of policies and their tests (default: `--policy`, conftest.toml's `policy`,
    /// `./policy` when it holds Rego files, else the bundled policies).
    pub dir: Option<PathBuf>,
    /// Policy directory or .rego file (repeatable, as conftest's `verify --policy`).
    #[arg(long, short = 'p', value_name = "DIR")]
    pub policy: Vec<PathBuf>,
    /// Run only the tests of these packages (repeatable; globs `*`, `?`, `[...]`).
    #[arg(long, short = 'n', value_name = "NS")]
    pub namespace: Vec<String>,
    /// Data for policies: a JSON or YAML file, or a directory of them (repeatable).
    #[arg(long, short = 'd', value_name = "DIR|FILE")]
    pub data: Vec<PathBuf>,
    /// conftest.toml to read `policy`, `namespace` and `data` from (default: conftest.toml in
    /// the working directory).
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Ignore any conftest.toml.
    #[arg(long, conflicts_with = "config")]
    pub no_config: bool,
    /// Print line coverage per policy file.
    #[arg(long)]
    pub coverage: bool,
    #[arg(long, short, default_value = "human", value_parser = ["human", "json"])]
    pub format: String,
    /// Directories of `.proto` files for text-format documents (conftest's
    /// `--proto-file-dirs`; default: conftest.toml's `proto-file-dirs`): `parse_config` and
    /// `parse_config_file` read text format with its schema.
    #[arg(long, value_name = "DIR", value_delimiter = ',')]
    pub proto_file_dirs: Vec<PathBuf>,
    #[command(flatten)]
    pub checks: crate::policy::checks::CheckArgs,
}

/// Load the `.proto` files of conftest's `--proto-file-dirs`, else of conftest.toml's
/// `proto-file-dirs` (nothing when neither names one).
pub(super) fn load_proto_file_dirs(
    flags: &[PathBuf],
    conftest: Option<&crate::config::ConftestConfig>,
) -> Result<(), miette::Report> {
    let dirs = if flags.is_empty() {
        conftest
            .map(|c| c.proto_file_dirs.as_slice())
            .unwrap_or_default()
    } else {
        flags
    };
    if dirs.is_empty() {
        return Ok(());
    }
    crate::parse::textproto_schema::activate(dirs).map_err(|e| miette::miette!("{e}"))
}

pub fn run(cmd: &PolicyCommand) -> i32 {
    match cmd {
        PolicyCommand::List(a) => list(a),
        PolicyCommand::Explain(a) => explain(a),
        PolicyCommand::Test(a) => test(a),
    }
}

/// Where a rule comes from, as the rule documentation groups rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Family {
    /// Rego rules shipped with custos.
    Bundled,
    /// Rego rules from the user's policy directories.
    User,
    /// The secret detector's rules.
    Secret,
    /// The PII detector's entities.
    Pii,
    /// custos's own rules (parse errors, waivers, audit-log verification …).
    Custos,
}

impl Family {
    pub const ALL: [Family; 5] = [
        Family::Bundled,
        Family::User,
        Family::Secret,
        Family::Pii,
        Family::Custos,
    ];

    fn of(rule: &RuleInfo) -> Self {
        match rule.origin {
            Origin::Bundled => Family::Bundled,
            Origin::User => Family::User,
            Origin::Detector if secrets::rule(&rule.id).is_some() => Family::Secret,
            Origin::Detector => Family::Pii,
            Origin::Builtin => Family::Custos,
        }
    }

    pub const fn heading(self) -> &'static str {
        match self {
            Family::Bundled => "Policy rules",
            Family::User => "Your policy rules",
            Family::Secret => "Secrets",
            Family::Pii => "Personal data in logs",
            Family::Custos => "custos's own rules",
        }
    }

    pub const fn about(self) -> &'static str {
        match self {
            Family::Bundled => {
                "Rego rules in `policies/`, evaluated over every parsed document of the kinds listed."
            }
            Family::User => "Rego rules from your policy directories.",
            Family::Secret => {
                "Rust rules run on every text file (and on logs, line by line), whatever its kind."
            }
            Family::Pii => {
                "Rust rules run on log files: personal data written to a log in clear."
            }
            Family::Custos => {
                "Findings custos reports about the run itself, so that nothing is passed silently."
            }
        }
    }

    /// How the rules of this family show an empty `kinds` list.
    const fn all_kinds(self) -> &'static str {
        match self {
            Family::Bundled | Family::User => "every structured kind",
            Family::Secret => "every text file",
            Family::Pii => "logs",
            Family::Custos => "—",
        }
    }
}

/// One rule as `list` and `explain` show it: the catalog entry with the configured severity.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    #[serde(flatten)]
    pub rule: RuleInfo,
    /// The severity before configuration overrides.
    pub default_severity: Severity,
    pub family: Family,
    /// The values the rule flags are secrets: they are masked wherever they are shown.
    pub sensitive: bool,
    /// The Rego file(s) that define the rule.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<String>,
}

impl Entry {
    /// The kinds, comma-separated (the family's wording when the rule lists none).
    pub fn kinds_text(&self) -> String {
        if self.rule.kinds.is_empty() {
            self.family.all_kinds().to_owned()
        } else {
            self.rule
                .kinds
                .iter()
                .map(|k| k.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        }
    }
}

/// Every rule the configuration and flags load, grouped by family, in id order within one.
fn entries(args: &PolicyArgs) -> Result<Vec<Entry>, miette::Report> {
    let config = load_config(args, &PathBuf::from("."))?;
    let sources = args.sources(&config);
    let set = PolicySet::load(&sources, &config.data, Duration::from_secs(5))
        .map_err(miette::Report::new)?;
    let catalog = crate::catalog::build(set.rules());
    let mut out: Vec<Entry> = catalog
        .iter()
        .map(|r| {
            let default = match r.id.as_str() {
                // Problems with a file itself take `parse_error_severity` (src/scan.rs).
                "parse-error" | "read-error" | "too-large" => config.parse_error_severity,
                _ => r.severity,
            };
            let mut rule = r.clone();
            rule.severity = config.severity_for(&r.id, default);
            let meta = set.rules().find(|m| m.id == r.id);
            Entry {
                family: Family::of(r),
                sensitive: meta.is_some_and(|m| m.sensitive),
                sources: meta.map(|m| m.sources.clone()).unwrap_or_default(),
                default_severity: default,
                rule,
            }
        })
        .collect();
    out.sort_by(|a, b| (a.family, &a.rule.id).cmp(&(b.family, &b.rule.id)));
    Ok(out)
}

fn list(args: &ListArgs) -> i32 {
    let entries = match entries(&args.policies) {
        Ok(e) => e,
        Err(e) => return fail(e),
    };
    match args.format.as_str() {
        "json" => match serde_json::to_string_pretty(&serde_json::json!({ "rules": entries })) {
            Ok(s) => out!("{s}"),
            Err(e) => return fail(miette::miette!("{e}")),
        },
        "markdown" => out!("{}", pages::table(&entries).trim_end()),
        _ => {
            out!(
                "{:<20} {:<9} {:<58} {:<28} CONTROLS",
                "ID",
                "SEVERITY",
                "TITLE",
                "KINDS"
            );
            for e in &entries {
                let kinds = if e.rule.kinds.is_empty() {
                    "*".to_owned()
                } else {
                    e.rule
                        .kinds
                        .iter()
                        .map(|k| k.as_str())
                        .collect::<Vec<_>>()
                        .join(",")
                };
                // A rule without metadata (conftest style) is named by its files.
                let title = if e.rule.title.is_empty() && !e.sources.is_empty() {
                    format!("({})", e.sources.join(", "))
                } else {
                    e.rule.display_title().to_owned()
                };
                out!(
                    "{:<20} {:<9} {:<58} {:<28} {}",
                    e.rule.id,
                    e.rule.severity.as_str(),
                    title,
                    kinds,
                    e.rule.controls.join(", ")
                );
            }
        }
    }
    EXIT_OK
}

fn explain(args: &ExplainArgs) -> i32 {
    let entries = match entries(&args.policies) {
        Ok(e) => e,
        Err(e) => return fail(e),
    };
    let chosen: Vec<&Entry> = match &args.id {
        Some(id) if !args.all => match find(&entries, id) {
            Ok(e) => vec![e],
            Err(message) => return fail(miette::miette!("{message}")),
        },
        _ => entries.iter().collect(),
    };
    let pages: Vec<pages::Page> = chosen.into_iter().map(pages::Page::new).collect();
    match args.format.as_str() {
        "json" => {
            let s = if args.all {
                serde_json::to_string_pretty(&pages)
            } else {
                serde_json::to_string_pretty(&pages.first())
            };
            match s {
                Ok(s) => out!("{s}"),
                Err(e) => return fail(miette::miette!("{e}")),
            }
        }
        "markdown" if args.all => out!("{}", pages::document(&pages).trim_end()),
        "markdown" => {
            for p in &pages {
                out!("{}", p.markdown(2).trim_end());
            }
        }
        _ => {
            let text: Vec<String> = pages.iter().map(pages::Page::human).collect();
            out!(
                "{}",
                text.join(&format!("\n{}\n\n", "─".repeat(40))).trim_end()
            );
        }
    }
    EXIT_OK
}

/// The entry of rule `id` (case-insensitive), or an error that suggests the nearest id.
fn find<'a>(entries: &'a [Entry], id: &str) -> Result<&'a Entry, String> {
    if let Some(e) = entries
        .iter()
        .find(|e| e.rule.id == id)
        .or_else(|| entries.iter().find(|e| e.rule.id.eq_ignore_ascii_case(id)))
    {
        return Ok(e);
    }
    let wanted = id.to_lowercase();
    let best = entries
        .iter()
        .map(|e| {
            (
                strsim::levenshtein(&e.rule.id.to_lowercase(), &wanted),
                &e.rule.id,
            )
        })
        .filter(|(d, _)| *d <= 2.max(wanted.chars().count() / 3))
        .min();
    let hint = best.map_or_else(
        || " (`custos policy list` shows every rule id)".to_owned(),
        |(_, k)| format!("; did you mean `{k}`?"),
    );
    Err(format!("unknown rule id `{id}`{hint}"))
}

fn test(args: &TestArgs) -> i32 {
    let conftest = if args.no_config {
        None
    } else {
        let file = args
            .config
            .clone()
            .or_else(crate::config::ConftestConfig::discover);
        match file
            .map(|f| crate::config::ConftestConfig::load(&f))
            .transpose()
        {
            Ok(c) => c,
            Err(e) => return fail(miette::miette!("{e}")),
        }
    };
    let mut dirs: Vec<PathBuf> = args.dir.iter().chain(&args.policy).cloned().collect();
    if dirs.is_empty() {
        if let Some(c) = &conftest {
            dirs.extend(c.policy.iter().cloned());
        }
    }
    if dirs.is_empty() {
        dirs.extend(super::default_policy_dir());
    }
    if let Err(e) = load_proto_file_dirs(&args.proto_file_dirs, conftest.as_ref()) {
        return fail(e);
    }
    // `--strict` / `--capabilities`: OPA's load-time checks of the user's policies.
    if let Err(e) = crate::policy::checks::enforce(&args.checks, &dirs) {
        return fail(miette::miette!("{e}"));
    }
    let sources = PolicySources {
        include_bundled: dirs.is_empty(),
        dirs: dirs.clone(),
        include_tests: true,
        kinds: None,
    };
    let mut data_paths = args.data.clone();
    if let Some(c) = &conftest {
        data_paths.extend(c.data.iter().cloned());
    }
    let data = match crate::config::load_data_files(&data_paths) {
        Ok(d) => d,
        Err(e) => return fail(miette::miette!("{e}")),
    };
    let set = match PolicySet::load_selected(&sources, &crate::policy::Namespaces::All, &data, &{
        let mut b = crate::policy::Bounds::new(Duration::from_secs(30));
        b.trace = args.checks.trace;
        b
    }) {
        Ok(s) => s,
        Err(e) => return fail(miette::Report::new(e)),
    };
    let mut patterns = args.namespace.clone();
    if patterns.is_empty() {
        if let Some(c) = &conftest {
            patterns.clone_from(&c.namespace);
        }
    }
    // conftest's `verify` runs the tests of every package unless told which.
    let namespaces = if patterns.is_empty() {
        crate::policy::Namespaces::All
    } else {
        crate::policy::Namespaces::Matching(patterns)
    };
    let run = crate::policy::test::run_selected(&set, args.coverage, &namespaces);
    super::show_prints(&set.take_tally().prints);
    let root = if dirs.is_empty() {
        "(bundled policies)".to_owned()
    } else {
        dirs.iter()
            .map(|d| d.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let report = test_report(&run, &root);
    if args.format == "json" {
        let Some(json) = crate::render::renderer("json", crate::render::RenderOptions::default())
        else {
            return fail(miette::miette!("no json renderer"));
        };
        let mut buf = Vec::new();
        if let Err(e) = json.render(&report, &mut buf) {
            return fail(miette::miette!("could not render report: {e}"));
        }
        out!("{}", String::from_utf8_lossy(&buf).trim_end());
    } else {
        print_test_report(&report);
    }
    if report.checks.iter().all(|c| c.id != TEST_CHECK) {
        // As conftest's `verify`: no tests is not a failure (no policies at all is an error).
        eprintln!("custos: no test_* rules found in *_test.rego files");
        return EXIT_OK;
    }
    if report.gate_failed() {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    }
}

/// Check id of one `test_*` rule's outcome.
const TEST_CHECK: &str = "policy-test";
/// Check id of one policy file's line coverage (information: it always passes).
const COVERAGE_CHECK: &str = "policy-coverage";

/// A test run as a report: one check per test (a test that failed or errored fails), and with
/// `--coverage` one check per policy file.
fn test_report(run: &TestRun, root: &str) -> Report {
    let mut report = Report::new(Command::PolicyTest, root);
    report.catalog = crate::catalog::builtin_only();
    for r in &run.results {
        let (tag, verdict) = match r.outcome {
            Outcome::Pass => ("PASS", Verdict::Pass),
            Outcome::Fail => ("FAIL", Verdict::Fail),
            Outcome::Error => ("ERROR", Verdict::Fail),
        };
        let mut summary = format!("{tag}  {}  ({})", r.name, r.file);
        let mut evidence = vec![
            ("file".to_owned(), r.file.clone()),
            ("outcome".to_owned(), tag.to_ascii_lowercase()),
        ];
        if let Some(d) = &r.detail {
            summary = format!("{summary}  {}", d.lines().next().unwrap_or_default());
            evidence.push(("detail".to_owned(), d.clone()));
        }
        report.checks.push(Check {
            id: TEST_CHECK.to_owned(),
            subject: r.name.clone(),
            verdict,
            summary,
            evidence,
        });
    }
    for c in run.coverage.iter().flatten() {
        let uncovered = c
            .uncovered_lines
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let summary = format!(
            "{:>6.1}%  {}  ({} of {} lines{})",
            c.percent(),
            c.path,
            c.covered,
            c.covered + c.not_covered,
            if uncovered.is_empty() {
                String::new()
            } else {
                format!("; not covered: {uncovered}")
            }
        );
        report.checks.push(Check {
            id: COVERAGE_CHECK.to_owned(),
            subject: c.path.clone(),
            verdict: Verdict::Pass,
            summary,
            evidence: vec![
                ("covered".to_owned(), c.covered.to_string()),
                ("not_covered".to_owned(), c.not_covered.to_string()),
                ("uncovered_lines".to_owned(), uncovered),
            ],
        });
    }
    report
}

/// The human output of `policy test`: one line per test, coverage, a summary line.
fn print_test_report(report: &Report) {
    let tests = || report.checks.iter().filter(|c| c.id == TEST_CHECK);
    for c in tests() {
        out!("{}", c.summary);
    }
    let coverage: Vec<&Check> = report
        .checks
        .iter()
        .filter(|c| c.id == COVERAGE_CHECK)
        .collect();
    if !coverage.is_empty() {
        out!();
        out!("coverage:");
        for c in coverage {
            out!("  {}", c.summary);
        }
    }
    let passed = tests().filter(|c| c.verdict == Verdict::Pass).count();
    out!();
    out!(
        "policy-test: {passed} passed, {} failed",
        tests().count() - passed
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bundled() -> Vec<Entry> {
        let args = PolicyArgs {
            policy: Vec::new(),
            no_bundled: false,
            config: None,
            no_config: true,
        };
        entries(&args).unwrap()
    }

    #[test]
    fn unknown_ids_get_a_suggestion() {
        let e = bundled();
        assert_eq!(find(&e, "tf002").unwrap().rule.id, "TF002");
        let err = find(&e, "TF02").unwrap_err();
        assert!(err.contains("did you mean `TF002`"), "{err}");
        let err = find(&e, "completely-unrelated-name").unwrap_err();
        assert!(err.contains("policy list"), "{err}");
    }

    #[test]
    fn every_bundled_rule_has_a_description_and_an_example() {
        let e = bundled();
        let bundled: Vec<&Entry> = e.iter().filter(|e| e.family == Family::Bundled).collect();
        assert!(bundled.len() >= 20);
        for b in &bundled {
            assert!(
                b.rule.description.as_deref().is_some_and(|d| d.len() > 40),
                "{}: metadata has no description",
                b.rule.id
            );
            assert!(
                examples::RULE_EXAMPLES.iter().any(|x| x.rule == b.rule.id),
                "{}: no example in src/cli/policy_cmd/examples.rs",
                b.rule.id
            );
        }
        for x in examples::RULE_EXAMPLES {
            assert!(bundled.iter().any(|b| b.rule.id == x.rule), "{}", x.rule);
        }
    }

    #[test]
    fn flagged_values_of_sensitive_rules_are_masked() {
        let e = bundled();
        let sensitive: Vec<&Entry> = e.iter().filter(|e| e.sensitive).collect();
        assert!(sensitive.len() >= 5);
        for s in sensitive {
            let Some(examples::Example::Fixtures { flagged, .. }) =
                examples::example(&s.rule.id, true)
            else {
                panic!("{}: no fixture example", s.rule.id);
            };
            for n in &flagged.flagged {
                let line = flagged
                    .text
                    .lines()
                    .nth(n - flagged.first_line)
                    .unwrap_or_default();
                assert!(
                    line.contains("***"),
                    "{}: {line:?} is not masked",
                    s.rule.id
                );
            }
        }
    }

    #[test]
    fn a_test_run_is_a_report_of_checks() {
        use crate::policy::test::{FileCoverage, TestResult};
        let result = |name: &str, outcome, detail: Option<&str>| TestResult {
            name: name.into(),
            file: "p_test.rego".into(),
            outcome,
            detail: detail.map(Into::into),
        };
        let mut run = TestRun {
            results: vec![
                result("p_test.test_ok", Outcome::Pass, None),
                result(
                    "p_test.test_err",
                    Outcome::Error,
                    Some("it exceeded\nthe stack"),
                ),
            ],
            coverage: Some(vec![FileCoverage {
                path: "p.rego".into(),
                covered: 3,
                not_covered: 1,
                uncovered_lines: vec![7],
            }]),
        };
        let r = test_report(&run, ".");
        assert_eq!(r.run.command, Command::PolicyTest);
        let summaries: Vec<&str> = r.checks.iter().map(|c| c.summary.as_str()).collect();
        assert_eq!(
            summaries,
            [
                "PASS  p_test.test_ok  (p_test.rego)",
                "ERROR  p_test.test_err  (p_test.rego)  it exceeded",
                "  75.0%  p.rego  (3 of 4 lines; not covered: 7)",
            ]
        );
        assert!(r.gate_failed(), "an error fails the run");
        run.results.truncate(1);
        assert!(
            !test_report(&run, ".").gate_failed(),
            "coverage never fails it"
        );
    }

    #[test]
    fn families_are_in_a_fixed_order() {
        let e = bundled();
        let fams: Vec<Family> = e.iter().map(|e| e.family).collect();
        let mut sorted = fams.clone();
        sorted.sort();
        assert_eq!(fams, sorted);
        assert!(fams.contains(&Family::Secret) && fams.contains(&Family::Custos));
    }
}
