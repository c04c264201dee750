//! Detectors that need more than one regex: private key blocks, GCP service
//! accounts, Docker `auths`, credentials in URLs, generic key-name assignments,
//! and the JWT header check. Each takes the whole text and a keyword position
//! and returns byte ranges; filtering against placeholders happens here too.

use std::sync::LazyLock;

use regex::Regex;

use super::detectors::{GENERIC_IDS, GENERIC_KEYWORDS};
use super::filter::{base64_decode, entropy, is_placeholder, is_reference, looks_like_secret};

/// The largest distance searched from a keyword, in bytes (bounds the work on minified files).
const MAX_BLOCK: usize = 64 * 1024;

#[allow(clippy::unwrap_used)] // constant patterns, covered by tests
static PEM_HEADER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\A-----BEGIN ((?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?)-----").unwrap()
});
#[allow(clippy::unwrap_used)]
static GCP_TYPE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r#""type"\s*:\s*\z"#).unwrap());
#[allow(clippy::unwrap_used)]
static GCP_KEY: LazyLock<Regex> = LazyLock::new(|| Regex::new(r#""private_key"\s*:\s*"((?:[^"\\]|\\.)*)""#).unwrap());
#[allow(clippy::unwrap_used)]
static DOCKER_AUTH: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"\A"auth"\s*:\s*"([A-Za-z0-9+/]{4,}={0,2})""#).unwrap());

/// Forces the lazily compiled regexes (so a scanner is fully built before it is shared).
pub fn init() {
    super::filter::init();
    LazyLock::force(&PEM_HEADER);
    LazyLock::force(&GCP_TYPE);
    LazyLock::force(&GCP_KEY);
    LazyLock::force(&DOCKER_AUTH);
}

/// The largest char boundary `<= i`.
pub fn floor(text: &str, i: usize) -> usize {
    text.floor_char_boundary(i)
}

/// The smallest char boundary `>= i`.
pub fn ceil(text: &str, i: usize) -> usize {
    text.ceil_char_boundary(i)
}

/// A JWT's header decodes to a JSON object with an `alg`.
pub fn jwt_header_ok(token: &str) -> bool {
    let header = token.split('.').next().unwrap_or("");
    base64_decode(header)
        .and_then(|b| String::from_utf8(b).ok())
        .is_some_and(|h| h.trim_start().starts_with('{') && h.contains("\"alg\""))
}

/// A private key block starting at `pos` (`-----BEGIN `): its ID and byte range
/// from BEGIN to the end of the END line's dashes. Works across real newlines,
/// `\n` escapes and indented YAML block scalars.
/// `ends`: the offsets of every `-----END ` in `text`, ascending (found once per
/// text, so many headers without an END cost a binary search each, not a scan).
pub fn private_key(text: &str, pos: usize, ends: &[usize]) -> Option<(&'static str, usize, usize)> {
    let head = &text[pos..floor(text, (pos + 64).min(text.len()))];
    let caps = PEM_HEADER.captures(head)?;
    let label = caps.get(1)?.as_str();
    let body_start = pos + caps.get(0)?.end();
    let limit = floor(text, (body_start + MAX_BLOCK).min(text.len()));
    let end_start = *ends.get(ends.partition_point(|&e| e < body_start))?;
    if end_start + 9 > limit {
        return None;
    }
    let close_rel = text[end_start + 9..limit].find("-----")?;
    let end = end_start + 9 + close_rel + 5;
    let end_label = &text[end_start + 9..end - 5];
    if end_label.len() > 40 || end_label.contains('\n') {
        return None;
    }
    let body = &text[body_start..end_start];
    if body.contains("-----BEGIN ") {
        return None; // a header without its END; the next header owns this END
    }
    let base64 = body.replace("\\n", "").replace("\\r", "");
    let b64_chars = base64.bytes().filter(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=')).count();
    let compact: String = base64.chars().filter(|c| !c.is_whitespace() && *c != '"').collect();
    // a key's body is base64 of DER, close to 6 bits per character; a repeated
    // word (`privatekeyprivatekey...`) stands in for one
    if b64_chars < 64 || is_placeholder(&compact) || entropy(&compact) < 4.5 {
        return None;
    }
    let id = if label.starts_with("PGP") { "pgp-private-key" } else { "private-key" };
    Some((id, pos, end))
}

/// `"type": "service_account"` at `pos` (the quoted keyword): the `private_key`
/// string value of the same JSON object.
pub fn gcp_service_account(text: &str, pos: usize) -> Option<(usize, usize)> {
    let before = &text[floor(text, pos.saturating_sub(64))..pos];
    if !GCP_TYPE.is_match(before) {
        return None;
    }
    let lo = floor(text, pos.saturating_sub(MAX_BLOCK / 2));
    let hi = floor(text, (pos + MAX_BLOCK / 2).min(text.len()));
    let window = &text[lo..hi];
    // the nearest private_key to the "type" key
    let value =
        GCP_KEY.captures_iter(window).filter_map(|c| c.get(1)).min_by_key(|m| (lo + m.start()).abs_diff(pos))?;
    let v = value.as_str();
    if !v.contains("PRIVATE KEY") || is_placeholder(v) {
        return None;
    }
    let compact = v.replace("\\n", "");
    let b64 = compact.bytes().filter(u8::is_ascii_alphanumeric).count();
    (b64 >= 64).then_some((lo + value.start(), lo + value.end()))
}

/// `"auth": "<base64>"` at `pos` in a file that has `"auths"`: the base64 value,
/// when it decodes to `user:password` with a real password.
pub fn docker_auth(text: &str, pos: usize) -> Option<(usize, usize)> {
    let head = &text[pos..floor(text, (pos + 4096).min(text.len()))];
    let m = DOCKER_AUTH.captures(head)?.get(1)?;
    let decoded = String::from_utf8(base64_decode(m.as_str())?).ok()?;
    let (user, pass) = decoded.split_once(':')?;
    if user.is_empty() || pass.is_empty() || is_placeholder(pass) || is_placeholder(m.as_str()) {
        return None;
    }
    Some((pos + m.start(), pos + m.end()))
}

/// `scheme://user:pass@host` with `://` at `pos`: the password.
pub fn url_credentials(text: &str, pos: usize) -> Option<(usize, usize)> {
    let url = url_parts(text, pos)?;
    let pass = &text[url.pass.0..url.pass.1];
    if pass.len() < 3 || pass.contains(':') || is_placeholder(pass) || is_placeholder(url.userinfo) || url.doc_host {
        return None;
    }
    Some(url.pass)
}

/// `scheme://user:pass@host` with `://` at `pos`: any password that is not empty
/// or a reference, whatever its shape (`postgres://app:postgres@db`). For masking
/// and for default credentials.
pub fn url_password(text: &str, pos: usize) -> Option<(usize, usize)> {
    let url = url_parts(text, pos)?;
    let pass = &text[url.pass.0..url.pass.1];
    (!pass.is_empty() && !is_reference(pass) && !url.doc_host).then_some(url.pass)
}

/// The parts of a URL with credentials.
struct UrlParts<'a> {
    userinfo: &'a str,
    /// The password's byte range in the text.
    pass: (usize, usize),
    /// A documentation host (RFC 2606): `https://abc:123@example.com/`.
    doc_host: bool,
}

fn url_parts(text: &str, pos: usize) -> Option<UrlParts<'_>> {
    let b = text.as_bytes();
    let mut s = pos;
    while s > 0 && pos - s < 32 && (b[s - 1].is_ascii_alphanumeric() || matches!(b[s - 1], b'+' | b'.' | b'-')) {
        s -= 1;
    }
    if s == pos || !b[s].is_ascii_alphabetic() {
        return None;
    }
    let start = pos + 3;
    let mut end = start;
    while end < b.len()
        && end - start < 512
        && !b[end].is_ascii_whitespace()
        && !matches!(b[end], b'/' | b'?' | b'#' | b'"' | b'\'' | b'<' | b'>' | b'`' | b'\\' | b'|')
    {
        end += 1;
    }
    // the 512-byte cap can stop inside a multi-byte character (`http://例子...`)
    let authority = &text[start..floor(text, end)];
    let at = authority.rfind('@')?;
    let userinfo = &authority[..at];
    let colon = userinfo.find(':')?;
    let host = authority[at + 1..].split(':').next().unwrap_or("").to_ascii_lowercase();
    let host = host.trim_end_matches('.');
    let doc_host = ["example.com", "example.org", "example.net", ".example", ".invalid"]
        .iter()
        .any(|d| host == d.trim_start_matches('.') || host.ends_with(&format!(".{}", d.trim_start_matches('.'))));
    let pstart = start + colon + 1;
    Some(UrlParts { userinfo, pass: (pstart, start + at), doc_host })
}

/// Key-name words after the secret keyword that make the key a pointer or a setting
/// rather than the secret itself (`password_file`, `token_url`, `secretKeyRef`).
const NOT_SECRET_AFTER: &[&str] = &[
    "file",
    "files",
    "path",
    "paths",
    "env",
    "var",
    "variable",
    "name",
    "names",
    "ref",
    "id",
    "ids",
    "url",
    "uri",
    "endpoint",
    "type",
    "length",
    "len",
    "size",
    "count",
    "min",
    "max",
    "expiry",
    "expires",
    "expiration",
    "ttl",
    "timeout",
    "dir",
    "arn",
    "mount",
    "source",
    "hash",
    "hashed",
    "policy",
    "prefix",
    "regex",
    "pattern",
    "header",
    "field",
    "enabled",
    "required",
    "mode",
    "version",
    "rotation",
    "manager",
    "store",
    "provider",
    "location",
    "command",
    "cmd",
    "script",
    "helper",
    "method",
    "format",
    "label",
    "description",
    "desc",
    "hint",
    "selector",
    "key_ref",
    "kind",
    "template",
    "validator",
    "policies",
    "reset",
    "lifetime",
    "age",
    "strength",
    "secure",
    "scheme",
    "algorithm",
    "algo",
    "cipher",
    "digest",
    "sha",
    "sha1",
    "sha2",
    "sha256",
    "sha512",
    "md5",
    "bcrypt",
    "checksum",
    "fingerprint",
    "thumbprint",
];

/// Key-name words before the keyword that make the value a non-secret token.
/// A hash or digest of a password (`GRAYLOG_SHA256_PASSWORD`, `password_hash`) is not the password.
const NOT_SECRET_BEFORE: &[&str] = &[
    "page",
    "next",
    "continuation",
    "cursor",
    "idempotency",
    "pagination",
    "sync",
    "max",
    "min",
    "num",
    "total",
    "existing",
    "hash",
    "hashed",
    "sha1",
    "sha2",
    "sha256",
    "sha512",
    "md5",
    "bcrypt",
    "digest",
];

/// Splits an identifier into lowercase words at `_ - .` and lower-to-upper changes.
fn words(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in s.chars() {
        if matches!(c, '_' | '-' | '.') {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
            continue;
        }
        if c.is_ascii_uppercase() && prev_lower && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        cur.push(c.to_ascii_lowercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// The generic ID for a key name, or `None` when the key is not a secret's name.
pub fn classify_key(key: &str) -> Option<&'static str> {
    let kb = key.as_bytes();
    // the last keyword occurrence that stands as a word-ish part of the key
    let mut best: Option<(usize, usize, usize)> = None; // (start, end, id index)
    for s in 0..kb.len() {
        for &(kw, id) in GENERIC_KEYWORDS {
            if !kb.get(s..s + kw.len()).is_some_and(|w| w.eq_ignore_ascii_case(kw.as_bytes())) {
                continue;
            }
            let mut e = s + kw.len();
            if kb.get(e) == Some(&b's') && !kb.get(e + 1).is_some_and(u8::is_ascii_lowercase) {
                e += 1;
            }
            if !kb.get(e).is_some_and(u8::is_ascii_lowercase) {
                best = Some((s, e, id));
            }
        }
    }
    let (s, e, id) = best?;
    let after = words(&key[e..]);
    if after.iter().any(|w| NOT_SECRET_AFTER.contains(&w.as_str()))
        || words(&key[..s]).iter().any(|w| NOT_SECRET_BEFORE.contains(&w.as_str()))
    {
        return None;
    }
    // `passwordSecretKey`, `token_secret_key`: the key of a (Kubernetes) Secret that
    // holds another credential, not a secret itself; `awsSecretKey` is one
    if GENERIC_IDS[id] == "generic-secret"
        && after.first().is_some_and(|w| w == "key")
        && classify_key(&key[..s]).is_some()
    {
        return None;
    }
    Some(GENERIC_IDS[id])
}

/// The byte range of the key around a keyword at `pos..pos + len`.
pub fn key_around(text: &str, pos: usize, len: usize) -> (usize, usize) {
    let b = text.as_bytes();
    let is_key = |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.');
    let mut s = pos;
    while s > 0 && pos - s < 128 && is_key(b[s - 1]) {
        s -= 1;
    }
    let mut e = pos + len;
    while e < b.len() && e - pos < 128 && is_key(b[e]) {
        e += 1;
    }
    (s, e)
}

/// After `key:`, a type annotation followed by `=` (`password: str = "..."`,
/// `apiKey: string = '...'`): the position of the value after `=`; else `i`.
fn skip_type_annotation(bytes: &[u8], i: usize) -> usize {
    if !bytes.get(i).is_some_and(|&b| b.is_ascii_alphabetic() || b == b'&') {
        return i;
    }
    let mut j = i;
    while j < bytes.len()
        && j - i < 64
        && (bytes[j].is_ascii_alphanumeric()
            || matches!(
                bytes[j],
                b'_' | b'.' | b'&' | b'\'' | b'<' | b'>' | b'[' | b']' | b',' | b'?' | b'|' | b':' | b' '
            ))
    {
        j += 1;
    }
    // ` = ` with a space: `secret: QmFzZTY0==` is base64, not an annotation
    if bytes.get(j) != Some(&b'=') || bytes[j - 1] != b' ' || matches!(bytes.get(j + 1), Some(b'=' | b'>')) {
        return i;
    }
    j += 1;
    while j < bytes.len() && matches!(bytes[j], b' ' | b'\t') {
        j += 1;
    }
    j
}

/// `machine host login user password <value>` (`.netrc`): the value after `password`.
fn netrc_password(text: &str, ks: usize, ke: usize) -> Option<(&'static str, usize, usize)> {
    let bytes = text.as_bytes();
    if !text[ks..ke].eq_ignore_ascii_case("password") || !matches!(bytes.get(ke), Some(b' ' | b'\t')) {
        return None;
    }
    let lo = floor(text, ks.saturating_sub(512));
    let line_start = text[lo..ks].rfind('\n').map_or(lo, |i| lo + i + 1);
    let before = &text[line_start..ks];
    if !(before.contains("machine ") || before.contains("default ")) || !before.contains("login ") {
        return None;
    }
    let vs = ke + text[ke..].len() - text[ke..].trim_start_matches([' ', '\t']).len();
    let ve = vs + text[vs..].find(|c: char| c.is_whitespace()).unwrap_or(text.len() - vs);
    let value = &text[vs..ve];
    let literal = !value.contains(['{', '(', '[', '<', '\'', '"']);
    (value.len() >= 6 && literal && !is_placeholder(value)).then_some(("generic-password", vs, ve))
}

/// Where the value assigned to the key `text[ks..ke]` starts: after the closing
/// quote of a quoted key, the operator (`=`, `:`, `=>`, `:=`), blanks and a type
/// annotation (`password: str = ...`). `Err(true)` when no operator follows the key
/// (a `.netrc` line may), `Err(false)` when the key is no key (`==`, `::`, inside a URL).
pub fn value_start(text: &str, ks: usize, ke: usize) -> Result<usize, bool> {
    let bytes = text.as_bytes();
    // a key inside a URL (`https://token.internal:8080/`, `/secret/path`) is no key
    if ks > 0 && matches!(bytes[ks - 1], b'/' | b'@' | b'\\') {
        return Err(false);
    }
    let mut i = ke;
    let key_quoted = i < bytes.len() && matches!(bytes[i], b'"' | b'\'' | b'`');
    if key_quoted {
        i += 1;
    }
    while i < bytes.len() && matches!(bytes[i], b' ' | b'\t') {
        i += 1;
    }
    let rest = &bytes[i..];
    let op = if rest.starts_with(b"=>") || rest.starts_with(b":=") {
        2
    } else if rest.starts_with(b"==") || rest.starts_with(b"::") {
        return Err(false);
    } else if rest.first() == Some(&b'=') {
        1
    } else if rest.first() == Some(&b':') {
        // `key: value` needs the space (YAML) unless the key or the value is quoted (JSON, JS)
        let next = rest.get(1).copied().unwrap_or(b'\n');
        if !key_quoted && !matches!(next, b' ' | b'\t' | b'"' | b'\'') {
            return Err(false);
        }
        1
    } else {
        return Err(true);
    };
    let colon = rest.first() == Some(&b':');
    i += op;
    while i < bytes.len() && matches!(bytes[i], b' ' | b'\t') {
        i += 1;
    }
    if colon {
        i = skip_type_annotation(bytes, i);
    }
    Ok(i)
}

/// A generic assignment whose key is `text[ks..ke]`: `(id, value start, value end)`.
pub fn generic_assignment(text: &str, ks: usize, ke: usize) -> Option<(&'static str, usize, usize)> {
    let bytes = text.as_bytes();
    let i = match value_start(text, ks, ke) {
        Ok(i) => i,
        Err(true) => return netrc_password(text, ks, ke),
        Err(false) => return None,
    };
    let (vs, ve) = match bytes.get(i) {
        Some(&q @ (b'"' | b'\'' | b'`')) => {
            let vs = i + 1;
            let mut j = vs;
            loop {
                match bytes.get(j) {
                    None | Some(b'\n') => return None,
                    Some(b'\\') => j += 2,
                    Some(&c) if c == q => break,
                    Some(_) => j += 1,
                }
            }
            (vs, j)
        }
        Some(_) => {
            let mut j = i;
            while j < bytes.len()
                && !bytes[j].is_ascii_whitespace()
                && !matches!(bytes[j], b'"' | b'\'' | b'`' | b';' | b',' | b')' | b'}' | b']' | b'&' | b'<')
            {
                j += 1;
            }
            // an unquoted value ends its line (dotenv, YAML, INI); anything after it
            // (`token: Type,`, `x = ident;`) means code, not a literal
            let line_end = memchr::memchr(b'\n', &bytes[j..]).map_or(bytes.len(), |k| j + k);
            let rest_of_line = text[j..line_end].trim();
            if !(rest_of_line.is_empty() || rest_of_line.starts_with('#') || rest_of_line.starts_with("//")) {
                return None;
            }
            (i, j)
        }
        None => return None,
    };
    // cheap rejections first: most keyword hits in code are not assignments of long literals
    if ve < vs + 8 {
        return None;
    }
    let value = text.get(vs..ve)?;
    let id = classify_key(text[ks..ke].trim_start_matches(['-', '.']))?;
    looks_like_secret(value).then_some((id, vs, ve))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classify_key_table() {
        let cases: &[(&str, Option<&str>)] = &[
            ("DB_PASSWORD", Some("generic-password")),
            ("dbPassword", Some("generic-password")),
            ("client-secret", Some("generic-secret")),
            ("aws_secret_access_key", Some("generic-secret")),
            ("GITHUB_TOKEN", Some("generic-token")),
            ("accessToken", Some("generic-token")),
            ("x-api-key", Some("generic-api-key")),
            ("apiKey", Some("generic-api-key")),
            ("PRIVATE_KEY", Some("generic-private-key")),
            ("privateKey", Some("generic-private-key")),
            ("GOOGLE_APPLICATION_CREDENTIALS_JSON", Some("generic-credentials")),
            ("secret_token", Some("generic-token")),
            ("passwords", Some("generic-password")),
            ("password_file", None),
            ("token_env", None),
            ("secretKeyRef", None),
            ("secret_name", None),
            ("tokenizer", None),
            ("secretary", None),
            ("passwordless", None),
            ("max_tokens", None),
            ("nextPageToken", None),
            ("api_key_id", None),
            ("MAILU_PASSWORD_SCHEME", None),
            ("global.auth.instanceAdmin.passwordSecretKey", None),
            ("existingSecret", None),
            ("awsSecretKey", Some("generic-secret")),
            ("SECRET_KEY", Some("generic-secret")),
            ("GRAYLOG_SHA256_PASSWORD", None),
            ("password_sha2", None),
            ("hashed_password", None),
        ];
        for &(key, expected) in cases {
            assert_eq!(classify_key(key), expected, "{key:?}");
        }
    }

    #[test]
    fn generic_assignment_table() {
        // (line, expected value)
        let cases: &[(&str, Option<&str>)] = &[
            ("DB_PASSWORD=Zq3v9Lm2Rt7Wx4Kp", Some("Zq3v9Lm2Rt7Wx4Kp")),
            ("export API_TOKEN='Zq3v9Lm2Rt7Wx4Kp'", Some("Zq3v9Lm2Rt7Wx4Kp")),
            ("  password: \"Zq3v9Lm2Rt7Wx4Kp\"", Some("Zq3v9Lm2Rt7Wx4Kp")),
            ("{\"clientSecret\": \"Zq3v9Lm2Rt7Wx4Kp\"}", Some("Zq3v9Lm2Rt7Wx4Kp")),
            ("db_password = \"Zq3v9Lm2Rt7Wx4Kp\"", Some("Zq3v9Lm2Rt7Wx4Kp")),
            ("token := \"Zq3v9Lm2Rt7Wx4Kp\"", Some("Zq3v9Lm2Rt7Wx4Kp")),
            (":api_key => 'Zq3v9Lm2Rt7Wx4Kp'", Some("Zq3v9Lm2Rt7Wx4Kp")),
            ("password: hunter", None),
            ("password: ${DB_PASSWORD}", None),
            ("password = var.db_password", None),
            ("password_file: /run/secrets/db", None),
            ("token_env: GH_TOKEN", None),
            ("if token == \"Zq3v9Lm2Rt7Wx4Kp\"", None),
            ("token = lexer.next_token()", None),
            ("password: true", None),
            ("password:", None),
            ("secret: \"unterminated", None),
            ("TOKEN_URL=https://token.internal:20678/v1", None),
            ("https://token.internal:20678/v1/abcdefgh", None),
            ("{\"token\":\"Zq3v9Lm2Rt7Wx4Kp\"}", Some("Zq3v9Lm2Rt7Wx4Kp")),
            ("{token:'Zq3v9Lm2Rt7Wx4Kp'}", Some("Zq3v9Lm2Rt7Wx4Kp")),
            ("token:Zq3v9Lm2Rt7Wx4Kp", None),
            ("fn check(password: &str, hash: &str)", None),
            ("    token: BinaryOpToken,", None),
            ("pub const X_SECRET: _bindgen_ty_3 = _bindgen_ty_3::X;", None),
            ("let token = Zq3v9Lm2Rt7Wx4Kp;", None),
            ("    password: str = \"Zq3v9Lm2Rt7Wx4Kp\"", Some("Zq3v9Lm2Rt7Wx4Kp")),
            ("const apiKey: string = 'Zq3v9Lm2Rt7Wx4Kp';", Some("Zq3v9Lm2Rt7Wx4Kp")),
            ("let token: &'static str = \"Zq3v9Lm2Rt7Wx4Kp\";", Some("Zq3v9Lm2Rt7Wx4Kp")),
            ("password: str = get_password()", None),
            ("secret: Zq3v9Lm2Rt7Wx4Kp==", Some("Zq3v9Lm2Rt7Wx4Kp==")),
            ("secret: Zq3v9Lm2Rt7Wx4Kp=", Some("Zq3v9Lm2Rt7Wx4Kp=")),
            ("machine api.heroku.com login ops@envlint.dev password Zq3v9Lm2", Some("Zq3v9Lm2")),
            ("machine github.com login x password ${GH}", None),
            ("the password is required", None),
            ("return f'machine {h} login {u} password {self.password}'", None),
            ("API_KEY=Zq3v9Lm2Rt7Wx4Kp # rotated 2024-01", Some("Zq3v9Lm2Rt7Wx4Kp")),
        ];
        for &(line, expected) in cases {
            let lower = line.to_ascii_lowercase();
            let pos = GENERIC_KEYWORDS.iter().filter_map(|(kw, _)| lower.find(kw)).min().unwrap_or(0);
            let (ks, ke) = key_around(line, pos, 1);
            let got = generic_assignment(line, ks, ke).map(|(_, s, e)| &line[s..e]);
            assert_eq!(got, expected, "{line:?}");
        }
    }

    #[test]
    fn url_credentials_table() {
        let cases: &[(&str, Option<&str>)] = &[
            ("postgres://app:Zq3v9Lm2@db.internal:5432/app", Some("Zq3v9Lm2")),
            ("redis://:s3cr3tV4lue@cache:6379", Some("s3cr3tV4lue")),
            ("https://user:p@ss@host/x", Some("p@ss")),
            ("https://user:${PASS}@host", None),
            ("https://user:password@host", None),
            ("mongodb+srv://<user>:<password>@cluster0", None),
            ("https://example.com:8080/path", None),
            ("https://user@host", None),
            ("cvs://:pserver:anoncvs@sources.redhat.com:/cvs/src", None),
            ("https://abc:xyz123@example.com/", None),
            ("https://abc:xyz123@api.example.org/", None),
            ("https://abc:xyz123@host.example/", None),
            ("https://abc:xyz123@example.community/", Some("xyz123")),
        ];
        for &(text, expected) in cases {
            let pos = text.find("://").unwrap_or(0);
            assert_eq!(url_credentials(text, pos).map(|(s, e)| &text[s..e]), expected, "{text:?}");
        }
    }
}
