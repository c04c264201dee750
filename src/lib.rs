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

use std::io::{Read, Write};
use std::path::Path;

use miette::{IntoDiagnostic, Report};

use crate::cli::{Cli, ColorChoice, Command, PolicyCommand, WalkArgs};
use crate::engine::ScanOutput;

pub use commands::envs::write_envs;
pub use commands::rules::write_rules;

/// Exit code of a scan that could not check everything (an internal error on
/// some file, named in a warning); its report still shows what was found.
pub const EXIT_INCOMPLETE: u8 = 3;

/// What the binary knows about its terminal and environment; [`Terminal::colors`]
/// turns it and `--color` into the colour decision.
#[derive(Clone, Copy, Debug, Default)]
pub struct Terminal {
    /// Standard output is a terminal.
    pub stdout_tty: bool,
    /// Standard error is a terminal.
    pub stderr_tty: bool,
    /// `NO_COLOR` is set and not empty (<https://no-color.org>).
    pub no_color: bool,
    /// `FORCE_COLOR` is set, not empty and not `0` or `false` (<https://force-color.org>).
    pub force_color: bool,
}

impl Terminal {
    /// Reads `NO_COLOR` and `FORCE_COLOR` through `var`.
    pub fn new(stdout_tty: bool, stderr_tty: bool, var: impl Fn(&str) -> Option<String>) -> Self {
        let set = |name: &str| var(name).is_some_and(|v| !v.is_empty());
        let force = var("FORCE_COLOR").is_some_and(|v| !v.is_empty() && v != "0" && !v.eq_ignore_ascii_case("false"));
        Self { stdout_tty, stderr_tty, no_color: set("NO_COLOR"), force_color: force }
    }

    /// Colour on (stdout, stderr): `--color always`/`never` decide; with `auto`,
    /// `NO_COLOR` turns colour off, then `FORCE_COLOR` on, else a terminal has it.
    pub fn colors(&self, choice: ColorChoice) -> (bool, bool) {
        match choice {
            ColorChoice::Always => (true, true),
            ColorChoice::Never => (false, false),
            ColorChoice::Auto if self.no_color => (false, false),
            ColorChoice::Auto if self.force_color => (true, true),
            ColorChoice::Auto => (self.stdout_tty, self.stderr_tty),
        }
    }
}

/// The streams a command works with. Only `main.rs` opens the real ones.
pub struct Io<'a> {
    pub out: &'a mut dyn Write,
    pub err: &'a mut dyn Write,
    /// Standard input, for `envlint scan -`.
    pub stdin: &'a mut dyn Read,
    /// Standard error again, for the progress bar drawn from another thread;
    /// `None` when standard error is not a terminal.
    pub progress: Option<Box<dyn Write + Send>>,
}

/// Runs a command; returns the exit code (0 clean, 1 findings, 3 incomplete), or
/// an error that the caller prints and maps to exit code 2.
pub fn run(cli: Cli, term: Terminal, io: Io<'_>) -> Result<u8, Report> {
    let (color, _) = term.colors(cli.color);
    let Io { out, err, stdin, progress } = io;
    match cli.command {
        Command::Scan(args) => {
            let streams = commands::scan::Streams { color, out, err, stdin, progress };
            commands::scan::run(&args, streams)
        }
        Command::Envs(args) => commands::envs::run(&args, out),
        Command::Rules(args) => {
            commands::rules::write_rules(&commands::cwd_rules()?, args.format, out).map(|()| 0).into_diagnostic()
        }
        Command::Explain { id } => commands::rules::explain(&commands::cwd_rules()?, &id, out),
        Command::Policy(PolicyCommand::Test(args)) => commands::policy_test::run(&args, out),
        Command::Baseline(args) => commands::baseline::run(&args, out, err),
        Command::Init(args) => commands::init::run(&args, out, err),
        Command::Completions { shell } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut cmd, "envlint", out);
            Ok(0)
        }
    }
}

/// Convenience for tests and embedders: the scan root of a single directory.
pub fn scan_dir(dir: &Path) -> Result<ScanOutput, Report> {
    let walk = WalkArgs { paths: vec![dir.to_path_buf()], config: None, env: Vec::new(), threads: Some(1) };
    let p = commands::prepare(&walk, &[])?;
    commands::run_scan(&p, true)
}
