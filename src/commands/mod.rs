//! The subcommands, one file each; this module resolves what they share: the
//! repository, the report set, the config and the rules.

pub mod baseline;
pub mod envs;
pub mod init;
pub mod policy_test;
mod progress;
pub mod rules;
pub mod scan;

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use miette::{IntoDiagnostic, Report, miette};

use crate::cli::WalkArgs;
use crate::config::{self, KnownRule, Settings};
use crate::engine::{self, ReportSet, ScanInput, ScanOutput};
use crate::rule::Rule;
use crate::{env, policy, repo, snippet};

/// The built-in rules plus the user policies of the config found from the
/// current directory, for `rules` and `explain`.
pub(crate) fn cwd_rules() -> Result<Vec<Box<dyn Rule>>, Report> {
    let cwd = std::env::current_dir().into_diagnostic()?;
    let config = config::find(&cwd);
    Ok(load_config_and_policies(config.as_deref(), &cwd, &[])?.1)
}

/// Everything resolved from the walk arguments.
pub(crate) struct Prepared {
    /// The context root: the repository root, else the scanned folder.
    root: PathBuf,
    /// What was named: what the scan reports.
    report: ReportSet,
    tracked: repo::Tracked,
    settings: Settings,
    env_flags: Vec<(String, globset::GlobMatcher, env::Env)>,
    threads: usize,
    /// The built-in rules and the loaded user policies.
    rules: Vec<Box<dyn Rule>>,
    /// Text from standard input and the path it is judged as.
    stdin: Option<engine::Stdin>,
}

/// Loads the user policies (the config's `policies`, then `extra`), checking
/// their IDs against the built-in rules, then the config itself, whose rule
/// selectors may name policy IDs. Returns the settings and every rule.
pub(crate) fn load_config_and_policies(
    config_path: Option<&Path>,
    dir: &Path,
    extra: &[PathBuf],
) -> Result<(Settings, Vec<Box<dyn Rule>>), Report> {
    let mut rules = crate::rules::builtin();
    let mut policy_paths = config_path.map(config::policy_paths).unwrap_or_default();
    policy_paths.extend(extra.iter().cloned());
    let taken: Vec<&str> = rules.iter().map(|r| &*r.meta().id).collect();
    let user = policy::load_paths(&policy_paths, &taken)?;
    let mut known: Vec<KnownRule> = rules.iter().map(|r| KnownRule::of(r.meta())).collect();
    known.extend(user.iter().map(|u| KnownRule::plain(u.id())));
    let mut settings = match config_path {
        Some(path) => config::load(path, &known)?,
        None => Settings::defaults(dir),
    };
    for p in &user {
        p.check_envs(&settings.envs)?;
    }
    rules.extend(user.into_iter().map(policy::UserPolicy::into_rule));
    settings.off_by_default =
        rules.iter().map(|r| r.meta()).filter(|m| !m.default_enabled).map(|m| m.id.to_string()).collect();
    Ok((settings, rules))
}

pub(crate) fn prepare(walk: &WalkArgs, extra_policies: &[PathBuf]) -> Result<Prepared, Report> {
    prepare_with(walk, extra_policies, None)
}

/// [`prepare`]; with `stdin`, the walk's only path is where the text read from
/// standard input is judged (the file need not exist).
pub(crate) fn prepare_with(
    walk: &WalkArgs,
    extra_policies: &[PathBuf],
    stdin: Option<Vec<u8>>,
) -> Result<Prepared, Report> {
    let given = if walk.paths.is_empty() { vec![PathBuf::from(".")] } else { walk.paths.clone() };
    let mut paths = Vec::with_capacity(given.len());
    for p in &given {
        let abs = if stdin.is_some() {
            virtual_path(p)
        } else {
            std::fs::canonicalize(p).map_err(|e| miette!("cannot scan {}: {e}", snippet::escape(&p.to_string_lossy())))
        }?;
        paths.push(abs);
    }
    let cwd = std::env::current_dir().into_diagnostic()?;
    let cwd = std::fs::canonicalize(&cwd).unwrap_or(cwd);
    let dir_of =
        |p: &Path| if p.is_dir() { p.to_path_buf() } else { p.parent().map_or_else(|| cwd.clone(), Path::to_path_buf) };
    // The repository around the current directory when every path is in it
    // (pre-commit), else the one around the first path; without a repository,
    // the scanned folder (for files: the folder that holds them all).
    let repo_root = repo::find_root(&cwd)
        .filter(|r| paths.iter().all(|p| p.starts_with(r)))
        .or_else(|| repo::find_root(&dir_of(&paths[0])));
    let root = repo_root.clone().unwrap_or_else(|| {
        let mut common = dir_of(&paths[0]);
        while !paths.iter().all(|p| p.starts_with(&common)) {
            match common.parent() {
                Some(parent) => common = parent.to_path_buf(),
                None => break,
            }
        }
        common
    });
    if !root.is_dir() {
        return Err(miette!(
            "cannot scan {}: its folder does not exist and is in no repository",
            snippet::escape(&given[0].to_string_lossy())
        ));
    }
    let mut report = ReportSet::default();
    for (abs, shown) in paths.iter().zip(&given) {
        if !abs.starts_with(&root) {
            return Err(miette!(
                help = "scan each repository on its own",
                "{} is outside the repository at {}",
                snippet::escape(&shown.to_string_lossy()),
                snippet::escape(&root.to_string_lossy())
            ));
        }
        let rel = repo::rel_path(abs, &root);
        if abs.is_dir() {
            report.dirs.push(rel);
        } else {
            report.files.insert(rel);
        }
    }
    let tracked = match &repo_root {
        Some(r) => repo::git::tracked(r),
        None => repo::Tracked::Unknown("not a git repository".into()),
    };
    // The config nearest to what was named (the current directory for several paths).
    let config_start = match paths.as_slice() {
        [one] => dir_of(one),
        _ => cwd.clone(),
    };
    let config_path = walk.config.clone().or_else(|| config::find(&config_start));
    let (settings, rules) = load_config_and_policies(config_path.as_deref(), &root, extra_policies)?;
    let mut env_flags = Vec::new();
    for flag in &walk.env {
        let (glob, env) = flag.rsplit_once('=').ok_or_else(|| {
            miette!(help = "write it as --env 'deploy/prod/**=prod'", "invalid --env `{flag}`: expected GLOB=ENV")
        })?;
        let Some(canonical) = settings.envs.resolve(env) else {
            let names: Vec<&str> = settings.envs.names().collect();
            return Err(miette!(
                help = format!("known environments: {}", names.join(", ")),
                "invalid --env `{flag}`: unknown environment `{env}`"
            ));
        };
        let matcher = crate::glob::matcher(glob)
            .map_err(|e| miette!("invalid --env glob `{}`: {e}", crate::glob::shown(glob)))?;
        env_flags.push((glob.to_owned(), matcher, canonical));
    }
    let threads =
        walk.threads.filter(|&n| n > 0).unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from));
    let stdin = match (stdin, report.files.first()) {
        (Some(bytes), Some(rel)) => Some(engine::Stdin { rel: rel.clone(), bytes: bytes.into() }),
        _ => None,
    };
    Ok(Prepared { root, report, tracked, settings, env_flags, threads, rules, stdin })
}

/// The absolute path `p` names, whether or not it exists: its longest existing
/// ancestor made canonical, then the rest as written.
fn virtual_path(p: &Path) -> Result<PathBuf, Report> {
    let shown = || snippet::escape(&p.to_string_lossy()).into_owned();
    if p.file_name().is_none() {
        return Err(miette!("invalid --stdin-filename {}: expected a file path", shown()));
    }
    // `..` taken lexically: the file need not exist, nor its folders.
    let mut abs = PathBuf::new();
    for c in std::path::absolute(p).map_err(|e| miette!("invalid --stdin-filename {}: {e}", shown()))?.components() {
        match c {
            std::path::Component::ParentDir => {
                abs.pop();
            }
            std::path::Component::CurDir => {}
            c => abs.push(c),
        }
    }
    let mut existing = abs.as_path();
    let mut rest = Vec::new();
    while !existing.exists() {
        rest.push(existing.file_name().unwrap_or_default().to_owned());
        existing = existing.parent().ok_or_else(|| miette!("invalid --stdin-filename {}", shown()))?;
    }
    let mut out = std::fs::canonicalize(existing).map_err(|e| miette!("invalid --stdin-filename {}: {e}", shown()))?;
    if out.is_dir() && rest.is_empty() {
        return Err(miette!("invalid --stdin-filename {}: it is a folder", shown()));
    }
    out.extend(rest.iter().rev());
    Ok(out)
}

pub(crate) fn run_scan(p: &Prepared, run_rules: bool) -> Result<ScanOutput, Report> {
    run_scan_with(p, run_rules, None)
}

/// [`run_scan`], counting files done in `progress`.
pub(crate) fn run_scan_with(
    p: &Prepared,
    run_rules: bool,
    progress: Option<&engine::Progress>,
) -> Result<ScanOutput, Report> {
    let input = ScanInput {
        root: &p.root,
        report: &p.report,
        tracked: &p.tracked,
        threads: p.threads,
        env_flags: &p.env_flags,
        run_rules,
        stdin: p.stdin.as_ref(),
        progress,
    };
    // Large stacks: parsers and policies recurse (each bounds its depth).
    let pool = rayon::ThreadPoolBuilder::new().num_threads(p.threads).stack_size(16 << 20).build().into_diagnostic()?;
    Ok(pool.install(|| engine::scan(&input, &p.settings, &p.rules)))
}

/// Aligned columns, two spaces apart; the last column is not padded.
pub(crate) fn write_table<const N: usize>(rows: &[[String; N]], out: &mut dyn Write) -> io::Result<()> {
    let mut widths = [0usize; N];
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row.iter()) {
            *w = (*w).max(cell.chars().count());
        }
    }
    for row in rows {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i + 1 == N {
                line.push_str(cell);
            } else {
                let pad = widths[i] - cell.chars().count();
                line.push_str(cell);
                line.extend(std::iter::repeat_n(' ', pad + 2));
            }
        }
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}
