//! `custos redact`.

use std::io::{BufReader, BufWriter};

use clap::Args;

use super::{EXIT_ERROR, EXIT_OK};
use crate::detect::pii::Entity;
use crate::redact::{Mode, Redactor};

#[derive(Debug, Args)]
pub struct RedactArgs {
    /// mask: `[REDACTED:EMAIL]`; pseudonym: `[EMAIL:<HMAC>]`, stable under one key.
    #[arg(long, default_value = "mask", value_parser = ["mask", "pseudonym"])]
    pub mode: String,
    /// File holding the pseudonym key (at least 16 bytes).
    #[arg(long, value_name = "FILE", conflicts_with = "key_env")]
    pub key_file: Option<std::path::PathBuf>,
    /// Environment variable holding the pseudonym key.
    #[arg(long, value_name = "VAR")]
    pub key_env: Option<String>,
    /// PII entities to redact (comma-separated; default: all but IP_ADDRESS).
    #[arg(long, value_delimiter = ',')]
    pub entities: Vec<String>,
    /// Leave secrets alone (redact PII only).
    #[arg(long)]
    pub no_secrets: bool,
}

pub fn run(a: &RedactArgs) -> i32 {
    let mode = if a.mode == "pseudonym" {
        let key = match (&a.key_file, &a.key_env) {
            (Some(f), _) => std::fs::read(f).map_err(|e| format!("{}: {e}", f.display())),
            (None, Some(v)) => std::env::var(v)
                .map(String::into_bytes)
                .map_err(|_| format!("environment variable {v} is not set")),
            (None, None) => Err("--mode pseudonym needs --key-file or --key-env".to_owned()),
        };
        match key {
            Ok(k) => {
                let k: Vec<u8> = k.trim_ascii().to_vec();
                if k.len() < 16 {
                    eprintln!("custos: the pseudonym key must be at least 16 bytes");
                    return EXIT_ERROR;
                }
                Mode::Pseudonym(k)
            }
            Err(e) => {
                eprintln!("custos: {e}");
                return EXIT_ERROR;
            }
        }
    } else {
        Mode::Mask
    };
    let entities = if a.entities.is_empty() {
        Entity::defaults()
    } else {
        let mut out = Vec::new();
        for name in &a.entities {
            let Some(e) = Entity::parse(name.trim()) else {
                eprintln!("custos: unknown PII entity {name}");
                return EXIT_ERROR;
            };
            out.push(e);
        }
        out
    };
    let r = Redactor {
        mode,
        entities,
        secrets: !a.no_secrets,
    };
    let stdin = std::io::stdin();
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    match r.stream(BufReader::new(stdin.lock()), &mut out) {
        Ok(stats) => {
            eprintln!(
                "custos: redacted {} values in {} lines",
                stats.replaced, stats.lines
            );
            EXIT_OK
        }
        Err(e) => {
            eprintln!("custos: {e}");
            EXIT_ERROR
        }
    }
}
