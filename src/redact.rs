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
    let mut bytes: Vec<u8> = text.as_bytes().to_vec();
    for span in spans {
        let Some(secret) = text.get(span.range()) else { continue };
        let keep = visible(secret);
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

/// `message` with any occurrence of any secret (or of its lines, for multi-line
/// secrets) replaced by its masked form.
pub fn redact_message(message: &str, secrets: &[&str]) -> String {
    let mut out = message.to_owned();
    for secret in secrets {
        for part in secret.lines().map(str::trim).filter(|p| p.len() >= 6) {
            if out.contains(part) {
                out = out.replace(part, &mask(part));
            }
        }
    }
    out
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
    fn messages_lose_secrets() {
        let msg = "DB_PASSWORD is \"s3cr3t-Value-99\" in prod";
        assert_eq!(redact_message(msg, &["s3cr3t-Value-99"]), "DB_PASSWORD is \"s3c****\" in prod");
        assert_eq!(redact_message("nothing here", &["s3cr3t-Value-99"]), "nothing here");
    }
}
