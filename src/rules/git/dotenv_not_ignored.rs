//! `dotenv-not-ignored`: a dotenv file with real values that git would commit.

use std::borrow::Cow;

use crate::discover::FileKind;
use crate::engine::project::{ProjectCx, ProjectFile, ProjectOut, Spot};
use crate::finding::Severity;
use crate::repo::ignore::{Decision, Source};
use crate::rule::{EnvScope, Precision, Rule, RuleMeta};

const DOCS: &str = r"## What it does
Reports a dotenv file that git would not ignore: anything named `.env`,
`.env.*` or `*.env` (and files compose loads through `env_file:`), except
templates (`.env.example`, `.env.sample`, `.env.template`, `.env.dist`,
`.env.defaults`, ...). The decision is git's: nested `.gitignore` files,
`.git/info/exclude`, negations and directory patterns, as `git check-ignore`
sees them. A file re-included on purpose with a `!` pattern is intended and not
reported.

Also reports, at the root `.gitignore` (its last line, or the repository root
when there is none), a repository that uses dotenv files but whose root
`.gitignore` would not ignore `.env`, `.env.local`, `.env.prod`,
`.env.staging` and `.env.production`: the next one created there would be
committed by `git add .`.

Not a git repository: the rule says once, as a warning, that it could not check.

## Why is this bad?
Dotenv files hold the real values — database passwords, API tokens — that the
code reads at run time. One `git add .` away from being committed, they are the
most common way secrets end up in a repository.

## Example
```gitignore
# .gitignore
node_modules/
# .env is missing
```

## How to fix
Ignore them and keep the templates: add `.env` and `.env.*` to the root
`.gitignore`, then `!.env.example` (and your other templates). If a dotenv file
is meant to be committed (public, non-secret values), re-include it with a `!`
pattern so the intent is written down.
";

static META: RuleMeta = RuleMeta {
    id: Cow::Borrowed("dotenv-not-ignored"),
    severity: Severity::Error,
    summary: Cow::Borrowed("a dotenv file that git would not ignore"),
    formats: Cow::Borrowed(".gitignore + dotenv"),
    kinds: Cow::Borrowed(&[FileKind::Dotenv, FileKind::Gitignore]),
    scope: EnvScope::Unscoped,
    security: true,
    precision: Precision::VeryHigh,
    default_enabled: true,
    options: None,
    help: Cow::Borrowed("ignore dotenv files in .gitignore (`.env`, `.env.*`, then `!.env.example`)"),
    docs: Cow::Borrowed(DOCS),
};

/// The root `.gitignore` must ignore these (RULES.md).
const MUST_IGNORE: [&str; 5] = [".env", ".env.local", ".env.prod", ".env.staging", ".env.production"];

pub struct DotenvNotIgnored;

impl Rule for DotenvNotIgnored {
    fn meta(&self) -> &RuleMeta {
        &META
    }

    fn check_project(&self, cx: &ProjectCx<'_>, out: &mut ProjectOut) {
        if !cx.is_repo {
            // Only worth saying when there is a dotenv file (or template) to judge.
            if cx.files.iter().any(|f| f.kind == FileKind::Dotenv) {
                out.warnings.push(format!(
                    "{}: not a git repository; whether dotenv files are ignored was not checked",
                    META.id
                ));
            }
            return;
        }
        for f in super::env_files(cx) {
            if cx.ignore.decide(Source::Git, &f.path, false) != Decision::None {
                continue; // ignored, or re-included on purpose
            }
            let state = if f.tracked { "is committed and" } else { "is not committed yet, but" };
            let spot = f.first_line.clone().unwrap_or_else(Spot::top);
            out.report(
                cx,
                &META,
                f,
                spot,
                format!("`{}` {state} git does not ignore it: a dotenv file holds real values", f.path),
                "file",
            );
        }
        let uses_dotenv = cx.files.iter().any(|f| f.kind == FileKind::Dotenv);
        if !uses_dotenv {
            return;
        }
        let missing: Vec<&str> =
            MUST_IGNORE.iter().copied().filter(|p| cx.ignore.decide(Source::Git, p, false) == Decision::None).collect();
        if missing.is_empty() {
            return;
        }
        let list = missing.iter().map(|m| format!("`{m}`")).collect::<Vec<_>>().join(", ");
        if let Some(g) = cx.file(".gitignore") {
            let spot = g.last_line.clone().unwrap_or_else(Spot::top);
            out.report(cx, &META, g, spot, format!("the root .gitignore does not ignore {list}"), "root");
        } else {
            let root = ProjectFile {
                path: ".gitignore".into(),
                kind: FileKind::Gitignore,
                tracked: false,
                reported: cx.report.includes(".gitignore"),
                env: None,
                first_line: None,
                last_line: None,
            };
            out.report(
                cx,
                &META,
                &root,
                Spot::top(),
                format!("the repository uses dotenv files but has no root .gitignore: {list} would be committed"),
                "root",
            );
        }
    }
}
