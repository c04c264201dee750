//! `dotenv-duplicate-key`: the same key assigned twice in one dotenv file.

use std::borrow::Cow;
use std::collections::HashMap;

use crate::discover::FileKind;
use crate::finding::Severity;
use crate::rule::{Emitter, EnvScope, FileCx, Precision, Rule, RuleMeta};

const DOCS: &str = r"## What it does
Flags a key that is assigned more than once in the same dotenv file. The
finding points at the second (and every later) assignment.

## Why is this bad?
Every dotenv loader keeps one value, and they do not agree on which: most let
the later line win silently, some keep the first. Someone editing the first
line will not see their change take effect.

## Example
```sh
DATABASE_URL=postgres://db-primary/app
LOG_LEVEL=info
DATABASE_URL=postgres://db-replica/app
```

## How to fix
Keep one assignment and delete the others.
";

static META: RuleMeta = RuleMeta {
    id: Cow::Borrowed("dotenv-duplicate-key"),
    severity: Severity::Warning,
    summary: Cow::Borrowed("the same key assigned twice in one dotenv file"),
    formats: Cow::Borrowed("dotenv"),
    kinds: Cow::Borrowed(&[FileKind::Dotenv]),
    scope: EnvScope::Any,
    security: false,
    precision: Precision::VeryHigh,
    default_enabled: true,
    options: None,
    help: Cow::Borrowed("keep one assignment; loaders disagree on which one wins"),
    docs: Cow::Borrowed(DOCS),
};

/// Reports every assignment of a key after its first.
pub struct DuplicateKey;

impl Rule for DuplicateKey {
    fn meta(&self) -> &RuleMeta {
        &META
    }

    fn check_file(&self, file: &FileCx<'_>, out: &mut Emitter<'_>) {
        if file.kind != FileKind::Dotenv {
            return;
        }
        let Some(root) = file.doc.and_then(|d| d.root()) else { return };
        let mut first_line: HashMap<&str, u32> = HashMap::new();
        for entry in root.entries() {
            let key = &*entry.key.value;
            let line = file.source.line_col(entry.key.span.start).line;
            match first_line.get(key) {
                Some(&first) => {
                    out.report(
                        entry.key.span,
                        format!("`{key}` is assigned again (first on line {first}); the later value silently wins"),
                    )
                    .anchor(key);
                }
                None => {
                    first_line.insert(key, line);
                }
            }
        }
    }
}
