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
    let term = envlint::Terminal::new(io::stdout().is_terminal(), io::stderr().is_terminal(), |name| {
        std::env::var_os(name).map(|v| v.to_string_lossy().into_owned())
    });
    // Errors (exit 2) are drawn by miette's handler: give it the same colour decision.
    let (_, stderr_color) = term.colors(cli.color);
    let _ = miette::set_hook(Box::new(move |_| Box::new(miette::MietteHandlerOpts::new().color(stderr_color).build())));
    let progress: Option<Box<dyn Write + Send>> = if term.stderr_tty { Some(Box::new(io::stderr())) } else { None };
    let mut stdout = PipeSafe { inner: io::BufWriter::new(io::stdout().lock()), closed: false };
    // Not locked for the whole run: the progress bar writes to it from another thread.
    let mut stderr = PipeSafe { inner: io::stderr(), closed: false };
    let mut stdin = io::stdin().lock();
    let streams = envlint::Io { out: &mut stdout, err: &mut stderr, stdin: &mut stdin, progress };
    let code = match envlint::run(cli, term, streams) {
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
