//! dotenv adapter: a hand-written, single-pass parser for `.env` files in the dialect
//! docker compose (compose-go's `dotenv` package) and python-dotenv read.
//!
//! The result is one root [`Value::Map`] spanning the whole file, with one
//! [`Entry`] per assignment in source order (duplicates kept). Every value is a
//! [`Value::String`] holding the text as compose reads it (variables such as
//! `${X}` are kept as written, not expanded); a bare `KEY` line (compose's
//! "inherit from the shell" form) gives [`Value::Null`].
//!
//! Spans are byte ranges into the original text (a leading UTF-8 BOM included):
//!
//! * key span: exactly the key token (no `export`, no whitespace, no `=`);
//! * quoted value span: the bytes between the quotes, quotes excluded;
//! * unquoted value span: the value trimmed of surrounding whitespace, before any
//!   inline comment;
//! * empty value (`KEY=`): an empty span where the value would start, after the
//!   `=` and any blanks; bare key: an empty span right after the key.
//!
//! What is accepted is what compose accepts, plus what python-dotenv accepts where
//! compose would refuse but the meaning is plain (a file either consumer reads must not
//! be a parse error). Values are what compose reads. In detail:
//!
//! * Line endings are `\n`, `\r\n`, or a lone `\r` (as python-dotenv reads files).
//!   "Blanks" are whitespace other than line breaks (spaces, tabs, NBSP, ...).
//! * `export` followed by blanks and a key is a prefix; `export=1`, `export = 1` and a
//!   lone `export` treat `export` as the key itself.
//! * A key is a run of characters other than whitespace, `=`, `:`, `#` and quotes. It
//!   may begin with a digit (`456=ABC`), and hold non-ASCII letters, `.`, `-`, `[`, `]`
//!   (compose) or other symbols such as `ProgramFiles(x86)` (python-dotenv). Blanks may
//!   surround the separator, which is `=` or, as in compose, `:` (`KEY: value`).
//!   A key alone on its line, or followed by a `#` comment, is a bare key.
//! * An unquoted value runs to the end of the line; a `#` preceded by a space starts an
//!   inline comment (compose cuts at ` #`, so `A=1\t#x` is `1\t#x` and `A=a#b` is
//!   `a#b`); trailing whitespace is trimmed. Backticks are not quotes.
//! * Single and double quotes may span lines. Inside both, a backslash keeps the next
//!   character from closing the value: `'Let\'s go'` is `Let's go`. In single quotes
//!   nothing else is decoded. In double quotes `\a \b \f \n \r \t \v \" \\ \$` and
//!   `\0` followed by three octal digits are decoded; any other escape stays as written
//!   (backslash included). Inside quotes `\r\n` becomes `\n`.
//! * After a closing quote, blanks and a `#` comment may follow; anything else on the
//!   line starts the next assignment, as compose reads it (`A="x" B=2` sets both).
//! * Errors: a key with blanks inside (`INVALID LINE`), a missing key (`=value`), a
//!   quote that is never closed.

use crate::model::{Document, Entry, Node, Value};
use crate::parse::ParseError;
use crate::span::Span;

const BOM: &str = "\u{feff}";

/// Parses dotenv text into a document with a single map root.
pub fn parse(text: &str) -> Result<Document, ParseError> {
    let mut parser = Parser { text, bytes: text.as_bytes(), pos: 0 };
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

fn is_key_char(c: char) -> bool {
    !c.is_whitespace() && !matches!(c, '=' | ':' | '#' | '"' | '\'')
}

fn quote_kind(quote: u8) -> &'static str {
    if quote == b'"' { "double-quoted" } else { "single-quoted" }
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

    fn peek_char(&self) -> Option<char> {
        self.text.get(self.pos..).and_then(|rest| rest.chars().next())
    }

    fn at_line_end(&self) -> bool {
        matches!(self.peek(), None | Some(b'\n' | b'\r'))
    }

    fn skip_blanks(&mut self) {
        while let Some(c) = self.peek_char().filter(|&c| is_blank(c)) {
            self.pos += c.len_utf8();
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
        if self.slice(key_start, key_end) == "export"
            && self.pos > key_end
            && !self.at_line_end()
            && !matches!(self.peek(), Some(b'=' | b':' | b'#'))
        {
            (key_start, key_end) = self.key(line_start, Some("after `export`"))?;
            self.skip_blanks();
        }
        let key = self.slice(key_start, key_end);
        let key_span = Span::new(key_start, key_end);

        let value = match self.peek() {
            None | Some(b'\n' | b'\r' | b'#') => {
                self.end_line();
                Node::new(Span::at(key_end), Value::Null)
            }
            Some(b'=' | b':') => {
                self.pos += 1;
                self.skip_blanks();
                match self.peek() {
                    Some(quote @ (b'"' | b'\'')) => self.quoted(quote, key)?,
                    _ => self.unquoted(),
                }
            }
            Some(_) => {
                let message = if self.peek_char().is_some_and(is_key_char) {
                    format!("a variable name cannot contain blanks: `{key}` is followed by {}", self.found(self.pos))
                } else {
                    format!("expected `=` after variable name `{key}`, found {}", self.found(self.pos))
                };
                return Err(ParseError::new(Span::at(line_start), message));
            }
        };
        Ok(Some(Entry::new(key_span, key, value)))
    }

    /// Reads a key token (see the module docs), returning its byte range.
    fn key(&mut self, line_start: usize, context: Option<&str>) -> Result<(usize, usize), ParseError> {
        let start = self.pos;
        while let Some(c) = self.peek_char().filter(|&c| is_key_char(c)) {
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

    /// An unquoted value: up to the line end or an inline ` #` comment, trimmed.
    fn unquoted(&mut self) -> Node {
        let start = self.pos;
        let line_len = self.bytes[start..].iter().position(|&b| b == b'\n' || b == b'\r');
        let line_end = line_len.map_or(self.bytes.len(), |n| start + n);
        let line = self.slice(start, line_end);
        let value = line.find(" #").map_or(line, |cut| &line[..cut]).trim_end();
        self.pos = line_end;
        self.finish_line();
        Node::new(Span::new(start, start + value.len()), Value::String(value.into()))
    }

    /// A quoted value; `self.pos` is at the opening quote.
    fn quoted(&mut self, quote: u8, key: &str) -> Result<Node, ParseError> {
        let open = self.pos;
        let start = open + 1;
        self.pos = start;
        let mut plain = true;
        loop {
            // Skip to the next byte that matters.
            let skip = self.bytes[self.pos..].iter().position(|&b| b == quote || b == b'\\' || b == b'\r');
            self.pos = skip.map_or(self.bytes.len(), |n| self.pos + n);
            match self.peek() {
                None => {
                    return Err(ParseError::new(
                        Span::at(open),
                        format!("unterminated {} value for {key}", quote_kind(quote)),
                    ));
                }
                Some(b'\\') => {
                    plain = false;
                    // The escaped character never closes the value; step over it whole.
                    self.pos += 1;
                    self.pos += self.peek_char().map_or(0, char::len_utf8);
                }
                Some(b) if b == quote => break,
                Some(b) => {
                    plain &= b != b'\r';
                    self.pos += 1;
                }
            }
        }
        let end = self.pos;
        self.pos += 1;

        // What follows the closing quote: a comment, the line end, or (as compose reads
        // it) the next assignment on the same line.
        self.skip_blanks();
        if matches!(self.peek(), None | Some(b'\n' | b'\r' | b'#')) {
            self.end_line();
        }

        let raw = self.slice(start, end);
        let value = if plain { raw.into() } else { decode(raw, quote == b'"') };
        Ok(Node::new(Span::new(start, end), Value::String(value)))
    }
}

/// Decodes a quoted value's content as compose does: `\r\n` becomes `\n`; in single
/// quotes only `\'` is decoded; in double quotes the escapes listed in the module docs.
fn decode(raw: &str, double: bool) -> Box<str> {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let Some(next) = chars.next() else {
                    out.push('\\');
                    break;
                };
                let decoded = match next {
                    '\'' if !double => Some('\''),
                    _ if !double => None,
                    'a' => Some('\u{7}'),
                    'b' => Some('\u{8}'),
                    'f' => Some('\u{c}'),
                    'n' => Some('\n'),
                    'r' => Some('\r'),
                    't' => Some('\t'),
                    'v' => Some('\u{b}'),
                    '"' | '\\' | '$' => Some(next),
                    '0' => {
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
            ("A=1\n  :X=1\n", 4, "found ':'"),
            ("\"KEY\"=1\n", 0, "found '\"'"),
            ("A=1\r\nKEY \"v\"\r\n", 5, "expected `=` after variable name `KEY`, found '\"'"),
            ("A=1\nexport \"A\"=2\n", 4, "after `export`"),
            ("A=1\nKE Y=2\n", 4, "`KE`"),
            ("A=\"abc\n", 2, "unterminated double-quoted value for A"),
            ("X=1\nB = 'abc\ndef\n", 8, "unterminated single-quoted value for B"),
            ("D=\"abc\\\"", 2, "unterminated double-quoted value for D"),
            ("D=\"abc\\", 2, "unterminated double-quoted value for D"),
            ("D='abc\\'", 2, "unterminated single-quoted value for D"),
            ("# é\nE=\"🦀", 7, "unterminated double-quoted value for E"),
            ("A=\"x\" y z\n", 6, "`y` is followed by 'z'"),
            // a unified diff named like a dotenv file
            ("diff --git a/.env b/.env\n--- a/.env\n+++ b/.env\n@@ -1 +1 @@\n-A=1\n+A=2\n", 0, "`diff`"),
            // a Jinja template
            ("{% if prod %}\nDEBUG=false\n{% endif %}\n", 0, "`{%`"),
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
