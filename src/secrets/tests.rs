//! Table-driven tests for every detector, overlap resolution and the allow list.
//! Fake values are built from a patterned filler so no literal looks like a real key.

use super::*;

/// `n` patterned characters from `alphabet`, starting with a marker when it fits.
fn fill(n: usize, alphabet: &str) -> String {
    let a: Vec<char> = alphabet.chars().collect();
    (0..n).map(|i| a[(i * 7 + 3) % a.len()]).collect()
}

const ALNUM: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const HEX: &str = "0123456789abcdef";
const B64: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// A GitHub token with `n` random characters and a valid checksum.
fn gh(prefix: &str, n: usize) -> String {
    let random = fill(n, ALNUM);
    format!("{prefix}{random}{}", super::providers::base62(u64::from(super::providers::crc32(random.as_bytes())), 6))
}

fn hits(text: &str) -> Vec<(&'static str, String)> {
    Scanner::new(Vec::new()).scan(text).into_iter().map(|h| (h.detector, text[h.span.range()].to_owned())).collect()
}

fn pem(label: &str) -> String {
    let body: Vec<String> = (0..4).map(|i| fill(64, &B64[i..])).collect();
    format!("-----BEGIN {label}-----\n{}\n-----END {label}-----", body.join("\n"))
}

#[test]
fn every_detector_fires() {
    let jwt_header = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9";
    let cases: Vec<(String, &str, String)> = vec![
        (String::new(), "aws-access-key-id", "AKIAENVLINTFIXTURE22".into()),
        ("aws_secret_access_key = ".into(), "aws-secret-access-key", fill(40, B64)),
        ("token: ".into(), "github-pat", gh("ghp_", 30)),
        ("token: ".into(), "github-oauth-token", gh("gho_", 30)),
        ("token: ".into(), "github-app-token", gh("ghs_", 30)),
        ("token: ".into(), "github-refresh-token", gh("ghr_", 70)),
        (
            "token: ".into(),
            "github-fine-grained-pat",
            format!("github_pat_{}_{}", fill(22, ALNUM), fill(59, &ALNUM[5..])),
        ),
        ("x ".into(), "gitlab-pat", format!("glpat-{}", fill(20, ALNUM))),
        ("x ".into(), "slack-token", format!("xoxb-602754318260-4185730926471-{}", fill(24, ALNUM))),
        (
            "url: ".into(),
            "slack-webhook-url",
            format!("https://hooks.slack.com/services/T01ABCDEF/B01ABCDEF/{}", fill(24, ALNUM)),
        ),
        ("k=".into(), "stripe-secret-key", format!("sk_live_{}", fill(24, ALNUM))),
        ("k=".into(), "stripe-restricted-key", format!("rk_live_{}", fill(24, ALNUM))),
        ("k=".into(), "openai-api-key", format!("sk-proj-{}", fill(48, ALNUM))),
        ("k=".into(), "openai-api-key", format!("sk-{}T3BlbkFJ{}", fill(20, ALNUM), fill(20, &ALNUM[3..]))),
        ("k=".into(), "anthropic-api-key", format!("sk-ant-api03-{}AA", fill(93, ALNUM))),
        ("k=".into(), "google-api-key", format!("AIza{}", fill(35, ALNUM))),
        ("k=".into(), "jwt", format!("{jwt_header}.{}.{}", fill(40, ALNUM), fill(43, ALNUM))),
        ("k=".into(), "sendgrid-api-key", format!("SG.{}.{}", fill(22, ALNUM), fill(43, ALNUM))),
        ("TWILIO_API_KEY=".into(), "twilio-api-key", format!("SK{}", fill(32, HEX))),
        ("k=".into(), "mailchimp-api-key", format!("{}-us21", fill(32, HEX))),
        ("k=".into(), "npm-token", format!("npm_{}", fill(36, ALNUM))),
        ("k=".into(), "pypi-token", format!("pypi-AgEIcHlwaS5vcmc{}", fill(60, ALNUM))),
        ("AccountKey=".into(), "azure-storage-account-key", format!("{}==", fill(86, B64))),
        (
            "DefaultEndpointsProtocol=https;AccountName=envlintfixture;AccountKey=".into(),
            "azure-storage-connection-string",
            format!("{}==", fill(86, B64)),
        ),
        ("HEROKU_API_KEY=".into(), "heroku-api-key", "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d".into()),
        ("DD_API_KEY=".into(), "datadog-api-key", fill(32, HEX)),
        ("DATADOG_APP_KEY=".into(), "datadog-app-key", fill(40, HEX)),
        ("k=".into(), "shopify-token", format!("shpat_{}", fill(32, HEX))),
        ("k=".into(), "digitalocean-token", format!("dop_v1_{}", fill(64, HEX))),
        ("k=".into(), "huggingface-token", format!("hf_{}", fill(34, ALNUM))),
        ("k=".into(), "terraform-cloud-token", format!("{}.atlasv1.{}", fill(14, ALNUM), fill(67, ALNUM))),
        ("k=".into(), "vault-token", format!("hvs.{}", fill(90, ALNUM))),
        ("k=".into(), "grafana-service-account-token", format!("glsa_{}_{}", fill(32, ALNUM), fill(8, HEX))),
        ("k=".into(), "grafana-cloud-token", format!("glc_{}", fill(60, ALNUM))),
        ("bot ".into(), "telegram-bot-token", format!("123456789:AA{}", fill(33, ALNUM))),
        ("DB_URL=postgres://app:".into(), "url-credentials", "Zq3v9Lm2Rt7Wx4Kp".into()),
        ("-H \"Authorization: Bearer ".into(), "authorization-header", format!("Zq3v9Lm2{}", fill(24, ALNUM))),
        ("DB_PASSWORD=".into(), "generic-password", "Zq3v9Lm2Rt7Wx4Kp".into()),
        ("data:\n  password: ".into(), "generic-password", format!("Ag{}", fill(40, B64))),
        ("client-secret: ".into(), "generic-secret", "Zq3v9Lm2Rt7Wx4Kp".into()),
        ("export API_TOKEN=".into(), "generic-token", "Zq3v9Lm2Rt7Wx4Kp".into()),
        ("\"apiKey\": \"".into(), "generic-api-key", "Zq3v9Lm2Rt7Wx4Kp".into()),
        ("PRIVATE_KEY=".into(), "generic-private-key", "Zq3v9Lm2Rt7Wx4Kp".into()),
        ("credentials = \"".into(), "generic-credentials", "Zq3v9Lm2Rt7Wx4Kp".into()),
        (String::new(), "private-key", pem("RSA PRIVATE KEY")),
        (String::new(), "private-key", pem("OPENSSH PRIVATE KEY")),
        (String::new(), "private-key", pem("PRIVATE KEY")),
        (String::new(), "pgp-private-key", pem("PGP PRIVATE KEY BLOCK")),
    ];
    for (before, id, value) in &cases {
        let after = if *id == "url-credentials" {
            "@db.internal:5432/app"
        } else if before.ends_with('"') {
            "\""
        } else {
            ""
        };
        let text = format!("{before}{value}{after}\nnext: line\n");
        assert_eq!(hits(&text), vec![(*id, value.clone())], "{id}: {text}");
    }
}

#[test]
fn structured_detectors() {
    // GCP service account: the private_key value wins over the key block inside it
    let key = pem("PRIVATE KEY").replace('\n', "\\n");
    let json = format!(
        "{{\n  \"type\": \"service_account\",\n  \"project_id\": \"envlint-fixture\",\n  \"private_key_id\": \"{}\",\n  \"private_key\": \"{key}\\n\",\n  \"client_email\": \"ci@envlint-fixture.iam.gserviceaccount.com\"\n}}\n",
        fill(40, HEX)
    );
    let got = hits(&json);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].0, "gcp-service-account");
    assert!(got[0].1.starts_with("-----BEGIN PRIVATE KEY-----\\n"));

    // Docker config.json auths
    let auth = "ZW52bGludDpGaXh0dXJlLVJlZ2lzdHJ5LVBhc3MtMjAyNA=="; // envlint:Fixture-Registry-Pass-2024
    let docker = format!("{{\"auths\":{{\"registry.envlint.dev\":{{\"auth\":\"{auth}\"}}}}}}");
    assert_eq!(hits(&docker), vec![("docker-registry-auth", auth.to_owned())]);
    // without "auths" it is just a field called auth
    assert_eq!(hits(&format!("{{\"auth\":\"{auth}\"}}")), vec![]);

    // private key in a dotenv double-quoted value with real newlines, and with \n escapes
    let block = pem("EC PRIVATE KEY");
    let dotenv = format!("TLS_KEY=\"{block}\"\nOTHER=1\n");
    assert_eq!(hits(&dotenv), vec![("private-key", block.clone())]);
    let escaped = block.replace('\n', "\\n");
    let dotenv = format!("TLS_KEY=\"{escaped}\\n\"\n");
    assert_eq!(hits(&dotenv), vec![("private-key", escaped.clone())]);
    // YAML block scalar
    let indented = block.replace('\n', "\n    ");
    let yaml = format!("tls:\n  key: |\n    {indented}\n  cert: x\n");
    assert_eq!(hits(&yaml), vec![("private-key", indented)]);
}

#[test]
fn never_fires() {
    let cases: Vec<String> = vec![
        "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE".into(),
        // a commented example whose body repeats a word
        format!(
            "# private-key: |\n#   -----BEGIN RSA PRIVATE KEY-----\n{}#   -----END RSA PRIVATE KEY-----\n",
            "#   privatekeyprivatekeyprivatekeyprivatekey\n".repeat(5)
        ),
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into(),
        "GITHUB_TOKEN=ghp_XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX".into(),
        "GITHUB_TOKEN=${{ secrets.GITHUB_TOKEN }}".into(),
        "password: ${DB_PASSWORD}".into(),
        "password: $DB_PASSWORD".into(),
        "password = var.db_password".into(),
        "password = local.pw".into(),
        "password = data.vault_generic_secret.db.data[\"pw\"]".into(),
        "password = module.db.password".into(),
        "token = env(\"TOKEN\")".into(),
        "token = os.environ[\"TOKEN\"]".into(),
        "const token = process.env.TOKEN;".into(),
        "password: \"{{ .Values.password }}\"".into(),
        "password = \"%{password}\"".into(),
        "DB_PASSWORD=changeme".into(),
        "DB_PASSWORD=change_me".into(),
        "DB_PASSWORD=<your-password>".into(),
        "API_KEY=your_api_key_here".into(),
        "API_KEY=your-api-key".into(),
        "SECRET_KEY=example-secret-value".into(),
        "SECRET_KEY=dummy-secret-123".into(),
        "SECRET_KEY=sample_value_123".into(),
        "SECRET_KEY=placeholder".into(),
        "SECRET_KEY=fake_secret_123".into(),
        "SECRET_KEY=REDACTED".into(),
        "SECRET_KEY=********".into(),
        "SECRET_KEY=...".into(),
        "SECRET_KEY=TODO".into(),
        "SECRET_KEY=null".into(),
        "SECRET_KEY=".into(),
        "SECRET_KEY=\"\"".into(),
        "password: hunter".into(),
        "password: true".into(),
        "password_file: /run/secrets/db_password".into(),
        "token_env: GH_TOKEN".into(),
        "token_url: https://auth.internal/oauth/token".into(),
        "max_tokens: 4096".into(),
        format!("k=sk_test_{}", fill(24, ALNUM)),
        format!("k=pk_live_{}", fill(24, ALNUM)),
        "k=sk_test_4eC39HqLyjWDarjtT1zdp7dc".into(),
        "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 user@host".into(),
        pem("PUBLIC KEY"),
        pem("CERTIFICATE"),
        "-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----".into(),
        "url = \"https://user:password@host/x\"".into(),
        "curl -H \"Authorization: Bearer $TOKEN\" https://api".into(),
        "Authorization: Bearer <your-token-here>".into(),
        "headers: { Authorization: `Bearer ${token}` }".into(),
        format!("    password: AgB{}==", fill(300, B64)),
        format!("    secret: AQICAHh{}", fill(150, B64)),
        "url = \"https://registry.npmjs.org/left-pad/-/left-pad-1.3.0.tgz\"".into(),
        "integrity: sha512-Zq3v9Lm2Rt7Wx4KpZq3v9Lm2Rt7Wx4KpZq3v9Lm2Rt7Wx4Kp==".into(),
        "id = \"0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d\"".into(),
        "commit: 3f786850e387550fdab836ed7e6dc881de23001b".into(),
        "task-0123456789abcdef0123456789abcdef0123456789abcdef".into(),
        format!("msg.{}", fill(70, ALNUM)),
    ];
    for text in &cases {
        assert_eq!(hits(text), vec![], "{text}");
    }
}

#[test]
fn specific_beats_generic_and_sorted() {
    let gh = gh("ghp_", 30);
    let text = format!("DB_PASSWORD=Zq3v9Lm2Rt7Wx4Kp\nGITHUB_TOKEN={gh}\nAKIAENVLINTFIXTURE22\n");
    let got = Scanner::new(Vec::new()).scan(&text);
    let ids: Vec<(&str, bool)> = got.iter().map(|h| (h.detector, h.generic)).collect();
    assert_eq!(ids, vec![("generic-password", true), ("github-pat", false), ("aws-access-key-id", false)]);
    assert!(got.windows(2).all(|w| w[0].span.end <= w[1].span.start));
    assert_eq!(&text[got[1].span.range()], gh);
}

#[test]
fn allow_list() {
    let allow = vec![Regex::new("^AKIAENVLINT").expect("regex")];
    let scanner = Scanner::new(allow);
    assert!(scanner.scan("AKIAENVLINTFIXTURE22").is_empty());
    assert_eq!(scanner.scan("AKIAQYLPMN5HHHFPZAM2").len(), 1);
}

#[test]
fn strategies_agree() {
    let text = format!(
        "DB_PASSWORD=Zq3v9Lm2Rt7Wx4Kp\nGITHUB_TOKEN={}\naws_secret_access_key={}\n{}\nmsg.x task-y",
        gh("ghp_", 30),
        fill(40, B64),
        pem("RSA PRIVATE KEY")
    );
    let base = Scanner::new(Vec::new()).scan(&text);
    assert_eq!(base.len(), 4);
    for s in [Strategy::RegexPerDetector, Strategy::RegexSet] {
        assert_eq!(Scanner::with_strategy(Vec::new(), s).scan(&text), base, "{s:?}");
    }
}

#[test]
fn ids_are_consistent() {
    let mut from_specs: Vec<&str> = SPECS.iter().map(|s| s.id).filter(|id| *id != "generic").collect();
    assert!(SPECS.iter().filter(|s| s.priority <= detectors::GENERIC_TIER).count() == 4, "generic tier changed");
    from_specs.extend(detectors::GENERIC_IDS);
    from_specs.push("pgp-private-key");
    from_specs.sort_unstable();
    from_specs.dedup();
    assert_eq!(from_specs, Scanner::detector_ids());
    assert!(Scanner::detector_ids().len() >= 200);
    for spec in SPECS {
        if let Kind::Pattern { re, .. } = &spec.kind {
            assert!(Regex::new(re).is_ok(), "{}", spec.id);
        }
    }
}

#[test]
fn non_ascii_and_edges() {
    // windows land on char boundaries; spans stay valid
    let text = format!("é🦀 password: \"Zq3v9Lm2Rt7Wx4Kp\" 🦀\n{}AKIAENVLINTFIXTURE22é", "ü".repeat(3000));
    let got = hits(&text);
    assert_eq!(got.len(), 2, "{got:?}");
    for t in ["", "a", "://", "-----BEGIN ", "password", "\"auth\"", "\"service_account\"", "token=", "sk-"] {
        assert!(hits(t).is_empty(), "{t:?}");
    }
}

#[test]
fn scanner_is_send_and_sync() {
    fn shareable<T: Send + Sync>() {}
    shareable::<Scanner>();
}

#[test]
fn many_headers_without_end_stay_cheap() {
    // 20k headers and no END: each costs a binary search, not a 64 KB scan
    let text = "-----BEGIN RSA PRIVATE KEY-----\n".repeat(20_000);
    assert!(hits(&text).is_empty());
    let block = pem("RSA PRIVATE KEY");
    let text = format!("{}{block}\n", "-----BEGIN RSA PRIVATE KEY-----\nnot base64 at all\n".repeat(3));
    // the headers above the real block share its END but their body is not a key's
    assert_eq!(hits(&text), vec![("private-key", block)]);
}

#[test]
fn random_fragments_never_panic() {
    // keywords, operators, quotes, non-ASCII and line breaks glued at random
    let parts = [
        "password",
        "TOKEN",
        "secret",
        "api_key",
        "://",
        "u:p@",
        "-----BEGIN RSA PRIVATE KEY-----",
        "-----END ",
        "-----",
        "\"auth\"",
        "\"auths\"",
        "\"service_account\"",
        "\"type\": ",
        "\"private_key\": \"",
        "eyJ",
        "sk-",
        "AKIA",
        "ghp_",
        "hooks.slack",
        "accountkey",
        "datadog",
        "heroku",
        "twilio",
        ":AA",
        "-us",
        "=",
        ": ",
        ":",
        "\"",
        "'",
        "`",
        "\\",
        "\\n",
        "\n",
        "\r\n",
        " ",
        "é",
        "🦀",
        "ü",
        "Zq3v9Lm2Rt7Wx4Kp",
        "0123456789abcdef",
        "${X}",
        "#",
        ";",
        "(",
        "==",
    ];
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let scanner = Scanner::new(Vec::new());
    let (mut bytes, mut found) = (0, 0);
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..30_000 {
        let mut text = String::new();
        for _ in 0..next() % 40 {
            text.push_str(parts[(next() % parts.len() as u64) as usize]);
        }
        let got = scanner.scan(&text);
        bytes += text.len();
        found += got.len();
        for w in got.windows(2) {
            assert!(w[0].span.end <= w[1].span.start, "{text:?}");
        }
        for h in &got {
            assert!(text.get(h.span.range()).is_some_and(|v| !v.is_empty()), "{text:?}");
        }
    }
    assert!(bytes > 1_000_000 && found > 0, "{bytes} bytes, {found} hits");
}

#[test]
fn url_after_non_ascii_text_does_not_panic() {
    // issue 7: `请访问http://example.cn` then ~170 CJK characters without a space or
    // `/` made the 512-byte host cap slice inside a character
    let scanner = Scanner::new(Vec::new());
    for n in 160..=180 {
        for pad in ["", "a", "ab", "abc"] {
            let text = format!("请访问http://{pad}example.cn{}\n", "请".repeat(n));
            assert!(scanner.scan(&text).is_empty(), "{n} {pad:?}");
            assert!(scanner.mask_spans(&text).iter().all(|s| text.get(s.range()).is_some()));
            let text = format!("见 https://u:{pad}Zq3v9Lm2@h{}", "🦀".repeat(n));
            for s in scanner.mask_spans(&text) {
                assert!(text.get(s.range()).is_some(), "{n} {pad:?}");
            }
        }
    }
}

#[test]
fn random_non_ascii_never_panics() {
    // long runs of 2-, 3- and 4-byte characters around every keyword and operator,
    // long enough to cross every byte cap (128-byte keys, 512-byte hosts, 2 KB lines)
    let glue = [
        "://",
        "u:p@",
        "password",
        "TOKEN",
        "secret=",
        "api_key: ",
        "-----BEGIN RSA PRIVATE KEY-----",
        "-----END ",
        "\"auth\": \"",
        "\"auths\"",
        "\"service_account\"",
        "\"private_key\": \"",
        "eyJ",
        "AKIA",
        "ghp_",
        "sk-",
        "hooks.slack",
        ":AA",
        "-us",
        "${X:-",
        "}",
        "|\n",
        "<<EOF\n",
        "\"",
        "'",
        "=",
        ": ",
        "\n",
        " ",
        "\\",
    ];
    let wide = ["é", "ü", "ß", "请", "访", "問", "🦀", "𝄞", "\u{feff}", "a", "Z", "9"];
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let scanner = Scanner::new(Vec::new());
    let mut bytes = 0;
    for _ in 0..3_000 {
        let mut text = String::new();
        for _ in 0..next() % 12 {
            text.push_str(glue[(next() % glue.len() as u64) as usize]);
            let c = wide[(next() % wide.len() as u64) as usize];
            for _ in 0..next() % 900 {
                text.push_str(c);
            }
        }
        bytes += text.len();
        for h in scanner.scan(&text) {
            assert!(text.get(h.span.range()).is_some_and(|v| !v.is_empty()), "{text:?}");
        }
        for s in scanner.mask_spans(&text) {
            assert!(text.get(s.range()).is_some(), "{text:?}");
        }
    }
    assert!(bytes > 5_000_000, "{bytes} bytes");
}
