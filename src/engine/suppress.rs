//! Inline suppressions, decided at the finding's location (never by the rule):
//!
//! - `# envlint: ignore[rule-id] reason` on the finding's line or the line above;
//! - `# envlint: ignore-file[rule-id] reason` anywhere in the file;
//! - several IDs or globs: `ignore[prod-debug-enabled, prod-*]`;
//! - any comment marker: `#`, `//`, `/*`, `<!--`, `--`, `;`.
//!
//! A suppression without a reason, or naming no known rule, is a warning.
//! `parse-error` cannot be suppressed. Suppressed findings stay in the list,
//! marked: SARIF shows them as dismissed (`suppressions`, kind `inSource`), the
//! other formats leave them out, and the summary counts them.

use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock};

use regex::Regex;

use crate::config::RulePattern;
use crate::finding::Finding;
use crate::snippet::Window;
use crate::source::{LineCol, SourceFile};
use crate::span::Span;

/// One suppression comment.
#[derive(Clone, Debug)]
pub struct Suppression {
    pub file_level: bool,
    /// The rule IDs or globs, as written.
    pub rules: Vec<String>,
    pub reason: Option<String>,
    /// The comment, from its marker.
    pub span: Span,
    pub start: LineCol,
    pub end: LineCol,
    /// The comment's lines, secrets masked (for `unused-suppression`).
    pub snippet: Option<Window>,
    /// Whether it hid a finding.
    pub used: bool,
}

static COMMENT: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"(?:#|//|/\*|<!--|--|;)[ \t]*envlint:[ \t]*(ignore|ignore-file)\[([^\]\n]*)\][ \t]*([^\n]*)").ok()
});

/// The suppression comments of a file, without their snippets.
pub fn parse(src: &SourceFile) -> Vec<Suppression> {
    let Some(re) = COMMENT.as_ref() else { return Vec::new() };
    if !src.text.contains("envlint:") {
        return Vec::new();
    }
    re.captures_iter(&src.text)
        .filter_map(|c| {
            let whole = c.get(0)?;
            let rules: Vec<String> =
                c[2].split(',').map(str::trim).filter(|r| !r.is_empty()).map(str::to_owned).collect();
            // the reason ends where a block comment does
            let rest = &c[3];
            let rest = rest.split("*/").next().unwrap_or(rest);
            let rest = rest.split("-->").next().unwrap_or(rest);
            let reason = rest.trim().trim_start_matches(['-', ':', '—']).trim();
            let span = Span::new(whole.start(), whole.end());
            Some(Suppression {
                file_level: &c[1] == "ignore-file",
                rules,
                reason: (!reason.is_empty()).then(|| reason.to_owned()),
                span,
                start: src.line_col(span.start),
                end: src.line_col(span.end),
                snippet: None,
                used: false,
            })
        })
        .collect()
}

/// The rules that may not be suppressed.
const UNSUPPRESSIBLE: [&str; 1] = ["parse-error"];

/// Marks the findings that a suppression of their file covers; marks those
/// suppressions used. Returns warnings about suppressions that name no known
/// rule or give no reason.
pub fn apply(
    findings: &mut [Finding],
    suppressions: &mut BTreeMap<Arc<str>, Vec<Suppression>>,
    known_ids: &[&str],
) -> Vec<String> {
    let mut warnings = Vec::new();
    let mut patterns: BTreeMap<String, Option<RulePattern>> = BTreeMap::new();
    for (path, list) in suppressions.iter() {
        for s in list {
            for r in &s.rules {
                let p = RulePattern::parse(r, known_ids).ok();
                if p.is_none() {
                    warnings.push(format!(
                        "{path}:{}: `envlint: ignore` names an unknown rule `{r}`; run `envlint rules` to list rule IDs",
                        s.start.line
                    ));
                }
                patterns.insert(r.clone(), p);
            }
            if s.reason.is_none() {
                warnings.push(format!(
                    "{path}:{}: `envlint: ignore` without a reason: say why after the `]`",
                    s.start.line
                ));
            }
            if s.rules.is_empty() {
                warnings.push(format!("{path}:{}: `envlint: ignore[]` names no rule", s.start.line));
            }
        }
    }
    for f in findings.iter_mut() {
        if UNSUPPRESSIBLE.contains(&&*f.rule) {
            continue;
        }
        let Some(list) = suppressions.get_mut(&f.path) else { continue };
        let line = f.start.line;
        for s in list.iter_mut() {
            let here = s.file_level || s.start.line == line || s.start.line + 1 == line;
            let names =
                s.rules.iter().any(|r| patterns.get(r).and_then(Option::as_ref).is_some_and(|p| p.matches(&f.rule)));
            if here && names {
                s.used = true;
                f.suppressed = Some(s.reason.clone().unwrap_or_default());
                break;
            }
        }
    }
    warnings
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_table() {
        // (text, file-level, rules, reason)
        let cases: &[(&str, bool, &[&str], Option<&str>)] = &[
            (
                "DEBUG=true # envlint: ignore[prod-debug-enabled] staging mirror\n",
                false,
                &["prod-debug-enabled"],
                Some("staging mirror"),
            ),
            ("# envlint: ignore[a, b-*]\nX=1\n", false, &["a", "b-*"], None),
            ("// envlint: ignore-file[committed-secret] test keys\n", true, &["committed-secret"], Some("test keys")),
            ("/* envlint: ignore[x] why */ y = 1\n", false, &["x"], Some("why")),
            ("<!-- envlint: ignore[x] doc example -->\n", false, &["x"], Some("doc example")),
            ("  #envlint:ignore[x] - because\n", false, &["x"], Some("because")),
        ];
        for &(text, file_level, rules, reason) in cases {
            let found = parse(&SourceFile::new("f", text));
            assert_eq!(found.len(), 1, "{text:?}");
            assert_eq!(found[0].file_level, file_level, "{text:?}");
            assert_eq!(found[0].rules, rules, "{text:?}");
            assert_eq!(found[0].reason.as_deref(), reason, "{text:?}");
        }
        for text in ["envlint: ignore[x] no marker\n", "# envlint ignore[x]\n", "# envlint: ignored[x]\n"] {
            assert!(parse(&SourceFile::new("f", text)).is_empty(), "{text:?}");
        }
    }
}
