//! The limits a Rego policy runs under, and the check of a policy's text that
//! runs before regorus parses it.
//!
//! Every limit counts something that does not depend on the machine, its load
//! or the thread count (no clock), so a policy that is within the limits on one
//! machine is within them on every machine, and gives the same findings.
//!
//! regorus's parser tries the first element of every `[...]` and `{...}` (and
//! the start of every statement in a query) once as one construct, and when
//! that fails, parses it again as another. Nested, this doubles the work per
//! level: 26 nested `[` took minutes. It also recurses once per binary operator
//! of an operator chain. [`check_source`] estimates both from the tokens,
//! before regorus sees the text, so loading a policy always ends quickly.
//!
//! Depends on nothing else in the crate but `span`.

use crate::span::Span;

/// Evaluation steps (regorus's own work units: one per expression, statement,
/// rule and call it evaluates) that `deny`, `warn` or one `test_*` rule may take
/// on one input. About a second of work; runaway iteration ends here.
pub const MAX_STEPS: u32 = 20_000_000;

/// The most elements `numbers.range` and `numbers.range_step` may produce in
/// one call, and in one evaluation altogether.
pub const MAX_RANGE: u64 = 1_000_000;

/// The widest shift `bits.lsh` may make, in bits.
pub const MAX_SHIFT: u64 = 4096;

/// The largest width or precision in a `sprintf` format.
pub const MAX_FORMAT_WIDTH: u64 = 10_000;

/// The most characters (and array or set elements) a single call to a builtin
/// that builds a string or array from others (`concat`, `array.concat`,
/// `sprintf`, `json.marshal`, `replace`, ...) may produce.
pub const MAX_BUILT_SIZE: u64 = 16 << 20;

/// What the builtins limited by [`MAX_RANGE`] and [`MAX_BUILT_SIZE`] may build
/// in one evaluation altogether, in characters (a number or an element counts 16).
pub const MAX_BUILT_TOTAL: u64 = 256 << 20;

/// How deep brackets and operator chains may nest in a policy's text.
pub const MAX_NESTING: u32 = 100;

/// The parse work a policy's text may take, in estimated token reads.
pub const MAX_PARSE_COST: u64 = 2_000_000;

/// How deep rules and functions may call each other, weighted by how deeply
/// nested each one's expressions are (see `depth`). Policies up to
/// [`INLINE_DEPTH`] run on the caller's thread; deeper ones on a thread with a
/// [`DEEP_STACK_BYTES`] stack, which holds [`MAX_DEPTH`] with a wide margin.
pub const MAX_DEPTH: u64 = 8192;

/// See [`MAX_DEPTH`].
pub const INLINE_DEPTH: u64 = 256;

/// Input documents nested deeper than this are evaluated on the big stack too.
pub const INLINE_INPUT_DEPTH: usize = 64;

/// Stack for evaluating deep policies (virtual memory: only touched pages count).
pub const DEEP_STACK_BYTES: usize = 64 << 20;

/// Why a policy's text is refused before parsing: where, and what to say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceLimit {
    pub span: Span,
    pub message: String,
    pub label: &'static str,
}

/// An open bracket (or the file itself) while scanning.
struct Frame {
    /// `[`, `{`, `(`; `\0` for the file.
    kind: u8,
    open: usize,
    /// Estimated parse work of the first element (up to the first top-level `,`).
    first: u64,
    /// ... and of the rest.
    rest: u64,
    in_rest: bool,
    /// A top-level `|`: a comprehension, whose body is a query.
    comprehension: bool,
    /// A top-level `:` (not `:=`) in a `{`: an object, not a set or a query.
    object: bool,
    /// Operators and postfix `.`, `[`, `(` since the last separator.
    chain: u32,
    /// Whether the last token continues an expression onto the next line.
    continues: bool,
}

impl Frame {
    fn new(kind: u8, open: usize) -> Self {
        Self {
            kind,
            open,
            first: 0,
            rest: 0,
            in_rest: false,
            comprehension: false,
            object: false,
            chain: 0,
            continues: false,
        }
    }

    fn add(&mut self, cost: u64) {
        if self.in_rest {
            self.rest = self.rest.saturating_add(cost);
        } else {
            self.first = self.first.saturating_add(cost);
        }
    }

    /// The work of parsing this bracket, its own two tokens included: the parts
    /// regorus may parse twice count twice.
    fn cost(&self) -> u64 {
        let (first, rest) = (self.first, self.rest);
        let twice = |n: u64| n.saturating_mul(2);
        match self.kind {
            b'(' => first.saturating_add(rest),
            b'[' if !self.comprehension => twice(first).saturating_add(rest),
            b'{' if self.object => twice(first).saturating_add(rest),
            _ => twice(first.saturating_add(rest)),
        }
        .saturating_add(2)
    }
}

/// Checks a policy's text against [`MAX_NESTING`] and [`MAX_PARSE_COST`];
/// `Ok` holds the estimated parse work.
pub fn check_source(text: &str) -> Result<u64, SourceLimit> {
    let bytes = text.as_bytes();
    let mut frames = vec![Frame::new(0, 0)];
    // the token before, for telling `a[0]` (an index) from `[0]` (an array)
    let mut after_term = false;
    let mut i = 0;
    while i < bytes.len() {
        let start = i;
        let c = bytes[i];
        i += 1;
        let term = match c {
            b'\n' => {
                if let Some(f) = frames.last_mut()
                    && !f.continues
                {
                    f.chain = 0;
                }
                continue;
            }
            b' ' | b'\t' | b'\r' => continue,
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'"' => {
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i = (i + 1).min(bytes.len());
                true
            }
            b'`' => {
                while i < bytes.len() && bytes[i] != b'`' {
                    i += 1;
                }
                i = (i + 1).min(bytes.len());
                true
            }
            b'[' | b'{' | b'(' => {
                if let Some(f) = frames.last_mut() {
                    f.continues = false;
                    // an index or a call continues the expression before it
                    if after_term && c != b'{' {
                        f.chain += 1;
                    }
                }
                frames.push(Frame::new(c, start));
                let nesting = nesting(&frames);
                if nesting > MAX_NESTING {
                    return Err(too_deep(start, nesting));
                }
                after_term = false;
                continue;
            }
            b']' | b'}' | b')' => {
                if frames.len() > 1 {
                    close(&mut frames)?;
                }
                after_term = true;
                continue;
            }
            b',' | b';' => {
                if let Some(f) = frames.last_mut() {
                    if c == b',' {
                        f.in_rest = true;
                    }
                    f.chain = 0;
                    f.continues = false;
                    f.add(1);
                }
                after_term = false;
                continue;
            }
            b':' if bytes.get(i) != Some(&b'=') => {
                if let Some(f) = frames.last_mut() {
                    f.object |= f.kind == b'{';
                    f.chain = 0;
                    f.continues = false;
                    f.add(1);
                }
                after_term = false;
                continue;
            }
            c if c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80 => {
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_' || bytes[i] >= 0x80) {
                    i += 1;
                }
                let word = &bytes[start..i];
                // `x in xs` is an operator; other keywords start or join statements
                if word == b"in" {
                    operator(&mut frames);
                    after_term = false;
                    continue;
                }
                !matches!(
                    word,
                    b"if" | b"else" | b"contains" | b"not" | b"some" | b"every" | b"with" | b"as" | b"default"
                )
            }
            b'.' if after_term => {
                if let Some(f) = frames.last_mut() {
                    f.chain += 1;
                    f.add(1);
                }
                check_nesting(&frames, start)?;
                after_term = false;
                continue;
            }
            _ => {
                // an operator: `:=` `==` `!=` `<=` `>=` `+` `-` `*` `/` `%` `&` `|` `<` `>` `=`
                while i < bytes.len() && matches!(bytes[i], b'=' | b'<' | b'>' | b'!') {
                    i += 1;
                }
                if c == b'|'
                    && let Some(f) = frames.last_mut()
                    && f.kind != 0
                {
                    f.comprehension = true;
                }
                operator(&mut frames);
                check_nesting(&frames, start)?;
                after_term = false;
                continue;
            }
        };
        if let Some(f) = frames.last_mut() {
            f.continues = false;
            f.add(1);
        }
        after_term = term;
    }
    while frames.len() > 1 {
        close(&mut frames)?;
    }
    Ok(frames.first().map_or(0, |f| f.first.saturating_add(f.rest)))
}

fn operator(frames: &mut [Frame]) {
    if let Some(f) = frames.last_mut() {
        f.chain += 1;
        f.continues = true;
        f.add(1);
    }
}

fn nesting(frames: &[Frame]) -> u32 {
    frames.iter().map(|f| f.chain).sum::<u32>() + (frames.len() as u32 - 1)
}

fn check_nesting(frames: &[Frame], at: usize) -> Result<(), SourceLimit> {
    let n = nesting(frames);
    if n > MAX_NESTING { Err(too_deep(at, n)) } else { Ok(()) }
}

fn too_deep(at: usize, nesting: u32) -> SourceLimit {
    SourceLimit {
        span: Span::new(at, at + 1),
        message: format!("policy nests brackets and operators {nesting} deep here; the limit is {MAX_NESTING}"),
        label: "nested too deeply",
    }
}

/// Closes the innermost bracket, adding its cost to the enclosing one.
fn close(frames: &mut Vec<Frame>) -> Result<(), SourceLimit> {
    let Some(frame) = frames.pop() else { return Ok(()) };
    let cost = frame.cost();
    let Some(parent) = frames.last_mut() else { return Ok(()) };
    parent.add(cost);
    parent.continues = false;
    let total = parent.first.saturating_add(parent.rest);
    if cost > MAX_PARSE_COST || (parent.kind == 0 && total > MAX_PARSE_COST) {
        let at = if cost > MAX_PARSE_COST { frame.open } else { frames.first().map_or(0, |f| f.open) };
        return Err(SourceLimit {
            span: Span::new(at, at + 1),
            message: format!(
                "policy is too complex for the Rego parser: nested collections make it re-read this part \
                 over {MAX_PARSE_COST} times"
            ),
            label: "collections nested too deeply from here",
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(open: &str, mid: &str, close: &str, n: usize) -> String {
        format!("package p\n\nx := {}{mid}{}\n", open.repeat(n), close.repeat(n))
    }

    #[test]
    fn ordinary_policies_pass() {
        for text in [
            include_str!("../../../policies/examples/prod-s3-versioning.rego"),
            include_str!("../../../policies/examples/prod-s3-versioning_test.rego"),
            "package p\n\ndeny contains msg if {\n  some name, b in input.document.resource.aws_s3_bucket\n  not b.versioning\n  msg := sprintf(\"%s\", [name])\n}\n",
            &nested("{\"a\": ", "1", "}", 12),
            &nested("[1, ", "1", "]", 90),
        ] {
            assert!(check_source(text).is_ok(), "{text}");
        }
    }

    #[test]
    fn nested_first_elements_are_refused_before_parsing() {
        // 26 nested `[` in 172 bytes hung regorus for minutes
        let text = format!(
            "{}x := {}1{}\n",
            "# METADATA\n# title: t\n# custom:\n#   id: p\npackage p\n\n",
            "[".repeat(26),
            "]".repeat(26)
        );
        let e = check_source(&text).expect_err("refused");
        assert!(e.message.contains("too complex for the Rego parser"), "{}", e.message);
        assert_eq!(&text[e.span.range()], "[");
        for (open, close) in [("[", "]"), ("{", "}"), ("[1 | not count(", ") > 0]"), ("{\"a\": ", "}")] {
            assert!(check_source(&nested(open, "1", close, 40)).is_err(), "{open}");
        }
    }

    #[test]
    fn parse_cost_grows_with_first_element_nesting_only() {
        assert!(check_source(&nested("[", "1", "]", 18)).is_ok());
        assert!(check_source(&nested("[", "1", "]", 24)).is_err());
        // later elements are parsed once, however deep
        assert!(check_source(&nested("[1, ", "1", "]", 99)).is_ok());
    }

    #[test]
    fn long_operator_chains_are_refused() {
        let chain = format!("package p\nx := {}\n", vec!["1"; 200].join(" +\n"));
        let e = check_source(&chain).expect_err("refused");
        assert!(e.message.contains("nests brackets and operators 101 deep"), "{}", e.message);
        let statements = format!("package p\nx if {{\n{}\n}}\n", vec!["1 == 1"; 2000].join("\n"));
        assert!(check_source(&statements).is_ok());
        let deep = nested("(", "1", ")", 101);
        assert!(check_source(&deep).is_err());
    }

    #[test]
    fn strings_and_comments_are_not_code() {
        let text =
            format!("package p\n# {}\nx := \"{}\"\ny := `{}`\n", "[".repeat(500), "[".repeat(500), "{".repeat(500));
        assert!(check_source(&text).is_ok());
        assert!(check_source("package p\nx := \"unterminated\n").is_ok());
    }
}
