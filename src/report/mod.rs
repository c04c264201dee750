//! Reports: pure functions of the sorted findings (and sources, for snippets),
//! written to a `&mut dyn Write` they are given.

pub mod github;
pub mod gitlab;
pub mod human;
pub mod json;
pub mod sarif;

use std::fmt::Write as _;

use crate::engine::ScanOutput;
use crate::finding::Severity;

/// `--format` of `scan`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
    /// SARIF 2.1.0, for GitHub code scanning.
    Sarif,
    /// GitLab Code Quality.
    Gitlab,
    /// GitHub Actions workflow commands (annotations).
    Github,
}

/// The closing one-line summary: counts per severity and files.
pub fn summary_line(out: &ScanOutput) -> String {
    let (e, w, n) = (out.count(Severity::Error), out.count(Severity::Warning), out.count(Severity::Note));
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let mut line = if e + w + n == 0 {
        format!("no findings in {}", plural(out.files.len(), "file"))
    } else {
        format!(
            "{}, {}, {} in {}",
            plural(e, "error"),
            plural(w, "warning"),
            plural(n, "note"),
            plural(out.files.len(), "file")
        )
    };
    let hidden: Vec<String> = [(out.suppressed(), "suppressed inline"), (out.baselined, "in the baseline")]
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| format!("{n} {what}"))
        .collect();
    if !hidden.is_empty() {
        let _ = write!(line, "; not shown: {}", hidden.join(", "));
    }
    let skipped = out.skipped_binary + out.skipped_large;
    if skipped > 0 {
        let _ = write!(
            line,
            " ({skipped} skipped: {} binary, {} over the size limit)",
            out.skipped_binary, out.skipped_large
        );
    }
    line
}
