//! hcl-edit expressions to the spanned expression tree ([`crate::model::expr`]).
//!
//! hcl-edit bounds how deep expressions nest (64 levels of brackets, 128 operators
//! per level); the tree built here is bounded again by [`MAX_DEPTH`], past which a
//! node is [`ExprKind::TooDeep`] (unknown to the evaluator), so no input can make
//! the conversion or a later walk overflow the stack.

use hcl::edit::Span as _;
use hcl::edit::expr::{
    BinaryOperator, Expression, ForExpr, FuncCall, ObjectKey as HclKey, TraversalOperator, UnaryOperator,
};
use hcl::edit::template::{Directive, Element, Strip, Template as HclTemplate};

use crate::model::expr::{
    BinaryOp, Call, Expr, ExprKind, ForExpr as AstFor, ObjectItem, ObjectKey, Part, Template, Traverse, UnaryOp,
};
use crate::span::Spanned;

use super::Converter;

/// How deep a tree is built.
pub const MAX_DEPTH: u32 = 256;

impl Converter<'_> {
    /// The tree of an expression.
    pub(super) fn ast(&self, expr: &Expression, depth: u32) -> Expr {
        let span = self.span(expr.span());
        if depth > MAX_DEPTH {
            return Expr::new(span, ExprKind::TooDeep);
        }
        let d = depth + 1;
        let kind = match expr {
            Expression::Null(_) => ExprKind::Null,
            Expression::Bool(b) => ExprKind::Bool(*b.value()),
            Expression::Number(_) => ExprKind::Number(self.slice(span).into()),
            Expression::String(s) => ExprKind::String(s.value().as_str().into()),
            Expression::Array(array) => ExprKind::Tuple(array.iter().map(|e| self.ast(e, d)).collect()),
            Expression::Object(object) => ExprKind::Object(
                object
                    .iter()
                    .map(|(key, value)| ObjectItem {
                        key: match key {
                            HclKey::Ident(ident) => {
                                ObjectKey::Ident(Spanned::new(self.span(key.span()), ident.as_str().into()))
                            }
                            HclKey::Expression(e) => ObjectKey::Expr(self.ast(e, d)),
                        },
                        value: self.ast(value.expr(), d),
                    })
                    .collect(),
            ),
            Expression::StringTemplate(t) => self.template_kind(t, d),
            Expression::HeredocTemplate(h) => self.template_kind(&h.template, d),
            // `(x)` is `x` (with the inner span), as in the document tree.
            Expression::Parenthesis(p) => return self.ast(p.inner(), d),
            Expression::Variable(v) => ExprKind::Variable(v.as_str().into()),
            Expression::Conditional(c) => ExprKind::Conditional(Box::new([
                self.ast(&c.cond_expr, d),
                self.ast(&c.true_expr, d),
                self.ast(&c.false_expr, d),
            ])),
            Expression::FuncCall(call) => ExprKind::Call(Box::new(self.call(call, d))),
            Expression::Traversal(t) => {
                let ops = t
                    .operators
                    .iter()
                    .map(|op| {
                        let op_span = self.span(op.span());
                        match op.value() {
                            TraversalOperator::AttrSplat(_) => Traverse::AttrSplat(op_span),
                            TraversalOperator::FullSplat(_) => Traverse::FullSplat(op_span),
                            TraversalOperator::GetAttr(ident) => {
                                Traverse::Attr(Spanned::new(op_span, ident.as_str().into()))
                            }
                            TraversalOperator::Index(e) => Traverse::Index(self.ast(e, d)),
                            TraversalOperator::LegacyIndex(i) => {
                                Traverse::LegacyIndex(Spanned::new(op_span, *i.value()))
                            }
                        }
                    })
                    .collect();
                ExprKind::Traversal(Box::new(self.ast(&t.expr, d)), ops)
            }
            Expression::UnaryOp(op) => {
                let o = match op.operator.value() {
                    UnaryOperator::Neg => UnaryOp::Neg,
                    UnaryOperator::Not => UnaryOp::Not,
                };
                ExprKind::Unary(o, Box::new(self.ast(&op.expr, d)))
            }
            Expression::BinaryOp(op) => {
                let o = match op.operator.value() {
                    BinaryOperator::Eq => BinaryOp::Eq,
                    BinaryOperator::NotEq => BinaryOp::NotEq,
                    BinaryOperator::LessEq => BinaryOp::LessEq,
                    BinaryOperator::GreaterEq => BinaryOp::GreaterEq,
                    BinaryOperator::Less => BinaryOp::Less,
                    BinaryOperator::Greater => BinaryOp::Greater,
                    BinaryOperator::Plus => BinaryOp::Plus,
                    BinaryOperator::Minus => BinaryOp::Minus,
                    BinaryOperator::Mul => BinaryOp::Mul,
                    BinaryOperator::Div => BinaryOp::Div,
                    BinaryOperator::Mod => BinaryOp::Mod,
                    BinaryOperator::And => BinaryOp::And,
                    BinaryOperator::Or => BinaryOp::Or,
                };
                ExprKind::Binary(o, Box::new([self.ast(&op.lhs_expr, d), self.ast(&op.rhs_expr, d)]))
            }
            Expression::ForExpr(f) => ExprKind::For(Box::new(self.for_expr(f, d))),
        };
        Expr::new(span, kind)
    }

    fn call(&self, call: &FuncCall, d: u32) -> Call {
        let mut name: String =
            call.name.namespace.iter().map(|n| format!("{}::", n.as_str())).collect::<Vec<_>>().concat();
        name.push_str(call.name.name.as_str());
        let start = call.name.namespace.first().map_or_else(|| call.name.name.span(), hcl::edit::Span::span);
        let name_span = self.span(start).cover(self.span(call.name.name.span()));
        Call {
            name: Spanned::new(name_span, name.into()),
            args: call.args.iter().map(|a| self.ast(a, d)).collect(),
            expand_final: call.args.expand_final(),
        }
    }

    fn for_expr(&self, f: &ForExpr, d: u32) -> AstFor {
        AstFor {
            key_var: f.intro.key_var.as_ref().map(|k| k.as_str().into()),
            value_var: f.intro.value_var.as_str().into(),
            collection: self.ast(&f.intro.collection_expr, d),
            key: f.key_expr.as_ref().map(|k| self.ast(k, d)),
            value: self.ast(&f.value_expr, d),
            cond: f.cond.as_ref().map(|c| self.ast(&c.expr, d)),
            grouping: f.grouping,
        }
    }

    /// A template made only of literals is a plain string (heredoc line endings
    /// normalised to `\n`); anything else is a [`Template`].
    fn template_kind(&self, template: &HclTemplate, d: u32) -> ExprKind {
        let parts = self.parts(template, d);
        match parts.as_slice() {
            [] => ExprKind::String("".into()),
            [Part::Literal(s)] => ExprKind::String(s.value.clone()),
            _ => ExprKind::Template(Template { parts }),
        }
    }

    /// Template elements as parts: adjacent literals joined, whitespace strip
    /// markers (`~`) applied to the literals beside them.
    pub(super) fn parts(&self, template: &HclTemplate, d: u32) -> Vec<Part> {
        let mut out: Vec<Part> = Vec::new();
        // whether the next literal loses its leading whitespace
        let mut strip_next = false;
        for element in template {
            match element {
                Element::Literal(lit) => {
                    let mut text: &str = lit.value();
                    if std::mem::take(&mut strip_next) {
                        text = text.trim_start();
                    }
                    let span = self.span(lit.span());
                    let normalised = if text.contains('\r') { text.replace("\r\n", "\n") } else { text.to_owned() };
                    match out.last_mut() {
                        Some(Part::Literal(prev)) => {
                            prev.value = format!("{}{normalised}", prev.value).into();
                            prev.span = prev.span.cover(span);
                        }
                        _ => out.push(Part::Literal(Spanned::new(span, normalised.into()))),
                    }
                }
                Element::Interpolation(i) => {
                    strip_before(&mut out, i.strip);
                    out.push(Part::Interpolation(self.ast(&i.expr, d)));
                    strip_next = i.strip.strip_end();
                }
                Element::Directive(dir) => match &**dir {
                    Directive::If(i) => {
                        strip_before(&mut out, i.if_expr.strip);
                        out.push(Part::If {
                            cond: self.ast(&i.if_expr.cond_expr, d),
                            then: self.parts(&i.if_expr.template, d + 1),
                            otherwise: i.else_expr.as_ref().map(|e| self.parts(&e.template, d + 1)).unwrap_or_default(),
                        });
                        strip_next = i.endif_expr.strip.strip_end();
                    }
                    Directive::For(f) => {
                        strip_before(&mut out, f.for_expr.strip);
                        out.push(Part::For {
                            key_var: f.for_expr.key_var.as_ref().map(|k| k.as_str().into()),
                            value_var: f.for_expr.value_var.as_str().into(),
                            collection: self.ast(&f.for_expr.collection_expr, d),
                            body: self.parts(&f.for_expr.template, d + 1),
                        });
                        strip_next = f.endfor_expr.strip.strip_end();
                    }
                },
            }
        }
        out
    }
}

/// `~` at the start of an interpolation or directive strips the whitespace that ends the literal before it.
fn strip_before(out: &mut [Part], strip: Strip) {
    if strip.strip_start()
        && let Some(Part::Literal(prev)) = out.last_mut()
    {
        prev.value = prev.value.trim_end().into();
    }
}

#[cfg(test)]
mod tests {
    use crate::model::expr::{Expr, ExprKind, ObjectKey, Part, Traverse};
    use crate::model::{Node, Value};

    fn tree(text: &str) -> (String, Expr) {
        let src = format!("a = {text}\n");
        let doc = crate::parse::hcl::parse(&src).expect("parses");
        let node: &Node = doc.roots[0].get("a").expect("a");
        let Value::Expr(e) = &node.value else { panic!("not an expression: {text}") };
        let ast = e.ast.clone();
        (src, ast)
    }

    /// Every node's span text, in walk order.
    fn spans(text: &str) -> Vec<String> {
        let (src, ast) = tree(text);
        let mut out = Vec::new();
        ast.walk(&mut |n| out.push(src[n.span.range()].to_owned()));
        out
    }

    #[test]
    fn every_node_has_its_span() {
        let cases: &[(&str, &[&str])] = &[
            ("var.tags", &["var.tags", "var"]),
            ("merge(local.a, { b = 1 })", &["merge(local.a, { b = 1 })", "local.a", "local", "{ b = 1 }", "1"]),
            ("x ? \"y\" : null", &["x ? \"y\" : null", "x", "\"y\"", "null"]),
            ("!a && b", &["!a && b", "!a", "a", "b"]),
            ("l[0].k[*].v", &["l[0].k[*].v", "l", "0"]),
            ("\"${a}-b\"", &["\"${a}-b\"", "a"]),
            (
                "[for k, v in m : upper(v) if k != \"\"]",
                &["[for k, v in m : upper(v) if k != \"\"]", "m", "upper(v)", "v", "k != \"\"", "k", "\"\""],
            ),
            ("f({ (k) = 1 })", &["f({ (k) = 1 })", "{ (k) = 1 }", "k", "1"]),
        ];
        for &(text, want) in cases {
            assert_eq!(spans(text), want, "{text}");
        }
    }

    #[test]
    fn parts_keep_their_own_spans() {
        let (src, ast) = tree("provider::aws::arn_parse(x).region");
        let ExprKind::Traversal(base, ops) = &ast.kind else { panic!("traversal") };
        let ExprKind::Call(call) = &base.kind else { panic!("call") };
        assert_eq!(
            (&*call.name.value, &src[call.name.span.range()]),
            ("provider::aws::arn_parse", "provider::aws::arn_parse")
        );
        let [Traverse::Attr(attr)] = ops.as_slice() else { panic!("one attribute") };
        assert_eq!(&src[attr.span.range()], ".region");
        let (src, ast) = tree("\"pre ${x} post %{ if y }z%{ endif }\"");
        let ExprKind::Template(t) = &ast.kind else { panic!("template") };
        let texts: Vec<String> = t
            .parts
            .iter()
            .map(|p| match p {
                Part::Literal(l) => format!("lit {:?} at {:?}", l.value, &src[l.span.range()]),
                Part::Interpolation(e) => format!("expr {:?}", &src[e.span.range()]),
                Part::If { cond, .. } => format!("if {:?}", &src[cond.span.range()]),
                Part::For { .. } => "for".to_owned(),
            })
            .collect();
        assert_eq!(texts, ["lit \"pre \" at \"pre \"", "expr \"x\"", "lit \" post \" at \" post \"", "if \"y\""]);
        let (src, ast) = tree("{ env = 1, \"k\" = 2 }.env");
        let ExprKind::Traversal(base, _) = &ast.kind else { panic!("traversal") };
        let ExprKind::Object(items) = &base.kind else { panic!("object") };
        let keys: Vec<&str> = items.iter().map(|i| &src[i.key.span().range()]).collect();
        assert_eq!(keys, ["env", "\"k\""]);
        assert!(matches!(items[0].key, ObjectKey::Ident(_)) && matches!(items[1].key, ObjectKey::Expr(_)));
    }

    #[test]
    fn strip_markers_and_heredocs() {
        let (_, ast) = tree("\"a  ${~ x ~}  b\"");
        let ExprKind::Template(t) = &ast.kind else { panic!("template") };
        let lits: Vec<&str> =
            t.parts.iter().filter_map(|p| if let Part::Literal(l) = p { Some(&*l.value) } else { None }).collect();
        assert_eq!(lits, ["a", "b"]);
        let src = "a = <<-EOT\n  hello ${x}\n  EOT\n";
        let doc = crate::parse::hcl::parse(src).expect("parses");
        let Value::Expr(e) = &doc.roots[0].get("a").expect("a").value else { panic!("expr") };
        let ExprKind::Template(t) = &e.ast.kind else { panic!("template") };
        assert!(matches!(&t.parts[0], Part::Literal(l) if &*l.value == "hello "));
    }
}
