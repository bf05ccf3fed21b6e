//! `custos scan`.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Args, Subcommand};

use super::{fail, load_config, PolicyArgs, EXIT_ERROR, EXIT_FINDINGS, EXIT_OK};
use crate::finding::Severity;
use crate::parse::Limits;
use crate::policy::PolicySet;
use crate::render::{self, RenderOptions};

/// What a scan reads and how: shared by `scan` and `baseline`.
#[derive(Debug, Args)]
pub struct ScanInputs {
    /// Files and directories to scan. Files given one by one (as pre-commit passes them) are
    /// judged with their context (the rest of their Terraform module, their Python project)
    /// but only their own findings are reported.
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Skip files larger than this many bytes (default 5 MiB).
    #[arg(long, value_name = "BYTES")]
    pub max_file_size: Option<u64>,
    /// Time limit for one policy on one document, in milliseconds.
    #[arg(long, value_name = "MS")]
    pub policy_timeout_ms: Option<u64>,
    /// Scan an evenly spaced, deterministic sample of at most N lines per log file.
    #[arg(long, value_name = "N")]
    pub log_sample: Option<usize>,
    /// Read every file with this parser, as conftest's `--parser` (cue, cyclonedx,
    /// dockerfile, dotenv, edn, hcl1, hcl2, hocon, ignore, ini, json, jsonc, jsonnet, nginx,
    /// properties, spdx, textproto, toml, vcl, xml, yaml); also the format of standard input
    /// named as `-` (default yaml, as conftest).
    #[arg(long, value_name = "FORMAT")]
    pub parser: Option<String>,
    /// S3-compatible endpoint for `s3://bucket/prefix` paths (else `[s3] endpoint_url`, else
    /// AWS_ENDPOINT_URL, else AWS).
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
    #[command(flatten)]
    pub policies: PolicyArgs,
    #[command(flatten)]
    pub conftest: ConftestArgs,
    #[command(flatten)]
    pub checks: crate::policy::checks::CheckArgs,
}

/// conftest's options for the user's policies (docs/conftest-semantics.md).
#[derive(Debug, Clone, Default, Args)]
pub struct ConftestArgs {
    /// Evaluate the user's conftest-style policies (packages without metadata) of this
    /// package (repeatable; globs: `*`, `?`, `[...]`). Default: `main`, as conftest.
    #[arg(long, short = 'n', value_name = "NS")]
    pub namespace: Vec<String>,
    /// Evaluate the user's conftest-style policies of every package.
    #[arg(long, conflicts_with = "namespace")]
    pub all_namespaces: bool,
    /// Data for policies: a JSON or YAML file, or a directory of them (repeatable); merged into
    /// `data` as OPA's loader does.
    #[arg(long, short = 'd', value_name = "DIR|FILE")]
    pub data: Vec<PathBuf>,
    /// Evaluate the user's policies once over every file together: the input is an array of
    /// `{"path": …, "contents": …}` (conftest's `--combine`).
    #[arg(long)]
    pub combine: bool,
    /// Directories of `.proto` files: text-format files are read as the message their
    /// `# proto-message: pkg.Type` comment names, in protojson's shape (conftest's
    /// `--proto-file-dirs`; repeatable or comma-separated; default: conftest.toml's
    /// `proto-file-dirs`).
    #[arg(long, value_name = "DIR", value_delimiter = ',')]
    pub proto_file_dirs: Vec<PathBuf>,
}

impl ConftestArgs {
    /// The namespaces selected by the flags, else by conftest.toml, else `main`.
    pub fn namespaces(
        &self,
        file: Option<&crate::config::ConftestConfig>,
    ) -> crate::policy::Namespaces {
        use crate::policy::Namespaces;
        if self.all_namespaces
            || (self.namespace.is_empty() && file.is_some_and(|c| c.all_namespaces))
        {
            Namespaces::All
        } else if !self.namespace.is_empty() {
            Namespaces::Matching(self.namespace.clone())
        } else if let Some(c) = file.filter(|c| !c.namespace.is_empty()) {
            Namespaces::Matching(c.namespace.clone())
        } else {
            Namespaces::default()
        }
    }

    /// `config_data` with the `--data` files (and conftest.toml's `data`) merged in.
    pub fn data(
        &self,
        config_data: &serde_json::Value,
        file: Option<&crate::config::ConftestConfig>,
    ) -> Result<serde_json::Value, String> {
        let mut paths = self.data.clone();
        if let Some(c) = file {
            paths.extend(c.data.iter().cloned());
        }
        let mut data = config_data.clone();
        if paths.is_empty() {
            return Ok(data);
        }
        let files = crate::config::load_data_files(&paths)?;
        if !data.is_object() {
            data = serde_json::Value::Object(serde_json::Map::new());
        }
        crate::config::merge_data(&mut data, files).map_err(|key| {
            format!("--data: `{key}` is also defined in the configuration's [data]")
        })?;
        Ok(data)
    }
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    #[command(flatten)]
    pub inputs: ScanInputs,
    /// Output format (of standard output, or of the plain `-o FILE`).
    #[arg(long, short, default_value = "human", value_parser = clap::builder::PossibleValuesParser::new(render::names()))]
    pub format: String,
    /// Exit 1 when a failing finding is at or above this severity.
    #[arg(long, value_parser = ["low", "medium", "high", "critical"])]
    pub fail_on: Option<String>,
    /// Warnings fail the gate too (at or above --fail-on).
    #[arg(long)]
    pub fail_on_warn: bool,
    /// Human output: nothing when the gate passes, only the one-line summary when it fails.
    #[arg(long, short)]
    pub quiet: bool,
    /// Write a report to a file (repeatable): `FORMAT=FILE` (e.g. `sarif=results.sarif`), or a
    /// plain FILE for the `--format` report instead of standard output.
    #[arg(long, short, value_name = "[FORMAT=]FILE")]
    pub output: Vec<String>,
    /// Colour: auto, always or never.
    #[arg(long, default_value = "auto", value_parser = ["auto", "always", "never"])]
    pub color: String,
    /// Report only findings that are not in this baseline (docs/baseline.md).
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Scan only files changed since the git ref REF (`git diff REF...HEAD`, plus staged,
    /// unstaged and untracked files) among PATHS, each in its full context.
    #[arg(long, value_name = "REF")]
    pub changed_since: Option<String>,
    /// Report only findings on changed lines (against --changed-since REF, else against HEAD).
    #[arg(long)]
    pub changed_lines: bool,
}

/// `custos baseline`.
#[derive(Debug, Subcommand)]
pub enum BaselineCommand {
    /// Write the fingerprints of every current finding to a baseline file.
    Create(BaselineArgs),
    /// Rewrite a baseline keeping only the entries still found (prune what was fixed).
    Update(BaselineArgs),
}

#[derive(Debug, Args)]
pub struct BaselineArgs {
    #[command(flatten)]
    pub inputs: ScanInputs,
    /// The baseline file.
    #[arg(long, short, value_name = "FILE", default_value = crate::baseline::DEFAULT_FILE)]
    pub output: PathBuf,
}

/// Load configuration and policies, scan `roots`, and return the report (or the exit code of
/// a setup error, already reported).
pub(super) fn scan(
    inputs: &ScanInputs,
    roots: &[PathBuf],
    fail_on: Option<&str>,
    show_progress: bool,
    own: &[PathBuf],
) -> Result<Scanned, i32> {
    let first = inputs
        .paths
        .first()
        .cloned()
        .filter(|p| !crate::s3::trail::is_s3_path(p))
        .unwrap_or_else(|| PathBuf::from("."));
    let mut config = load_config(&inputs.policies, &first).map_err(fail)?;
    if let Some(s) = fail_on {
        config.fail_on = s
            .parse::<Severity>()
            .map_err(|e| fail(miette::miette!("{e}")))?;
    }
    if let Some(m) = inputs.max_file_size {
        config.max_file_size = m;
    }
    if let Some(n) = inputs.log_sample {
        config.log_sample = Some(n);
    }
    if let Some(t) = inputs.policy_timeout_ms {
        config.policy_timeout_ms = t;
    }
    if let Some(p) = &inputs.parser {
        config.parser = Some(
            crate::parse::syntax_for_parser_name(p)
                .map_err(|e| fail(miette::miette!("--parser: {e}")))?,
        );
    }
    let conftest = super::conftest_config(&inputs.policies).map_err(fail)?;
    super::policy_cmd::load_proto_file_dirs(&inputs.conftest.proto_file_dirs, conftest.as_ref())
        .map_err(fail)?;
    let mut sources = inputs.policies.sources(&config);
    if sources.dirs.is_empty() {
        // conftest.toml's `policy`, when neither flags nor custos.toml name policies; else
        // conftest's default directory `./policy`, when it holds Rego files.
        if let Some(c) = &conftest {
            sources.dirs.extend(c.policy.iter().cloned());
        }
        if sources.dirs.is_empty() {
            if let Some(dir) = super::default_policy_dir() {
                eprintln!("custos: policies from ./policy (conftest's default policy directory)");
                sources.dirs.push(dir);
            }
        }
    }
    // A file named on the command line that no parser reads would pass user policies
    // unseen: with user policies in use, that is an error, not a silent pass.
    if !sources.dirs.is_empty() {
        if let Some((p, why)) = crate::discover::unparsed_named_file(&inputs.paths, &config) {
            return Err(fail(miette::miette!("{p}: {why}")));
        }
    }
    // `--strict` / `--capabilities`: OPA's load-time checks of the user's policies.
    crate::policy::checks::enforce(&inputs.checks, &sources.dirs)
        .map_err(|e| fail(miette::miette!("{e}")))?;
    // Files named one by one (pre-commit): compile only the rules that apply to them.
    sources.kinds = crate::scan::kinds_of_files(&inputs.paths, &config);
    config.data = inputs
        .conftest
        .data(&config.data, conftest.as_ref())
        .map_err(|e| fail(miette::miette!("{e}")))?;
    let namespaces = inputs.conftest.namespaces(conftest.as_ref());
    let mut bounds = crate::policy::Bounds::new(Duration::from_millis(config.policy_timeout_ms));
    bounds.memory_limit = config.policy_memory_limit;
    bounds.trace = inputs.checks.trace;
    let policies = PolicySet::load_selected(&sources, &namespaces, &config.data, &bounds)
        .map_err(|e| fail(miette::Report::new(e)))?;
    // Every bundled rule id is known, loaded or not: configuration may name any of them.
    let bundled_ids = crate::policy::bundled_rule_ids();
    let mut known: Vec<&str> = policies.rules().map(|r| r.id.as_str()).collect();
    known.extend(bundled_ids.iter().map(String::as_str));
    known.sort_unstable();
    known.dedup();
    known.extend(crate::detect::secrets::RULES.iter().map(|r| r.id));
    known.extend(crate::detect::pii::ENTITIES.iter().map(|e| e.1));
    known.extend(crate::policy::BUILTIN_RULES.iter().map(|(id, _)| *id));
    config
        .check_rule_ids(&known)
        .map_err(|e| fail(miette::Report::new(*e)))?;
    config.known_rules = known.iter().map(|k| (*k).to_owned()).collect();
    // A progress bar only for a person watching: stderr is a terminal, never in what a machine
    // reads (stdout) and never in CI logs.
    let bar =
        (show_progress && std::io::stderr().is_terminal() && std::env::var_os("CI").is_none())
            .then(ProgressBar::new);
    let progress: &dyn crate::scan::Progress = match &bar {
        Some(b) => b,
        None => &crate::scan::NoProgress,
    };
    let combine = inputs.conftest.combine || conftest.as_ref().is_some_and(|c| c.combine);
    let mut objects = Vec::new();
    let mut report = if combine {
        super::combine::scan(roots, &config, &policies)
            .map_err(|e| fail(miette::Report::new_boxed(Box::new(RootDiag(e)))))?
    } else {
        crate::s3::source::scan_paths(
            roots,
            &config,
            &policies,
            &Limits::default(),
            progress,
            own,
            inputs.endpoint_url.as_deref(),
        )
        .map(|o| {
            objects = o.objects;
            o.report
        })
        .map_err(|e| fail(miette::Report::new_boxed(Box::new(RootDiag(e)))))?
    };
    let prints = super::combine::add_conftest_results(&mut report, &policies);
    super::show_prints(&prints);
    policies.release_at_exit();
    Ok((report, config, objects))
}

/// What [`scan`] produced: the report, the configuration it ran under, and the identity of
/// every S3 object it read (the audit records them as evidence).
pub(super) type Scanned = (
    crate::report::Report,
    crate::config::Config,
    Vec<crate::s3::source::ObjectEvidence>,
);

/// One report to write: a format and where (`None`: standard output).
#[derive(Debug, PartialEq, Eq)]
struct Destination {
    format: String,
    file: Option<PathBuf>,
}

/// The reports to write: the `--format` one (to the plain `-o FILE`, else standard output)
/// first, then every `--output FORMAT=FILE`. A value is `FORMAT=FILE` when the part before
/// the first `=` is a bare word (no `/`, `\` or `.`); it must then name a known format.
fn destinations(format: &str, outputs: &[String]) -> Result<Vec<Destination>, String> {
    let mut plain: Option<PathBuf> = None;
    let mut extra = Vec::new();
    for o in outputs {
        let split = o
            .split_once('=')
            .filter(|(f, _)| !f.is_empty() && !f.contains(['/', '\\', '.']));
        match split {
            Some((f, file)) => {
                if !render::names().contains(&f) {
                    return Err(format!(
                        "--output {o}: unknown format `{f}` (known: {})",
                        render::names().join(", ")
                    ));
                }
                if file.is_empty() {
                    return Err(format!("--output {o}: no file name after `=`"));
                }
                extra.push(Destination {
                    format: f.to_owned(),
                    file: Some(PathBuf::from(file)),
                });
            }
            None if plain.is_some() => {
                return Err(format!(
                    "--output {o}: only one plain FILE (for --format); name the format of the others as FORMAT=FILE"
                ));
            }
            None => plain = Some(PathBuf::from(o)),
        }
    }
    let mut all = vec![Destination {
        format: format.to_owned(),
        file: plain,
    }];
    all.extend(extra);
    for (i, d) in all.iter().enumerate() {
        if d.file.is_some() && all[..i].iter().any(|e| e.file == d.file) {
            return Err(format!(
                "--output: {} is written twice",
                d.file.as_deref().unwrap_or(Path::new("")).display()
            ));
        }
    }
    Ok(all)
}

pub fn run(args: &ScanArgs) -> i32 {
    let dests = match destinations(&args.format, &args.output) {
        Ok(d) => d,
        Err(e) => return fail(miette::miette!("{e}")),
    };
    let roots = match &args.changed_since {
        Some(reference) => match changed_files(reference, &args.inputs.paths) {
            Ok(files) => files,
            Err(e) => return fail(miette::miette!("--changed-since {reference}: {e}")),
        },
        None => args.inputs.paths.clone(),
    };
    // Standard input (`-`) is read into a file named for its format, scanned, and reported
    // as `-`.
    let stdin_file = if roots.iter().any(|r| r.as_os_str() == "-") {
        match stdin_to_file(args.inputs.parser.as_deref()) {
            Ok(f) => Some(f),
            Err(e) => return fail(miette::miette!("reading standard input: {e}")),
        }
    } else {
        None
    };
    let roots: Vec<PathBuf> = roots
        .into_iter()
        .map(|r| match &stdin_file {
            Some((_, file)) if r.as_os_str() == "-" => file.clone(),
            _ => r,
        })
        .collect();
    let (mut report, _config, _) = match scan(
        &args.inputs,
        &roots,
        args.fail_on.as_deref(),
        !args.quiet,
        args.baseline.as_slice(),
    ) {
        Ok(r) => r,
        Err(code) => return code,
    };
    if let Some((_dir, file)) = &stdin_file {
        rename_path(&mut report, &crate::discover::display_path(file), "-");
    }
    let conftest_fail_on_warn = super::conftest_config(&args.inputs.policies)
        .ok()
        .flatten()
        .is_some_and(|c| c.fail_on_warn);
    report.fail_on_warn = args.fail_on_warn || conftest_fail_on_warn;
    if let Some(file) = &args.baseline {
        let baseline = match crate::baseline::Baseline::load(file) {
            Ok(b) => b,
            Err(e) => return fail(miette::miette!("{e}")),
        };
        let scope: Vec<String> = roots
            .iter()
            .map(|r| crate::discover::display_path(r))
            .collect();
        crate::baseline::apply(&mut report, &baseline, &scope);
    }
    // Before the first commit every line is new: nothing to leave out.
    if args.changed_lines
        && (args.changed_since.is_some()
            || git(&["rev-parse", "--verify", "--quiet", "HEAD"]).is_ok())
    {
        match changed_lines(args.changed_since.as_deref()) {
            Ok(lines) => keep_changed_lines(&mut report, &lines),
            Err(e) => return fail(miette::miette!("--changed-lines: {e}")),
        }
    }
    for d in &dests {
        let to_terminal = d.file.is_none() && std::io::stdout().is_terminal();
        let color = match args.color.as_str() {
            "always" => d.file.is_none(),
            "never" => false,
            _ => to_terminal && std::env::var_os("NO_COLOR").is_none(),
        };
        let mut buf = Vec::new();
        if args.quiet && d.file.is_none() && d.format == "human" {
            if report.gate_failed() {
                buf = format!("{}\n", render::summary_line(&report)).into_bytes();
            }
        } else {
            let Some(renderer) = render::renderer(&d.format, RenderOptions { color }) else {
                return fail(miette::miette!("unknown format {}", d.format));
            };
            if let Err(e) = renderer.render(&report, &mut buf) {
                return fail(miette::miette!("could not render report: {e}"));
            }
            if d.format == "human" {
                // The human report lists findings only: conftest's exceptions and summary
                // line follow it, as conftest prints them.
                for c in report.checks.iter().filter(|c| {
                    c.id == super::combine::EXCEPTION_CHECK || c.id == super::combine::TALLY_CHECK
                }) {
                    buf.extend_from_slice(format!("{}\n", c.summary).as_bytes());
                }
            }
        }
        let written = match &d.file {
            Some(path) => std::fs::write(path, &buf).map_err(|source| WriteError::File {
                path: path.clone(),
                source,
            }),
            None => std::io::stdout()
                .lock()
                .write_all(&buf)
                .and_then(|()| std::io::stdout().lock().flush())
                .map_err(WriteError::Io),
        };
        match written {
            // A reader that closed the pipe (`custos scan | head`) has what it wanted; the exit
            // code still tells the gate's verdict.
            Err(WriteError::Io(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
            Err(e) => {
                eprintln!("custos: could not write report: {e}");
                return EXIT_ERROR;
            }
            Ok(()) => {}
        }
    }
    if report.gate_failed() {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    }
}

/// Standard input, written to a file in a new temporary directory, named for `parser`:
/// `stdin.yaml` by default (conftest reads standard input as YAML unless told).
fn stdin_to_file(parser: Option<&str>) -> std::io::Result<(tempfile::TempDir, PathBuf)> {
    use std::io::Read as _;
    let name = match parser.unwrap_or("yaml").to_ascii_lowercase().as_str() {
        "yaml" | "yml" => "stdin.yaml".to_owned(),
        "hcl2" | "hcl" | "tf" | "terraform" => "stdin.tf".to_owned(),
        "dockerfile" => "Dockerfile".to_owned(),
        other if other.chars().all(|c| c.is_ascii_alphanumeric()) => format!("stdin.{other}"),
        other => return Err(std::io::Error::other(format!("unknown --parser `{other}`"))),
    };
    let mut text = Vec::new();
    std::io::stdin().lock().read_to_end(&mut text)?;
    let dir = tempfile::tempdir()?;
    let file = dir.path().join(name);
    std::fs::write(&file, text)?;
    Ok((dir, file))
}

/// Rename one path throughout a report (standard input's file becomes `-`).
fn rename_path(report: &mut crate::report::Report, from: &str, to: &str) {
    for f in &mut report.findings {
        if f.path == from {
            to.clone_into(&mut f.path);
        }
    }
    for u in &mut report.unlisted {
        if u.path == from {
            to.clone_into(&mut u.path);
        }
    }
    for n in &mut report.notes {
        if n.path == from {
            to.clone_into(&mut n.path);
        }
    }
    for c in &mut report.checks {
        if c.subject == from {
            to.clone_into(&mut c.subject);
        }
        c.summary = c.summary.replace(from, to);
    }
    if let Some(src) = report.sources.remove(from) {
        report.sources.insert(to.to_owned(), src);
    }
}

/// `custos baseline create|update`.
pub fn run_baseline(cmd: &BaselineCommand) -> i32 {
    use crate::baseline::Baseline;
    let (args, update) = match cmd {
        BaselineCommand::Create(a) => (a, false),
        BaselineCommand::Update(a) => (a, true),
    };
    let old = if update {
        match Baseline::load(&args.output) {
            Ok(b) => Some(b),
            Err(e) => return fail(miette::miette!("{e}")),
        }
    } else {
        None
    };
    let (mut report, _config, _) = match scan(
        &args.inputs,
        &args.inputs.paths,
        None,
        true,
        std::slice::from_ref(&args.output),
    ) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let (baseline, message) =
        match old {
            None => {
                let b = Baseline::from_report(&report);
                let m = format!(
                    "{} finding{} accepted",
                    b.len(),
                    if b.len() == 1 { "" } else { "s" }
                );
                (b, m)
            }
            Some(old) => {
                let scope: Vec<String> = args
                    .inputs
                    .paths
                    .iter()
                    .map(|r| crate::discover::display_path(r))
                    .collect();
                let applied = crate::baseline::apply(&mut report, &old, &scope);
                let m =
                    format!(
                "kept {} of {} entries, pruned {} no longer found ({} new finding{} not added)",
                applied.kept.len(),
                old.len(),
                applied.resolved,
                report.total_findings(),
                if report.total_findings() == 1 { "" } else { "s" }
            );
                (applied.kept, m)
            }
        };
    if let Err(e) = std::fs::write(&args.output, baseline.to_json()) {
        eprintln!("custos: could not write {}: {e}", args.output.display());
        return EXIT_ERROR;
    }
    eprintln!("custos: baseline {}: {message}", args.output.display());
    EXIT_OK
}

/// Run git with `args` in the working directory; its standard output.
fn git(args: &[&str]) -> Result<Vec<u8>, String> {
    let out = std::process::Command::new("git")
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| format!("could not run git: {e}"))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(format!("git {}: {}", args.join(" "), err.trim()));
    }
    Ok(out.stdout)
}

fn check_ref(reference: &str) -> Result<(), String> {
    if reference.is_empty() || reference.starts_with('-') {
        return Err(format!("`{reference}` is not a git revision"));
    }
    Ok(())
}

/// Files changed since `reference` (on this branch since it left REF, staged, unstaged and
/// untracked), relative to the working directory, that still exist and lie inside `paths`.
fn changed_files(reference: &str, paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    check_ref(reference)?;
    let range = format!("{reference}...HEAD");
    let mut all = std::collections::BTreeSet::new();
    for args in [
        &[
            "diff",
            "--name-only",
            "-z",
            "--relative",
            "--diff-filter=d",
            &range,
            "--",
        ][..],
        &[
            "diff",
            "--name-only",
            "-z",
            "--relative",
            "--diff-filter=d",
            "HEAD",
            "--",
        ][..],
        &["ls-files", "-z", "--others", "--exclude-standard"][..],
    ] {
        let out = git(args)?;
        for name in out.split(|b| *b == 0).filter(|n| !n.is_empty()) {
            all.insert(PathBuf::from(String::from_utf8_lossy(name).into_owned()));
        }
    }
    let inside = |f: &Path| {
        paths.iter().any(|p| {
            let p = crate::discover::display_path(p);
            let p = p.trim_end_matches('/');
            p == "." || p.is_empty() || f == Path::new(p) || f.starts_with(p)
        })
    };
    Ok(all
        .into_iter()
        .filter(|f| f.is_file() && inside(f))
        .collect())
}

/// Changed line ranges per file (relative to the working directory): `None` for a file that
/// is new or untracked as a whole.
type ChangedLines = std::collections::BTreeMap<String, Option<Vec<(usize, usize)>>>;

/// The lines changed against `reference` (its merge base with HEAD), or against HEAD.
fn changed_lines(reference: Option<&str>) -> Result<ChangedLines, String> {
    let mut out = ChangedLines::new();
    let mut diffs = Vec::new();
    if let Some(r) = reference {
        check_ref(r)?;
        diffs.push(git(&[
            "diff",
            "-U0",
            "--no-color",
            "--no-ext-diff",
            "--relative",
            &format!("{r}...HEAD"),
            "--",
        ])?);
    }
    diffs.push(git(&[
        "diff",
        "-U0",
        "--no-color",
        "--no-ext-diff",
        "--relative",
        "HEAD",
        "--",
    ])?);
    for d in diffs {
        parse_hunks(&String::from_utf8_lossy(&d), &mut out);
    }
    for name in git(&["ls-files", "-z", "--others", "--exclude-standard"])?
        .split(|b| *b == 0)
        .filter(|n| !n.is_empty())
    {
        out.insert(String::from_utf8_lossy(name).into_owned(), None);
    }
    Ok(out)
}

/// Add the new-side line ranges of a `git diff -U0` to `out`.
fn parse_hunks(diff: &str, out: &mut ChangedLines) {
    let mut file: Option<String> = None;
    for line in diff.lines() {
        if let Some(rest) = line.strip_prefix("+++ ") {
            file = rest.strip_prefix("b/").map(str::to_owned);
            continue;
        }
        let (Some(f), Some(rest)) = (&file, line.strip_prefix("@@ ")) else {
            continue;
        };
        let Some(new) = rest.split(' ').find_map(|t| t.strip_prefix('+')) else {
            continue;
        };
        let mut parts = new.split(',');
        let start: usize = parts.next().and_then(|s| s.parse().ok()).unwrap_or(0);
        let len: usize = parts.next().and_then(|s| s.parse().ok()).unwrap_or(1);
        // A deletion touches the lines around where it was.
        let range = if len == 0 {
            (start.max(1), start + 1)
        } else {
            (start, start + len - 1)
        };
        // A file already known as wholly new keeps `None`.
        if let Some(ranges) = out.entry(f.clone()).or_insert_with(|| Some(Vec::new())) {
            ranges.push(range);
        }
    }
}

/// Drop listed findings that lie wholly on unchanged lines (a note per file says how many).
/// Findings without a position, and counted log findings, stay.
fn keep_changed_lines(report: &mut crate::report::Report, changed: &ChangedLines) {
    let mut dropped: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
    let keep: Vec<bool> = report
        .findings
        .iter()
        .map(|f| {
            let Some(loc) = report.location(f) else {
                return true;
            };
            let on_changed = match changed.get(&f.path) {
                None => false,
                Some(None) => true,
                Some(Some(ranges)) => ranges
                    .iter()
                    .any(|(a, b)| loc.line <= *b && *a <= loc.end_line),
            };
            if !on_changed {
                *dropped.entry(f.path.clone()).or_default() += 1;
            }
            on_changed
        })
        .collect();
    let mut i = 0;
    report.findings.retain(|_| {
        let k = keep.get(i).copied().unwrap_or(true);
        i += 1;
        k
    });
    for (path, n) in dropped {
        report.notes.push(crate::report::Note {
            path,
            message: format!(
                "{n} finding{} on unchanged lines not reported (--changed-lines)",
                if n == 1 { "" } else { "s" }
            ),
        });
    }
    report.notes.sort();
}

/// The terminal progress bar (indicatif), drawn on stderr by bytes scanned.
struct ProgressBar(indicatif::ProgressBar);

impl ProgressBar {
    fn new() -> Self {
        let bar = indicatif::ProgressBar::with_draw_target(
            None,
            indicatif::ProgressDrawTarget::stderr_with_hz(10),
        );
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{spinner} scanning {pos}/{len} files {wide_bar} {elapsed}",
        ) {
            bar.set_style(style);
        }
        Self(bar)
    }
}

impl crate::scan::Progress for ProgressBar {
    fn start(&self, total: u64, _bytes: u64) {
        self.0.set_length(total);
    }
    fn file_done(&self, _bytes: u64) {
        self.0.inc(1);
    }
    fn finish(&self) {
        self.0.finish_and_clear();
    }
}

#[derive(Debug, thiserror::Error)]
enum WriteError {
    #[error("{}: {source}", path.display())]
    File {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("standard output: {0}")]
    Io(std::io::Error),
}

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error(transparent)]
struct RootDiag(crate::discover::RootError);
