//! `envlint envs`: every file, its kind and environment, and why.

use std::io::{self, Write};

use miette::{IntoDiagnostic, Report};

use crate::cli::{ListFormat, WalkArgs};
use crate::discover::FileKind;
use crate::engine::FileRow;
use crate::{env, snippet};

/// `envlint envs`: every file's kind and environment, and why.
pub fn run(walk: &WalkArgs, format: ListFormat, out: &mut dyn Write) -> Result<u8, Report> {
    let p = super::prepare(walk, &[])?;
    let scan = super::run_scan(&p, false)?;
    write_envs(&scan.files, format, out).into_diagnostic()?;
    Ok(0)
}

/// `envlint envs`: one row per file, and one indented row per CI job.
pub fn write_envs(files: &[FileRow], format: ListFormat, out: &mut dyn Write) -> io::Result<()> {
    if format == ListFormat::Json {
        #[derive(serde::Serialize)]
        struct Row<'a> {
            path: &'a str,
            kind: FileKind,
            #[serde(skip_serializing_if = "Option::is_none")]
            kind_reason: Option<&'a str>,
            #[serde(flatten)]
            env: &'a env::FileEnv,
            reason: String,
        }
        let rows: Vec<Row> = files
            .iter()
            .map(|f| Row {
                path: &f.path,
                kind: f.kind,
                kind_reason: f.kind_reason.as_deref(),
                env: &f.env,
                reason: f.env.source.to_string(),
            })
            .collect();
        serde_json::to_writer_pretty(&mut *out, &rows).map_err(io::Error::other)?;
        return writeln!(out);
    }
    let mut rows: Vec<[String; 4]> = vec![["PATH".into(), "KIND".into(), "ENV".into(), "REASON".into()]];
    for f in files {
        let env = &f.env;
        rows.push([
            snippet::escape(&f.path).into_owned(),
            f.kind.to_string(),
            env.env.as_deref().unwrap_or("-").to_owned(),
            snippet::escape(&env.source.to_string()).into_owned(),
        ]);
        for job in &env.jobs {
            rows.push([
                format!("  job {}", snippet::escape(&job.job)),
                String::new(),
                job.env.as_deref().unwrap_or("-").to_owned(),
                snippet::escape(&job.reason).into_owned(),
            ]);
        }
    }
    super::write_table(&rows, out)
}
