//! `custos audit` and `custos report merge`: run a declared scope through the scanner and the
//! verifiers, and write the evidence bundle and the reports (see [`crate::audit`]).
//!
//! Each scope item runs through exactly what the single-purpose commands run: a `scan:` item
//! through the scan command's own entry point (configuration discovery, policy loading,
//! `crate::scan`), so a path form the scanner accepts — such as an `s3://` prefix — is accepted
//! here too; a `chain:` item through `chain::open_checkpoints` / `chain::verify_with` /
//! `chain::report::chain_report`; a `cloudtrail:` item through `chain::cloudtrail::verify_dir`
//! and `trail_report`. Exit codes are those of `scan`: 0 the gate passes, 1 it fails, 2 the
//! audit could not do its job (a scope item could not be read — the outputs are still written,
//! and say which).

use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};

use clap::{Args, Parser as _, Subcommand};

use super::scan_cmd::ScanInputs;
use super::{EXIT_ERROR, EXIT_FINDINGS, EXIT_OK};
use crate::audit::bundle::{self, Bundle, CheckpointRecord, ItemOutcome, RunInfo, ScopeResult};
use crate::audit::scope::{ChainItem, Item, Scope, Shard, TrailItem};
use crate::audit::{controls, evidence, seal};
use crate::chain::merkle::to_hex;
use crate::chain::note::Verifier;
use crate::chain::{self, SignatureCheck, VerifyOptions};
use crate::document::{display_path, Kind};

/// How much of a file is read to classify it (its kind decides which rules were in effect).
const CLASSIFY_HEAD: usize = 256 * 1024;

/// The scope file read when none is named.
pub const DEFAULT_SCOPE: &str = "audit.toml";

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Paths or `s3://` prefixes to scan, added to the scope file's (or used without one).
    pub paths: Vec<String>,
    /// The scope file (default: audit.toml in the working directory, when it exists).
    #[arg(long, short, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Report only these frameworks (repeatable or comma-separated): soc2, iso27001, gdpr,
    /// nist-800-53, nist-ai-rmf, owasp-llm. Default: the scope file's, else all.
    #[arg(long, value_name = "NAME", value_delimiter = ',')]
    pub framework: Vec<String>,
    /// Audit only shard INDEX of COUNT (0-based, e.g. 2/8): the scope's items are split
    /// deterministically (docs/audit.md); merge the shards with `custos report merge`.
    #[arg(long, value_name = "INDEX/COUNT")]
    pub shard: Option<Shard>,
    /// Print the keys of the scope items (of the shard, with --shard) and exit: what a CI job
    /// must fetch before it audits its shard.
    #[arg(long)]
    pub list: bool,
    /// A previous evidence bundle: the reports show the trend against it.
    #[arg(long, value_name = "FILE")]
    pub previous: Option<PathBuf>,
    /// Append the bundle's and reports' SHA-256 as a record to this audit chain (created when
    /// missing), so the report itself is tamper-evident.
    #[arg(long, value_name = "CHAIN")]
    pub seal: Option<PathBuf>,
    /// Output directory (default: the scope file's `output`, else audit-out).
    #[arg(long, short, value_name = "DIR")]
    pub output: Option<PathBuf>,
    /// Findings at or above this severity fail the gate and their controls (default: each
    /// scanned tree's custos.toml, else low).
    #[arg(long, value_parser = ["info", "low", "medium", "high", "critical"])]
    pub fail_on: Option<String>,
}

/// `custos report`.
#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Combine evidence bundles (the shards of one audit) into one bundle and report.
    Merge(MergeArgs),
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The bundles to merge (bundle.json of each shard).
    #[arg(required = true)]
    pub bundles: Vec<PathBuf>,
    /// Output directory for the merged bundle and reports.
    #[arg(long, short, value_name = "DIR")]
    pub output: PathBuf,
    /// Report only these frameworks (default: those of the inputs).
    #[arg(long, value_name = "NAME", value_delimiter = ',')]
    pub framework: Vec<String>,
    /// A previous evidence bundle: the reports show the trend against it.
    #[arg(long, value_name = "FILE")]
    pub previous: Option<PathBuf>,
    /// Append the merged bundle's SHA-256 as a record to this audit chain.
    #[arg(long, value_name = "CHAIN")]
    pub seal: Option<PathBuf>,
}

pub fn run(args: &AuditArgs) -> i32 {
    match audit(args) {
        Ok(code) => code,
        Err(msg) => {
            eprintln!("custos: {msg}");
            EXIT_ERROR
        }
    }
}

pub fn run_report(cmd: &ReportCommand) -> i32 {
    let ReportCommand::Merge(args) = cmd;
    match merge(args) {
        Ok(code) => code,
        Err(msg) => {
            eprintln!("custos: {msg}");
            EXIT_ERROR
        }
    }
}

fn load_scope(args: &AuditArgs) -> Result<Scope, String> {
    let file = match &args.config {
        Some(f) => Some(f.clone()),
        None => Some(PathBuf::from(DEFAULT_SCOPE)).filter(|f| f.is_file()),
    };
    let mut scope = match &file {
        Some(f) => Scope::load(f)?,
        None => Scope {
            output: PathBuf::from("audit-out"),
            ..Scope::default()
        },
    };
    for p in &args.paths {
        let item = Item::Scan(p.clone());
        if scope.items.iter().any(|i| i.key() == item.key()) {
            return Err(format!("`{p}` is in the scope twice"));
        }
        scope.items.push(item);
    }
    if scope.items.is_empty() {
        return Err(format!(
            "nothing to audit: give paths, or a scope file ({DEFAULT_SCOPE} or --config FILE; see docs/audit.md)"
        ));
    }
    if let Some(o) = &args.output {
        scope.output.clone_from(o);
    }
    if let Some(s) = &args.fail_on {
        scope.fail_on = Some(s.parse()?);
    }
    if !args.framework.is_empty() {
        scope.frameworks.clone_from(&args.framework);
    }
    Ok(scope)
}

fn read_previous(file: Option<&Path>) -> Result<Option<(Bundle, String)>, String> {
    let Some(f) = file else {
        return Ok(None);
    };
    let bytes = fs::read(f).map_err(|e| format!("--previous {}: {e}", f.display()))?;
    let b = bundle::parse(&bytes).map_err(|e| format!("--previous {}: {e}", f.display()))?;
    Ok(Some((b, crate::audit::sha256_hex(&bytes))))
}

fn audit(args: &AuditArgs) -> Result<i32, String> {
    let mut scope = load_scope(args)?;
    let frameworks = controls::select(&scope.frameworks)?;
    let previous = read_previous(args.previous.as_deref())?;
    if let Some(s) = args.shard {
        scope.shard(s);
    }
    if args.list {
        for item in &scope.items {
            out!("{}", item.key());
        }
        return Ok(EXIT_OK);
    }
    let mut run = RunInfo::current("audit");
    run.name.clone_from(&scope.name);
    run.config_file = scope.file.as_deref().map(display_path);
    run.config_sha256.clone_from(&scope.file_sha256);
    run.window.clone_from(&scope.window);
    run.fail_on = scope.fail_on.map(|s| s.as_str().to_owned());
    run.shard = args.shard;
    let fail_on = scope.fail_on.map(crate::finding::Severity::as_str);
    let as_of = scope
        .window
        .as_ref()
        .and_then(|w| chain::cloudtrail::parse_time(&w.end));
    let mut outcomes = Vec::new();
    for item in &scope.items {
        eprintln!("custos: audit {}", item.key());
        let outcome = match item {
            Item::Scan(p) => scan_item(p, fail_on),
            Item::Chain(c) => chain_item(c),
            Item::Cloudtrail(t) => trail_item(t, as_of),
        };
        outcomes.push(outcome);
    }
    run.finished = crate::report::now_rfc3339();
    let errors = outcomes.iter().any(|o| o.result.status != "ok");
    let b = bundle::build(
        run,
        &frameworks,
        outcomes,
        previous.as_ref().map(|(b, s)| (b, s.as_str())),
    );
    write_outputs(&b, &scope.output, args.seal.as_deref())?;
    Ok(if errors {
        EXIT_ERROR
    } else if b.summary.gate == "fail" {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    })
}

fn merge(args: &MergeArgs) -> Result<i32, String> {
    let mut inputs = Vec::new();
    for p in &args.bundles {
        let bytes = fs::read(p).map_err(|e| format!("{}: {e}", p.display()))?;
        inputs.push((display_path(p), bytes));
    }
    let frameworks = if args.framework.is_empty() {
        None
    } else {
        Some(controls::select(&args.framework)?)
    };
    let previous = read_previous(args.previous.as_deref())?;
    let mut b = bundle::merge(&inputs, frameworks, RunInfo::current("report merge"))?;
    b.run.finished = crate::report::now_rfc3339();
    if let Some((prev, sha)) = &previous {
        b.trend = Some(bundle::trend(&b, prev, sha));
    }
    for c in &b.conflicts {
        eprintln!("custos: merge: {}: {}", c.field, c.detail);
    }
    write_outputs(&b, &args.output, args.seal.as_deref())?;
    // An incomplete scope (a shard missing or given twice) is not a verdict on the whole.
    let incomplete = b.conflicts.iter().any(|c| c.field == "shard");
    Ok(if b.summary.scope_errors > 0 || incomplete {
        EXIT_ERROR
    } else if b.summary.gate == "fail" {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    })
}

/// Write bundle.json, its .sha256, report.md and report.html into `dir`; seal when asked;
/// print where everything went and the summary line.
fn write_outputs(b: &Bundle, dir: &Path, seal_to: Option<&Path>) -> Result<(), String> {
    fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let json = bundle::to_json(b)?;
    let sha = crate::audit::sha256_hex(&json);
    let md = crate::audit::markdown::render(b);
    let html = crate::audit::html::render(b);
    let sidecar = format!("{sha}  bundle.json\n");
    let files: [(&str, &[u8]); 4] = [
        ("bundle.json", &json),
        ("bundle.json.sha256", sidecar.as_bytes()),
        ("report.md", md.as_bytes()),
        ("report.html", html.as_bytes()),
    ];
    for (name, bytes) in files {
        let p = dir.join(name);
        fs::write(&p, bytes).map_err(|e| format!("{}: {e}", p.display()))?;
    }
    out!("bundle: {}", dir.join("bundle.json").display());
    out!("sha256: {sha}");
    out!(
        "reports: {}, {}",
        dir.join("report.md").display(),
        dir.join("report.html").display()
    );
    if let Some(chain_file) = seal_to {
        let record = seal::SealRecord {
            kind: "custos-audit-report",
            bundle: display_path(&dir.join("bundle.json")),
            bundle_sha256: sha.clone(),
            reports: vec![
                ("report.md".into(), crate::audit::sha256_hex(md.as_bytes())),
                (
                    "report.html".into(),
                    crate::audit::sha256_hex(html.as_bytes()),
                ),
            ],
            started: b.run.started.clone(),
            gate: b.summary.gate.clone(),
            summary: bundle::summary_line(b),
        };
        let seq = seal::append(chain_file, &record)?;
        out!("sealed: record seq {seq} of {}", chain_file.display());
    }
    out!("{}", bundle::summary_line(b));
    Ok(())
}

/// `custos scan`'s inputs alone, to build them as the scan command parses them.
#[derive(Debug, clap::Parser)]
struct ScanOnly {
    #[command(flatten)]
    inputs: ScanInputs,
}

fn new_result(item_key: String, kind: &str, path: &str) -> ScopeResult {
    ScopeResult {
        key: item_key,
        kind: kind.into(),
        path: path.into(),
        status: "ok".into(),
        ..ScopeResult::default()
    }
}

fn failed(mut result: ScopeResult, why: String) -> ItemOutcome {
    eprintln!("custos: {}: {why}", result.key);
    result.status = "error".into();
    result.error = Some(why);
    ItemOutcome {
        result,
        ..ItemOutcome::default()
    }
}

/// Scan one path through the scan command's own entry point.
fn scan_item(path: &str, fail_on: Option<&str>) -> ItemOutcome {
    let key = Item::Scan(path.to_owned()).key();
    let mut result = new_result(key.clone(), "scan", path);
    let local = !path.contains("://");
    if local && fs::symlink_metadata(path).is_err() {
        return failed(result, format!("{path} does not exist"));
    }
    // The scan command's own inputs, parsed from its own arguments: every option keeps the
    // default `custos scan PATH` has, whatever options the scan command gains.
    let inputs = match ScanOnly::try_parse_from([
        OsStr::new("custos-audit"),
        OsStr::new("--"),
        OsStr::new(path),
    ]) {
        Ok(w) => w.inputs,
        Err(e) => return failed(result, format!("{path}: {e}")),
    };
    let (report, config, objects) =
        match super::scan_cmd::scan(&inputs, &inputs.paths, fail_on, false, &[]) {
            Ok(r) => r,
            Err(code) => {
                return failed(
                    result,
                    format!(
                        "could not be scanned (exit code {code}; the reason is on standard error)"
                    ),
                )
            }
        };
    let mut items = Vec::new();
    let mut kinds = None;
    if local {
        result.git_commit = crate::gitinfo::head_commit(Path::new(path));
        if let Ok(found) = crate::discover::discover(&inputs.paths, &config) {
            let mut present = std::collections::BTreeSet::new();
            for c in &found.files {
                let (item, head) = evidence::file_item_keeping(
                    &key,
                    "file",
                    &c.display,
                    &c.fs_path,
                    CLASSIFY_HEAD,
                );
                let rel = crate::discover::rel_to(&config.root, &c.fs_path);
                let (kind, _) =
                    crate::discover::classify(&rel, &String::from_utf8_lossy(&head), &config);
                present.insert(kind);
                // What the scan may turn a file into, as `scan::kinds_of_files` widens it.
                match kind {
                    Kind::Python => {
                        present.insert(Kind::AirflowDag);
                    }
                    Kind::HelmTemplate | Kind::Yaml => {
                        present.insert(Kind::Kubernetes);
                    }
                    _ => {}
                }
                items.push(item);
            }
            kinds = Some(present);
        }
        // Files with findings that discovery does not list (the configuration a waiver
        // finding points at): hashed too, so every finding has its evidence.
        let mut extra: Vec<&str> = report.findings.iter().map(|f| f.path.as_str()).collect();
        extra.sort_unstable();
        extra.dedup();
        for p in extra {
            if !items.iter().any(|i| i.path == p) && Path::new(p).is_file() {
                items.push(evidence::file_item(&key, "file", p, Path::new(p)));
            }
        }
    } else {
        // Not a local tree (an `s3://` prefix): the kinds of what was read are not known
        // here, so only rules that apply to every kind, and the kinds findings were made in,
        // count as in effect — a control is never passed on evidence nobody looked at.
        kinds = Some(report.findings.iter().filter_map(|f| f.kind).collect());
        // Each object read is evidence: its key, version, ETag and the SHA-256 of the bytes
        // the scan read, so a finding in it traces to exactly that version.
        for o in objects {
            let (bucket, object_key) = o
                .url
                .strip_prefix("s3://")
                .and_then(|rest| rest.split_once('/'))
                .map(|(b, k)| (b.to_owned(), k.to_owned()))
                .unwrap_or_default();
            items.push(evidence::Item {
                scope: key.clone(),
                role: "s3-object".to_owned(),
                path: o.url,
                sha256: Some(o.sha256),
                size: Some(o.size),
                s3: Some(evidence::S3Object {
                    bucket,
                    key: object_key,
                    version_id: o.version_id,
                    etag: o.etag,
                    checksum: None,
                    retention: None,
                }),
                error: None,
            });
        }
    }
    ItemOutcome {
        result,
        report: Some(report),
        evidence: items,
        checkpoints: Vec::new(),
        kinds,
    }
}

/// A key given inline (`name+id+key`) or as a file holding it.
fn key_text(arg: &str) -> Result<String, String> {
    let p = Path::new(arg);
    if p.is_file() {
        fs::read_to_string(p)
            .map(|s| s.trim().to_owned())
            .map_err(|e| format!("{arg}: {e}"))
    } else {
        Ok(arg.trim().to_owned())
    }
}

fn signature_name(s: SignatureCheck) -> &'static str {
    match s {
        SignatureCheck::Verified => "verified",
        SignatureCheck::Bad => "bad",
        SignatureCheck::NotTrusted => "not-trusted",
    }
}

/// Verify one chain as `custos chain verify CHAIN --checkpoint … --key …` does.
fn chain_item(c: &ChainItem) -> ItemOutcome {
    let key = Item::Chain(c.clone()).key();
    let result = new_result(key.clone(), "chain", &c.path);
    let mut keys = Vec::new();
    let mut items = Vec::new();
    for k in &c.keys {
        let text = match key_text(k) {
            Ok(t) => t,
            Err(e) => return failed(result, e),
        };
        if text.starts_with("PRIVATE+KEY+") {
            return failed(
                result,
                "a chain key must be a verifier key; never give an audit a signer key".into(),
            );
        }
        match Verifier::parse(&text) {
            Ok(v) => keys.push(v),
            Err(e) => return failed(result, format!("key {}: {e}", short_key(k))),
        }
        if Path::new(k).is_file() {
            items.push(evidence::file_item(
                &key,
                "key",
                &display_path(Path::new(k)),
                Path::new(k),
            ));
        }
    }
    if !c.checkpoints.is_empty() && keys.is_empty() {
        return failed(
            result,
            "checkpoints need at least one trusted key to verify their signatures".into(),
        );
    }
    let in_s3 = crate::s3::trail::is_s3_path(Path::new(&c.path));
    // A FIFO or device would block or never end: only regular files are read.
    let local_chain = (!in_s3).then_some(&c.path);
    for p in local_chain.into_iter().chain(&c.checkpoints) {
        if !crate::discover::is_regular_file(Path::new(p)) {
            return failed(result, format!("{p} is not a regular file"));
        }
    }
    let mut notes = Vec::new();
    for p in &c.checkpoints {
        match fs::read_to_string(p) {
            Ok(t) => notes.push((display_path(Path::new(p)), t)),
            Err(e) => return failed(result, format!("{p}: {e}")),
        }
        items.push(evidence::file_item(
            &key,
            "checkpoint",
            &display_path(Path::new(p)),
            Path::new(p),
        ));
    }
    let (offered, sig_problems) = match chain::open_checkpoints(&notes, &keys) {
        Ok(x) => x,
        Err(e) => return failed(result, e),
    };
    let (mut vr, display) = if in_s3 {
        // A chain stored in S3 is streamed through the verifier, hashed on the way, and
        // recorded as the object it was read from.
        let read = crate::s3::trail::with_object(
            &c.path,
            &crate::s3::trail::config_from_cwd(),
            None,
            |r| {
                let mut hashed = HashingRead {
                    inner: r,
                    hasher: sha2::Sha256::default(),
                    size: 0,
                };
                let vr = chain::verify_with(
                    std::io::BufReader::new(&mut hashed),
                    &offered,
                    VerifyOptions::default(),
                );
                (vr, hashed.hasher, hashed.size)
            },
        );
        let (vr, hasher, size) = match read {
            Ok(x) => x,
            Err(e) => return failed(result, e),
        };
        let (bucket, object_key) = c
            .path
            .strip_prefix("s3://")
            .and_then(|rest| rest.split_once('/'))
            .map(|(b, k)| (b.to_owned(), k.to_owned()))
            .unwrap_or_default();
        items.push(evidence::Item {
            scope: key.clone(),
            role: "chain".to_owned(),
            path: c.path.clone(),
            sha256: Some(to_hex(&sha2::Digest::finalize(hasher))),
            size: Some(size),
            s3: Some(evidence::S3Object {
                bucket,
                key: object_key,
                version_id: None,
                etag: None,
                checksum: None,
                retention: None,
            }),
            error: None,
        });
        (vr, c.path.clone())
    } else {
        let file = match fs::File::open(&c.path) {
            Ok(f) => std::io::BufReader::new(f),
            Err(e) => return failed(result, format!("{}: {e}", c.path)),
        };
        let vr = chain::verify_with(file, &offered, VerifyOptions::default());
        let display = display_path(Path::new(&c.path));
        items.push(evidence::file_item(
            &key,
            "chain",
            &display,
            Path::new(&c.path),
        ));
        (vr, display)
    };
    vr.problems.splice(0..0, sig_problems);
    if let Some(e) = &vr.io_error {
        return failed(result, format!("{}: {e}", c.path));
    }
    let hashes: Vec<(String, Option<String>)> = items
        .iter()
        .map(|i| (i.path.clone(), i.sha256.clone()))
        .collect();
    let checkpoints = offered
        .iter()
        .map(|o| CheckpointRecord {
            source: o.source.clone(),
            origin: o.checkpoint.origin.clone(),
            size: o.checkpoint.size,
            root: to_hex(&o.checkpoint.root),
            signature: signature_name(o.signature).into(),
            matches: vr
                .checkpoints
                .iter()
                .find(|r| r.source == o.source)
                .and_then(|r| r.matches),
            sha256: hashes
                .iter()
                .find(|(p, _)| *p == o.source)
                .and_then(|(_, h)| h.clone()),
        })
        .collect();
    let report = chain::report::chain_report(&display, &vr, c.allow_empty);
    ItemOutcome {
        result,
        report: Some(report),
        evidence: items,
        checkpoints,
        kinds: None,
    }
}

/// A key argument as it may be shown: a file name, or an inline key's name only.
fn short_key(k: &str) -> String {
    if Path::new(k).is_file() {
        k.to_owned()
    } else {
        k.split('+').next().unwrap_or("(inline)").to_owned()
    }
}

/// Verify one CloudTrail digest location as `custos chain verify --cloudtrail` does, judged at
/// the end of the audit window (else now).
fn trail_item(t: &TrailItem, as_of: Option<i64>) -> ItemOutcome {
    let key = Item::Cloudtrail(t.clone()).key();
    let result = new_result(key.clone(), "cloudtrail", &t.path);
    let dir = Path::new(&t.path);
    let in_s3 = crate::s3::trail::is_s3_path(dir);
    if !in_s3 && !dir.is_dir() {
        return failed(result, format!("{} is not a directory", t.path));
    }
    if t.public_keys.is_empty() {
        return failed(result, "public_keys is required".into());
    }
    let mut keys = Vec::new();
    let mut items = Vec::new();
    for p in &t.public_keys {
        match chain::cloudtrail::PublicKey::load(Path::new(p)) {
            Ok(k) => keys.extend(k),
            Err(e) => return failed(result, e),
        }
        items.push(evidence::file_item(
            &key,
            "key",
            &display_path(Path::new(p)),
            Path::new(p),
        ));
    }
    let as_of = as_of.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
    });
    if in_s3 {
        // Digests and log files are read from the bucket, signatures from object metadata,
        // as `custos chain verify --cloudtrail s3://…` reads them.
        let tr = match crate::s3::trail::verify_cloudtrail(
            &t.path,
            &keys,
            as_of,
            &crate::s3::trail::config_from_cwd(),
            None,
        ) {
            Ok(tr) => tr,
            Err(e) => return failed(result, e),
        };
        let report = chain::report::trail_report(&t.path, &tr);
        return ItemOutcome {
            result,
            report: Some(report),
            evidence: items,
            checkpoints: Vec::new(),
            kinds: None,
        };
    }
    let tr = chain::cloudtrail::verify_dir(dir, &keys, as_of);
    let display = display_path(dir);
    for e in walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
    {
        items.push(evidence::file_item(
            &key,
            "cloudtrail-file",
            &display_path(e.path()),
            e.path(),
        ));
    }
    let report = chain::report::trail_report(&display, &tr);
    ItemOutcome {
        result,
        report: Some(report),
        evidence: items,
        checkpoints: Vec::new(),
        kinds: None,
    }
}

/// A reader that hashes and counts what passes through it (a chain read from S3 is hashed
/// as it is verified, in one pass).
struct HashingRead<'a> {
    inner: &'a mut dyn std::io::BufRead,
    hasher: sha2::Sha256,
    size: u64,
}

impl std::io::Read for HashingRead<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        sha2::Digest::update(&mut self.hasher, buf.get(..n).unwrap_or_default());
        self.size += n as u64;
        Ok(n)
    }
}
