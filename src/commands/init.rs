//! `envlint init`: write an `envlint.toml` for the layout found in a folder —
//! the environment folders inference found, as explicit globs, and every rule
//! option commented out with an example — without ever overwriting a file.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write;
use std::path::PathBuf;

use miette::{IntoDiagnostic, Report, miette};

use crate::cli::{InitArgs, WalkArgs};
use crate::config::CONFIG_NAMES;
use crate::engine::FileRow;
use crate::env::EnvSource;
use crate::rule::Rule;
use crate::snippet;

/// `envlint init [DIR]`: writes `DIR/envlint.toml`; exit 2 when a config exists there.
pub fn run(args: &InitArgs, out: &mut dyn Write, err: &mut dyn Write) -> Result<u8, Report> {
    let dir = args.dir.clone().unwrap_or_else(|| PathBuf::from("."));
    if !dir.is_dir() {
        return Err(miette!("cannot write a config into {}: not a folder", snippet::escape(&dir.to_string_lossy())));
    }
    for name in CONFIG_NAMES {
        let existing = dir.join(name);
        if existing.exists() {
            return Err(miette!(
                help = "edit it, or delete it to start again",
                "{} already exists; nothing was written",
                snippet::escape(&existing.to_string_lossy())
            ));
        }
    }
    let dir = std::fs::canonicalize(&dir).into_diagnostic()?;
    // The layout as a scan sees it: the defaults only, so that a config above
    // this folder does not leak into the one written here.
    let walk = WalkArgs { paths: vec![dir.clone()], config: None, env: Vec::new(), threads: None };
    let mut p = super::prepare(&walk, &[])?;
    p.settings = crate::config::Settings::defaults(&dir);
    p.settings.off_by_default =
        p.rules.iter().map(|r| r.meta()).filter(|m| !m.default_enabled).map(|m| m.id.to_string()).collect();
    let scan = super::run_scan(&p, false)?;
    let prefix = crate::repo::rel_path(&dir, &p.root);
    let text = render(&scan.files, &prefix, &p.rules);
    let path = dir.join(CONFIG_NAMES[0]);
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(|e| miette!("cannot write {}: {e}", snippet::escape(&path.to_string_lossy())))?;
    file.write_all(text.as_bytes()).into_diagnostic()?;
    let envs = environment_globs(&scan.files, &prefix);
    let found: Vec<&str> = envs.keys().map(String::as_str).collect();
    writeln!(
        err,
        "wrote {} ({} files; environment folders: {})",
        snippet::escape(&path.to_string_lossy()),
        scan.files.len(),
        if found.is_empty() { "none found".to_owned() } else { found.join(", ") }
    )
    .into_diagnostic()?;
    writeln!(out, "next: `envlint envs` shows every file's environment and why; `envlint scan` checks them")
        .into_diagnostic()?;
    Ok(0)
}

/// Globs for an environment, and whether every file under them already has
/// that environment (then writing them changes nothing but makes it explicit).
#[derive(Debug, Default, PartialEq, Eq)]
struct EnvGlobs {
    globs: Vec<String>,
    /// Files under the globs whose inferred environment is another (or none).
    conflicts: Vec<String>,
}

/// The folders whose name gave files their environment, as `folder/**` globs
/// relative to the config's folder (`prefix`, relative to the repository root).
fn environment_globs(files: &[FileRow], prefix: &str) -> BTreeMap<String, EnvGlobs> {
    let local = |path: &str| -> Option<String> {
        if prefix.is_empty() {
            Some(path.to_owned())
        } else {
            path.strip_prefix(prefix).and_then(|p| p.strip_prefix('/')).map(str::to_owned)
        }
    };
    let mut out: BTreeMap<String, EnvGlobs> = BTreeMap::new();
    for f in files {
        let (Some(env), EnvSource::PathSegment { segment }) = (&f.env.env, &f.env.source) else { continue };
        let Some(path) = local(&f.path) else { continue };
        let parts: Vec<&str> = path.split('/').collect();
        let Some(i) = parts[..parts.len().saturating_sub(1)].iter().rposition(|p| p == segment) else { continue };
        let glob = format!("{}/**", parts[..=i].join("/"));
        let entry = out.entry(env.to_string()).or_default();
        if !entry.globs.contains(&glob) {
            entry.globs.push(glob);
        }
    }
    for (env, e) in &mut out {
        e.globs.sort();
        for f in files {
            let Some(path) = local(&f.path) else { continue };
            let under = e.globs.iter().any(|g| path.starts_with(g.trim_end_matches("**")));
            if under && f.env.env.as_deref() != Some(env.as_str()) && f.env.jobs.is_empty() {
                e.conflicts.push(path);
            }
        }
    }
    out
}

/// The rule-options examples of every rule that takes options: the
/// `[rules.<id>]` TOML block of its docs.
fn option_examples(rules: &[Box<dyn Rule>]) -> Vec<String> {
    let mut out = Vec::new();
    for meta in rules.iter().map(|r| r.meta()).filter(|m| m.options.is_some()) {
        let header = format!("[rules.{}]", meta.id);
        let mut in_block = false;
        let mut block = String::new();
        for line in meta.docs.lines() {
            if line.trim_start().starts_with("```") {
                if in_block && block.contains(&header) {
                    break;
                }
                in_block = line.trim() == "```toml";
                block.clear();
                continue;
            }
            if in_block {
                block.push_str(line);
                block.push('\n');
            }
        }
        if block.contains(&header) {
            out.push(block);
        }
    }
    out
}

fn commented(text: &str) -> String {
    text.lines().map(|l| if l.is_empty() { "#\n".to_owned() } else { format!("# {l}\n") }).collect()
}

/// The config text.
fn render(files: &[FileRow], prefix: &str, rules: &[Box<dyn Rule>]) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# envlint configuration, written by `envlint init` {}.", env!("CARGO_PKG_VERSION"));
    s.push_str(
        "# Reference: the README's \"Configuration\" section. Unknown keys are errors, so a typo\n\
         # cannot silently turn a rule off. `envlint envs` shows what each file is and why.\n\n\
         # policies = [\"policies\"]   # your own YAML/Rego policies (folders or files)\n\n",
    );
    s.push_str("[environments]\n");
    let envs = environment_globs(files, prefix);
    if envs.is_empty() {
        s.push_str(
            "# No folder named after an environment was found. Environments still come from file\n\
             # names (.env.production, docker-compose.prod.yml, prod.tfvars) and from what files say.\n\
             # prod = [\"deploy/live/**\"]\n",
        );
    } else {
        s.push_str(
            "# The folders whose names gave files their environment, made explicit. Globs win over\n\
             # inference; file names (.env.production, prod.tfvars) are still read without them.\n",
        );
    }
    for (env, e) in &envs {
        let list = e.globs.iter().map(|g| format!("{g:?}")).collect::<Vec<_>>().join(", ");
        if e.conflicts.is_empty() {
            let _ = writeln!(s, "{env} = [{list}]");
        } else {
            let shown: Vec<&str> = e.conflicts.iter().take(3).map(String::as_str).collect();
            let _ = writeln!(
                s,
                "# Left commented: it would also make {} {env} (e.g. {}).\n# {env} = [{list}]",
                if e.conflicts.len() == 1 { "1 file".to_owned() } else { format!("{} files", e.conflicts.len()) },
                shown.join(", ")
            );
        }
    }
    s.push_str(
        "\n# [environments.aliases]\n# prod = [\"production\", \"prd\", \"live\"]\n\
         # [environments.accounts]              # AWS account IDs, for cross-env-reference\n\
         # prod = [\"111111111111\"]\n\n",
    );
    s.push_str(
        "[rules]\n# select = [\"*\"]\n# ignore = [\"prod-verbose-logging\"]\n\n\
         # [rules.severity]\n# env-key-drift = \"error\"\n\n",
    );
    for block in option_examples(rules).iter().filter(|b| !b.contains("[rules.required-env-keys]")) {
        s.push_str(&commented(block.trim_end()));
        s.push('\n');
    }
    s.push_str(
        "# Safety flags every configuration of a known environment must set (the\n\
         # required-env-keys rule checks nothing until keys are given):\n\
         # [rules.required-env-keys]\n\
         # keys = [\"SAFE_MODE\", \"AUTOMATION_ENABLED\"]\n\
         # [rules.required-env-keys.env.prod]      # more for one environment\n\
         # keys = [\"PAYOUTS_*\"]\n\n",
    );
    s.push_str(
        "# [secrets]\n# allow = [\"EXAMPLE_[A-Z0-9]+\"]      # regexes for known-fake values\n\n\
         # [[overrides]]                        # per-path rule selection, globs relative to this file\n\
         # paths = [\"tests/fixtures/**\"]\n# ignore = [\"committed-secret\"]\n",
    );
    s
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::discover::{Classified, FileKind, KindSource};
    use crate::env::FileEnv;

    fn row(path: &str, env: Option<&str>, source: EnvSource) -> FileRow {
        FileRow {
            path: Arc::from(path),
            class: Classified { kind: FileKind::Other, source: KindSource::Default },
            env: FileEnv { env: env.map(Arc::from), source, jobs: Vec::new() },
        }
    }

    fn seg(s: &str) -> EnvSource {
        EnvSource::PathSegment { segment: s.into() }
    }

    #[test]
    fn globs_come_from_the_folders_that_named_the_environment() {
        let files = [
            row("infra/environments/prod/main.tf", Some("prod"), seg("prod")),
            row("infra/environments/prod/app/x.tf", Some("prod"), seg("prod")),
            row("live/production/.env", Some("prod"), seg("production")),
            row("infra/environments/staging/main.tf", Some("staging"), seg("staging")),
            row("infra/environments/staging/.env.dev", Some("dev"), EnvSource::FileName { token: "dev".into() }),
            row(".env.production", Some("prod"), EnvSource::FileName { token: "production".into() }),
        ];
        let globs = environment_globs(&files, "");
        assert_eq!(globs["prod"].globs, ["infra/environments/prod/**", "live/production/**"]);
        assert!(globs["prod"].conflicts.is_empty());
        assert_eq!(globs["staging"].globs, ["infra/environments/staging/**"]);
        assert_eq!(globs["staging"].conflicts, ["infra/environments/staging/.env.dev"]);
        assert!(!globs.contains_key("dev"));
        // from a subfolder: relative to it, files elsewhere left out
        let globs = environment_globs(&files, "infra");
        assert_eq!(globs["prod"].globs, ["environments/prod/**"]);
        assert_eq!(globs.len(), 2);
    }

    #[test]
    fn the_written_config_parses_with_every_option_example_uncommented() {
        let rules = crate::rules::builtin();
        let files = [
            row("environments/prod/main.tf", Some("prod"), seg("prod")),
            row("environments/staging/main.tf", Some("staging"), seg("staging")),
            row("environments/staging/.env.dev", Some("dev"), EnvSource::FileName { token: "dev".into() }),
        ];
        let text = render(&files, "", &rules);
        assert!(text.contains("prod = [\"environments/prod/**\"]\n"), "{text}");
        assert!(text.contains("# staging = [\"environments/staging/**\"]\n"), "{text}");
        assert!(text.contains("# [rules.prod-db-not-replica]\n"), "{text}");
        assert!(text.contains("# [rules.required-env-keys]\n# keys = [\"SAFE_MODE\", \"AUTOMATION_ENABLED\"]\n"));
        let known: Vec<crate::config::KnownRule> =
            rules.iter().map(|r| crate::config::KnownRule::of(r.meta())).collect();
        let parse = |t: &str| crate::config::parse(t, "envlint.toml", std::path::Path::new("/r"), &known);
        assert!(parse(&text).is_ok(), "{text}");
        // each rule's example, uncommented, is a valid config of its own
        for block in option_examples(&rules) {
            assert!(parse(&block).is_ok(), "{block}");
        }
        assert!(!option_examples(&rules).is_empty());
    }
}
