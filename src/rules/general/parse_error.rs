//! `parse-error`: a file of a known kind that could not be parsed.

use std::borrow::Cow;

use crate::finding::Severity;
use crate::rule::{Emitter, EnvScope, FileCx, Precision, Rule, RuleMeta};

const DOCS: &str = r#"## What it does
Reports a Terraform, tfvars, HCL, compose, dotenv or CI YAML file that could not
be parsed, at the place where the parser stopped. The scan goes on with every
other file.

## Why is this bad?
A file envlint cannot parse is a file no rule has checked: a secret or a prod
misconfiguration in it would go unreported. The tools that consume the file
(Terraform, docker compose, the CI runner) usually reject it too.

## Example
```yaml
services:
  api:
    image: "app:1.2
```

## How to fix
Fix the syntax at the reported position. If the file is not what its name
suggests (a `.env.sh` script, say), exclude it in `.envlintignore`.
"#;

static META: RuleMeta = RuleMeta {
    id: Cow::Borrowed("parse-error"),
    severity: Severity::Error,
    summary: Cow::Borrowed("a file of a known kind could not be parsed"),
    formats: Cow::Borrowed("all"),
    kinds: Cow::Borrowed(&[]),
    scope: EnvScope::Unscoped,
    security: false,
    precision: Precision::VeryHigh,
    default_enabled: true,
    options: None,
    help: Cow::Borrowed("fix the syntax here; the file was not checked by any other rule"),
    docs: Cow::Borrowed(DOCS),
};

/// Turns a parser failure into a finding at the position the parser gave.
pub struct ParseErrorRule;

impl Rule for ParseErrorRule {
    fn meta(&self) -> &RuleMeta {
        &META
    }

    fn check_file(&self, file: &FileCx<'_>, out: &mut Emitter<'_>) {
        if let Some(err) = file.parse_error {
            // A parser that stops at the end of the file points past the last line,
            // where no snippet can show it: point at the end of the last line instead.
            let text = &file.source.text;
            let mut span = err.span;
            if span.start as usize >= text.trim_end().len() && !text.trim_end().is_empty() {
                span = crate::span::Span::at(text.trim_end().len());
            }
            out.report(span, format!("cannot parse {} file: {}", file.kind, err.message));
        }
    }
}
