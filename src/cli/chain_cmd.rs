//! `custos chain`: seal, keygen, checkpoint, verify, prove, verify-proof.

use std::fs;
use std::io::{BufRead, BufReader, BufWriter, Read, Seek as _, Write};
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};

use super::{EXIT_ERROR, EXIT_FINDINGS, EXIT_OK};
use crate::chain::merkle::{self, to_hex};
use crate::chain::note::{Checkpoint, Signer, Verifier};
use crate::chain::proof::{self, ProofFailure, ProofFile, PROOF_VERSION};
use crate::chain::{self, counted, Outcome, Sealer, SignatureCheck, VerifyOptions, VerifyReport};

#[derive(Debug, Subcommand)]
pub enum ChainCommand {
    /// Turn plain JSONL into a chain (or append to one).
    Seal(SealArgs),
    /// Generate an Ed25519 signer key and its verifier key (Go note formats).
    Keygen(KeygenArgs),
    /// Write a signed checkpoint for the chain's current size.
    Checkpoint(CheckpointArgs),
    /// Verify a chain (exit 0 intact, 1 tampered, 2 cannot verify: unusable input, a checkpoint
    /// no trusted key signed, or an empty chain).
    ///
    /// One record (one line) is at most 16 MiB; a longer line is reported as `malformed` and
    /// verification goes on with the next line.
    Verify(VerifyArgs),
    /// Emit an inclusion proof for one record, or a consistency proof between two checkpoints.
    Prove(ProveArgs),
    /// Check a proof file against verifier keys.
    VerifyProof(VerifyProofArgs),
}

#[derive(Debug, Args)]
pub struct SealArgs {
    /// Plain JSONL input (default: standard input).
    pub input: Option<PathBuf>,
    /// Write the new chain here (default: standard output).
    #[arg(short, long, conflicts_with = "append_to")]
    pub output: Option<PathBuf>,
    /// Append to this existing chain, continuing its seq and hashes (it is verified first).
    #[arg(long, value_name = "CHAIN")]
    pub append_to: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// Key name (e.g. example.com/audit-log); no spaces or '+'.
    pub name: String,
    /// Directory for NAME.key (signer, mode 0600) and NAME.pub (verifier).
    #[arg(long, default_value = ".")]
    pub out_dir: PathBuf,
}

#[derive(Debug, Args)]
pub struct CheckpointArgs {
    pub chain: PathBuf,
    /// Signer key (a file, or the PRIVATE+KEY+… string).
    #[arg(long)]
    pub key: String,
    /// Log origin line, e.g. example.com/audit-log.
    #[arg(long)]
    pub origin: String,
    #[arg(short, long)]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The chain file, or an `s3://bucket/key` object (omit with --cloudtrail).
    #[arg(required_unless_present = "cloudtrail")]
    pub chain: Option<PathBuf>,
    /// A signed checkpoint to verify against (repeatable).
    #[arg(long)]
    pub checkpoint: Vec<PathBuf>,
    /// A verifier key: file or `name+id+key` string (repeatable).
    #[arg(long)]
    pub key: Vec<String>,
    /// Verify an AWS CloudTrail digest chain in this directory, or in the bucket under
    /// `s3://bucket/AWSLogs/…` (signatures from object metadata), instead.
    #[arg(long, value_name = "DIR|S3URL", conflicts_with_all = ["chain", "checkpoint"])]
    pub cloudtrail: Option<PathBuf>,
    /// CloudTrail public keys (the JSON of `aws cloudtrail list-public-keys`, or PEM/DER files).
    #[arg(long, value_name = "FILE")]
    pub public_keys: Vec<PathBuf>,
    /// CloudTrail: the time the tail is judged at (default: now), e.g. 2026-01-01T00:00:00Z.
    #[arg(long)]
    pub as_of: Option<String>,
    /// Reject an empty line after the last record (by default a single one is ignored).
    #[arg(long, conflicts_with = "cloudtrail")]
    pub strict: bool,
    /// An empty chain (no records) passes with exit 0 instead of exit 2.
    #[arg(long, conflicts_with = "cloudtrail")]
    pub allow_empty: bool,
    /// Output format: `human` and `json` are verification-specific; every other scan format
    /// (sarif, junit, markdown …) renders the verdict as a check with findings.
    #[arg(long, short, default_value = "human", value_parser = clap::builder::PossibleValuesParser::new(crate::render::names()))]
    pub format: String,
    /// S3-compatible endpoint for `s3://` arguments (else `[s3] endpoint_url`, else
    /// AWS_ENDPOINT_URL, else AWS).
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
}

#[derive(Debug, Args)]
pub struct ProveArgs {
    pub chain: PathBuf,
    /// Record to prove (its seq).
    #[arg(long, requires = "checkpoint", conflicts_with = "consistency")]
    pub seq: Option<u64>,
    /// Checkpoint the inclusion proof is against.
    #[arg(long)]
    pub checkpoint: Option<PathBuf>,
    /// Prove that checkpoint NEW extends checkpoint OLD.
    #[arg(long, num_args = 2, value_names = ["OLD", "NEW"])]
    pub consistency: Vec<PathBuf>,
    #[arg(short, long)]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct VerifyProofArgs {
    pub proof: PathBuf,
    /// Verifier key(s) for the checkpoints inside the proof.
    #[arg(long, required = true)]
    pub key: Vec<String>,
}

pub fn run(cmd: &ChainCommand) -> i32 {
    let result = match cmd {
        ChainCommand::Seal(a) => seal(a),
        ChainCommand::Keygen(a) => keygen(a),
        ChainCommand::Checkpoint(a) => checkpoint(a),
        ChainCommand::Verify(a) => {
            if a.cloudtrail.is_some() {
                super::cloudtrail_cmd::run(&super::cloudtrail_cmd::TrailArgs {
                    cloudtrail: a.cloudtrail.as_ref(),
                    public_keys: &a.public_keys,
                    as_of: a.as_of.as_deref(),
                    format: &a.format,
                    endpoint_url: a.endpoint_url.as_deref(),
                })
            } else {
                verify(a)
            }
        }
        ChainCommand::Prove(a) => prove(a),
        ChainCommand::VerifyProof(a) => verify_proof(a),
    };
    match result {
        Ok(code) => code,
        Err(msg) => {
            eprintln!("custos: {msg}");
            EXIT_ERROR
        }
    }
}

/// A key given inline or as a file holding it.
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

fn verifiers(args: &[String]) -> Result<Vec<Verifier>, String> {
    args.iter()
        .map(|a| {
            let t = key_text(a)?;
            if t.starts_with("PRIVATE+KEY+") {
                return Err(
                    "--key takes a verifier key here; never hand a signer key to a verifier".into(),
                );
            }
            Verifier::parse(&t).map_err(|e| {
                format!(
                    "--key {}: {e}",
                    if Path::new(a).is_file() {
                        a
                    } else {
                        "(inline)"
                    }
                )
            })
        })
        .collect()
}

fn open_input(path: Option<&Path>) -> Result<Box<dyn BufRead>, String> {
    match path {
        None => Ok(Box::new(BufReader::new(std::io::stdin()))),
        Some(p) if p.as_os_str() == "-" => Ok(Box::new(BufReader::new(std::io::stdin()))),
        Some(p) => crate::discover::open_regular(p)
            .map(|f| Box::new(BufReader::with_capacity(CHAIN_BUFFER, f)) as Box<dyn BufRead>)
            .map_err(|e| format!("{}: {e}", p.display())),
    }
}

/// Read buffer for chains: large reads halve the system-call and copy cost of a long chain.
const CHAIN_BUFFER: usize = 256 * 1024;

fn open_chain(p: &Path) -> Result<BufReader<fs::File>, String> {
    crate::discover::open_regular(p)
        .map(|f| BufReader::with_capacity(CHAIN_BUFFER, f))
        .map_err(|e| format!("{}: {e}", p.display()))
}

/// Write `bytes` to `path` atomically (temp file in the same directory, then rename).
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp =
        tempfile::NamedTempFile::new_in(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    tmp.write_all(bytes).map_err(|e| e.to_string())?;
    tmp.persist(path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(())
}

fn seal(a: &SealArgs) -> Result<i32, String> {
    let input = open_input(a.input.as_deref())?;
    if let Some(chain_path) = &a.append_to {
        let mut existing = crate::discover::read_regular(chain_path)
            .map_err(|e| format!("{}: {e}", chain_path.display()))?;
        if !existing.is_empty() && existing.last() != Some(&b'\n') {
            return Err(format!(
                "{} does not end with a newline; its last record may be truncated",
                chain_path.display()
            ));
        }
        let mut sealer = Sealer::resume(existing.as_slice())
            .map_err(|e| format!("{}: {e}", chain_path.display()))?;
        // Seal into memory-bounded temp storage first, so a bad input line leaves the chain untouched.
        let mut staged = tempfile::tempfile().map_err(|e| e.to_string())?;
        let n = {
            let mut w = BufWriter::with_capacity(CHAIN_BUFFER, &mut staged);
            let n = sealer
                .seal_stream(input, &mut w)
                .map_err(|e| e.to_string())?;
            w.flush().map_err(|e| e.to_string())?;
            n
        };
        staged.rewind().map_err(|e| e.to_string())?;
        let mut out = fs::OpenOptions::new()
            .append(true)
            .open(chain_path)
            .map_err(|e| format!("{}: {e}", chain_path.display()))?;
        std::io::copy(&mut staged, &mut out).map_err(|e| e.to_string())?;
        out.sync_all().map_err(|e| e.to_string())?;
        existing.clear();
        eprintln!(
            "custos: appended {} to {} (now {})",
            counted(n, "record"),
            chain_path.display(),
            counted(sealer.next_seq(), "record")
        );
        return Ok(EXIT_OK);
    }
    let mut sealer = Sealer::default();
    if let Some(path) = &a.output {
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let tmp =
            tempfile::NamedTempFile::new_in(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let mut w = BufWriter::with_capacity(CHAIN_BUFFER, tmp);
        let n = sealer
            .seal_stream(input, &mut w)
            .map_err(|e| e.to_string())?;
        let tmp = w.into_inner().map_err(|e| e.to_string())?;
        tmp.persist(path)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        eprintln!(
            "custos: sealed {} into {}",
            counted(n, "record"),
            path.display()
        );
    } else {
        let stdout = std::io::stdout();
        let mut w = BufWriter::with_capacity(CHAIN_BUFFER, stdout.lock());
        sealer
            .seal_stream(input, &mut w)
            .map_err(|e| e.to_string())?;
        w.flush().map_err(|e| e.to_string())?;
    }
    Ok(EXIT_OK)
}

fn keygen(a: &KeygenArgs) -> Result<i32, String> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| format!("no randomness: {e}"))?;
    let signer = Signer::generate(&a.name, seed).map_err(|e| e.to_string())?;
    let base: String = a
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let skey = a.out_dir.join(format!("{base}.key"));
    let vkey = a.out_dir.join(format!("{base}.pub"));
    for p in [&skey, &vkey] {
        if p.exists() {
            return Err(format!(
                "{} exists; refusing to overwrite a key",
                p.display()
            ));
        }
    }
    let mut opts = fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(&skey)
        .map_err(|e| format!("{}: {e}", skey.display()))?;
    writeln!(f, "{}", signer.encode()).map_err(|e| e.to_string())?;
    fs::write(&vkey, format!("{}\n", signer.verifier().encode()))
        .map_err(|e| format!("{}: {e}", vkey.display()))?;
    out!("{}", signer.verifier().encode());
    eprintln!(
        "custos: signer key in {} (keep it secret), verifier key in {}",
        skey.display(),
        vkey.display()
    );
    Ok(EXIT_OK)
}

fn checkpoint(a: &CheckpointArgs) -> Result<i32, String> {
    let signer = Signer::parse(&key_text(&a.key)?).map_err(|e| format!("--key: {e}"))?;
    if a.origin.is_empty() || a.origin.contains('\n') {
        return Err("--origin must be one non-empty line".into());
    }
    let report = chain::verify(open_chain(&a.chain)?, &[]);
    if let Some(e) = &report.io_error {
        return Err(format!("{}: {e}", a.chain.display()));
    }
    if !report.intact() {
        return Err(format!(
            "{} does not verify ({}, first: {}); refusing to sign a checkpoint for it",
            a.chain.display(),
            counted(report.problem_count(), "problem"),
            report
                .problems
                .first()
                .map_or_else(String::new, |p| format!(
                    "line {}: {} — {}",
                    p.line,
                    p.kind.as_str(),
                    p.detail
                ))
        ));
    }
    let cp = Checkpoint {
        origin: a.origin.clone(),
        size: report.records,
        root: report.root,
    };
    let note = signer.sign(&cp.text()).map_err(|e| e.to_string())?;
    if let Some(p) = &a.output {
        write_atomic(p, note.as_bytes())?;
    } else {
        use std::io::Write as _;
        if let Err(e) = std::io::stdout().lock().write_all(note.as_bytes()) {
            super::stdout_failed(&e);
        }
    }
    Ok(EXIT_OK)
}

fn read_notes(paths: &[PathBuf]) -> Result<Vec<(String, String)>, String> {
    paths
        .iter()
        .map(|p| {
            crate::discover::read_regular_string(p)
                .map(|t| (p.display().to_string(), t))
                .map_err(|e| format!("{}: {e}", p.display()))
        })
        .collect()
}

fn verify(a: &VerifyArgs) -> Result<i32, String> {
    let chain_path = a.chain.as_ref().ok_or("a chain file is required")?;
    let keys = verifiers(&a.key)?;
    if !a.checkpoint.is_empty() && keys.is_empty() {
        return Err("--checkpoint needs at least one --key to verify its signature".into());
    }
    let (offered, sig_problems) = chain::open_checkpoints(&read_notes(&a.checkpoint)?, &keys)?;
    let opts = VerifyOptions {
        strict: a.strict,
        ..VerifyOptions::default()
    };
    let mut report = if crate::s3::trail::is_s3_path(chain_path) {
        crate::s3::trail::with_object(
            &crate::s3::trail::shown(chain_path),
            &crate::s3::trail::config_from_cwd(),
            a.endpoint_url.as_deref(),
            |r| chain::verify_with(r, &offered, opts),
        )?
    } else {
        chain::verify_with(open_chain(chain_path)?, &offered, opts)
    };
    report.problems.splice(0..0, sig_problems);
    if let Some(e) = &report.io_error {
        return Err(format!("{}: {e}", chain_path.display()));
    }
    let outcome = report.outcome();
    if !matches!(a.format.as_str(), "human" | "json") {
        let model = chain::report::chain_report(
            &crate::discover::display_path(chain_path),
            &report,
            a.allow_empty,
        );
        super::render_model(&a.format, &model)?;
    } else if a.format == "json" {
        let v = serde_json::json!({
            "version": 1,
            "chain": chain_path.display().to_string(),
            "verdict": outcome,
            "summary": report.summary(),
            "intact": outcome == Outcome::Intact,
            "records": report.records,
            "trusted_size": report.trusted_size,
            "checkpoints": report.checkpoints,
            "problems": report.problems,
            "problems_not_shown": report.problems_not_shown,
            "trailing_empty_line": report.trailing_empty_line,
            "caveat": report.caveat(),
        });
        out!(
            "{}",
            serde_json::to_string_pretty(&v).map_err(|e| e.to_string())?
        );
    } else {
        print_human(&chain_path.display().to_string(), &report);
    }
    Ok(match outcome {
        Outcome::Intact => EXIT_OK,
        Outcome::Tampered => EXIT_FINDINGS,
        Outcome::Empty if a.allow_empty => EXIT_OK,
        Outcome::Empty | Outcome::CannotVerify => EXIT_ERROR,
    })
}

fn print_human(name: &str, r: &VerifyReport) {
    out!("{name}: {}", counted(r.records, "record"));
    for c in &r.checkpoints {
        let state = match (c.signature, c.matches) {
            (SignatureCheck::Verified, Some(true)) => "signature ok, root matches".to_owned(),
            (SignatureCheck::Verified, Some(false)) => {
                "signature ok, root DOES NOT match".to_owned()
            }
            (SignatureCheck::Verified, None) => {
                "signature ok, covers records the chain does not have".to_owned()
            }
            (SignatureCheck::Bad | SignatureCheck::NotTrusted, _) => format!(
                "{}; not used",
                c.not_used.as_deref().unwrap_or("signature not verified")
            ),
        };
        out!(
            "  checkpoint {} (origin {}, size {}): {state}",
            c.source,
            c.origin,
            c.size
        );
    }
    for p in &r.problems {
        let at = match (p.line, p.seq) {
            (0, _) => "checkpoint".to_owned(),
            (l, Some(s)) => format!("line {l} (seq {s})"),
            (l, None) => format!("line {l}"),
        };
        out!("{at}: {} — {}", p.kind.as_str(), p.detail);
    }
    if r.problems_not_shown > 0 {
        out!(
            "… and {} not shown",
            counted(r.problems_not_shown as u64, "more problem")
        );
    }
    out!("{}", r.summary());
    if let Some(line) = r.trailing_empty_line {
        out!(
            "note: line {line} is an empty line after the last record; ignored, not a record (--strict rejects it)"
        );
    }
    if let Some(c) = r.caveat() {
        out!("note: {c}");
    }
}

fn prove(a: &ProveArgs) -> Result<i32, String> {
    let leaves = chain::read_leaves(open_chain(&a.chain)?)?;
    let hashes: Vec<merkle::Hash> = leaves.iter().map(|(h, _)| *h).collect();
    let load = |p: &Path| -> Result<(String, Checkpoint), String> {
        let text =
            crate::discover::read_regular_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
        let (body, _) =
            crate::chain::note::open(&text, &[]).map_err(|e| format!("{}: {e}", p.display()))?;
        let cp = Checkpoint::parse_text(body).map_err(|e| format!("{}: {e}", p.display()))?;
        let size = usize::try_from(cp.size).map_err(|e| e.to_string())?;
        if size > hashes.len() {
            return Err(format!(
                "{} covers {}; the chain has {}",
                p.display(),
                counted(cp.size, "record"),
                hashes.len()
            ));
        }
        if merkle::root(&hashes[..size]) != cp.root {
            return Err(format!(
                "{}: the chain's first {} do not have this checkpoint's root",
                p.display(),
                counted(cp.size, "record")
            ));
        }
        Ok((text, cp))
    };
    let file = if let Some(seq) = a.seq {
        let cp_path = a.checkpoint.as_ref().ok_or("--seq needs --checkpoint")?;
        let (note, cp) = load(cp_path)?;
        if seq >= cp.size {
            return Err(format!(
                "seq {seq} is not covered by the checkpoint (size {})",
                cp.size
            ));
        }
        let idx = usize::try_from(seq).map_err(|e| e.to_string())?;
        let size = usize::try_from(cp.size).map_err(|e| e.to_string())?;
        ProofFile::Inclusion {
            version: PROOF_VERSION,
            checkpoint: note,
            tree_size: cp.size,
            root: to_hex(&cp.root),
            seq,
            record: leaves[idx].1.clone(),
            proof: merkle::inclusion_proof(idx, &hashes[..size])
                .iter()
                .map(|h| to_hex(h))
                .collect(),
        }
    } else if let [old, new] = a.consistency.as_slice() {
        let (old_note, o) = load(old)?;
        let (new_note, n) = load(new)?;
        if o.size > n.size {
            return Err("OLD must not be larger than NEW".into());
        }
        let (m, size) = (
            usize::try_from(o.size).map_err(|e| e.to_string())?,
            usize::try_from(n.size).map_err(|e| e.to_string())?,
        );
        ProofFile::Consistency {
            version: PROOF_VERSION,
            old_checkpoint: old_note,
            new_checkpoint: new_note,
            old_size: o.size,
            new_size: n.size,
            old_root: to_hex(&o.root),
            new_root: to_hex(&n.root),
            proof: merkle::consistency_proof(m, &hashes[..size])
                .iter()
                .map(|h| to_hex(h))
                .collect(),
        }
    } else {
        return Err("give --seq N --checkpoint FILE, or --consistency OLD NEW".into());
    };
    let json = serde_json::to_string_pretty(&file).map_err(|e| e.to_string())?;
    if let Some(p) = &a.output {
        write_atomic(p, format!("{json}\n").as_bytes())?;
    } else {
        out!("{json}");
    }
    Ok(EXIT_OK)
}

fn verify_proof(a: &VerifyProofArgs) -> Result<i32, String> {
    let keys = verifiers(&a.key)?;
    let mut text = String::new();
    crate::discover::open_regular(&a.proof)
        .and_then(|mut f| f.read_to_string(&mut text))
        .map_err(|e| format!("{}: {e}", a.proof.display()))?;
    let file: ProofFile = serde_json::from_str(&text)
        .map_err(|e| format!("{}: not a proof file: {e}", a.proof.display()))?;
    match proof::verify(&file, &keys) {
        Ok(what) => {
            out!("VALID: {what}");
            Ok(EXIT_OK)
        }
        Err(ProofFailure::Invalid(why)) => {
            out!("INVALID: {why}");
            Ok(EXIT_FINDINGS)
        }
        Err(ProofFailure::CannotVerify(why)) => {
            out!("CANNOT VERIFY: {why}");
            Ok(EXIT_ERROR)
        }
    }
}
