//! The HCL expression AST: what the HCL adapter builds for every expression that
//! is not plain data (references, function calls, templates with interpolations,
//! conditionals, operators, `for` expressions), each node with its byte span.
//!
//! Plain data (strings without interpolation, numbers, booleans, `null`, tuples and
//! objects of plain data) stays in the document tree as [`Value`](super::Value)s;
//! inside an expression, every part is a node of this AST. Depends only on `span`.

use crate::span::{Span, Spanned};

/// An expression as written, with its source text (for JSON views and messages)
/// and its tree. The text is exactly the source under the root node's span.
#[derive(Clone, Debug, PartialEq)]
pub struct Expression {
    pub text: Box<str>,
    pub ast: Expr,
}

/// One node of the expression tree.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub span: Span,
    pub kind: ExprKind,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    Null,
    Bool(bool),
    /// A number as written (`1`, `1.5e3`).
    Number(Box<str>),
    /// A string or heredoc without interpolation, decoded.
    String(Box<str>),
    /// A string or heredoc with interpolations or directives.
    Template(Template),
    /// A root name: `var`, `local`, `module`, `data`, `each`, `count`, a resource
    /// type, a `for` variable.
    Variable(Box<str>),
    /// `base.attr`, `base[index]`, `base[*].attr`, `base.*.attr`.
    Traversal(Box<Expr>, Vec<Traverse>),
    Call(Box<Call>),
    /// `cond ? then : otherwise`.
    Conditional(Box<[Expr; 3]>),
    Unary(UnaryOp, Box<Expr>),
    Binary(BinaryOp, Box<[Expr; 2]>),
    /// `[a, b]`
    Tuple(Vec<Expr>),
    /// `{ k = v }`, keys and values in source order (a repeated key is kept; the last wins).
    Object(Vec<ObjectItem>),
    For(Box<ForExpr>),
    /// Deeper than the adapter builds trees for: evaluates to unknown.
    TooDeep,
}

/// One traversal step.
#[derive(Clone, Debug, PartialEq)]
pub enum Traverse {
    /// `.name`
    Attr(Spanned<Box<str>>),
    /// `[expr]`
    Index(Expr),
    /// `.0` (the legacy index form)
    LegacyIndex(Spanned<u64>),
    /// `.*`: the following attribute steps apply to every element.
    AttrSplat(Span),
    /// `[*]`: every following step applies to every element.
    FullSplat(Span),
}

/// A function call: `name(args)`, `provider::aws::arn_parse(x)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Call {
    /// The name, namespaces joined with `::`.
    pub name: Spanned<Box<str>>,
    pub args: Vec<Expr>,
    /// `f(list...)`: the last argument's elements are the trailing arguments.
    pub expand_final: bool,
}

/// An object constructor item.
#[derive(Clone, Debug, PartialEq)]
pub struct ObjectItem {
    pub key: ObjectKey,
    pub value: Expr,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ObjectKey {
    /// A bare name: `{ env = ... }` is the key `env`.
    Ident(Spanned<Box<str>>),
    /// Any other key is evaluated: `"env"`, `(var.key)`, `"${x}"`.
    Expr(Expr),
}

impl ObjectKey {
    pub fn span(&self) -> Span {
        match self {
            Self::Ident(s) => s.span,
            Self::Expr(e) => e.span,
        }
    }
}

/// `[for k, v in coll : value if cond]` and `{for k, v in coll : key => value... if cond}`.
#[derive(Clone, Debug, PartialEq)]
pub struct ForExpr {
    pub key_var: Option<Box<str>>,
    pub value_var: Box<str>,
    pub collection: Expr,
    /// `Some` for the object form.
    pub key: Option<Expr>,
    pub value: Expr,
    pub cond: Option<Expr>,
    /// `...` after the value: values of one key are grouped into a list.
    pub grouping: bool,
}

/// A string template: literal text, interpolations and directives.
#[derive(Clone, Debug, PartialEq)]
pub struct Template {
    pub parts: Vec<Part>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Part {
    /// Decoded text (whitespace strip markers applied); the span is where it is written.
    Literal(Spanned<Box<str>>),
    /// `${expr}`
    Interpolation(Expr),
    /// `%{ if cond }then%{ else }otherwise%{ endif }`
    If { cond: Expr, then: Vec<Part>, otherwise: Vec<Part> },
    /// `%{ for k, v in coll }body%{ endfor }`
    For { key_var: Option<Box<str>>, value_var: Box<str>, collection: Expr, body: Vec<Part> },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnaryOp {
    /// `-x`
    Neg,
    /// `!x`
    Not,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryOp {
    Eq,
    NotEq,
    LessEq,
    GreaterEq,
    Less,
    Greater,
    Plus,
    Minus,
    Mul,
    Div,
    Mod,
    And,
    Or,
}

impl Expr {
    pub fn new(span: Span, kind: ExprKind) -> Self {
        Self { span, kind }
    }

    /// `var.name` → `("var", "name")`: a root name and its first attribute.
    pub fn reference(&self) -> Option<(&str, &str)> {
        match &self.kind {
            ExprKind::Traversal(base, ops) => match (&base.kind, ops.first()) {
                (ExprKind::Variable(root), Some(Traverse::Attr(a))) => Some((root, &a.value)),
                _ => None,
            },
            _ => None,
        }
    }

    /// The called function's name and arguments, if this is a call.
    pub fn call(&self) -> Option<(&str, &[Expr])> {
        match &self.kind {
            ExprKind::Call(c) => Some((&c.name.value, &c.args)),
            _ => None,
        }
    }

    /// Depth-first, pre-order walk over this node and every node below it.
    pub fn walk<'a>(&'a self, f: &mut impl FnMut(&'a Expr)) {
        f(self);
        match &self.kind {
            ExprKind::Template(t) => walk_parts(&t.parts, f),
            ExprKind::Traversal(base, ops) => {
                base.walk(f);
                for op in ops {
                    if let Traverse::Index(e) = op {
                        e.walk(f);
                    }
                }
            }
            ExprKind::Call(c) => c.args.iter().for_each(|a| a.walk(f)),
            ExprKind::Conditional(parts) => parts.iter().for_each(|p| p.walk(f)),
            ExprKind::Binary(_, parts) => parts.iter().for_each(|p| p.walk(f)),
            ExprKind::Unary(_, e) => e.walk(f),
            ExprKind::Tuple(items) => items.iter().for_each(|i| i.walk(f)),
            ExprKind::Object(items) => {
                for item in items {
                    if let ObjectKey::Expr(k) = &item.key {
                        k.walk(f);
                    }
                    item.value.walk(f);
                }
            }
            ExprKind::For(fe) => {
                fe.collection.walk(f);
                if let Some(k) = &fe.key {
                    k.walk(f);
                }
                fe.value.walk(f);
                if let Some(c) = &fe.cond {
                    c.walk(f);
                }
            }
            ExprKind::Null
            | ExprKind::Bool(_)
            | ExprKind::Number(_)
            | ExprKind::String(_)
            | ExprKind::Variable(_)
            | ExprKind::TooDeep => {}
        }
    }
}

fn walk_parts<'a>(parts: &'a [Part], f: &mut impl FnMut(&'a Expr)) {
    for part in parts {
        match part {
            Part::Literal(_) => {}
            Part::Interpolation(e) => e.walk(f),
            Part::If { cond, then, otherwise } => {
                cond.walk(f);
                walk_parts(then, f);
                walk_parts(otherwise, f);
            }
            Part::For { collection, body, .. } => {
                collection.walk(f);
                walk_parts(body, f);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ast(text: &str) -> Expr {
        let doc = crate::parse::hcl::parse(&format!("a = {text}\n")).expect("parses");
        match doc.roots[0].get("a").map(|n| &n.value) {
            Some(crate::model::Value::Expr(e)) => e.ast.clone(),
            other => panic!("not an expression: {other:?}"),
        }
    }

    #[test]
    fn references_and_calls() {
        assert_eq!(ast("var.tags").reference(), Some(("var", "tags")));
        assert_eq!(ast("local.tags.env").reference(), Some(("local", "tags")));
        assert_eq!(ast("merge(a, b)").reference(), None);
        let call = ast("merge(local.a, { b = 1 })");
        let (name, args) = call.call().expect("a call");
        assert_eq!((name, args.len()), ("merge", 2));
    }

    #[test]
    fn walk_visits_every_node() {
        let e = ast("x ? \"${var.a}-b\" : [for v in local.l : upper(v) if v != \"\"]");
        let mut refs = Vec::new();
        e.walk(&mut |n| {
            if let Some((root, name)) = n.reference() {
                refs.push(format!("{root}.{name}"));
            }
        });
        assert_eq!(refs, ["var.a", "local.l"]);
    }
}
