//! `envlint envs`: every file, its kind and environment, and why.

use std::io::{self, Write};

use miette::{IntoDiagnostic, Report, miette};

use crate::cli::{EnvsArgs, ListFormat, WalkArgs};
use crate::discover::{FileKind, KindSource};
use crate::engine::FileRow;
use crate::{env, snippet};

/// `envlint envs`: every file's kind and environment, and why; `--env ENV` (no
/// `=`) and `--kind KIND` keep only matching files (and CI jobs).
pub fn run(args: &EnvsArgs, out: &mut dyn Write) -> Result<u8, Report> {
    let (forced, wanted_envs): (Vec<String>, Vec<String>) =
        args.walk.env.iter().cloned().partition(|e| e.contains('='));
    let walk = WalkArgs { env: forced, ..args.walk.clone() };
    let kinds = args
        .kind
        .iter()
        .map(|k| k.trim())
        .filter(|k| !k.is_empty())
        .map(|k| {
            FileKind::parse(k).ok_or_else(|| {
                let names: Vec<&str> = FileKind::ALL.iter().map(|k| k.as_str()).collect();
                let help = crate::config::did_you_mean(k, &names)
                    .map_or_else(|| format!("file kinds: {}", names.join(", ")), |c| format!("did you mean `{c}`?"));
                miette!(help = help, "--kind: unknown file kind `{}`", snippet::escape(k))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let p = super::prepare(&walk, &[])?;
    // `-` is "no environment", as the table shows it.
    let envs = wanted_envs
        .iter()
        .map(|e| match e.as_str() {
            "-" => Ok(None),
            name => p.settings.envs.resolve(name).map(Some).ok_or_else(|| {
                let names: Vec<&str> = p.settings.envs.names().collect();
                let help = crate::config::did_you_mean(name, &names).map_or_else(
                    || {
                        format!(
                            "known environments: {}, or `-` for none; to force one, write --env GLOB=ENV",
                            names.join(", ")
                        )
                    },
                    |c| format!("did you mean `{c}`?"),
                );
                miette!(help = help, "--env: unknown environment `{}`", snippet::escape(name))
            }),
        })
        .collect::<Result<Vec<Option<env::Env>>, _>>()?;
    let scan = super::run_scan(&p, false)?;
    let rows: Vec<FileRow> = scan.files.into_iter().filter_map(|f| keep(f, &kinds, &envs)).collect();
    write_envs(&rows, args.format, out).into_diagnostic()?;
    Ok(0)
}

/// The row if it passes the filters: its kind is one of `kinds`, and its
/// environment one of `envs` — for CI files, those of its jobs that are.
fn keep(mut f: FileRow, kinds: &[FileKind], envs: &[Option<env::Env>]) -> Option<FileRow> {
    if !kinds.is_empty() && !kinds.contains(&f.class.kind) {
        return None;
    }
    if envs.is_empty() {
        return Some(f);
    }
    if f.env.jobs.is_empty() {
        return envs.contains(&f.env.env).then_some(f);
    }
    f.env.jobs.retain(|j| envs.contains(&j.env));
    (!f.env.jobs.is_empty()).then_some(f)
}

/// `envlint envs`: one row per file (its kind and why, its environment and
/// why), and one indented row per CI job.
pub fn write_envs(files: &[FileRow], format: ListFormat, out: &mut dyn Write) -> io::Result<()> {
    if format == ListFormat::Json {
        #[derive(serde::Serialize)]
        struct Row<'a> {
            path: &'a str,
            kind: FileKind,
            kind_source: &'a KindSource,
            kind_reason: String,
            #[serde(flatten)]
            env: &'a env::FileEnv,
            reason: String,
        }
        let rows: Vec<Row> = files
            .iter()
            .map(|f| Row {
                path: &f.path,
                kind: f.class.kind,
                kind_source: &f.class.source,
                kind_reason: f.class.source.to_string(),
                env: &f.env,
                reason: f.env.source.to_string(),
            })
            .collect();
        serde_json::to_writer_pretty(&mut *out, &rows).map_err(io::Error::other)?;
        return writeln!(out);
    }
    let mut rows: Vec<[String; 5]> =
        vec![["PATH".into(), "KIND".into(), "KIND REASON".into(), "ENV".into(), "ENV REASON".into()]];
    for f in files {
        let env = &f.env;
        rows.push([
            snippet::escape(&f.path).into_owned(),
            f.class.kind.to_string(),
            snippet::escape(&f.class.source.to_string()).into_owned(),
            env.env.as_deref().unwrap_or("-").to_owned(),
            snippet::escape(&env.source.to_string()).into_owned(),
        ]);
        for job in &env.jobs {
            rows.push([
                format!("  job {}", snippet::escape(&job.job)),
                String::new(),
                String::new(),
                job.env.as_deref().unwrap_or("-").to_owned(),
                snippet::escape(&job.reason).into_owned(),
            ]);
        }
    }
    super::write_table(&rows, out)
}
