//! `custos scan`.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use super::{fail, load_config, PolicyArgs, EXIT_ERROR, EXIT_FINDINGS, EXIT_OK};
use crate::finding::Severity;
use crate::parse::Limits;
use crate::policy::PolicySet;
use crate::render::{self, RenderOptions};

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Files and directories to scan.
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, short, default_value = "human", value_parser = clap::builder::PossibleValuesParser::new(render::names()))]
    pub format: String,
    /// Exit 1 when a failing finding is at or above this severity.
    #[arg(long, value_parser = ["low", "medium", "high", "critical"])]
    pub fail_on: Option<String>,
    /// Skip files larger than this many bytes (default 5 MiB).
    #[arg(long, value_name = "BYTES")]
    pub max_file_size: Option<u64>,
    /// Time limit for one policy on one document, in milliseconds.
    #[arg(long, value_name = "MS")]
    pub policy_timeout_ms: Option<u64>,
    /// Scan an evenly spaced, deterministic sample of at most N lines per log file.
    #[arg(long, value_name = "N")]
    pub log_sample: Option<usize>,
    /// Write the report to FILE instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Colour: auto, always or never.
    #[arg(long, default_value = "auto", value_parser = ["auto", "always", "never"])]
    pub color: String,
    #[command(flatten)]
    pub policies: PolicyArgs,
}

pub fn run(args: &ScanArgs) -> i32 {
    let first = args
        .paths
        .first()
        .cloned()
        .unwrap_or_else(|| PathBuf::from("."));
    let mut config = match load_config(&args.policies, &first) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    if let Some(s) = &args.fail_on {
        match s.parse::<Severity>() {
            Ok(s) => config.fail_on = s,
            Err(e) => return fail(miette::miette!("{e}")),
        }
    }
    if let Some(m) = args.max_file_size {
        config.max_file_size = m;
    }
    if let Some(n) = args.log_sample {
        config.log_sample = Some(n);
    }
    if let Some(t) = args.policy_timeout_ms {
        config.policy_timeout_ms = t;
    }
    let sources = args.policies.sources(&config);
    let mut bounds = crate::policy::Bounds::new(Duration::from_millis(config.policy_timeout_ms));
    bounds.memory_limit = config.policy_memory_limit;
    let policies = match PolicySet::load_bounded(&sources, &config.data, &bounds) {
        Ok(p) => p,
        Err(e) => return fail(miette::Report::new(e)),
    };
    let mut known: Vec<&str> = policies.rules().map(|r| r.id.as_str()).collect();
    known.extend(crate::detect::secrets::RULES.iter().map(|r| r.id));
    known.extend(crate::detect::pii::ENTITIES.iter().map(|e| e.1));
    known.extend(crate::policy::BUILTIN_RULES.iter().map(|(id, _)| *id));
    if let Err(e) = config.check_rule_ids(&known) {
        return fail(miette::Report::new(*e));
    }
    config.known_rules = known.iter().map(|k| (*k).to_owned()).collect();
    // A progress bar only for a person watching: stderr is a terminal, never in what a machine
    // reads (stdout) and never in CI logs.
    let bar = (std::io::stderr().is_terminal() && std::env::var_os("CI").is_none())
        .then(ProgressBar::new);
    let progress: &dyn crate::scan::Progress = match &bar {
        Some(b) => b,
        None => &crate::scan::NoProgress,
    };
    let scanned = crate::scan::run_with_progress(
        &args.paths,
        &config,
        &policies,
        &Limits::default(),
        progress,
    );
    let report = match scanned {
        Ok(r) => r,
        Err(e) => return fail(miette::Report::new_boxed(Box::new(RootDiag(e)))),
    };
    let to_terminal = args.output.is_none() && std::io::stdout().is_terminal();
    let color = match args.color.as_str() {
        "always" => true,
        "never" => false,
        _ => to_terminal && std::env::var_os("NO_COLOR").is_none(),
    };
    let Some(renderer) = render::renderer(&args.format, RenderOptions { color }) else {
        return fail(miette::miette!("unknown format {}", args.format));
    };
    let mut buf = Vec::new();
    if let Err(e) = renderer.render(&report, &mut buf) {
        return fail(miette::miette!("could not render report: {e}"));
    }
    let written = match &args.output {
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
    if report.failing(config.fail_on) > 0 {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    }
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
