//! Table-driven tests of every provider detector, from `provider_cases.tsv`: a
//! realistic made-up token fires with exactly its span, a near miss does not, the
//! token is found whatever surrounds it, and a keyword alone never fires.

use crate::secrets::detectors::{GENERIC_TIER, Kind, SPECS};
use crate::secrets::providers::{base62, crc32};
use crate::secrets::{Scanner, SecretHit};

const CASES: &str = include_str!("provider_cases.tsv");

struct Case {
    id: &'static str,
    hit: &'static str,
    miss: &'static str,
}

fn cases() -> Vec<Case> {
    CASES
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            assert_eq!(cols.len(), 4, "bad case line {l:?}");
            Case { id: cols[0], hit: cols[2], miss: cols[3] }
        })
        .collect()
}

/// xorshift64*, seeded per row: the same text on every run.
struct Rng(u64);

impl Rng {
    fn new(seed: &str) -> Rng {
        // FNV-1a of the seed
        let h = seed.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
        Rng(h | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn take(&mut self, alphabet: &str, n: usize) -> String {
        let a = alphabet.as_bytes();
        (0..n).map(|_| char::from(a[(self.next() >> 33) as usize % a.len()])).collect()
    }
}

const AN: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// One `{op:arg}` of a template.
fn op(rng: &mut Rng, spec: &str) -> String {
    let (name, arg) = spec.split_once(':').unwrap_or((spec, ""));
    let n = || arg.parse::<usize>().expect("length");
    match name {
        "an" => rng.take(AN, n()),
        "al" => rng.take(&AN[..52], n()),
        "lo" => rng.take("abcdefghijklmnopqrstuvwxyz0123456789", n()),
        "up" => rng.take("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", n()),
        "hx" => rng.take("0123456789abcdef", n()),
        "HX" => rng.take("0123456789ABCDEF", n()),
        "dg" => rng.take("0123456789", n()),
        "b64" => rng.take(&format!("{AN}+/"), n()),
        "url" => rng.take(&format!("{AN}_-"), n()),
        "b32" => rng.take("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", n()),
        "uuid" => {
            let h = |rng: &mut Rng, k| rng.take("0123456789abcdef", k);
            format!("{}-{}-4{}-a{}-{}", h(rng, 8), h(rng, 4), h(rng, 3), h(rng, 3), h(rng, 12))
        }
        "gh" => {
            let (prefix, len) = arg.split_once(':').map_or((arg, 30), |(p, l)| (p, l.parse().expect("length")));
            let random = rng.take(AN, len);
            format!("{prefix}{random}{}", base62(u64::from(crc32(random.as_bytes())), 6))
        }
        other => panic!("unknown template op {other:?}"),
    }
}

/// Expands a template; returns the text and the byte range between « and ».
fn expand(template: &str, seed: &str) -> (String, Option<(usize, usize)>) {
    let mut rng = Rng::new(seed);
    let template = template.replace("\\n", "\n");
    let (mut out, mut span, mut start) = (String::new(), None, 0);
    let mut rest = template.as_str();
    while let Some(i) = rest.find(['{', '«', '»']) {
        out.push_str(&rest[..i]);
        let c = rest[i..].chars().next().expect("char");
        rest = &rest[i + c.len_utf8()..];
        match c {
            '«' => start = out.len(),
            '»' => span = Some((start, out.len())),
            _ => {
                let end = rest.find('}').expect("closing brace");
                out.push_str(&op(&mut rng, &rest[..end]));
                rest = &rest[end + 1..];
            }
        }
    }
    out.push_str(rest);
    (out, span)
}

fn scan(text: &str) -> Vec<SecretHit> {
    Scanner::new(Vec::new()).scan(text)
}

fn spec(id: &str) -> &'static crate::secrets::detectors::Spec {
    SPECS.iter().find(|s| s.id == id).unwrap_or_else(|| panic!("no detector {id}"))
}

#[test]
fn every_provider_has_a_case() {
    let ids: Vec<&str> = cases().iter().map(|c| c.id).collect();
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), ids.len(), "one row per detector");
    let structured = ["private-key", "gcp-service-account", "docker-registry-auth"];
    for s in SPECS {
        let tested_elsewhere = s.priority <= GENERIC_TIER && s.id != "nuget-config-password";
        if !tested_elsewhere && !structured.contains(&s.id) {
            assert!(ids.contains(&s.id), "no case for {}", s.id);
        }
    }
    assert!(ids.len() >= 180, "{} cases", ids.len());
}

#[test]
fn realistic_tokens_fire_and_near_misses_do_not() {
    let scanner = Scanner::new(Vec::new());
    let mut failures = Vec::new();
    for c in cases() {
        let (text, span) = expand(c.hit, c.id);
        let (s, e) = span.unwrap_or_else(|| panic!("{}: no «» in the hit", c.id));
        let got: Vec<(&str, usize, usize)> =
            scanner.scan(&text).iter().map(|h| (h.detector, h.span.start as usize, h.span.end as usize)).collect();
        if got != [(c.id, s, e)] {
            failures.push(format!("{}: {text:?}\n    want [{s}..{e}] {:?}\n    got {got:?}", c.id, &text[s..e]));
        }
        let (miss, _) = expand(c.miss, &format!("{}-miss", c.id));
        let provider: Vec<&str> =
            scanner.scan(&miss).into_iter().filter(|h| !h.generic || h.detector == c.id).map(|h| h.detector).collect();
        if !provider.is_empty() {
            failures.push(format!("{}: near miss fired {provider:?}: {miss:?}", c.id));
        }
    }
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn prefixed_tokens_fire_in_any_context() {
    let mut failures = Vec::new();
    for c in cases() {
        let s = spec(c.id);
        if !s.exact || !matches!(s.kind, Kind::Pattern { .. }) || c.hit.contains("\\n") {
            continue;
        }
        let (text, span) = expand(c.hit, c.id);
        let Some((a, b)) = span else { continue };
        let token = &text[a..b];
        if !s.keywords.iter().any(|k| token.starts_with(k)) {
            continue; // the value of a key-value form (`_gitlab_session=`), or an inner keyword
        }
        for (before, after) in
            [("", ""), ("'", "'"), ("x = \"", "\";\n"), ("  - ", "\n"), ("token ", ". Next"), ("(", ")")]
        {
            let text = format!("{before}{token}{after}");
            let got: Vec<(&str, &str)> = scan(&text).iter().map(|h| (h.detector, &text[h.span.range()])).collect();
            if got != [(c.id, token)] {
                failures.push(format!("{}: {text:?} gave {got:?}", c.id));
            }
        }
        // glued to a word before it, it is part of something else
        let glued = format!("x{token}");
        if scan(&glued).iter().any(|h| h.detector == c.id) {
            failures.push(format!("{}: fired glued to a word: {glued:?}", c.id));
        }
    }
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn keywords_alone_never_fire() {
    for s in SPECS {
        for kw in s.keywords {
            for text in
                [(*kw).to_owned(), format!("{kw}\n"), format!("KEY={kw}"), format!("\"{kw}\": \"\""), kw.repeat(40)]
            {
                let got: Vec<&str> = scan(&text).into_iter().map(|h| h.detector).collect();
                assert!(got.is_empty(), "{}: {text:?} gave {got:?}", s.id);
            }
        }
    }
}

#[test]
fn placeholder_tokens_never_fire() {
    // documented examples and filled-in templates, in keyed and prefixed form
    let cases = [
        "GITHUB_TOKEN=ghp_16C7e42F292c6912E7710c838347Ae178B4a",
        "token: ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "DATABRICKS_TOKEN=dapi00000000000000000000000000000000",
        "LINEAR_API_KEY=lin_api_XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
        "PULUMI_ACCESS_TOKEN=pul-0123456789abcdef0123456789abcdef01234567-example",
        "CLOUDFLARE_API_TOKEN=your-cloudflare-api-token-goes-here-123456",
        "OKTA_API_TOKEN=00000000000000000000000000000000000TUVWXYZ",
        "SENTRY_AUTH_TOKEN=sntryu_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "HUBSPOT_API_KEY=00000000-0000-0000-0000-000000000000",
        "NOTION_TOKEN=ntn_00000000000xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "DROPBOX_TOKEN=sl.<your-short-lived-token>",
        "SLACK_APP_TOKEN=xapp-1-AXXXXXXXXXX-0000000000000-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET=abcdefghijklmnopqrstuvwxyzabcd",
        // shapes seen in real test code and docs
        "- (id)hf_requiredCharacteristicTypesForDisplayMetadata;",
        "<img src=\"/assets/video_box.ico-7a388b69018576d24b59331fd60aab0c.png\">",
        "\"token4\": \"xoxp-572370529330-573807301142-572331691188-####################\"",
        "API_KEY=\"glc_111111111111111111111111111111111111111111=\"",
        "apiKey: \"AIzaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"",
        "key: AIzaSyabcdefghijklmnopqrstuvwxyz1234567",
        "Token: \"glrt-aaa_cccbbbdddooo2222\",",
        "{\"glrt-Qw3rty-Zx8cvB-Nm4lkJ\", \"Qw3rty-Zx\"},",
        "{\"glcbt-t2_Qw3rty-Zx8cvB-Nm4lkJ\", \"t2_Qw3rty\"},",
        "secret key: A3-ASWWYB-798JRY-LJVD4-23DC2-86TVM-H43EB",
        "\"sk-ant-api03-abc123xyz-456def789ghij-klmnopqrstuvwx-3456yza789bcde-1234fghijklmnopby56aaaogaopaaaabc123xyzAA\"",
        "<add key=\"ClearTextPassword\" value=\"33f!!lloppa\" />",
    ];
    for text in cases {
        let got: Vec<&str> = scan(text).into_iter().filter(|h| !h.generic).map(|h| h.detector).collect();
        assert!(got.is_empty(), "{text:?} gave {got:?}");
    }
}

#[test]
fn keyed_detectors_need_the_provider_in_the_key() {
    // the provider named elsewhere on the line, or inside another word, is not enough
    let value = "9f8e7d6c5b4a39281706f5e4d3c2b1a0";
    for text in [
        format!("# copied from the linear docs\nCLIENT_SECRET={value}"),
        format!("NONLINEAR_SOLVER_SECRET={value}"),
        format!("description: linear secret {value}"),
        format!("linear_client_secret_hint={value}x"),
    ] {
        let got: Vec<&str> = scan(&text).into_iter().filter(|h| !h.generic).map(|h| h.detector).collect();
        assert!(got.is_empty(), "{text:?} gave {got:?}");
    }
    for text in [
        format!("LINEAR_CLIENT_SECRET={value}"),
        format!("linear.client_secret = \"{value}\""),
        format!("{{\"linearClientSecret\": \"{value}\"}}"),
        format!("export LINEAR_CLIENT_SECRET='{value}' # rotated"),
        format!("config.set(\"LINEAR_CLIENT_SECRET\", \"{value}\")"),
    ] {
        let got: Vec<&str> = scan(&text).into_iter().map(|h| h.detector).collect();
        assert_eq!(got, ["linear-client-secret"], "{text:?}");
    }
}

/// A GitHub token with a valid checksum, from a fixed random part.
fn github(prefix: &str, random: &str) -> String {
    format!("{prefix}{random}{}", base62(u64::from(crc32(random.as_bytes())), 6))
}

#[test]
fn a_glued_suffix_belongs_to_the_secret() {
    // issue 7 item 10: `ghp_…-suffix` was masked up to the token's end, the suffix shown in clear
    let tok = github("ghp_", "Zq3v9Lm2Rt7Wx4KpB8nC5dF1gH6jJ0");
    let cases: Vec<(String, String)> = vec![
        // (text, the secret the hit must cover)
        (format!("NOTE={tok}-suffix\n"), format!("{tok}-suffix")),
        (format!("GITHUB_TOKEN={tok}-Kx7mQ2vR9tW4\n"), format!("{tok}-Kx7mQ2vR9tW4")),
        (format!("token: \"{tok}_v2\"\n"), format!("{tok}_v2")),
        (format!("export T={tok}.old # rotated\n"), format!("{tok}.old")),
        (format!("git clone https://ci:{tok}-x9@github.com/o/r\n"), format!("{tok}-x9")),
        // a generic value around the token: all of it is the secret
        (format!("DB_PASSWORD=Pre9-{tok}\n"), format!("Pre9-{tok}")),
        (format!("DB_PASSWORD=\"{tok}:Kx7mQ2vR9tW4\"\n"), format!("{tok}:Kx7mQ2vR9tW4")),
        // not glued: a path, a sentence, a quote end
        (format!("see {tok}/settings\n"), tok.clone()),
        (format!("The token is {tok}. Rotate it.\n"), tok.clone()),
        (format!("'{tok}'-x\n"), tok.clone()),
        // other providers, other suffix characters
        (
            "SLACK=xoxb-602754318260-4185730926471-Zq3v9Lm2Rt7Wx4KpB8nC5dF1.bak\n".to_owned(),
            "xoxb-602754318260-4185730926471-Zq3v9Lm2Rt7Wx4KpB8nC5dF1.bak".to_owned(),
        ),
        (
            "k = \"sk_live_Zq3v9Lm2Rt7Wx4KpB8nC5dF1gH6_old\"\n".to_owned(),
            "sk_live_Zq3v9Lm2Rt7Wx4KpB8nC5dF1gH6_old".to_owned(),
        ),
        (
            "bot 5123456780:AAZq3v9Lm2Rt7Wx4KpB8nC5dF1gH6jJ0aBc-dev\n".to_owned(),
            "5123456780:AAZq3v9Lm2Rt7Wx4KpB8nC5dF1gH6jJ0aBc-dev".to_owned(),
        ),
    ];
    for (text, want) in &cases {
        let got: Vec<&str> = scan(text).iter().map(|h| &text[h.span.range()]).collect();
        assert_eq!(got, [want.as_str()], "{text:?}");
    }
    // a suffix that makes the value a placeholder silences it
    for text in [format!("NOTE={tok}-example"), format!("NOTE={tok}_XXXXXXXX")] {
        assert!(scan(&text).is_empty(), "{text:?}");
    }
}

#[test]
fn tokens_inside_one_generic_value_cover_it_without_overlap() {
    let (a, b) = (github("ghp_", "Zq3v9Lm2Rt7Wx4KpB8nC5dF1gH6jJ0"), github("ghp_", "Hw5nQ8tY2cV7bM4xK9pL3rD6sF1gZ0"));
    let text = format!("TOKENS=\"{a},{b}\"\n");
    let got = scan(&text);
    assert_eq!(got.len(), 2, "{got:?}");
    assert!(got.windows(2).all(|w| w[0].span.end <= w[1].span.start));
    let covered: String = got.iter().map(|h| &text[h.span.range()]).collect();
    assert_eq!(covered, format!("{a},{b}"));
}
