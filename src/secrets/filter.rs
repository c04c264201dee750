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
    "secret",
    "secrets",
    "password",
    "passwd",
    "pass",
    "pwd",
    "token",
    "key",
    "apikey",
    "api_key",
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
];

/// Substrings (lowercased) that mark a placeholder wherever they occur.
const PLACEHOLDER_PARTS: &[&str] = &[
    "example",
    "dummy",
    "sample",
    "placeholder",
    "changeme",
    "change_me",
    "change-me",
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
    let value = value.trim();
    if value.is_empty() || value.starts_with('$') || KNOWN_FAKES.contains(&value) {
        return true;
    }
    if value.len() <= 20 && PLACEHOLDER_WORDS.iter().any(|w| w.eq_ignore_ascii_case(value)) {
        return true;
    }
    if let Some(first) = value.chars().next()
        && value.chars().all(|c| c == first)
    {
        return true;
    }
    let parts = if let Some(ac) = &*PARTS {
        ac.is_match(value)
    } else {
        let lower = value.to_ascii_lowercase();
        PLACEHOLDER_PARTS.iter().chain(REFERENCE_PARTS).any(|p| lower.contains(p))
    };
    if parts || REFERENCE_PREFIXES.iter().any(|p| value.get(..p.len()).is_some_and(|head| head.eq_ignore_ascii_case(p)))
    {
        return true;
    }
    if value.contains('<') && value.contains('>') {
        return true;
    }
    PLACEHOLDER_WORDS_IN_VALUE.iter().any(|w| contains_word(value, w))
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
        || value.contains(['(', '[', '{'])
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
