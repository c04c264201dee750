//! Regression (issue 7, item 10): a provider token with a suffix glued to it
//! (`ghp_…-suffix`) was masked only up to the end of the token, so the rest of the
//! value showed in clear in snippets. Every format, every kind of file.

mod common;

use clap::ValueEnum;
use common::{envlint, tempdir};
use envlint::report::Format;

/// CRC-32 (zlib) and base 62, to make GitHub tokens with a valid checksum.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = (crc >> 1) ^ (0xEDB8_8320 & (crc & 1).wrapping_neg());
        }
    }
    !crc
}

fn github_token(prefix: &str, random: &str) -> String {
    const B62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut n = u64::from(crc32(random.as_bytes()));
    let mut sum = Vec::new();
    for _ in 0..6 {
        sum.push(B62[(n % 62) as usize]);
        n /= 62;
    }
    sum.reverse();
    format!("{prefix}{random}{}", String::from_utf8(sum).expect("ascii"))
}

#[test]
fn a_glued_suffix_is_masked_with_its_token() {
    let dir = tempdir();
    let tokens = [
        github_token("ghp_", "Zq3v9Lm2Rt7Wx4KpB8nC5dF1gH6jJ0"),
        github_token("ghp_", "Hw5nQ8tY2cV7bM4xK9pL3rD6sF1gZ0"),
        github_token("gho_", "Pj4kR7wN2vX9cB5mT8yH3qL6dG1sF0"),
        github_token("ghs_", "Ue8rT3yW6qZ1xC4vB7nM2kJ5hG9fD0"),
    ];
    // the secret parts of each suffix, which must never be shown
    let suffixes = ["Kx7mQ2vR9tW4", "Nb3jH8cF5dS1", "Lg6pZ4wY7eT2", "Rm9kV3xB6nC8"];
    let files = [
        (
            ".env.production",
            format!("GITHUB_TOKEN={}-{}\nBUILD_NOTE={}-{}\n", tokens[0], suffixes[0], tokens[1], suffixes[1]),
        ),
        ("deploy/config.yaml", format!("github:\n  token: {}_{}\n", tokens[2], suffixes[2])),
        ("app.py", format!("REMOTE = \"https://ci:{}.{}@github.com/envlint/app.git\"\n", tokens[3], suffixes[3])),
    ];
    for (rel, text) in &files {
        let path = dir.path().join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }
    for format in Format::value_variants() {
        let name = format.to_possible_value().expect("value").get_name().to_owned();
        let out =
            envlint().args(["scan", "--fail-on", "never", "--format", &name]).arg(dir.path()).output().expect("run");
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(text.matches("github-").count() >= 4, "{name}: all four tokens reported:\n{text}");
        for secret in tokens.iter().map(|t| &t[4..]).chain(suffixes.iter().copied()) {
            for piece in secret.as_bytes().windows(8) {
                let piece = std::str::from_utf8(piece).expect("ascii");
                assert!(!text.contains(piece), "{name} shows `{piece}`:\n{text}");
            }
        }
    }
}
