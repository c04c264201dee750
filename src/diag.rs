//! User-facing errors that point into a file (a config, a policy): a miette
//! diagnostic with a window of the file as source and a label at the offending
//! span. Depends on `span`, `source` and `snippet`.

use std::fmt;
use std::marker::PhantomData;

use miette::{Diagnostic, LabeledSpan, SourceCode, SourceSpan};

use crate::snippet::{self, WindowSource};
use crate::source::SourceFile;
use crate::span::Span;

/// What a [`FileError`] is about; it only decides the diagnostic code.
pub trait ErrorKind: fmt::Debug + Send + Sync + 'static {
    const CODE: &'static str;
}

/// An error in `envlint.toml`.
#[derive(Debug)]
pub struct Config;
impl ErrorKind for Config {
    const CODE: &'static str = "envlint::config";
}

/// An error in a policy file (YAML or Rego).
#[derive(Debug)]
pub struct Policy;
impl ErrorKind for Policy {
    const CODE: &'static str = "envlint::policy";
}

/// An error, optionally located in a file. Exit code 2.
#[derive(Debug)]
pub struct FileError<K: ErrorKind> {
    pub message: String,
    /// The lines around the span, as shown.
    pub window: Option<WindowSource>,
    /// The span in the whole file.
    pub span: Option<SourceSpan>,
    pub label: String,
    pub help: Option<String>,
    /// More errors found in the same pass, shown after this one.
    pub related: Vec<FileError<K>>,
    kind: PhantomData<K>,
}

impl<K: ErrorKind> FileError<K> {
    /// An error without a location in a file.
    pub fn plain(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            window: None,
            span: None,
            label: String::new(),
            help: None,
            related: Vec::new(),
            kind: PhantomData,
        }
    }

    /// An error labelled at `span` of the file `name` holding `text`.
    pub fn at(name: &str, text: &str, span: Span, message: impl Into<String>, label: impl Into<String>) -> Self {
        let window = snippet::window(&SourceFile::new(name, text), span, 1);
        Self {
            message: message.into(),
            window: Some(WindowSource(window)),
            span: Some(SourceSpan::from(span.range())),
            label: label.into(),
            help: None,
            related: Vec::new(),
            kind: PhantomData,
        }
    }

    #[must_use]
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// The text under the label as shown (for tests).
    pub fn labelled_text(&self) -> Option<String> {
        let w = &self.window.as_ref()?.0;
        w.text.get(w.span.range()).map(str::to_owned)
    }
}

impl<K: ErrorKind> fmt::Display for FileError<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&snippet::escape(&self.message))
    }
}

impl<K: ErrorKind> std::error::Error for FileError<K> {}

impl<K: ErrorKind> Diagnostic for FileError<K> {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(K::CODE))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help.as_ref().map(|h| Box::new(snippet::escape_keep_newlines(h)) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.window.as_ref().map(|s| s as &dyn SourceCode)
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        if self.related.is_empty() {
            return None;
        }
        Some(Box::new(self.related.iter().map(|e| e as &dyn Diagnostic)))
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let span = self.window.as_ref()?.0.span;
        Some(Box::new(std::iter::once(LabeledSpan::new_with_span(
            Some(snippet::escape(&self.label).into_owned()),
            (span.start as usize, span.len()),
        ))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn located_errors_render_their_label_and_code() {
        let e =
            FileError::<Config>::at("envlint.toml", "[rules]\nselct = 1\n", Span::new(8, 13), "unknown field", "here")
                .with_help("check the spelling");
        assert_eq!(e.labelled_text().as_deref(), Some("selct"));
        let mut out = String::new();
        miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
            .render_report(&mut out, &e)
            .expect("render");
        assert!(out.contains("envlint::config"), "{out}");
        assert!(out.contains("envlint.toml:2:1"), "{out}");
        assert!(out.contains("check the spelling"), "{out}");
        assert_eq!(FileError::<Policy>::plain("x").labelled_text(), None);
    }

    #[test]
    fn errors_past_column_65535_render() {
        let text = format!("{}select = 1\n", " ".repeat(70_000));
        let e = FileError::<Config>::at("envlint.toml", &text, Span::new(70_000, 70_006), "unknown field", "here");
        let mut out = String::new();
        miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
            .render_report(&mut out, &e)
            .expect("render");
        assert!(out.contains("envlint.toml:1:70001"), "{out}");
        assert_eq!(e.labelled_text().as_deref(), Some("select"));
        assert!(out.len() < 2_000, "the snippet is a window: {} bytes", out.len());
    }
}
