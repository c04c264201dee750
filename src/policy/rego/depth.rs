//! What a policy's rules and functions evaluate, read from regorus's syntax
//! tree before any evaluation: recursion, and how deep evaluation can nest.
//!
//! regorus evaluates a rule or function call by recursing on the native stack.
//! It stops a rule that depends on itself, but follows a function that calls
//! itself (`f(x) := y if { y := f(x + 1) }`) until the stack overflows, which
//! aborts the process. OPA refuses recursion when it compiles a policy; envlint
//! finds the cycle here, among the calls between user functions (calls name
//! their function statically, so this is exact), and never evaluates the policy.
//!
//! Without recursion, evaluation still nests: rule `a` evaluates rule `b`,
//! which calls `f`... [`analyze`] bounds that nesting, weighting each rule or
//! function by how deeply its own expressions nest, so that the policy is
//! evaluated on a stack that holds it (`limits::MAX_DEPTH`). References to
//! rules are found by name and may be spurious (a local variable named like a
//! rule) or form cycles (which regorus reports when evaluating); the bound stays
//! an upper bound either way: inside a cycle, every rule can appear once and
//! every function once between two rules.

use std::collections::{BTreeMap, BTreeSet};

use regorus::unstable::{Expr, Literal, Module, Query, Ref, Rule, RuleHead};

/// A rule or function, by path (`data.pkg.name`); definitions of one path merge.
struct Node {
    path: String,
    /// As written in the policy, for messages.
    name: String,
    function: bool,
    /// 1 + how deeply the definition's expressions nest.
    weight: u64,
    /// Paths referred to (rules, packages), absolute.
    refs: Vec<Vec<String>>,
    /// Functions called: candidate absolute paths, and where.
    calls: Vec<(Vec<String>, Site)>,
}

/// Where something is in a policy file: `file:line:col`.
#[derive(Clone, Debug)]
struct Site(String);

impl Site {
    fn of(span: &regorus::unstable::Span) -> Self {
        Self(format!("{}:{}:{}", span.source.file(), span.line, span.col))
    }
}

/// What is known about one module while walking it.
struct ModuleCx {
    package: Vec<String>,
    /// Import alias → absolute path.
    aliases: BTreeMap<String, Vec<String>>,
}

/// The result of [`analyze`]: how deep evaluation can nest (in weighted
/// levels), or why the policy cannot be evaluated at all.
pub fn analyze(modules: &[Ref<Module>]) -> Result<u64, String> {
    let mut nodes: Vec<Node> = Vec::new();
    let mut index: BTreeMap<String, usize> = BTreeMap::new();
    let contexts: Vec<ModuleCx> = modules.iter().map(|m| module_cx(m)).collect();
    let mut rules = Vec::new();
    for (module, cx) in modules.iter().zip(&contexts) {
        for rule in &module.policy {
            let (refr, function) = match rule.as_ref() {
                Rule::Spec { head, .. } => match head {
                    RuleHead::Compr { refr, .. } | RuleHead::Set { refr, .. } => (refr, false),
                    RuleHead::Func { refr, .. } => (refr, true),
                },
                Rule::Default { refr, args, .. } => (refr, !args.is_empty()),
            };
            let Some((root, rest)) = static_path(refr) else { continue };
            let key =
                cx.package.iter().chain(std::iter::once(&root)).chain(&rest).cloned().collect::<Vec<_>>().join(".");
            let i = *index.entry(key.clone()).or_insert_with(|| {
                nodes.push(Node {
                    path: key,
                    name: refr.span().text().to_owned(),
                    function,
                    weight: 1,
                    refs: Vec::new(),
                    calls: Vec::new(),
                });
                nodes.len() - 1
            });
            if let Some(node) = nodes.get_mut(i) {
                node.function |= function;
            }
            rules.push((i, rule, cx));
        }
    }
    for &(i, rule, cx) in &rules {
        let mut walker = Walker { cx, locals: BTreeSet::new(), depth: 0, max: 0, refs: Vec::new(), calls: Vec::new() };
        walker.rule(rule);
        if let Some(node) = nodes.get_mut(i) {
            node.weight = node.weight.max(1 + u64::from(walker.max));
            node.refs.extend(walker.refs);
            node.calls.extend(walker.calls);
        }
    }
    let functions: BTreeMap<&str, usize> =
        nodes.iter().enumerate().filter(|(_, n)| n.function).map(|(i, n)| (n.path.as_str(), i)).collect();
    // edges: calls between functions (exact), and every reference (a superset)
    let mut call_edges: Vec<Vec<(usize, Site)>> = vec![Vec::new(); nodes.len()];
    let mut edges: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); nodes.len()];
    for (i, node) in nodes.iter().enumerate() {
        for (candidates, site) in &node.calls {
            if let Some(&j) = candidates.iter().find_map(|c| functions.get(c.as_str())) {
                call_edges[i].push((j, site.clone()));
                edges[i].insert(j);
            }
        }
        for path in &node.refs {
            edges[i].extend(referenced(path, &index));
        }
    }
    if let Some(cycle) = function_cycle(&nodes, &call_edges) {
        return Err(cycle);
    }
    Ok(nesting_bound(&nodes, &edges))
}

fn module_cx(module: &Module) -> ModuleCx {
    let package = static_path(&module.package.refr)
        .map(|(root, rest)| [vec!["data".to_owned(), root], rest].concat())
        .unwrap_or_default();
    let mut aliases = BTreeMap::new();
    for import in &module.imports {
        let Some((root, rest)) = static_path(&import.refr) else { continue };
        if root != "data" {
            continue;
        }
        let path = [vec![root], rest].concat();
        let alias = match &import.r#as {
            Some(span) => span.text().to_owned(),
            None => path.last().cloned().unwrap_or_default(),
        };
        aliases.insert(alias, path);
    }
    ModuleCx { package, aliases }
}

/// The root variable and the constant steps of a reference (`a.b["c"]` →
/// `a`, `[b, c]`), up to the first step computed at run time.
fn static_path(expr: &Expr) -> Option<(String, Vec<String>)> {
    let mut steps: Vec<Option<String>> = Vec::new();
    let mut e = expr;
    let root = loop {
        match e {
            Expr::Var { span, .. } => break span.text().to_owned(),
            Expr::RefDot { refr, field, .. } => {
                steps.push(Some(field.0.text().to_owned()));
                e = refr;
            }
            Expr::RefBrack { refr, index, .. } => {
                steps.push(match index.as_ref() {
                    Expr::String { value, .. } | Expr::RawString { value, .. } => {
                        value.as_string().ok().map(|s| s.as_ref().to_owned())
                    }
                    _ => None,
                });
                e = refr;
            }
            _ => return None,
        }
    };
    Some((root, steps.into_iter().rev().map_while(|s| s).collect()))
}

/// Nodes a reference may evaluate: those at a prefix of its path (a rule and a
/// field inside its value), and those below it (a package).
fn referenced(path: &[String], index: &BTreeMap<String, usize>) -> Vec<usize> {
    let mut found = Vec::new();
    let mut prefix = String::new();
    for step in path {
        if !prefix.is_empty() {
            prefix.push('.');
        }
        prefix.push_str(step);
        if let Some(&i) = index.get(&prefix) {
            found.push(i);
        }
    }
    // `.` + 1 = `/`: the paths that continue this one
    let below = index.range(format!("{prefix}.")..format!("{prefix}/"));
    found.extend(below.map(|(_, &i)| i));
    found
}

struct Walker<'a> {
    cx: &'a ModuleCx,
    /// Variables bound in this rule: not references to rules.
    locals: BTreeSet<String>,
    depth: u32,
    max: u32,
    refs: Vec<Vec<String>>,
    calls: Vec<(Vec<String>, Site)>,
}

impl Walker<'_> {
    fn rule(&mut self, rule: &Rule) {
        let mut exprs: Vec<&Ref<Expr>> = Vec::new();
        let mut queries: Vec<&Ref<Query>> = Vec::new();
        match rule {
            Rule::Spec { head, bodies, .. } => {
                match head {
                    RuleHead::Compr { refr, assign, .. } => {
                        exprs.push(refr);
                        exprs.extend(assign.as_ref().map(|a| &a.value));
                    }
                    RuleHead::Set { refr, key, .. } => {
                        exprs.push(refr);
                        exprs.extend(key.as_ref());
                    }
                    RuleHead::Func { refr, args, assign, .. } => {
                        exprs.push(refr);
                        for a in args {
                            bind_vars(a, &mut self.locals);
                        }
                        exprs.extend(assign.as_ref().map(|a| &a.value));
                    }
                }
                for body in bodies {
                    exprs.extend(body.assign.as_ref().map(|a| &a.value));
                    queries.push(&body.query);
                }
            }
            Rule::Default { value, .. } => exprs.push(value),
        }
        for q in &queries {
            collect_locals(q, &mut self.locals);
        }
        // the head's own name is not a reference
        for (i, e) in exprs.iter().enumerate() {
            if i == 0 {
                self.dynamic_steps(e);
            } else {
                self.expr(e);
            }
        }
        for q in queries {
            self.query(q);
        }
    }

    fn enter(&mut self) {
        self.depth += 1;
        self.max = self.max.max(self.depth);
    }

    fn query(&mut self, q: &Query) {
        self.enter();
        for stmt in &q.stmts {
            self.enter();
            match &stmt.literal {
                Literal::SomeVars { .. } => {}
                Literal::SomeIn { key, value, collection, .. } => {
                    if let Some(k) = key {
                        self.expr(k);
                    }
                    self.expr(value);
                    self.expr(collection);
                }
                Literal::Expr { expr, .. } | Literal::NotExpr { expr, .. } => self.expr(expr),
                Literal::Every { domain, query, .. } => {
                    self.expr(domain);
                    self.query(query);
                }
            }
            for w in &stmt.with_mods {
                self.expr(&w.refr);
                self.expr(&w.r#as);
            }
            self.depth -= 1;
        }
        self.depth -= 1;
    }

    fn expr(&mut self, e: &Expr) {
        self.enter();
        match e {
            Expr::String { .. }
            | Expr::RawString { .. }
            | Expr::Number { .. }
            | Expr::Bool { .. }
            | Expr::Null { .. } => {}
            Expr::Var { .. } | Expr::RefDot { .. } | Expr::RefBrack { .. } => self.reference(e),
            Expr::Array { items, .. } | Expr::Set { items, .. } => {
                for i in items {
                    self.expr(i);
                }
            }
            Expr::Object { fields, .. } => {
                for (_, k, v) in fields {
                    self.expr(k);
                    self.expr(v);
                }
            }
            Expr::ArrayCompr { term, query, .. } | Expr::SetCompr { term, query, .. } => {
                self.expr(term);
                self.query(query);
            }
            Expr::ObjectCompr { key, value, query, .. } => {
                self.expr(key);
                self.expr(value);
                self.query(query);
            }
            Expr::Call { fcn, params, .. } => {
                if let Some((root, rest)) = static_path(fcn) {
                    let candidates = self.candidates(&root, &rest);
                    self.calls.push((candidates, Site::of(fcn.span())));
                }
                self.dynamic_steps(fcn);
                for p in params {
                    self.expr(p);
                }
            }
            Expr::UnaryExpr { expr, .. } => self.expr(expr),
            Expr::BinExpr { lhs, rhs, .. }
            | Expr::BoolExpr { lhs, rhs, .. }
            | Expr::ArithExpr { lhs, rhs, .. }
            | Expr::AssignExpr { lhs, rhs, .. } => {
                self.expr(lhs);
                self.expr(rhs);
            }
            Expr::Membership { key, value, collection, .. } => {
                if let Some(k) = key {
                    self.expr(k);
                }
                self.expr(value);
                self.expr(collection);
            }
        }
        self.depth -= 1;
    }

    /// A reference: the rules it names, then the expressions in its brackets.
    fn reference(&mut self, e: &Expr) {
        if let Some((root, rest)) = static_path(e)
            && root != "input"
            && !self.locals.contains(&root)
        {
            for path in self.candidates(&root, &rest) {
                self.refs.push(path.split('.').map(str::to_owned).collect());
            }
        }
        self.dynamic_steps(e);
    }

    /// Walks the computed steps of a reference (`x[f(y)]`).
    fn dynamic_steps(&mut self, e: &Expr) {
        let mut e = e;
        let mut depth = 0;
        loop {
            match e {
                Expr::RefDot { refr, .. } => e = refr,
                Expr::RefBrack { refr, index, .. } => {
                    if !matches!(index.as_ref(), Expr::String { .. } | Expr::RawString { .. }) {
                        self.expr(index);
                    }
                    e = refr;
                }
                Expr::Var { .. } => break,
                other => {
                    self.expr(other);
                    break;
                }
            }
            depth += 1;
            self.max = self.max.max(self.depth + depth);
        }
    }

    /// The absolute paths a name can mean: through `data`, an import, or the package.
    fn candidates(&self, root: &str, rest: &[String]) -> Vec<String> {
        let mut out = Vec::new();
        let join = |head: &[String]| head.iter().chain(rest).cloned().collect::<Vec<_>>().join(".");
        if root == "data" {
            out.push(join(&["data".to_owned()]));
        } else {
            if let Some(path) = self.cx.aliases.get(root) {
                out.push(join(path));
            }
            let mut local = self.cx.package.clone();
            local.push(root.to_owned());
            out.push(join(&local));
        }
        out
    }
}

/// Names bound by a query: `some`, `every`, `:=`, and what `some ... in` binds.
fn collect_locals(q: &Query, locals: &mut BTreeSet<String>) {
    let mut queries = vec![q];
    let mut exprs: Vec<&Expr> = Vec::new();
    while let Some(q) = queries.pop() {
        for stmt in &q.stmts {
            match &stmt.literal {
                Literal::SomeVars { vars, .. } => locals.extend(vars.iter().map(|v| v.text().to_owned())),
                Literal::SomeIn { key, value, collection, .. } => {
                    if let Some(k) = key {
                        bind_vars(k, locals);
                    }
                    bind_vars(value, locals);
                    exprs.push(collection);
                }
                Literal::Expr { expr, .. } | Literal::NotExpr { expr, .. } => exprs.push(expr),
                Literal::Every { key, value, domain, query, .. } => {
                    locals.extend(key.iter().map(|k| k.text().to_owned()));
                    locals.insert(value.text().to_owned());
                    exprs.push(domain);
                    queries.push(query);
                }
            }
        }
        // comprehensions hold queries of their own
        while let Some(e) = exprs.pop() {
            match e {
                Expr::AssignExpr { op: regorus::unstable::AssignOp::ColEq, lhs, rhs, .. } => {
                    bind_vars(lhs, locals);
                    exprs.push(rhs);
                }
                Expr::ArrayCompr { query, .. } | Expr::SetCompr { query, .. } | Expr::ObjectCompr { query, .. } => {
                    queries.push(query);
                }
                Expr::Call { params, .. } => exprs.extend(params.iter().map(AsRef::as_ref)),
                Expr::Array { items, .. } | Expr::Set { items, .. } => exprs.extend(items.iter().map(AsRef::as_ref)),
                Expr::UnaryExpr { expr, .. } => exprs.push(expr),
                Expr::BinExpr { lhs, rhs, .. }
                | Expr::BoolExpr { lhs, rhs, .. }
                | Expr::ArithExpr { lhs, rhs, .. }
                | Expr::AssignExpr { lhs, rhs, .. } => {
                    exprs.push(lhs);
                    exprs.push(rhs);
                }
                _ => {}
            }
        }
    }
}

/// The variables of a pattern (`[a, {"k": b}]` binds `a` and `b`).
fn bind_vars(e: &Expr, locals: &mut BTreeSet<String>) {
    let mut stack = vec![e];
    while let Some(e) = stack.pop() {
        match e {
            Expr::Var { span, .. } => {
                locals.insert(span.text().to_owned());
            }
            Expr::Array { items, .. } | Expr::Set { items, .. } => stack.extend(items.iter().map(AsRef::as_ref)),
            Expr::Object { fields, .. } => stack.extend(fields.iter().map(|(_, _, v)| v.as_ref())),
            _ => {}
        }
    }
}

/// A cycle of calls between functions, as a message naming them and a call site.
fn function_cycle(nodes: &[Node], calls: &[Vec<(usize, Site)>]) -> Option<String> {
    // colours: 0 unvisited, 1 on the current path, 2 done
    let mut colour = vec![0u8; nodes.len()];
    for start in 0..nodes.len() {
        if colour[start] != 0 {
            continue;
        }
        // (node, next call to follow), and the call site that led to each node on the path
        let mut path: Vec<(usize, usize)> = vec![(start, 0)];
        colour[start] = 1;
        while let Some(&mut (node, ref mut next)) = path.last_mut() {
            let Some((to, site)) = calls[node].get(*next) else {
                colour[node] = 2;
                path.pop();
                continue;
            };
            *next += 1;
            match colour[*to] {
                0 => {
                    colour[*to] = 1;
                    path.push((*to, 0));
                }
                1 => {
                    let from = path.iter().position(|(n, _)| n == to).unwrap_or(0);
                    let mut names: Vec<&str> = path[from..].iter().map(|(n, _)| nodes[*n].name.as_str()).collect();
                    names.push(&nodes[*to].name);
                    let what = if names.len() == 2 {
                        format!("function `{}` calls itself", names[0])
                    } else {
                        format!("functions call each other in a cycle: {}", names.join(" -> "))
                    };
                    return Some(format!(
                        "{}: {what}, and Rego does not allow recursion (the policy is not evaluated)",
                        site.0
                    ));
                }
                _ => {}
            }
        }
    }
    None
}

/// An upper bound on evaluation nesting: the heaviest path through the
/// strongly connected components of the reference graph, where a component
/// with `r` rules and `f` functions can nest `r + (r + 1) * f` times its
/// heaviest member.
fn nesting_bound(nodes: &[Node], edges: &[BTreeSet<usize>]) -> u64 {
    let components = tarjan(edges);
    let mut component_of = vec![0usize; nodes.len()];
    for (c, members) in components.iter().enumerate() {
        for &m in members {
            component_of[m] = c;
        }
    }
    // Tarjan lists a component after every component it reaches
    let mut best = vec![0u64; components.len()];
    for (c, members) in components.iter().enumerate() {
        let rules = members.iter().filter(|&&m| !nodes[m].function).count() as u64;
        let functions = members.len() as u64 - rules;
        let heaviest = members.iter().map(|&m| nodes[m].weight).max().unwrap_or(1);
        let levels = if members.len() == 1 { 1 } else { rules + (rules + 1) * functions };
        let own = heaviest.saturating_mul(levels);
        let below = members
            .iter()
            .flat_map(|&m| edges[m].iter())
            .map(|&to| component_of[to])
            .filter(|&d| d != c)
            .map(|d| best[d])
            .max()
            .unwrap_or(0);
        best[c] = own.saturating_add(below);
    }
    best.into_iter().max().unwrap_or(0)
}

/// Strongly connected components, each listed after those it has edges to.
fn tarjan(edges: &[BTreeSet<usize>]) -> Vec<Vec<usize>> {
    let n = edges.len();
    let (mut index, mut low, mut on_stack) = (vec![usize::MAX; n], vec![0; n], vec![false; n]);
    let (mut stack, mut components, mut counter) = (Vec::new(), Vec::new(), 0);
    let successors: Vec<Vec<usize>> = edges.iter().map(|e| e.iter().copied().collect()).collect();
    for root in 0..n {
        if index[root] != usize::MAX {
            continue;
        }
        let mut work: Vec<(usize, usize)> = vec![(root, 0)];
        while let Some(&mut (v, ref mut next)) = work.last_mut() {
            if *next == 0 && index[v] == usize::MAX {
                index[v] = counter;
                low[v] = counter;
                counter += 1;
                stack.push(v);
                on_stack[v] = true;
            }
            if let Some(&w) = successors[v].get(*next) {
                *next += 1;
                if index[w] == usize::MAX {
                    work.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            work.pop();
            if let Some(&(parent, _)) = work.last() {
                low[parent] = low[parent].min(low[v]);
            }
            if low[v] == index[v] {
                let mut component = Vec::new();
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    component.push(w);
                    if w == v {
                        break;
                    }
                }
                components.push(component);
            }
        }
    }
    components
}

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;

    use super::*;

    fn analyze_text(body: &str) -> Result<u64, String> {
        let mut engine = regorus::Engine::new();
        engine.add_policy("p.rego".into(), format!("package p\n\n{body}")).expect("parses");
        analyze(engine.get_modules())
    }

    #[test]
    fn recursion_is_found_with_the_call_site() {
        let e = analyze_text("f(x) := y if { y := f(x + 1) }\nx := f(1)\n").expect_err("recursive");
        assert_eq!(
            e,
            "p.rego:3:21: function `f` calls itself, and Rego does not allow recursion (the policy is not evaluated)"
        );
        let e = analyze_text("f(x) := g(x)\ng(x) := h(x)\nh(x) := f(x)\n").expect_err("recursive");
        assert!(e.contains("functions call each other in a cycle: f -> g -> h -> f"), "{e}");
        let e = analyze_text("f(x) := data.p.f(x)\n").expect_err("through data");
        assert!(e.contains("`f` calls itself"), "{e}");
    }

    #[test]
    fn no_recursion_without_a_cycle_of_calls() {
        for body in [
            "f(x) := x + 1\ng(x) := f(f(x))\ndeny contains g(1) if { true }\n",
            // a rule cycle: regorus itself reports it when evaluating
            "a := b\nb := a\n",
            // a local named like a function is not a call
            "f(x) := y if { y := x }\ng(f) := f\n",
            // mocks are not calls
            "f(x) := g(x)\ng(x) := 1\ntest_f if { f(1) == 2 with g as f }\n",
        ] {
            assert!(analyze_text(body).is_ok(), "{body}");
        }
    }

    #[test]
    fn nesting_bound_follows_chains_and_weights() {
        let chain = |n: usize| {
            let mut body = String::new();
            for i in 0..n {
                writeln!(body, "r{i} := r{}", i + 1).expect("write");
            }
            writeln!(body, "r{n} := 1").expect("write");
            analyze_text(&body).expect("no recursion")
        };
        let (ten, hundred) = (chain(10), chain(100));
        assert!(hundred > 9 * ten && hundred < 11 * ten, "{ten} {hundred}");
        // deeper expressions weigh more
        let shallow = analyze_text("a := 1\n").expect("ok");
        let deep = analyze_text("a := [[[[[[1]]]]]]\n").expect("ok");
        assert!(deep > shallow + 5, "{shallow} {deep}");
        // a spurious cycle (a local named like a rule) still gives a finite bound
        let looped = analyze_text("x := y if { some x in [1]; y := x }\ny := 2 if { x }\n").expect("ok");
        assert!(looped < 100, "{looped}");
    }

    #[test]
    fn imports_and_packages_resolve() {
        let mut engine = regorus::Engine::new();
        engine.add_policy("lib.rego".into(), "package lib\n\nimport data.t\n\nf(x) := t.g(x)\n".into()).expect("lib");
        engine.add_policy("t.rego".into(), "package t\n\nimport data.lib\n\ng(x) := lib.f(x)\n".into()).expect("t");
        let e = analyze(engine.get_modules()).expect_err("cycle across modules");
        assert!(e.contains("cycle") || e.contains("calls itself"), "{e}");
    }
}
