//! `dotenv-tracked`: a dotenv file that git tracks although `.gitignore` ignores it.

use std::borrow::Cow;

use crate::discover::FileKind;
use crate::engine::project::{ProjectCx, ProjectOut, Spot};
use crate::finding::Severity;
use crate::repo::Tracked;
use crate::repo::ignore::{Decision, Source};
use crate::rule::{EnvScope, Precision, Rule, RuleMeta};

const DOCS: &str = r"## What it does
Reports a dotenv file (not a template) that is in git's index although the
repository's ignore rules ignore it: it was committed before the ignore rule
was written, and `.gitignore` does nothing for a file git already tracks —
every change to it is committed too. The tracked set comes from
`git ls-files`; the ignore decision follows git's own rules.

When git cannot answer (git is not installed, or the folder is not a git
repository), the rule says once, as a warning, that it could not check — never
a silent pass.

## Why is this bad?
Everyone who reads the `.gitignore` believes the file is local, so real values
get written into it — and committed, and pushed.

## Example
```sh
$ git check-ignore -v --no-index .env.prod
.gitignore:3:.env*	.env.prod
$ git ls-files .env.prod
.env.prod
```

## How to fix
`git rm --cached <file>` and commit: the file stays on disk and leaves the
index. Then treat what it held as leaked: it is still in the history, so rotate
the credentials.
";

static META: RuleMeta = RuleMeta {
    id: Cow::Borrowed("dotenv-tracked"),
    severity: Severity::Error,
    summary: Cow::Borrowed("a dotenv file tracked by git although .gitignore ignores it"),
    formats: Cow::Borrowed("git index + dotenv"),
    kinds: Cow::Borrowed(&[FileKind::Dotenv]),
    scope: EnvScope::Unscoped,
    security: true,
    precision: Precision::VeryHigh,
    default_enabled: true,
    options: None,
    help: Cow::Borrowed("run `git rm --cached` on it and rotate what it holds: it is in the history"),
    docs: Cow::Borrowed(DOCS),
};

pub struct DotenvTracked;

impl Rule for DotenvTracked {
    fn meta(&self) -> &RuleMeta {
        &META
    }

    fn check_project(&self, cx: &ProjectCx<'_>, out: &mut ProjectOut) {
        if let Tracked::Unknown(why) = cx.tracked {
            // Only worth saying when there is a dotenv file to judge.
            if super::env_files(cx).next().is_some() {
                out.warnings.push(format!("{}: could not check which files git tracks: {why}", META.id));
            }
            return;
        }
        for f in super::env_files(cx).filter(|f| f.tracked) {
            let Decision::Ignored { pattern, file } = cx.ignore.decide(Source::Git, &f.path, false) else { continue };
            let by = if file.is_empty() { format!("`{pattern}`") } else { format!("`{pattern}` in {file}") };
            let spot = f.first_line.clone().unwrap_or_else(Spot::top);
            out.report(
                cx,
                &META,
                f,
                spot,
                format!("`{}` is tracked by git although {by} ignores it: changes to it are committed", f.path),
                "file",
            );
        }
    }
}
