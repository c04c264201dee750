//! dotenv adapter: a hand-written, single-pass parser for `.env` files in the dialects
//! docker compose (compose-go's `dotenv` package) and python-dotenv read.
//!
//! The result is one root [`Value::Map`] spanning the whole file, with one
//! [`Entry`] per assignment in source order (duplicates kept). Every value is a
//! [`Value::String`] holding the text as the consumer reads it (variables such as
//! `${X}` are kept as written, not expanded); a bare `KEY` line ("inherit from the
//! shell" in compose) gives [`Value::Null`].
//!
//! Spans are byte ranges into the original text (a leading UTF-8 BOM included):
//!
//! * key span: exactly the key token (no `export`, no whitespace, no `=`, no quotes);
//! * quoted value span: the bytes between the quotes, quotes excluded;
//! * unquoted value span: the value trimmed of surrounding whitespace, before any
//!   inline comment;
//! * empty value (`KEY=`): an empty span where the value would start, after the
//!   `=` and any blanks; bare key: an empty span right after the key.
//!
//! A file is accepted when docker compose or python-dotenv accepts it: it is read as
//! compose reads it, and only if compose would refuse it, as python-dotenv reads it.
//! When both refuse it, the error is compose's. In both dialects:
//!
//! * Line endings are `\n`, `\r\n`, or a lone `\r` (as python-dotenv reads files).
//!   "Blanks" are whitespace other than line breaks (spaces, tabs, NBSP, ...).
//! * `export` followed by blanks and a key is a prefix; `export=1`, `export = 1` and a
//!   lone `export` treat `export` as the key itself. A key alone on its line is a bare key.
//! * Blanks may surround the `=`. An unquoted value runs to the end of the line, where
//!   an inline comment may cut it, and is trimmed. Backticks are not quotes.
//! * Single and double quotes may span lines; inside them `\r\n` becomes `\n`.
//! * A key with blanks inside (`INVALID LINE`), a missing key (`=value`, which compose
//!   would take as an empty name) and a quote never closed are errors.
//!
//! Compose ([`Dialect::Compose`]):
//!
//! * A key is made of letters and digits (any script; it may begin with a digit, as in
//!   `456=ABC`), `_`, `.`, `-`, `[` and `]`. `:` separates like `=` (`KEY: value`).
//! * A `#` preceded by a space starts an inline comment: `A=1\t#x` is `1\t#x`, `A=a#b`
//!   is `a#b`.
//! * Inside both quotes, a backslash keeps the next character from closing the value:
//!   `'Let\'s go'` is `Let's go`. In single quotes nothing else is decoded. In double
//!   quotes `\a \b \f \n \r \t \v \" \\ \$` and `\0` followed by three octal digits are
//!   decoded; any other escape stays as written (backslash included).
//! * After a closing quote, blanks and a `#` comment may follow; anything else on the
//!   line starts the next assignment (`A="x" B=2` sets both).
//!
//! python-dotenv ([`Dialect::Python`]), for what compose refuses:
//!
//! * A key is any run of characters other than whitespace, `=` and `#`
//!   (`ProgramFiles(x86)`, `"QUOTED"`), or a single-quoted name (`'KEY'=1` is `KEY`).
//!   A bare key may be followed by a `#` comment.
//! * A `#` after any whitespace starts an inline comment.
//! * A backslash keeps only the closing quote from closing the value. Double quotes
//!   decode `\\ \' \" \a \b \f \n \r \t \v`, single quotes `\\` and `\'`.
//! * After a closing quote only blanks and a `#` comment may follow.

use crate::model::{Document, Entry, Node, Value};
use crate::parse::ParseError;
use crate::span::Span;

const BOM: &str = "\u{feff}";

/// The dotenv reading a file is parsed with (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    /// docker compose (compose-go's `dotenv` package).
    Compose,
    /// python-dotenv.
    Python,
}

/// Parses dotenv text into a document with a single map root: as docker compose reads
/// it, else as python-dotenv reads it (see the module docs).
pub fn parse(text: &str) -> Result<Document, ParseError> {
    parse_dialect(text, Dialect::Compose).or_else(|compose| parse_dialect(text, Dialect::Python).map_err(|_| compose))
}

/// Parses dotenv text as one consumer reads it.
pub fn parse_dialect(text: &str, dialect: Dialect) -> Result<Document, ParseError> {
    let mut parser = Parser { text, bytes: text.as_bytes(), pos: 0, dialect };
    if text.starts_with(BOM) {
        parser.pos = BOM.len();
    }
    let mut entries = Vec::new();
    while parser.pos < parser.bytes.len() {
        if let Some(entry) = parser.statement()? {
            entries.push(entry);
        }
    }
    Ok(Document::single(Node::new(Span::new(0, text.len()), Value::Map(entries))))
}

/// Whitespace that is not a line break.
fn is_blank(c: char) -> bool {
    c.is_whitespace() && c != '\n' && c != '\r'
}

fn quote_kind(quote: u8) -> &'static str {
    if quote == b'"' { "double-quoted" } else { "single-quoted" }
}

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    dialect: Dialect,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn peek_char(&self) -> Option<char> {
        self.text.get(self.pos..).and_then(|rest| rest.chars().next())
    }

    fn at_line_end(&self) -> bool {
        matches!(self.peek(), None | Some(b'\n' | b'\r'))
    }

    fn is_key_char(&self, c: char) -> bool {
        match self.dialect {
            Dialect::Compose => c.is_alphanumeric() || matches!(c, '_' | '.' | '-' | '[' | ']'),
            Dialect::Python => !c.is_whitespace() && c != '=' && c != '#',
        }
    }

    fn is_separator(&self, b: u8) -> bool {
        b == b'=' || (b == b':' && self.dialect == Dialect::Compose)
    }

    fn skip_blanks(&mut self) {
        while let Some(c) = self.peek_char().filter(|&c| is_blank(c)) {
            self.pos += c.len_utf8();
        }
    }

    /// Skips the rest of the line (a comment), stopping before its line ending.
    fn skip_to_line_end(&mut self) {
        let rest = self.bytes[self.pos..].iter().position(|&b| b == b'\n' || b == b'\r');
        self.pos = rest.map_or(self.bytes.len(), |n| self.pos + n);
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

    /// Skips a comment (if any) and the line ending.
    fn end_line(&mut self) {
        self.skip_to_line_end();
        self.finish_line();
    }

    /// The text between two offsets; the parser only cuts at character boundaries,
    /// so the fallback is never taken, but a bad cut must not panic.
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

    /// Parses one statement: a blank line, a comment, or an assignment (which may
    /// span lines when its value is quoted).
    fn statement(&mut self) -> Result<Option<Entry>, ParseError> {
        let line_start = self.pos;
        self.skip_blanks();
        if self.at_line_end() {
            self.finish_line();
            return Ok(None);
        }
        if self.peek() == Some(b'#') {
            self.end_line();
            return Ok(None);
        }

        let (mut key_start, mut key_end) = self.key(line_start, None)?;
        self.skip_blanks();
        if self.slice(key_start, key_end) == "export" && self.pos > key_end {
            // Both read `export` and blanks as the prefix: with nothing after it, the name
            // is missing; python-dotenv reads `export # ...` as a comment.
            if self.at_line_end() {
                return Err(ParseError::new(
                    Span::at(line_start),
                    format!("expected a variable name after `export`, found {}", self.found(self.pos)),
                ));
            }
            if self.peek() == Some(b'#') && self.dialect == Dialect::Python {
                self.end_line();
                return Ok(None);
            }
        }
        if self.slice(key_start, key_end) == "export"
            && self.pos > key_end
            && !self.at_line_end()
            && !self.peek().is_some_and(|b| self.is_separator(b) || b == b'#')
        {
            (key_start, key_end) = self.key(line_start, Some("after `export`"))?;
            self.skip_blanks();
        }
        let key = self.slice(key_start, key_end);
        let key_span = Span::new(key_start, key_end);

        let value = match self.peek() {
            None | Some(b'\n' | b'\r') => {
                self.finish_line();
                Node::new(Span::at(key_end), Value::Null)
            }
            Some(b'#') if self.dialect == Dialect::Python => {
                self.end_line();
                Node::new(Span::at(key_end), Value::Null)
            }
            Some(b) if self.is_separator(b) => {
                self.pos += 1;
                self.skip_blanks();
                match self.peek() {
                    Some(quote @ (b'"' | b'\'')) => self.quoted(quote, key)?,
                    _ => self.unquoted(),
                }
            }
            Some(_) => {
                let message = if self.peek_char().is_some_and(|c| self.is_key_char(c)) {
                    format!("a variable name cannot contain blanks: `{key}` is followed by {}", self.found(self.pos))
                } else {
                    format!("expected `=` after variable name `{key}`, found {}", self.found(self.pos))
                };
                return Err(ParseError::new(Span::at(line_start), message));
            }
        };
        Ok(Some(Entry::new(key_span, key, value)))
    }

    /// Reads a key token (see the module docs), returning its byte range (inside the
    /// quotes of a python-dotenv single-quoted name).
    fn key(&mut self, line_start: usize, context: Option<&str>) -> Result<(usize, usize), ParseError> {
        let start = self.pos;
        if self.dialect == Dialect::Python && self.peek() == Some(b'\'') {
            // As python-dotenv: a non-empty name up to the next quote, wherever it is.
            let close = self.bytes[start + 1..].iter().position(|&b| b == b'\'');
            let Some(len) = close.filter(|&len| len > 0) else {
                return Err(ParseError::new(Span::at(line_start), "unterminated single-quoted variable name"));
            };
            self.pos = start + 1 + len + 1;
            return Ok((start + 1, start + 1 + len));
        }
        while let Some(c) = self.peek_char().filter(|&c| self.is_key_char(c)) {
            self.pos += c.len_utf8();
        }
        if self.pos == start {
            let context = context.map_or(String::new(), |c| format!(" {c}"));
            return Err(ParseError::new(
                Span::at(line_start),
                format!("expected a variable name{context}, found {}", self.found(start)),
            ));
        }
        Ok((start, self.pos))
    }

    /// An unquoted value: up to the line end or an inline comment, trimmed.
    fn unquoted(&mut self) -> Node {
        let start = self.pos;
        self.skip_to_line_end();
        let line = self.slice(start, self.pos);
        let cut = match self.dialect {
            Dialect::Compose => line.find(" #"),
            Dialect::Python => {
                line.match_indices('#').map(|(i, _)| i).find(|&i| line[..i].ends_with(char::is_whitespace))
            }
        };
        let value = cut.map_or(line, |cut| &line[..cut]).trim_end();
        self.finish_line();
        Node::new(Span::new(start, start + value.len()), Value::String(value.into()))
    }

    /// A quoted value; `self.pos` is at the opening quote.
    fn quoted(&mut self, quote: u8, key: &str) -> Result<Node, ParseError> {
        let open = self.pos;
        let start = open + 1;
        self.pos = start;
        let mut plain = true;
        // python-dotenv's pattern backtracks: with no closing quote, the last escaped one
        // closes the value.
        let mut last_escaped_quote = None;
        loop {
            // Skip to the next byte that matters.
            let skip = self.bytes[self.pos..].iter().position(|&b| b == quote || b == b'\\' || b == b'\r');
            self.pos = skip.map_or(self.bytes.len(), |n| self.pos + n);
            match self.peek() {
                None => {
                    if let Some(close) = last_escaped_quote {
                        self.pos = close;
                        break;
                    }
                    return Err(ParseError::new(
                        Span::at(open),
                        format!("unterminated {} value for {key}", quote_kind(quote)),
                    ));
                }
                Some(b'\\') => {
                    plain = false;
                    self.pos += 1;
                    // Compose: the escaped character never closes the value; python-dotenv:
                    // only an escaped quote is skipped.
                    match self.dialect {
                        Dialect::Compose => self.pos += self.peek_char().map_or(0, char::len_utf8),
                        Dialect::Python if self.peek() == Some(quote) => {
                            last_escaped_quote = Some(self.pos);
                            self.pos += 1;
                        }
                        Dialect::Python => {}
                    }
                }
                Some(b) if b == quote => break,
                Some(_) => {
                    plain = false;
                    self.pos += 1;
                }
            }
        }
        let end = self.pos;
        self.pos += 1;

        // What follows the closing quote: a comment, the line end, or (compose) the next
        // assignment on the same line.
        self.skip_blanks();
        if matches!(self.peek(), None | Some(b'\n' | b'\r' | b'#')) {
            self.end_line();
        } else if self.dialect == Dialect::Python {
            return Err(ParseError::new(
                Span::at(self.pos),
                format!(
                    "unexpected {} after the closing quote of {key}; only a `#` comment may follow",
                    self.found(self.pos)
                ),
            ));
        }

        let raw = self.slice(start, end);
        let value = if plain { raw.into() } else { decode(raw, quote == b'"', self.dialect) };
        Ok(Node::new(Span::new(start, end), Value::String(value)))
    }
}

/// Decodes a quoted value's content as the dialect does (see the module docs);
/// `\r\n` becomes `\n`.
fn decode(raw: &str, double: bool, dialect: Dialect) -> Box<str> {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let Some(next) = chars.next() else {
                    out.push('\\');
                    break;
                };
                let decoded = match (next, double, dialect) {
                    ('\'', false, _) | ('\\', false, Dialect::Python) => Some(next),
                    (_, false, _) => None,
                    ('a', ..) => Some('\u{7}'),
                    ('b', ..) => Some('\u{8}'),
                    ('f', ..) => Some('\u{c}'),
                    ('n', ..) => Some('\n'),
                    ('r', ..) => Some('\r'),
                    ('t', ..) => Some('\t'),
                    ('v', ..) => Some('\u{b}'),
                    ('"' | '\\', ..) | ('$', _, Dialect::Compose) | ('\'', _, Dialect::Python) => Some(next),
                    ('0', _, Dialect::Compose) => {
                        let digits: String =
                            std::iter::from_fn(|| chars.next_if(char::is_ascii_digit)).take(3).collect();
                        match u8::from_str_radix(&digits, 8) {
                            Ok(byte) if digits.len() == 3 => out.push(char::from(byte)),
                            // As compose: the `0` is dropped, the digits stay.
                            _ => {
                                out.push('\\');
                                out.push_str(&digits);
                            }
                        }
                        continue;
                    }
                    _ => None,
                };
                if let Some(d) = decoded {
                    out.push(d);
                } else {
                    out.push('\\');
                    // A `\r\n` after the backslash folds like any other.
                    if next != '\r' || chars.peek() != Some(&'\n') {
                        out.push(next);
                    }
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

    /// (key, value (`None` = bare key))
    type KeyValues<'a> = &'a [(&'a str, Option<&'a str>)];

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

    fn check_table(cases: &[(&str, Expected)]) {
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
            // inline comments on unquoted values: a `#` after a space
            ("A=1 # note\n", &[("A", "A", Some("1"), "1")]),
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
            // double quotes: escapes, `#`, multi-line, trailing comment
            ("A=\"x # y\"  # c\n", &[("A", "A", Some("x # y"), "x # y")]),
            (
                "A=\"a\\nb\\tc\\r\\\"d\\\\e\\$f\"\n",
                &[("A", "A", Some("a\nb\tc\r\"d\\e$f"), "a\\nb\\tc\\r\\\"d\\\\e\\$f")],
            ),
            ("A=\"\\x\\u00e9\\é\\'\"\n", &[("A", "A", Some("\\x\\u00e9\\é\\'"), "\\x\\u00e9\\é\\'")]),
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
            // empty values
            (
                "A=\nB=  \nC=\"\"\nD=''\n",
                &[
                    ("A", "A", Some(""), ""),
                    ("B", "B", Some(""), ""),
                    ("C", "C", Some(""), ""),
                    ("D", "D", Some(""), ""),
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
            // non-ASCII before and inside values, NBSP is whitespace
            (
                "# é🦀日本\nA=é🦀 日本 # 🦀\nB=\"日本\n🦀\"\nC='é'\n",
                &[
                    ("A", "A", Some("é🦀 日本"), "é🦀 日本"),
                    ("B", "B", Some("日本\n🦀"), "日本\n🦀"),
                    ("C", "C", Some("é"), "é"),
                ],
            ),
            ("A=日本#x\r\nB=\u{a0}x\u{a0}\r\n", &[("A", "A", Some("日本#x"), "日本#x"), ("B", "B", Some("x"), "x")]),
        ];
        check_table(cases);
    }

    /// What docker compose (compose-go's `dotenv` parser) reads, construct by construct:
    /// (input, [(key, key text, value, value text)]). Values follow compose where
    /// python-dotenv differs (noted).
    #[test]
    fn compose_table() {
        let cases: &[(&str, Expected)] = &[
            // keys that begin with a digit, with blanks around the separator
            ("456 = ABC\n", &[("456", "456", Some("ABC"), "ABC")]),
            // non-ASCII letters, brackets in keys (compose-go's own parser test)
            (
                "a[1]=c\nárvíztűrő-TÜKÖRFÚRÓGÉP=ÁRVÍZTŰRŐ-tükörfúrógép\n",
                &[
                    ("a[1]", "a[1]", Some("c"), "c"),
                    (
                        "árvíztűrő-TÜKÖRFÚRÓGÉP",
                        "árvíztűrő-TÜKÖRFÚRÓGÉP",
                        Some("ÁRVÍZTŰRŐ-tükörfúrógép"),
                        "ÁRVÍZTŰRŐ-tükörfúrógép",
                    ),
                ],
            ),
            // `\'` inside single quotes (compose-go fixture quoted.env)
            ("OPTION_K='Let\\'s go!'\n", &[("OPTION_K", "OPTION_K", Some("Let's go!"), "Let\\'s go!")]),
            // a backslash never ends a single-quoted value and stays as written
            ("A='a\\\\b'\n", &[("A", "A", Some("a\\\\b"), "a\\\\b")]),
            ("A='C:\\dir\\'\n'", &[("A", "A", Some("C:\\dir'\n"), "C:\\dir\\'\n")]),
            // `\n` in single quotes is two characters, in double quotes a newline
            (
                "OPTION_D='\\n'\nOPTION_H=\"\\n\"\n",
                &[("OPTION_D", "OPTION_D", Some("\\n"), "\\n"), ("OPTION_H", "OPTION_H", Some("\n"), "\\n")],
            ),
            // export
            ("export OPTION_B='\\n'\n", &[("OPTION_B", "OPTION_B", Some("\\n"), "\\n")]),
            // inline comments: after a space only (python-dotenv also cuts at a tab)
            ("OPTION_H = my string # Inline comment\n", &[("OPTION_H", "OPTION_H", Some("my string"), "my string")]),
            ("A=1\t#note\n", &[("A", "A", Some("1\t#note"), "1\t#note")]),
            (
                "OPTION_I = \"echo 'asd'\" # Inline comment\n",
                &[("OPTION_I", "OPTION_I", Some("echo 'asd'"), "echo 'asd'")],
            ),
            // multi-line quoted values
            (
                "OPTION_J = 'first line\nsecond line'\nZ = \"last\"\n",
                &[
                    ("OPTION_J", "OPTION_J", Some("first line\nsecond line"), "first line\nsecond line"),
                    ("Z", "Z", Some("last"), "last"),
                ],
            ),
            // empty values, with and without blanks
            (
                "OPTION_F = \nOPTION_G=\n",
                &[("OPTION_F", "OPTION_F", Some(""), ""), ("OPTION_G", "OPTION_G", Some(""), "")],
            ),
            // yaml-style separator
            (
                "KEY: value\nURL:http://x:80\n",
                &[("KEY", "KEY", Some("value"), "value"), ("URL", "URL", Some("http://x:80"), "http://x:80")],
            ),
            // backticks are not quotes
            ("A=`x`\nB=`a # b`\n", &[("A", "A", Some("`x`"), "`x`"), ("B", "B", Some("`a"), "`a")]),
            // octal and other double-quote escapes (python-dotenv keeps `\$`, decodes `\'`)
            ("A=\"\\0101\\a\\v\\$x\\0\"\n", &[("A", "A", Some("A\u{7}\u{b}$x\\"), "\\0101\\a\\v\\$x\\0")]),
            ("A=\"\\0777\\012\"\n", &[("A", "A", Some("\\777\\12"), "\\0777\\012")]),
            // after a closing quote, the rest of the line is the next assignment
            ("A=\"x\" B=2\n", &[("A", "A", Some("x"), "x"), ("B", "B", Some("2"), "2")]),
            ("A='x'y\n", &[("A", "A", Some("x"), "x"), ("y", "y", None, "")]),
            // Windows names with parentheses (python-dotenv; compose refuses them)
            (
                "ProgramFiles(x86)\nPATH_X(1)=a\n",
                &[("ProgramFiles(x86)", "ProgramFiles(x86)", None, ""), ("PATH_X(1)", "PATH_X(1)", Some("a"), "a")],
            ),
            // other symbols python-dotenv takes in keys
            ("\u{feff}$A=1\né=2\n", &[("$A", "$A", Some("1"), "1"), ("é", "é", Some("2"), "2")]),
        ];
        check_table(cases);
    }

    /// What python-dotenv reads, for files compose refuses, and how each dialect reads
    /// the constructs where they differ: (input, compose's reading or `None` if compose
    /// refuses it, python-dotenv's reading or `None`).
    #[test]
    fn python_dotenv_reads_what_compose_refuses() {
        let cases: &[(&str, Option<KeyValues>, Option<KeyValues>)] = &[
            // bare keys with a comment, parentheses, quotes and other symbols in names
            ("BAR # c\nBAZ#c\n", None, Some(&[("BAR", None), ("BAZ", None)])),
            ("ProgramFiles(x86)\n", None, Some(&[("ProgramFiles(x86)", None)])),
            ("'KEY'=1\n\"Q\"=2\n", None, Some(&[("KEY", Some("1")), ("\"Q\"", Some("2"))])),
            // a multi-line backtick value (Node's dotenv) is lines of bare keys to both
            (
                "B=`THIS\nIS\n\"MULTILINE'S\"\nSTRING`\n",
                None,
                Some(&[("B", Some("`THIS")), ("IS", None), ("\"MULTILINE'S\"", None), ("STRING`", None)]),
            ),
            // inline comments: compose cuts at a space, python-dotenv at any whitespace
            ("A=1\t#note\n", Some(&[("A", Some("1\t#note"))]), Some(&[("A", Some("1"))])),
            // escapes
            ("A=\"a\\'b\\$c\"\n", Some(&[("A", Some("a\\'b$c"))]), Some(&[("A", Some("a'b\\$c"))])),
            ("A='a\\\\b'\n", Some(&[("A", Some("a\\\\b"))]), Some(&[("A", Some("a\\b"))])),
            // python-dotenv's quote pattern backtracks to the last escaped quote
            ("D=\"abc\\\"\n", None, Some(&[("D", Some("abc\\"))])),
            // `export` then a comment is a comment to python-dotenv
            ("export # c\nA=1\n", None, Some(&[("A", Some("1"))])),
            // compose only: `:` separator, text after a closing quote
            ("KEY: v\n", Some(&[("KEY", Some("v"))]), None),
            ("A=\"x\" y\n", Some(&[("A", Some("x")), ("y", None)]), None),
        ];
        let read = |text: &str, dialect| {
            parse_dialect(text, dialect).ok().map(|doc| {
                doc.roots[0]
                    .entries()
                    .iter()
                    .map(|e| (e.key.value.to_string(), e.value.as_str().map(str::to_owned)))
                    .collect::<Vec<_>>()
            })
        };
        let owned = |kv: Option<KeyValues>| {
            kv.map(|kv| kv.iter().map(|(k, v)| ((*k).to_owned(), v.map(str::to_owned))).collect::<Vec<_>>())
        };
        for &(text, compose, python) in cases {
            assert_eq!(read(text, Dialect::Compose), owned(compose), "compose: {text:?}");
            assert_eq!(read(text, Dialect::Python), owned(python), "python-dotenv: {text:?}");
            // `parse` reads as compose when it can, else as python-dotenv.
            let want = owned(compose).or(owned(python));
            let got = parse(text).ok().map(|doc| {
                doc.roots[0]
                    .entries()
                    .iter()
                    .map(|e| (e.key.value.to_string(), e.value.as_str().map(str::to_owned)))
                    .collect::<Vec<_>>()
            });
            assert_eq!(got, want, "{text:?}");
        }
        // a single-quoted name's span is inside the quotes
        let got = entries("'KEY'=1");
        assert_eq!(got[0].key.span, Span::new(1, 4));
    }

    /// compose-go's fixtures (`dotenv/fixtures`), as compose reads them.
    #[test]
    fn compose_fixtures() {
        let plain = "OPTION_A=1\nOPTION_B=2\nOPTION_C= 3\nOPTION_D =4\nOPTION_E = 5\n456 = ABC\nOPTION_F = \nOPTION_G=\nOPTION_H = my string # Inline comment\n";
        let quoted = "OPTION_A='1'\nOPTION_B='2'\nOPTION_C=''\nOPTION_D='\\n'\nOPTION_E=\"1\"\nOPTION_F=\"2\"\nOPTION_G=\"\"\nOPTION_H=\"\\n\"\n\
                      OPTION_I = \"echo 'asd'\" # Inline comment\nOPTION_J = 'first line\nsecond line\nthird line\nand so on'\n\
                      OPTION_K='Let\\'s go!'\nOPTION_Z = \"last value\"\n";
        let bom = format!("\u{feff}{plain}");
        let plain_values: &[(&str, Option<&str>)] = &[
            ("OPTION_A", Some("1")),
            ("OPTION_B", Some("2")),
            ("OPTION_C", Some("3")),
            ("OPTION_D", Some("4")),
            ("OPTION_E", Some("5")),
            ("456", Some("ABC")),
            ("OPTION_F", Some("")),
            ("OPTION_G", Some("")),
            ("OPTION_H", Some("my string")),
        ];
        let cases: &[(&str, KeyValues)] = &[
            (plain, plain_values),
            (&bom, plain_values),
            (
                quoted,
                &[
                    ("OPTION_A", Some("1")),
                    ("OPTION_B", Some("2")),
                    ("OPTION_C", Some("")),
                    ("OPTION_D", Some("\\n")),
                    ("OPTION_E", Some("1")),
                    ("OPTION_F", Some("2")),
                    ("OPTION_G", Some("")),
                    ("OPTION_H", Some("\n")),
                    ("OPTION_I", Some("echo 'asd'")),
                    ("OPTION_J", Some("first line\nsecond line\nthird line\nand so on")),
                    ("OPTION_K", Some("Let's go!")),
                    ("OPTION_Z", Some("last value")),
                ],
            ),
            (
                "VAR.WITH.DOTS=dots\nVAR_WITH_UNDERSCORES=underscores\nVAR-WITH-DASHES=dashes\n",
                &[
                    ("VAR.WITH.DOTS", Some("dots")),
                    ("VAR_WITH_UNDERSCORES", Some("underscores")),
                    ("VAR-WITH-DASHES", Some("dashes")),
                ],
            ),
            (
                "foo=bar\nVAR_TO_BE_LOADED_FROM_OS_ENV\nbar=baz\n",
                &[("foo", Some("bar")), ("VAR_TO_BE_LOADED_FROM_OS_ENV", None), ("bar", Some("baz"))],
            ),
            (
                "export OPTION_A='postgres://localhost:5432/database?sslmode=disable'\n\n",
                &[("OPTION_A", Some("postgres://localhost:5432/database?sslmode=disable"))],
            ),
            (
                "OPTION_A = \"some quoted phrase\"\nOPTION_D = then another one with an unquoted phrase special è char\n",
                &[
                    ("OPTION_A", Some("some quoted phrase")),
                    ("OPTION_D", Some("then another one with an unquoted phrase special è char")),
                ],
            ),
        ];
        for (text, expected) in cases {
            let got = entries(text);
            let got: Vec<(&str, Option<&str>)> = got.iter().map(|e| (&*e.key.value, e.value.as_str())).collect();
            assert_eq!(got, *expected, "{text:?}");
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
            ("A=\u{a0}\n", 0, 4),
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
            ("not a valid line\n", 0, "a variable name cannot contain blanks: `not` is followed by 'a'"),
            // compose-go's fixture invalid1.env
            (
                "# some comments\nfoo=\"\n  a\n  multine\n  value\n\"\nINVALID LINE\nzot=qix",
                46,
                "`INVALID` is followed by 'L'",
            ),
            ("=value\n", 0, "expected a variable name, found '='"),
            ("A=1\n  'X=1\n", 4, "found '\\''"),
            ("A=1\r\nKEY \"v\"\r\n", 5, "expected `=` after variable name `KEY`, found '\"'"),
            ("A=1\nexport 'A=2\n", 4, "after `export`"),
            ("A=1\nKE Y=2\n", 4, "`KE`"),
            ("A=\"abc\n", 2, "unterminated double-quoted value for A"),
            ("X=1\nB = 'abc\ndef\n", 8, "unterminated single-quoted value for B"),
            ("D=\"abc\\\"x", 2, "unterminated double-quoted value for D"),
            ("D=\"abc\\", 2, "unterminated double-quoted value for D"),
            ("D='abc\\'x", 2, "unterminated single-quoted value for D"),
            ("# é\nE=\"🦀", 7, "unterminated double-quoted value for E"),
            ("A=\"x\" y z\n", 6, "`y` is followed by 'z'"),
            // a unified diff named like a dotenv file
            ("diff --git a/.env b/.env\n--- a/.env\n+++ b/.env\n@@ -1 +1 @@\n-A=1\n+A=2\n", 0, "`diff`"),
            // a Jinja template
            ("{% if prod %}\nDEBUG=false\n{% endif %}\n", 0, "expected a variable name, found '{'"),
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

    #[test]
    fn a_50_mib_line_parses() {
        let value = "x".repeat(50 << 20);
        for text in [format!("A={value} # {value}\n"), format!("A=\"{value}\"\n")] {
            let got = entries(&text);
            assert_eq!(got.len(), 1);
            assert!(got[0].value.span.len() >= value.len());
        }
        let text = format!("A=\"{value}");
        assert_eq!(parse(&text).expect_err("unterminated").span, Span::at(2));
    }

    /// Every span of a parse result (or error) lies on character boundaries.
    fn check_spans(text: &str) {
        let in_bounds = |span: Span| text.get(span.range()).is_some();
        match parse(text) {
            Ok(doc) => {
                for entry in doc.roots.iter().flat_map(Node::entries) {
                    assert!(in_bounds(entry.key.span), "{text:?}: key span {:?}", entry.key.span);
                    assert!(in_bounds(entry.value.span), "{text:?}: value span {:?}", entry.value.span);
                    assert!(!entry.key.value.is_empty(), "{text:?}: empty key");
                }
            }
            Err(e) => assert!(in_bounds(e.span), "{text:?}: error span {:?}", e.span),
        }
    }

    #[test]
    fn never_panics_on_odd_input() {
        const PIECES: &[&str] = &[
            "A", "export", " ", "\t", "=", ":", "\"", "'", "`", "\\", "#", "\n", "\r", "\r\n", "é", "🦀", "日本",
            "\u{feff}", "\u{a0}", "\u{2028}", "$", "{", "(", "x", "1", ".", "-", "\0", "\\0", "\\01",
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
        for text in [
            "\u{feff}",
            "\\",
            "\"",
            "=",
            "\r",
            "export ",
            "export\t\"",
            "A=\"\\",
            "A=\"\\\r\n\"",
            "A=\"\\é\"",
            "A='\\🦀'",
        ] {
            check_spans(text);
        }
    }
}
