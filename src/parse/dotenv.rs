//! dotenv adapter: a hand-written, single-pass parser for `.env` files as docker
//! compose, python-dotenv and the Ruby/Node `dotenv` libraries accept them.
//!
//! The result is one root [`Value::Map`] spanning the whole file, with one
//! [`Entry`] per assignment in source order (duplicates kept). Every value is a
//! [`Value::String`] holding the decoded text; a bare `KEY` line (compose's
//! "inherit from the shell" form) gives [`Value::Null`].
//!
//! Spans are byte ranges into the original text (a leading UTF-8 BOM included):
//!
//! * key span: exactly the key token (no `export`, no whitespace, no `=`);
//! * quoted value span: the bytes between the quotes, quotes excluded;
//! * unquoted value span: the value trimmed of surrounding blanks, before any
//!   inline comment;
//! * empty value (`KEY=`): an empty span where the value would start, after the
//!   `=` and any blanks; bare key: an empty span right after the key.
//!
//! Syntax choices where the implementations disagree:
//!
//! * Line endings are `\n`, `\r\n`, or a lone `\r` (as python-dotenv reads files).
//!   "Blanks" are spaces and tabs only; other whitespace (NBSP, ...) is value text.
//! * In an unquoted value a `#` starts a comment only when the byte before it is
//!   a space or tab *inside the value*: `KEY= #x` is the string `#x`, as docker
//!   compose and python-dotenv read it (Ruby/Node dotenv would give an empty value).
//! * Double quotes decode `\n \r \t \" \\ \$ \'`; any other escape is kept as
//!   written (backslash included). Single quotes and backticks are literal: a
//!   backslash never escapes the closing quote there.
//! * All quote kinds may span lines; inside them `\r\n` decodes to `\n` (compose
//!   and python-dotenv both normalise line endings first). Spans stay raw.
//! * After a closing quote only blanks and an optional `#` comment may follow;
//!   anything else is an error pointing at the stray text.
//! * A `#` straight after a key (`KEY#note`) or after a closing quote
//!   (`KEY="v"#note`) also starts a comment, as in python-dotenv.
//! * `export` followed by blanks and a key is a prefix; `export=1`, `export = 1`
//!   and a lone `export` treat `export` as the key itself.

use crate::model::{Document, Entry, Node, Value};
use crate::parse::ParseError;
use crate::span::Span;

const BOM: &[u8] = "\u{feff}".as_bytes();

/// Parses dotenv text into a document with a single map root.
pub fn parse(text: &str) -> Result<Document, ParseError> {
    let mut parser = Parser { text, bytes: text.as_bytes(), pos: 0 };
    if parser.bytes.starts_with(BOM) {
        parser.pos = BOM.len();
    }
    let mut entries = Vec::new();
    while parser.pos < parser.bytes.len() {
        if let Some(entry) = parser.line()? {
            entries.push(entry);
        }
    }
    Ok(Document::single(Node::new(Span::new(0, text.len()), Value::Map(entries))))
}

fn is_blank(b: u8) -> bool {
    matches!(b, b' ' | b'\t')
}

fn is_key_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn is_key_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-')
}

fn quote_kind(quote: u8) -> &'static str {
    match quote {
        b'"' => "double-quoted",
        b'\'' => "single-quoted",
        _ => "backtick-quoted",
    }
}

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn at_line_end(&self) -> bool {
        matches!(self.peek(), None | Some(b'\n' | b'\r'))
    }

    fn skip_blanks(&mut self) {
        while self.peek().is_some_and(is_blank) {
            self.pos += 1;
        }
    }

    /// Skips the rest of the line (a comment), stopping before its line ending.
    fn skip_to_line_end(&mut self) {
        while !self.at_line_end() {
            self.pos += 1;
        }
    }

    /// Consumes one line ending (`\n`, `\r\n` or `\r`) if there is one.
    fn finish_line(&mut self) {
        if self.peek() == Some(b'\r') {
            self.pos += 1;
        }
        if self.peek() == Some(b'\n') {
            self.pos += 1;
        }
    }

    /// The text between two offsets; the parser only cuts at ASCII bytes, so the
    /// fallback is never taken, but a bad cut must not panic.
    fn slice(&self, start: usize, end: usize) -> &'a str {
        self.text.get(start..end).unwrap_or("")
    }

    /// A readable name for the character at `pos`.
    fn found(&self, pos: usize) -> String {
        match self.text.get(pos..).and_then(|s| s.chars().next()) {
            None | Some('\n' | '\r') => "end of line".to_owned(),
            Some(c) => format!("{c:?}"),
        }
    }

    /// Parses one line (or, for multi-line quoted values, one logical line).
    fn line(&mut self) -> Result<Option<Entry>, ParseError> {
        let line_start = self.pos;
        self.skip_blanks();
        if self.at_line_end() {
            self.finish_line();
            return Ok(None);
        }
        if self.peek() == Some(b'#') {
            self.skip_to_line_end();
            self.finish_line();
            return Ok(None);
        }

        let (mut key_start, mut key_end) = self.key(line_start, None)?;
        self.skip_blanks();
        if self.slice(key_start, key_end) == "export"
            && self.pos > key_end
            && !self.at_line_end()
            && !matches!(self.peek(), Some(b'=' | b'#'))
        {
            (key_start, key_end) = self.key(line_start, Some("after `export`"))?;
            self.skip_blanks();
        }
        let key = self.slice(key_start, key_end);
        let key_span = Span::new(key_start, key_end);

        let value = match self.peek() {
            None | Some(b'\n' | b'\r' | b'#') => {
                self.skip_to_line_end();
                self.finish_line();
                Node::new(Span::at(key_end), Value::Null)
            }
            Some(b'=') => {
                self.pos += 1;
                self.skip_blanks();
                match self.peek() {
                    Some(quote @ (b'"' | b'\'' | b'`')) => self.quoted(quote, key)?,
                    _ => self.unquoted(),
                }
            }
            Some(_) => {
                return Err(ParseError::new(
                    Span::at(line_start),
                    format!("expected `=` after variable name `{key}`, found {}", self.found(self.pos)),
                ));
            }
        };
        Ok(Some(Entry::new(key_span, key, value)))
    }

    /// Reads a key token `[A-Za-z_][A-Za-z0-9_.-]*`, returning its byte range.
    fn key(&mut self, line_start: usize, context: Option<&str>) -> Result<(usize, usize), ParseError> {
        let start = self.pos;
        if !self.peek().is_some_and(is_key_start) {
            let context = context.map_or(String::new(), |c| format!(" {c}"));
            return Err(ParseError::new(
                Span::at(line_start),
                format!(
                    "expected a variable name{context} (a letter or `_`, then letters, digits, `_`, `.` or `-`), found {}",
                    self.found(start)
                ),
            ));
        }
        self.pos += 1;
        while self.peek().is_some_and(is_key_char) {
            self.pos += 1;
        }
        Ok((start, self.pos))
    }

    /// An unquoted value: up to the line end or an inline ` #` comment, trimmed.
    fn unquoted(&mut self) -> Node {
        let start = self.pos;
        let mut end = start;
        while let Some(b) = self.peek() {
            match b {
                b'\n' | b'\r' => break,
                b'#' if self.pos > start && is_blank(self.bytes[self.pos - 1]) => {
                    self.skip_to_line_end();
                    break;
                }
                _ => {
                    self.pos += 1;
                    if !is_blank(b) {
                        end = self.pos;
                    }
                }
            }
        }
        self.finish_line();
        Node::new(Span::new(start, end), Value::String(self.slice(start, end).into()))
    }

    /// A quoted value; `self.pos` is at the opening quote.
    fn quoted(&mut self, quote: u8, key: &str) -> Result<Node, ParseError> {
        let open = self.pos;
        let start = open + 1;
        self.pos = start;
        let mut has_escape = false;
        let mut has_cr = false;
        loop {
            match self.peek() {
                None => {
                    return Err(ParseError::new(
                        Span::at(open),
                        format!("unterminated {} value for {key}", quote_kind(quote)),
                    ));
                }
                Some(b'\\') if quote == b'"' => {
                    has_escape = true;
                    // The escaped byte never closes the value; a multi-byte
                    // character's continuation bytes are never `"` or `\`.
                    self.pos += 2;
                }
                Some(b) if b == quote => break,
                Some(b) => {
                    has_cr |= b == b'\r';
                    self.pos += 1;
                }
            }
        }
        let end = self.pos;
        self.pos += 1;

        self.skip_blanks();
        match self.peek() {
            None | Some(b'\n' | b'\r' | b'#') => {
                self.skip_to_line_end();
                self.finish_line();
            }
            Some(_) => {
                return Err(ParseError::new(
                    Span::at(self.pos),
                    format!(
                        "unexpected {} after the closing quote of {key}; only a `#` comment may follow",
                        self.found(self.pos)
                    ),
                ));
            }
        }

        let raw = self.slice(start, end);
        let value = if has_escape || has_cr { decode(raw, quote == b'"') } else { raw.into() };
        Ok(Node::new(Span::new(start, end), Value::String(value)))
    }
}

/// Decodes a quoted value's content: `\r\n` becomes `\n`, and in double quotes
/// the escapes `\n \r \t \" \\ \$ \'` are decoded (others are kept as written).
fn decode(raw: &str, escapes: bool) -> Box<str> {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if escapes => {
                let decoded = match chars.peek() {
                    Some('n') => Some('\n'),
                    Some('r') => Some('\r'),
                    Some('t') => Some('\t'),
                    Some(&e @ ('"' | '\\' | '$' | '\'')) => Some(e),
                    _ => None,
                };
                match decoded {
                    Some(d) => {
                        out.push(d);
                        chars.next();
                    }
                    // Unknown escape: keep the backslash; the next round keeps
                    // the character after it (and still folds `\r\n`).
                    None => out.push('\\'),
                }
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            _ => out.push(c),
        }
    }
    out.into_boxed_str()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (key, key text at span, value (`None` = bare key), value text at span)
    type Expected<'a> = &'a [(&'a str, &'a str, Option<&'a str>, &'a str)];

    fn entries(text: &str) -> Vec<Entry> {
        let doc = match parse(text) {
            Ok(doc) => doc,
            Err(e) => panic!("{text:?} failed to parse: {e:?}"),
        };
        assert_eq!(doc.roots.len(), 1, "{text:?}");
        let root = &doc.roots[0];
        assert_eq!(root.span, Span::new(0, text.len()), "{text:?}: root span");
        assert!(root.is_map());
        root.entries().to_vec()
    }

    const PEM: &str =
        "KEY=\"-----BEGIN RSA PRIVATE KEY-----\nMIIEow\\nIBAAK\n-----END RSA PRIVATE KEY-----\"\nNEXT=1\n";
    const PEM_CRLF: &str = "KEY=\"-----BEGIN KEY-----\r\nMII\r\n-----END KEY-----\"\r\nB=2\r\n";

    #[test]
    fn valid_table() {
        let cases: &[(&str, Expected)] = &[
            // basics, empty file, blank lines, comments
            ("", &[]),
            ("\n\n  \n\t\n", &[]),
            ("# comment\n  # indented comment\nA=1\n", &[("A", "A", Some("1"), "1")]),
            ("A=1", &[("A", "A", Some("1"), "1")]),
            ("A=1\nB=two words\n", &[("A", "A", Some("1"), "1"), ("B", "B", Some("two words"), "two words")]),
            // keys with . and -, leading whitespace, blanks around =
            ("  my.key-name_2 \t=\t value  \n", &[("my.key-name_2", "my.key-name_2", Some("value"), "value")]),
            ("_A=x", &[("_A", "_A", Some("x"), "x")]),
            // export prefix (spaces and tabs), and `export` as a key
            ("export A=1\nexport\tB = 2\n", &[("A", "A", Some("1"), "1"), ("B", "B", Some("2"), "2")]),
            (
                "export=1\nexport = 2\nexport\n",
                &[
                    ("export", "export", Some("1"), "1"),
                    ("export", "export", Some("2"), "2"),
                    ("export", "export", None, ""),
                ],
            ),
            ("export FOO\n", &[("FOO", "FOO", None, "")]),
            ("exported=1", &[("exported", "exported", Some("1"), "1")]),
            // inline comments on unquoted values
            ("A=1 # note\n", &[("A", "A", Some("1"), "1")]),
            ("A=1\t#note\n", &[("A", "A", Some("1"), "1")]),
            ("URL=http://x/#frag\n", &[("URL", "URL", Some("http://x/#frag"), "http://x/#frag")]),
            ("A=a#b #c\n", &[("A", "A", Some("a#b"), "a#b")]),
            ("A=#not-a-comment\n", &[("A", "A", Some("#not-a-comment"), "#not-a-comment")]),
            ("A= #x\n", &[("A", "A", Some("#x"), "#x")]),
            // variables kept verbatim, quotes inside unquoted values literal
            ("A=${HOME}/x $USER\n", &[("A", "A", Some("${HOME}/x $USER"), "${HOME}/x $USER")]),
            ("A=it's \"x\"\n", &[("A", "A", Some("it's \"x\""), "it's \"x\"")]),
            ("A=a=b=c\n", &[("A", "A", Some("a=b=c"), "a=b=c")]),
            // single quotes: literal, `#` kept, multi-line
            ("A='x # y'\n", &[("A", "A", Some("x # y"), "x # y")]),
            ("A='a\\nb $X'\n", &[("A", "A", Some("a\\nb $X"), "a\\nb $X")]),
            (
                "A='line1\nline2' # c\nB=2",
                &[("A", "A", Some("line1\nline2"), "line1\nline2"), ("B", "B", Some("2"), "2")],
            ),
            ("A='a\\'\n", &[("A", "A", Some("a\\"), "a\\")]),
            // double quotes: escapes, `#`, multi-line, trailing comment
            ("A=\"x # y\"  # c\n", &[("A", "A", Some("x # y"), "x # y")]),
            (
                "A=\"a\\nb\\tc\\r\\\"d\\\\e\\$f\\'g\"\n",
                &[("A", "A", Some("a\nb\tc\r\"d\\e$f'g"), "a\\nb\\tc\\r\\\"d\\\\e\\$f\\'g")],
            ),
            ("A=\"\\x\\u00e9\\é\"\n", &[("A", "A", Some("\\x\\u00e9\\é"), "\\x\\u00e9\\é")]),
            ("A=\"${X} $Y\"\n", &[("A", "A", Some("${X} $Y"), "${X} $Y")]),
            ("A=\"v\"#c\n", &[("A", "A", Some("v"), "v")]),
            (
                PEM,
                &[
                    (
                        "KEY",
                        "KEY",
                        Some("-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nIBAAK\n-----END RSA PRIVATE KEY-----"),
                        "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\\nIBAAK\n-----END RSA PRIVATE KEY-----",
                    ),
                    ("NEXT", "NEXT", Some("1"), "1"),
                ],
            ),
            (
                PEM_CRLF,
                &[
                    (
                        "KEY",
                        "KEY",
                        Some("-----BEGIN KEY-----\nMII\n-----END KEY-----"),
                        "-----BEGIN KEY-----\r\nMII\r\n-----END KEY-----",
                    ),
                    ("B", "B", Some("2"), "2"),
                ],
            ),
            // backticks: literal
            ("A=`x \\\" 'y' # z`\n", &[("A", "A", Some("x \\\" 'y' # z"), "x \\\" 'y' # z")]),
            // empty values
            (
                "A=\nB=  \nC=\"\"\nD=''\nE=``",
                &[
                    ("A", "A", Some(""), ""),
                    ("B", "B", Some(""), ""),
                    ("C", "C", Some(""), ""),
                    ("D", "D", Some(""), ""),
                    ("E", "E", Some(""), ""),
                ],
            ),
            // bare keys (inherit from the shell)
            (
                "FOO\nBAR # c\nBAZ#c\n  QUX  \r\n",
                &[
                    ("FOO", "FOO", None, ""),
                    ("BAR", "BAR", None, ""),
                    ("BAZ", "BAZ", None, ""),
                    ("QUX", "QUX", None, ""),
                ],
            ),
            // duplicates kept in order
            ("A=1\nB=2\nA=3\n", &[("A", "A", Some("1"), "1"), ("B", "B", Some("2"), "2"), ("A", "A", Some("3"), "3")]),
            // CRLF, lone CR, BOM
            (
                "A=1\r\nB = two \r\n\r\n# c\r\nC='x'\r\nD\r\n",
                &[
                    ("A", "A", Some("1"), "1"),
                    ("B", "B", Some("two"), "two"),
                    ("C", "C", Some("x"), "x"),
                    ("D", "D", None, ""),
                ],
            ),
            ("A=1\rB=2\r", &[("A", "A", Some("1"), "1"), ("B", "B", Some("2"), "2")]),
            ("\u{feff}A=1\nB=2\n", &[("A", "A", Some("1"), "1"), ("B", "B", Some("2"), "2")]),
            ("\u{feff}# c\r\nexport A=\"é\"\r\n", &[("A", "A", Some("é"), "é")]),
            // non-ASCII before and inside values
            (
                "# é🦀日本\nA=é🦀 日本 # 🦀\nB=\"日本\n🦀\"\nC='é'\n",
                &[
                    ("A", "A", Some("é🦀 日本"), "é🦀 日本"),
                    ("B", "B", Some("日本\n🦀"), "日本\n🦀"),
                    ("C", "C", Some("é"), "é"),
                ],
            ),
            (
                "A=日本#x\r\nB=\u{a0}x\u{a0}\r\n",
                &[("A", "A", Some("日本#x"), "日本#x"), ("B", "B", Some("\u{a0}x\u{a0}"), "\u{a0}x\u{a0}")],
            ),
        ];
        for (text, expected) in cases {
            let got = entries(text);
            assert_eq!(got.len(), expected.len(), "{text:?}: entry count in {got:#?}");
            for (entry, &(key, key_text, value, value_text)) in got.iter().zip(expected.iter()) {
                assert_eq!(&*entry.key.value, key, "{text:?}");
                assert_eq!(&text[entry.key.span.range()], key_text, "{text:?}: key span of {key}");
                let want = value.map_or(Value::Null, |v| Value::String(v.into()));
                assert_eq!(entry.value.value, want, "{text:?}: value of {key}");
                assert_eq!(&text[entry.value.span.range()], value_text, "{text:?}: value span of {key}");
                assert!(entry.value.tag.is_none());
            }
        }
    }

    #[test]
    fn empty_spans_sit_where_the_value_would_be() {
        // (text, index of entry, expected empty span offset)
        let cases: &[(&str, usize, usize)] = &[
            ("A=\n", 0, 2),
            ("A=   \n", 0, 5),
            ("A = \t\r\n", 0, 5),
            ("A=\"\"\n", 0, 3),
            ("A=''", 0, 3),
            ("FOO\n", 0, 3),
            ("  FOO  # c\n", 0, 5),
            ("\u{feff}FOO", 0, 6),
            ("X=1\r\nexport BAR\r\n", 1, 15),
        ];
        for &(text, index, offset) in cases {
            let got = entries(text);
            assert_eq!(got[index].value.span, Span::at(offset), "{text:?}");
        }
    }

    #[test]
    fn invalid_table() {
        // (text, expected error offset, fragment of the message)
        let cases: &[(&str, usize, &str)] = &[
            ("not a valid line\n", 0, "expected `=` after variable name `not`, found 'a'"),
            ("=value\n", 0, "expected a variable name"),
            ("1KEY=x\n", 0, "found '1'"),
            ("A=1\n  -X=1\n", 4, "found '-'"),
            ("A=1\r\nKEY: v\r\n", 5, "found ':'"),
            ("\u{feff}$A=1", 3, "found '$'"),
            ("é=1", 0, "found 'é'"),
            ("A=1\nexport 1A=2\n", 4, "after `export`"),
            ("A=1\nKE Y=2\n", 4, "`KE`"),
            ("A=\"abc\n", 2, "unterminated double-quoted value for A"),
            ("X=1\nB = 'abc\ndef\n", 8, "unterminated single-quoted value for B"),
            ("C=`abc", 2, "unterminated backtick-quoted value for C"),
            ("D=\"abc\\\"", 2, "unterminated double-quoted value for D"),
            ("D=\"abc\\", 2, "unterminated double-quoted value for D"),
            ("# é\nE=\"🦀", 7, "unterminated double-quoted value for E"),
            ("A=\"x\" y\n", 6, "unexpected 'y' after the closing quote of A"),
            ("A='x'y\n", 5, "unexpected 'y'"),
            ("A='it\\'s'\n", 7, "unexpected 's'"),
        ];
        for &(text, offset, fragment) in cases {
            match parse(text) {
                Ok(doc) => panic!("{text:?} parsed: {doc:?}"),
                Err(e) => {
                    assert_eq!(e.span, Span::at(offset), "{text:?}: {}", e.message);
                    assert!(e.message.contains(fragment), "{text:?}: {:?} lacks {fragment:?}", e.message);
                    assert!(!e.message.contains('\n'), "{text:?}: multi-line message");
                }
            }
        }
    }

    /// Every span of a parse result (or error) lies on character boundaries.
    fn check_spans(text: &str) {
        let in_bounds = |span: Span| text.get(span.range()).is_some();
        match parse(text) {
            Ok(doc) => {
                for entry in doc.roots.iter().flat_map(Node::entries) {
                    assert!(in_bounds(entry.key.span), "{text:?}: key span {:?}", entry.key.span);
                    assert!(in_bounds(entry.value.span), "{text:?}: value span {:?}", entry.value.span);
                }
            }
            Err(e) => assert!(in_bounds(e.span), "{text:?}: error span {:?}", e.span),
        }
    }

    #[test]
    fn never_panics_on_odd_input() {
        const PIECES: &[&str] = &[
            "A", "export", " ", "\t", "=", "\"", "'", "`", "\\", "#", "\n", "\r", "\r\n", "é", "🦀", "日本",
            "\u{feff}", "$", "{", "x", "1", ".", "-", "\0",
        ];
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..4000 {
            let len = (next() % 24) as usize;
            let mut text = String::new();
            for _ in 0..len {
                text.push_str(PIECES[(next() % PIECES.len() as u64) as usize]);
            }
            check_spans(&text);
            let bytes: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            check_spans(&String::from_utf8_lossy(&bytes));
        }
        for text in ["\u{feff}", "\\", "\"", "=", "\r", "export ", "export\t\"", "A=\"\\", "A=\"\\\r\n\""] {
            check_spans(text);
        }
    }
}
