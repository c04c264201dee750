//! `envlint rules` and `envlint explain`.

use std::io::{self, Write};

use miette::{IntoDiagnostic, Report, miette};

use crate::cli::RulesFormat;
use crate::finding::Severity;
use crate::rule::Rule;

/// `envlint rules`.
pub fn write_rules(rules: &[Box<dyn Rule>], format: RulesFormat, out: &mut dyn Write) -> io::Result<()> {
    if format == RulesFormat::Json {
        #[derive(serde::Serialize)]
        struct Row<'a> {
            id: &'a str,
            severity: Severity,
            summary: &'a str,
            formats: &'a str,
            envs: String,
            kinds: Vec<&'a str>,
            security: bool,
            precision: &'a str,
            default_enabled: bool,
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
                    envs: m.scope.describe(),
                    kinds: m.kinds.iter().map(|k| k.as_str()).collect(),
                    security: m.security,
                    precision: m.precision.as_str(),
                    default_enabled: m.default_enabled,
                    help: &m.help,
                    docs: &m.docs,
                }
            })
            .collect();
        serde_json::to_writer_pretty(&mut *out, &rows).map_err(io::Error::other)?;
        return writeln!(out);
    }
    if format == RulesFormat::Markdown {
        return write_markdown(rules, out);
    }
    let mut rows = vec![["ID".into(), "SEVERITY".into(), "ENV".into(), "SUMMARY".into()]];
    rows.extend(rules.iter().map(|r| {
        let m = r.meta();
        let off = if m.default_enabled { "" } else { ", off by default" };
        [m.id.to_string(), m.severity.to_string(), m.scope.describe(), format!("{} ({}{off})", m.summary, m.formats)]
    }));
    super::write_table(&rows, out)
}

/// The rule table as the README shows it (a test keeps the two equal).
fn write_markdown(rules: &[Box<dyn Rule>], out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "| ID | Severity | Env | Kind | What it flags |")?;
    writeln!(out, "|---|---|---|---|---|")?;
    for r in rules {
        let m = r.meta();
        let mut kind = if m.security { "security".to_owned() } else { "quality".to_owned() };
        if !m.default_enabled {
            kind.push_str(", off by default");
        }
        writeln!(
            out,
            "| `{}` | {} | {} | {kind} | {} ({}) |",
            m.id,
            m.severity,
            m.scope.describe(),
            m.summary.replace('|', "\\|"),
            m.formats.replace('|', "\\|")
        )?;
    }
    Ok(())
}

/// `envlint explain ID`: one rule's documentation.
pub fn explain(rules: &[Box<dyn Rule>], id: &str, out: &mut dyn Write) -> Result<u8, Report> {
    let Some(rule) = rules.iter().find(|r| r.meta().id == id) else {
        let ids: Vec<&str> = rules.iter().map(|r| &*r.meta().id).collect();
        let mut close: Vec<&str> = ids.iter().copied().filter(|r| r.contains(id) || id.contains(*r)).collect();
        if close.is_empty() {
            close.extend(crate::config::did_you_mean(id, &ids));
        }
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
        "# {}\n\n{}\n\nSeverity: {} · Formats: {} · Environments: {} · {}{}\n\n{}",
        m.id,
        m.summary,
        m.severity,
        m.formats,
        m.scope.describe(),
        if m.security { "security rule" } else { "quality rule" },
        if m.default_enabled { "" } else { " · off by default (select it by its ID)" },
        m.docs.trim_end()
    )
    .into_diagnostic()?;
    Ok(0)
}
