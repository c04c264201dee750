//! `envlint baseline`: record the current findings, so that `scan --baseline`
//! shows only new ones — the way to adopt envlint on an existing repository.
//!
//! The file holds, per finding, its rule, repository-relative path and
//! fingerprint (plus its line, for people reading the file): no message, no
//! secret, and no hash computable from a guessed secret. Fingerprints come from
//! the rule, the path and a logical anchor, never from line numbers, so a
//! baseline survives lines moving and scans from another folder.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;

use miette::{IntoDiagnostic, Report, miette};
use serde::{Deserialize, Serialize};

use crate::cli::BaselineArgs;
use crate::engine::ScanOutput;
use crate::snippet;

/// The baseline format version; bump on any breaking change.
pub const VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    version: u32,
    tool: String,
    findings: Vec<Entry>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    rule: String,
    path: String,
    fingerprint: String,
    /// Informational: where it was when recorded (matching ignores it).
    #[serde(default)]
    line: u32,
}

/// `envlint baseline`.
pub fn run(args: &BaselineArgs, out: &mut dyn Write, err: &mut dyn Write) -> Result<u8, Report> {
    let mut p = super::prepare(&args.walk, &args.rules.policies)?;
    super::scan::apply_rule_args(&mut p, &args.rules)?;
    let scan = super::run_scan(&p, true)?;
    for w in &scan.warnings {
        writeln!(err, "warning: {}", snippet::escape(w)).into_diagnostic()?;
    }
    let file = File {
        version: VERSION,
        tool: format!("envlint {}", env!("CARGO_PKG_VERSION")),
        findings: scan
            .shown()
            .map(|f| Entry {
                rule: f.rule.to_string(),
                path: f.path.to_string(),
                fingerprint: f.fingerprint.clone(),
                line: f.start.line,
            })
            .collect(),
    };
    let text = serde_json::to_string_pretty(&file).into_diagnostic()? + "\n";
    match &args.output {
        Some(path) => std::fs::write(path, text)
            .map_err(|e| miette!("cannot write {}: {e}", snippet::escape(&path.to_string_lossy())))?,
        None => out.write_all(text.as_bytes()).into_diagnostic()?,
    }
    writeln!(err, "baseline: {} finding(s) recorded", file.findings.len()).into_diagnostic()?;
    if scan.incomplete > 0 {
        return Ok(crate::EXIT_INCOMPLETE);
    }
    Ok(0)
}

/// The (rule, path, fingerprint) keys of a baseline file.
pub fn load(path: &Path) -> Result<BTreeSet<(String, String, String)>, Report> {
    let shown = snippet::escape(&path.to_string_lossy()).into_owned();
    let text = std::fs::read_to_string(path).map_err(|e| miette!("cannot read baseline {shown}: {e}"))?;
    let file: File = serde_json::from_str(&text).map_err(|e| {
        miette!(help = "write one with `envlint baseline -o FILE`", "{shown} is not an envlint baseline: {e}")
    })?;
    if file.version != VERSION {
        return Err(miette!(
            "{shown}: baseline version {} is not supported (this envlint writes {VERSION})",
            file.version
        ));
    }
    Ok(file.findings.into_iter().map(|e| (e.rule, e.path, e.fingerprint)).collect())
}

/// Removes the findings recorded in the baseline; counts them in `baselined`.
pub fn apply(scan: &mut ScanOutput, keys: &BTreeSet<(String, String, String)>) {
    let before = scan.findings.len();
    scan.findings.retain(|f| {
        f.suppressed.is_some() || !keys.contains(&(f.rule.to_string(), f.path.to_string(), f.fingerprint.clone()))
    });
    scan.baselined = before - scan.findings.len();
}
