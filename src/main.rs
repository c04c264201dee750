//! The `envlint` binary: parse arguments, call [`envlint::run`], map to an exit code.

use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;

/// Stdout that treats a closed pipe (`envlint scan | head`) as success: once the
/// reader is gone, further output is dropped instead of failing the run.
struct PipeSafe<W: Write> {
    inner: W,
    closed: bool,
}

impl<W: Write> Write for PipeSafe<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.closed {
            return Ok(buf.len());
        }
        match self.inner.write(buf) {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(buf.len())
            }
            other => other,
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self.inner.flush() {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(())
            }
            other => other,
        }
    }
}

fn main() -> ExitCode {
    envlint::isolate::install_hook();
    let cli = envlint::cli::Cli::parse();
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let term = envlint::Terminal {
        color: io::stdout().is_terminal() && !no_color,
        stderr_color: io::stderr().is_terminal() && !no_color,
    };
    let mut stdout = PipeSafe { inner: io::BufWriter::new(io::stdout().lock()), closed: false };
    let mut stderr = PipeSafe { inner: io::stderr().lock(), closed: false };
    let code = match envlint::run(cli, term, &mut stdout, &mut stderr) {
        Ok(code) => code,
        Err(report) => {
            let _ = stdout.flush();
            let _ = writeln!(stderr, "{report:?}");
            2
        }
    };
    let _ = stdout.flush();
    ExitCode::from(code)
}
