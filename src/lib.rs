//! custos: a policy-as-code compliance checker for data and ML pipelines.
//!
//! The crate is layered like the pipeline it runs, and dependencies only point downwards:
//! vocabulary ([`document`], [`finding`], [`report`]) ← [`parse`], [`detect`] ← [`policy`] ←
//! [`catalog`] ← [`scan`] ← [`render`] ← `cli`. [`scan`] wires discovery, parsing, evaluation
//! and suppression together into a [`report::Report`]; the renderers turn any report into an
//! output format; the binary in `main.rs` only maps arguments to a run and a run to an exit
//! code.

pub mod audit;
pub mod baseline;
pub mod catalog;
pub mod chain;
pub mod cli;
pub mod config;
pub mod context;
pub mod detect;
pub mod discover;
pub mod document;
pub mod finding;
pub mod gitinfo;
pub mod logs;
pub mod parse;
pub mod policy;
pub mod pyindex;
pub mod redact;
pub mod render;
pub mod report;
pub mod s3;
pub mod scan;
pub mod suppress;
pub mod terraform;
