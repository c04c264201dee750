//! Syntax adapters: text in, [`Document`](crate::model::Document) out.
//!
//! Each adapter knows one syntax and nothing of what a file means. They depend
//! only on `span` and `model`, never on rules, the engine or reporting.

pub mod dotenv;
pub mod hcl;
pub mod yaml;

use crate::span::Span;

/// Why a file could not be parsed, and where the parser stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub span: Span,
    pub message: String,
}

impl ParseError {
    pub fn new(span: Span, message: impl Into<String>) -> Self {
        Self { span, message: message.into() }
    }
}
