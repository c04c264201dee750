//! `envlint envs`: every file, its kind and environment, and why.

use std::io::{self, Write};

use miette::{IntoDiagnostic, Report};

use crate::cli::{ListFormat, WalkArgs};
use crate::discover::{FileKind, KindSource};
use crate::engine::FileRow;
use crate::{env, snippet};

/// `envlint envs`: every file's kind and environment, and why.
pub fn run(walk: &WalkArgs, format: ListFormat, out: &mut dyn Write) -> Result<u8, Report> {
    let p = super::prepare(walk, &[])?;
    let scan = super::run_scan(&p, false)?;
    write_envs(&scan.files, format, out).into_diagnostic()?;
    Ok(0)
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
