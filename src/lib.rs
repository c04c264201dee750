//! envlint: an environment-aware infrastructure policy checker and `IaC` linter.
//!
//! [`run`] is the whole program; `main.rs` only supplies arguments and streams.

pub mod cli;
pub mod config;
pub mod diag;
pub mod discover;
pub mod engine;
pub mod env;
pub mod finding;
pub mod formats;
pub mod glob;
pub mod model;
pub mod parse;
pub mod policy;
pub mod redact;
pub mod report;
pub mod rule;
pub mod rules;
pub mod secrets;
pub mod source;
pub mod span;

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use miette::{IntoDiagnostic, Report, miette};

use crate::cli::{Cli, Command, FailOn, ListFormat, PolicyCommand, WalkArgs};
use crate::config::{RulePattern, Settings};
use crate::discover::FileKind;
use crate::engine::{ScanInput, ScanOutput};
use crate::finding::Severity;
use crate::report::Format;
use crate::rule::Rule;

/// What the binary knows about its terminal.
#[derive(Clone, Copy, Debug, Default)]
pub struct Terminal {
    /// Colour on stdout.
    pub color: bool,
    /// Colour on stderr.
    pub stderr_color: bool,
}

/// Runs a command; returns the exit code (0 clean, 1 findings), or an error
/// that the caller prints and maps to exit code 2.
pub fn run(cli: Cli, term: Terminal, out: &mut dyn Write, err: &mut dyn Write) -> Result<u8, Report> {
    match cli.command {
        Command::Scan(args) => cmd_scan(&args, term, out, err),
        Command::Envs(args) => cmd_envs(&args.walk, args.format, out),
        Command::Rules(args) => write_rules(&cwd_rules()?, args.format, out).map(|()| 0).into_diagnostic(),
        Command::Explain { id } => explain(&cwd_rules()?, &id, out),
        Command::Policy(PolicyCommand::Test(args)) => cmd_policy_test(&args, out),
    }
}

/// The built-in rules plus the user policies of the config found from the
/// current directory, for `rules` and `explain`.
fn cwd_rules() -> Result<Vec<Box<dyn Rule>>, Report> {
    let cwd = std::env::current_dir().into_diagnostic()?;
    let config = config::find(&cwd);
    Ok(load_config_and_policies(config.as_deref(), &cwd, &[])?.1)
}

/// Everything resolved from the walk arguments.
struct Prepared {
    paths: Vec<PathBuf>,
    root: PathBuf,
    repo_root: Option<PathBuf>,
    settings: Settings,
    env_flags: Vec<(String, globset::GlobMatcher, env::Env)>,
    threads: usize,
    /// The built-in rules and the loaded user policies.
    rules: Vec<Box<dyn Rule>>,
}

/// Loads the user policies (the config's `policies`, then `extra`), checking
/// their IDs against the built-in rules, then the config itself, whose rule
/// selectors may name policy IDs. Returns the settings and every rule.
fn load_config_and_policies(
    config_path: Option<&Path>,
    dir: &Path,
    extra: &[PathBuf],
) -> Result<(Settings, Vec<Box<dyn Rule>>), Report> {
    let mut rules = rules::builtin();
    let mut policy_paths = config_path.map(config::policy_paths).unwrap_or_default();
    policy_paths.extend(extra.iter().cloned());
    let taken: Vec<&str> = rules.iter().map(|r| &*r.meta().id).collect();
    let user = policy::load_paths(&policy_paths, &taken)?;
    let mut known: Vec<&str> = taken.clone();
    known.extend(user.iter().map(policy::UserPolicy::id));
    let settings = match config_path {
        Some(path) => config::load(path, &known)?,
        None => Settings::defaults(dir),
    };
    for p in &user {
        p.check_envs(&settings.envs)?;
    }
    rules.extend(user.into_iter().map(policy::UserPolicy::into_rule));
    Ok((settings, rules))
}

fn prepare(walk: &WalkArgs, extra_policies: &[PathBuf]) -> Result<Prepared, Report> {
    let given = if walk.paths.is_empty() { vec![PathBuf::from(".")] } else { walk.paths.clone() };
    let mut paths = Vec::with_capacity(given.len());
    for p in &given {
        let abs = std::fs::canonicalize(p).map_err(|e| miette!("cannot scan {}: {e}", p.display()))?;
        paths.push(abs);
    }
    let cwd = std::env::current_dir().into_diagnostic()?;
    let cwd = std::fs::canonicalize(&cwd).unwrap_or(cwd);
    // One directory: itself. One file: its repository's root, else the current
    // directory if the file is below it, else its folder.
    // Several paths (pre-commit): the repository around the current directory.
    let root = match paths.as_slice() {
        [one] if one.is_dir() => one.clone(),
        [one] => match one.parent() {
            Some(dir) => discover::repo_root(dir)
                .unwrap_or_else(|| if one.starts_with(&cwd) { cwd.clone() } else { dir.to_path_buf() }),
            None => cwd.clone(),
        },
        _ => discover::repo_root(&cwd).unwrap_or(cwd),
    };
    let repo_root = discover::repo_root(&root);
    let config_path = walk.config.clone().or_else(|| config::find(&root));
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
    Ok(Prepared { paths, root, repo_root, settings, env_flags, threads, rules })
}

fn run_scan(p: &Prepared, run_rules: bool) -> Result<ScanOutput, Report> {
    let input = ScanInput {
        paths: &p.paths,
        root: &p.root,
        repo_root: p.repo_root.as_deref(),
        threads: p.threads,
        env_flags: &p.env_flags,
        run_rules,
    };
    let pool = rayon::ThreadPoolBuilder::new().num_threads(p.threads).build().into_diagnostic()?;
    Ok(pool.install(|| engine::scan(&input, &p.settings, &p.rules)))
}

fn cmd_scan(args: &cli::ScanArgs, term: Terminal, out: &mut dyn Write, err: &mut dyn Write) -> Result<u8, Report> {
    let mut p = prepare(&args.walk, &args.policies)?;
    let known: Vec<String> = p.rules.iter().map(|r| r.meta().id.to_string()).collect();
    let known: Vec<&str> = known.iter().map(String::as_str).collect();
    let parse_list = |list: &[String], flag: &str| -> Result<Vec<RulePattern>, Report> {
        list.iter()
            .filter(|s| !s.is_empty())
            .map(|s| {
                RulePattern::parse(s.trim(), &known)
                    .map_err(|m| miette!(help = "run `envlint rules` to list rule IDs", "{flag}: {m}"))
            })
            .collect()
    };
    let select = parse_list(&args.select, "--select")?;
    if !select.is_empty() {
        p.settings.select = select;
    }
    p.settings.ignore.extend(parse_list(&args.ignore, "--ignore")?);

    let scan = run_scan(&p, true)?;
    for w in &scan.warnings {
        writeln!(err, "warning: {w}").into_diagnostic()?;
    }
    let mut file;
    let sink: &mut dyn Write = match &args.output {
        Some(path) => {
            file = io::BufWriter::new(
                std::fs::File::create(path).map_err(|e| miette!("cannot write {}: {e}", path.display()))?,
            );
            &mut file
        }
        None => out,
    };
    match args.format {
        Format::Human => {
            let color = args.output.is_none() && term.color;
            report::human::render(&scan, report::human::Style { color, width: 100 }, sink).into_diagnostic()?;
        }
        Format::Json => report::json::render(&scan, sink).into_diagnostic()?,
        Format::Sarif => {
            // The rules that ran: enabled globally, or by an override (then they reported).
            let ran: Vec<report::sarif::RanRule> = p
                .rules
                .iter()
                .map(|r| r.meta())
                .filter(|m| p.settings.rule_enabled(&m.id) || scan.findings.iter().any(|f| *f.rule == *m.id))
                .map(|meta| report::sarif::RanRule {
                    meta,
                    severity: p.settings.severity.get(&*meta.id).copied().unwrap_or(meta.severity),
                })
                .collect();
            let opts = report::sarif::Options { category: args.sarif_category.as_deref(), ..Default::default() };
            report::sarif::render(&scan, &ran, &opts, sink).into_diagnostic()?;
        }
        Format::Gitlab => report::gitlab::render(&scan, sink).into_diagnostic()?,
        Format::Github => report::github::render(&scan, sink).into_diagnostic()?,
    }
    sink.flush().into_diagnostic()?;
    if args.output.is_some() || args.format != Format::Human {
        writeln!(err, "{}", report::summary_line(&scan)).into_diagnostic()?;
    }
    let threshold = match args.fail_on {
        FailOn::Error => Some(Severity::Error),
        FailOn::Warning => Some(Severity::Warning),
        FailOn::Note => Some(Severity::Note),
        FailOn::Never => None,
    };
    let failed = threshold.is_some_and(|t| scan.findings.iter().any(|f| f.severity >= t));
    Ok(u8::from(failed))
}

fn cmd_envs(walk: &WalkArgs, format: ListFormat, out: &mut dyn Write) -> Result<u8, Report> {
    let p = prepare(walk, &[])?;
    let scan = run_scan(&p, false)?;
    write_envs(&scan.files, format, out).into_diagnostic()?;
    Ok(0)
}

/// `envlint envs`: one row per file, and one indented row per CI job.
pub fn write_envs(
    files: &[(Arc<str>, FileKind, env::FileEnv)],
    format: ListFormat,
    out: &mut dyn Write,
) -> io::Result<()> {
    if format == ListFormat::Json {
        #[derive(serde::Serialize)]
        struct Row<'a> {
            path: &'a str,
            kind: FileKind,
            #[serde(flatten)]
            env: &'a env::FileEnv,
            reason: String,
        }
        let rows: Vec<Row> = files
            .iter()
            .map(|(path, kind, env)| Row { path, kind: *kind, env, reason: env.source.to_string() })
            .collect();
        serde_json::to_writer_pretty(&mut *out, &rows).map_err(io::Error::other)?;
        return writeln!(out);
    }
    let mut rows: Vec<[String; 4]> = vec![["PATH".into(), "KIND".into(), "ENV".into(), "REASON".into()]];
    for (path, kind, env) in files {
        rows.push([
            path.to_string(),
            kind.to_string(),
            env.env.as_deref().unwrap_or("-").to_owned(),
            env.source.to_string(),
        ]);
        for job in &env.jobs {
            rows.push([
                format!("  job {}", job.job),
                String::new(),
                job.env.as_deref().unwrap_or("-").to_owned(),
                job.reason.clone(),
            ]);
        }
    }
    write_table(&rows, out)
}

fn write_table(rows: &[[String; 4]], out: &mut dyn Write) -> io::Result<()> {
    let mut widths = [0usize; 3];
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row.iter()) {
            *w = (*w).max(cell.chars().count());
        }
    }
    for row in rows {
        let line = format!(
            "{:w0$}  {:w1$}  {:w2$}  {}",
            row[0],
            row[1],
            row[2],
            row[3],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2]
        );
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}

/// `envlint rules`.
pub fn write_rules(rules: &[Box<dyn Rule>], format: ListFormat, out: &mut dyn Write) -> io::Result<()> {
    if format == ListFormat::Json {
        #[derive(serde::Serialize)]
        struct Row<'a> {
            id: &'a str,
            severity: Severity,
            summary: &'a str,
            formats: &'a str,
            envs: &'a str,
            help: &'a str,
            docs: &'a str,
        }
        let rows: Vec<Row> = rules
            .iter()
            .map(|r| {
                let m = r.meta();
                Row {
                    id: &m.id,
                    severity: m.severity,
                    summary: &m.summary,
                    formats: &m.formats,
                    envs: &m.envs,
                    help: &m.help,
                    docs: &m.docs,
                }
            })
            .collect();
        serde_json::to_writer_pretty(&mut *out, &rows).map_err(io::Error::other)?;
        return writeln!(out);
    }
    let mut rows = vec![["ID".into(), "SEVERITY".into(), "ENV".into(), "SUMMARY".into()]];
    rows.extend(rules.iter().map(|r| {
        let m = r.meta();
        [m.id.to_string(), m.severity.to_string(), m.envs.to_string(), format!("{} ({})", m.summary, m.formats)]
    }));
    write_table(&rows, out)
}

fn explain(rules: &[Box<dyn Rule>], id: &str, out: &mut dyn Write) -> Result<u8, Report> {
    let Some(rule) = rules.iter().find(|r| r.meta().id == id) else {
        let close: Vec<&str> =
            rules.iter().map(|r| &*r.meta().id).filter(|r| r.contains(id) || id.contains(*r)).collect();
        let help = if close.is_empty() {
            "run `envlint rules` to list rule IDs".to_owned()
        } else {
            format!("did you mean: {}", close.join(", "))
        };
        return Err(miette!(help = help, "unknown rule `{id}`"));
    };
    let m = rule.meta();
    writeln!(
        out,
        "# {}\n\n{}\n\nSeverity: {} · Formats: {} · Environments: {}\n\n{}",
        m.id,
        m.summary,
        m.severity,
        m.formats,
        m.envs,
        m.docs.trim_end()
    )
    .into_diagnostic()?;
    Ok(0)
}

/// Convenience for tests and embedders: the scan root of a single directory.
pub fn scan_dir(dir: &Path) -> Result<ScanOutput, Report> {
    let walk = WalkArgs { paths: vec![dir.to_path_buf()], config: None, env: Vec::new(), threads: Some(1) };
    let p = prepare(&walk, &[])?;
    run_scan(&p, true)
}

/// `envlint policy test`: the embedded test cases of the policies at the given
/// paths, or of the built-in policies and the config's when none are given.
/// Exit 0 when every case passes, 1 when one fails; a malformed policy is an error (2).
fn cmd_policy_test(args: &cli::PolicyTestArgs, out: &mut dyn Write) -> Result<u8, Report> {
    let cwd = std::env::current_dir().into_diagnostic()?;
    let config_path = args.config.clone().or_else(|| config::find(&cwd));
    let taken: Vec<String> = rules::builtin().iter().map(|r| r.meta().id.to_string()).collect();
    let taken: Vec<&str> = taken.iter().map(String::as_str).collect();
    let mut policies = Vec::new();
    let given: Vec<PathBuf> = args.paths.iter().chain(&args.policies).cloned().collect();
    let user_paths = if given.is_empty() {
        policies.extend(policy::builtin().into_iter().map(policy::UserPolicy::Yaml));
        config_path.as_deref().map(config::policy_paths).unwrap_or_default()
    } else {
        given
    };
    let user = policy::load_paths(&user_paths, &taken)?;
    let mut known = taken.clone();
    known.extend(user.iter().map(policy::UserPolicy::id));
    let settings = match &config_path {
        Some(path) => config::load(path, &known)?,
        None => Settings::defaults(&cwd),
    };
    for p in &user {
        p.check_envs(&settings.envs)?;
    }
    policies.extend(user);
    let summary = policy::test::run_all(&policies, &settings, out).into_diagnostic()?;
    Ok(u8::from(summary.failed > 0))
}
