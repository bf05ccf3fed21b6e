//! Command-line interface: clap commands mapped onto the library, and outcomes mapped onto
//! exit codes (0 clean, 1 findings at or above `--fail-on`, 2 the tool could not do its job).
//! This is the output layer: it is the one place that writes to stdout and stderr.

#![allow(clippy::print_stdout, clippy::print_stderr)]

/// `println!` for command output, except that a closed stdout (`custos … | head -1`) ends the
/// command normally instead of panicking: the reader has everything it asked for.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let mut stdout = std::io::stdout().lock();
        if let Err(e) = writeln!(stdout, $($arg)*) {
            $crate::cli::stdout_failed(&e);
        }
    }};
}

/// What to do when writing to stdout failed: a closed pipe is a normal end (exit 0); anything
/// else is reported and the tool could not do its job (exit 2).
pub(crate) fn stdout_failed(e: &std::io::Error) -> ! {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        std::process::exit(EXIT_OK);
    }
    eprintln!("custos: could not write to standard output: {e}");
    std::process::exit(EXIT_ERROR);
}

mod audit_cmd;
mod chain_cmd;
mod cloudtrail_cmd;
mod combine;
mod policy_cmd;
mod redact_cmd;
mod scan_cmd;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// What `--version` prints: the version, the commit it was built from and the SHA-256 of the
/// bundled policy set, so a report can be tied to the exact rules that produced it.
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("CUSTOS_GIT_COMMIT"),
    ", bundled policies sha256:",
    env!("CUSTOS_POLICY_SHA256"),
    ")"
);

pub const EXIT_OK: i32 = 0;
pub const EXIT_FINDINGS: i32 = 1;
pub const EXIT_ERROR: i32 = 2;

#[derive(Debug, Parser)]
#[command(
    name = "custos",
    version = VERSION,
    about = "Policy-as-code compliance checks for data and ML pipelines"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Scan files and directories against the bundled and your own Rego policies.
    Scan(scan_cmd::ScanArgs),
    /// Accept today's findings so that scans gate only on new ones (docs/baseline.md).
    #[command(subcommand)]
    Baseline(scan_cmd::BaselineCommand),
    /// Inspect and test policies.
    #[command(subcommand)]
    Policy(policy_cmd::PolicyCommand),
    /// Redact secrets and personal data from a log stream (stdin → stdout).
    Redact(redact_cmd::RedactArgs),
    /// Seal, checkpoint, prove and verify tamper-evident audit logs.
    #[command(subcommand)]
    Chain(chain_cmd::ChainCommand),
    /// Run a compliance audit over a declared scope and write the evidence bundle and reports.
    Audit(audit_cmd::AuditArgs),
    /// Work with audit evidence bundles (merge the shards of one audit).
    #[command(subcommand)]
    Report(audit_cmd::ReportCommand),
    /// Internal: evaluate untrusted policies for a parent scan (see src/policy/sandbox.rs).
    #[command(name = "policy-worker", hide = true)]
    PolicyWorker,
}

/// Options that locate configuration and policies, shared by several commands.
#[derive(Debug, Clone, Args)]
pub struct PolicyArgs {
    /// Extra policy directory or .rego file (repeatable); added to `[policies] dirs`.
    #[arg(long = "policy", short = 'p', value_name = "DIR")]
    pub policy: Vec<PathBuf>,
    /// Do not load the bundled policies.
    #[arg(long)]
    pub no_bundled: bool,
    /// Configuration file (default: custos.toml in the scanned directory or an ancestor). A
    /// file named conftest.toml is read as conftest's configuration (`policy`, `namespace`,
    /// `data` …); without this flag, conftest.toml in the working directory is read too.
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Ignore any custos.toml (and conftest.toml).
    #[arg(long, conflicts_with = "config")]
    pub no_config: bool,
}

impl PolicyArgs {
    /// Policies to load for a scan or listing: bundled (unless disabled), config dirs, flag dirs.
    pub fn sources(&self, config: &crate::config::Config) -> crate::policy::PolicySources {
        let mut dirs = config.policy_dirs.clone();
        dirs.extend(self.policy.iter().cloned());
        crate::policy::PolicySources {
            include_bundled: !self.no_bundled,
            dirs,
            include_tests: false,
            kinds: None,
        }
    }
}

/// Parse arguments, run, and return the process exit code.
pub fn run() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_ERROR } else { EXIT_OK };
            let _ = e.print();
            return code;
        }
    };
    match cli.command {
        Command::Scan(args) => scan_cmd::run(&args),
        Command::Baseline(cmd) => scan_cmd::run_baseline(&cmd),
        Command::Policy(cmd) => policy_cmd::run(&cmd),
        Command::Chain(cmd) => chain_cmd::run(&cmd),
        Command::Redact(args) => redact_cmd::run(&args),
        Command::Audit(args) => audit_cmd::run(&args),
        Command::Report(cmd) => audit_cmd::run_report(&cmd),
        Command::PolicyWorker => crate::policy::sandbox::serve(std::io::stdin(), std::io::stdout()),
    }
}

/// Print a setup error with miette's formatting and return exit code 2.
#[allow(clippy::needless_pass_by_value)] // callers hand over the report they built
pub(crate) fn fail(err: miette::Report) -> i32 {
    eprintln!("{err:?}");
    EXIT_ERROR
}

/// Load the config named by the flags, or discovered from `start`.
pub(crate) fn load_config(
    args: &PolicyArgs,
    start: &std::path::Path,
) -> Result<crate::config::Config, miette::Report> {
    let root_dir = if start.is_dir() {
        start.to_path_buf()
    } else {
        // A bare file name has an empty parent: that is the current directory.
        start
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), std::path::Path::to_path_buf)
    };
    if args.no_config {
        return Ok(crate::config::Config::defaults(PathBuf::from(".")));
    }
    // A conftest.toml named with --config is conftest's (see `conftest_config`); custos's own
    // configuration is then discovered as without the flag.
    let named = args.config.clone().filter(|f| !is_conftest_toml(f));
    let file = named.or_else(|| crate::config::Config::discover(&root_dir));
    match file {
        Some(f) => crate::config::Config::load(&f).map_err(|e| miette::Report::new(*e)),
        None => Ok(crate::config::Config::defaults(PathBuf::from("."))),
    }
}

/// Show what policies printed (`print()`), on stderr, each line after `PRNT` with the
/// location of the print call, as conftest shows them. Secrets and personal data in a printed
/// value are masked: a policy printing its input must not put a credential in a CI log.
pub(crate) fn show_prints(prints: &[String]) {
    if prints.is_empty() {
        return;
    }
    let redactor = crate::redact::Redactor {
        mode: crate::redact::Mode::Mask,
        entities: crate::detect::pii::Entity::defaults(),
        secrets: true,
    };
    for p in prints {
        eprintln!("PRNT  {}", redactor.text(p).0);
    }
}

/// conftest's default policy directory, `./policy`, when it holds Rego files: a repository
/// set up for conftest runs without naming it.
pub(crate) fn default_policy_dir() -> Option<PathBuf> {
    let dir = PathBuf::from("policy");
    let has_rego = walkdir::WalkDir::new(&dir)
        .max_depth(8)
        .into_iter()
        .filter_map(Result::ok)
        .any(|e| e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "rego"));
    has_rego.then_some(dir)
}

fn is_conftest_toml(path: &std::path::Path) -> bool {
    path.file_name()
        .is_some_and(|n| n == crate::config::CONFTEST_FILE_NAME)
}

/// conftest's configuration: the file named with `--config conftest.toml`, else
/// `conftest.toml` in the working directory (where conftest reads it); none with `--no-config`.
pub(crate) fn conftest_config(
    args: &PolicyArgs,
) -> Result<Option<crate::config::ConftestConfig>, miette::Report> {
    if args.no_config {
        return Ok(None);
    }
    let file = match &args.config {
        Some(f) if is_conftest_toml(f) => Some(f.clone()),
        Some(_) => None,
        None => crate::config::ConftestConfig::discover(),
    };
    file.map(|f| crate::config::ConftestConfig::load(&f).map_err(|e| miette::miette!("{e}")))
        .transpose()
}

/// Render a verification report in one of the registry's formats, to standard output.
pub(crate) fn render_model(format: &str, model: &crate::report::Report) -> Result<(), String> {
    let renderer = crate::render::renderer(format, crate::render::RenderOptions::default())
        .ok_or_else(|| format!("unknown format {format}"))?;
    let mut buf = Vec::new();
    renderer
        .render(model, &mut buf)
        .map_err(|e| format!("could not render report: {e}"))?;
    out!("{}", String::from_utf8_lossy(&buf).trim_end_matches('\n'));
    Ok(())
}
