//! User-facing errors that point into a file (a config, a policy): a miette
//! diagnostic with the file as source and a label at the offending span.
//! Depends only on `span`.

use std::fmt;
use std::marker::PhantomData;

use miette::{Diagnostic, LabeledSpan, NamedSource, SourceCode, SourceSpan};

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
    pub src: Option<NamedSource<String>>,
    pub span: Option<SourceSpan>,
    pub label: String,
    pub help: Option<String>,
    kind: PhantomData<K>,
}

impl<K: ErrorKind> FileError<K> {
    /// An error without a location in a file.
    pub fn plain(message: impl Into<String>) -> Self {
        Self { message: message.into(), src: None, span: None, label: String::new(), help: None, kind: PhantomData }
    }

    /// An error labelled at `span` of the file `name` holding `text`.
    pub fn at(name: &str, text: &str, span: Span, message: impl Into<String>, label: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            src: Some(NamedSource::new(name, text.to_owned())),
            span: Some(SourceSpan::from(span.range())),
            label: label.into(),
            help: None,
            kind: PhantomData,
        }
    }

    #[must_use]
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// The text under the label (for tests).
    pub fn labelled_text(&self) -> Option<String> {
        let src = self.src.as_ref()?;
        let span = self.span?;
        src.inner().get(span.offset()..span.offset() + span.len()).map(str::to_owned)
    }
}

impl<K: ErrorKind> fmt::Display for FileError<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl<K: ErrorKind> std::error::Error for FileError<K> {}

impl<K: ErrorKind> Diagnostic for FileError<K> {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(K::CODE))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help.as_ref().map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.src.as_ref().map(|s| s as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let span = self.span?;
        Some(Box::new(std::iter::once(LabeledSpan::new_with_span(Some(self.label.clone()), span))))
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
}
