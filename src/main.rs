//! The `envlint` binary: parse arguments, call [`envlint::run`], map to an exit code.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = envlint::cli::Cli::parse();
    let terminal = std::io::stdout().is_terminal();
    let color = terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let term = envlint::Terminal { color, stderr_color: color && std::io::stderr().is_terminal() };
    let mut stdout = std::io::stdout().lock();
    let mut stderr = std::io::stderr().lock();
    let code = match envlint::run(cli, term, &mut stdout, &mut stderr) {
        Ok(code) => code,
        Err(report) => {
            #[allow(clippy::print_stderr)]
            {
                eprintln!("{report:?}");
            }
            2
        }
    };
    let _ = stdout.flush();
    ExitCode::from(code)
}
