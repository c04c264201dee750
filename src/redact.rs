//! Redaction: how a secret is shown (at most its first 4 characters and a mask),
//! and masking of secret spans inside text shown to users (snippets, messages).
//! Depends only on `span`.

use crate::span::Span;

/// The visible form of a secret: up to 4 leading characters (fewer for short
/// values, never more than a quarter of it) followed by `****`.
pub fn mask(secret: &str) -> String {
    let mut out: String = secret.chars().take(visible(secret)).collect();
    out.push_str("****");
    out
}

/// How many leading characters of a secret may be shown: a quarter of it, at most 4.
fn visible(secret: &str) -> usize {
    (secret.chars().count() / 4).min(4)
}

/// `text` with every span masked: the first 4 characters of each span stay, every
/// other character becomes `*` repeated to its UTF-8 length, and line breaks stay,
/// so byte offsets and line numbers of everything else are unchanged.
pub fn mask_spans(text: &str, spans: &[Span]) -> String {
    fill_spans(text, spans, visible)
}

/// `text` with every span replaced by `*` (line breaks kept): nothing of a secret
/// is left, not even the characters [`mask`] shows. For fingerprints.
pub fn blank_spans(text: &str, spans: &[Span]) -> String {
    fill_spans(text, spans, |_| 0)
}

/// Overwrites each span with `*` after its first `keep(span text)` characters.
fn fill_spans(text: &str, spans: &[Span], keep: impl Fn(&str) -> usize) -> String {
    let mut bytes: Vec<u8> = text.as_bytes().to_vec();
    for span in spans {
        let Some(secret) = text.get(span.range()) else { continue };
        let keep = keep(secret);
        for (i, (offset, c)) in secret.char_indices().enumerate() {
            if i < keep || c == '\n' || c == '\r' {
                continue;
            }
            let at = span.start as usize + offset;
            bytes[at..at + c.len_utf8()].fill(b'*');
        }
    }
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Copies of a secret shorter than this are left alone: a human-chosen default
/// such as `postgres` is also a scheme, a user and a host name.
const MIN_COPY_LEN: usize = 12;

/// `spans` plus every other place in `text` where the text of one of them
/// ([`MIN_COPY_LEN`] bytes or more) appears.
pub fn occurrences(text: &str, spans: &[Span]) -> Vec<Span> {
    let mut out = spans.to_vec();
    let mut needles: Vec<&str> =
        spans.iter().filter_map(|s| text.get(s.range())).filter(|n| n.len() >= MIN_COPY_LEN).collect();
    needles.sort_unstable();
    needles.dedup();
    if needles.is_empty() {
        return out;
    }
    if let Ok(finder) = aho_corasick::AhoCorasick::new(&needles) {
        out.extend(finder.find_overlapping_iter(text).map(|m| Span::new(m.start(), m.end())));
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// `message` with any occurrence of any secret (or of its lines, for multi-line
/// secrets) replaced by its masked form.
pub fn redact_message(message: &str, secrets: &[&str]) -> String {
    Redactor::new(secrets).redact(message)
}

/// Replaces every occurrence of a file's secrets in texts shown to users: one
/// automaton over all of them, so redacting a message costs its length, not the
/// number of secrets in the file.
pub struct Redactor {
    finder: Option<aho_corasick::AhoCorasick>,
    masks: Vec<String>,
}

impl Redactor {
    /// A redactor for these secrets: each one, or each line of a multi-line one,
    /// of 6 or more bytes (shorter pieces are too common to replace safely).
    pub fn new(secrets: &[&str]) -> Self {
        let mut parts: Vec<&str> =
            secrets.iter().flat_map(|s| s.lines()).map(str::trim).filter(|p| p.len() >= 6).collect();
        parts.sort_unstable();
        parts.dedup();
        let masks = parts.iter().map(|p| mask(p)).collect();
        let finder = (!parts.is_empty())
            .then(|| {
                aho_corasick::AhoCorasick::builder()
                    .match_kind(aho_corasick::MatchKind::LeftmostLongest)
                    .build(&parts)
                    .ok()
            })
            .flatten();
        Self { finder, masks }
    }

    /// `text` with every secret masked.
    pub fn redact(&self, text: &str) -> String {
        match &self.finder {
            Some(f) => f.replace_all(text, &self.masks),
            None => text.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mask_shows_at_most_four_characters() {
        let cases: &[(&str, &str)] = &[
            ("AKIAABCDEFGHIJKLMNOP", "AKIA****"),
            ("hunter2!", "hu****"),
            ("abc", "****"),
            ("", "****"),
            ("pässwörd-lång-1234", "päss****"),
        ];
        for &(secret, shown) in cases {
            assert_eq!(mask(secret), shown, "{secret}");
        }
    }

    #[test]
    fn mask_spans_keeps_offsets_and_lines() {
        let text = "A=1\nKEY=\"-----BEGIN X-----\nMIIBOgIBAAJBAK\n-----END X-----\"\nB=2\n";
        let start = text.find("-----BEGIN").expect("start");
        let end = text.find("X-----\"").expect("end") + 6;
        let masked = mask_spans(text, &[Span::new(start, end)]);
        assert_eq!(masked.len(), text.len());
        assert_eq!(masked.lines().count(), text.lines().count());
        assert!(masked.starts_with("A=1\nKEY=\"----***"), "{masked}");
        assert!(!masked.contains("MIIBOgIBAAJBAK"));
        assert!(masked.ends_with("\"\nB=2\n"));
        let multibyte = "T=ééééééééé\n";
        let masked = mask_spans(multibyte, &[Span::new(2, multibyte.len() - 1)]);
        assert_eq!(masked.len(), multibyte.len());
        assert!(masked.starts_with("T=éé**"));
    }

    #[test]
    fn every_copy_of_a_secret_is_found() {
        let text = "password hunter2-Xy-4kQ\n# copy: hunter2-Xy-4kQ\nshort: postgres, postgres\n";
        let first = Span::new(9, 23);
        let word = text.find("postgres").expect("word");
        let all = occurrences(text, &[first, Span::new(word, word + 8)]);
        let shown: Vec<&str> = all.iter().map(|s| &text[s.range()]).collect();
        assert_eq!(shown, ["hunter2-Xy-4kQ", "hunter2-Xy-4kQ", "postgres"], "short words are not chased");
        assert!(!mask_spans(text, &all).contains("ter2-Xy"));
    }

    #[test]
    fn messages_lose_secrets() {
        let msg = "DB_PASSWORD is \"s3cr3t-Value-99\" in prod";
        assert_eq!(redact_message(msg, &["s3cr3t-Value-99"]), "DB_PASSWORD is \"s3c****\" in prod");
        assert_eq!(redact_message("nothing here", &["s3cr3t-Value-99"]), "nothing here");
        // overlapping secrets: the longest wins, nothing is left in clear
        let r = Redactor::new(&["abcdef123456", "abcdef123456789"]);
        assert_eq!(r.redact("x=abcdef123456789;"), "x=abc****;");
        assert_eq!(Redactor::new(&[]).redact("plain"), "plain");
    }
}
