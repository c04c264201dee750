//! Checks that provider detectors run on a matched token: checksums (GitHub's
//! CRC32, age's bech32), payloads that must decode (the base64 JSON inside
//! 1Password, Grafana, Sentry and Bedrock tokens), a randomness floor, and how far
//! a token's span reaches when a suffix is glued to it. Pure functions over
//! `&str`/bytes; depends only on `filter` and `special`.

use super::filter::{base64_decode, entropy};

/// Shannon entropy a token of this length must reach (bits per byte): random
/// tokens sit well above it, words, repeated characters and counting sequences
/// (`0123456789abcdef` repeated) mostly below.
fn entropy_floor(len: usize) -> f64 {
    match len {
        0..=15 => 2.5,
        16..=31 => 3.0,
        _ => 3.3,
    }
}

/// A prefixed provider token (prefix included) that is random enough to be real:
/// above the entropy floor, no 4 characters repeated 3 times (a counting sequence
/// `0123456789abcdef0123...`, a keyword repeated, a filler pattern), and not
/// typed by hand (`aaa_cccbbbdddooo2222`: runs of one character).
pub fn token(value: &str) -> bool {
    let b = value.as_bytes();
    let runs = triple_runs(b);
    entropy_ok(value) && !repetitive(b) && !(runs >= 2 && runs * 12 >= b.len())
}

/// A counting run: 6 or more characters each one above the last
/// (`abcdef`, `123456`, `klmnopq`), which random tokens practically never have.
fn counting(v: &[u8]) -> bool {
    v.windows(6).any(|w| w[0].is_ascii_alphanumeric() && w.windows(2).all(|p| p[1] == p[0].wrapping_add(1)))
}

/// Documented example values that are public and never real (1Password's white
/// paper secret key, the `nuget.config` reference's passwords).
const DOC_EXAMPLES: &[&str] = &[
    "A3-ASWWYB-798JRY-LJVD4-23DC2-86TVM-H43EB",
    "A3-ASWWYB-798JRYLJVD4-23DC2-86TVM-H43EB",
    "33f!!lloppa",
    "hal+9ooo_da!sY",
];

/// Not a documented example.
fn not_example(value: &str) -> bool {
    !DOC_EXAMPLES.contains(&value)
}

/// A 1Password secret key that is random and not the white paper's example.
pub fn onepassword_secret_key(value: &str) -> bool {
    not_example(value) && token(value)
}

/// A token whose random part may be letters only (`hf_` + 34 letters): random
/// mixed case, not words (`hf_requiredCharacteristicTypes...` is an identifier).
pub fn letters_token(value: &str) -> bool {
    let body = value.split_once('_').map_or(value, |(_, b)| b);
    let body = body.strip_prefix("org_").unwrap_or(body);
    token(value) && (body.bytes().any(|b| b.is_ascii_digit()) || random_letters(body.as_bytes()))
}

/// Letters that words do not make: split before each capital, words give parts of
/// 2+ letters (`SuperSecretValue`), random text gives single capitals
/// (`wRAgXuxgcCvhidtL`: `R`, `L`); 16 or more, mixed case.
fn random_letters(bytes: &[u8]) -> bool {
    let single_capitals = (0..bytes.len())
        .filter(|&i| bytes[i].is_ascii_uppercase() && !bytes.get(i + 1).is_some_and(u8::is_ascii_lowercase))
        .count();
    bytes.len() >= 16 && bytes.iter().any(u8::is_ascii_lowercase) && single_capitals >= 2
}

/// Runs of 3 or more equal characters (a random token of 20 base-62 characters
/// has one with a chance of about 1 in 200; of 64 hex digits, 1 in 4).
fn triple_runs(v: &[u8]) -> usize {
    (0..v.len().saturating_sub(2))
        .filter(|&i| v[i] == v[i + 1] && v[i] == v[i + 2] && (i == 0 || v[i - 1] != v[i]))
        .count()
}

/// A GitLab token (`glpat-`, `glrt-`, ... and 20 characters of `[A-Za-z0-9_-]`)
/// that is random and not typed in groups: GitLab's random part may contain `-`,
/// but not three equal groups in a row (`glrt-t9Wkyj-HGRkqQ-VWTGAr`), which is how
/// people write made-up tokens in tests.
pub fn gitlab_token(value: &str) -> bool {
    let groups: Vec<usize> = value.split(['-', '_']).skip(1).map(str::len).collect();
    let hand_grouped = groups.windows(3).any(|w| w[0] >= 4 && w[0] == w[1] && w[1] == w[2]);
    token(value) && !hand_grouped
}

/// Whether some 4-byte window occurs 3 or more times.
fn repetitive(v: &[u8]) -> bool {
    let mut grams: Vec<&[u8]> = v.windows(4).collect();
    grams.sort_unstable();
    grams.windows(3).any(|w| w[0] == w[2])
}

/// The entropy floor alone, for values with repeats by design: base64 of JSON or
/// of a URL (`Iiwi` is `","`), webhook URLs, Twitter's `AAAA...` bearer tokens.
pub fn entropy_ok(value: &str) -> bool {
    entropy(value) >= entropy_floor(value.len()) && !counting(value.as_bytes())
}

/// The value of a `<provider>_KEY = value` assignment: random enough, and not a
/// number (digits only: an ID) or words (letters only pass if they are random
/// letters, see [`random_letters`]).
pub fn keyed(value: &str) -> bool {
    let bytes = value.as_bytes();
    let letters = bytes.iter().any(u8::is_ascii_alphabetic);
    let digits = bytes.iter().any(u8::is_ascii_digit);
    letters && (digits || random_letters(bytes)) && entropy_ok(value)
}

/// CRC-32 (IEEE 802.3, as zlib computes it).
pub fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
        }
    }
    !crc
}

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// `n` in base 62 (`0-9A-Za-z`), left-padded with `0` to `width` digits.
pub fn base62(mut n: u64, width: usize) -> String {
    let mut digits = Vec::new();
    while n > 0 {
        digits.push(BASE62[(n % 62) as usize]);
        n /= 62;
    }
    while digits.len() < width {
        digits.push(b'0');
    }
    digits.iter().rev().map(|&b| char::from(b)).collect()
}

/// GitHub's classic tokens (`ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_`): the last 6
/// characters are the base-62 CRC-32 of the random part before them. Made-up
/// tokens in docs and tests almost never satisfy it (1 in 62^6).
pub fn github_checksum(value: &str) -> bool {
    let Some((_, body)) = value.split_once('_') else { return false };
    if body.len() < 7 || !body.is_ascii() {
        return false;
    }
    let (data, sum) = body.split_at(body.len() - 6);
    base62(u64::from(crc32(data.as_bytes())), 6) == sum && token(data)
}

const BECH32: &[u8; 32] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";
const BECH32_GEN: [u32; 5] = [0x3b6a_57b2, 0x2650_8e6d, 0x1ea1_19fa, 0x3d42_33dd, 0x2a14_62b3];

/// A bech32 string (`hrp1data`, any case, not mixed) with a valid checksum.
pub fn bech32(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    if lower != value && value.to_ascii_uppercase() != value {
        return false;
    }
    let Some(sep) = lower.rfind('1') else { return false };
    let (hrp, data) = (&lower[..sep], &lower[sep + 1..]);
    if hrp.is_empty() || data.len() < 6 {
        return false;
    }
    let mut values: Vec<u8> = hrp.bytes().map(|b| b >> 5).collect();
    values.push(0);
    values.extend(hrp.bytes().map(|b| b & 31));
    for b in data.bytes() {
        let Some(v) = BECH32.iter().position(|&c| c == b) else { return false };
        values.push(u8::try_from(v).unwrap_or(0));
    }
    let mut chk = 1u32;
    for v in values {
        let top = chk >> 25;
        chk = ((chk & 0x01ff_ffff) << 5) ^ u32::from(v);
        for (i, g) in BECH32_GEN.iter().enumerate() {
            if (top >> i) & 1 == 1 {
                chk ^= g;
            }
        }
    }
    chk == 1
}

/// The base64 text of `value[skip..]` decoded as (lossy) UTF-8.
fn decoded(value: &str, skip: usize) -> Option<String> {
    let bytes = base64_decode(value.get(skip..)?)?;
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

/// 1Password service account token `ops_<base64 JSON>` with the account's
/// sign-in address or secret key in it.
pub fn onepassword_service_account(value: &str) -> bool {
    decoded(value, 4)
        .is_some_and(|j| j.starts_with("{\"") && (j.contains("\"signInAddress\"") || j.contains("\"secretKey\"")))
        && entropy_ok(value)
}

/// Grafana API key: base64 of `{"k":"...","n":"...","id":N}`.
pub fn grafana_api_key(value: &str) -> bool {
    decoded(value, 0).is_some_and(|j| j.starts_with("{\"k\":\"") && j.contains("\"n\":")) && entropy_ok(value)
}

/// Sentry organization token `sntrys_<base64 JSON with iat>_<secret>`.
pub fn sentry_org_token(value: &str) -> bool {
    let Some(payload) = value.strip_prefix("sntrys_").and_then(|v| v.rsplit_once('_')).map(|(p, _)| p) else {
        return false;
    };
    base64_decode(payload).is_some_and(|b| String::from_utf8_lossy(&b).contains("\"iat\"")) && entropy_ok(value)
}

/// A JWT encoded once more in base64 (`ZXlK...`): it decodes to a JWT with a valid header.
pub fn jwt_base64(value: &str) -> bool {
    decoded(value, 0).is_some_and(|jwt| jwt.matches('.').count() == 2 && super::special::jwt_header_ok(&jwt))
}

/// Artifactory reference token: base64 of `reftkn:01:...`.
pub fn artifactory_reference(value: &str) -> bool {
    decoded(value, 0).is_some_and(|t| t.starts_with("reftkn:")) && entropy_ok(value)
}

/// Long-lived Amazon Bedrock API key: `ABSK` + base64 of `BedrockAPIKey-...`.
pub fn bedrock_api_key(value: &str) -> bool {
    decoded(value, 4).is_some_and(|t| t.starts_with("BedrockAPIKey-")) && entropy_ok(value)
}

/// Short-lived Amazon Bedrock API key: `bedrock-api-key-` + base64 of a presigned
/// `bedrock.amazonaws.com/?Action=CallWithBearerToken...` URL.
pub fn bedrock_short_lived(value: &str) -> bool {
    decoded(value, 16).is_some_and(|t| t.starts_with("bedrock.amazonaws.com/?Action=")) && entropy_ok(value)
}

/// An Octopus Deploy key `API-` + 26 uppercase letters and digits: both occur.
pub fn octopus_api_key(value: &str) -> bool {
    let body = value.get(4..).unwrap_or("");
    body.bytes().any(|b| b.is_ascii_digit()) && body.bytes().any(|b| b.is_ascii_uppercase()) && token(value)
}

/// A `nuget.config` `ClearTextPassword` value: a literal (not a `%VAR%` reference) that
/// passes the generic shape test.
pub fn nuget_password(value: &str) -> bool {
    !(value.starts_with('%') && value.ends_with('%')) && not_example(value) && super::filter::looks_like_secret(value)
}

/// The most bytes a glued suffix may add to a token's span.
const MAX_SUFFIX: usize = 256;

/// Where a provider token found at `..end` really ends: a suffix glued to it
/// (`<token>-old`, `<token>_2`, `<token>.v2`) is part of the same word, and the
/// value it is part of is the secret, so the span must cover it (or the suffix
/// would be shown in clear next to the masked token). Only ASCII is stepped over,
/// so the result is a char boundary; a `.` counts only between token characters.
pub fn glued_end(bytes: &[u8], end: usize) -> usize {
    let mut e = end;
    while e < bytes.len() && e - end < MAX_SUFFIX {
        let b = bytes[e];
        let token_char = b.is_ascii_alphanumeric() || b == b'_' || b == b'-';
        let inner_dot = b == b'.' && bytes.get(e + 1).is_some_and(u8::is_ascii_alphanumeric);
        if !(token_char || inner_dot) {
            break;
        }
        e += 1;
    }
    e
}

#[cfg(test)]
#[path = "provider_cases.rs"]
mod cases;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_matches_zlib() {
        // zlib.crc32 of these inputs
        assert_eq!(crc32(b""), 0);
        assert_eq!(crc32(b"a"), 0xe8b7_be43);
        assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
    }

    #[test]
    fn base62_pads() {
        assert_eq!(base62(0, 6), "000000");
        assert_eq!(base62(61, 6), "00000z");
        assert_eq!(base62(62, 6), "000010");
        assert_eq!(base62(u64::from(u32::MAX), 6), "4gfFC3");
    }

    #[test]
    fn github_checksum_table() {
        let random = "Zq3v9Lm2Rt7Wx4KpB8nC5dF1gH6jJ0";
        let sum = base62(u64::from(crc32(random.as_bytes())), 6);
        let good = format!("ghp_{random}{sum}");
        assert!(github_checksum(&good));
        // one character off, in the random part or the checksum
        assert!(!github_checksum(&good.replacen('Z', "Y", 1)));
        let mut bad_sum = good.clone();
        bad_sum.pop();
        bad_sum.push(if good.ends_with('A') { 'B' } else { 'A' });
        assert!(!github_checksum(&bad_sum));
        // GitHub's documentation example and patterned fakes fail
        assert!(!github_checksum("ghp_16C7e42F292c6912E7710c838347Ae178B4a"));
        assert!(!github_checksum("ghp_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghij"));
        assert!(!github_checksum("ghp_"));
        assert!(!github_checksum("ghp_é"));
        // a valid checksum over a non-random body is still rejected
        let zeros = "000000000000000000000000000000";
        assert!(!github_checksum(&format!("ghp_{zeros}{}", base62(u64::from(crc32(zeros.as_bytes())), 6))));
    }

    #[test]
    fn bech32_table() {
        // BIP-173 test vectors
        assert!(bech32("A12UEL5L"));
        assert!(bech32("a12uel5l"));
        assert!(bech32("abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw"));
        assert!(!bech32("A12UEL5l")); // mixed case
        assert!(!bech32("a12uel5m")); // bad checksum
        assert!(!bech32("a1b2uel5l")); // 'b' is not in the alphabet
        assert!(!bech32("nodataseparator"));
    }

    #[test]
    fn randomness_floor() {
        assert!(token("ghp_Zq3v9Lm2Rt7Wx4KpB8nC5dF1gH6jJ0aBcDeF"));
        assert!(!token("dapi00000000000000000000000000000000"));
        assert!(!token("glrt-aaa_cccbbbdddooo2222"), "typed by hand");
        assert!(!token("sk-ant-api03-abc123xyz-456def789ghij-klmnopqrstuvwx-3456yza789bcde"), "counting");
        assert!(!entropy_ok("AIzaSyabcdefghijklmnopqrstuvwxyz1234567"), "counting");
        assert!(letters_token("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"));
        assert!(!letters_token("hf_requiredCharacteristicTypesForDisplay"), "an identifier");
        assert!(!onepassword_secret_key("A3-ASWWYB-798JRY-LJVD4-23DC2-86TVM-H43EB"), "white paper");
        assert!(token("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"), "one run in hex");
        assert!(!gitlab_token("glrt-t9Wkyj-HGRkqQ-VWTGAr"), "groups");
        assert!(gitlab_token("glrt-t9Wkyj-HGRkqQaVWTGAr"));
        assert!(keyed("9f8e7d6c5b4a39281706f5e4d3c2b1a0"));
        assert!(!keyed("abcdefghijklmnopqrstuvwxyzabcdef"), "letters only");
        assert!(!keyed("SuperSecretClientValue"), "words");
        assert!(keyed("wRAgXuxgcCvhidtLKq"), "random letters");
        assert!(!keyed("12345678901234567890123456789012"), "digits only");
        assert!(!keyed("a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1"), "two symbols");
    }

    #[test]
    fn glued_suffix() {
        let cases: &[(&str, usize, usize)] = &[
            ("TOKEN-suffix rest", 5, 12),
            ("TOKEN_2\n", 5, 7),
            ("TOKEN.v2 x", 5, 8),
            ("TOKEN. Next", 5, 5),
            ("TOKEN\"", 5, 5),
            ("TOKEN/path", 5, 5),
            ("TOKEN-é", 5, 6),
            ("TOKEN", 5, 5),
        ];
        for &(text, end, want) in cases {
            assert_eq!(glued_end(text.as_bytes(), end), want, "{text:?}");
        }
        let long = format!("TOKEN-{}", "a".repeat(1000));
        assert_eq!(glued_end(long.as_bytes(), 5), 5 + MAX_SUFFIX);
    }
}
