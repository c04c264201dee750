//! The masking pass: every span of a text that output must never show, reported
//! or not. Depends only on `span` and the rest of `secrets`.
//!
//! [`Scanner::scan`] reports secrets; this pass is wider, because a snippet shows
//! whole lines whatever finding it is for (a parse error, a neighbouring key):
//! - every scanner hit;
//! - every value assigned to a secret-named key (`*PASSWORD*`, `*SECRET*`, ...)
//!   that is not a reference or a placeholder (`changeme`), whatever its shape:
//!   short words (`postgres`), values with brackets, a quoted value whose quote
//!   never closes (to the end of its line), YAML block scalars (`|`, `>`: their
//!   indented lines), heredocs (`<<EOF`: to the end marker or the end of the
//!   text), and the defaults of `${VAR:-default}`;
//! - every password in a URL (`postgres://app:postgres@db`) that is not a reference.

use std::sync::LazyLock;

use aho_corasick::AhoCorasick;

use super::detectors::GENERIC_KEYWORDS;
use super::filter::is_fill_in;
use super::special::{ceil, classify_key, floor, key_around, url_password, value_start};
use super::{Scanner, SecretHit};
use crate::span::Span;

/// The farthest a quoted value is followed across lines to its closing quote.
const MAX_QUOTED: usize = 16 * 1024;
/// The most bytes a block scalar or heredoc is masked over.
const MAX_BLOCK: usize = 256 * 1024;

/// The generic keywords, and `://` for URLs, in one case-insensitive automaton.
static KEYWORDS: LazyLock<Option<AhoCorasick>> = LazyLock::new(|| {
    AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build(GENERIC_KEYWORDS.iter().map(|(k, _)| *k).chain(["://"]))
        .ok()
});

/// Forces the automaton (so a scanner is fully built before it is shared).
pub fn init() {
    LazyLock::force(&KEYWORDS);
}

impl Scanner {
    /// Every span of `text` to mask in output: the hits of [`Scanner::scan`] and
    /// the values of secret-named keys and URL passwords in any form (see the
    /// module docs). Sorted by start; spans may overlap.
    pub fn mask_spans(&self, text: &str) -> Vec<Span> {
        Self::mask_spans_with(text, &self.scan(text))
    }

    /// [`Scanner::mask_spans`] with the hits of [`Scanner::scan`] on `text` already at hand.
    pub fn mask_spans_with(text: &str, hits: &[SecretHit]) -> Vec<Span> {
        let mut spans: Vec<Span> = hits.iter().map(|h| h.span).collect();
        let Some(ac) = &*KEYWORDS else { return spans };
        let mut last_key = (usize::MAX, 0);
        for m in ac.find_iter(text) {
            if &text[m.start()..m.end()] == "://" {
                if let Some((s, e)) = url_password(text, m.start()) {
                    spans.push(Span::new(s, e));
                }
                continue;
            }
            let (ks, ke) = key_around(text, m.start(), m.len());
            if (ks, ke) == last_key {
                continue;
            }
            last_key = (ks, ke);
            if classify_key(text[ks..ke].trim_start_matches(['-', '.'])).is_none() {
                continue;
            }
            let Ok(vs) = value_start(text, ks, ke) else { continue };
            value_spans(text, ks, vs, &mut spans);
        }
        spans.sort_by_key(|s| (s.start, s.end));
        spans.dedup();
        spans
    }
}

/// The spans to mask for a value starting at `vs`, assigned to a key at `ks`.
fn value_spans(text: &str, ks: usize, vs: usize, out: &mut Vec<Span>) {
    let bytes = text.as_bytes();
    let line_end = text[vs..].find('\n').map_or(text.len(), |i| vs + i);
    let line = &text[vs..line_end];
    let push = |out: &mut Vec<Span>, s: usize, e: usize| {
        let (s, e) = (ceil(text, s), floor(text, e));
        if s < e {
            out.push(Span::new(s, e));
        }
    };
    match bytes.get(vs) {
        None | Some(b'\n' | b'\r') => {}
        Some(&q @ (b'"' | b'\'' | b'`')) => {
            let end = closing_quote(text, vs + 1, q).unwrap_or(line_end);
            let value = &text[vs + 1..end];
            if !defaults(text, vs + 1, value, out) && !is_fill_in(value, true) {
                push(out, vs + 1, end);
            }
        }
        Some(b'|' | b'>') if is_block_indicator(line) => {
            if let Some((s, e)) = indented_block(text, ks, line_end) {
                push(out, s, e);
            }
        }
        Some(b'<') if line.starts_with("<<") => {
            if let Some((s, e)) = heredoc(text, line, line_end) {
                push(out, s, e);
            }
        }
        Some(_) => {
            // an unquoted value: the rest of the line, without a trailing comment or separator
            let mut value = line;
            for marker in [" #", "\t#", " //"] {
                if let Some(i) = value.find(marker) {
                    value = &value[..i];
                }
            }
            let value = value.trim_end().trim_end_matches([',', ';', '\r']);
            if !defaults(text, vs, value, out) && !is_fill_in(value, true) {
                push(out, vs, vs + value.len());
            }
        }
    }
}

/// The end of a quoted value opened before `from`: its closing quote, across lines
/// up to [`MAX_QUOTED`] bytes (dotenv and HCL values may span lines).
fn closing_quote(text: &str, from: usize, q: u8) -> Option<usize> {
    let bytes = text.as_bytes();
    let limit = (from + MAX_QUOTED).min(bytes.len());
    let mut j = from;
    while j < limit {
        match bytes[j] {
            b'\\' if q != b'\'' => j += 2,
            c if c == q => return Some(j),
            _ => j += 1,
        }
    }
    None
}

/// The defaults of `${VAR:-default}` / `${VAR-default}` in `value` (at `at` in the
/// text) go to `out`. True when the value holds such an interpolation.
fn defaults(text: &str, at: usize, value: &str, out: &mut Vec<Span>) -> bool {
    let mut found = false;
    let mut from = 0;
    while let Some(i) = value[from..].find("${") {
        let open = from + i + 2;
        let name_end =
            value[open..].find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).map_or(value.len(), |n| open + n);
        let rest = &value[name_end..];
        let skip = if rest.starts_with(":-") {
            2
        } else if rest.starts_with('-') {
            1
        } else {
            from = name_end;
            continue;
        };
        let ds = name_end + skip;
        let de = value[ds..].find('}').map_or(value.len(), |n| ds + n);
        let default = &value[ds..de];
        if !is_fill_in(default, true) {
            out.push(Span::new(ceil(text, at + ds), floor(text, at + de)));
        }
        found = true;
        from = de;
    }
    found
}

/// `|`, `>`, `|-`, `>+2`... alone on the rest of the line (or before a comment).
fn is_block_indicator(line: &str) -> bool {
    let head = line.split(" #").next().unwrap_or("").trim_end();
    let mut chars = head.chars();
    matches!(chars.next(), Some('|' | '>')) && head.len() <= 4 && chars.all(|c| matches!(c, '+' | '-' | '1'..='9'))
}

/// The lines after `line_end` indented deeper than the key at `ks` (a YAML block
/// scalar's content), as one span from their first to their last non-blank character.
fn indented_block(text: &str, ks: usize, line_end: usize) -> Option<(usize, usize)> {
    let line_start = text[..ks].rfind('\n').map_or(0, |i| i + 1);
    let key_col = ks - line_start;
    let limit = floor(text, (line_end + MAX_BLOCK).min(text.len()));
    let mut pos = line_end + 1;
    let (mut first, mut last) = (None, None);
    while pos < limit {
        let end = text[pos..limit].find('\n').map_or(limit, |i| pos + i);
        let line = &text[pos..end];
        let content = line.trim_start_matches([' ', '\t']);
        if !content.trim().is_empty() {
            if line.len() - content.len() <= key_col {
                break;
            }
            first.get_or_insert(pos + line.len() - content.len());
            last = Some(pos + line.trim_end().len());
        }
        pos = end + 1;
    }
    Some((first?, last?))
}

/// `<<EOF`, `<<-EOF`, `<<~EOF`, `<<"EOF"` on `line` (ending at `line_end`): the body,
/// up to the line that is the marker, or to the end of the text when it never comes.
fn heredoc(text: &str, line: &str, line_end: usize) -> Option<(usize, usize)> {
    let marker = line[2..].trim_start_matches(['-', '~']).trim().trim_matches(['"', '\'']);
    if marker.is_empty() || !marker.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return None;
    }
    let start = line_end + 1;
    let limit = floor(text, (start + MAX_BLOCK).min(text.len()));
    if start >= limit {
        return None;
    }
    let mut pos = start;
    let mut end = limit;
    while pos < limit {
        let e = text[pos..limit].find('\n').map_or(limit, |i| pos + i);
        if text[pos..e].trim() == marker {
            end = pos;
            break;
        }
        pos = e + 1;
    }
    let body = text[start..end].trim_end();
    let content = body.trim_start();
    (!content.is_empty()).then_some((start + body.len() - content.len(), start + body.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn masked(text: &str) -> Vec<&str> {
        Scanner::new(Vec::new()).mask_spans(text).iter().map(|s| &text[s.range()]).collect()
    }

    #[test]
    fn values_in_every_form() {
        // (text, the spans masked)
        let cases: &[(&str, &[&str])] = &[
            ("DB_PASSWORD=postgres\n", &["postgres"]),
            ("DB_PASSWORD=\"Tq7vR2pmZ9xL4wQ8\nB=2\n", &["Tq7vR2pmZ9xL4wQ8"]),
            ("DB_PASSWORD='Tq7vR2pmZ9xL4wQ8\n", &["Tq7vR2pmZ9xL4wQ8"]),
            ("password = \"Tq7vR2pmZ9xL4wQ9\n", &["Tq7vR2pmZ9xL4wQ9"]),
            ("{\"db_password\": \"Tq7vR2pmZ9xL4wQ6\n", &["Tq7vR2pmZ9xL4wQ6"]),
            ("  password = <<EOF\nTq7vR2pmZ9xL4wQ5\n", &["Tq7vR2pmZ9xL4wQ5"]),
            ("  password = <<-EOT\n    Tq7vR2pmZ9xL4wQ5\n  EOT\nx = 1\n", &["Tq7vR2pmZ9xL4wQ5"]),
            (
                "env:\n  DB_PASSWORD: |\n    Tq7vR2pmZ9xL4wQ4\n    second-line\n  DEBUG: \"true\"\n",
                &["Tq7vR2pmZ9xL4wQ4\n    second-line"],
            ),
            ("- password: >-\n    Tq7vR2pmZ9xL4wQ3\nnext: 1\n", &["Tq7vR2pmZ9xL4wQ3"]),
            ("DB_PASSWORD=${DB_PASSWORD:-s3cr3t}\n", &["s3cr3t"]),
            ("- \"POSTGRES_PASSWORD=${PG_PASS-postgres}\"\n", &["postgres"]),
            ("MSSQL_PASSWORD=\"yourStrong(!)Password\"\n", &["yourStrong(!)Password"]),
            ("DATABASE_URL=postgres://app:postgres@db:5432/app\n", &["postgres"]),
            ("password: secret # the default\n", &["secret"]),
            // references and other keys stay visible
            ("DB_PASSWORD=${DB_PASSWORD}\n", &[]),
            ("DB_PASSWORD: ${{ secrets.DB }}\n", &[]),
            ("password = var.db_password\n", &[]),
            ("secret_name = \"prod/db/password\"\n", &[]),
            ("DB_HOST=db.internal\n", &[]),
            ("DB_PASSWORD=changeme\n", &[]),
            ("password: |\n", &[]),
            ("DATABASE_URL=postgres://app:${DB_PASSWORD}@db/app\n", &[]),
        ];
        for &(text, want) in cases {
            assert_eq!(masked(text), want, "{text:?}");
        }
    }

    #[test]
    fn spans_stay_on_char_boundaries() {
        for text in [
            "password: \"é🦀ü",
            "password: |\n  🦀🦀\n",
            "password = <<EOF\nü",
            "DB_PASSWORD=${X:-🦀}",
            "http://u:🦀@h",
            "password: 🦀 #",
        ] {
            for s in Scanner::new(Vec::new()).mask_spans(text) {
                assert!(text.get(s.range()).is_some(), "{text:?} {s:?}");
            }
        }
    }
}
