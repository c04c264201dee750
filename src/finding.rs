//! Findings: plain data, no rendering. Depends on `span`, `source`, `env`.

use std::sync::Arc;

use serde::Serialize;

use crate::env::Env;
use crate::source::{LineCol, SourceFile};
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

/// One problem found in one file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub rule: Arc<str>,
    pub severity: Severity,
    /// Relative to the scan root, `/`-separated.
    pub path: Arc<str>,
    pub env: Option<Env>,
    pub span: Span,
    pub start: LineCol,
    pub end: LineCol,
    pub message: String,
    pub help: Option<String>,
    /// Stable across runs and line moves: rule, path and the text under the span.
    pub fingerprint: String,
    /// Extra machine-readable facts (e.g. the secret `detector`), for JSON and SARIF.
    pub properties: std::collections::BTreeMap<String, String>,
}

impl Finding {
    /// Sort key: path, position, rule, message.
    pub fn sort_key(&self) -> (&str, u32, u32, &str, &str) {
        (&self.path, self.span.start, self.span.end, &self.rule, &self.message)
    }
}

/// Computes a finding's fingerprint: a hash of the rule, the path, the text under
/// the span with whitespace collapsed, and `occurrence` (how many earlier findings
/// of this rule in this file had the same text). Line numbers are not part of it.
pub fn fingerprint(rule: &str, src: &SourceFile, span: Span, occurrence: usize) -> String {
    let text: String = src.slice(span).split_whitespace().collect::<Vec<_>>().join(" ");
    let mut h1 = Fnv::new(0xcbf2_9ce4_8422_2325);
    let mut h2 = Fnv::new(0x8422_2325_cbf2_9ce4);
    for part in [rule.as_bytes(), src.path.as_bytes(), text.as_bytes(), &occurrence.to_le_bytes()] {
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
        let a = SourceFile::new("app/.env", "A=1\nDEBUG=true\n");
        let b = SourceFile::new("app/.env", "\n\nA=1\nX=2\nDEBUG=true\n");
        let fa = fingerprint("r", &a, Span::new(10, 14), 0);
        let fb = fingerprint("r", &b, Span::new(16, 20), 0);
        assert_eq!(a.slice(Span::new(10, 14)), "true");
        assert_eq!(b.slice(Span::new(16, 20)), "true");
        assert_eq!(fa, fb);
        assert_ne!(fa, fingerprint("r", &a, Span::new(10, 14), 1));
        assert_ne!(fa, fingerprint("other", &a, Span::new(10, 14), 0));
        assert_eq!(fa.len(), 32);
    }

    #[test]
    fn severity_order() {
        assert!(Severity::Error > Severity::Warning && Severity::Warning > Severity::Note);
        assert_eq!(Severity::parse("warning"), Some(Severity::Warning));
        assert_eq!(Severity::parse("fatal"), None);
    }
}
