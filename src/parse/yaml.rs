//! YAML adapter: text in, span-carrying [`Document`] out, built on `serde-saphyr`.
//!
//! The tree is read through a private spanned visitor (`serde_saphyr::Spanned<Tagged<_>>`),
//! so anchors, aliases, merge keys (`<<`) and budgets are handled by saphyr itself.
//!
//! # Conventions
//!
//! * **Spans are byte ranges** into the input text.
//! * Plain scalar: the token as written (a multi-line plain scalar spans all its lines).
//!   Quoted scalar: the quotes included. Block scalar (`|`, `>`): from the indicator
//!   (with its chomping/indentation indicators) to the end of the last content line
//!   that is not blank; the final line break and trailing blank lines are excluded.
//! * Flow collection: from `[`/`{` to the matching `]`/`}`. Block collection: from the
//!   first key or `-` to the end of its last entry.
//! * Tags and anchors (`!reference`, `&a`) are not part of a node's span.
//! * Empty (implicit null) value: an empty span right after its `:`.
//! * Alias (`*a`) and merged (`<<: *a`) nodes get the span of the USE SITE, i.e. the
//!   `*a` token, for themselves and all their descendants and keys.
//! * Map keys: the key span is the key token. A plain key's text is the raw source
//!   text (`on`, `yes`, `1`, `~` stay as written); a quoted or block key is decoded.
//! * Duplicate keys are all kept, in order. Entries produced by a merge key come
//!   after the map's explicit entries, and merged keys that the map sets explicitly
//!   are dropped (YAML merge semantics, as implemented by saphyr).
//! * Scalars: YAML 1.2 core booleans only (`true`, `True`, `TRUE`, and the same for
//!   false), so `yes`/`on` are strings. Numbers keep the text as written (`0x1F`,
//!   `1.50`, `.inf`); an aliased number keeps the text of its definition.
//! * Documents: one root per non-null document. Documents that are empty or only
//!   null (`~`, `null`) are skipped, as saphyr does, so an empty file has no roots.
//! * Tags are kept as written for local tags (`!reference`); core tags come back
//!   in short form (`!!str`). Unknown tags never fail; core tags whose content does
//!   not fit (`!!bool yes`, `!!int [1]`, bad `!!binary`, `!!timestamp`) are
//!   rejected by saphyr.
//! * Errors: an empty span where the parser stopped, which is where `PyYAML` reports
//!   the problem except where YAML 1.2 and `PyYAML`'s YAML 1.1 disagree (see the table
//!   test), and saphyr's one-line message without snippet or location suffix. Saphyr
//!   gives parser errors in characters, and unclosed brackets and quotes and bad
//!   escapes where they began; they are moved to the byte where parsing stopped.
//! * Limits: a tree nested deeper than 128 levels (as written, or once aliases are
//!   expanded) is an error pointing at the first collection too deep (flow nesting
//!   beyond 255 levels stops the event parser earlier, where it stops). Alias and
//!   merge-key replays nest inside each other in saphyr without deepening the tree:
//!   they are allowed up to 512 levels, parsed on a big stack. Alias expansion beyond
//!   saphyr's budgets (scaled with the input size) is an alias-bomb error.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::budget::BudgetBreach;
use serde_saphyr::{
    Budget, DuplicateKeyPolicy, Location, MergeKeyPolicy, MessageFormatter, NonFiniteFloatPolicy, Options,
    Spanned as SaphyrSpanned, Tagged,
};

use crate::model::{Document, Entry, Node, Value};
use crate::parse::ParseError;
use crate::span::{Span, Spanned};

/// Saphyr's depth budget on the caller's stack. Saphyr recurses through several
/// large stack frames per level (over 30 KiB each in debug builds), so input that
/// goes deeper is re-parsed on a dedicated thread with a big stack.
const SHALLOW_DEPTH: usize = 24;
/// Maximum nesting of collections in the resulting tree, written or produced by
/// aliases; deeper input is an error.
const MAX_DEPTH: usize = 128;
/// Saphyr's depth budget on the big stack. Saphyr counts alias and merge-key replays
/// as nesting (a chain of anchors that each merge the previous one, common in GitLab CI
/// templates, is as deep as the chain is long), so this is well above [`MAX_DEPTH`];
/// it only bounds the recursion.
const MAX_REPLAY_DEPTH: usize = 512;
/// Stack for the deep re-parse (virtual memory; only touched pages are used).
const DEEP_STACK_BYTES: usize = 128 << 20;

const CORE_TAG_PREFIX: &str = "tag:yaml.org,2002:";

/// Parses YAML text (one or more documents) into a document with one root per
/// non-null YAML document. See the module docs for the span conventions.
pub fn parse(text: &str) -> Result<Document, ParseError> {
    match parse_with_depth(text, SHALLOW_DEPTH) {
        Err(Failure::TooDeep) => {}
        Err(Failure::Error(e)) => return Err(e),
        Ok(doc) => return Ok(doc),
    }
    // Too deep for the caller's stack: either really nested, or aliases and merges
    // replayed inside each other. Written nesting is measured without recursion first.
    if let Some(offset) = written_nesting_beyond(text, MAX_DEPTH) {
        return Err(ParseError::new(Span::at(offset), format!("YAML nested more than {MAX_DEPTH} levels deep")));
    }
    let deep = std::thread::scope(|scope| {
        let handle = std::thread::Builder::new()
            .name("envlint-yaml-deep".into())
            .stack_size(DEEP_STACK_BYTES)
            .spawn_scoped(scope, || parse_with_depth(text, MAX_REPLAY_DEPTH))
            .ok()?;
        handle.join().ok()
    });
    match deep {
        Some(Ok(doc)) => Ok(doc),
        Some(Err(Failure::Error(e))) => Err(e),
        Some(Err(Failure::TooDeep)) | None => Err(ParseError::new(Span::at(0), "could not parse deeply nested YAML")),
    }
}

enum Failure {
    /// The nesting budget was exceeded on the caller's stack: retry on a big one.
    TooDeep,
    Error(ParseError),
}

/// The error under saphyr's alias and snippet wrappers.
fn original(mut err: &serde_saphyr::Error) -> &serde_saphyr::Error {
    while let serde_saphyr::Error::AliasError { error, .. } | serde_saphyr::Error::WithSnippet { error, .. } = err {
        err = error;
    }
    err
}

fn parse_with_depth(text: &str, max_depth: usize) -> Result<Document, Failure> {
    let parsed = std::panic::catch_unwind(|| {
        serde_saphyr::from_multiple_with_options::<RawNode>(text, options_for(text.len(), max_depth))
    });
    let raw = match parsed {
        Ok(Ok(raw)) => raw,
        Ok(Err(err)) => {
            if let serde_saphyr::Error::Budget { breach: BudgetBreach::Depth { .. }, .. } = original(&err) {
                if max_depth < MAX_REPLAY_DEPTH {
                    return Err(Failure::TooDeep);
                }
                return Err(Failure::Error(ParseError::new(
                    Span::at(error_offset(&err, text).unwrap_or(0)),
                    format!("YAML aliases and merge keys nested more than {MAX_REPLAY_DEPTH} levels deep"),
                )));
            }
            let mut error = convert_error(&err, text);
            // The event parser's own limit on flow nesting (255 levels), reached while it
            // looks ahead, before any nesting budget sees the events.
            if error.message.starts_with("recursion limit exceeded") {
                error.message = format!("YAML nested more than {MAX_DEPTH} levels deep");
            } else if matches!(original(&err), serde_saphyr::Error::Budget { .. }) {
                // Budgets scale with the input's size: only alias expansion breaks them.
                error.message =
                    format!("YAML aliases expand beyond the parser's limits (an alias bomb?): {}", error.message);
            }
            return Err(Failure::Error(error));
        }
        Err(_) => {
            return Err(Failure::Error(ParseError::new(Span::at(0), "internal YAML parser error")));
        }
    };
    // Aliases can build a tree deeper than the text is nested (`b: &b [*a]`, ...). Within
    // the shallow budget the tree cannot be deeper than that budget.
    if let Some(node) = raw.iter().filter(|_| max_depth > MAX_DEPTH).find_map(|n| deeper_than(n, MAX_DEPTH)) {
        return Err(Failure::Error(ParseError::new(
            Span::at(byte_span(&node.referenced).start as usize),
            format!("YAML nested more than {MAX_DEPTH} levels deep once aliases are expanded"),
        )));
    }
    let conv = Converter { text };
    Ok(Document { roots: raw.into_iter().map(|n| conv.node(n)).collect() })
}

/// The first collection found below `budget` levels of collections, if any.
/// Recursion is bounded by saphyr's depth budget.
fn deeper_than(node: &RawNode, budget: usize) -> Option<&RawNode> {
    let is_collection = matches!(node.value, RawValue::Seq(_) | RawValue::Map(_));
    if is_collection && budget == 0 {
        return Some(node);
    }
    match &node.value {
        RawValue::Seq(items) => items.iter().find_map(|n| deeper_than(n, budget - 1)),
        RawValue::Map(entries) => {
            entries.iter().find_map(|(k, v)| deeper_than(k, budget - 1).or_else(|| deeper_than(v, budget - 1)))
        }
        _ => None,
    }
}

/// Where the written nesting of collections (block or flow, aliases not expanded)
/// first goes beyond `max` levels, found with saphyr's event parser, which does not
/// recurse. `None` when it never does (or the text does not parse; the real parse
/// reports that).
fn written_nesting_beyond(text: &str, max: usize) -> Option<usize> {
    use serde_saphyr::granit_parser::{Event, Parser};
    let mut depth = 0usize;
    let mut parser = Parser::new_from_str(text);
    while let Some(Ok((event, span))) = parser.next_event() {
        match event {
            Event::SequenceStart(..) | Event::MappingStart(..) => {
                depth += 1;
                if depth > max {
                    return Some(char_to_byte(text, span.start.index()));
                }
            }
            Event::SequenceEnd | Event::MappingEnd => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

/// The byte offset of the `chars`-th character of `text` (clamped to its length).
fn char_to_byte(text: &str, chars: usize) -> usize {
    text.char_indices().nth(chars).map_or(text.len(), |(i, _)| i)
}

/// The byte offset of an error's location. Saphyr gives byte offsets for events but
/// only character offsets for parser errors.
fn error_offset(err: &serde_saphyr::Error, text: &str) -> Option<usize> {
    let location = err.location()?;
    if location.line() == 0 {
        return None;
    }
    let span = location.span();
    let offset = match span.byte_offset() {
        Some(bytes) => usize::try_from(bytes).unwrap_or(usize::MAX),
        None => char_to_byte(text, usize::try_from(span.offset()).unwrap_or(usize::MAX)),
    };
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    Some(offset)
}

/// Saphyr options: duplicate keys passed through, YAML 1.2 booleans, and budgets
/// raised in proportion to the input size (the defaults reject multi-MB files).
fn options_for(len: usize, max_depth: usize) -> Options {
    let mut budget = Budget::default();
    budget.max_events = budget.max_events.max(len.saturating_mul(2));
    budget.max_nodes = budget.max_nodes.max(len);
    budget.max_aliases = budget.max_aliases.max(len / 2);
    budget.max_anchors = budget.max_anchors.max(len / 2);
    budget.max_merge_keys = budget.max_merge_keys.max(len / 4);
    budget.max_documents = budget.max_documents.max(len / 4);
    budget.max_recorded_anchor_events = budget.max_recorded_anchor_events.max(len);
    budget.max_total_scalar_bytes = budget.max_total_scalar_bytes.max(len.saturating_mul(2));
    budget.max_depth = max_depth;
    // Many aliases of one anchor (`<<: *defaults` in every service) are normal;
    // expansion is bounded by the replay limits below instead.
    budget.enforce_alias_anchor_ratio = false;

    let mut options = Options::default();
    options.budget = Some(budget);
    // Alias bombs: every event replayed for an alias or merge counts. Real files
    // replay far fewer events than they have bytes; keep the tree's size bounded.
    options.alias_limits.max_total_replayed_events = options.alias_limits.max_total_replayed_events.max(len / 4);
    options.duplicate_keys = DuplicateKeyPolicy::PassThrough;
    options.merge_keys = MergeKeyPolicy::Merge;
    options.strict_booleans = true;
    options.non_finite_float_policy = NonFiniteFloatPolicy::PassThrough;
    options.with_snippet = false;
    // Comments are still validated, just not captured.
    options.emit_comments = false;
    options
}

fn convert_error(err: &serde_saphyr::Error, text: &str) -> ParseError {
    let offset = error_offset(err, text).unwrap_or(text.len());
    let message = serde_saphyr::DefaultMessageFormatter.format_message(original(err));
    let message: String = message
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let message = if message.is_empty() {
        "invalid YAML".to_owned()
    } else if message.starts_with("recursive references require") {
        // saphyr's wording is about Rust types
        "recursive alias: the alias is inside the node its anchor names".to_owned()
    } else {
        message
    };
    let (offset, message) = stopping_point(text, offset, message);
    ParseError::new(Span::at(offset), message)
}

/// Moves an error to where the parser stopped, when saphyr reports it elsewhere.
fn stopping_point(text: &str, offset: usize, message: String) -> (usize, String) {
    let bytes = text.as_bytes();
    if message.starts_with("unclosed bracket") || message.starts_with("unclosed quote") {
        // Reported at the opening bracket or quote; the parser stopped at the next
        // document marker or at the end of the input.
        let (line, column) = line_column(text, offset);
        let message = format!("{message} (opened at line {line}, column {column})");
        let mut line_start = text[offset..].find('\n').map_or(text.len(), |i| offset + i + 1);
        while line_start < text.len() {
            let line = &text[line_start..];
            let marker = line.starts_with("---") || line.starts_with("...");
            if marker && matches!(line.as_bytes().get(3), None | Some(b' ' | b'\t' | b'\r' | b'\n')) {
                return (line_start, message);
            }
            line_start = line.find('\n').map_or(text.len(), |i| line_start + i + 1);
        }
        return (text.len(), message);
    }
    if message.contains("unknown escape character") && bytes.get(offset) == Some(&b'"') {
        // Reported at the opening quote: point at the character after the bad `\`.
        let mut i = offset + 1;
        while let Some(&b) = bytes.get(i) {
            match b {
                b'"' => break,
                b'\\' => {
                    let next = text[i + 1..].chars().next();
                    if !next.is_some_and(|c| "0abt\tnvfre \"/\\N_LPxuU\r\n".contains(c)) {
                        return (i + 1, message);
                    }
                    i += 1 + next.map_or(0, char::len_utf8);
                }
                _ => i += 1,
            }
        }
        return (offset, message);
    }
    if message.starts_with("tabs disallowed") {
        // Reported just after the tabs: point at the first of them.
        let mut start = offset;
        while start > 0 && bytes[start - 1] == b'\t' {
            start -= 1;
        }
        return (start, message);
    }
    (offset, message)
}

/// 1-based line and column (in characters) of a byte offset, for messages.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (before.matches('\n').count() + 1, before[line_start..].chars().count() + 1)
}

// ---------------------------------------------------------------------------
// Raw tree, as delivered by saphyr

/// One YAML node with saphyr's locations; converted to a [`Node`] afterwards,
/// when the source text is at hand.
struct RawNode {
    referenced: Location,
    defined: Location,
    tag: Option<String>,
    value: RawValue,
}

enum RawValue {
    Null,
    Bool(bool),
    /// The number formatted by us; the text as written comes from the span.
    Number(String),
    Str(String),
    Seq(Vec<RawNode>),
    Map(Vec<(RawNode, RawNode)>),
}

impl<'de> Deserialize<'de> for RawNode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let spanned = SaphyrSpanned::<Tagged<RawValue>>::deserialize(deserializer)?;
        let Tagged(value, tag) = spanned.value;
        Ok(RawNode { referenced: spanned.referenced, defined: spanned.defined, tag, value })
    }
}

impl<'de> Deserialize<'de> for RawValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(RawVisitor)
    }
}

struct RawVisitor;

impl<'de> Visitor<'de> for RawVisitor {
    type Value = RawValue;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML node")
    }

    fn visit_unit<E>(self) -> Result<RawValue, E> {
        Ok(RawValue::Null)
    }

    fn visit_none<E>(self) -> Result<RawValue, E> {
        Ok(RawValue::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<RawValue, D::Error> {
        deserializer.deserialize_any(self)
    }

    fn visit_bool<E>(self, v: bool) -> Result<RawValue, E> {
        Ok(RawValue::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<RawValue, E> {
        Ok(RawValue::Number(v.to_string()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<RawValue, E> {
        Ok(RawValue::Number(v.to_string()))
    }

    fn visit_i128<E>(self, v: i128) -> Result<RawValue, E> {
        Ok(RawValue::Number(v.to_string()))
    }

    fn visit_u128<E>(self, v: u128) -> Result<RawValue, E> {
        Ok(RawValue::Number(v.to_string()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<RawValue, E> {
        Ok(RawValue::Number(v.to_string()))
    }

    fn visit_char<E>(self, v: char) -> Result<RawValue, E> {
        Ok(RawValue::Str(v.to_string()))
    }

    fn visit_str<E>(self, v: &str) -> Result<RawValue, E> {
        Ok(RawValue::Str(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<RawValue, E> {
        Ok(RawValue::Str(v))
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<RawValue, E> {
        Ok(RawValue::Str(String::from_utf8_lossy(v).into_owned()))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawValue, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
        while let Some(item) = seq.next_element::<RawNode>()? {
            items.push(item);
        }
        Ok(RawValue::Seq(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawValue, A::Error> {
        let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0).min(1024));
        while let Some(key) = map.next_key::<RawNode>()? {
            let value = map.next_value::<RawNode>()?;
            entries.push((key, value));
        }
        Ok(RawValue::Map(entries))
    }
}

// ---------------------------------------------------------------------------
// Conversion to the crate's model

struct Converter<'t> {
    text: &'t str,
}

/// Saphyr's byte span of a location (always present for string input).
fn byte_span(loc: &Location) -> Span {
    let span = loc.span();
    match (span.byte_offset(), span.byte_len()) {
        (Some(start), Some(len)) => {
            let start = usize::try_from(start).unwrap_or(usize::MAX);
            Span::new(start, start.saturating_add(usize::try_from(len).unwrap_or(0)))
        }
        _ => Span::at(0),
    }
}

impl Converter<'_> {
    fn slice(&self, span: Span) -> &str {
        self.text.get(span.range()).unwrap_or("")
    }

    fn node(&self, raw: RawNode) -> Node {
        let referenced = byte_span(&raw.referenced);
        // Alias and merge-derived nodes: the use site, for the node and everything in it.
        let derived = raw.referenced.span() != raw.defined.span();
        let tag = raw.tag.map(|t| short_tag(&t));
        let (span, value) = match raw.value {
            RawValue::Null => (if derived { referenced } else { self.null_span(referenced) }, Value::Null),
            RawValue::Bool(b) => (referenced, Value::Bool(b)),
            RawValue::Number(formatted) => {
                let written = self.slice(byte_span(&raw.defined)).trim();
                let text = if written.is_empty() || written.starts_with(['"', '\'', '|', '>']) {
                    formatted
                } else {
                    written.to_owned()
                };
                (referenced, Value::Number(text.into()))
            }
            RawValue::Str(s) => {
                let span = if derived { referenced } else { self.block_scalar_span(referenced) };
                (span, Value::String(s.into()))
            }
            RawValue::Seq(items) => {
                let items: Vec<Node> = items.into_iter().map(|n| self.node(n)).collect();
                let span = if derived {
                    referenced
                } else {
                    let end = items.iter().map(|n| n.span.end).max().unwrap_or(referenced.end);
                    self.collection_span(referenced, end)
                };
                (span, Value::Seq(items))
            }
            RawValue::Map(entries) => {
                let entries: Vec<Entry> = entries.into_iter().map(|(k, v)| self.entry(k, v)).collect();
                let span = if derived {
                    referenced
                } else {
                    let end =
                        entries.iter().map(|e| e.key.span.end.max(e.value.span.end)).max().unwrap_or(referenced.end);
                    self.collection_span(referenced, end)
                };
                (span, Value::Map(entries))
            }
        };
        Node { span, value, tag }
    }

    fn entry(&self, key: RawNode, value: RawNode) -> Entry {
        let defined = byte_span(&key.defined);
        let key_node = self.node(key);
        let text: Box<str> = match &key_node.value {
            Value::String(s) => s.clone(),
            Value::Null | Value::Bool(_) | Value::Number(_) => {
                let written = self.slice(defined).trim();
                match (&key_node.value, written.starts_with(['"', '\''])) {
                    (_, false) => written.into(),
                    (Value::Bool(b), true) => if *b { "true" } else { "false" }.into(),
                    (Value::Number(n), true) => n.clone(),
                    _ => "".into(),
                }
            }
            // Complex keys (`? [a, b]`): their source text.
            Value::Seq(_) | Value::Map(_) | Value::Expr(_) => self.slice(key_node.span).into(),
        };
        Entry { key: Spanned::new(key_node.span, text), value: self.node(value) }
    }

    /// An implicit null sits on its `:` indicator in saphyr; move it just after.
    fn null_span(&self, span: Span) -> Span {
        if span.is_empty() && self.text.as_bytes().get(span.start as usize) == Some(&b':') {
            Span::at(span.start as usize + 1)
        } else {
            span
        }
    }

    /// A collection starts at saphyr's start event; it ends after its last child,
    /// or, for flow collections, at the matching closing bracket.
    fn collection_span(&self, start: Span, children_end: u32) -> Span {
        let end = children_end.max(start.end) as usize;
        let bytes = self.text.as_bytes();
        let close = match bytes.get(start.start as usize) {
            Some(b'[') => b']',
            Some(b'{') => b'}',
            _ => return Span::new(start.start as usize, end),
        };
        let mut i = end;
        while let Some(&b) = bytes.get(i) {
            match b {
                b' ' | b'\t' | b'\r' | b'\n' | b',' | b':' | b'?' => i += 1,
                b'#' => {
                    while bytes.get(i).is_some_and(|&c| c != b'\n') {
                        i += 1;
                    }
                }
                _ if b == close => return Span::new(start.start as usize, i + 1),
                _ => break,
            }
        }
        Span::new(start.start as usize, end)
    }

    /// Saphyr spans a block scalar's content only (from the first content line to
    /// after the last line break). Extend it back to the `|`/`>` header and trim
    /// trailing line breaks and blank lines. Other scalars are returned unchanged.
    fn block_scalar_span(&self, span: Span) -> Span {
        let text = self.text;
        let start = span.start as usize;
        // Saphyr's block scalar span is empty or ends with its content's line break
        // (or the end of the file); a plain or quoted scalar's never does.
        let raw = self.slice(span);
        if !(raw.is_empty() || raw.ends_with('\n') || span.end as usize == text.len()) {
            return span;
        }
        // Block scalar content always begins a line (after its indentation).
        let line_start = text[..start.min(text.len())].rfind('\n').map_or(0, |i| i + 1);
        if line_start == 0 || !text[line_start..start].bytes().all(|b| b == b' ' || b == b'\t') {
            return span;
        }
        // The header is on the nearest preceding line that is not blank.
        let mut cursor = line_start - 1; // the '\n' ending the previous line
        let header = loop {
            let prev_start = text[..cursor].rfind('\n').map_or(0, |i| i + 1);
            let line = text[prev_start..cursor].trim_end_matches('\r');
            if !line.trim().is_empty() {
                break find_block_header(line).map(|p| prev_start + p);
            }
            if prev_start == 0 {
                break None;
            }
            cursor = prev_start - 1;
        };
        let Some(header) = header else { return span };
        let content = text.get(header..span.end as usize).unwrap_or("");
        let trimmed = content.trim_end_matches(['\r', '\n', ' ', '\t']);
        Span::new(header, header + trimmed.len())
    }
}

/// Position of a block scalar header (`|`, `>-`, `|2+`…) on `line`, when the line
/// ends with one (followed only by spaces and an optional comment).
fn find_block_header(line: &str) -> Option<usize> {
    let bytes = line.as_bytes();
    let mut quote: Option<u8> = None;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let token_start = i == 0 || matches!(bytes[i - 1], b' ' | b'\t');
        if let Some(q) = quote {
            if b == b'\\' && q == b'"' {
                i += 1; // skip the escaped character
            } else if b == q && q == b'\'' && bytes.get(i + 1) == Some(&b'\'') {
                i += 1; // `''` inside a single-quoted scalar
            } else if b == q {
                quote = None;
            }
        } else {
            let after_indicator =
                i == 0 || matches!(bytes[i - 1], b' ' | b'\t' | b'-' | b'?' | b':' | b',' | b'[' | b'{');
            if (b == b'"' || b == b'\'') && after_indicator {
                quote = Some(b);
            } else if b == b'#' && token_start {
                return None;
            } else if (b == b'|' || b == b'>') && token_start && is_header_rest(&line[i + 1..]) {
                return Some(i);
            }
        }
        i += 1;
    }
    None
}

/// What may follow `|`/`>` on a header line: indicators, spaces, a comment.
fn is_header_rest(rest: &str) -> bool {
    let rest = rest.trim_start_matches(|c: char| c.is_ascii_digit() || c == '+' || c == '-');
    let trimmed = rest.trim_start_matches([' ', '\t']);
    trimmed.is_empty() || (trimmed.starts_with('#') && trimmed.len() < rest.len())
}

/// `tag:yaml.org,2002:str` → `!!str`; other tags as saphyr reports them.
fn short_tag(tag: &str) -> Box<str> {
    match tag.strip_prefix(CORE_TAG_PREFIX) {
        Some(rest) => format!("!!{rest}").into(),
        None => tag.into(),
    }
}

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;

    use super::*;

    /// What to check at a path.
    #[derive(Debug, Clone, Copy)]
    enum X {
        /// Decoded string value.
        Str(&'static str),
        /// Number, text as written.
        Num(&'static str),
        Bool(bool),
        Null,
        /// `&text[node.span]`.
        Src(&'static str),
        /// `&text[key.span]` of the entry the path's last component names.
        KeySrc(&'static str),
        Tag(Option<&'static str>),
        /// Number of items or entries.
        Len(usize),
        /// Entry keys, in order.
        Keys(&'static [&'static str]),
    }
    use X::{Bool, KeySrc, Keys, Len, Null, Num, Src, Str, Tag};

    /// Follows `root/key/index/...`: the first component picks the document root;
    /// later ones are map keys (last entry wins) or sequence indexes.
    fn lookup<'a>(doc: &'a Document, path: &str) -> (&'a Node, Option<&'a Entry>) {
        let mut parts = path.split('/');
        let root: usize = parts.next().and_then(|p| p.parse().ok()).expect("root index");
        let mut node = doc.roots.get(root).unwrap_or_else(|| panic!("no root {root}"));
        let mut entry = None;
        for part in parts {
            if let Value::Seq(items) = &node.value {
                let i: usize = part.parse().unwrap_or_else(|_| panic!("{path}: index {part:?}"));
                node = items.get(i).unwrap_or_else(|| panic!("{path}: no item {i}"));
                entry = None;
            } else {
                let e = node.entry(part).unwrap_or_else(|| panic!("{path}: no key {part:?}"));
                node = &e.value;
                entry = Some(e);
            }
        }
        (node, entry)
    }

    /// Every span lies inside the text on character boundaries.
    fn check_spans(text: &str, doc: &Document) {
        for root in &doc.roots {
            root.walk(&mut |n| {
                assert!(text.get(n.span.range()).is_some(), "bad span {:?} in {text:?}", n.span);
                for e in n.entries() {
                    assert!(text.get(e.key.span.range()).is_some(), "bad key span {:?}", e.key.span);
                }
            });
        }
    }

    /// (case name, input, checks as (path, expectation)).
    type Case<'a> = (&'a str, &'a str, &'a [(&'a str, X)]);

    fn run_cases(cases: &[Case]) {
        for &(name, text, checks) in cases {
            let doc = parse(text).unwrap_or_else(|e| panic!("{name}: {e:?}"));
            check_spans(text, &doc);
            for &(path, want) in checks {
                let (node, entry) = lookup(&doc, path);
                let ctx = format!("{name}: {path}: {want:?}, got {node:?}");
                match want {
                    Str(s) => assert_eq!(node.as_str(), Some(s), "{ctx}"),
                    Num(s) => assert_eq!(node.value, Value::Number(s.into()), "{ctx}"),
                    Bool(b) => assert_eq!(node.as_bool(), Some(b), "{ctx}"),
                    Null => assert_eq!(node.value, Value::Null, "{ctx}"),
                    Src(s) => assert_eq!(&text[node.span.range()], s, "{ctx}"),
                    KeySrc(s) => {
                        let entry = entry.unwrap_or_else(|| panic!("{ctx}: not a map entry"));
                        assert_eq!(&text[entry.key.span.range()], s, "{ctx}");
                    }
                    Tag(t) => assert_eq!(node.tag.as_deref(), t, "{ctx}"),
                    Len(n) => assert_eq!(node.items().len() + node.entries().len(), n, "{ctx}"),
                    Keys(keys) => {
                        let got: Vec<&str> = node.entries().iter().map(|e| &*e.key.value).collect();
                        assert_eq!(got, keys, "{ctx}");
                    }
                }
            }
        }
    }

    #[test]
    fn scalar_values() {
        let text = "s: hello\nq: \"a\\tb\"\nsq: 'it''s'\nn: 42\nneg: -7\nf: 1.50\nhex: 0x1F\n\
                    big: 123456789012345678901234567890\nt: true\nF: False\ny: yes\no: off\n\
                    nul: null\ntilde: ~\nempty:\nport: \"8080\"\nver: 1.10\nstr_tag: !!str 12\n\
                    inf: .inf\nplain: two\n  lines\n";
        run_cases(&[(
            "scalars",
            text,
            &[
                ("0/s", Str("hello")),
                ("0/s", Src("hello")),
                ("0/s", KeySrc("s")),
                ("0/q", Str("a\tb")),
                ("0/q", Src("\"a\\tb\"")),
                ("0/sq", Str("it's")),
                ("0/sq", Src("'it''s'")),
                ("0/n", Num("42")),
                ("0/neg", Num("-7")),
                ("0/f", Num("1.50")),
                ("0/hex", Num("0x1F")),
                ("0/big", Num("123456789012345678901234567890")),
                ("0/t", Bool(true)),
                ("0/F", Bool(false)),
                ("0/y", Str("yes")),
                ("0/o", Str("off")),
                ("0/nul", Null),
                ("0/nul", Src("null")),
                ("0/tilde", Null),
                ("0/tilde", Src("~")),
                ("0/empty", Null),
                ("0/empty", Src("")),
                ("0/port", Str("8080")),
                ("0/port", Src("\"8080\"")),
                ("0/ver", Num("1.10")),
                ("0/str_tag", Str("12")),
                ("0/str_tag", Tag(Some("!!str"))),
                ("0/str_tag", Src("12")),
                ("0/inf", Num(".inf")),
                ("0/plain", Str("two lines")),
                ("0/plain", Src("two\n  lines")),
            ],
        )]);
    }

    #[test]
    fn plain_keys_are_raw_text() {
        let text = "on: push\nyes: 1\n1: one\n~: tilde\ntrue: t\n\"on\": quoted\n'yes': sq\n0x10: hex\nnull: n\n";
        run_cases(&[(
            "keys",
            text,
            &[
                ("0", Keys(&["on", "yes", "1", "~", "true", "on", "yes", "0x10", "null"])),
                ("0/1", Str("one")),
                ("0/1", KeySrc("1")),
                ("0/~", KeySrc("~")),
                ("0/true", KeySrc("true")),
                ("0/0x10", KeySrc("0x10")),
                // the last `on` is the quoted one
                ("0/on", KeySrc("\"on\"")),
                ("0/on", Str("quoted")),
                ("0/yes", KeySrc("'yes'")),
            ],
        )]);
        let doc = parse(text).expect("parses");
        let first = &doc.roots[0].entries()[0];
        assert_eq!((&*first.key.value, &text[first.key.span.range()]), ("on", "on"));
    }

    #[test]
    fn spans_exact_with_non_ascii_and_crlf() {
        let crlf = "# é commentaire\r\nnom: \"Zoë 🦀\"\r\n🦀key: 真的\r\nlist:\r\n  - 'ü'\r\n  - { café: crème }\r\n\
                    block: |\r\n  línea 1\r\n  línea 2\r\nfolded: >-\r\n  a\r\n  b\r\nend: x\r\n";
        let lf = "名前: 値\nnested:\n  🦀: [é, \"ü\", 'ö']\n  ключ: значение # коммент\nlast: {ä: 1}\n";
        run_cases(&[
            (
                "crlf",
                crlf,
                &[
                    ("0/nom", Str("Zoë 🦀")),
                    ("0/nom", Src("\"Zoë 🦀\"")),
                    ("0/nom", KeySrc("nom")),
                    ("0/🦀key", Str("真的")),
                    ("0/🦀key", Src("真的")),
                    ("0/🦀key", KeySrc("🦀key")),
                    ("0/list", Src("- 'ü'\r\n  - { café: crème }")),
                    ("0/list/0", Src("'ü'")),
                    ("0/list/1", Src("{ café: crème }")),
                    ("0/list/1/café", Src("crème")),
                    ("0/list/1/café", KeySrc("café")),
                    ("0/block", Str("línea 1\nlínea 2\n")),
                    ("0/block", Src("|\r\n  línea 1\r\n  línea 2")),
                    ("0/folded", Str("a b")),
                    ("0/folded", Src(">-\r\n  a\r\n  b")),
                    ("0/end", Src("x")),
                    ("0/end", KeySrc("end")),
                ],
            ),
            (
                "lf",
                lf,
                &[
                    ("0/名前", Src("値")),
                    ("0/名前", KeySrc("名前")),
                    ("0/nested/🦀", Src("[é, \"ü\", 'ö']")),
                    ("0/nested/🦀/1", Src("\"ü\"")),
                    ("0/nested/🦀/2", Src("'ö'")),
                    ("0/nested/ключ", Src("значение")),
                    ("0/nested/ключ", KeySrc("ключ")),
                    ("0/last", Src("{ä: 1}")),
                    ("0/last/ä", KeySrc("ä")),
                ],
            ),
        ]);
    }

    #[test]
    fn collection_and_block_scalar_spans() {
        let text = "a: |\n  x\n  y\n\nb: >-\n  f\n  g\nc: |+ # keep\n  k\n\nd: |\ne: &x !t |2\n   indented\n\
                    f: {p: , q: [ ], r: {}, s: [1, [2, 3]], t: [4, 5,] }\ng:\n  - - 1\n    - 2\n  -\n  - k: v\n    l: w\n";
        run_cases(&[(
            "blocks",
            text,
            &[
                ("0/a", Str("x\ny\n")),
                ("0/a", Src("|\n  x\n  y")),
                ("0/b", Src(">-\n  f\n  g")),
                ("0/c", Str("k\n\n")),
                ("0/c", Src("|+ # keep\n  k")),
                ("0/d", Str("")),
                ("0/d", Src("|")),
                ("0/e", Str(" indented\n")),
                ("0/e", Src("|2\n   indented")),
                ("0/e", Tag(Some("!t"))),
                ("0/f", Src("{p: , q: [ ], r: {}, s: [1, [2, 3]], t: [4, 5,] }")),
                ("0/f/p", Null),
                ("0/f/p", Src("")),
                ("0/f/q", Src("[ ]")),
                ("0/f/q", Len(0)),
                ("0/f/r", Src("{}")),
                ("0/f/s/1", Src("[2, 3]")),
                ("0/f/t", Src("[4, 5,]")),
                ("0/g", Src("- - 1\n    - 2\n  -\n  - k: v\n    l: w")),
                ("0/g/0", Src("- 1\n    - 2")),
                ("0/g/1", Null),
                ("0/g/2", Src("k: v\n    l: w")),
            ],
        )]);
        // The implicit null after `p:` sits right after the colon.
        let doc = parse(text).expect("parses");
        let (p, _) = lookup(&doc, "0/f/p");
        assert_eq!(&text[p.span.start as usize - 2..p.span.start as usize], "p:");
    }

    #[test]
    fn block_scalar_header_detection() {
        // (header line, byte offset of the `|`/`>` indicator)
        let cases: &[(&str, Option<usize>)] = &[
            ("k: |", Some(3)),
            ("k: >- # comment", Some(3)),
            ("- |2+", Some(2)),
            ("|", Some(0)),
            ("k: &a !tag >", Some(11)),
            ("\"a | #b\": |", Some(10)),
            ("'it''s |': >", Some(11)),
            ("k: v # note |", None),
            ("key: a|b", None),
            ("key: value", None),
            ("k: |x", None),
        ];
        for &(line, want) in cases {
            assert_eq!(find_block_header(line), want, "{line:?}");
        }
    }

    #[test]
    fn anchors_aliases_and_merge_keys() {
        let text = "base: &base\n  image: nginx\n  env: &env {A: 1}\nother: &other\n  restart: always\n  image: other\n\
                    svc:\n  <<: *base\n  image: custom\nsvc2:\n  <<: [*base, *other]\n  env: *env\n\
                    copy: *base\nlist: &l [a, b]\nlist2: *l\nscalar: &s v\nscalar2: *s\n";
        run_cases(&[(
            "merge",
            text,
            &[
                // explicit keys first, then merged ones; explicit keys override merged ones
                ("0/svc", Keys(&["image", "env"])),
                ("0/svc/image", Str("custom")),
                ("0/svc/image", Src("custom")),
                ("0/svc/image", KeySrc("image")),
                // merged entries carry the use site (the alias token)
                ("0/svc/env", Src("*base")),
                ("0/svc/env", KeySrc("*base")),
                ("0/svc/env/A", Num("1")),
                ("0/svc/env/A", Src("*base")),
                // in `<<: [*a, *b]` the earlier source wins
                ("0/svc2", Keys(&["env", "image", "restart"])),
                ("0/svc2/image", Str("nginx")),
                ("0/svc2/image", Src("*base")),
                ("0/svc2/restart", Str("always")),
                ("0/svc2/restart", Src("*other")),
                ("0/svc2/env", Src("*env")),
                ("0/svc2/env/A", Num("1")),
                ("0/copy", Src("*base")),
                ("0/copy", Keys(&["image", "env"])),
                ("0/copy/image", Str("nginx")),
                ("0/list2", Len(2)),
                ("0/list2/1", Str("b")),
                ("0/list2/1", Src("*l")),
                ("0/scalar2", Str("v")),
                ("0/scalar2", Src("*s")),
                // the definitions keep their own spans
                ("0/base/image", Src("nginx")),
                ("0/base/env", Src("{A: 1}")),
            ],
        )]);
    }

    #[test]
    fn duplicate_keys_are_kept_in_order() {
        let text = "a: 1\nb: 2\na: 3\nflow: {x: 1, x: 2}\n";
        run_cases(&[(
            "dups",
            text,
            &[("0", Keys(&["a", "b", "a", "flow"])), ("0/a", Num("3")), ("0/flow", Keys(&["x", "x"]))],
        )]);
        let doc = parse(text).expect("parses");
        let spans: Vec<&str> = doc.roots[0].get_all("a").map(|n| &text[n.span.range()]).collect();
        assert_eq!(spans, ["1", "3"]);
    }

    #[test]
    fn documents_and_empty_input() {
        // (input, number of roots)
        let cases: &[(&str, usize)] = &[
            ("", 0),
            ("# only a comment\n", 0),
            ("---\n", 0),
            ("~\n", 0),
            ("a: 1\n", 1),
            ("a: 1\n---\nb: 2\n---\n- x\n", 3),
            ("---\n---\na: 1\n---\n~\n...\n", 1),
            ("--- |\n  text\n--- plain\n", 2),
        ];
        for &(text, roots) in cases {
            let doc = parse(text).unwrap_or_else(|e| panic!("{text:?}: {e:?}"));
            assert_eq!(doc.roots.len(), roots, "{text:?}");
            check_spans(text, &doc);
        }
        run_cases(&[
            ("multi", "a: 1\n---\nb: 2\n---\n- x\n", &[("0/a", Src("1")), ("1/b", Src("2")), ("2/0", Src("x"))]),
            ("root scalars", "--- |\n  text\n--- plain\n", &[("0", Src("|\n  text")), ("1", Str("plain"))]),
        ]);
    }

    #[test]
    fn custom_tags_are_kept() {
        let text = "ref: !reference [.setup, script]\nreset: !reset null\nreset_seq: !reset []\n\
                    over: !override {a: 1}\ncfn: !Sub \"arn:${AWS::Region}\"\nget: !GetAtt a.b\n\
                    global: !<tag:example.com,2026:x> y\nplain: z\n";
        run_cases(&[(
            "tags",
            text,
            &[
                ("0/ref", Tag(Some("!reference"))),
                ("0/ref", Len(2)),
                ("0/ref", Src("[.setup, script]")),
                ("0/ref/0", Str(".setup")),
                ("0/reset", Tag(Some("!reset"))),
                ("0/reset", Null),
                ("0/reset_seq", Tag(Some("!reset"))),
                ("0/reset_seq", Len(0)),
                ("0/over", Tag(Some("!override"))),
                ("0/over/a", Num("1")),
                ("0/cfn", Tag(Some("!Sub"))),
                ("0/cfn", Str("arn:${AWS::Region}")),
                ("0/get", Tag(Some("!GetAtt"))),
                ("0/get", Str("a.b")),
                ("0/global", Tag(Some("tag:example.com,2026:x"))),
                ("0/plain", Tag(None)),
            ],
        )]);
    }

    const COMPOSE: &str = "\
x-defaults: &defaults
  restart: unless-stopped
  environment:
    TZ: ${TZ:-UTC}
services:
  web:
    <<: *defaults
    image: \"nginx:${NGINX_VERSION:-1.25}\"
    ports:
      - \"8080:80\"
      - 443:443
      - 9090
    environment:
      - KEY=value
      - EMPTY=
      - DB_URL=${DB_URL}
  worker:
    <<: *defaults
    environment:
      QUEUE: jobs
      DEBUG: \"false\"
      RETRIES: 3
      PASSWORD: ${DB_PASSWORD:?required}
";

    const GITLAB: &str = "\
variables:
  GLOBAL: \"1\"
  DEPLOY: \"false\"
.setup:
  script:
    - echo setup
.base: &base
  image: alpine
  before_script:
    - !reference [.setup, script]
build:
  <<: *base
  extends: .setup
  variables:
    JOB_VAR: x
  script:
    - !reference [.setup, script]
    - make
test:
  extends: [.base, .setup]
  rules: !reset null
  script:
    - echo test
";

    #[test]
    fn docker_compose() {
        run_cases(&[(
            "compose",
            COMPOSE,
            &[
                ("0/x-defaults/environment/TZ", Str("${TZ:-UTC}")),
                ("0/services/web", Keys(&["image", "ports", "environment", "restart"])),
                ("0/services/web/restart", Str("unless-stopped")),
                ("0/services/web/restart", Src("*defaults")),
                ("0/services/web/image", Str("nginx:${NGINX_VERSION:-1.25}")),
                ("0/services/web/image", Src("\"nginx:${NGINX_VERSION:-1.25}\"")),
                ("0/services/web/ports/0", Str("8080:80")),
                ("0/services/web/ports/0", Src("\"8080:80\"")),
                ("0/services/web/ports/1", Str("443:443")),
                ("0/services/web/ports/1", Src("443:443")),
                ("0/services/web/ports/2", Num("9090")),
                ("0/services/web/environment", Len(3)),
                ("0/services/web/environment/0", Str("KEY=value")),
                ("0/services/web/environment/1", Str("EMPTY=")),
                ("0/services/web/environment/2", Str("DB_URL=${DB_URL}")),
                ("0/services/web/environment/2", Src("DB_URL=${DB_URL}")),
                // a merge is shallow: the explicit environment replaces the merged one
                ("0/services/worker", Keys(&["environment", "restart"])),
                ("0/services/worker/environment", Keys(&["QUEUE", "DEBUG", "RETRIES", "PASSWORD"])),
                ("0/services/worker/environment/DEBUG", Str("false")),
                ("0/services/worker/environment/DEBUG", Src("\"false\"")),
                ("0/services/worker/environment/RETRIES", Num("3")),
                ("0/services/worker/environment/PASSWORD", Str("${DB_PASSWORD:?required}")),
                ("0/services/worker/environment/PASSWORD", KeySrc("PASSWORD")),
            ],
        )]);
    }

    #[test]
    fn gitlab_ci() {
        run_cases(&[(
            "gitlab",
            GITLAB,
            &[
                ("0/variables/GLOBAL", Str("1")),
                ("0/variables/DEPLOY", Str("false")),
                ("0/.base/image", Str("alpine")),
                ("0/.base/before_script/0", Tag(Some("!reference"))),
                ("0/.base/before_script/0", Src("[.setup, script]")),
                ("0/build", Keys(&["extends", "variables", "script", "image", "before_script"])),
                ("0/build/extends", Str(".setup")),
                ("0/build/variables/JOB_VAR", Str("x")),
                ("0/build/script/0", Tag(Some("!reference"))),
                ("0/build/script/0", Len(2)),
                ("0/build/script/0", Src("[.setup, script]")),
                ("0/build/script/0/1", Str("script")),
                ("0/build/script/1", Str("make")),
                ("0/build/image", Src("*base")),
                ("0/build/before_script/0", Tag(Some("!reference"))),
                ("0/build/before_script/0", Src("*base")),
                ("0/test/extends", Len(2)),
                ("0/test/extends/0", Str(".base")),
                ("0/test/rules", Null),
                ("0/test/rules", Tag(Some("!reset"))),
                ("0/test/rules", Src("null")),
            ],
        )]);
    }

    #[test]
    fn github_workflow_on_forms() {
        let full = "\
name: CI
on:
  push:
    branches: [main]
  pull_request: {branches: [main, 'release/**']}
  workflow_dispatch:
  schedule:
    - cron: '0 0 * * *'
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: echo \"${{ github.ref }}\"
";
        run_cases(&[
            ("on scalar", "on: push\n", &[("0", Keys(&["on"])), ("0/on", Str("push")), ("0/on", KeySrc("on"))]),
            (
                "on list",
                "on: [push, pull_request]\n",
                &[("0/on", Len(2)), ("0/on/1", Str("pull_request")), ("0/on", Src("[push, pull_request]"))],
            ),
            (
                "on map",
                full,
                &[
                    ("0", Keys(&["name", "on", "jobs"])),
                    ("0/on", Keys(&["push", "pull_request", "workflow_dispatch", "schedule"])),
                    ("0/on/push/branches/0", Str("main")),
                    ("0/on/push/branches", Src("[main]")),
                    ("0/on/pull_request/branches/1", Str("release/**")),
                    ("0/on/workflow_dispatch", Null),
                    ("0/on/workflow_dispatch", KeySrc("workflow_dispatch")),
                    ("0/on/schedule/0/cron", Str("0 0 * * *")),
                    ("0/jobs/build/runs-on", Str("ubuntu-latest")),
                    ("0/jobs/build/steps/1/run", Str("echo \"${{ github.ref }}\"")),
                ],
            ),
            (
                "on quoted",
                "\"on\":\n  push:\n  workflow_dispatch:\n",
                &[
                    ("0", Keys(&["on"])),
                    ("0/on", KeySrc("\"on\"")),
                    ("0/on", Keys(&["push", "workflow_dispatch"])),
                    ("0/on/push", Null),
                    ("0/on/workflow_dispatch", Null),
                ],
            ),
            (
                "on workflow_dispatch only",
                "on:\n  workflow_dispatch:\n",
                &[("0/on/workflow_dispatch", Null), ("0/on", Src("workflow_dispatch:"))],
            ),
        ]);
    }

    #[test]
    fn malformed_input_is_an_error_where_pyyaml_stops() {
        // (name, input, byte offset of PyYAML 6.0's problem mark (`yaml.compose_all`),
        // our offset). They differ only where YAML 1.2 and PyYAML's YAML 1.1 disagree
        // on where the input goes wrong (noted).
        let cases: &[(&str, &str, usize, usize)] = &[
            ("unclosed flow seq", "a: [1,\n", 7, 7),
            ("unclosed flow seq then key", "a: [1, 2\nb: 3\nc: 4\n", 10, 10),
            ("unclosed flow map", "a: {b: 1\n", 9, 9),
            ("unclosed flow before document", "a: [1\n---\nb: 2\n", 6, 6),
            ("tab indentation", "a:\n\tb: 1\n", 3, 3),
            ("bad indentation", "key: value\n  bad: indent\nlast: 1\nmore: 2\n", 16, 16),
            ("seq then map", "a:\n  - b\n  c: d\nx: 1\ny: 2\n", 11, 11),
            ("mapping after seq at root", "- a\nb: 1\nc: 2\n", 4, 4),
            ("unclosed quote at end", "\"unterminated", 13, 13),
            ("unknown alias", "a: *b\nc: 1\nd: 2\n", 3, 3),
            ("stray bracket", "a: 1\n]\nb: 2\n", 5, 5),
            ("reserved char", "a: 1\n@x: 2\nb: 3\n", 5, 5),
            ("backquote", "a: `x`\n", 3, 3),
            ("bad escape", "a: \"\\q\"\nb: 1\n", 5, 5),
            ("bad escape later", "a: \"ok \\n then \\q\"\n", 16, 16),
            ("colon in plain value", "a: b: c\nd: 1\n", 4, 4),
            ("jinja block", "a: 1\n{% if x %}\nb: 2\n{% endif %}\n", 6, 6),
            ("missing space after colon", "a:1\nb\nc: d\n", 7, 7),
            ("bad block scalar indent", "a: |\n  x\n b\nc: 1\n", 10, 10),
            ("duplicate directive", "%YAML 1.1\n%YAML 1.1\n---\na: 1\n", 10, 10),
            ("lone CR line ends", "a: 1\r  b: 2\rc: 3\r", 8, 8),
            ("non-ASCII before the error", "é: ü\n日本: 1\n]\n", 17, 17),
            ("non-ASCII tab", "ключ:\n\tзначение: 1\n", 10, 10),
            ("CRLF before the error", "a: 1\r\nb: 2\r\n  c: 3\r\nd: 4\r\n", 15, 15),
            ("second document", "a: 1\n---\nb: [\n", 14, 14),
            ("anchor without node then bracket", "a: &x\nb: *x\nc: [\n", 17, 17),
            // YAML 1.2 reads `c\nd: 2` inside the flow mapping; the input ends unclosed.
            ("key without value in flow", "a: {b: 1, c\nd: 2\n", 13, 17),
            // YAML 1.2 requires the continuation lines of a quoted scalar to be indented.
            ("multi-line quote not indented", "a: \"unterminated\nb: 1\nc: 2\n", 27, 17),
            // YAML 1.2 starts a bare document after `...`; the sequence entry is what breaks.
            ("document end then mapping", "a: 1\n...\nb: 2\n- x\n", 9, 16),
        ];
        let mut wrong = Vec::new();
        for &(name, text, pyyaml, offset) in cases {
            let err = parse(text).expect_err(name);
            assert!(err.span.is_empty(), "{name}: {err:?}");
            if err.span.start as usize != offset {
                wrong.push(format!("{name}: at {}, PyYAML {pyyaml}, want {offset}: {}", err.span.start, err.message));
            }
            assert!(!err.message.is_empty(), "{name}");
            assert!(!err.message.contains(['\n', '\r', '\x1b']), "{name}: {err:?}");
            assert_ne!(err.message, "internal YAML parser error", "{name}: saphyr panicked");
        }
        assert!(wrong.is_empty(), "{wrong:#?}");
    }

    #[test]
    fn errors_name_the_problem() {
        // (input, offset, start of the message)
        let cases: &[(&str, usize, &str)] = &[
            ("a: [1,\n", 7, "unclosed bracket '[' (opened at line 1, column 4)"),
            ("a:\n\tb: 1\n", 3, "tabs disallowed"),
            ("a: *b", 3, "alias references unknown anchor"),
            ("a: \"\\q\"", 5, "while parsing a quoted scalar, found unknown escape character"),
            ("]", 0, "misplaced bracket"),
            ("a: &r\n  b: *r\n", 11, "recursive alias"),
            ("a: !!int x", 9, "invalid u64"),
            ("a:\n  <<: 1\n", 9, "YAML merge value must be"),
        ];
        for &(text, offset, msg) in cases {
            let err = parse(text).expect_err(text);
            assert_eq!(err.span, Span::at(offset), "{text:?}: {err:?}");
            assert!(err.message.starts_with(msg), "{text:?}: {err:?}");
        }
    }

    #[test]
    fn no_panics_on_truncated_input() {
        // Every prefix of real files: Ok or Err, never a panic inside saphyr.
        for text in [COMPOSE, GITLAB, "a: \"é\\u00e9 🦀\"\r\nb: [1, {c: d}]\r\nc: |\r\n  x\r\n"] {
            for end in (0..=text.len()).filter(|&i| text.is_char_boundary(i)) {
                let prefix = &text[..end];
                match parse(prefix) {
                    Ok(doc) => check_spans(prefix, &doc),
                    Err(e) => {
                        assert_ne!(e.message, "internal YAML parser error", "{prefix:?}");
                        assert!(e.span.end as usize <= prefix.len(), "{prefix:?}: {e:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn alias_bomb_is_refused() {
        let mut text = String::from("l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let prev = i - 1;
            let refs = vec![format!("*l{prev}"); 10].join(", ");
            writeln!(text, "l{i}: &l{i} [{refs}]").expect("write to String");
        }
        let err = parse(&text).expect_err("billion laughs must be refused");
        assert!(!err.message.is_empty());
        assert!(err.span.end as usize <= text.len());
        assert!(err.message.starts_with("YAML aliases expand beyond the parser's limits"), "{err:?}");
    }

    /// Issue 7 item 14: saphyr counts alias and merge replays as nesting, so an alias
    /// used deep, or a chain of merged templates, broke the caller-stack budget and was
    /// a parse error. Only the nesting of the resulting tree is limited now.
    #[test]
    fn aliases_used_deep_and_merge_chains_parse() {
        let handle = std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(|| {
                // an alias and a merge used deep in a prod compose file; at 18 levels, the
                // anchor's own nesting replayed there broke the caller-stack budget
                for (depth, use_site) in
                    [(18, "environment: *env"), (20, "<<: *env"), (60, "<<: *env"), (120, "environment: *env")]
                {
                    let mut text =
                        String::from("x-env: &env\n  DEBUG: \"true\"\n  x-deep: {a: {b: {c: {d: 1}}}}\nservices:\n");
                    for i in 0..depth {
                        writeln!(text, "{}n{i}:", "  ".repeat(i + 1)).expect("write to String");
                    }
                    writeln!(text, "{}{use_site}", "  ".repeat(depth + 1)).expect("write to String");
                    let doc = parse(&text).unwrap_or_else(|e| panic!("depth {depth}: {e:?}"));
                    let mut node = doc.roots[0].get("services").expect("services");
                    for i in 0..depth {
                        node = node.get(&format!("n{i}")).expect("nested");
                    }
                    let debug = node.path(&["environment", "DEBUG"]).or_else(|| node.get("DEBUG")).expect("DEBUG");
                    assert_eq!(debug.as_str(), Some("true"), "depth {depth}");
                    assert_eq!(&text[debug.span.range()], "*env", "depth {depth}: use site");
                }
                // GitLab CI templates: each anchor merges the previous one
                for n in [30, 130] {
                    let mut text = String::from(".t0: &t0\n  image: alpine\n");
                    for i in 1..=n {
                        writeln!(text, ".t{i}: &t{i}\n  <<: *t{}\n  v{i}: {i}", i - 1).expect("write to String");
                    }
                    writeln!(text, "job:\n  <<: *t{n}\n  script: [make]").expect("write to String");
                    let doc = parse(&text).unwrap_or_else(|e| panic!("chain of {n} merges: {e:?}"));
                    let job = doc.roots[0].get("job").expect("job");
                    assert_eq!(job.get("image").and_then(Node::as_str), Some("alpine"), "chain of {n}");
                    assert_eq!(job.get(&format!("v{n}")).and_then(Node::scalar_text).as_deref(), Some(&*n.to_string()));
                    assert_eq!(job.entries().len(), n + 2, "chain of {n}");
                }
                // aliases nesting lists in lists: as deep as the chain is long
                let chain = |n: usize| {
                    let mut text = String::from("l0: &l0 [x]\n");
                    for i in 1..=n {
                        writeln!(text, "l{i}: &l{i} [*l{}]", i - 1).expect("write to String");
                    }
                    text
                };
                assert!(parse(&chain(100)).is_ok());
                let err = parse(&chain(200)).expect_err("tree deeper than MAX_DEPTH");
                assert!(err.message.contains("once aliases are expanded"), "{err:?}");
                let err = parse(&chain(600)).expect_err("replays deeper than MAX_REPLAY_DEPTH");
                assert!(err.message.contains("nested more than"), "{err:?}");
            })
            .expect("spawn");
        handle.join().expect("no stack overflow");
    }

    #[test]
    fn nesting_beyond_the_limit_points_at_the_first_level_too_many() {
        let handle = std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(|| {
                let block = (0..10_000).fold(String::new(), |mut s, i| {
                    writeln!(s, "{}k:", " ".repeat(i)).expect("write to String");
                    s
                });
                let first_too_deep = block.match_indices("k:").nth(MAX_DEPTH).map_or(0, |(i, _)| i);
                // (name, input, offset of the collection that is one level too deep)
                let cases: Vec<(&str, String, usize)> = vec![
                    ("flow sequences", "[".repeat(10_000), 255),
                    ("flow sequences within the event parser's limit", "[".repeat(200) + &"]".repeat(200), MAX_DEPTH),
                    ("JSON objects", "{\"a\": ".repeat(10_000), MAX_DEPTH * 6),
                    // the event parser's limit of 255 flow levels stops it first
                    ("JSON arrays in objects", "{\"a\": [".repeat(5_000), 127 * 7 + 6),
                    ("block mappings", block, first_too_deep),
                ];
                for (name, text, offset) in &cases {
                    let err = parse(text).expect_err(name);
                    assert_eq!(err.span, Span::at(*offset), "{name}: {err:?}");
                    assert_eq!(err.message, format!("YAML nested more than {MAX_DEPTH} levels deep"), "{name}");
                }
            })
            .expect("spawn");
        handle.join().expect("no stack overflow");
    }

    #[test]
    fn a_50_mib_line_parses() {
        let value = "x".repeat(50 << 20);
        let text = format!("a: {value}\n");
        let doc = parse(&text).expect("parses");
        assert_eq!(doc.roots[0].get("a").map(|n| n.span), Some(Span::new(3, 3 + value.len())));
        let text = format!("a: \"{value}");
        let err = parse(&text).expect_err("unclosed quote");
        assert_eq!(err.span, Span::at(text.len()));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        // Run on a thread with the default 2 MiB test stack, as callers' threads have.
        let handle = std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(|| {
                let block = |depth: usize| -> String {
                    (0..depth).fold(String::new(), |mut s, i| {
                        writeln!(s, "{}k:", " ".repeat(i)).expect("write to String");
                        s
                    })
                };
                // (input, parses?)
                let cases: Vec<(String, bool)> = vec![
                    ("[".repeat(100_000), false),
                    ("{a: ".repeat(100_000), false),
                    ("- ".repeat(100_000), false),
                    (block(10), true),
                    // deeper than the caller's stack allows: re-parsed on a big stack
                    (block(100), true),
                    (format!("{}1{}", "[".repeat(120), "]".repeat(120)), true),
                    (block(MAX_DEPTH + 1), false),
                ];
                for (text, ok) in &cases {
                    let result = parse(text);
                    assert_eq!(result.is_ok(), *ok, "{}: {:?}", &text[..20], result.as_ref().err());
                    if let Err(e) = result {
                        assert!(e.span.end as usize <= text.len());
                    }
                }
            })
            .expect("spawn");
        handle.join().expect("no stack overflow");
    }

    #[test]
    fn large_files_parse_within_budgets() {
        // ~5 MiB of compose-like YAML with many anchors, merges and aliases.
        let mut text = String::from("x-defaults: &defaults\n  restart: always\n  labels: [a, b]\nservices:\n");
        let mut i = 0;
        while text.len() < 5 << 20 {
            write!(
                text,
                "  svc{i}:\n    <<: *defaults\n    image: \"registry/app:{i}\"\n    environment:\n      - KEY{i}=value\n      - PORT=80\n    ports: [\"80{i}:80\"]\n"
            )
            .expect("write to String");
            i += 1;
        }
        let doc = parse(&text).unwrap_or_else(|e| panic!("{e:?}"));
        let services = doc.roots[0].get("services").expect("services");
        assert_eq!(services.entries().len(), i);
        let last = services.get(&format!("svc{}", i - 1)).expect("last service");
        assert_eq!(last.get("restart").and_then(Node::as_str), Some("always"));
        assert_eq!(&text[last.get("restart").expect("restart").span.range()], "*defaults");
    }
}
