//! HCL adapter for Terraform (`.tf`), Terragrunt (`.hcl`) and variable (`.tfvars`) files.
//!
//! Built on `hcl::edit` (hcl-edit), which keeps byte spans of every token. The whole
//! body becomes one root [`Value::Map`]:
//!
//! - an attribute `name = expr` is an entry `name` → the expression's node;
//! - a block `type "l1" l2 { body }` is an entry `type` → `{ "l1" → { "l2" → body } }`,
//!   one nested single-entry map per label; repeated blocks stay repeated entries;
//! - literals (strings and heredocs without interpolation, numbers, booleans, `null`),
//!   arrays and objects become data; every other expression is kept as
//!   [`Value::Expr`] holding exactly its source text.
//!
//! Spans are byte ranges of the bare tokens: never any surrounding whitespace or comments.

use std::ops::Range;

use hcl::edit::Span as _;
use hcl::edit::expr::{Expression, Object, ObjectKey};
use hcl::edit::structure::{Block, BlockLabel, Body, Structure};
use hcl::edit::template::{Element, Template};

use crate::model::{Document, Entry, Node, Value};
use crate::parse::ParseError;
use crate::span::Span;

/// Parses HCL text (a `.tf`, `.hcl` or `.tfvars` file) into a document with one root map.
///
/// A leading UTF-8 byte-order mark is skipped. On failure the error's span is empty and
/// sits at the byte offset where the parser stopped.
pub fn parse(text: &str) -> Result<Document, ParseError> {
    let (base, source) = match text.strip_prefix('\u{feff}') {
        Some(rest) => (text.len() - rest.len(), rest),
        None => (0, text),
    };
    let body = hcl::edit::parser::parse_body(source).map_err(|err| convert_error(source, &err, base))?;
    let conv = Converter { text, base };
    let entries = conv.body_entries(&body);
    Ok(Document::single(Node::new(Span::new(0, text.len()), Value::Map(entries))))
}

/// Converts hcl-edit's tree into model nodes. `base` is the byte offset of the parsed
/// input within `text` (non-zero only after a byte-order mark).
struct Converter<'t> {
    text: &'t str,
    base: usize,
}

impl Converter<'_> {
    /// The span of an hcl-edit item, shifted into `text`. Items produced by the parser
    /// always carry a span; the fallback is an empty span at the start of the input.
    fn span(&self, range: Option<Range<usize>>) -> Span {
        range.map_or(Span::at(self.base), |r| Span::new(r.start + self.base, r.end + self.base))
    }

    fn slice(&self, span: Span) -> &str {
        self.text.get(span.range()).unwrap_or("")
    }

    fn body_entries(&self, body: &Body) -> Vec<Entry> {
        body.iter()
            .map(|structure| match structure {
                Structure::Attribute(attr) => Entry::new(
                    self.span(attr.key.span()),
                    attr.key.as_str(),
                    self.expr(&attr.value),
                ),
                Structure::Block(block) => self.block(block),
            })
            .collect()
    }

    fn block(&self, block: &Block) -> Entry {
        let whole = self.span(block.span());
        let mut node = Node::new(whole, Value::Map(self.body_entries(&block.body)));
        for label in block.labels.iter().rev() {
            let key = match label {
                BlockLabel::Ident(ident) => ident.as_str(),
                BlockLabel::String(string) => string.as_str(),
            };
            let entry = Entry::new(self.span(label.span()), key, node);
            node = Node::new(whole, Value::Map(vec![entry]));
        }
        Entry::new(self.span(block.ident.span()), block.ident.as_str(), node)
    }

    fn expr(&self, expr: &Expression) -> Node {
        let span = self.span(expr.span());
        let value = match expr {
            Expression::Null(_) => Value::Null,
            Expression::Bool(b) => Value::Bool(*b.value()),
            Expression::Number(_) => Value::Number(self.slice(span).into()),
            Expression::String(s) => Value::String(s.value().as_str().into()),
            Expression::Array(array) => Value::Seq(array.iter().map(|item| self.expr(item)).collect()),
            Expression::Object(object) => Value::Map(self.object_entries(object)),
            Expression::StringTemplate(template) => self.template(template, span, false),
            Expression::HeredocTemplate(heredoc) => self.template(&heredoc.template, span, true),
            // `(x)` is the node of `x`, with the inner span.
            Expression::Parenthesis(paren) => return self.expr(paren.inner()),
            Expression::Variable(_)
            | Expression::Conditional(_)
            | Expression::FuncCall(_)
            | Expression::Traversal(_)
            | Expression::UnaryOp(_)
            | Expression::BinaryOp(_)
            | Expression::ForExpr(_) => Value::Expr(self.slice(span).into()),
        };
        Node::new(span, value)
    }

    fn object_entries(&self, object: &Object) -> Vec<Entry> {
        object
            .iter()
            .map(|(key, value)| {
                let key_span = self.span(key.span());
                let key_text: Box<str> = match key {
                    ObjectKey::Ident(ident) => ident.as_str().into(),
                    ObjectKey::Expression(Expression::String(s)) => s.value().as_str().into(),
                    ObjectKey::Expression(_) => self.slice(key_span).into(),
                };
                Entry { key: crate::span::Spanned::new(key_span, key_text), value: self.expr(value.expr()) }
            })
            .collect()
    }

    /// A template made only of literals is a plain string; anything with an
    /// interpolation or directive stays an expression. Heredoc text has its line
    /// endings normalised to `\n` (hcl-edit already does so for `<<-` heredocs).
    fn template(&self, template: &Template, span: Span, heredoc: bool) -> Value {
        let mut out = String::new();
        for element in template.iter() {
            match element {
                Element::Literal(literal) => out.push_str(literal.value()),
                Element::Interpolation(_) | Element::Directive(_) => {
                    return Value::Expr(self.slice(span).into());
                }
            }
        }
        if heredoc && out.contains('\r') {
            out = out.replace("\r\n", "\n");
        }
        Value::String(out.into())
    }
}

/// Turns an hcl-edit error into a [`ParseError`] at a byte offset into the full text.
fn convert_error(source: &str, err: &hcl::edit::parser::Error, base: usize) -> ParseError {
    let offset = error_offset(source, err.location());
    let message: String = err.message().lines().collect::<Vec<_>>().join(" ");
    ParseError::new(Span::at(offset + base), message)
}

/// The byte offset of an hcl-edit error location.
///
/// hcl-edit reports the byte offset clamped to the last byte of the input (an error at
/// end of input is reported at `len - 1` with the column one past that byte), so the
/// end-of-input case is recovered from the column.
fn error_offset(source: &str, location: &hcl::edit::parser::Location) -> usize {
    let len = source.len();
    let mut offset = location.offset().min(len);
    if len > 0 && offset == len - 1 {
        let bytes = source.as_bytes();
        let line_begin = bytes[..offset].iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
        let column_at_offset = std::str::from_utf8(&bytes[line_begin..=offset])
            .map_or(offset - line_begin + 1, |s| s.chars().count());
        if location.column() > column_at_offset {
            offset = len;
        }
    }
    while !source.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}
