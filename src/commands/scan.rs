//! `envlint scan`: the scan, the report in the chosen format, the exit code.

use std::io::{self, Write};

use miette::{IntoDiagnostic, Report, miette};

use crate::Terminal;
use crate::cli::{FailOn, RuleArgs, ScanArgs};
use crate::config::RulePattern;
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

/// `envlint scan`.
pub fn run(args: &ScanArgs, term: Terminal, out: &mut dyn Write, err: &mut dyn Write) -> Result<u8, Report> {
    if args.timings {
        crate::stats::enable();
    }
    let t = crate::stats::start();
    let mut p = super::prepare(&args.walk, &args.rules.policies)?;
    apply_rule_args(&mut p, &args.rules)?;
    let baseline = args.baseline.as_deref().map(super::baseline::load).transpose()?;
    t.stop(crate::stats::Phase::Setup, 0, 0);
    let mut scan = super::run_scan(&p, true)?;
    let t = crate::stats::start();
    if let Some(keys) = &baseline {
        super::baseline::apply(&mut scan, keys);
    }
    t.stop(crate::stats::Phase::Finish, 0, 0);
    let t = crate::stats::start();
    for w in &scan.warnings {
        writeln!(err, "warning: {}", snippet::escape(w)).into_diagnostic()?;
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
    sink.flush().into_diagnostic()?;
    if args.output.is_some() || args.format != Format::Human {
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
