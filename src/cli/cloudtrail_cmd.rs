//! `custos chain verify --cloudtrail DIR`.

use std::path::PathBuf;

use super::{render_model, EXIT_ERROR, EXIT_FINDINGS, EXIT_OK};
use crate::chain::cloudtrail::{self, PublicKey};
use crate::chain::{counted, Outcome};

/// What `chain verify --cloudtrail` was given.
pub struct TrailArgs<'a> {
    pub cloudtrail: Option<&'a PathBuf>,
    pub public_keys: &'a [PathBuf],
    pub as_of: Option<&'a str>,
    pub format: &'a str,
    /// For an `s3://` trail.
    pub endpoint_url: Option<&'a str>,
}

pub fn run(a: &TrailArgs<'_>) -> Result<i32, String> {
    let dir = a.cloudtrail.ok_or("--cloudtrail DIR is required")?;
    let s3 = crate::s3::trail::is_s3_path(dir);
    if !s3 && !dir.is_dir() {
        return Err(format!("{} is not a directory", dir.display()));
    }
    if a.public_keys.is_empty() {
        return Err(
            "--public-keys FILE is required (save the output of `aws cloudtrail list-public-keys`)"
                .into(),
        );
    }
    let mut keys = Vec::new();
    for p in a.public_keys {
        keys.extend(PublicKey::load(p)?);
    }
    let as_of = match a.as_of {
        Some(t) => cloudtrail::parse_time(t)
            .ok_or_else(|| format!("--as-of {t}: expected YYYY-MM-DDThh:mm:ssZ"))?,
        None => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX)),
    };
    let report = if s3 {
        crate::s3::trail::verify_cloudtrail(
            &crate::s3::trail::shown(dir),
            &keys,
            as_of,
            &crate::s3::trail::config_from_cwd(),
            a.endpoint_url,
        )?
    } else {
        cloudtrail::verify_dir(dir, &keys, as_of)
    };
    let outcome = report.outcome();
    if !matches!(a.format, "human" | "json") {
        let model =
            crate::chain::report::trail_report(&crate::discover::display_path(dir), &report);
        render_model(a.format, &model)?;
    } else if a.format == "json" {
        out!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "version": 1,
                "verdict": outcome,
                "summary": report.summary(),
                "intact": outcome == Outcome::Intact,
                "report": report,
            }))
            .map_err(|e| e.to_string())?
        );
    } else {
        out!(
            "{}: {}, {}",
            dir.display(),
            counted(report.digests as u64, "digest file"),
            counted(report.log_files as u64, "log file")
        );
        for p in &report.problems {
            out!("{}: {} — {}", p.file, p.kind, p.detail);
        }
        for n in &report.notes {
            out!("note: {n}");
        }
        out!("{}", report.summary());
    }
    Ok(match outcome {
        Outcome::Intact => EXIT_OK,
        Outcome::Tampered => EXIT_FINDINGS,
        Outcome::CannotVerify | Outcome::Empty => EXIT_ERROR,
    })
}
