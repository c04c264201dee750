//! What a human sees of a file around a span: a few lines, with every control
//! character made visible and long lines cut to a window around the span, plus
//! the span's real line and column. Human findings and config/policy errors are
//! drawn from such a window, never from the whole file, so drawing costs the same
//! for the 40,000th finding of a file as for the first, a 70,000-column line
//! draws like a short one, and file content cannot drive the terminal.
//!
//! Depends on `source` and `span` only.

use std::borrow::Cow;

use miette::{MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents};

use crate::source::SourceFile;
use crate::span::Span;

/// Most characters of one line shown; longer lines are cut around the span.
const MAX_LINE_CHARS: usize = 160;
/// Characters kept before the span's start when its line is cut.
const LEAD_CHARS: usize = 40;
/// Most lines a span may cover in a window; a longer span is shown by its first lines.
const MAX_SPAN_LINES: u32 = 8;

/// The lines around a span, ready to draw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    /// The file's name as shown (escaped).
    pub name: String,
    /// The shown lines, escaped and cut, each ended by `\n`.
    pub text: String,
    /// The span inside `text` (bytes).
    pub span: Span,
    /// The 1-based number of the first line of `text`.
    pub first_line: u32,
    /// The span's real start in the file: 1-based line and character column.
    pub line: u32,
    pub column: u32,
}

/// Makes every control character visible: C0 controls (tab excepted) and DEL as
/// their Unicode control pictures, C1 controls and the bidirectional-text
/// controls as U+FFFD. Every character maps to exactly one character, so
/// character columns are unchanged.
pub fn escape_char(c: char) -> char {
    match c {
        '\t' => '\t',
        '\0'..='\x1f' => char::from_u32(0x2400 + c as u32).unwrap_or('\u{fffd}'),
        '\x7f' => '\u{2421}',
        '\u{80}'..='\u{9f}'
        | '\u{200e}'
        | '\u{200f}'
        | '\u{202a}'..='\u{202e}'
        | '\u{2066}'..='\u{2069}'
        | '\u{061c}' => '\u{fffd}',
        c => c,
    }
}

/// Whether [`escape_char`] changes `c`.
fn needs_escape(c: char) -> bool {
    c != '\t' && escape_char(c) != c
}

/// `s` with every control character made visible (line breaks included), for
/// anything printed to a terminal: messages, paths, key names.
pub fn escape(s: &str) -> Cow<'_, str> {
    if s.chars().any(needs_escape) { Cow::Owned(s.chars().map(escape_char).collect()) } else { Cow::Borrowed(s) }
}

/// [`escape`] that keeps line breaks (`\n`), for multi-line help text.
pub fn escape_keep_newlines(s: &str) -> Cow<'_, str> {
    if s.chars().any(|c| c != '\n' && needs_escape(c)) {
        Cow::Owned(s.chars().map(|c| if c == '\n' { c } else { escape_char(c) }).collect())
    } else {
        Cow::Borrowed(s)
    }
}

/// One shown line: where it is in the file and in the window.
struct Shown<'a> {
    /// Byte range of the line in the file (without its line break).
    file: Span,
    text: &'a str,
    /// The characters shown: `from..to` (character indices).
    from: usize,
    to: usize,
    /// Byte offset in the window where the line's first shown character is.
    at: usize,
}

impl Shown<'_> {
    /// The window offset of file offset `offset`, which lies on this line; an
    /// offset in a cut-off part maps to the nearest shown end.
    fn map(&self, offset: u32) -> usize {
        let rel = (offset.saturating_sub(self.file.start) as usize).min(self.text.len());
        let mut at = self.at;
        for (i, (b, c)) in self.text.char_indices().enumerate() {
            if b >= rel || i >= self.to {
                break;
            }
            if i >= self.from {
                at += escape_char(c).len_utf8();
            }
        }
        at
    }
}

/// The window around `span` of `src` with `context` lines before and after.
pub fn window(src: &SourceFile, span: Span, context: u32) -> Window {
    let len = src.text.len();
    let span = Span::new((span.start as usize).min(len), (span.end as usize).min(len));
    let start = src.line_col(span.start);
    let mut end_line = src.line_col(span.end).line;
    // A span ending at the very start of a line does not cover that line.
    if end_line > start.line && src.line_span(end_line).start == span.end {
        end_line -= 1;
    }
    let last_span_line = end_line.min(start.line + MAX_SPAN_LINES - 1);
    let first = start.line.saturating_sub(context).max(1);
    let last = (last_span_line + context).min(src.line_count().max(start.line));

    let mut text = String::new();
    let mut lines = Vec::new();
    for line in first..=last {
        if line > first {
            text.push('\n');
        }
        let file = src.line_span(line);
        let line_text = src.slice(file);
        let total = line_text.chars().count();
        let from = if total > MAX_LINE_CHARS && line == start.line {
            (start.column as usize - 1).saturating_sub(LEAD_CHARS).min(total - MAX_LINE_CHARS)
        } else {
            0
        };
        let to = (from + MAX_LINE_CHARS).min(total);
        if from > 0 {
            text.push('…');
        }
        let at = text.len();
        text.extend(line_text.chars().skip(from).take(to - from).map(escape_char));
        if to < total {
            text.push('…');
        }
        lines.push((line, Shown { file, text: line_text, from, to, at }));
    }
    // A span at the very end of the last line shown still has a place to be drawn.
    text.push('\n');
    let on = |n: u32| lines.iter().find(|(l, _)| *l == n).map(|(_, s)| s);
    let shown_start = on(start.line).map_or(0, |s| s.map(span.start));
    let shown_end = if end_line == last_span_line {
        on(end_line).map_or(shown_start, |s| s.map(span.end))
    } else {
        on(last_span_line).map_or(shown_start, |s| s.map(s.file.end))
    };
    Window {
        name: escape(&src.path).into_owned(),
        text,
        span: Span::new(shown_start, shown_end.max(shown_start)),
        first_line: first,
        line: start.line,
        column: start.column,
    }
}

/// A [`Window`] as miette source code: line numbers and the header's column are
/// the file's, not the window's.
#[derive(Debug, Clone)]
pub struct WindowSource(pub Window);

impl SourceCode for WindowSource {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let w = &self.0;
        let inner = w.text.read_span(span, context_lines_before, context_lines_after)?;
        // The header's position is read with no context: give the file's column.
        let header = span.offset() == w.span.start as usize && context_lines_before == 0 && context_lines_after == 0;
        let column = if header { w.column as usize - 1 } else { inner.column() };
        let line = inner.line() + w.first_line as usize - 1;
        Ok(Box::new(MietteSpanContents::new_named(
            w.name.clone(),
            inner.data(),
            *inner.span(),
            line,
            column,
            inner.line_count(),
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn win(text: &str, start: usize, end: usize) -> Window {
        window(&SourceFile::new("f", text), Span::new(start, end), 1)
    }

    type Case<'a> = (&'a str, (usize, usize), &'a str, &'a str, u32, u32);

    #[test]
    fn windows_show_context_and_the_span() {
        // (text, span, expected window text, expected text under the span, line, column)
        let long = format!("{}DEBUG=true", " ".repeat(70_000));
        let cases: Vec<Case> = vec![
            ("a=1\nb=2\nc=3\nd=4\n", (6, 7), "a=1\nb=2\nc=3\n", "2", 2, 3),
            ("only", (0, 4), "only\n", "only", 1, 1),
            // CRLF and non-ASCII: columns count characters
            ("é=1\r\nnaïve—x=2\r\n", (17, 18), "é=1\nnaïve—x=2\n", "2", 2, 9),
            // lone CR ends a line
            ("a=1\rb=2\rc=3", (6, 7), "a=1\nb=2\nc=3\n", "2", 2, 3),
            // control characters are shown as control pictures, one column each
            ("K=\x1b]0;x\x07\n", (2, 8), "K=␛]0;x␇\n", "␛]0;x␇", 1, 3),
            // an empty span at the end of the file
            ("a=1\n", (4, 4), "a=1\n\n", "", 2, 1),
        ];
        for (text, (s, e), want, under, line, column) in cases {
            let w = win(text, s, e);
            assert_eq!(w.text, want, "{text:?}");
            assert_eq!(&w.text[w.span.range()], under, "{text:?}");
            assert_eq!((w.line, w.column), (line, column), "{text:?}");
        }
        let w = win(&long, 70_000, 70_010);
        assert!(w.text.chars().count() <= MAX_LINE_CHARS + 3, "{}", w.text.len());
        assert_eq!(&w.text[w.span.range()], "DEBUG=true");
        assert_eq!((w.line, w.column), (1, 70_001));
        assert!(w.text.starts_with('…'));
    }

    #[test]
    fn long_spans_show_their_first_lines() {
        let text: String = (0..100).map(|i| format!("line{i}")).collect::<Vec<_>>().join("\n");
        let w = win(&text, 0, text.len());
        assert_eq!(w.first_line, 1);
        assert_eq!(w.text.lines().count() as u32, MAX_SPAN_LINES + 1);
        assert!(w.text[w.span.range()].ends_with("line7"), "{:?}", &w.text[w.span.range()]);
    }

    #[test]
    fn escape_makes_controls_visible() {
        assert_eq!(escape("plain"), "plain");
        assert_eq!(escape("a\nb\x1b[2J\u{202e}c\td"), "a␊b␛[2J\u{fffd}c\td");
        assert_eq!(escape_keep_newlines("a\nb\rc"), "a\nb␍c");
    }
}
