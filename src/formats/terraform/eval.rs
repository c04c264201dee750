//! The Terraform expression evaluator: document nodes and expression trees to
//! [`Val`]s, with what `var.*` and `local.*` are worth supplied by a [`Resolve`].
//!
//! What it cannot know — data sources, resources' and modules' attributes,
//! `terraform.workspace`, `each`/`count`/`self`, unknown functions, variables
//! without a value — is [`Kind::Unknown`], and unknown propagates: an operation
//! with an unknown operand is unknown, a conditional on an unknown condition is
//! unknown. Errors Terraform would report (a missing attribute, a type mismatch)
//! are caught by `try`/`can` and are unknown anywhere else.
//!
//! Every evaluation is bounded ([`Budget`]): a step count shared by everything
//! one root evaluation does, a nesting depth (locals that use locals count), and
//! sizes of strings and collections. Past a limit the result is unknown, never a
//! hang, a stack overflow or an allocation the input chose.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::rc::Rc;

use crate::model::expr::{BinaryOp, Expr, ExprKind, ObjectKey, Part, Traverse, UnaryOp};
use crate::model::{Node, Value};
use crate::rule::{FileRef, Loc};

use super::funcs;
use super::value::{Kind, Val};

/// Steps one root evaluation may take (a node evaluated, a `for` iteration, a
/// value copied counts one per value).
pub const MAX_STEPS: u64 = 2_000_000;
/// Nesting of evaluations (expression nodes, locals using locals).
pub const MAX_DEPTH: u32 = 160;
/// The longest string a function or template may build (bytes).
pub const MAX_STRING: usize = 1 << 20;
/// The most items a collection may hold.
pub const MAX_ITEMS: usize = 100_000;

/// Why an evaluation did not produce a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fail {
    /// What Terraform reports as an error: caught by `try` and `can`.
    Error,
    /// A limit of the [`Budget`]: never caught, the whole evaluation is unknown.
    Limit,
}

/// The bounds of one evaluation, shared by everything it evaluates.
#[derive(Debug)]
pub struct Budget {
    steps: Cell<u64>,
    depth: Cell<u32>,
}

impl Default for Budget {
    fn default() -> Self {
        Self::new(MAX_STEPS)
    }
}

impl Budget {
    pub fn new(steps: u64) -> Self {
        Self { steps: Cell::new(steps), depth: Cell::new(0) }
    }

    /// Takes `n` steps.
    pub fn charge(&self, n: u64) -> Result<(), Fail> {
        let left = self.steps.get();
        if left < n {
            self.steps.set(0);
            return Err(Fail::Limit);
        }
        self.steps.set(left - n);
        Ok(())
    }

    /// Whether a limit was reached.
    pub fn exhausted(&self) -> bool {
        self.steps.get() == 0
    }

    /// Runs `f` one level deeper.
    pub fn nested<T>(&self, f: impl FnOnce() -> Result<T, Fail>) -> Result<T, Fail> {
        let d = self.depth.get();
        if d >= MAX_DEPTH {
            return Err(Fail::Limit);
        }
        self.depth.set(d + 1);
        let r = f();
        self.depth.set(d);
        r
    }
}

/// What `var.*` and `local.*` (and any other root a scope knows) are worth.
pub trait Resolve {
    /// The value of `root.name`; `Ok(None)` when this scope does not know the root
    /// (it is unknown).
    fn resolve(&self, ev: &Evaluator<'_>, root: &str, name: &str) -> Result<Option<Rc<Val>>, Fail>;
}

/// A scope that knows nothing: every reference is unknown (literals only).
pub struct NoScope;

impl Resolve for NoScope {
    fn resolve(&self, _: &Evaluator<'_>, _: &str, _: &str) -> Result<Option<Rc<Val>>, Fail> {
        Ok(None)
    }
}

/// `for` variables in scope.
struct Bind<'b> {
    name: &'b str,
    val: &'b Val,
    next: Option<&'b Bind<'b>>,
}

impl Bind<'_> {
    fn find(&self, name: &str) -> Option<&Val> {
        let mut b = Some(self);
        while let Some(x) = b {
            if x.name == name {
                return Some(x.val);
            }
            b = x.next;
        }
        None
    }
}

/// Evaluates nodes and expressions in one scope.
pub struct Evaluator<'a> {
    pub scope: &'a dyn Resolve,
    pub budget: &'a Budget,
}

impl<'a> Evaluator<'a> {
    pub fn new(scope: &'a dyn Resolve, budget: &'a Budget) -> Self {
        Self { scope, budget }
    }

    /// A document node of file `file`; errors and limits are unknown.
    pub fn node(&self, node: &Node, file: FileRef) -> Val {
        self.try_node(node, file).unwrap_or_else(|_| Val::unknown())
    }

    /// A document node of file `file`.
    pub fn try_node(&self, node: &Node, file: FileRef) -> Result<Val, Fail> {
        self.budget.charge(1)?;
        let origin = Some(Loc { file, span: node.span });
        let kind = match &node.value {
            Value::Null => Kind::Null,
            Value::Bool(b) => Kind::Bool(*b),
            Value::Number(n) => number(n)?,
            Value::String(s) => Kind::String(s.to_string()),
            Value::Seq(items) => {
                let list = self.budget.nested(|| items.iter().map(|n| self.try_node(n, file)).collect())?;
                Kind::List(list)
            }
            Value::Map(entries) => {
                let mut map = BTreeMap::new();
                for e in entries {
                    // An expression key (`(var.k)`, `"${x}"`) is kept as its text by the
                    // parser: which key it makes is not known.
                    if e.key.value.starts_with('(') || e.key.value.contains("${") {
                        return Ok(Val::unknown());
                    }
                    let v = self.budget.nested(|| self.try_node(&e.value, file))?;
                    map.insert(e.key.value.to_string(), v);
                }
                Kind::Map(map)
            }
            Value::Expr(e) => return self.expr(&e.ast, file, None),
        };
        Ok(Val::new(kind, origin))
    }

    /// An expression of file `file`; errors and limits are unknown.
    pub fn expression(&self, e: &Expr, file: FileRef) -> Val {
        self.expr(e, file, None).unwrap_or_else(|_| Val::unknown())
    }

    fn expr(&self, e: &Expr, file: FileRef, binds: Option<&Bind<'_>>) -> Result<Val, Fail> {
        self.budget.charge(1)?;
        self.budget.nested(|| self.expr_inner(e, file, binds))
    }

    fn expr_inner(&self, e: &Expr, file: FileRef, binds: Option<&Bind<'_>>) -> Result<Val, Fail> {
        let here = Some(Loc { file, span: e.span });
        let kind = match &e.kind {
            ExprKind::Null => Kind::Null,
            ExprKind::Bool(b) => Kind::Bool(*b),
            ExprKind::Number(n) => number(n)?,
            ExprKind::String(s) => Kind::String(s.to_string()),
            ExprKind::TooDeep => return Err(Fail::Limit),
            ExprKind::Template(t) => {
                // `"${x}"` alone is `x` itself, as in Terraform.
                if let [Part::Interpolation(inner)] = t.parts.as_slice() {
                    return self.expr(inner, file, binds);
                }
                let mut out = String::new();
                if self.parts(&t.parts, file, binds, &mut out)? { Kind::String(out) } else { Kind::Unknown }
            }
            ExprKind::Variable(name) => match binds.and_then(|b| b.find(name)) {
                Some(v) => return self.copy(v),
                None => Kind::Unknown,
            },
            ExprKind::Traversal(base, ops) => return self.traversal(base, ops, file, binds),
            ExprKind::Call(call) => {
                let name = &*call.name.value;
                match name {
                    "try" => {
                        for arg in &call.args {
                            match self.expr(arg, file, binds) {
                                Ok(v) => return Ok(v),
                                Err(Fail::Error) => {}
                                Err(Fail::Limit) => return Err(Fail::Limit),
                            }
                        }
                        return Err(Fail::Error);
                    }
                    "can" => {
                        let [arg] = call.args.as_slice() else { return Err(Fail::Error) };
                        match self.expr(arg, file, binds) {
                            Ok(v) if v.is_unknown() => Kind::Unknown,
                            Ok(_) => Kind::Bool(true),
                            Err(Fail::Error) => Kind::Bool(false),
                            Err(Fail::Limit) => return Err(Fail::Limit),
                        }
                    }
                    _ => {
                        let mut args = Vec::with_capacity(call.args.len());
                        for a in &call.args {
                            args.push(self.expr(a, file, binds)?);
                        }
                        if call.expand_final {
                            match args.pop().map(|v| v.kind) {
                                Some(Kind::List(rest)) => args.extend(rest),
                                Some(Kind::Unknown) => return Ok(Val::unknown()),
                                _ => return Err(Fail::Error),
                            }
                        }
                        let v = funcs::call(name, args, here)?;
                        self.budget.charge(v.size())?;
                        return Ok(v);
                    }
                }
            }
            ExprKind::Conditional(parts) => {
                let [cond, then, otherwise] = &**parts;
                let c = self.expr(cond, file, binds)?;
                return match (&c.kind, c.as_bool()) {
                    (Kind::Unknown, _) => Ok(Val::unknown()),
                    (_, Some(true)) => self.expr(then, file, binds),
                    (_, Some(false)) => self.expr(otherwise, file, binds),
                    _ => Err(Fail::Error),
                };
            }
            ExprKind::Unary(op, inner) => {
                let v = self.expr(inner, file, binds)?;
                match (op, &v.kind) {
                    (_, Kind::Unknown) => Kind::Unknown,
                    (UnaryOp::Not, _) => Kind::Bool(!v.as_bool().ok_or(Fail::Error)?),
                    (UnaryOp::Neg, _) => Kind::Number(-to_number(&v)?),
                }
            }
            ExprKind::Binary(op, parts) => {
                let [lhs, rhs] = &**parts;
                let (left, right) = (self.expr(lhs, file, binds)?, self.expr(rhs, file, binds)?);
                binary(*op, &left, &right)?
            }
            ExprKind::Tuple(items) => {
                let mut list = Vec::with_capacity(items.len());
                for i in items {
                    list.push(self.expr(i, file, binds)?);
                }
                Kind::List(list)
            }
            ExprKind::Object(items) => {
                let mut map = BTreeMap::new();
                for item in items {
                    let key = match &item.key {
                        ObjectKey::Ident(k) => k.value.to_string(),
                        ObjectKey::Expr(k) => {
                            let kv = self.expr(k, file, binds)?;
                            if kv.is_unknown() {
                                return Ok(Val::unknown());
                            }
                            kv.to_text().ok_or(Fail::Error)?
                        }
                    };
                    map.insert(key, self.expr(&item.value, file, binds)?);
                }
                Kind::Map(map)
            }
            ExprKind::For(f) => {
                let coll = self.expr(&f.collection, file, binds)?;
                let pairs: Vec<(Val, &Val)> = match &coll.kind {
                    Kind::Unknown => return Ok(Val::unknown()),
                    Kind::List(items) => {
                        items.iter().enumerate().map(|(i, v)| (Val::new(Kind::Number(i as f64), None), v)).collect()
                    }
                    Kind::Map(map) => map.iter().map(|(k, v)| (Val::string(k.clone(), v.origin), v)).collect(),
                    _ => return Err(Fail::Error),
                };
                let mut list = Vec::new();
                let mut map: BTreeMap<String, Val> = BTreeMap::new();
                for (k, v) in &pairs {
                    self.budget.charge(1)?;
                    let key_bind;
                    let outer = match &f.key_var {
                        Some(name) => {
                            key_bind = Bind { name, val: k, next: binds };
                            Some(&key_bind)
                        }
                        None => binds,
                    };
                    let scope = Bind { name: &f.value_var, val: v, next: outer };
                    if let Some(cond) = &f.cond {
                        let c = self.expr(cond, file, Some(&scope))?;
                        if c.is_unknown() {
                            return Ok(Val::unknown());
                        }
                        if !c.as_bool().ok_or(Fail::Error)? {
                            continue;
                        }
                    }
                    let value = self.expr(&f.value, file, Some(&scope))?;
                    match &f.key {
                        None => list.push(value),
                        Some(key_expr) => {
                            let kv = self.expr(key_expr, file, Some(&scope))?;
                            if kv.is_unknown() {
                                return Ok(Val::unknown());
                            }
                            let key = kv.to_text().ok_or(Fail::Error)?;
                            if f.grouping {
                                let group = map.entry(key).or_insert_with(|| Val::new(Kind::List(Vec::new()), here));
                                if let Kind::List(items) = &mut group.kind {
                                    items.push(value);
                                }
                            } else if map.insert(key, value).is_some() {
                                return Err(Fail::Error);
                            }
                        }
                    }
                    if list.len() + map.len() > MAX_ITEMS {
                        return Err(Fail::Limit);
                    }
                }
                if f.key.is_some() { Kind::Map(map) } else { Kind::List(list) }
            }
        };
        Ok(Val::new(kind, here))
    }

    /// Appends a template's parts to `out`; `false` when a part is unknown.
    fn parts(&self, parts: &[Part], file: FileRef, binds: Option<&Bind<'_>>, out: &mut String) -> Result<bool, Fail> {
        for part in parts {
            match part {
                Part::Literal(lit) => out.push_str(&lit.value),
                Part::Interpolation(e) => {
                    let v = self.expr(e, file, binds)?;
                    if v.is_unknown() {
                        return Ok(false);
                    }
                    out.push_str(&v.to_text().ok_or(Fail::Error)?);
                }
                Part::If { cond, then, otherwise } => {
                    let c = self.expr(cond, file, binds)?;
                    if c.is_unknown() {
                        return Ok(false);
                    }
                    let branch = if c.as_bool().ok_or(Fail::Error)? { then } else { otherwise };
                    if !self.budget.nested(|| self.parts(branch, file, binds, out))? {
                        return Ok(false);
                    }
                }
                Part::For { key_var, value_var, collection, body } => {
                    let coll = self.expr(collection, file, binds)?;
                    let pairs: Vec<(Val, &Val)> = match &coll.kind {
                        Kind::Unknown => return Ok(false),
                        Kind::List(items) => {
                            items.iter().enumerate().map(|(i, v)| (Val::new(Kind::Number(i as f64), None), v)).collect()
                        }
                        Kind::Map(map) => map.iter().map(|(k, v)| (Val::string(k.clone(), None), v)).collect(),
                        _ => return Err(Fail::Error),
                    };
                    for (k, v) in &pairs {
                        self.budget.charge(1)?;
                        let key_bind;
                        let outer = match key_var {
                            Some(name) => {
                                key_bind = Bind { name, val: k, next: binds };
                                Some(&key_bind)
                            }
                            None => binds,
                        };
                        let scope = Bind { name: value_var, val: v, next: outer };
                        if !self.budget.nested(|| self.parts(body, file, Some(&scope), out))? {
                            return Ok(false);
                        }
                    }
                }
            }
            if out.len() > MAX_STRING {
                return Err(Fail::Limit);
            }
        }
        Ok(true)
    }

    /// A copy of a value, paid for.
    fn copy(&self, v: &Val) -> Result<Val, Fail> {
        self.budget.charge(v.size())?;
        Ok(v.clone())
    }

    fn traversal(&self, base: &Expr, ops: &[Traverse], file: FileRef, binds: Option<&Bind<'_>>) -> Result<Val, Fail> {
        // `var.x`, `local.y` (and what else the scope knows) unless a `for` variable has the name.
        if let ExprKind::Variable(root) = &base.kind
            && binds.and_then(|b| b.find(root)).is_none()
        {
            let Some(Traverse::Attr(first)) = ops.first() else { return Ok(Val::unknown()) };
            return match self.scope.resolve(self, root, &first.value)? {
                Some(v) => self.apply(&v, &ops[1..], file, binds),
                None => Ok(Val::unknown()),
            };
        }
        let v = self.expr(base, file, binds)?;
        self.apply(&v, ops, file, binds)
    }

    /// Applies traversal steps to a value.
    fn apply(&self, v: &Val, ops: &[Traverse], file: FileRef, binds: Option<&Bind<'_>>) -> Result<Val, Fail> {
        let Some((op, rest)) = ops.split_first() else { return self.copy(v) };
        self.budget.charge(1)?;
        if v.is_unknown() {
            return Ok(Val::unknown());
        }
        match op {
            Traverse::Attr(name) => match &v.kind {
                Kind::Map(map) => self.apply(map.get(&*name.value).ok_or(Fail::Error)?, rest, file, binds),
                _ => Err(Fail::Error),
            },
            Traverse::Index(e) => {
                let key = self.expr(e, file, binds)?;
                if key.is_unknown() {
                    return Ok(Val::unknown());
                }
                self.apply(index(v, &key)?, rest, file, binds)
            }
            Traverse::LegacyIndex(i) => {
                self.apply(index(v, &Val::new(Kind::Number(i.value as f64), None))?, rest, file, binds)
            }
            Traverse::AttrSplat(_) | Traverse::FullSplat(_) => {
                // `.*` applies only the attribute steps that follow to each element.
                let split = match op {
                    Traverse::AttrSplat(_) => {
                        rest.iter().position(|o| !matches!(o, Traverse::Attr(_))).unwrap_or(rest.len())
                    }
                    _ => rest.len(),
                };
                let (each, after) = rest.split_at(split);
                let items: Vec<&Val> = match &v.kind {
                    Kind::List(items) => items.iter().collect(),
                    Kind::Null => Vec::new(),
                    _ => vec![v],
                };
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    out.push(self.apply(item, each, file, binds)?);
                }
                let list = Val::new(Kind::List(out), v.origin);
                self.apply(&list, after, file, binds)
            }
        }
    }
}

/// `coll[key]`.
fn index<'v>(v: &'v Val, key: &Val) -> Result<&'v Val, Fail> {
    match &v.kind {
        Kind::List(items) => {
            let n = to_number(key)?;
            if n < 0.0 || n.fract() != 0.0 {
                return Err(Fail::Error);
            }
            items.get(n as usize).ok_or(Fail::Error)
        }
        Kind::Map(map) => map.get(&key.to_text().ok_or(Fail::Error)?).ok_or(Fail::Error),
        _ => Err(Fail::Error),
    }
}

fn number(text: &str) -> Result<Kind, Fail> {
    text.parse::<f64>().map(Kind::Number).map_err(|_| Fail::Error)
}

/// A number, or a string that is one (Terraform converts).
pub fn to_number(v: &Val) -> Result<f64, Fail> {
    match &v.kind {
        Kind::Number(n) => Ok(*n),
        Kind::String(s) => s.trim().parse::<f64>().map_err(|_| Fail::Error),
        _ => Err(Fail::Error),
    }
}

/// Equality of values, origins aside; `None` when unknowns decide it.
pub fn equal(a: &Val, b: &Val) -> Option<bool> {
    match (&a.kind, &b.kind) {
        (Kind::Unknown, _) | (_, Kind::Unknown) => None,
        (Kind::Null, Kind::Null) => Some(true),
        (Kind::Bool(x), Kind::Bool(y)) => Some(x == y),
        (Kind::Number(x), Kind::Number(y)) => Some((x - y).abs() < f64::EPSILON * x.abs().max(1.0)),
        (Kind::String(x), Kind::String(y)) => Some(x == y),
        (Kind::List(x), Kind::List(y)) => {
            if x.len() != y.len() {
                return Some(false);
            }
            let mut all = Some(true);
            for (p, q) in x.iter().zip(y) {
                match equal(p, q) {
                    Some(false) => return Some(false),
                    None => all = None,
                    Some(true) => {}
                }
            }
            all
        }
        (Kind::Map(x), Kind::Map(y)) => {
            if x.len() != y.len() || x.keys().ne(y.keys()) {
                return Some(false);
            }
            let mut all = Some(true);
            for (p, q) in x.values().zip(y.values()) {
                match equal(p, q) {
                    Some(false) => return Some(false),
                    None => all = None,
                    Some(true) => {}
                }
            }
            all
        }
        _ => Some(false),
    }
}

fn binary(op: BinaryOp, a: &Val, b: &Val) -> Result<Kind, Fail> {
    use BinaryOp as B;
    if matches!(op, B::Eq | B::NotEq) {
        return Ok(match equal(a, b) {
            None => Kind::Unknown,
            Some(e) => Kind::Bool(e == (op == B::Eq)),
        });
    }
    if a.is_unknown() || b.is_unknown() {
        return Ok(Kind::Unknown);
    }
    if matches!(op, B::And | B::Or) {
        let (x, y) = (a.as_bool().ok_or(Fail::Error)?, b.as_bool().ok_or(Fail::Error)?);
        return Ok(Kind::Bool(if op == B::And { x && y } else { x || y }));
    }
    let (x, y) = (to_number(a)?, to_number(b)?);
    Ok(match op {
        B::Less => Kind::Bool(x < y),
        B::LessEq => Kind::Bool(x <= y),
        B::Greater => Kind::Bool(x > y),
        B::GreaterEq => Kind::Bool(x >= y),
        B::Plus => Kind::Number(x + y),
        B::Minus => Kind::Number(x - y),
        B::Mul => Kind::Number(x * y),
        B::Div | B::Mod if y == 0.0 => return Err(Fail::Error),
        B::Div => Kind::Number(x / y),
        B::Mod => Kind::Number(x % y),
        B::Eq | B::NotEq | B::And | B::Or => return Err(Fail::Error),
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use std::fmt::Write as _;

    use super::*;
    use crate::span::Span;

    /// A scope for tests: `var.*` and `local.*` from HCL text, locals evaluated on use.
    pub struct TestScope {
        pub vars: crate::model::Node,
        pub locals: crate::model::Node,
    }

    impl Resolve for TestScope {
        fn resolve(&self, ev: &Evaluator<'_>, root: &str, name: &str) -> Result<Option<Rc<Val>>, Fail> {
            let node = match root {
                "var" => self.vars.get(name),
                "local" => self.locals.get(name),
                _ => None,
            };
            match node {
                Some(n) => ev.budget.nested(|| ev.try_node(n, 0)).map(|v| Some(Rc::new(v))),
                None => Ok(None),
            }
        }
    }

    fn root(text: &str) -> crate::model::Node {
        crate::parse::hcl::parse(text).expect("parses").roots.remove(0)
    }

    /// Evaluates `expr` with `var.*` from `vars` and `local.*` from `locals` (HCL bodies).
    pub fn eval_with(vars: &str, locals: &str, expr: &str) -> Val {
        let scope = TestScope { vars: root(vars), locals: root(locals) };
        let budget = Budget::default();
        let doc = root(&format!("x = {expr}\n"));
        let node = doc.get("x").expect("x").clone();
        Evaluator::new(&scope, &budget).node(&node, 0)
    }

    /// The value as JSON, `?` for unknown parts.
    pub fn show(v: &Val) -> String {
        match &v.kind {
            Kind::Unknown => "?".into(),
            Kind::List(items) => format!("[{}]", items.iter().map(show).collect::<Vec<_>>().join(",")),
            Kind::Map(m) => {
                format!("{{{}}}", m.iter().map(|(k, v)| format!("{k}:{}", show(v))).collect::<Vec<_>>().join(","))
            }
            _ => v.to_json().unwrap_or_default(),
        }
    }

    fn e(expr: &str) -> String {
        show(&eval_with(
            "env = \"prod\"\ntags = { team = \"core\" }\nlist = [\"a\", \"b\"]\nflag = true\n",
            "common = merge(var.tags, { env = var.env })\nname = \"${local.prefix}-app\"\nprefix = upper(var.env)\nloop_a = local.loop_b\nloop_b = local.loop_a\nunk = data.aws_caller_identity.me.account_id\n",
            expr,
        ))
    }

    #[test]
    fn expressions() {
        let cases: &[(&str, &str)] = &[
            ("\"x\"", r#""x""#),
            ("var.env", r#""prod""#),
            ("\"${var.env}\"", r#""prod""#),
            ("\"${var.tags}\"", r#"{team:"core"}"#),
            ("\"app-${var.env}-${1 + 1}\"", r#""app-prod-2""#),
            ("local.common", r#"{env:"prod",team:"core"}"#),
            ("local.common.env", r#""prod""#),
            ("local.common[\"team\"]", r#""core""#),
            ("local.name", r#""PROD-app""#),
            ("var.list[1]", r#""b""#),
            ("var.list.0", r#""a""#),
            ("var.flag ? \"on\" : \"off\"", r#""on""#),
            ("!var.flag", "false"),
            ("-(2 * 3)", "-6"),
            ("7 % 4 + 10 / 4", "5.5"),
            ("1 < 2 && 2 >= 2 || false", "true"),
            ("var.env == \"prod\"", "true"),
            ("[for s in var.list : upper(s)]", r#"["A","B"]"#),
            ("[for i, s in var.list : \"${i}${s}\" if s != \"a\"]", r#"["1b"]"#),
            ("{for k, v in var.tags : upper(k) => v}", r#"{TEAM:"core"}"#),
            ("{for s in [\"a\", \"b\", \"a\"] : s => s...}", r#"{a:["a","a"],b:["b"]}"#),
            ("[{ n = 1 }, { n = 2 }][*].n", "[1,2]"),
            ("[{ n = 1 }, { n = 2 }].*.n", "[1,2]"),
            ("merge({ (var.env) = 1, \"k-${var.env}\" = 2 })", r"{k-prod:2,prod:1}"),
            // an object of data with an expression key: the tree keeps the key's text
            ("{ (var.env) = 1 }", "?"),
            ("\"%{ if var.flag }yes%{ else }no%{ endif }\"", r#""yes""#),
            ("\"%{ for s in var.list }<${s}>%{ endfor }\"", r#""<a><b>""#),
            ("\"a ${~ \"b\" ~} c\"", r#""abc""#),
            ("try(var.tags.missing, \"fallback\")", r#""fallback""#),
            ("can(var.tags.missing)", "false"),
            ("can(var.tags.team)", "true"),
            ("concat(var.list...)", "?"),
            ("format(\"%s-%s\", var.list...)", r#""a-b""#),
        ];
        for &(expr, want) in cases {
            assert_eq!(e(expr), want, "{expr}");
        }
    }

    #[test]
    fn unknowns_propagate() {
        let cases: &[(&str, &str)] = &[
            ("var.nope", "?"),
            ("local.unk", "?"),
            ("terraform.workspace", "?"),
            ("module.m.out", "?"),
            ("data.x.y.z", "?"),
            ("each.value", "?"),
            ("count.index + 1", "?"),
            ("aws_s3_bucket.b.arn", "?"),
            ("path.module", "?"),
            ("local.loop_a", "?"),
            ("\"${local.unk}-x\"", "?"),
            ("upper(local.unk)", "?"),
            ("merge(var.tags, local.unk)", "?"),
            ("merge(var.tags, { a = local.unk })", "{a:?,team:\"core\"}"),
            ("local.unk ? 1 : 2", "?"),
            ("local.unk == 1", "?"),
            ("[for s in local.unk : s]", "?"),
            ("{ (local.unk) = 1 }", "?"),
            ("lookup(local.unk, \"a\", \"b\")", "?"),
            ("some_new_function(1)", "?"),
            ("provider::aws::arn_parse(\"x\")", "?"),
            ("try(local.unk, 1)", "?"),
            ("can(local.unk)", "?"),
            ("1 / 0", "?"),
            ("var.tags.missing", "?"),
            ("jsonencode({ a = local.unk })", "?"),
        ];
        for &(expr, want) in cases {
            assert_eq!(e(expr), want, "{expr}");
        }
    }

    #[test]
    fn origins_point_where_values_are_written() {
        let vars = "env = \"prod\"\n";
        let v = eval_with(vars, "", "lower(var.env)");
        assert_eq!(v.origin.map(|l| l.span), Some(Span::new(6, 12)));
        let v = eval_with(vars, "tags = { Env = var.env }\n", "merge({ a = 1 }, local.tags)");
        let env = v.as_map().and_then(|m| m.get("Env")).expect("Env");
        assert_eq!(env.origin.map(|l| l.span), Some(Span::new(6, 12)));
    }

    #[test]
    fn hostile_inputs_stay_bounded() {
        // a for over a for over a big literal list: the budget stops it
        let big: Vec<String> = (0..3000).map(|i| i.to_string()).collect();
        let vars = format!("l = [{}]\n", big.join(","));
        let v = eval_with(&vars, "", "[for a in var.l : [for b in var.l : \"${a}${b}\"]]");
        assert!(v.is_unknown());
        // locals that use locals, deeper than the depth limit
        let mut locals = String::new();
        for i in 0..1000 {
            let _ = writeln!(locals, "l{i} = local.l{}", i + 1);
        }
        locals.push_str("l1000 = 1\n");
        assert!(eval_with("", &locals, "local.l0").is_unknown());
        assert_eq!(show(&eval_with("", &locals, "local.l990")), "1");
        // a string that doubles: the size limit stops it
        let mut locals = String::from("s0 = \"xxxxxxxxxxxxxxxx\"\n");
        for i in 0..40 {
            let _ = writeln!(locals, "s{} = \"${{local.s{i}}}${{local.s{i}}}\"", i + 1);
        }
        assert!(eval_with("", &locals, "local.s40").is_unknown());
    }
}
