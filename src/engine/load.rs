//! Reading one file: bytes to text (UTF-8, UTF-16, binary), the parse into the
//! document model, and the environment the file names itself.

use std::sync::Arc;

use crate::discover::FileKind;
use crate::env::{EnvQuery, EnvRules, FileEnv};
use crate::model::Document;
use crate::parse::{self, ParseError};
use crate::source::SourceFile;
use crate::span::Span;
use crate::stats::{self, Phase};

/// A read and parsed file, before any rule runs.
#[derive(Clone)]
pub struct Loaded {
    pub source: Arc<SourceFile>,
    pub kind: FileKind,
    pub doc: Option<Document>,
    pub parse_error: Option<ParseError>,
    /// What the file decides on its own (path, content).
    pub env: FileEnv,
    /// A `.tf` file's own `variable "environment"` default, for the module decision.
    pub tf_variable_env: Option<FileEnv>,
}

/// Why a file was not loaded.
pub enum NotLoaded {
    Binary,
    Large,
    /// Not a regular file (any more), or only context and not needed.
    Skipped,
    Unreadable(String),
}

/// Reads, decodes and parses a file of the repository (or the text given for it
/// on standard input).
pub fn read(
    file: &crate::repo::RepoFile,
    kind: FileKind,
    max_size: u64,
    env_rules: &EnvRules<'_>,
    config_rel: &str,
) -> Result<Loaded, NotLoaded> {
    let (abs, rel) = (&file.abs, file.rel.as_str());
    if let Some(bytes) = &file.content {
        if bytes.len() as u64 > max_size {
            return Err(NotLoaded::Large);
        }
        return text(rel, bytes.to_vec(), kind, env_rules, config_rel).ok_or(NotLoaded::Binary);
    }
    let unreadable = |e: std::io::Error| NotLoaded::Unreadable(format!("cannot read {rel}: {e}"));
    let t = stats::start();
    let bytes = read_regular(abs, max_size).map_err(|e| match e {
        ReadError::NotRegular => NotLoaded::Skipped,
        ReadError::Large => NotLoaded::Large,
        ReadError::Io(e) => unreadable(e),
    })?;
    t.stop(Phase::Read, 1, bytes.len() as u64);
    super::injected_panic("parse", rel);
    text(rel, bytes, kind, env_rules, config_rel).ok_or(NotLoaded::Binary)
}

/// The text of a regular file of at most `max_size` bytes (one open, as
/// [`read`] does), for line scans that need no parse; `None` when it is not
/// one, is too large, cannot be read or is not UTF-8.
pub fn read_text(abs: &std::path::Path, max_size: u64) -> Option<String> {
    String::from_utf8(read_regular(abs, max_size).ok()?).ok()
}

enum ReadError {
    NotRegular,
    Large,
    Io(std::io::Error),
}

/// The bytes of a regular file of at most `max_size` bytes, with one path lookup:
/// opened without following a symbolic link and without blocking (a FIFO put in
/// place since the walk is not waited on), then checked on the open file.
fn read_regular(abs: &std::path::Path, max_size: u64) -> Result<Vec<u8>, ReadError> {
    use std::io::Read;
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    #[cfg(not(unix))]
    match std::fs::symlink_metadata(abs) {
        Ok(m) if !m.is_file() => return Err(ReadError::NotRegular),
        Ok(_) => {}
        Err(e) => return Err(ReadError::Io(e)),
    }
    let file = match options.open(abs) {
        Ok(f) => f,
        #[cfg(unix)]
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => return Err(ReadError::NotRegular),
        Err(e) => return Err(ReadError::Io(e)),
    };
    let meta = file.metadata().map_err(ReadError::Io)?;
    if !meta.is_file() {
        return Err(ReadError::NotRegular);
    }
    if meta.len() > max_size {
        return Err(ReadError::Large);
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0).saturating_add(1));
    // At most one byte past the limit: a file that grew since is still refused.
    file.take(max_size.saturating_add(1)).read_to_end(&mut bytes).map_err(ReadError::Io)?;
    if bytes.len() as u64 > max_size {
        return Err(ReadError::Large);
    }
    Ok(bytes)
}

/// Decodes and parses `bytes` as the file `rel`; `None` for a binary file.
pub fn text(rel: &str, bytes: Vec<u8>, kind: FileKind, env_rules: &EnvRules<'_>, config_rel: &str) -> Option<Loaded> {
    let t = stats::start();
    let len = bytes.len() as u64;
    let (text, decode_error) = decode(bytes, kind)?;
    let source = Arc::new(SourceFile::new(rel, text));
    t.stop(Phase::Decode, 1, len);
    let t = stats::start();
    let (doc, parse_error) = match decode_error {
        Some(e) => (None, Some(e)),
        None => match parse_kind(kind, rel, &source.text) {
            Some(Ok(d)) => (Some(d), None),
            Some(Err(e)) => (None, Some(e)),
            None => (None, None),
        },
    };
    if kind.is_structured() {
        t.stop(Phase::Parse(kind), 1, len);
    }
    let t = stats::start();
    let query = EnvQuery { scan_path: rel, config_path: config_rel, repo_path: rel, kind };
    let (env, tf_variable_env) = env_rules.infer(&query, doc.as_ref(), &source);
    t.stop(Phase::Env, 1, 0);
    Some(Loaded { source, kind, doc, parse_error, env, tf_variable_env })
}

/// Parses a file of a structured kind; `None` for kinds that are not parsed.
pub fn parse_kind(kind: FileKind, path: &str, text: &str) -> Option<Result<Document, ParseError>> {
    Some(match kind {
        FileKind::Tfvars if path.ends_with(".json") => parse::yaml::parse(text),
        FileKind::Terraform | FileKind::Tfvars | FileKind::Hcl => parse::hcl::parse(text),
        FileKind::Compose | FileKind::GithubWorkflow | FileKind::GitlabCi => parse::yaml::parse(text),
        FileKind::Dotenv => parse::dotenv::parse(text),
        FileKind::Gitignore | FileKind::Other => return None,
    })
}

/// A file's bytes as text: UTF-8 (invalid bytes replaced), or UTF-16 with a
/// byte-order mark or in its ASCII shape; `None` for other files with a NUL byte
/// in their first 8 KiB. For structured kinds, invalid UTF-8 and NUL bytes are
/// also a parse error (the file is not what its name says) instead of a silent skip.
pub fn decode(bytes: Vec<u8>, kind: FileKind) -> Option<(String, Option<ParseError>)> {
    if let Some(text) = decode_utf16(&bytes) {
        return Some((text, None));
    }
    let head = &bytes[..bytes.len().min(8192)];
    if let Some(nul) = memchr::memchr(0, head) {
        if !kind.is_structured() {
            return None;
        }
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let at = String::from_utf8_lossy(&bytes[..nul]).len();
        return Some((text, Some(ParseError::new(Span::at(at), "binary content (a NUL byte) in a text format"))));
    }
    match String::from_utf8(bytes) {
        Ok(t) => Some((t, None)),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let lossy = String::from_utf8_lossy(e.as_bytes()).into_owned();
            let error = kind.is_structured().then(|| ParseError::new(Span::at(at), "invalid UTF-8"));
            Some((lossy, error))
        }
    }
}

/// UTF-16 text: a byte-order mark, or (without one) the zero bytes of ASCII text
/// in every other position of the first bytes.
fn decode_utf16(bytes: &[u8]) -> Option<String> {
    let (little, body) = match bytes {
        [0xFF, 0xFE, rest @ ..] => (true, rest),
        [0xFE, 0xFF, rest @ ..] => (false, rest),
        _ => {
            let head = &bytes[..bytes.len().min(64) & !1];
            if head.len() < 4 {
                return None;
            }
            let pairs = head.chunks_exact(2);
            if pairs.clone().all(|p| p[1] == 0 && p[0] != 0) {
                (true, bytes)
            } else if pairs.clone().all(|p| p[0] == 0 && p[1] != 0) {
                (false, bytes)
            } else {
                return None;
            }
        }
    };
    let units = body
        .chunks_exact(2)
        .map(|p| if little { u16::from_le_bytes([p[0], p[1]]) } else { u16::from_be_bytes([p[0], p[1]]) });
    Some(char::decode_utf16(units).map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoding_table() {
        let utf16le: Vec<u8> = "\u{feff}A=1\n".encode_utf16().flat_map(u16::to_le_bytes).collect();
        let utf16be_plain: Vec<u8> = "A=1\nB=2\n".encode_utf16().flat_map(u16::to_be_bytes).collect();
        // (bytes, kind, decoded text or None for binary, parse error?)
        let cases: Vec<(Vec<u8>, FileKind, Option<&str>, bool)> = vec![
            (b"A=1\n".to_vec(), FileKind::Dotenv, Some("A=1\n"), false),
            (b"caf\xe9\n".to_vec(), FileKind::Other, Some("caf\u{fffd}\n"), false),
            (b"A=caf\xe9\n".to_vec(), FileKind::Dotenv, Some("A=caf\u{fffd}\n"), true),
            (b"PK\x03\x04\0\0".to_vec(), FileKind::Other, None, false),
            (b"A=1\0\n".to_vec(), FileKind::Dotenv, Some("A=1\0\n"), true),
            (utf16le, FileKind::Dotenv, Some("A=1\n"), false),
            (utf16be_plain, FileKind::Dotenv, Some("A=1\nB=2\n"), false),
        ];
        for (bytes, kind, want, error) in cases {
            let got = decode(bytes.clone(), kind);
            assert_eq!(got.as_ref().map(|(t, _)| t.trim_start_matches('\u{feff}')), want, "{bytes:?}");
            assert_eq!(got.is_some_and(|(_, e)| e.is_some()), error, "{bytes:?}");
        }
        let mut late = vec![b'a'; 9000];
        late.push(0);
        assert!(decode(late, FileKind::Other).is_some(), "only the first 8 KiB are sniffed");
    }
}
