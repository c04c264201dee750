//! Value filters shared by every detector: placeholders and references, the
//! entropy/shape test for generic assignments, and a small base64 decoder.
//! Pure functions over `&str`; depends on nothing else in the crate.

use std::sync::LazyLock;

use aho_corasick::AhoCorasick;

/// Documented example credentials that are public and never real.
const KNOWN_FAKES: &[&str] = &[
    "AKIAIOSFODNN7EXAMPLE",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "sk_test_4eC39HqLyjWDarjtT1zdp7dc",
    "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
    "rk_live_4eC39HqLyjWDarjtT1zdp7dc",
    // RFC 6749 (OAuth 2.0) examples
    "czZCaGRSa3F0MzpnWDFmQmF0M2JW",
    "2YotnFZFEjr1zCsicMWpAA",
    "tGzv3JOkF0XG5Qx2TlKWIA",
    // PyJWT's documentation token ({"some": "payload"})
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzb21lIjoicGF5bG9hZCJ9.4twFt5NiznN84AWoo1d7KO1T_yoc0Z6XOpOVswacPZg",
    // jwt.io's default token
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
];

/// Whole values (lowercased) that only ever stand in for a secret.
const PLACEHOLDER_WORDS: &[&str] = &[
    "null",
    "none",
    "nil",
    "true",
    "false",
    "yes",
    "no",
    "on",
    "off",
    "undefined",
    "n/a",
    "na",
    "tbd",
    "empty",
    "value",
    "string",
    "str",
    "foo",
    "bar",
    "baz",
    "foobar",
    "required",
    "optional",
    "default",
    "unset",
    "user:pass",
    "username:password",
    // settings, not values: `PASSWORD_AUTH=enabled`, `id-token: write`, `secrets: inherit`
    "enabled",
    "disabled",
    "enable",
    "disable",
    "inherit",
    "read",
    "write",
    "readonly",
    "read-only",
    "readwrite",
    "read-write",
    "auto",
    "random",
    "generate",
    "generated",
    "manual",
    "always",
    "never",
    "plain",
    "plaintext",
];

/// Whole values (lowercased) that name a credential rather than being one (`API_KEY=key`).
/// Under a password key in a deployable config they are the password itself: a service
/// started with `POSTGRES_PASSWORD=password` has the password `password`.
const CREDENTIAL_WORDS: &[&str] =
    &["secret", "secrets", "password", "passwd", "pass", "pwd", "token", "key", "apikey", "api_key"];

/// Substrings (lowercased) that mark a placeholder wherever they occur.
const PLACEHOLDER_PARTS: &[&str] = &[
    "example",
    "dummy",
    "sample",
    "placeholder",
    "changeme",
    "change_me",
    "change-me",
    "changeit",
    "change_it",
    "change-it",
    "redacted",
    "your_",
    "your-",
    "yourkey",
    "yourtoken",
    "yoursecret",
    "yourpassword",
    "xxxx",
    "***",
    "...",
    "todo",
    "fixme",
    "replace_me",
    "replaceme",
    "replace-me",
    "insert_",
    "insert-",
    "not_a_real",
    "not-a-real",
    "notreal",
];

/// Words (lowercased) that mark a placeholder only as a whole word: `fake_key`,
/// `my-test-token`, `TestKey`, but not `latest` or `testing`.
const PLACEHOLDER_WORDS_IN_VALUE: &[&str] = &["fake", "test", "mock"];

/// Prefixes (lowercased) of references to a secret held elsewhere.
const REFERENCE_PREFIXES: &[&str] =
    &["var.", "local.", "data.", "module.", "each.", "self.", "!", "vault:", "ref+", "op://", "sm://", "secret://"];

/// Substrings (lowercased) of interpolations and references.
const REFERENCE_PARTS: &[&str] = &[
    "${",
    "{{",
    "}}",
    "%{",
    "#{",
    "$(",
    "((",
    "env(",
    "environ",
    "getenv",
    "process.env",
    "env[",
    "env.",
    "secrets.",
    "@microsoft.keyvault",
    "arn:aws:secretsmanager",
    "arn:aws:ssm",
];

/// [`PLACEHOLDER_PARTS`] and [`REFERENCE_PARTS`] in one case-insensitive automaton.
static PARTS: LazyLock<Option<AhoCorasick>> = LazyLock::new(|| {
    AhoCorasick::builder().ascii_case_insensitive(true).build(PLACEHOLDER_PARTS.iter().chain(REFERENCE_PARTS)).ok()
});

/// Forces the lazily built automaton (so a scanner is fully built before it is shared).
pub fn init() {
    LazyLock::force(&PARTS);
}

/// True when `value` is empty, a placeholder, a documented example, or a
/// reference/interpolation rather than a literal secret.
pub fn is_placeholder(value: &str) -> bool {
    placeholder(value, false)
}

/// The placeholder test of `default-credential` and of literal credentials in prod
/// files: [`is_placeholder`], except that under a password key (`password_key`) a
/// credential word (`password`, `secret`, `pass`), `test` and `example` are the
/// password itself, not a stand-in for one.
pub fn is_fill_in(value: &str, password_key: bool) -> bool {
    placeholder(value, password_key)
}

fn placeholder(value: &str, password_key: bool) -> bool {
    let value = value.trim();
    if value.is_empty() || value.starts_with('$') || KNOWN_FAKES.contains(&value) {
        return true;
    }
    let is_word = |w: &&str| w.eq_ignore_ascii_case(value);
    if value.len() <= 20
        && (PLACEHOLDER_WORDS.iter().any(is_word) || (!password_key && CREDENTIAL_WORDS.iter().any(is_word)))
    {
        return true;
    }
    if let Some(first) = value.chars().next()
        && value.chars().all(|c| c == first)
    {
        return true;
    }
    // `secret-value`, `password_here`, `api-key-string`: only words that stand for a value
    let words: Vec<&str> = value.split(['-', '_', '.', ' ']).filter(|w| !w.is_empty()).collect();
    let stand_in = |w: &&str| PLACEHOLDER_WORDS.iter().chain(&["here", "this"]).any(|p| p.eq_ignore_ascii_case(w));
    if words.len() >= 2
        && words.iter().any(stand_in)
        && words.iter().all(|w| stand_in(w) || CREDENTIAL_WORDS.iter().any(|c| c.eq_ignore_ascii_case(w)))
    {
        return true;
    }
    // under a password key `example` is the password itself: `POSTGRES_PASSWORD:
    // example` is what the official images' docs ship, and what gets deployed
    let counts = |part: &str| !(password_key && part == "example");
    let parts = if let Some(ac) = &*PARTS {
        ac.find_overlapping_iter(value)
            .any(|m| PLACEHOLDER_PARTS.get(m.pattern().as_usize()).is_none_or(|part| counts(part)))
    } else {
        let lower = value.to_ascii_lowercase();
        PLACEHOLDER_PARTS.iter().chain(REFERENCE_PARTS).any(|p| counts(p) && lower.contains(p))
    };
    if parts || REFERENCE_PREFIXES.iter().any(|p| value.get(..p.len()).is_some_and(|head| head.eq_ignore_ascii_case(p)))
    {
        return true;
    }
    if value.contains('<') && value.contains('>') {
        return true;
    }
    PLACEHOLDER_WORDS_IN_VALUE.iter().filter(|w| !(password_key && **w == "test")).any(|w| contains_word(value, w))
}

/// True when `value` is an interpolation or a reference to a secret held elsewhere
/// (`${DB_PASSWORD}`, `$TOKEN`, `{{ .Values.x }}`, `var.x`, `vault:...`), not a literal.
pub fn is_reference(value: &str) -> bool {
    let value = value.trim();
    if value.starts_with('$') {
        return true;
    }
    let lower = value.to_ascii_lowercase();
    REFERENCE_PARTS.iter().any(|p| lower.contains(p)) || REFERENCE_PREFIXES.iter().any(|p| lower.starts_with(p))
}

/// Whether `word` (lowercase ASCII) occurs in `value` as a word: not glued to
/// letters of the same word on either side (a lowercase-to-uppercase change is a
/// boundary, as in `MyTestKey`).
fn contains_word(value: &str, word: &str) -> bool {
    let bytes = value.as_bytes();
    let n = word.len();
    if bytes.len() < n {
        return false;
    }
    (0..=bytes.len() - n).any(|i| {
        if !bytes[i..i + n].eq_ignore_ascii_case(word.as_bytes()) {
            return false;
        }
        let first = bytes[i];
        let last = bytes[i + n - 1];
        let before_ok = i == 0 || {
            let b = bytes[i - 1];
            !b.is_ascii_alphabetic() || (b.is_ascii_lowercase() && first.is_ascii_uppercase())
        };
        let after_ok = i + n == bytes.len() || {
            let a = bytes[i + n];
            !a.is_ascii_alphabetic() || (a.is_ascii_uppercase() && last.is_ascii_lowercase())
        };
        before_ok && after_ok
    })
}

/// Shannon entropy of the bytes of `s`, in bits per byte.
pub fn entropy(s: &str) -> f64 {
    if s.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in s.as_bytes() {
        counts[b as usize] += 1;
    }
    let n = s.len() as f64;
    counts.iter().filter(|&&c| c > 0).map(|&c| f64::from(c) / n).map(|p| -p * p.log2()).sum()
}

/// Number of character classes (lowercase, uppercase, digit, other) in `s`.
fn char_classes(s: &str) -> u32 {
    let mut seen = [false; 4];
    for b in s.bytes() {
        let i = if b.is_ascii_lowercase() {
            0
        } else if b.is_ascii_uppercase() {
            1
        } else if b.is_ascii_digit() {
            2
        } else {
            3
        };
        seen[i] = true;
    }
    seen.iter().map(|&s| u32::from(s)).sum()
}

/// The shape test for a value assigned to a secret-looking key: long enough,
/// random enough, and not a word, number, path, URL, identifier or expression.
pub fn looks_like_secret(value: &str) -> bool {
    secret_shape(value, true)
}

/// [`looks_like_secret`] for a value known to be a literal (a string of a parse
/// tree): brackets are characters of the value, not signs of code, so
/// `Zq3(v9Lm2Rt7Wx4` passes.
pub fn looks_like_secret_literal(value: &str) -> bool {
    secret_shape(value, false)
}

fn secret_shape(value: &str, maybe_code: bool) -> bool {
    let len = value.len();
    if !(8..=512).contains(&len) || value.chars().any(char::is_whitespace) {
        return false;
    }
    let bytes = value.as_bytes();
    let path_like = value.starts_with('/')
        || value.starts_with("./")
        || value.starts_with("../")
        || value.starts_with("~/")
        || (bytes.len() > 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':' && matches!(bytes[2], b'\\' | b'/'));
    // `org/repo#path`, `team/service/key`: a lowercase path, not base64
    let lowercase_path = value.contains('/') && !value.bytes().any(|b| b.is_ascii_uppercase());
    if path_like
        || is_ciphertext(value)
        || lowercase_path
        || value.contains("://")
        || value.starts_with("-----")
        || (maybe_code && value.contains(['(', '[', '{']))
        || value.parse::<f64>().is_ok()
    {
        return false;
    }
    // snake_case, kebab-case, dotted or SCREAMING names made of words: identifiers, not secrets
    if value.bytes().all(|b| b.is_ascii_alphabetic() || matches!(b, b'_' | b'-' | b'.'))
        && value.bytes().any(|b| matches!(b, b'_' | b'-' | b'.'))
        && value.split(['_', '-', '.']).all(is_word)
    {
        return false;
    }
    let h = entropy(value);
    // letters only (`challengePassword`, `_DSAPrivateKey`): names and words unless long and random
    let letters_only = value.bytes().all(|b| b.is_ascii_alphabetic() || matches!(b, b'_' | b'-' | b'.'));
    let camel_case = letters_only
        && value.bytes().any(|b| b.is_ascii_uppercase())
        && value.bytes().any(|b| b.is_ascii_lowercase())
        && value.split(['_', '-', '.']).all(is_word);
    let random = if letters_only { !camel_case && len >= 20 && h >= 3.7 } else { char_classes(value) >= 2 && h >= 3.0 };
    random && !is_placeholder(value)
}

/// The leetspeak digits and symbols people put inside words (`P@ssw0rd`, `s3cr3t`).
fn unleet(c: u8) -> Option<u8> {
    Some(match c {
        b'0' => b'o',
        b'1' => b'i',
        b'3' => b'e',
        b'4' | b'@' => b'a',
        b'5' | b'$' => b's',
        b'7' => b't',
        _ => return None,
    })
}

/// Whether a value looks typed by a person rather than generated by a machine:
/// words and compounds (`postgres`, `somewordpress`, `laradock_gitlab`, `sonarPass`),
/// words with digits or symbols (`admin123`, `Secret2024!`), leetspeak (`P@ssw0rd`,
/// `s3cr3tt0k3n`), digits only (`123456`) and sequences (`abcd1234`, `a1b2c3d4`,
/// `qwerty`). Random strings (`Zq3v9Lm2Rt7Wx4Kp`, hex, base64, UUIDs) are not.
/// Non-ASCII text counts as typed.
pub fn looks_human_chosen(value: &str) -> bool {
    let v = value.trim();
    if v.is_empty() || v.len() > 64 {
        return false;
    }
    if !v.is_ascii() {
        return true;
    }
    if is_sequence(v) {
        return true;
    }
    let b = v.as_bytes();
    if b.iter().all(u8::is_ascii_digit) {
        return true;
    }
    if b.len() >= 16 && b.iter().all(|c| c.is_ascii_hexdigit() || *c == b'-') {
        return false;
    }
    // leetspeak inside words becomes letters: a run of at most 2 leet characters
    // with a letter on each side
    let mut chars: Vec<u8> = b.to_vec();
    let mut i = 0;
    while i < b.len() {
        if unleet(b[i]).is_some() {
            let mut j = i;
            while j < b.len() && j - i < 3 && unleet(b[j]).is_some() {
                j += 1;
            }
            let run = j - i;
            if run <= 2 && i > 0 && b[i - 1].is_ascii_alphabetic() && b.get(j).is_some_and(u8::is_ascii_alphabetic) {
                for k in i..j {
                    chars[k] = unleet(b[k]).unwrap_or(b[k]);
                }
            }
            i = j.max(i + 1);
        } else {
            i += 1;
        }
    }
    let symbols = chars.iter().filter(|c| !c.is_ascii_alphanumeric() && !matches!(c, b'_' | b'-' | b'.')).count();
    let digit_groups = chars.split(|c| !c.is_ascii_digit()).filter(|g| !g.is_empty()).count();
    let digits = chars.iter().filter(|c| c.is_ascii_digit()).count();
    if symbols > 3 || digit_groups > 2 || digits > 8 {
        return false;
    }
    let mut parts: Vec<&[u8]> = Vec::new();
    for run in chars.split(|c| !c.is_ascii_alphabetic()).filter(|r| !r.is_empty()) {
        split_camel(run, &mut parts);
    }
    let letters: usize = parts.iter().map(|p| p.len()).sum();
    if letters == 0 {
        return false;
    }
    let wordlike: usize = parts.iter().filter(|p| is_wordlike(p)).map(|p| p.len()).sum();
    let short = parts.iter().filter(|p| p.len() <= 2).count();
    // random mixed case falls apart into many short parts
    wordlike * 10 >= letters * 8 && (parts.len() <= 2 || letters * 10 >= parts.len() * 35) && short <= 2
}

/// Splits a run of letters at case changes: `sonarPass` → `sonar`, `Pass`;
/// `HTTPServer` → `HTTP`, `Server`.
fn split_camel<'a>(run: &'a [u8], out: &mut Vec<&'a [u8]>) {
    let mut start = 0;
    for i in 1..run.len() {
        let (prev, cur) = (run[i - 1], run[i]);
        let lower_to_upper = prev.is_ascii_lowercase() && cur.is_ascii_uppercase();
        let upper_run_ends =
            prev.is_ascii_uppercase() && cur.is_ascii_uppercase() && run.get(i + 1).is_some_and(u8::is_ascii_lowercase);
        if lower_to_upper || upper_run_ends {
            out.push(&run[start..i]);
            start = i;
        }
    }
    out.push(&run[start..]);
}

/// A part that could be a word: a vowel, no more than 4 consonants in a row.
fn is_wordlike(part: &[u8]) -> bool {
    let vowel = |c: &u8| matches!(c.to_ascii_lowercase(), b'a' | b'e' | b'i' | b'o' | b'u' | b'y');
    let mut run = 0;
    let mut max_run = 0;
    for c in part {
        run = if vowel(c) { 0 } else { run + 1 };
        max_run = max_run.max(run);
    }
    part.len() >= 2 && part.iter().any(vowel) && max_run <= 4
}

/// Keyboard rows people type as passwords (`qwerty`, `asdf`, `1qaz2wsx`).
const KEYBOARD_ROWS: &[&str] =
    &["qwertyuiop", "asdfghjkl", "zxcvbnm", "qwertzuiop", "azertyuiop", "1qaz2wsx", "qazwsx"];

/// Ascending runs (`abcdef123456`), interleaved ones (`a1b2c3d4`) and keyboard rows (`qwerty`).
fn is_sequence(v: &str) -> bool {
    let lower = v.to_ascii_lowercase();
    let b = lower.as_bytes();
    if b.len() < 4 {
        return false;
    }
    let ascending = |s: &[u8]| s.len() >= 3 && s.windows(2).all(|w| w[1] == w[0] + 1);
    // share of characters in ascending runs of 3 or more
    let mut covered = 0;
    let mut start = 0;
    for i in 1..=b.len() {
        if i == b.len() || b[i] != b[i - 1] + 1 {
            if i - start >= 3 {
                covered += i - start;
            }
            start = i;
        }
    }
    if covered * 4 >= b.len() * 3 {
        return true;
    }
    let letters: Vec<u8> = b.iter().copied().filter(u8::is_ascii_alphabetic).collect();
    let digits: Vec<u8> = b.iter().copied().filter(u8::is_ascii_digit).collect();
    if letters.len() + digits.len() == b.len() && ascending(&letters) && ascending(&digits) {
        return true;
    }
    let row_chars: usize = KEYBOARD_ROWS
        .iter()
        .flat_map(|row| (4..=row.len()).rev().flat_map(move |n| (0..=row.len() - n).map(move |s| &row[s..s + n])))
        .find(|run| lower.contains(*run))
        .map_or(0, str::len);
    row_chars * 2 >= b.len()
}

/// A value generated by a machine: ASCII, the shape of a secret and not typed by
/// a person. Base64 of text (a Kubernetes Secret's `data`: `cXVvYnl0ZQ==`) is
/// judged by the text it encodes.
pub fn is_machine_generated(value: &str) -> bool {
    if let Some(text) = base64_text(value) {
        return is_machine_generated(&text);
    }
    value.is_ascii() && looks_like_secret_literal(value) && !looks_human_chosen(value)
}

/// The text a strict, padded base64 value encodes, when it is printable ASCII.
fn base64_text(value: &str) -> Option<String> {
    let body = value.trim_end_matches('=');
    if value.len() < 8
        || !value.len().is_multiple_of(4)
        || value.len() - body.len() > 2
        || !body.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/'))
    {
        return None;
    }
    let bytes = base64_decode(value)?;
    (bytes.len() >= 4 && bytes.iter().all(|b| (0x20..0x7f).contains(b)))
        .then(|| String::from_utf8(bytes).ok())
        .flatten()
}

/// Strong evidence for a secret in source code, documentation and tests, where
/// dummy values abound: machine-generated, 32+ characters and 4+ bits of entropy
/// per character (real API keys and tokens; not the 20-character fakes of unit
/// tests, not hex digests).
pub fn is_strong_secret(value: &str) -> bool {
    value.len() >= 32 && entropy(value) >= 4.0 && is_machine_generated(value)
}

/// Values encrypted for committing: SOPS `ENC[...]`, Bitnami Sealed Secrets
/// (`AgA`/`AgB`... base64, hundreds of characters), AWS KMS blobs (`AQICAH...`).
fn is_ciphertext(value: &str) -> bool {
    value.starts_with("ENC[")
        || (value.len() >= 200
            && value.starts_with("Ag")
            && value.as_bytes().get(2).is_some_and(|b| b"ABCD".contains(b)))
        || (value.len() >= 100 && value.starts_with("AQICAH"))
}

/// A word as identifiers are made of: `db`, `DB`, `Password`, `dbPassword`
/// (never two capitals in a row inside mixed case, never a trailing capital).
fn is_word(segment: &str) -> bool {
    let b = segment.as_bytes();
    if b.iter().all(u8::is_ascii_uppercase) || b.iter().all(u8::is_ascii_lowercase) {
        return true;
    }
    !b.windows(2).any(|w| w[0].is_ascii_uppercase() && w[1].is_ascii_uppercase())
        && !b.last().is_some_and(u8::is_ascii_uppercase)
}

/// Decodes standard or URL-safe base64, padded or not; `None` if it is not base64.
pub fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let s = s.trim_end_matches('=');
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0u32;
    for b in s.bytes() {
        let v = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders() {
        // (value, is a placeholder)
        let cases: &[(&str, bool)] = &[
            ("", true),
            ("   ", true),
            ("changeme", true),
            ("CHANGE_ME", true),
            ("change-me-now", true),
            ("xxxxxxxxxxxx", true),
            ("ghp_XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX", true),
            ("<your-token>", true),
            ("your_api_key_here", true),
            ("my-example-key", true),
            ("dummy123", true),
            ("SAMPLE", true),
            ("placeholder", true),
            ("fake_secret_value", true),
            ("MyTestKey", true),
            ("test", true),
            ("REDACTED", true),
            ("********", true),
            ("...", true),
            ("TODO", true),
            ("null", true),
            ("None", true),
            ("true", true),
            ("${DB_PASSWORD}", true),
            ("$DB_PASSWORD", true),
            ("${{ secrets.NPM_TOKEN }}", true),
            ("{{ .Values.password }}", true),
            ("%{password}", true),
            ("var.db_password", true),
            ("local.token", true),
            ("data.vault_generic_secret.x.data", true),
            ("module.db.password", true),
            ("env(\"TOKEN\")", true),
            ("os.environ['TOKEN']", true),
            ("process.env.API_KEY", true),
            ("AKIAIOSFODNN7EXAMPLE", true),
            ("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", true),
            ("00000000", true),
            ("password", true),
            // real-looking values
            ("latest", false),
            ("attestation", false),
            ("testing123", false),
            ("Zq3v9Lm2Rt7Wx4Kp", false),
            ("AKIA0123456789ABCDEF", false),
        ];
        for &(value, expected) in cases {
            assert_eq!(is_placeholder(value), expected, "{value:?}");
        }
    }

    #[test]
    fn entropy_table() {
        let cases: &[(&str, f64)] = &[("", 0.0), ("aaaa", 0.0), ("ab", 1.0), ("abcd", 2.0), ("0123456789abcdef", 4.0)];
        for &(s, h) in cases {
            assert!((entropy(s) - h).abs() < 1e-9, "{s:?}: {}", entropy(s));
        }
    }

    #[test]
    fn secret_shape() {
        let cases: &[(&str, bool)] = &[
            ("hunter", false),
            ("hunter2", false),
            ("correcthorsebatterystaple", false),
            ("true", false),
            ("12345678901234", false),
            ("/run/secrets/db_password", false),
            ("./secrets/token.txt", false),
            ("yegor256/home#assets/crates-credentials", false),
            ("kv/data/prod/db-2", false),
            ("ENC[AES256_GCM,data:Zq3v9Lm2,iv:Rt7Wx4Kp,type:str]", false),
            ("C:\\secrets\\token", false),
            ("https://vault.internal/v1/secret", false),
            ("GITHUB_TOKEN", false),
            ("my-secret-name", false),
            ("Db-Password.Name", false),
            ("UnXgsD-Bench-tdSgoNRv", true),
            ("challengePassword", false),
            ("_DSAPrivateKey", false),
            ("Whitespace", false),
            ("EllipticCurvePrivateKey", false),
            ("kZqvWMxPtRbnLsYdHgFQ", true),
            ("2YotnFZFEjr1zCsicMWpAB", true),
            ("config.db.password", false),
            ("get_password()", false),
            ("correct horse battery staple", false),
            ("Sup3rS3cret!", true),
            ("9f8e7d6c5b4a39281706f5e4d3c2b1a0", true),
            ("p4ssW0rd-2024", true),
            ("qzmwkxjvbnrtyplsdfgh", true),
        ];
        for &(value, expected) in cases {
            assert_eq!(looks_like_secret(value), expected, "{value:?}");
        }
    }

    #[test]
    fn human_chosen_or_machine_generated() {
        // (value, typed by a person)
        let cases: &[(&str, bool)] = &[
            ("postgres", true),
            ("somewordpress", true),
            ("mysecretpassword", true),
            ("somesupersecretpassword", true),
            ("laradock_keycloak", true),
            ("sonarPass", true),
            ("testing-password", true),
            ("mysql_strong_password", true),
            ("whalehello", true),
            ("nextcloud", true),
            ("admin123", true),
            ("app123", true),
            ("root", true),
            ("HAHA", true),
            ("example_123", true),
            ("Sup3rS3cret!", true),
            ("p4ssW0rd-2024", true),
            ("P@ssw0rd", true),
            ("s3cr3tt0k3n", true),
            ("yourStrong(!)Password", true),
            ("abcd1234", true),
            ("abcdef1234567890", true),
            ("a1b2c3d4", true),
            ("qwerty123", true),
            ("123456", true),
            ("pässwörd", true),
            ("some-random-token-and-we-sure-dont-run-it-through-the-shortener", true),
            ("Zq3v9Lm2Rt7Wx4Kp", false),
            ("Tq7#vR2p!mZ9xL4w", false),
            ("kZqvWMxPtRbnLsYdHgFQ", false),
            ("qzmwkxjvbnrtyplsdfgh", false),
            ("UnXgsD-Bench-tdSgoNRv", false),
            ("2YotnFZFEjr1zCsicMWpAB", false),
            ("Ze_n8E6en622WxxSg4r8", false),
            ("xYzWabc-Ij3xlKjmoPO9", false),
            ("yrnZW46BrtBFqM7xDzE7dddd", false),
            ("kq8xz2p0mw3r", false),
            ("9f8e7d6c5b4a39281706f5e4d3c2b1a0", false),
            ("8c1b7f3e-2d4a-4b6c-9e8f-0a1b2c3d4e5f", false),
            ("dGVzdF91c2VyXzE6dGVzdF9wYXNzd29yZF8x", false),
        ];
        for &(value, expected) in cases {
            assert_eq!(looks_human_chosen(value), expected, "{value:?}");
        }
    }

    #[test]
    fn strong_evidence() {
        let cases: &[(&str, bool)] = &[
            ("kZqvWMxPtRbnLsYdHgFQ8rT2vNw5Lp9XcE", true),
            ("Ze_n8E6en622WxxSg4r8", false),
            ("c3ab8ff13720e8ad9047dd39466b3c8974e592c2fa383d4a3960714caef0c4f2", false),
            ("some-random-token-and-we-sure-dont-run-it-through-the-shortener", false),
            ("test_password_1", false),
            ("密码长度在8到128之间且需包含至少一个大写字符，一个小写字符和一个数字。", false),
        ];
        for &(value, expected) in cases {
            assert_eq!(is_strong_secret(value), expected, "{value:?}");
        }
    }

    #[test]
    fn machine_generated() {
        let cases: &[(&str, bool)] = &[
            ("Zq3v9Lm2Rt7Wx4Kp", true),
            ("postgres", false),
            // base64 of `quobyte` and of `Zq3v9Lm2Rt7Wx4Kp`: judged by what they encode
            ("cXVvYnl0ZQ==", false),
            ("WnEzdjlMbTJSdDdXeDRLcA==", true),
            ("CLI密码长度在8到128之间", false),
        ];
        for &(value, expected) in cases {
            assert_eq!(is_machine_generated(value), expected, "{value:?}");
        }
    }

    #[test]
    fn fill_in_under_password_keys() {
        // (value, fill-in under a password key, fill-in under another credential key)
        let cases: &[(&str, bool, bool)] = &[
            ("secret", false, true),
            ("password", false, true),
            ("test", false, true),
            ("changeit", true, true),
            ("changeme", true, true),
            ("example", false, true),
            ("example_123", false, true),
            ("examplepass", false, true),
            ("my-example-key", false, true),
            ("dummy", true, true),
            ("foo", true, true),
            ("${DB_PASSWORD}", true, true),
            ("<password>", true, true),
            ("postgres", false, false),
            ("secret-value", true, true),
            ("password_here", true, true),
            ("my_password", false, false),
        ];
        for &(value, password, other) in cases {
            assert_eq!(is_fill_in(value, true), password, "{value:?} under a password key");
            assert_eq!(is_fill_in(value, false), other, "{value:?}");
        }
    }

    #[test]
    fn base64_table() {
        let cases: &[(&str, Option<&[u8]>)] = &[
            ("", Some(b"")),
            ("dXNlcjpwYXNz", Some(b"user:pass")),
            ("eyJhbGciOiJIUzI1NiJ9", Some(b"{\"alg\":\"HS256\"}")),
            ("YQ==", Some(b"a")),
            ("not base64!", None),
        ];
        for &(s, expected) in cases {
            assert_eq!(base64_decode(s).as_deref(), expected, "{s:?}");
        }
    }
}
