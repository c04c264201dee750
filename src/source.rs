//! A file's text, held once, and the one place that maps byte offsets to line/column.
//! Depends only on `span`.

use std::sync::{Arc, OnceLock};

use crate::span::Span;

/// A 1-based line and column; the column counts Unicode scalar values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct LineCol {
    pub line: u32,
    pub column: u32,
}

/// One scanned file's text and its line index (built on first use: most files
/// of a scan are only searched, never located in).
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Path relative to the scan root, with `/` separators.
    pub path: Arc<str>,
    pub text: Arc<str>,
    line_starts: OnceLock<Vec<u32>>,
}

impl SourceFile {
    pub fn new(path: impl Into<Arc<str>>, text: impl Into<Arc<str>>) -> Self {
        Self { path: path.into(), text: text.into(), line_starts: OnceLock::new() }
    }

    /// Byte offsets where lines start. A line ends at `\n`, `\r\n`, or a lone
    /// `\r` (old Mac files): the same lines that editors, YAML and the human
    /// report's snippets see.
    fn line_starts(&self) -> &[u32] {
        self.line_starts.get_or_init(|| {
            let bytes = self.text.as_bytes();
            let mut starts = vec![0u32];
            for i in memchr::memchr2_iter(b'\n', b'\r', bytes) {
                if bytes[i] == b'\n' || bytes.get(i + 1) != Some(&b'\n') {
                    starts.push(u32::try_from(i + 1).unwrap_or(u32::MAX));
                }
            }
            starts
        })
    }

    /// Whether a line is longer than `limit` bytes (without its line ending), as
    /// `longest_line() > limit` but without visiting every line: the last line
    /// end within `limit + 1` bytes of a line's start is the next start, so a
    /// step covers about `limit` bytes. Most files are shorter than the limit.
    pub fn has_line_longer_than(&self, limit: usize) -> bool {
        let bytes = self.text.as_bytes();
        let mut start = 0;
        while bytes.len() - start > limit {
            match memchr::memrchr2(b'\n', b'\r', &bytes[start..=start + limit]) {
                Some(i) => start += i + 1,
                None => return true,
            }
        }
        false
    }

    /// The length in bytes of the longest line (without its line ending).
    pub fn longest_line(&self) -> usize {
        let bytes = self.text.as_bytes();
        let mut longest = 0;
        let mut start = 0;
        for i in memchr::memchr2_iter(b'\n', b'\r', bytes) {
            longest = longest.max(i - start);
            start = i + 1;
        }
        longest.max(bytes.len() - start)
    }

    /// Line and column of a byte offset. An offset inside a multi-byte character or
    /// past the end is clamped to the nearest valid position before it.
    pub fn line_col(&self, offset: u32) -> LineCol {
        let offset = (offset as usize).min(self.text.len());
        let line_starts = self.line_starts();
        let line_idx = match line_starts.binary_search(&(offset as u32)) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = line_starts[line_idx] as usize;
        let mut end = offset;
        while !self.text.is_char_boundary(end) {
            end -= 1;
        }
        let column = self.text[start..end].chars().count() + 1;
        LineCol { line: line_idx as u32 + 1, column: column as u32 }
    }

    /// Number of lines (a trailing line break does not start a new line).
    pub fn line_count(&self) -> u32 {
        let n = self.line_starts().len() as u32;
        if self.text.ends_with('\n') || self.text.ends_with('\r') { n - 1 } else { n }.max(1)
    }

    /// The text of 1-based `line`, without its line ending (`\n` or `\r\n`).
    pub fn line_text(&self, line: u32) -> &str {
        let starts = self.line_starts();
        let Some(&start) = starts.get(line.saturating_sub(1) as usize) else {
            return "";
        };
        let end = starts.get(line as usize).map_or(self.text.len(), |&e| e as usize);
        let line = &self.text[start as usize..end];
        let line = line.strip_suffix('\n').unwrap_or(line);
        line.strip_suffix('\r').unwrap_or(line)
    }

    /// Byte span of 1-based `line`, without its line ending.
    pub fn line_span(&self, line: u32) -> Span {
        let Some(&start) = self.line_starts().get(line.saturating_sub(1) as usize) else {
            return Span::at(self.text.len());
        };
        let len = self.line_text(line).len();
        Span::new(start as usize, start as usize + len)
    }

    /// The text a span covers (empty if the span does not fall on character boundaries).
    pub fn slice(&self, span: Span) -> &str {
        self.text.get(span.range()).unwrap_or("")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longest_line_table() {
        // (text, longest line in bytes)
        let cases: &[(&str, usize)] = &[
            ("", 0),
            ("abc", 3),
            ("ab\nabcd\n", 4),
            ("abcd\r\nab", 4),
            ("a\rabc", 3),
            ("é\n", 2),
            ("x\n\n\nabcdef", 6),
        ];
        for &(text, want) in cases {
            assert_eq!(SourceFile::new("f", text).longest_line(), want, "{text:?}");
        }
    }

    #[test]
    fn line_longer_than_agrees_with_longest_line() {
        let texts = [
            "",
            "abc",
            "ab\nabcd\n",
            "abcd\r\nab",
            "a\rabc",
            "\u{e9}\n",
            "x\n\n\nabcdef",
            "abcdef\n",
            "\n\n",
            "aaaa\nbbbbbbbbb\ncc\r\ndddddd\reeeeeeeeeeee",
        ];
        for text in texts {
            let f = SourceFile::new("f", text);
            for limit in 0..16 {
                assert_eq!(f.has_line_longer_than(limit), f.longest_line() > limit, "{text:?} {limit}");
            }
        }
    }

    #[test]
    fn line_col_table() {
        // (text, offset, line, column)
        let cases: &[(&str, u32, u32, u32)] = &[
            ("abc", 0, 1, 1),
            ("abc", 2, 1, 3),
            ("abc", 3, 1, 4),
            ("a\nb", 2, 2, 1),
            ("a\r\nb", 3, 2, 1),
            ("a\r\nb", 1, 1, 2),
            // a lone CR ends a line too
            ("a\rbc", 3, 2, 2),
            ("a\r\rb", 3, 3, 1),
            // non-ASCII: é is 2 bytes, 🦀 is 4 bytes, each one column
            ("é=x", 2, 1, 2),
            ("é=x", 3, 1, 3),
            ("🦀 k\r\nKEY=v", 8, 2, 1),
            ("x🦀y", 5, 1, 3),
            // inside a multi-byte char: clamped back
            ("x🦀y", 2, 1, 2),
            // past the end: clamped
            ("ab", 99, 1, 3),
        ];
        for &(text, offset, line, column) in cases {
            let src = SourceFile::new("f", text);
            assert_eq!(src.line_col(offset), LineCol { line, column }, "{text:?} @ {offset}");
        }
    }

    #[test]
    fn line_text_strips_endings() {
        let src = SourceFile::new("f", "one\r\ntwo\nthree");
        assert_eq!(src.line_text(1), "one");
        assert_eq!(src.line_text(2), "two");
        assert_eq!(src.line_text(3), "three");
        assert_eq!(src.line_text(4), "");
        assert_eq!(src.line_count(), 3);
        assert_eq!(src.line_span(2), Span::new(5, 8));
        assert_eq!(SourceFile::new("f", "a\n").line_count(), 1);
        let cr = SourceFile::new("f", "one\rtwo\r\nthree\r");
        assert_eq!((cr.line_text(1), cr.line_text(2), cr.line_text(3)), ("one", "two", "three"));
        assert_eq!(cr.line_count(), 3);
    }
}
