//! `unused-suppression`: an `envlint: ignore[...]` comment that suppressed nothing.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

use crate::config::{RulePattern, Settings};
use crate::engine::suppress::Suppression;
use crate::finding::{Finding, Severity, fingerprint};
use crate::rule::{EnvScope, Precision, Rule, RuleMeta};

const DOCS: &str = r#"## What it does
Reports an inline suppression (`# envlint: ignore[rule-id] reason` or
`ignore-file[...]`) that hid no finding in this scan, when every rule it names
ran. Off by default: select it by its ID (`--select unused-suppression`, or
`select = [..., "unused-suppression"]`).

## Why is this bad?
A suppression outlives the problem it was written for: once the finding is
gone, the comment stays and will silently hide the next problem on that line.

## Example
```sh
# envlint: ignore[prod-debug-enabled] temporary, INC-2291
DEBUG=false
```

## How to fix
Delete the comment, or correct the rule ID it names.
"#;

pub static META: RuleMeta = RuleMeta {
    id: Cow::Borrowed("unused-suppression"),
    severity: Severity::Warning,
    summary: Cow::Borrowed("an inline suppression that suppressed nothing"),
    formats: Cow::Borrowed("every file with `envlint: ignore` comments"),
    kinds: Cow::Borrowed(&[]),
    scope: EnvScope::Unscoped,
    security: false,
    precision: Precision::VeryHigh,
    default_enabled: false,
    options: None,
    help: Cow::Borrowed("delete the comment, or fix the rule ID it names"),
    docs: Cow::Borrowed(DOCS),
};

/// The rule; its findings are made by the suppression phase ([`unused_suppressions`]).
pub struct UnusedSuppression;

impl Rule for UnusedSuppression {
    fn meta(&self) -> &RuleMeta {
        &META
    }
}

/// Findings for the suppressions that hid nothing although every rule they
/// name ran (a suppression of a rule that did not run may still be needed).
pub fn unused_suppressions(
    suppressions: &BTreeMap<Arc<str>, Vec<Suppression>>,
    settings: &Settings,
    rules: &[Box<dyn Rule>],
) -> Vec<Finding> {
    if !settings.rule_enabled(&META.id) {
        return Vec::new();
    }
    let ids: Vec<&str> = rules.iter().map(|r| &*r.meta().id).collect();
    let ran = |pattern: &str| {
        RulePattern::parse(pattern, &ids)
            .is_ok_and(|p| ids.iter().filter(|id| p.matches(id)).all(|id| settings.rule_enabled(id)))
    };
    let severity = settings.severity.get(&*META.id).copied().unwrap_or(META.severity);
    let mut out = Vec::new();
    for (path, list) in suppressions {
        for (n, s) in list.iter().enumerate() {
            if s.used || s.rules.is_empty() || !s.rules.iter().all(|r| ran(r)) {
                continue;
            }
            let what = if s.file_level { "ignore-file" } else { "ignore" };
            out.push(Finding {
                rule: Arc::from(&*META.id),
                severity,
                path: path.clone(),
                env: None,
                span: s.span,
                start: s.start,
                end: s.end,
                message: format!("`envlint: {what}[{}]` suppresses nothing", s.rules.join(", ")),
                help: Some(META.help.to_string()),
                fingerprint: fingerprint(&META.id, path, &s.rules.join(","), n),
                properties: BTreeMap::new(),
                related: Vec::new(),
                snippet: s.snippet.clone(),
                suppressed: None,
            });
        }
    }
    out
}
