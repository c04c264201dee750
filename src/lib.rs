//! envlint: an environment-aware infrastructure policy checker and `IaC` linter.
//!
//! [`run`] is the whole program; `main.rs` only supplies arguments and streams.

pub mod cli;
pub mod commands;
pub mod config;
pub mod diag;
pub mod discover;
pub mod engine;
pub mod env;
pub mod finding;
pub mod formats;
#[doc(hidden)]
pub mod fuzz;
pub mod glob;
pub mod isolate;
pub mod model;
pub mod parse;
pub mod policy;
pub mod redact;
pub mod repo;
pub mod report;
pub mod rule;
pub mod rules;
pub mod secrets;
pub mod snippet;
pub mod source;
pub mod span;
pub mod stats;

use std::io::Write;
use std::path::Path;

use miette::{IntoDiagnostic, Report};

use crate::cli::{Cli, Command, PolicyCommand, WalkArgs};
use crate::engine::ScanOutput;

pub use commands::envs::write_envs;
pub use commands::rules::write_rules;

/// Exit code of a scan that could not check everything (an internal error on
/// some file, named in a warning); its report still shows what was found.
pub const EXIT_INCOMPLETE: u8 = 3;

/// What the binary knows about its terminal.
#[derive(Clone, Copy, Debug, Default)]
pub struct Terminal {
    /// Colour on stdout.
    pub color: bool,
    /// Colour on stderr.
    pub stderr_color: bool,
}

/// Runs a command; returns the exit code (0 clean, 1 findings), or an error
/// that the caller prints and maps to exit code 2.
pub fn run(cli: Cli, term: Terminal, out: &mut dyn Write, err: &mut dyn Write) -> Result<u8, Report> {
    match cli.command {
        Command::Scan(args) => commands::scan::run(&args, term, out, err),
        Command::Envs(args) => commands::envs::run(&args.walk, args.format, out),
        Command::Rules(args) => {
            commands::rules::write_rules(&commands::cwd_rules()?, args.format, out).map(|()| 0).into_diagnostic()
        }
        Command::Explain { id } => commands::rules::explain(&commands::cwd_rules()?, &id, out),
        Command::Policy(PolicyCommand::Test(args)) => commands::policy_test::run(&args, out),
        Command::Baseline(args) => commands::baseline::run(&args, out, err),
    }
}

/// Convenience for tests and embedders: the scan root of a single directory.
pub fn scan_dir(dir: &Path) -> Result<ScanOutput, Report> {
    let walk = WalkArgs { paths: vec![dir.to_path_buf()], config: None, env: Vec::new(), threads: Some(1) };
    let p = commands::prepare(&walk, &[])?;
    commands::run_scan(&p, true)
}
