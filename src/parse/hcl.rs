//! HCL adapter for Terraform (`.tf`), Terragrunt (`.hcl`) and variable (`.tfvars`) files.
//!
//! Two parsers build the same document: a hand-written single-pass parser ([`fast`]),
//! tried first, and `hcl::edit` (hcl-edit, which keeps byte spans of every token) with a
//! conversion of its tree, for whatever the fast parser declines (every syntax error, so
//! that hcl-edit reports it, and a few rare constructs). The fast parser mirrors
//! hcl-edit's grammar and is checked against it (`hcl/fast_tests.rs`). The whole body becomes
//! one root [`Value::Map`]:
//!
//! - an attribute `name = expr` is an entry `name` → the expression's node;
//! - a block `type "l1" l2 { body }` is an entry `type` → `{ "l1" → { "l2" → body } }`,
//!   one nested single-entry map per label; repeated blocks stay repeated entries;
//! - literals (strings and heredocs without interpolation, numbers, booleans, `null`),
//!   arrays and objects become data; every other expression is a [`Value::Expr`]
//!   holding exactly its source text and its spanned tree ([`crate::model::expr`],
//!   built in [`expr`]).
//!
//! Spans are byte ranges of the bare tokens: never any surrounding whitespace or comments.
//!
//! What parses is what Terraform accepts: hcl-edit is patched for that (see
//! `vendor/hcl-edit/PATCHES.md`). An object constructor may repeat a key (Terraform keeps
//! the last when it evaluates the object): every entry is kept, in order, so
//! [`Node::get`] sees the one that wins. Repeating an attribute in a body is an error, as
//! in Terraform.

use std::ops::Range;

use hcl::edit::Span as _;
use hcl::edit::expr::{Expression, Object, ObjectKey};
use hcl::edit::structure::{Block, BlockLabel, Body, Structure};

mod expr;
mod fast;
#[cfg(test)]
mod fast_tests;

use crate::model::expr::Expression as ExprTree;
use crate::model::{Document, Entry, Node, Value};
use crate::parse::ParseError;
use crate::span::Span;

/// Parses HCL text (a `.tf`, `.hcl` or `.tfvars` file) into a document with one root map.
///
/// A leading UTF-8 byte-order mark is skipped. On failure the error's span is empty and
/// sits at the byte offset where the parser stopped.
///
/// The hand-written parser in [`fast`] reads the text first; whatever it declines (syntax
/// errors, rare constructs) is parsed with hcl-edit, which also reports the errors. Both
/// build the same document.
pub fn parse(text: &str) -> Result<Document, ParseError> {
    if let Some(doc) = fast::parse(text) {
        return Ok(doc);
    }
    parse_hcl_edit(text)
}

/// The fast parser alone: `None` where it declines. For the differential tests and the
/// benchmark.
#[doc(hidden)]
pub fn parse_fast(text: &str) -> Option<Document> {
    fast::parse(text)
}

/// The hcl-edit path alone. For the differential tests and the benchmark.
#[doc(hidden)]
pub fn parse_hcl_edit(text: &str) -> Result<Document, ParseError> {
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
                Structure::Attribute(attr) => {
                    Entry::new(self.span(attr.key.span()), attr.key.as_str(), self.expr(&attr.value))
                }
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
            Expression::StringTemplate(_) | Expression::HeredocTemplate(_) => match self.ast(expr, 0) {
                crate::model::expr::Expr { kind: crate::model::expr::ExprKind::String(s), .. } => Value::String(s),
                ast => self.expression(span, ast),
            },
            // `(x)` is the node of `x`, with the inner span.
            Expression::Parenthesis(paren) => return self.expr(paren.inner()),
            Expression::Variable(_)
            | Expression::Conditional(_)
            | Expression::FuncCall(_)
            | Expression::Traversal(_)
            | Expression::UnaryOp(_)
            | Expression::BinaryOp(_)
            | Expression::ForExpr(_) => self.expression(span, self.ast(expr, 0)),
        };
        Node::new(span, value)
    }

    fn expression(&self, span: Span, ast: crate::model::expr::Expr) -> Value {
        Value::Expr(Box::new(ExprTree { text: self.slice(span).into(), ast }))
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
}

/// Turns an hcl-edit error into a [`ParseError`] at a byte offset into the full text.
fn convert_error(source: &str, err: &hcl::edit::parser::Error, base: usize) -> ParseError {
    let offset = error_offset(source, err.location());
    let (offset, message) = refine_error(source, offset, err.message());
    let message = message.lines().map(str::trim).collect::<Vec<_>>().join(" ");
    ParseError::new(Span::at(offset + base), message)
}

/// hcl-edit backtracks out of an attribute whose value does not parse and then reports
/// "unexpected token" (or a missing `}`) at the start of the attribute. Point at the
/// value instead, with the reason when a parse of the value alone can tell it.
fn refine_error(source: &str, offset: usize, message: &str) -> (usize, String) {
    let generic = message == "unexpected token" || message.starts_with("invalid block body");
    let rest = source.get(offset..).unwrap_or("");
    if !generic {
        return (offset, message.to_owned());
    }
    let Some(value_start) = attribute_value_start(rest) else {
        if message != "unexpected token" {
            return (offset, message.to_owned());
        }
        return match rest.chars().next() {
            None => (offset, "unexpected end of input".to_owned()),
            Some(c) if c.is_control() => (offset, format!("unexpected `{}`", c.escape_debug())),
            Some(c) => (offset, format!("unexpected `{c}`")),
        };
    };
    let at = offset + value_start;
    let value = &rest[value_start..];
    if value.is_empty() || value.starts_with(['\n', '\r', '#']) || value.starts_with("//") || value.starts_with("/*") {
        return (at, "expected an expression after `=`".to_owned());
    }
    if let Err(err) = hcl::edit::parser::parse_expr(value)
        && err.message() != "unexpected token"
    {
        return (at + error_offset(value, err.location()), err.message().to_owned());
    }
    let reason = if value.starts_with('"') {
        "unterminated or invalid string"
    } else if value.starts_with("<<") {
        "invalid heredoc"
    } else if value.starts_with('{') {
        "unterminated or invalid object"
    } else {
        "invalid expression"
    };
    (at, reason.to_owned())
}

/// For text starting with `name =` (not `==`), the byte offset of what follows the `=`
/// and any spaces or tabs.
fn attribute_value_start(rest: &str) -> Option<usize> {
    let is_ident = |c: char| c.is_alphanumeric() || c == '_' || c == '-';
    if !rest.starts_with(|c: char| c.is_alphabetic() || c == '_') {
        return None;
    }
    let after_ident = rest.find(|c: char| !is_ident(c)).unwrap_or(rest.len());
    let after_ws = rest[after_ident..].trim_start_matches([' ', '\t']);
    let after_eq = after_ws.strip_prefix('=').filter(|r| !r.starts_with('='))?;
    let value = after_eq.trim_start_matches([' ', '\t']);
    Some(rest.len() - value.len())
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
        let column_at_offset =
            std::str::from_utf8(&bytes[line_begin..=offset]).map_or(offset - line_begin + 1, |s| s.chars().count());
        if location.column() > column_at_offset {
            offset = len;
        }
    }
    while !source.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a node should hold.
    #[derive(Debug)]
    enum Want {
        Str(&'static str),
        Num(&'static str),
        Bool(bool),
        Null,
        /// An expression: its text is also the node's span text.
        Expr,
        Map(usize),
        Seq(usize),
    }

    fn parse_root(text: &str) -> Node {
        let doc = parse(text).unwrap_or_else(|e| panic!("parse failed: {e:?}\n{text}"));
        assert_eq!(doc.roots.len(), 1);
        let root = doc.roots.into_iter().next().expect("one root");
        assert_eq!(root.span, Span::new(0, text.len()), "root span is the whole file");
        root
    }

    /// Follows `path` through every entry with each key (blocks repeat their type), so
    /// `["variable", "env", "default"]` finds the `env` variable among several.
    fn find<'a>(node: &'a Node, path: &[&str]) -> Option<&'a Node> {
        let Some((first, rest)) = path.split_first() else {
            return Some(node);
        };
        node.entries().iter().filter(|e| &*e.key.value == *first).find_map(|e| find(&e.value, rest))
    }

    fn at<'a>(node: &'a Node, path: &[&str]) -> &'a Node {
        find(node, path).unwrap_or_else(|| panic!("no node at {path:?}"))
    }

    fn key_span_text<'t>(text: &'t str, parent: &Node, key: &str) -> &'t str {
        let entry = parent.entry(key).unwrap_or_else(|| panic!("no key {key:?}"));
        &text[entry.key.span.range()]
    }

    fn check(text: &str, cases: &[(&[&str], Want, &str)]) {
        let root = parse_root(text);
        for (path, want, span_text) in cases {
            let node = at(&root, path);
            assert_eq!(&text[node.span.range()], *span_text, "span of {path:?}");
            match (want, &node.value) {
                (Want::Str(w), Value::String(v)) | (Want::Num(w), Value::Number(v)) => {
                    assert_eq!(&**v, *w, "value of {path:?}");
                }
                (Want::Bool(w), Value::Bool(v)) => assert_eq!(v, w, "value of {path:?}"),
                (Want::Null, Value::Null) => {}
                (Want::Expr, Value::Expr(v)) => {
                    assert_eq!(&*v.text, *span_text, "expr text of {path:?}");
                }
                (Want::Map(n), Value::Map(v)) => assert_eq!(v.len(), *n, "entries of {path:?}"),
                (Want::Seq(n), Value::Seq(v)) => assert_eq!(v.len(), *n, "items of {path:?}"),
                (want, got) => panic!("{path:?}: wanted {want:?}, got {got:?}"),
            }
        }
    }

    const MAIN_TF: &str = r#"# hash comment
// slash comment
/* block
   comment */
terraform {
  required_version = ">= 1.5"
  backend "s3" {
    key    = "prod/terraform.tfstate" # trailing
    region = "eu-west-1" /* inline */
  }
}

provider "aws" {
  alias  = "eu"
  region = var.region
  default_tags {
    tags = { env = "prod" }
  }
}

variable "env" {
  type    = string
  default = "prod"
}

variable "replicas" {
  default = 3
}

locals {
  tags = {
    team = "platform"
    nested = {
      "a.b" = true
      (var.key) = null
    }
  }
  names = [for s in var.list : upper(s) if s != ""]
  by_id = { for k, v in var.map : k => v.id }
}

locals {
  extra = 1.5e3
}

resource "aws_security_group" "web" {
  name = "web-${var.env}"
  tags = merge(local.tags, { Name = "x" })

  ingress {
    from_port = 443
  }
  ingress {
    from_port = 80
  }

  dynamic "setting" {
    for_each = var.settings
    content {
      name  = setting.key
      value = setting.value
    }
  }

  lifecycle { ignore_changes = [tags] }
}

resource "aws_instance" "app" {
  user_data = <<EOT
#!/bin/sh
echo "hi"
EOT
  policy = <<-EOT
    {
      "Version": "2012"
    }
    EOT
  script = <<-EOT
    echo ${var.env}
    EOT
  loop  = <<EOT
%{ for x in var.xs }${x}%{ endfor }
EOT
  count = var.enabled ? 1 : 0
  ami   = local.amis["eu"]
  ids   = aws_instance.other[*].id
  neg   = -1
  not   = !var.x
  paren = ("p")
  sum   = 1 + 2
  enc   = jsonencode({ a = 1 })
  tpl   = "%{ if var.x }y%{ endif }"
  esc   = "a$${b}\n"
  empty = ""
  obj_empty = {}
}
"#;

    #[test]
    fn terraform_values_and_spans() {
        check(
            MAIN_TF,
            &[
                (&["terraform", "required_version"], Want::Str(">= 1.5"), r#"">= 1.5""#),
                (
                    &["terraform", "backend", "s3", "key"],
                    Want::Str("prod/terraform.tfstate"),
                    r#""prod/terraform.tfstate""#,
                ),
                (&["terraform", "backend", "s3", "region"], Want::Str("eu-west-1"), r#""eu-west-1""#),
                (&["provider", "aws", "alias"], Want::Str("eu"), r#""eu""#),
                (&["provider", "aws", "region"], Want::Expr, "var.region"),
                (&["provider", "aws", "default_tags", "tags", "env"], Want::Str("prod"), r#""prod""#),
                (&["provider", "aws", "default_tags", "tags"], Want::Map(1), r#"{ env = "prod" }"#),
                (&["variable", "env", "type"], Want::Expr, "string"),
                (&["variable", "env", "default"], Want::Str("prod"), r#""prod""#),
                (&["variable", "replicas", "default"], Want::Num("3"), "3"),
                (&["locals", "tags", "team"], Want::Str("platform"), r#""platform""#),
                (&["locals", "tags", "nested", "a.b"], Want::Bool(true), "true"),
                (&["locals", "tags", "nested", "(var.key)"], Want::Null, "null"),
                (&["locals", "names"], Want::Expr, r#"[for s in var.list : upper(s) if s != ""]"#),
                (&["locals", "by_id"], Want::Expr, "{ for k, v in var.map : k => v.id }"),
                (&["locals", "extra"], Want::Num("1.5e3"), "1.5e3"),
                (&["resource", "aws_security_group", "web", "name"], Want::Expr, r#""web-${var.env}""#),
                (
                    &["resource", "aws_security_group", "web", "tags"],
                    Want::Expr,
                    r#"merge(local.tags, { Name = "x" })"#,
                ),
                (&["resource", "aws_security_group", "web", "ingress", "from_port"], Want::Num("443"), "443"),
                (
                    &["resource", "aws_security_group", "web", "dynamic", "setting", "for_each"],
                    Want::Expr,
                    "var.settings",
                ),
                (
                    &["resource", "aws_security_group", "web", "dynamic", "setting", "content", "value"],
                    Want::Expr,
                    "setting.value",
                ),
                (&["resource", "aws_security_group", "web", "lifecycle", "ignore_changes"], Want::Seq(1), "[tags]"),
                (
                    &["resource", "aws_instance", "app", "user_data"],
                    Want::Str("#!/bin/sh\necho \"hi\"\n"),
                    "<<EOT\n#!/bin/sh\necho \"hi\"\nEOT",
                ),
                (
                    &["resource", "aws_instance", "app", "policy"],
                    Want::Str("{\n  \"Version\": \"2012\"\n}\n"),
                    "<<-EOT\n    {\n      \"Version\": \"2012\"\n    }\n    EOT",
                ),
                (&["resource", "aws_instance", "app", "script"], Want::Expr, "<<-EOT\n    echo ${var.env}\n    EOT"),
                (
                    &["resource", "aws_instance", "app", "loop"],
                    Want::Expr,
                    "<<EOT\n%{ for x in var.xs }${x}%{ endfor }\nEOT",
                ),
                (&["resource", "aws_instance", "app", "count"], Want::Expr, "var.enabled ? 1 : 0"),
                (&["resource", "aws_instance", "app", "ami"], Want::Expr, r#"local.amis["eu"]"#),
                (&["resource", "aws_instance", "app", "ids"], Want::Expr, "aws_instance.other[*].id"),
                (&["resource", "aws_instance", "app", "neg"], Want::Num("-1"), "-1"),
                (&["resource", "aws_instance", "app", "not"], Want::Expr, "!var.x"),
                (&["resource", "aws_instance", "app", "paren"], Want::Str("p"), r#""p""#),
                (&["resource", "aws_instance", "app", "sum"], Want::Expr, "1 + 2"),
                (&["resource", "aws_instance", "app", "enc"], Want::Expr, "jsonencode({ a = 1 })"),
                (&["resource", "aws_instance", "app", "tpl"], Want::Expr, r#""%{ if var.x }y%{ endif }""#),
                (&["resource", "aws_instance", "app", "esc"], Want::Str("a${b}\n"), r#""a$${b}\n""#),
                (&["resource", "aws_instance", "app", "empty"], Want::Str(""), r#""""#),
                (&["resource", "aws_instance", "app", "obj_empty"], Want::Map(0), "{}"),
            ],
        );
    }

    #[test]
    fn blocks_nest_by_label_and_repeat_in_order() {
        let root = parse_root(MAIN_TF);
        let types: Vec<&str> = root.entries().iter().map(|e| &*e.key.value).collect();
        assert_eq!(
            types,
            ["terraform", "provider", "variable", "variable", "locals", "locals", "resource", "resource"]
        );
        for entry in root.entries() {
            assert_eq!(&MAIN_TF[entry.key.span.range()], &*entry.key.value, "block type span");
        }

        // Label maps and the body map all span the whole block.
        let web_block = &MAIN_TF[MAIN_TF.find("resource \"aws_security_group\"").expect("fixture has the block")..];
        let web_block = &web_block[..web_block.find("\n}\n").expect("block ends") + 2];
        for path in [&["resource", "aws_security_group"][..], &["resource", "aws_security_group", "web"]] {
            let node = at(&root, path);
            assert_eq!(&MAIN_TF[node.span.range()], web_block, "{path:?}");
            assert_eq!(node.entries().len(), if path.len() == 2 { 1 } else { 6 });
        }
        let labels = root.get("resource").expect("a resource block"); // the last `resource` block
        assert_eq!(key_span_text(MAIN_TF, labels, "aws_instance"), "\"aws_instance\"");
        assert_eq!(key_span_text(MAIN_TF, at(&root, &["resource", "aws_instance"]), "app"), "\"app\"");

        // Repeated nested blocks stay separate entries, in order.
        let web = at(&root, &["resource", "aws_security_group", "web"]);
        let ports: Vec<_> = web.get_all("ingress").map(|b| b.get("from_port").and_then(Node::scalar_text)).collect();
        assert_eq!(ports, [Some("443".into()), Some("80".into())]);
        let ingress = at(&root, &["resource", "aws_security_group", "web", "ingress"]);
        assert_eq!(&MAIN_TF[ingress.span.range()], "ingress {\n    from_port = 443\n  }");
        assert_eq!(root.get_all("locals").count(), 2);
        assert_eq!(root.get_all("variable").count(), 2);

        // Unlabelled blocks map straight to their body; its span starts at the block type.
        let lifecycle = at(&root, &["resource", "aws_security_group", "web", "lifecycle"]);
        assert_eq!(&MAIN_TF[lifecycle.span.range()], "lifecycle { ignore_changes = [tags] }");
        assert_eq!(
            lifecycle.path(&["ignore_changes"]).and_then(|n| n.items()[0].as_expr()).map(|e| (&*e.text, &e.ast.kind)),
            Some(("tags", &crate::model::expr::ExprKind::Variable("tags".into())))
        );

        // Attribute and object key spans are the bare tokens.
        let app = at(&root, &["resource", "aws_instance", "app"]);
        assert_eq!(key_span_text(MAIN_TF, app, "user_data"), "user_data");
        let nested = at(&root, &["locals", "tags", "nested"]);
        assert_eq!(key_span_text(MAIN_TF, nested, "a.b"), "\"a.b\"");
        assert_eq!(key_span_text(MAIN_TF, nested, "(var.key)"), "(var.key)");
        let tags = at(&root, &["provider", "aws", "default_tags"]);
        assert_eq!(key_span_text(MAIN_TF, tags, "tags"), "tags");
    }

    #[test]
    fn expression_text_reparses() {
        let root = parse_root(MAIN_TF);
        let mut exprs = 0;
        root.walk(&mut |node| {
            if let Value::Expr(e) = &node.value {
                exprs += 1;
                assert!(hcl::edit::parser::parse_expr(&e.text).is_ok(), "{:?} does not re-parse", e.text);
            }
        });
        assert_eq!(exprs, 19);
    }

    #[test]
    fn identifier_labels_and_one_line_blocks() {
        let text = "resource aws_s3_bucket logs { bucket = \"l\" }\nempty {}\nx \"a\" b {\n}\n";
        check(
            text,
            &[
                (&["resource", "aws_s3_bucket", "logs", "bucket"], Want::Str("l"), "\"l\""),
                (&["empty"], Want::Map(0), "empty {}"),
                (&["x", "a", "b"], Want::Map(0), "x \"a\" b {\n}"),
            ],
        );
        let root = parse_root(text);
        assert_eq!(key_span_text(text, at(&root, &["resource"]), "aws_s3_bucket"), "aws_s3_bucket");
        assert_eq!(key_span_text(text, at(&root, &["x"]), "a"), "\"a\"");
        assert_eq!(key_span_text(text, at(&root, &["x", "a"]), "b"), "b");
    }

    #[test]
    fn terragrunt_and_tfvars() {
        let terragrunt = r#"include "root" {
  path = find_in_parent_folders()
}

terraform {
  source = "git::https://example.com/mod.git//vpc?ref=v1.0" // not a comment inside
}

inputs = {
  vpc_name = "main"
  cidr     = local.cidr
  subnets  = ["10.0.1.0/24", "10.0.2.0/24"]
  nested   = { deep = { deeper = 1 } }
}
"#;
        check(
            terragrunt,
            &[
                (&["include", "root", "path"], Want::Expr, "find_in_parent_folders()"),
                (
                    &["terraform", "source"],
                    Want::Str("git::https://example.com/mod.git//vpc?ref=v1.0"),
                    r#""git::https://example.com/mod.git//vpc?ref=v1.0""#,
                ),
                (&["inputs", "vpc_name"], Want::Str("main"), r#""main""#),
                (&["inputs", "cidr"], Want::Expr, "local.cidr"),
                (&["inputs", "subnets"], Want::Seq(2), r#"["10.0.1.0/24", "10.0.2.0/24"]"#),
                (&["inputs", "nested", "deep", "deeper"], Want::Num("1"), "1"),
            ],
        );
        let root = parse_root(terragrunt);
        let subnets = at(&root, &["inputs", "subnets"]);
        assert_eq!(&terragrunt[subnets.items()[1].span.range()], r#""10.0.2.0/24""#);

        let tfvars = "region = \"eu-west-1\"\nazs    = [\"a\", \"b\", 3, true, null, [\"x\"]]\ninstance_count = 2\n\
                      ratio = 0.25\ntags = {\n  Env = \"prod\"\n  \"cost-center\" = \"42\"\n  owner: \"me\"\n}\n";
        check(
            tfvars,
            &[
                (&["region"], Want::Str("eu-west-1"), "\"eu-west-1\""),
                (&["azs"], Want::Seq(6), "[\"a\", \"b\", 3, true, null, [\"x\"]]"),
                (&["instance_count"], Want::Num("2"), "2"),
                (&["ratio"], Want::Num("0.25"), "0.25"),
                (&["tags", "Env"], Want::Str("prod"), "\"prod\""),
                (&["tags", "cost-center"], Want::Str("42"), "\"42\""),
                (&["tags", "owner"], Want::Str("me"), "\"me\""),
            ],
        );
        let root = parse_root(tfvars);
        let azs: Vec<&str> = at(&root, &["azs"]).items().iter().map(|n| &tfvars[n.span.range()]).collect();
        assert_eq!(azs, ["\"a\"", "\"b\"", "3", "true", "null", "[\"x\"]"]);
        assert_eq!(key_span_text(tfvars, at(&root, &["tags"]), "cost-center"), "\"cost-center\"");
    }

    #[test]
    fn crlf_and_non_ascii() {
        let text = "# é 🦀 comment\r\nname = \"café 🦀\"\r\nblock \"ü\" {\r\n  k = \"🦀\" // 🦀\r\n  \
                    n = 42 /* é */\r\n  e = \"\\u00e9\"\r\n  t = \"${var.é}🦀\"\r\n}\r\n\
                    z = <<EOT\r\nline é\r\nEOT\r\ny = <<-EOT\r\n    🦀 a\r\n      b\r\n    EOT\r\n\
                    m = { \"ключ\" = \"значение\" }\r\n";
        check(
            text,
            &[
                (&["name"], Want::Str("café 🦀"), "\"café 🦀\""),
                (&["block", "ü", "k"], Want::Str("🦀"), "\"🦀\""),
                (&["block", "ü", "n"], Want::Num("42"), "42"),
                (&["block", "ü", "e"], Want::Str("é"), "\"\\u00e9\""),
                (&["block", "ü", "t"], Want::Expr, "\"${var.é}🦀\""),
                (
                    &["block", "ü"],
                    Want::Map(4),
                    "block \"ü\" {\r\n  k = \"🦀\" // 🦀\r\n  n = 42 /* é */\r\n  e = \"\\u00e9\"\r\n  t = \"${var.é}🦀\"\r\n}",
                ),
                (&["z"], Want::Str("line é\n"), "<<EOT\r\nline é\r\nEOT"),
                (&["y"], Want::Str("🦀 a\n  b\n"), "<<-EOT\r\n    🦀 a\r\n      b\r\n    EOT"),
                (&["m", "ключ"], Want::Str("значение"), "\"значение\""),
            ],
        );
        let root = parse_root(text);
        assert_eq!(key_span_text(text, &root, "name"), "name");
        assert_eq!(key_span_text(text, at(&root, &["block"]), "ü"), "\"ü\"");
        assert_eq!(key_span_text(text, at(&root, &["m"]), "ключ"), "\"ключ\"");
    }

    #[test]
    fn empty_comment_only_and_bom() {
        for text in ["", "\n\n", "# only\r\n// comments\n/* and\nblocks */\n"] {
            let root = parse_root(text);
            assert_eq!(root.value, Value::Map(vec![]), "{text:?}");
        }
        let text = "\u{feff}a = \"é\"\n";
        check(text, &[(&["a"], Want::Str("é"), "\"é\"")]);
        assert_eq!(key_span_text(text, &parse_root(text), "a"), "a");
        let err = parse("\u{feff}a = @").expect_err("invalid");
        assert_eq!(err.span, Span::at(7));
    }

    #[test]
    fn malformed_inputs_report_byte_offsets() {
        // (text, byte offset, part of the message)
        let cases: &[(&str, usize, &str)] = &[
            ("a = ", 4, "expected an expression"),
            ("a =\nb = 1\n", 3, "invalid expression"),
            ("a = \"x", 4, "unterminated or invalid string"),
            ("a = \"é", 4, "string"),
            ("a = 1\nb = \"x\n", 10, "string"),
            ("a = {b = 1", 4, "object"),
            ("a = [1, 2", 9, "expected `]`"),
            ("a = f(1", 7, "expected `)`"),
            ("a = \"${x\"", 8, "expected `}`"),
            ("a = x ? 1", 9, "expected `:`"),
            ("a = [for x in y x]", 16, "expected `:`"),
            ("a = 1 b", 6, "expected newline or eof"),
            ("a = 1\na = 2", 6, "redefined attribute"),
            // Terraform rejects these too.
            ("a = <<EOF\nx\nEOF\"\n", 10, "heredoc end delimiter"),
            ("a = <<EOF\nEOF # c\n", 13, "heredoc end delimiter"),
            ("a = \"x\" /* c */ b = 1", 16, "expected newline or eof"),
            ("a { b = 1, c = 2 }", 9, "block body"),
            ("a = { b = x\n ? 1 : 2 }", 13, "invalid expression"),
            ("{", 0, "unexpected `{`"),
            ("@@@", 0, "unexpected `@`"),
            ("a = \"x\"\n}", 8, "unexpected `}`"),
            ("\"a\" = 1", 0, "unexpected `\"`"),
            ("a { ", 4, "block body"),
            ("a b c", 5, "expected `{`"),
            ("resource \"x\" \"y\" {\n  a = 1\n", 27, "block body"),
            ("x {\n  a = \n}\n", 10, "expression"),
            ("x {\n a = \"oops\n}\n", 9, "string"),
            ("a = <<EOT\nfoo\n", 10, "heredoc end delimiter"),
            ("a = <<EOT", 9, "newline"),
            // CRLF and multi-byte characters before the error: offsets stay bytes.
            ("a = 1\r\nb = [\r\n", 14, "expected `]`"),
            ("é = \"🦀\"\r\nb = @", 17, "expression"),
            ("k = \"🦀\"\r\n🦀", 12, "unexpected `🦀`"),
            ("k = \"é\" é", 9, "expected newline or eof"),
        ];
        for &(text, offset, message) in cases {
            let err = parse(text).expect_err(text);
            assert_eq!(err.span, Span::at(offset), "{text:?}: {err:?}");
            assert!(text.is_char_boundary(offset));
            assert!(err.message.contains(message), "{text:?}: {:?} lacks {message:?}", err.message);
            assert!(!err.message.contains('\n'), "{text:?}: one-line message");
        }
    }

    /// Valid Terraform that hcl-edit 0.10 rejected or read wrongly (fixed in
    /// `vendor/hcl-edit`, see its PATCHES.md): (what broke, text, path, value, span text).
    #[test]
    fn terraform_constructs_hcl_edit_rejected() {
        let cases: &[(&str, &str, &[&str], Want, &str)] = &[
            ("duplicate object key", "a = { x = 1, x = 2 }\n", &["a"], Want::Map(2), "{ x = 1, x = 2 }"),
            ("duplicate quoted object key", "a = {\n  \"k\" = 1\n  \"k\" = 2\n}\n", &["a", "k"], Want::Num("2"), "2"),
            (
                "duplicate expression key",
                "a = {\n  (var.k) = 1\n  (var.k) = 2\n}\n",
                &["a"],
                Want::Map(2),
                "{\n  (var.k) = 1\n  (var.k) = 2\n}",
            ),
            (
                "for object conditional split across lines",
                "a = { for k, v in var.m : k => v\n  ? 1\n  : 2 }\n",
                &["a"],
                Want::Expr,
                "{ for k, v in var.m : k => v\n  ? 1\n  : 2 }",
            ),
            (
                "for object conditional with trailing operators",
                "a = { for k, v in var.m : k => v ?\n  1 :\n  2 }\n",
                &["a"],
                Want::Expr,
                "{ for k, v in var.m : k => v ?\n  1 :\n  2 }",
            ),
            (
                "for collection split across lines",
                "a = [for v in var.x != null\n  ? var.x : [] : v]\n",
                &["a"],
                Want::Expr,
                "[for v in var.x != null\n  ? var.x : [] : v]",
            ),
            (
                "for key on the next line",
                "a = { for k, v in var.m : k\n  => v }\n",
                &["a"],
                Want::Expr,
                "{ for k, v in var.m : k\n  => v }",
            ),
            (
                "heredoc line starting with the marker",
                "a = <<EOF\nx\nEOF\"\nEOF\n",
                &["a"],
                Want::Str("x\nEOF\"\n"),
                "<<EOF\nx\nEOF\"\nEOF",
            ),
            (
                "heredoc line marker then paren",
                "a = <<EOF\nEOF)\nEOF\n",
                &["a"],
                Want::Str("EOF)\n"),
                "<<EOF\nEOF)\nEOF",
            ),
            (
                "heredoc line marker then comment",
                "a = <<EOF\ny\nEOF # no\nEOF\n",
                &["a"],
                Want::Str("y\nEOF # no\n"),
                "<<EOF\ny\nEOF # no\nEOF",
            ),
            (
                "indented heredoc marker line with suffix",
                "a = <<-EOF\n  x\n  EOF;\n  EOF\n",
                &["a"],
                Want::Str("x\nEOF;\n"),
                "<<-EOF\n  x\n  EOF;\n  EOF",
            ),
            ("heredoc marker with trailing blanks", "a = <<EOF\nx\nEOF \t\nb = 1\n", &["b"], Want::Num("1"), "1"),
            (
                "empty heredoc then the same marker",
                "a = <<EOF\nEOF\nb = <<EOF\nx\nEOF\n",
                &["b"],
                Want::Str("x\n"),
                "<<EOF\nx\nEOF",
            ),
            ("empty heredoc", "a = <<EOF\nEOF\nb = <<EOF\nx\nEOF\n", &["a"], Want::Str(""), "<<EOF\nEOF"),
            ("unary operand on the next line", "a = (x && !\n  y)\n", &["a"], Want::Expr, "x && !\n  y"),
            ("negation on the next line", "a = [-\n  x]\n", &["a", "0"], Want::Expr, "-\n  x"),
        ];
        for &(name, text, path, ref want, span_text) in cases {
            let root =
                parse(text).map_or_else(|e| panic!("{name}: {e:?}"), |d| d.roots.into_iter().next().expect("a root"));
            let mut node = &root;
            for key in path {
                node = match key.parse::<usize>() {
                    Ok(i) => &node.items()[i],
                    Err(_) => node.get(key).unwrap_or_else(|| panic!("{name}: no {key}")),
                };
            }
            assert_eq!(&text[node.span.range()], span_text, "{name}: span");
            match (want, &node.value) {
                (Want::Str(w), Value::String(v)) | (Want::Num(w), Value::Number(v)) => assert_eq!(&**v, *w, "{name}"),
                (Want::Expr, Value::Expr(v)) => assert_eq!(&*v.text, span_text, "{name}"),
                (Want::Map(n), Value::Map(v)) => assert_eq!(v.len(), *n, "{name}"),
                (want, got) => panic!("{name}: wanted {want:?}, got {got:?}"),
            }
        }
    }

    #[test]
    fn duplicate_object_keys_keep_both_entries() {
        let text = "tags = {\n  Env = \"dev\"\n  Team = \"a\"\n  Env = \"prod\"\n}\n";
        let root = parse_root(text);
        let tags = at(&root, &["tags"]);
        let keys: Vec<(&str, &str, &str)> = tags
            .entries()
            .iter()
            .map(|e| (&*e.key.value, &text[e.key.span.range()], &text[e.value.span.range()]))
            .collect();
        assert_eq!(keys, [("Env", "Env", "\"dev\""), ("Team", "Team", "\"a\""), ("Env", "Env", "\"prod\"")]);
        // The last one wins, as when Terraform evaluates the object.
        assert_eq!(tags.get("Env").and_then(Node::as_str), Some("prod"));
        assert_eq!(tags.get_all("Env").count(), 2);
    }

    /// Constructs Terraform 1.11 accepts (checked with `terraform fmt`), each of which must parse.
    #[test]
    fn terraform_accepts() {
        let cases: &[&str] = &[
            "a = { for k, v in var.m :\n  k => v }\n",
            "a = { for k, v in var.m : k => v\n  if v != null }\n",
            "a = { for k, v in var.m : k => v...\n  if v != null }\n",
            "a = {\n  for k, v in y : k => v...\n}\n",
            "a = [for v in var.m\n  : v]\n",
            "a = [\n  for x in y : x\n]\n",
            "a = { for k, v in var.m : k => {\n  a = v\n  b = 2\n} }\n",
            "a = { for k in y : \"${k}\" => k }\n",
            "a = jsonencode(<<EOF\n{}\nEOF\n)\n",
            "a = f(<<EOT\nx\nEOT\n, 2)\n",
            "a = <<-EOF\n  x\n  EOF  \nb = 1\n",
            "a = <<-EOT\n\ttab\n\tEOT\n",
            "a = <<EOT\n${x}EOT\nEOT\n",
            "a = <<EOF\r\nx\r\nEOF\r\n",
            "a = [\n  1, # one\n  2  // two\n  /* three */\n]\n",
            "a = {\n  b = 1 # c\n  c = 2 // d\n  d = 3 /* e */\n}\n",
            "a = {\n  b = 1,\n  c = 2,\n}\n",
            "a = { k: 1, k: 2 }\n",
            "a = provider::aws::arn_parse(\"x\").region\n",
            "a = x.0.y\n",
            "a = x[*].y[0]\n",
            "a = x.*.y\n",
            "a = (x\n  + y)\n",
            "a = (\n  x\n  ? 1\n  : 2\n)\n",
            "a = f(x\n  ? 1\n  : 2)\n",
            "a = [x\n  ? 1\n  : 2]\n",
            "a = \"${ x\n  ? 1\n  : 2 }\"\n",
            "a = f(\n  x,\n  y...\n)\n",
            "a = f(\n  # comment\n  x\n)\n",
            "a = x ? [\n  1\n] : [\n  2\n]\n",
            "a = x == 1 ? \"a\" : x == 2 ? \"b\" : \"c\"\n",
            "a = \"%{ if x ~}y%{~ else }z%{ endif }\"\n",
            "a = \"$${x} %%{y}\"\n",
            "a = \"\\u00e9\\U0001F980\\n\\t\\\"\\\\\"\n",
            "a = 1e-3\n",
            "résumé = 1\n",
            "a-b = 1\n",
            "resource x y { }\n",
            "a = 1\n// no newline at end",
            "a = 1 /* multi\nline */\n",
            "a = { (a) = 1, \"${x}\" = 2, a.b = 3, 1 = 4 }\n",
            "a = { if = 1, in = 1, null = 1 }\n",
            "in = 1\nif = 1\nfor_each = 1\n",
        ];
        for text in cases {
            if let Err(e) = parse(text) {
                panic!("{text:?}: {e:?}");
            }
        }
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let inputs = [
            format!("a = {}", "[".repeat(100_000)),
            format!("a = {}1{}", "[".repeat(100_000), "]".repeat(100_000)),
            format!("a = {}", "{ b = ".repeat(100_000)),
            format!("a = {}1", "-".repeat(100_000)),
            format!("a = {}x", "!".repeat(100_000)),
            format!("a = {}", "(".repeat(100_000)),
            format!("a = {}", "f(".repeat(100_000)),
            format!("a = \"{}", "${\"".repeat(100_000)),
            format!("a = 1{}", " + 1".repeat(100_000)),
            format!("b {}", "{\n b ".repeat(100_000)),
        ];
        for input in &inputs {
            let err = parse(input).expect_err("too deep");
            assert!(err.span.end as usize <= input.len());
            assert!(!err.message.contains('\n'));
        }
        // A long traversal chain is flat, not nested: it parses.
        let chain = format!("a = x{}", ".y".repeat(100_000));
        let root = parse_root(&chain);
        assert_eq!(root.get("a").map(|n| n.span.len()), Some(chain.len() - 4));
    }

    #[test]
    fn a_50_mib_line_parses() {
        let value = "x".repeat(50 << 20);
        let text = format!("a = \"{value}\"\n");
        let root = parse_root(&text);
        assert_eq!(root.get("a").map(|n| n.span), Some(Span::new(4, text.len() - 1)));
        let text = format!("a = \"{value}");
        let err = parse(&text).expect_err("unterminated");
        assert!(err.span.end as usize <= text.len());
    }

    #[test]
    fn deepest_accepted_nesting_fits_a_small_stack() {
        // Mixed nesting just under hcl-edit's limit, parsed on a 1 MiB stack (rayon
        // workers get 2 MiB) in an unoptimised build.
        let mut expr = String::from("1");
        let wraps: [(&str, &str); 5] = [("[", "]"), ("{ k = ", " }"), ("f(", ")"), ("(", ")"), ("\"${", "}\"")];
        for i in 0..30 {
            let (open, close) = wraps[i % wraps.len()];
            expr = format!("{open}{expr}{close}");
        }
        let mut text = format!("a = {expr}\n");
        for _ in 0..20 {
            text = format!("b {{\n{text}}}\n");
        }
        let result = std::thread::Builder::new()
            .stack_size(1 << 20)
            .spawn(move || parse(&text).map(|doc| doc.roots.len()))
            .expect("spawn thread")
            .join()
            .expect("no stack overflow");
        assert_eq!(result, Ok(1));
    }

    /// Deterministic fuzzing: random token soup never panics, errors sit on character
    /// boundaries, and every expression's text is exactly its span.
    #[test]
    fn token_soup_never_panics() {
        const TOKENS: &[&str] = &[
            "a", "b_1", "=", " ", "\n", "\r\n", "{", "}", "[", "]", "(", ")", "\"", "\"x\"", "${", "%{", "<<EOT\n",
            "<<-EOT\n", "EOT", "1", "-", "!", ",", ".", "*", "?", ":", "#", "//", "/*", "*/", "é", "🦀", "\\", "for",
            "in", "=>", "...", "\t", "null", "true",
        ];
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..3000 {
            let len = (next() % 40) as usize;
            let text: String = (0..len).map(|_| TOKENS[(next() % TOKENS.len() as u64) as usize]).collect();
            match parse(&text) {
                Ok(doc) => {
                    for root in &doc.roots {
                        root.walk(&mut |node| {
                            let slice = text.get(node.span.range()).expect("span on char boundaries");
                            if let Value::Expr(e) = &node.value {
                                assert_eq!(&*e.text, slice, "{text:?}");
                                assert_eq!(e.ast.span, node.span, "{text:?}");
                            }
                        });
                    }
                }
                Err(err) => {
                    assert!(err.span.is_empty() && text.is_char_boundary(err.span.start as usize), "{text:?}");
                    assert!(!err.message.contains('\n'));
                }
            }
        }
    }
}
