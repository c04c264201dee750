//! The fast path of [`super::parse`]: a hand-written, single-pass recursive-descent HCL
//! parser over bytes that builds the document model directly.
//!
//! It mirrors the grammar of the patched hcl-edit parser (`vendor/hcl-edit/src/parser`)
//! rule by rule, including its quirks (which whitespace each rule skips, where a newline
//! ends an expression, how a heredoc ends), and builds exactly what the hcl-edit path
//! builds: the same nodes, values, spans and expression trees. Whatever it is not sure
//! of (a syntax error, a construct it does not handle, non-ASCII where an identifier may
//! continue, deep nesting) it declines with `None`, and the hcl-edit path parses the text
//! and reports errors. So it must never accept text that hcl-edit rejects, and never
//! build a different document; the differential tests check both.
//!
//! Depends only on `model` and `span`.

use std::borrow::Cow;
use std::collections::HashSet;

use crate::model::expr::{
    BinaryOp, Call, Expr, ExprKind, Expression, ForExpr, ObjectItem, ObjectKey, Part, Template, Traverse, UnaryOp,
};
use crate::model::{Document, Entry, Node, Value};
use crate::span::{Span, Spanned};

/// Nesting levels (blocks, nested expressions, template bodies) past which the parser
/// declines. hcl-edit rejects 64 levels; at most 40 levels of nesting and
/// [`MAX_OPERATORS`] keep every expression tree well below the converter's depth limit
/// ([`super::expr::MAX_DEPTH`]), so no node is ever `TooDeep`.
const MAX_NESTING: u32 = 40;

/// Binary operators per attribute value past which the parser declines (hcl-edit rejects
/// more than 128 on any path).
const MAX_OPERATORS: u32 = 64;

/// Why the fast parser stopped: the caller falls back to hcl-edit.
struct Decline;

type R<T> = Result<T, Decline>;

/// Parses `text` into the same document as the hcl-edit path, or `None` when the text is
/// invalid or uses something this parser leaves to hcl-edit.
pub(crate) fn parse(text: &str) -> Option<Document> {
    let b = text.as_bytes();
    // Spans are 32-bit: larger texts (never scanned) are left to hcl-edit.
    if u32::try_from(b.len()).is_err() {
        return None;
    }
    // A carriage return that does not start a CRLF line ending: hcl-edit treats it
    // differently in different places; leave it to hcl-edit.
    if memchr::memchr_iter(b'\r', b).any(|i| b.get(i + 1) != Some(&b'\n')) {
        return None;
    }
    let start = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let mut p = Parser { src: text, b, pos: start, nest: 0, ops: 0, paren_keys: Vec::new(), stacks: Stacks::take() };
    let entries = p.body();
    p.stacks.put_back();
    let entries = entries.ok()?;
    if p.pos != b.len() {
        return None;
    }
    Some(Document::single(Node::new(Span::new(0, text.len()), Value::Map(entries))))
}

/// Stacks that collections are built on, each split off at its end into a vector of
/// exactly its length: fewer allocations than growing a vector per collection. Kept per
/// thread between files, so that they rarely grow.
#[derive(Default)]
struct Stacks {
    entries: Vec<Entry>,
    labels: Vec<(Span, Box<str>)>,
    exprs: Vec<Expr>,
    items: Vec<ObjectItem>,
    steps: Vec<Traverse>,
    parts: Vec<Part>,
}

thread_local! {
    static STACKS: std::cell::RefCell<Stacks> = std::cell::RefCell::default();
}

impl Stacks {
    fn take() -> Self {
        STACKS.with(|s| std::mem::take(&mut *s.borrow_mut()))
    }

    /// Empties the stacks (a declined parse leaves items on them) and keeps them for the
    /// next file, unless they grew large.
    fn put_back(&mut self) {
        const KEEP: usize = 1 << 10;
        let mut stacks = std::mem::take(self);
        stacks.entries.clear();
        stacks.labels.clear();
        stacks.exprs.clear();
        stacks.items.clear();
        stacks.steps.clear();
        stacks.parts.clear();
        stacks.entries.shrink_to(KEEP);
        stacks.labels.shrink_to(KEEP);
        stacks.exprs.shrink_to(KEEP);
        stacks.items.shrink_to(KEEP);
        stacks.steps.shrink_to(KEEP);
        stacks.parts.shrink_to(KEEP);
        STACKS.with(|s| *s.borrow_mut() = stacks);
    }
}

/// An expression as hcl-edit parsed it: the tree the converter builds from it, and
/// where the expression is written. The two differ for `(x)`: the tree is `x`'s, the
/// range includes the parentheses.
struct Parsed {
    ast: Expr,
    start: usize,
    end: usize,
}

impl Parsed {
    fn new(start: usize, end: usize, kind: ExprKind) -> Self {
        Self { ast: Expr::new(Span::new(start, end), kind), start, end }
    }
}

/// A template element before strip markers are applied (hcl-edit's `Element`).
enum Elem {
    Literal(Span, String),
    Interpolation {
        expr: Expr,
        strip_start: bool,
        strip_end: bool,
    },
    If {
        cond: Expr,
        then: Vec<Elem>,
        otherwise: Vec<Elem>,
        strip_start: bool,
        strip_end: bool,
    },
    For {
        key_var: Option<Box<str>>,
        value_var: Box<str>,
        collection: Expr,
        body: Vec<Elem>,
        strip_start: bool,
        strip_end: bool,
    },
}

/// Attribute names of one body (a repeated attribute is an error): the first few on the
/// stack, a set past them.
struct Keys<'t> {
    small: [&'t str; 16],
    len: usize,
    big: Option<HashSet<&'t str>>,
}

impl<'t> Keys<'t> {
    fn new() -> Self {
        Self { small: [""; 16], len: 0, big: None }
    }

    /// Adds `key`; false if it was already there.
    fn insert(&mut self, key: &'t str) -> bool {
        if let Some(big) = &mut self.big {
            return big.insert(key);
        }
        if self.small[..self.len].contains(&key) {
            return false;
        }
        if self.len < self.small.len() {
            self.small[self.len] = key;
            self.len += 1;
        } else {
            self.big = Some(self.small.iter().copied().chain([key]).collect());
        }
        true
    }
}

struct Parser<'t> {
    src: &'t str,
    b: &'t [u8],
    pos: usize,
    /// Current nesting level (see [`MAX_NESTING`]).
    nest: u32,
    /// Binary operators in the current attribute value.
    ops: u32,
    /// Object keys written in parentheses in the current attribute value: the span of
    /// the inner expression (the key's tree) and the key as written (the entry's key).
    paren_keys: Vec<(Span, Span)>,
    stacks: Stacks,
}

fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_'
}

const fn is_ident_continue(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'-'
}

/// ASCII bytes that continue an identifier.
const IDENT_CONTINUE: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 128 {
        t[c] = is_ident_continue(c as u8);
        c += 1;
    }
    t
};

/// Bytes that end a run of plain characters in a quoted string.
const QUOTED_SPECIAL: [bool; 256] = {
    let mut t = [false; 256];
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t[b'$' as usize] = true;
    t[b'%' as usize] = true;
    t[b'\n' as usize] = true;
    t[b'\r' as usize] = true;
    t
};

impl<'t> Parser<'t> {
    // ---- bytes ----

    #[inline]
    fn peek(&self) -> u8 {
        self.byte(0)
    }

    /// The byte `n` past the current position, 0 past the end.
    #[inline]
    fn byte(&self, n: usize) -> u8 {
        self.b.get(self.pos + n).copied().unwrap_or(0)
    }

    #[inline]
    fn at(&self, s: &[u8]) -> bool {
        self.b[self.pos.min(self.b.len())..].starts_with(s)
    }

    #[inline]
    fn eof(&self) -> bool {
        self.pos >= self.b.len()
    }

    #[inline]
    fn expect(&mut self, c: u8) -> R<()> {
        if self.peek() == c && !self.eof() {
            self.pos += 1;
            Ok(())
        } else {
            Err(Decline)
        }
    }

    /// Takes `c` if it is next.
    #[inline]
    fn opt(&mut self, c: u8) -> bool {
        let hit = self.peek() == c && !self.eof();
        if hit {
            self.pos += 1;
        }
        hit
    }

    #[inline]
    fn enter(&mut self) -> R<()> {
        self.nest += 1;
        if self.nest > MAX_NESTING { Err(Decline) } else { Ok(()) }
    }

    #[inline]
    fn leave(&mut self) {
        self.nest -= 1;
    }

    #[inline]
    fn slice(&self, start: usize, end: usize) -> &'t str {
        &self.src[start..end]
    }

    // ---- whitespace and comments ----

    /// `/* ... */` at the current position. An unterminated one is an error wherever
    /// hcl-edit would meet it.
    fn block_comment(&mut self) -> R<()> {
        match memchr::memmem::find(&self.b[self.pos + 2..], b"*/") {
            Some(i) => {
                self.pos += 2 + i + 2;
                Ok(())
            }
            None => Err(Decline),
        }
    }

    /// To the end of the line (before `\r\n` or `\n`).
    fn skip_line(&mut self) {
        self.pos = memchr::memchr2(b'\r', b'\n', &self.b[self.pos..]).map_or(self.b.len(), |i| self.pos + i);
    }

    #[inline]
    fn skip_while(&mut self, f: impl Fn(u8) -> bool) {
        let rest = &self.b[self.pos.min(self.b.len())..];
        self.pos += rest.iter().position(|&c| !f(c)).unwrap_or(rest.len());
    }

    /// hcl-edit's `sp`: spaces, tabs and inline comments.
    #[inline]
    fn sp(&mut self) -> R<()> {
        if matches!(self.peek(), b' ' | b'\t' | b'/') { self.sp_slow() } else { Ok(()) }
    }

    fn sp_slow(&mut self) -> R<()> {
        loop {
            self.skip_while(|c| c == b' ' || c == b'\t');
            if self.at(b"/*") {
                self.block_comment()?;
            } else {
                return Ok(());
            }
        }
    }

    /// hcl-edit's `ws`: spaces, tabs, line endings and comments of every kind.
    #[inline]
    fn ws(&mut self) -> R<()> {
        if matches!(self.peek(), b' ' | b'\t' | b'\r' | b'\n' | b'#' | b'/') { self.ws_slow() } else { Ok(()) }
    }

    fn ws_slow(&mut self) -> R<()> {
        loop {
            self.skip_while(|c| matches!(c, b' ' | b'\t' | b'\r' | b'\n'));
            match (self.peek(), self.byte(1)) {
                (b'#', _) | (b'/', b'/') => self.skip_line(),
                (b'/', b'*') => self.block_comment()?,
                _ => return Ok(()),
            }
        }
    }

    /// `ws` where newlines are insignificant, `sp` where they end the expression.
    #[inline]
    fn wsp(&mut self, newlines: bool) -> R<()> {
        if newlines { self.ws() } else { self.sp() }
    }

    fn opt_line_comment(&mut self) {
        if self.peek() == b'#' || self.at(b"//") {
            self.skip_line();
        }
    }

    #[inline]
    fn line_ending(&mut self) -> bool {
        if self.peek() == b'\n' && !self.eof() {
            self.pos += 1;
            true
        } else if self.at(b"\r\n") {
            self.pos += 2;
            true
        } else {
            false
        }
    }

    /// An identifier (ASCII only: a non-ASCII character where an identifier may continue
    /// is left to hcl-edit).
    fn ident(&mut self) -> R<&'t str> {
        let start = self.pos;
        if !is_ident_start(self.peek()) {
            return Err(Decline);
        }
        let rest = &self.b[start + 1..];
        let len = rest.iter().position(|&c| !IDENT_CONTINUE[c as usize]).unwrap_or(rest.len());
        self.pos = start + 1 + len;
        if self.peek() >= 0x80 {
            return Err(Decline);
        }
        Ok(self.slice(start, self.pos))
    }

    /// A keyword (`in`, `if`, `for`) at the current position. hcl-edit matches these
    /// as prefixes (`inx` is `in x`); the fast parser declines that.
    fn keyword(&mut self, kw: &[u8]) -> R<bool> {
        if !self.at(kw) {
            return Ok(false);
        }
        let next = self.byte(kw.len());
        if is_ident_continue(next) || next >= 0x80 {
            return Err(Decline);
        }
        self.pos += kw.len();
        Ok(true)
    }

    // ---- structure ----

    fn body(&mut self) -> R<Vec<Entry>> {
        let base = self.stacks.entries.len();
        let mut keys = Keys::new();
        loop {
            let save = self.pos;
            self.ws()?;
            let c = self.peek();
            if c >= 0x80 {
                return Err(Decline);
            }
            if !is_ident_start(c) {
                self.pos = save;
                break;
            }
            self.structure(&mut keys)?;
            self.sp()?;
            self.opt_line_comment();
            if !self.line_ending() && !self.eof() {
                return Err(Decline);
            }
        }
        self.ws()?;
        Ok(self.stacks.entries.split_off(base))
    }

    fn structure(&mut self, keys: &mut Keys<'t>) -> R<()> {
        let start = self.pos;
        let name = self.ident()?;
        let name_span = Span::new(start, self.pos);
        self.sp()?;
        match self.peek() {
            b'=' => {
                if !keys.insert(name) {
                    return Err(Decline);
                }
                self.pos += 1;
                self.sp()?;
                let value = self.root_value()?;
                self.stacks.entries.push(Entry::new(name_span, name, value));
            }
            c if c == b'{' || c == b'"' || is_ident_start(c) => {
                let labels = self.stacks.labels.len();
                loop {
                    match self.peek() {
                        b'{' => break,
                        b'"' => {
                            let label_start = self.pos;
                            let value = self.plain_string()?;
                            self.stacks.labels.push((Span::new(label_start, self.pos), value.into()));
                        }
                        c if is_ident_start(c) => {
                            let label_start = self.pos;
                            let value = self.ident()?;
                            self.stacks.labels.push((Span::new(label_start, self.pos), value.into()));
                        }
                        _ => return Err(Decline),
                    }
                    self.sp()?;
                }
                let body = self.block_body()?;
                let whole = Span::new(start, self.pos);
                let mut node = Node::new(whole, Value::Map(body));
                for (span, key) in self.stacks.labels.drain(labels..).rev() {
                    node = Node::new(whole, Value::Map(vec![Entry::new(span, key, node)]));
                }
                self.stacks.entries.push(Entry::new(name_span, name, node));
            }
            _ => return Err(Decline),
        }
        Ok(())
    }

    /// `{ ... }`: a multi-line body, or a one-line block with at most one attribute.
    fn block_body(&mut self) -> R<Vec<Entry>> {
        self.enter()?;
        self.expect(b'{')?;
        let save = self.pos;
        self.sp()?;
        self.opt_line_comment();
        let entries = if self.line_ending() {
            self.body()?
        } else {
            self.pos = save;
            self.sp()?;
            let mut entries = Vec::new();
            if is_ident_start(self.peek()) {
                let start = self.pos;
                let name = self.ident()?;
                let name_span = Span::new(start, self.pos);
                self.sp()?;
                self.expect(b'=')?;
                self.sp()?;
                let value = self.root_value()?;
                entries.push(Entry::new(name_span, name, value));
                self.sp()?;
            }
            entries
        };
        self.expect(b'}')?;
        self.leave();
        Ok(entries)
    }

    /// An attribute value: hcl-edit's `root_expr`, converted to a node.
    fn root_value(&mut self) -> R<Node> {
        self.ops = 0;
        let parsed = self.expr_inner(false)?;
        let node = self.to_node(parsed.ast);
        self.paren_keys.clear();
        Ok(node)
    }

    // ---- expressions ----

    /// A nested expression (hcl-edit's `expr`, `multiline_expr`, `expr_with_state`):
    /// `newlines` says whether newlines are insignificant in it.
    fn expr(&mut self, newlines: bool) -> R<Parsed> {
        self.enter()?;
        let parsed = self.expr_inner(newlines)?;
        self.leave();
        Ok(parsed)
    }

    /// hcl-edit's `expr_inner`: a term, binary operations, then maybe a conditional.
    /// `newlines` is the expression's parse state, which a tuple, a call or an object
    /// `for` term turns on for the rest of the expression (as hcl-edit does).
    fn expr_inner(&mut self, newlines: bool) -> R<Parsed> {
        let mut state = newlines;
        let start = self.pos;
        let mut cur = self.term(&mut state)?;
        loop {
            let save = self.pos;
            self.wsp(state)?;
            if self.pos + 1 >= self.b.len() {
                self.pos = save;
                return Ok(cur);
            }
            let (c, c2) = (self.peek(), self.byte(1));
            if c == b'?' {
                self.pos += 1;
                self.wsp(state)?;
                let then = self.expr(state)?;
                self.wsp(state)?;
                self.expect(b':')?;
                self.wsp(state)?;
                let otherwise = self.expr(state)?;
                let end = otherwise.end;
                let kind = ExprKind::Conditional(Box::new([cur.ast, then.ast, otherwise.ast]));
                return Ok(Parsed::new(start, end, kind));
            }
            let comment = c == b'/' && (c2 == b'/' || c2 == b'*');
            let binary = (c == b'=' && c2 == b'=')
                || matches!(c, b'!' | b'<' | b'>' | b'+' | b'-' | b'*' | b'/' | b'%' | b'&' | b'|');
            self.pos = save;
            if comment || !binary {
                return Ok(cur);
            }
            cur = self.binary_ops(state, cur)?;
        }
    }

    fn binary_operator(&mut self) -> Option<BinaryOp> {
        let (c, c2) = (self.peek(), self.byte(1));
        let (op, len) = match c {
            b'=' if c2 == b'=' => (BinaryOp::Eq, 2),
            b'!' if c2 == b'=' => (BinaryOp::NotEq, 2),
            b'<' if c2 == b'=' => (BinaryOp::LessEq, 2),
            b'<' => (BinaryOp::Less, 1),
            b'>' if c2 == b'=' => (BinaryOp::GreaterEq, 2),
            b'>' => (BinaryOp::Greater, 1),
            b'+' => (BinaryOp::Plus, 1),
            b'-' => (BinaryOp::Minus, 1),
            b'*' => (BinaryOp::Mul, 1),
            b'/' if c2 != b'/' && c2 != b'*' => (BinaryOp::Div, 1),
            b'%' => (BinaryOp::Mod, 1),
            b'&' if c2 == b'&' => (BinaryOp::And, 2),
            b'|' if c2 == b'|' => (BinaryOp::Or, 2),
            _ => return None,
        };
        if self.eof() {
            return None;
        }
        self.pos += len;
        Some(op)
    }

    /// A chain of binary operations after `first`, with hcl-edit's precedences (all
    /// left-associative).
    fn binary_ops(&mut self, state: bool, first: Parsed) -> R<Parsed> {
        let mut operands = vec![first];
        let mut operators: Vec<BinaryOp> = Vec::new();
        loop {
            let save = self.pos;
            self.wsp(state)?;
            let Some(op) = self.binary_operator() else {
                if operators.is_empty() {
                    return Err(Decline);
                }
                self.pos = save;
                break;
            };
            self.wsp(state)?;
            let mut operand_state = state;
            let operand = self.term(&mut operand_state)?;
            self.ops += 1;
            if self.ops > MAX_OPERATORS {
                return Err(Decline);
            }
            // Reduce while the operator on the stack binds at least as tightly.
            while let Some(&top) = operators.last()
                && precedence(top) >= precedence(op)
            {
                reduce(&mut operands, &mut operators);
            }
            operators.push(op);
            operands.push(operand);
        }
        while !operators.is_empty() {
            reduce(&mut operands, &mut operators);
        }
        operands.pop().ok_or(Decline)
    }

    /// hcl-edit's `expr_term_inner`: one term, then its traversal operators.
    fn term(&mut self, state: &mut bool) -> R<Parsed> {
        let start = self.pos;
        let base = match self.peek() {
            b'"' => self.quoted()?,
            b'[' => {
                *state = true;
                self.tuple()?
            }
            b'{' => self.object(state)?,
            b'0'..=b'9' => self.number(start)?,
            b'<' => self.heredoc()?,
            b'-' => self.minus(*state)?,
            b'!' => self.unary(UnaryOp::Not, *state)?,
            b'(' => self.parenthesis()?,
            c if is_ident_start(c) => self.identlike(state)?,
            _ => return Err(Decline),
        };
        if self.eof() {
            return Ok(base);
        }
        let save = self.pos;
        self.wsp(*state)?;
        let (c, c2) = (self.peek(), self.byte(1));
        if self.pos + 1 >= self.b.len() || !(c == b'[' || (c == b'.' && c2 != b'.')) {
            self.pos = save;
            return Ok(base);
        }
        let base_ops = self.stacks.steps.len();
        let mut end = self.pos;
        loop {
            let save = self.pos;
            self.wsp(*state)?;
            let op_start = self.pos;
            match (self.peek(), self.byte(1)) {
                (b'.', b'.') => {
                    self.pos = save;
                    break;
                }
                (b'.', _) => {
                    self.pos += 1;
                    self.ws()?;
                    match self.peek() {
                        b'*' => {
                            self.pos += 1;
                            self.stacks.steps.push(Traverse::AttrSplat(Span::new(op_start, self.pos)));
                        }
                        b'0' => {
                            if self.byte(1).is_ascii_digit() {
                                return Err(Decline);
                            }
                            self.pos += 1;
                            self.stacks
                                .steps
                                .push(Traverse::LegacyIndex(Spanned::new(Span::new(op_start, self.pos), 0)));
                        }
                        b'1'..=b'9' => {
                            let digits = self.pos;
                            while self.peek().is_ascii_digit() {
                                self.pos += 1;
                            }
                            let value: u64 = self.slice(digits, self.pos).parse().map_err(|_| Decline)?;
                            self.stacks
                                .steps
                                .push(Traverse::LegacyIndex(Spanned::new(Span::new(op_start, self.pos), value)));
                        }
                        c if is_ident_start(c) => {
                            let name = self.ident()?;
                            self.stacks
                                .steps
                                .push(Traverse::Attr(Spanned::new(Span::new(op_start, self.pos), name.into())));
                        }
                        _ => return Err(Decline),
                    }
                }
                (b'[', _) => {
                    self.pos += 1;
                    self.ws()?;
                    if self.peek() == b'*' {
                        self.pos += 1;
                        self.ws()?;
                        self.expect(b']')?;
                        self.stacks.steps.push(Traverse::FullSplat(Span::new(op_start, self.pos)));
                    } else {
                        let index = self.expr(true)?;
                        self.ws()?;
                        self.expect(b']')?;
                        self.stacks.steps.push(Traverse::Index(index.ast));
                    }
                }
                _ => {
                    self.pos = save;
                    break;
                }
            }
            end = self.pos;
        }
        let ops = self.stacks.steps.split_off(base_ops);
        Ok(Parsed::new(start, end, ExprKind::Traversal(Box::new(base.ast), ops)))
    }

    /// A number: digits, an optional fraction, an optional exponent. `start` is where
    /// the term starts (before a `-` for a negative number).
    fn number(&mut self, start: usize) -> R<Parsed> {
        let digits = self.pos;
        while self.peek().is_ascii_digit() {
            self.pos += 1;
        }
        let mut float = false;
        if self.peek() == b'.' && self.byte(1).is_ascii_digit() {
            float = true;
            self.pos += 1;
            while self.peek().is_ascii_digit() {
                self.pos += 1;
            }
        }
        if matches!(self.peek(), b'e' | b'E') {
            float = true;
            self.pos += 1;
            if matches!(self.peek(), b'+' | b'-') {
                self.pos += 1;
            }
            if !self.peek().is_ascii_digit() {
                return Err(Decline);
            }
            while self.peek().is_ascii_digit() {
                self.pos += 1;
            }
        }
        let written = self.slice(digits, self.pos);
        // hcl-edit rejects what does not fit a finite f64 (and reads it differently).
        if (float && !written.parse::<f64>().is_ok_and(f64::is_finite)) || written.len() > 300 {
            return Err(Decline);
        }
        Ok(Parsed::new(start, self.pos, ExprKind::Number(self.slice(start, self.pos).into())))
    }

    /// `-`: a negative number (`-` and spaces before digits), else a negation.
    fn minus(&mut self, state: bool) -> R<Parsed> {
        let start = self.pos;
        self.pos += 1;
        self.sp()?;
        if self.peek().is_ascii_digit() {
            return self.number(start);
        }
        self.pos = start;
        self.unary(UnaryOp::Neg, state)
    }

    fn unary(&mut self, op: UnaryOp, state: bool) -> R<Parsed> {
        let start = self.pos;
        self.pos += 1;
        self.wsp(state)?;
        self.enter()?;
        let mut operand_state = state;
        let operand = self.term(&mut operand_state)?;
        self.leave();
        let end = operand.end;
        Ok(Parsed::new(start, end, ExprKind::Unary(op, Box::new(operand.ast))))
    }

    /// `(x)`: the tree of `x`, the range of the parentheses.
    fn parenthesis(&mut self) -> R<Parsed> {
        let start = self.pos;
        self.pos += 1;
        self.ws()?;
        let inner = self.expr(true)?;
        self.ws()?;
        self.expect(b')')?;
        Ok(Parsed { ast: inner.ast, start, end: self.pos })
    }

    /// A name: a keyword, a variable or a function call.
    fn identlike(&mut self, state: &mut bool) -> R<Parsed> {
        let start = self.pos;
        let name = self.ident()?;
        let name_end = self.pos;
        let save = self.pos;
        self.wsp(*state)?;
        let call = self.pos + 1 < self.b.len() && (self.at(b"::") || self.peek() == b'(');
        if !call {
            self.pos = save;
            let kind = match name {
                "null" => ExprKind::Null,
                "true" => ExprKind::Bool(true),
                "false" => ExprKind::Bool(false),
                _ => ExprKind::Variable(name.into()),
            };
            return Ok(Parsed::new(start, name_end, kind));
        }
        let mut full: Box<str> = name.into();
        let mut last_end = name_end;
        if self.at(b"::") {
            let mut joined = String::from(name);
            while self.at(b"::") {
                self.pos += 2;
                self.wsp(*state)?;
                let part = self.ident()?;
                last_end = self.pos;
                joined.push_str("::");
                joined.push_str(part);
                self.wsp(*state)?;
            }
            full = joined.into();
        }
        *state = true;
        self.expect(b'(')?;
        let base = self.stacks.exprs.len();
        let mut expand_final = false;
        let save = self.pos;
        self.ws()?;
        if self.eof() || matches!(self.peek(), b',' | b'.' | b')') {
            self.pos = save;
        } else {
            loop {
                let arg = self.expr(true)?.ast;
                self.stacks.exprs.push(arg);
                self.ws()?;
                if self.peek() != b',' {
                    break;
                }
                let comma = self.pos;
                self.pos += 1;
                self.ws()?;
                if self.eof() || matches!(self.peek(), b',' | b'.' | b')') {
                    self.pos = comma;
                    break;
                }
            }
            match self.peek() {
                b',' => self.pos += 1,
                b'.' if self.at(b"...") => {
                    self.pos += 3;
                    expand_final = true;
                }
                b'.' => return Err(Decline),
                _ => {}
            }
        }
        self.ws()?;
        self.expect(b')')?;
        let args = self.stacks.exprs.split_off(base);
        let call = Call { name: Spanned::new(Span::new(start, last_end), full), args, expand_final };
        Ok(Parsed::new(start, self.pos, ExprKind::Call(Box::new(call))))
    }

    /// After `[` or `{`: whether a `for` expression follows.
    fn for_ahead(&mut self) -> bool {
        let save = self.pos;
        let hit = self.ws().is_ok() && self.at(b"for") && matches!(self.byte(3), b' ' | b'\t' | b'#' | b'/' | b'\n');
        self.pos = save;
        hit
    }

    /// `for k, v in collection :` → (key variable, value variable, collection).
    fn for_intro(&mut self) -> R<(Option<Box<str>>, Box<str>, Expr)> {
        self.ws()?;
        self.pos += 3;
        self.ws()?;
        let (first, second) = self.for_names()?;
        let collection = self.expr(true)?;
        self.ws()?;
        self.expect(b':')?;
        Ok(match second {
            Some(value) => (Some(first.into()), value.into(), collection.ast),
            None => (None, first.into(), collection.ast),
        })
    }

    /// `k, v in ` or `v in ` of a `for` expression or directive, blanks after `in`
    /// skipped: (first name, second name).
    fn for_names(&mut self) -> R<(&'t str, Option<&'t str>)> {
        let first = self.ident()?;
        self.ws()?;
        let mut second = None;
        if self.opt(b',') {
            self.ws()?;
            second = Some(self.ident()?);
            self.ws()?;
        }
        if !self.keyword(b"in")? {
            return Err(Decline);
        }
        self.ws()?;
        Ok((first, second))
    }

    /// `if cond` at the end of a `for` expression.
    fn for_cond(&mut self) -> R<Option<Expr>> {
        let save = self.pos;
        self.ws()?;
        if !self.keyword(b"if")? {
            self.pos = save;
            return Ok(None);
        }
        self.ws()?;
        let cond = self.expr(true)?;
        self.ws()?;
        Ok(Some(cond.ast))
    }

    fn tuple(&mut self) -> R<Parsed> {
        let start = self.pos;
        self.pos += 1;
        if self.for_ahead() {
            let (key_var, value_var, collection) = self.for_intro()?;
            self.ws()?;
            let value = self.expr(true)?.ast;
            self.ws()?;
            let cond = self.for_cond()?;
            self.expect(b']')?;
            let f = ForExpr { key_var, value_var, collection, key: None, value, cond, grouping: false };
            return Ok(Parsed::new(start, self.pos, ExprKind::For(Box::new(f))));
        }
        let base = self.stacks.exprs.len();
        let save = self.pos;
        self.ws()?;
        if self.peek() == b']' {
            self.pos = save;
        } else {
            loop {
                let item = self.expr(true)?.ast;
                self.stacks.exprs.push(item);
                self.ws()?;
                if self.peek() != b',' {
                    break;
                }
                let comma = self.pos;
                self.pos += 1;
                self.ws()?;
                if self.peek() == b']' {
                    self.pos = comma;
                    break;
                }
            }
        }
        self.opt(b',');
        self.ws()?;
        self.expect(b']')?;
        let items = self.stacks.exprs.split_off(base);
        Ok(Parsed::new(start, self.pos, ExprKind::Tuple(items)))
    }

    fn object(&mut self, state: &mut bool) -> R<Parsed> {
        let start = self.pos;
        self.pos += 1;
        if self.for_ahead() {
            *state = true;
            let (key_var, value_var, collection) = self.for_intro()?;
            self.ws()?;
            let key = self.expr(true)?.ast;
            self.ws()?;
            if !self.at(b"=>") {
                return Err(Decline);
            }
            self.pos += 2;
            self.ws()?;
            let value = self.expr(true)?.ast;
            self.ws()?;
            let grouping = self.at(b"...");
            if grouping {
                self.pos += 3;
                self.ws()?;
            }
            let cond = self.for_cond()?;
            self.expect(b'}')?;
            let f = ForExpr { key_var, value_var, collection, key: Some(key), value, cond, grouping };
            return Ok(Parsed::new(start, self.pos, ExprKind::For(Box::new(f))));
        }
        let base = self.stacks.items.len();
        loop {
            self.ws()?;
            if self.eof() {
                return Err(Decline);
            }
            if self.opt(b'}') {
                break;
            }
            let key = self.expr(false)?;
            self.sp()?;
            if !(self.opt(b'=') || self.opt(b':')) {
                return Err(Decline);
            }
            self.sp()?;
            let value = self.expr(false)?;
            self.sp()?;
            let written = Span::new(key.start, key.end);
            let key = match key.ast.kind {
                // A bare name (not in parentheses) is an identifier key.
                ExprKind::Variable(name) if key.ast.span == written => ObjectKey::Ident(Spanned::new(written, name)),
                kind => {
                    if key.ast.span != written {
                        self.paren_keys.push((key.ast.span, written));
                    }
                    ObjectKey::Expr(Expr::new(key.ast.span, kind))
                }
            };
            self.stacks.items.push(ObjectItem { key, value: value.ast });
            match self.peek() {
                _ if self.eof() => return Err(Decline),
                b'}' => {
                    self.pos += 1;
                    break;
                }
                b',' => self.pos += 1,
                b'\n' | b'\r' => {
                    if !self.line_ending() {
                        return Err(Decline);
                    }
                }
                b'#' | b'/' => {
                    if self.peek() == b'/' && self.byte(1) != b'/' {
                        return Err(Decline);
                    }
                    self.skip_line();
                    if !self.line_ending() {
                        return Err(Decline);
                    }
                }
                _ => return Err(Decline),
            }
        }
        let items = self.stacks.items.split_off(base);
        Ok(Parsed::new(start, self.pos, ExprKind::Object(items)))
    }

    // ---- strings and templates ----

    /// Literal text of a quoted string up to the closing quote or a template marker,
    /// decoded; the position is left on the quote or marker.
    fn quoted_literal(&mut self) -> R<Cow<'t, str>> {
        let mut out: Option<String> = None;
        let mut run = self.pos;
        loop {
            let off = self.b[self.pos..].iter().position(|&c| QUOTED_SPECIAL[c as usize]).ok_or(Decline)?;
            let i = self.pos + off;
            let c = self.b[i];
            match c {
                b'"' => {
                    self.pos = i;
                    break;
                }
                b'\\' => {
                    let s = out.get_or_insert_with(String::new);
                    s.push_str(self.slice(run, i));
                    let (ch, len) = self.escape(i)?;
                    s.push(ch);
                    self.pos = i + len;
                    run = self.pos;
                }
                b'$' | b'%' => {
                    if self.sigil(i, c, &mut out, &mut run) {
                        break;
                    }
                }
                // A newline in a quoted string: Terraform rejects it, hcl-edit does not.
                _ => return Err(Decline),
            }
        }
        Ok(match out {
            Some(mut s) => {
                s.push_str(self.slice(run, self.pos));
                Cow::Owned(s)
            }
            None => Cow::Borrowed(self.slice(run, self.pos)),
        })
    }

    /// The escape sequence at `i` (a backslash): the character and the length written.
    fn escape(&self, i: usize) -> R<(char, usize)> {
        let hex = |n: usize| -> R<(char, usize)> {
            let digits = self.b.get(i + 2..i + 2 + n).ok_or(Decline)?;
            if !digits.iter().all(u8::is_ascii_hexdigit) {
                return Err(Decline);
            }
            let digits = std::str::from_utf8(digits).map_err(|_| Decline)?;
            let code = u32::from_str_radix(digits, 16).map_err(|_| Decline)?;
            Ok((char::from_u32(code).ok_or(Decline)?, 2 + n))
        };
        match self.b.get(i + 1) {
            Some(b'n') => Ok(('\n', 2)),
            Some(b'r') => Ok(('\r', 2)),
            Some(b't') => Ok(('\t', 2)),
            Some(b'\\') => Ok(('\\', 2)),
            Some(b'"') => Ok(('"', 2)),
            Some(b'u') => hex(4),
            Some(b'U') => hex(8),
            _ => Err(Decline),
        }
    }

    /// A quoted string without interpolations or directives (a block label).
    fn plain_string(&mut self) -> R<Cow<'t, str>> {
        self.pos += 1;
        let value = self.quoted_literal()?;
        self.expect(b'"')?;
        Ok(value)
    }

    /// A quoted string or string template.
    fn quoted(&mut self) -> R<Parsed> {
        let start = self.pos;
        self.pos += 1;
        let lit_start = self.pos;
        let first = self.quoted_literal()?;
        if self.opt(b'"') {
            return Ok(Parsed::new(start, self.pos, ExprKind::String(first.into())));
        }
        let mut parts = Parts::new(&self.stacks.parts);
        if self.pos > lit_start {
            parts.push(&mut self.stacks.parts, Elem::Literal(Span::new(lit_start, self.pos), first.into_owned()));
        }
        loop {
            let elem = if self.at(b"${") { self.interpolation()? } else { self.directive()?.ok_or(Decline)? };
            parts.push(&mut self.stacks.parts, elem);
            let lit_start = self.pos;
            let lit = self.quoted_literal()?;
            if self.pos > lit_start {
                parts.push(&mut self.stacks.parts, Elem::Literal(Span::new(lit_start, self.pos), lit.into_owned()));
            }
            if self.opt(b'"') {
                break;
            }
        }
        let out = self.stacks.parts.split_off(parts.base);
        Ok(Parsed::new(start, self.pos, template_kind(out)))
    }

    /// `${ expr }`
    fn interpolation(&mut self) -> R<Elem> {
        self.pos += 2;
        let strip_start = self.opt(b'~');
        self.ws()?;
        let expr = self.expr(true)?.ast;
        self.ws()?;
        let strip_end = self.opt(b'~');
        self.expect(b'}')?;
        Ok(Elem::Interpolation { expr, strip_start, strip_end })
    }

    /// `%{ if ... }` or `%{ for ... }` through its `endif`/`endfor`; `None` (position
    /// unchanged) for any other `%{`, which ends a directive's body.
    fn directive(&mut self) -> R<Option<Elem>> {
        let save = self.pos;
        self.pos += 2;
        let strip_start = self.opt(b'~');
        self.ws()?;
        if self.keyword(b"if")? {
            self.ws()?;
            let cond = self.expr(false)?.ast;
            self.ws()?;
            self.opt(b'~');
            self.expect(b'}')?;
            let then = self.template_body()?;
            let mut otherwise = Vec::new();
            let before_else = self.pos;
            if self.at(b"%{") {
                self.pos += 2;
                self.opt(b'~');
                self.ws()?;
                if self.at(b"else") {
                    self.pos += 4;
                    self.ws()?;
                    self.opt(b'~');
                    self.expect(b'}')?;
                    otherwise = self.template_body()?;
                } else {
                    self.pos = before_else;
                }
            }
            let strip_end = self.directive_end(b"endif")?;
            return Ok(Some(Elem::If { cond, then, otherwise, strip_start, strip_end }));
        }
        if self.keyword(b"for")? {
            self.ws()?;
            let (first, second) = self.for_names()?;
            let collection = self.expr(false)?.ast;
            self.ws()?;
            self.opt(b'~');
            self.expect(b'}')?;
            let body = self.template_body()?;
            let strip_end = self.directive_end(b"endfor")?;
            let (key_var, value_var) = match second {
                Some(value) => (Some(first.into()), value.into()),
                None => (None, first.into()),
            };
            return Ok(Some(Elem::For { key_var, value_var, collection, body, strip_start, strip_end }));
        }
        self.pos = save;
        Ok(None)
    }

    /// `%{ endif }` / `%{ endfor }`: whether it strips the whitespace after it.
    fn directive_end(&mut self, keyword: &[u8]) -> R<bool> {
        if !self.at(b"%{") {
            return Err(Decline);
        }
        self.pos += 2;
        self.opt(b'~');
        self.ws()?;
        if !self.at(keyword) {
            return Err(Decline);
        }
        self.pos += keyword.len();
        self.ws()?;
        let strip_end = self.opt(b'~');
        self.expect(b'}')?;
        Ok(strip_end)
    }

    /// At a `$` or `%` (`c`) at `i` in template text: `$${` / `%%{` is the literal
    /// `${` / `%{` (decoded into `out`, the literal run restarting after it); `${` /
    /// `%{` ends the literal (true, the position left on it); any other is literal.
    #[inline]
    fn sigil(&mut self, i: usize, c: u8, out: &mut Option<String>, run: &mut usize) -> bool {
        let (n1, n2) = (self.b.get(i + 1).copied(), self.b.get(i + 2).copied());
        if n1 == Some(c) && n2 == Some(b'{') {
            let s = out.get_or_insert_with(String::new);
            s.push_str(self.slice(*run, i));
            s.push(c as char);
            s.push('{');
            self.pos = i + 3;
            *run = self.pos;
        } else if n1 == Some(b'{') {
            self.pos = i;
            return true;
        } else {
            self.pos = i + 1;
        }
        false
    }

    /// Raw template text (no backslash escapes; `$${` and `%%{` decoded) up to `${`,
    /// `%{`, the end of input or, in a heredoc, the line ending before its closing line.
    fn raw_literal(&mut self, heredoc_delim: Option<&[u8]>) -> Cow<'t, str> {
        let mut out: Option<String> = None;
        let mut run = self.pos;
        loop {
            let rest = &self.b[self.pos..];
            let found = if heredoc_delim.is_some() {
                memchr::memchr3(b'$', b'%', b'\n', rest)
            } else {
                memchr::memchr2(b'$', b'%', rest)
            };
            let Some(off) = found else {
                self.pos = self.b.len();
                break;
            };
            let i = self.pos + off;
            let c = self.b[i];
            if c == b'\n' {
                if let Some(delim) = heredoc_delim
                    && closing_line(self.b, i + 1, delim)
                {
                    self.pos = if i > 0 && self.b[i - 1] == b'\r' { i - 1 } else { i };
                    break;
                }
                self.pos = i + 1;
                continue;
            }
            if self.sigil(i, c, &mut out, &mut run) {
                break;
            }
        }
        match out {
            Some(mut s) => {
                s.push_str(self.slice(run, self.pos));
                Cow::Owned(s)
            }
            None => Cow::Borrowed(self.slice(run, self.pos)),
        }
    }

    /// The elements of a template up to the end of input or a `%{` that is not an `if`
    /// or `for` directive; `heredoc_delim` also ends it at a line ending followed by a
    /// heredoc's closing line.
    fn elements(&mut self, heredoc_delim: Option<&[u8]>) -> R<Vec<Elem>> {
        let mut elems = Vec::new();
        loop {
            let lit_start = self.pos;
            let lit = self.raw_literal(heredoc_delim);
            if self.pos > lit_start {
                elems.push(Elem::Literal(Span::new(lit_start, self.pos), lit.into_owned()));
            }
            if self.at(b"${") {
                elems.push(self.interpolation()?);
            } else if self.at(b"%{") {
                match self.directive()? {
                    Some(d) => elems.push(d),
                    None => break,
                }
            } else {
                break;
            }
        }
        Ok(elems)
    }

    /// A directive's body (hcl-edit's nested `template`).
    fn template_body(&mut self) -> R<Vec<Elem>> {
        self.enter()?;
        let elems = self.elements(None)?;
        self.leave();
        Ok(elems)
    }

    /// `<<EOF` / `<<-EOF` through the closing line's delimiter.
    fn heredoc(&mut self) -> R<Parsed> {
        let start = self.pos;
        if !self.at(b"<<") {
            return Err(Decline);
        }
        self.pos += 2;
        let indented = self.opt(b'-');
        let delim_start = self.pos;
        self.ident()?;
        let delim = &self.b[delim_start..self.pos];
        if !self.line_ending() {
            return Err(Decline);
        }
        let mut elems = Vec::new();
        // A first line that is the closing line: an empty heredoc.
        if !closing_line(self.b, self.pos, delim) {
            elems = self.elements(Some(delim))?;
            let le_start = self.pos;
            if !self.line_ending() {
                return Err(Decline);
            }
            let le = self.slice(le_start, self.pos);
            match elems.last_mut() {
                Some(Elem::Literal(span, text)) => {
                    text.push_str(le);
                    *span = Span::new(span.start as usize, self.pos);
                }
                _ => elems.push(Elem::Literal(Span::new(le_start, self.pos), le.to_owned())),
            }
        }
        while matches!(self.peek(), b' ' | b'\t') {
            self.pos += 1;
        }
        if !self.at(delim) {
            return Err(Decline);
        }
        self.pos += delim.len();
        if indented {
            dedent(&mut elems);
        }
        Ok(Parsed::new(start, self.pos, template_kind(parts(elems))))
    }

    // ---- model ----

    /// The document node of an attribute value (and, within it, of tuple items and
    /// object values): data for literals, tuples and objects, an expression for
    /// everything else (as the converter's `expr`).
    fn to_node(&self, e: Expr) -> Node {
        let span = e.span;
        let value = match e.kind {
            ExprKind::Null => Value::Null,
            ExprKind::Bool(b) => Value::Bool(b),
            ExprKind::Number(n) => Value::Number(n),
            ExprKind::String(s) => Value::String(s),
            ExprKind::Tuple(items) => Value::Seq(items.into_iter().map(|i| self.to_node(i)).collect()),
            ExprKind::Object(items) => Value::Map(items.into_iter().map(|i| self.entry(i)).collect()),
            kind => Value::Expr(Box::new(Expression {
                text: self.slice(span.start as usize, span.end as usize).into(),
                ast: Expr::new(span, kind),
            })),
        };
        Node::new(span, value)
    }

    fn entry(&self, item: ObjectItem) -> Entry {
        let key = match item.key {
            ObjectKey::Ident(name) => name,
            ObjectKey::Expr(k) => {
                let written =
                    self.paren_keys.iter().rev().find(|(inner, _)| *inner == k.span).map_or(k.span, |&(_, w)| w);
                let text: Box<str> = match k.kind {
                    // A quoted key is its value; any other key is its text.
                    ExprKind::String(s) if written == k.span && self.b[written.start as usize] == b'"' => s,
                    _ => self.slice(written.start as usize, written.end as usize).into(),
                };
                Spanned::new(written, text)
            }
        };
        Entry { key, value: self.to_node(item.value) }
    }
}

/// Whether the line at `at` is a heredoc's closing line: blanks, the delimiter, blanks,
/// then a line ending or the end of input.
fn closing_line(b: &[u8], mut at: usize, delim: &[u8]) -> bool {
    while matches!(b.get(at), Some(b' ' | b'\t')) {
        at += 1;
    }
    if !b[at.min(b.len())..].starts_with(delim) {
        return false;
    }
    at += delim.len();
    while matches!(b.get(at), Some(b' ' | b'\t')) {
        at += 1;
    }
    matches!(b.get(at), None | Some(b'\n')) || b[at..].starts_with(b"\r\n")
}

fn precedence(op: BinaryOp) -> u8 {
    match op {
        BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod => 6,
        BinaryOp::Plus | BinaryOp::Minus => 5,
        BinaryOp::LessEq | BinaryOp::GreaterEq | BinaryOp::Less | BinaryOp::Greater => 4,
        BinaryOp::Eq | BinaryOp::NotEq => 3,
        BinaryOp::And => 2,
        BinaryOp::Or => 1,
    }
}

/// Combines the last two operands with the last operator.
fn reduce(operands: &mut Vec<Parsed>, operators: &mut Vec<BinaryOp>) {
    let (Some(op), Some(rhs), Some(lhs)) = (operators.pop(), operands.pop(), operands.pop()) else {
        return;
    };
    let (start, end) = (lhs.start, rhs.end);
    operands.push(Parsed::new(start, end, ExprKind::Binary(op, Box::new([lhs.ast, rhs.ast]))));
}

/// A template made only of literals is a plain string; anything else is a [`Template`]
/// (as the converter's `template_kind`).
fn template_kind(mut parts: Vec<Part>) -> ExprKind {
    match parts.as_slice() {
        [] => ExprKind::String("".into()),
        [Part::Literal(_)] => match parts.pop() {
            Some(Part::Literal(s)) => ExprKind::String(s.value),
            _ => ExprKind::String("".into()),
        },
        _ => ExprKind::Template(Template { parts }),
    }
}

/// Template elements as parts: adjacent literals joined, strip markers applied to the
/// literals beside them, CRLF line endings normalised (as the converter's `parts`).
fn parts(elems: Vec<Elem>) -> Vec<Part> {
    let mut out = Vec::new();
    let mut parts = Parts::new(&out);
    for elem in elems {
        parts.push(&mut out, elem);
    }
    out
}

/// Parts built one element at a time.
struct Parts {
    /// Where this template's parts start on the stack they are built on.
    base: usize,
    /// Whether the next literal loses its leading whitespace.
    strip_next: bool,
}

impl Parts {
    fn new(stack: &[Part]) -> Self {
        Self { base: stack.len(), strip_next: false }
    }

    fn push(&mut self, stack: &mut Vec<Part>, elem: Elem) {
        let strip_next = &mut self.strip_next;
        let out = &mut *stack;
        let mine = self.base..;
        match elem {
            Elem::Literal(span, value) => {
                let value = if std::mem::take(strip_next) {
                    let trimmed = value.trim_start();
                    if trimmed.len() == value.len() { value } else { trimmed.to_owned() }
                } else {
                    value
                };
                let normalised = if value.contains('\r') { value.replace("\r\n", "\n") } else { value };
                match out[mine].last_mut() {
                    Some(Part::Literal(prev)) => {
                        prev.value = format!("{}{normalised}", prev.value).into();
                        prev.span = prev.span.cover(span);
                    }
                    _ => out.push(Part::Literal(Spanned::new(span, normalised.into()))),
                }
            }
            Elem::Interpolation { expr, strip_start, strip_end } => {
                strip_before(&mut out[mine], strip_start);
                out.push(Part::Interpolation(expr));
                *strip_next = strip_end;
            }
            Elem::If { cond, then, otherwise, strip_start, strip_end } => {
                strip_before(&mut out[mine], strip_start);
                out.push(Part::If { cond, then: parts(then), otherwise: parts(otherwise) });
                *strip_next = strip_end;
            }
            Elem::For { key_var, value_var, collection, body, strip_start, strip_end } => {
                strip_before(&mut out[mine], strip_start);
                out.push(Part::For { key_var, value_var, collection, body: parts(body) });
                *strip_next = strip_end;
            }
        }
    }
}

fn strip_before(out: &mut [Part], strip: bool) {
    if strip && let Some(Part::Literal(prev)) = out.last_mut() {
        prev.value = prev.value.trim_end().into();
    }
}

/// hcl-edit's `Template::dedent` for `<<-` heredocs: the smallest indent of the
/// literals' lines is removed from every line (not from a literal's first line when it
/// continues a line after an interpolation or directive).
fn dedent(elems: &mut [Elem]) {
    let mut indent: Option<usize> = None;
    let mut skip_first_line = false;
    for elem in elems.iter() {
        if let Elem::Literal(_, literal) = elem {
            if let Some(leading) = min_leading_whitespace(literal, skip_first_line) {
                indent = Some(indent.map_or(leading, |i| i.min(leading)));
            }
            skip_first_line = !literal.ends_with('\n');
        } else if !skip_first_line {
            return;
        }
    }
    let Some(indent) = indent else { return };
    skip_first_line = false;
    for elem in elems.iter_mut() {
        if let Elem::Literal(_, literal) = elem {
            *literal = dedent_by(literal, indent, skip_first_line);
            skip_first_line = !literal.ends_with('\n');
        } else if !skip_first_line {
            skip_first_line = true;
        }
    }
}

/// hcl-edit's `util::dedent_by`.
fn dedent_by(s: &str, n: usize, skip_first: bool) -> String {
    let mut dedented = String::with_capacity(s.len());
    for (i, line) in s.lines().enumerate() {
        if i == 0 && skip_first {
            dedented.push_str(line);
        } else if !line.is_empty() {
            dedented.extend(line.chars().skip(n));
        }
        dedented.push('\n');
    }
    if dedented.ends_with('\n') && !s.ends_with('\n') {
        dedented.pop();
    }
    dedented
}

/// hcl-edit's `util::min_leading_whitespace`.
fn min_leading_whitespace(s: &str, skip_first: bool) -> Option<usize> {
    if s.is_empty() {
        return None;
    }
    let mut leading: Option<usize> = None;
    for (i, line) in s.lines().enumerate() {
        if (i == 0 && skip_first) || line.is_empty() {
            continue;
        }
        let n = line.chars().take_while(|c| c.is_whitespace()).count();
        if n == 0 {
            return None;
        }
        leading = Some(leading.map_or(n, |l| l.min(n)));
    }
    leading
}
