//! `custos chain verify --cloudtrail DIR`.

use super::chain_cmd::VerifyArgs;
use super::{EXIT_FINDINGS, EXIT_OK};
use crate::chain::cloudtrail::{self, PublicKey};

pub fn run(a: &VerifyArgs) -> Result<i32, String> {
    let dir = a
        .cloudtrail
        .as_ref()
        .ok_or("--cloudtrail DIR is required")?;
    if !dir.is_dir() {
        return Err(format!("{} is not a directory", dir.display()));
    }
    if a.public_keys.is_empty() {
        return Err(
            "--public-keys FILE is required (save the output of `aws cloudtrail list-public-keys`)"
                .into(),
        );
    }
    let mut keys = Vec::new();
    for p in &a.public_keys {
        keys.extend(PublicKey::load(p)?);
    }
    let as_of = match &a.as_of {
        Some(t) => cloudtrail::parse_time(t)
            .ok_or_else(|| format!("--as-of {t}: expected YYYY-MM-DDThh:mm:ssZ"))?,
        None => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX)),
    };
    let report = cloudtrail::verify_dir(dir, &keys, as_of);
    if a.format == "json" {
        println!(
            "{}",
            serde_json::to_string_pretty(
                &serde_json::json!({"version": 1, "intact": report.intact(), "report": report})
            )
            .map_err(|e| e.to_string())?
        );
    } else {
        println!(
            "{}: {} digest files, {} log files",
            dir.display(),
            report.digests,
            report.log_files
        );
        for p in &report.problems {
            println!("{}: {} — {}", p.file, p.kind, p.detail);
        }
        for n in &report.notes {
            println!("note: {n}");
        }
        if report.intact() {
            println!("INTACT");
        } else {
            println!("TAMPERED: {} problems", report.problems.len());
        }
    }
    Ok(if report.intact() && report.digests > 0 {
        EXIT_OK
    } else {
        EXIT_FINDINGS
    })
}
