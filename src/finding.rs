//! Findings: plain data, no rendering. Depends on `span`, `source`, `env`, `snippet`.

use std::sync::Arc;

use serde::Serialize;

use crate::env::Env;
use crate::snippet::Window;
use crate::source::LineCol;
use crate::span::Span;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Note,
    Warning,
    Error,
}

impl Severity {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "error" => Some(Self::Error),
            "warning" => Some(Self::Warning),
            "note" => Some(Self::Note),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Error => "error",
            Self::Warning => "warning",
            Self::Note => "note",
        }
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One problem found in one file, complete: positions, redacted text, the
/// lines to show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub rule: Arc<str>,
    pub severity: Severity,
    /// Relative to the repository root, `/`-separated.
    pub path: Arc<str>,
    pub env: Option<Env>,
    pub span: Span,
    pub start: LineCol,
    pub end: LineCol,
    pub message: String,
    pub help: Option<String>,
    /// Stable across runs and line moves: rule, path and the finding's anchor
    /// (never a secret's text).
    pub fingerprint: String,
    /// Extra machine-readable facts (e.g. the secret `detector`), for JSON and SARIF.
    pub properties: std::collections::BTreeMap<String, String>,
    /// Other places that explain it: the job that inherits a template's value,
    /// the other environment's file.
    pub related: Vec<Related>,
    /// The lines around it, every secret masked, for the human report.
    pub snippet: Option<Window>,
    /// Suppressed by an inline comment: its reason (empty when it gave none).
    /// Only SARIF shows suppressed findings (as dismissed).
    pub suppressed: Option<String>,
}

/// A location that explains a finding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Related {
    pub path: Arc<str>,
    pub span: Span,
    pub start: LineCol,
    pub end: LineCol,
    pub message: String,
    pub snippet: Option<Window>,
}

impl Finding {
    /// Sort key: path, position, rule, message.
    pub fn sort_key(&self) -> (&str, u32, u32, &str, &str) {
        (&self.path, self.span.start, self.span.end, &self.rule, &self.message)
    }
}

/// What identifies a finding's place without its line number: the text of its
/// line before the span (the key, `DEBUG=`) and the text under the span, both
/// with whitespace collapsed, taken from `text` in which every secret is fully
/// masked (see [`crate::redact::blank_spans`]) — so no fingerprint can be
/// recomputed from a guessed secret.
pub fn anchor(text: &str, span: Span) -> String {
    let start = (span.start as usize).min(text.len());
    let end = (span.end as usize).clamp(start, text.len());
    let line_start = text[..start].rfind(['\n', '\r']).map_or(0, |i| i + 1);
    let before = text.get(line_start..start).unwrap_or("");
    let under = text.get(start..end).unwrap_or("");
    let collapse = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    format!("{}\u{1f}{}", collapse(before), collapse(under))
}

/// Computes a finding's fingerprint: a hash of the rule, the path, the finding's
/// [`anchor`] and `occurrence` (how many earlier findings of this rule in this file
/// had the same anchor). Line numbers are not part of it.
pub fn fingerprint(rule: &str, path: &str, anchor: &str, occurrence: usize) -> String {
    let mut h1 = Fnv::new(0xcbf2_9ce4_8422_2325);
    let mut h2 = Fnv::new(0x8422_2325_cbf2_9ce4);
    for part in [rule.as_bytes(), path.as_bytes(), anchor.as_bytes(), &occurrence.to_le_bytes()] {
        h1.write(part);
        h1.write(&[0xff]);
        h2.write(part);
        h2.write(&[0xfe]);
    }
    format!("{:016x}{:016x}", h1.0, h2.0)
}

/// FNV-1a, 64 bit: stable across Rust versions and platforms, unlike `DefaultHasher`.
struct Fnv(u64);

impl Fnv {
    fn new(seed: u64) -> Self {
        Self(seed)
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_ignore_line_moves() {
        let a = "A=1\nDEBUG=true\n";
        let b = "\n\nA=1\nX=2\nDEBUG=true\n";
        let (sa, sb) = (Span::new(10, 14), Span::new(16, 20));
        assert_eq!((&a[sa.range()], &b[sb.range()]), ("true", "true"));
        assert_eq!(anchor(a, sa), anchor(b, sb));
        assert_eq!(anchor(a, sa), "DEBUG=\u{1f}true");
        let fa = fingerprint("r", "app/.env", &anchor(a, sa), 0);
        assert_eq!(fa, fingerprint("r", "app/.env", &anchor(b, sb), 0));
        assert_ne!(fa, fingerprint("r", "app/.env", &anchor(a, sa), 1));
        assert_ne!(fa, fingerprint("other", "app/.env", &anchor(a, sa), 0));
        assert_ne!(fa, fingerprint("r", "b/.env", &anchor(a, sa), 0));
        assert_eq!(fa.len(), 32);
    }

    #[test]
    fn severity_order() {
        assert!(Severity::Error > Severity::Warning && Severity::Warning > Severity::Note);
        assert_eq!(Severity::parse("warning"), Some(Severity::Warning));
        assert_eq!(Severity::parse("fatal"), None);
    }
}
