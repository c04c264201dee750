//! Human output: miette snippets with the offending span labelled, the rule ID,
//! the file's environment and a help line. Kept behind this module so the
//! renderer can change.

use std::fmt::{self, Write as _};
use std::io::{self, Write};

use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, SourceCode};

use crate::engine::ScanOutput;
use crate::finding::{Finding, Severity};
use crate::snippet::{self, WindowSource};

/// How to draw.
#[derive(Clone, Copy, Debug)]
pub struct Style {
    pub color: bool,
    pub width: usize,
}

/// One finding as miette sees it: every text escaped, the snippet a window.
struct Shown<'a> {
    finding: &'a Finding,
    message: String,
    help: Option<String>,
    source: Option<WindowSource>,
    /// Related locations, each shown as a note with its own lines.
    related: Vec<RelatedShown>,
}

/// A related location as miette sees it.
struct RelatedShown {
    message: String,
    source: Option<WindowSource>,
}

impl fmt::Debug for RelatedShown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Display for RelatedShown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for RelatedShown {}

impl Diagnostic for RelatedShown {
    fn severity(&self) -> Option<miette::Severity> {
        Some(miette::Severity::Advice)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_ref().map(|s| s as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let window = &self.source.as_ref()?.0;
        Some(Box::new(std::iter::once(LabeledSpan::new_primary_with_span(
            Some("here".to_owned()),
            (window.span.start as usize, window.span.len()),
        ))))
    }
}

impl fmt::Debug for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Shown<'_> {}

impl Diagnostic for Shown<'_> {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(snippet::escape(&self.finding.rule)))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.finding.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Note => miette::Severity::Advice,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help.as_ref().map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_ref().map(|s| s as &dyn SourceCode)
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        if self.related.is_empty() {
            return None;
        }
        Some(Box::new(self.related.iter().map(|r| r as &dyn Diagnostic)))
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let window = &self.source.as_ref()?.0;
        let f = self.finding;
        let label = match &f.env {
            Some(env) => format!("{} (env: {})", f.severity, snippet::escape(env)),
            None => f.severity.to_string(),
        };
        Some(Box::new(std::iter::once(LabeledSpan::new_primary_with_span(
            Some(label),
            (window.span.start as usize, window.span.len()),
        ))))
    }
}

/// Writes every finding as a snippet, then the summary line.
pub fn render(out: &ScanOutput, style: Style, w: &mut dyn Write) -> io::Result<()> {
    render_findings(out, style, w)?;
    writeln!(w, "{}", super::summary_line(out))
}

/// Writes every finding as a snippet (`scan --quiet`: no summary line).
pub fn render_findings(out: &ScanOutput, style: Style, w: &mut dyn Write) -> io::Result<()> {
    let theme = if style.color { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
    let handler = GraphicalReportHandler::new_themed(theme).with_width(style.width).with_links(false);
    for finding in out.shown() {
        let related = finding
            .related
            .iter()
            .map(|r| RelatedShown {
                message: format!(
                    "{}:{}:{}: {}",
                    snippet::escape(&r.path),
                    r.start.line,
                    r.start.column,
                    snippet::escape(&r.message)
                ),
                source: r.snippet.clone().map(WindowSource),
            })
            .collect();
        let shown = Shown {
            finding,
            message: snippet::escape(&finding.message).into_owned(),
            help: finding.help.as_deref().map(|h| snippet::escape_keep_newlines(h).into_owned()),
            source: finding.snippet.clone().map(WindowSource),
            related,
        };
        let mut text = String::new();
        let rendered = crate::isolate::run(|| handler.render_report(&mut text, &shown));
        if !matches!(rendered, Ok(Ok(()))) {
            text.clear();
            let _ = writeln!(
                text,
                "{}:{}:{}: {} [{}]",
                snippet::escape(&finding.path),
                finding.start.line,
                finding.start.column,
                shown.message,
                snippet::escape(&finding.rule)
            );
        }
        w.write_all(text.as_bytes())?;
        writeln!(w)?;
    }
    Ok(())
}
