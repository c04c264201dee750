//! `env-key-drift`: the dotenv files of one folder disagree on their keys.

use std::borrow::Cow;
use std::collections::BTreeMap;

use crate::discover::FileKind;
use crate::finding::Severity;
use crate::formats::dotenv::{instance_of, is_overlay, is_template, template_stem};
use crate::rule::{Emitter, EnvScope, Loc, Precision, Rule, RuleMeta, UnitCx, UnitFile};
use crate::span::Span;

const DOCS: &str = r"## What it does
Compares the dotenv files of one folder (a *family*: `.env.example`,
`.env.staging`, `.env.production`, ...):

- with a template (`.env.example`, `.env.sample`, `.env.template`, `.env.dist`,
  `.env.defaults`), among the files it is a template of (`.env.example` for
  `.env` and `.env.*`, `api.env.example` for `api.env`): a key set in an env file but missing from the template is
  reported at that key; a key of the template missing from an env file is
  reported at the env file's first line, naming the key;
- without a template: among the files named for an environment
  (`.env.staging`, `.env.production`, ...), a key set in one but missing from
  another is reported at the first line of the file missing it, naming the key
  and the file that has it.

Local overlays (`.env.local`, `.env.production.local`) override a few keys on
one machine: they are not required to hold every key, but a key they add is
still compared with the template. The shared base `.env` is not compared with
environment files when there is no template (tools load it under them).

## Why is this bad?
A key missing from one environment's file silently takes the code's default in
that environment — often the unsafe one. A key missing from the template is a
setting nobody else knows exists.

## Example
```sh
# .env.example          # .env.production
DATABASE_URL=           DATABASE_URL=postgres://db.prod.internal/app
SAFE_MODE=              # SAFE_MODE missing: the code's default applies
```

## How to fix
Add the key where it is missing (empty in the template, with a comment saying
what it is), or delete it where it is no longer used.
";

static META: RuleMeta = RuleMeta {
    id: Cow::Borrowed("env-key-drift"),
    severity: Severity::Warning,
    summary: Cow::Borrowed("the dotenv files of one folder disagree on their keys"),
    formats: Cow::Borrowed("dotenv families"),
    kinds: Cow::Borrowed(&[FileKind::Dotenv]),
    scope: EnvScope::Any,
    security: false,
    precision: Precision::High,
    default_enabled: true,
    options: None,
    help: Cow::Borrowed("keep every environment's file and the template in step: add the key, or remove it everywhere"),
    docs: Cow::Borrowed(DOCS),
};

pub struct EnvKeyDrift;

/// A dotenv file of a family, parsed: its keys (first span of each).
struct Member<'a> {
    file: u32,
    path: &'a str,
    keys: BTreeMap<&'a str, Span>,
    env: Option<crate::env::Env>,
}

fn member(n: usize, f: &UnitFile) -> Option<Member<'_>> {
    let root = f.doc.as_ref()?.root()?;
    let mut keys = BTreeMap::new();
    for e in root.entries() {
        keys.entry(&*e.key.value).or_insert(e.key.span);
    }
    Some(Member { file: n as u32, path: &f.source.path, keys, env: f.env.env.clone() })
}

fn name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

impl Rule for EnvKeyDrift {
    fn meta(&self) -> &RuleMeta {
        &META
    }

    fn check_unit(&self, unit: &UnitCx<'_>, out: &mut Emitter<'_>) {
        // one family per folder
        let mut families: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (n, f) in unit.files.iter().enumerate().filter(|(_, f)| f.kind == FileKind::Dotenv) {
            let dir = f.source.path.rsplit_once('/').map_or("", |(d, _)| d);
            families.entry(dir).or_default().push(n);
        }
        for members in families.values() {
            let parsed: Vec<Member> = members.iter().filter_map(|&n| member(n, &unit.files[n])).collect();
            let (templates, envs): (Vec<&Member>, Vec<&Member>) = parsed.iter().partition(|m| is_template(m.path));
            if templates.is_empty() {
                without_template(&envs, out);
                continue;
            }
            // Each template with the files it is a template of (`.env.example` and
            // `.env.production`, not an unrelated `seed.env` beside them).
            let mut stems: Vec<String> = templates.iter().map(|t| template_stem(t.path)).collect();
            stems.sort();
            stems.dedup();
            for stem in &stems {
                let ts: Vec<&Member> = templates.iter().copied().filter(|t| template_stem(t.path) == *stem).collect();
                let es: Vec<&Member> = envs.iter().copied().filter(|e| instance_of(e.path, stem)).collect();
                with_template(&ts, &es, out);
            }
        }
    }
}

fn with_template(templates: &[&Member<'_>], envs: &[&Member<'_>], out: &mut Emitter<'_>) {
    let names = templates.iter().map(|t| format!("`{}`", name(t.path))).collect::<Vec<_>>().join(", ");
    let known = |key: &str| templates.iter().any(|t| t.keys.contains_key(key));
    for e in envs {
        for (key, span) in &e.keys {
            if !known(key) {
                out.report_in(
                    Loc { file: e.file, span: *span },
                    format!("`{key}` is set in `{}` but missing from the template {names}", name(e.path)),
                )
                .anchor(format!("extra {key}"))
                .env(e.env.clone());
            }
        }
        if is_overlay(e.path) {
            continue;
        }
        let first_line = Span::new(0, 0);
        let mut missing: Vec<(&str, &str)> = Vec::new();
        for t in templates {
            for key in t.keys.keys() {
                if !e.keys.contains_key(key) && !missing.iter().any(|(k, _)| k == key) {
                    missing.push((key, t.path));
                }
            }
        }
        for (key, from) in missing {
            out.report_in(
                Loc { file: e.file, span: first_line },
                format!("`{key}` from the template `{}` is missing from `{}`", name(from), name(e.path)),
            )
            .anchor(format!("missing {key}"))
            .env(e.env.clone());
        }
    }
}

fn without_template(envs: &[&Member<'_>], out: &mut Emitter<'_>) {
    // files named for an environment, not the shared base or local overlays
    let named: Vec<&&Member> =
        envs.iter().filter(|m| m.env.is_some() && name(m.path) != ".env" && !is_overlay(m.path)).collect();
    if named.len() < 2 {
        return;
    }
    for m in &named {
        for other in named.iter().filter(|o| o.file != m.file && o.env != m.env) {
            for key in other.keys.keys() {
                if !m.keys.contains_key(key) {
                    out.report_in(
                        Loc { file: m.file, span: Span::new(0, 0) },
                        format!(
                            "`{key}` is set in `{}` ({}) but missing from `{}` ({})",
                            name(other.path),
                            other.env.as_deref().unwrap_or("-"),
                            name(m.path),
                            m.env.as_deref().unwrap_or("-")
                        ),
                    )
                    .anchor(format!("missing {key} from {}", other.path))
                    .env(m.env.clone());
                }
            }
        }
    }
}
