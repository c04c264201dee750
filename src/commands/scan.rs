//! `envlint scan`: the scan, the report in the chosen format, the exit code.

use std::collections::BTreeMap;
use std::io::{self, Read, Write};

use clap::ValueEnum;
use miette::{IntoDiagnostic, Report, miette};

use crate::cli::{FailOn, RuleArgs, ScanArgs};
use crate::config::RulePattern;
use crate::engine::ScanOutput;
use crate::finding::Severity;
use crate::report::{self, Format};
use crate::snippet;

/// Applies `--select` and `--ignore` to the settings.
pub(crate) fn apply_rule_args(p: &mut super::Prepared, args: &RuleArgs) -> Result<(), Report> {
    let known: Vec<String> = p.rules.iter().map(|r| r.meta().id.to_string()).collect();
    let known: Vec<&str> = known.iter().map(String::as_str).collect();
    let parse_list = |list: &[String], flag: &str| -> Result<Vec<RulePattern>, Report> {
        list.iter()
            .filter(|s| !s.is_empty())
            .map(|s| {
                RulePattern::parse(s.trim(), &known).map_err(|m| {
                    let help = crate::config::did_you_mean(s.trim(), &known).map_or_else(
                        || "run `envlint rules` to list rule IDs".to_owned(),
                        |c| format!("did you mean `{c}`?"),
                    );
                    miette!(help = help, "{flag}: {}", snippet::escape(&m))
                })
            })
            .collect()
    };
    let select = parse_list(&args.select, "--select")?;
    if !select.is_empty() {
        p.settings.select = select;
    }
    p.settings.ignore.extend(parse_list(&args.ignore, "--ignore")?);
    Ok(())
}

/// The streams and terminal facts `scan` works with.
pub struct Streams<'a> {
    /// Colour on standard output (the human report, when not written to a file).
    pub color: bool,
    pub out: &'a mut dyn Write,
    pub err: &'a mut dyn Write,
    pub stdin: &'a mut dyn Read,
    /// Standard error for the progress bar; `None` when it is not a terminal.
    pub progress: Option<Box<dyn Write + Send>>,
}

/// `envlint scan`.
pub fn run(args: &ScanArgs, io: Streams<'_>) -> Result<u8, Report> {
    let Streams { color, out, err, stdin, progress } = io;
    if args.timings {
        crate::stats::enable();
    }
    let t = crate::stats::start();
    check_output(args)?;
    if args.statistics && !matches!(args.format, Format::Human | Format::Json) {
        return Err(miette!(
            help = "use `--statistics` with `--format human` (a table) or `--format json`",
            "--statistics does not apply to --format {}",
            format_name(args.format)
        ));
    }
    let stdin_text = read_stdin(args, stdin)?;
    let mut walk_args = args.walk.clone();
    if let Some(name) = &args.stdin_filename {
        walk_args.paths = vec![name.clone()];
    }
    let mut p = super::prepare_with(&walk_args, &args.rules.policies, stdin_text)?;
    apply_rule_args(&mut p, &args.rules)?;
    let baseline = args.baseline.as_deref().map(super::baseline::load).transpose()?;
    t.stop(crate::stats::Phase::Setup, 0, 0);
    // A progress bar only for people: the human format, on a terminal, not asked away.
    let bar = progress
        .filter(|_| args.format == Format::Human && !args.quiet && !args.no_progress)
        .map(super::progress::Bar::start);
    let scan = super::run_scan_with(&p, true, bar.as_ref().map(super::progress::Bar::progress));
    if let Some(bar) = bar {
        bar.finish();
    }
    let mut scan = scan?;
    let t = crate::stats::start();
    if let Some(keys) = &baseline {
        super::baseline::apply(&mut scan, keys);
    }
    t.stop(crate::stats::Phase::Finish, 0, 0);
    let t = crate::stats::start();
    if !args.quiet {
        for w in &scan.warnings {
            writeln!(err, "warning: {}", snippet::escape(w)).into_diagnostic()?;
        }
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
    if args.statistics {
        statistics(&scan, args.format, args.quiet, sink).into_diagnostic()?;
    } else {
        match args.format {
            Format::Human => {
                let style = report::human::Style { color: args.output.is_none() && color, width: 100 };
                if args.quiet {
                    report::human::render_findings(&scan, style, sink).into_diagnostic()?;
                } else {
                    report::human::render(&scan, style, sink).into_diagnostic()?;
                }
            }
            Format::Json => report::json::render(&scan, sink).into_diagnostic()?,
            Format::Sarif => {
                // The rules that ran: enabled globally, or by an override (then they reported).
                let ran: Vec<report::sarif::RanRule> = p
                    .rules
                    .iter()
                    .map(|r| r.meta())
                    .filter(|m| p.settings.rule_enabled_anywhere(m) || scan.findings.iter().any(|f| *f.rule == *m.id))
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
    }
    sink.flush().into_diagnostic()?;
    // The summary on stderr, unless the report on stdout already ends with it
    // (human, and github: in an Actions log stdout and stderr are one stream).
    let summary_in_report = args.output.is_none() && matches!(args.format, Format::Human | Format::Github);
    if !args.quiet && !summary_in_report {
        writeln!(err, "{}", report::summary_line(&scan)).into_diagnostic()?;
    }
    t.stop(crate::stats::Phase::Report, 0, 0);
    if args.timings {
        write!(err, "\n{}", crate::stats::render()).into_diagnostic()?;
    }
    let threshold = match args.fail_on {
        FailOn::Error => Some(Severity::Error),
        FailOn::Warning => Some(Severity::Warning),
        FailOn::Note => Some(Severity::Note),
        FailOn::Never => None,
    };
    if scan.incomplete > 0 {
        writeln!(
            err,
            "error: the scan is incomplete: {} internal error(s), named in the warnings above",
            scan.incomplete
        )
        .into_diagnostic()?;
        return Ok(crate::EXIT_INCOMPLETE);
    }
    let failed = threshold.is_some_and(|t| scan.shown().any(|f| f.severity >= t));
    Ok(u8::from(failed))
}

fn format_name(format: Format) -> String {
    format.to_possible_value().map_or_else(String::new, |v| v.get_name().to_owned())
}

/// `-o json`: almost certainly meant `--format json` (the human report would land
/// in a file named `json`). Refused; `-o ./json` writes such a file.
fn check_output(args: &ScanArgs) -> Result<(), Report> {
    let Some(path) = &args.output else { return Ok(()) };
    let bare = path.components().count() == 1 && path.extension().is_none();
    let named = Format::value_variants().iter().map(|f| format_name(*f)).find(|n| path.as_os_str() == n.as_str());
    match named {
        Some(name) if bare => Err(miette!(
            help = format!(
                "for the {name} format write `--format {name}` (or `--output-format {name}`); \
                 to write a file named `{name}`, write `--output ./{name}`"
            ),
            "`--output {name}` would write the {} report into a file named `{name}`",
            format_name(args.format)
        )),
        _ => Ok(()),
    }
}

/// The text of `scan -`, or `None` when standard input is not scanned.
fn read_stdin(args: &ScanArgs, stdin: &mut dyn Read) -> Result<Option<Vec<u8>>, Report> {
    let dash = args.walk.paths.iter().any(|p| p.as_os_str() == "-");
    match (&args.stdin_filename, dash) {
        (None, false) => Ok(None),
        (Some(_), false) => Err(miette!(
            help = "pass `-` as the path: `envlint scan - --stdin-filename PATH < FILE`",
            "--stdin-filename is only used when reading standard input"
        )),
        (_, true) if args.walk.paths.len() > 1 => {
            Err(miette!("`-` (standard input) cannot be combined with other paths"))
        }
        (None, true) => Err(miette!(
            help = "envlint decides what a file is from its path: \
                    `envlint scan - --stdin-filename services/api/.env.production`",
            "reading standard input needs --stdin-filename PATH"
        )),
        (Some(_), true) => {
            let mut bytes = Vec::new();
            stdin.read_to_end(&mut bytes).map_err(|e| miette!("cannot read standard input: {e}"))?;
            Ok(Some(bytes))
        }
    }
}

/// `--statistics`: findings per rule, most first.
fn statistics(scan: &ScanOutput, format: Format, quiet: bool, w: &mut dyn Write) -> io::Result<()> {
    let mut per_rule: BTreeMap<&str, (usize, Severity)> = BTreeMap::new();
    for f in scan.shown() {
        let e = per_rule.entry(&f.rule).or_insert((0, f.severity));
        e.0 += 1;
        e.1 = e.1.max(f.severity);
    }
    let mut rows: Vec<(&str, usize, Severity)> = per_rule.into_iter().map(|(r, (n, s))| (r, n, s)).collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    if format == Format::Json {
        #[derive(serde::Serialize)]
        struct Row<'a> {
            rule: &'a str,
            severity: Severity,
            count: usize,
        }
        let rows: Vec<Row> = rows.iter().map(|&(rule, count, severity)| Row { rule, severity, count }).collect();
        serde_json::to_writer_pretty(&mut *w, &rows).map_err(io::Error::other)?;
        return writeln!(w);
    }
    let width = rows.iter().map(|r| r.1.to_string().len()).max().unwrap_or(1);
    let rule_width = rows.iter().map(|r| r.0.chars().count()).max().unwrap_or(0);
    for (rule, count, severity) in &rows {
        writeln!(w, "{count:>width$}  {:<rule_width$}  {severity}", snippet::escape(rule))?;
    }
    if !quiet {
        writeln!(w, "{}", report::summary_line(scan))?;
    }
    Ok(())
}
