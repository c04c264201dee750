//! The detector table: one row per detector ID, with the keywords that trigger it,
//! how its value is found, and its priority when spans overlap. Data only.

/// How a detector finds its value once a keyword has been seen.
pub enum Kind {
    /// A regex run over the keyword's line (plus `extra_lines` following lines);
    /// capture group 1, or the whole match, is the secret.
    Pattern {
        re: &'static str,
        extra_lines: usize,
        /// Reject a match glued to alphanumerics on either side.
        boundary: bool,
        /// Extra validation of the matched value.
        check: Option<fn(&str) -> bool>,
    },
    /// `-----BEGIN ... PRIVATE KEY-----` up to its `-----END ...-----`.
    PrivateKey,
    /// The `private_key` of a JSON object with `"type": "service_account"`.
    GcpServiceAccount,
    /// `"auth": "<base64 user:pass>"` in a Docker `config.json` with `auths`.
    DockerAuth,
    /// `scheme://user:pass@host`: the password.
    UrlCredentials,
    /// `KEY=value`, `key: value`, `"key": "value"` with a secret-looking key name.
    Generic,
}

/// One detector.
pub struct Spec {
    /// Stable ID; for [`Kind::Generic`] the IDs are [`GENERIC_IDS`].
    pub id: &'static str,
    /// Trigger keywords (ASCII); matched case-insensitively unless `exact`.
    pub keywords: &'static [&'static str],
    pub exact: bool,
    /// The keyword starts the token: the byte before it must not be alphanumeric.
    pub prefix: bool,
    /// Higher wins when two hits overlap. At or below [`GENERIC_TIER`] the hits are
    /// `generic` (not provider-specific).
    pub priority: u8,
    pub kind: Kind,
}

/// Priorities up to this one mark generic detectors.
pub const GENERIC_TIER: u8 = 1;

/// IDs produced by the generic key-name detector, by keyword class.
pub const GENERIC_IDS: [&str; 6] = [
    "generic-password",
    "generic-secret",
    "generic-token",
    "generic-api-key",
    "generic-private-key",
    "generic-credentials",
];

/// Keywords of the generic detector with the index of their ID in [`GENERIC_IDS`].
pub const GENERIC_KEYWORDS: &[(&str, usize)] = &[
    ("password", 0),
    ("passwd", 0),
    ("secret", 1),
    ("token", 2),
    ("api_key", 3),
    ("api-key", 3),
    ("apikey", 3),
    ("private_key", 4),
    ("private-key", 4),
    ("privatekey", 4),
    ("credentials", 5),
];

const fn pat(re: &'static str) -> Kind {
    Kind::Pattern { re, extra_lines: 0, boundary: true, check: None }
}

const fn pat_check(re: &'static str, check: fn(&str) -> bool) -> Kind {
    Kind::Pattern { re, extra_lines: 0, boundary: true, check: Some(check) }
}

/// A context detector: the keyword names the provider, the value may be up to two lines below.
const fn ctx(re: &'static str) -> Kind {
    Kind::Pattern { re, extra_lines: 2, boundary: true, check: None }
}

const fn prefixed(id: &'static str, keywords: &'static [&'static str], kind: Kind) -> Spec {
    Spec { id, keywords, exact: true, prefix: true, priority: 10, kind }
}

const fn context(id: &'static str, keywords: &'static [&'static str], kind: Kind) -> Spec {
    Spec { id, keywords, exact: false, prefix: false, priority: 5, kind }
}

/// Every detector. Order is irrelevant; IDs are unique (a test checks).
pub const SPECS: &[Spec] = &[
    prefixed("aws-access-key-id", &["AKIA", "ASIA", "ABIA", "ACCA"], pat(r"(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}")),
    context(
        "aws-secret-access-key",
        // the key always contains "secret", which the generic detector needs as a keyword anyway
        &["secret"],
        Kind::Pattern {
            re: r#"(?i)(?:secret[_.-]?access[_.-]?key|aws[_.-]?secret[_.-]?(?:access[_.-]?)?key)["']?\s*(?:=|:=|=>|:)\s*["']?([A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+=]|$)"#,
            extra_lines: 0,
            boundary: false,
            check: None,
        },
    ),
    prefixed("github-pat", &["ghp_"], pat(r"ghp_[A-Za-z0-9]{36,251}")),
    prefixed("github-oauth-token", &["gho_"], pat(r"gho_[A-Za-z0-9]{36,251}")),
    prefixed("github-app-token", &["ghu_", "ghs_"], pat(r"gh[us]_[A-Za-z0-9]{36,251}")),
    prefixed("github-refresh-token", &["ghr_"], pat(r"ghr_[A-Za-z0-9]{36,251}")),
    prefixed("github-fine-grained-pat", &["github_pat_"], pat(r"github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}")),
    prefixed("gitlab-pat", &["glpat-"], pat(r"glpat-[A-Za-z0-9_-]{20,64}")),
    prefixed(
        "slack-token",
        &["xoxb-", "xoxa-", "xoxp-", "xoxr-", "xoxs-"],
        pat(r"xox[baprs]-[0-9]{6,}-[0-9A-Za-z-]{10,}"),
    ),
    Spec {
        id: "slack-webhook-url",
        keywords: &["hooks.slack"],
        exact: false,
        prefix: false,
        priority: 10,
        kind: pat(
            r"https?://hooks\.slack\.com/(?:services|workflows|triggers)/T[A-Z0-9]{6,}/[AB][A-Z0-9]{6,}/[A-Za-z0-9]{16,}",
        ),
    },
    prefixed("stripe-secret-key", &["sk_live_"], pat(r"sk_live_[0-9A-Za-z]{24,99}")),
    prefixed("stripe-restricted-key", &["rk_live_"], pat(r"rk_live_[0-9A-Za-z]{24,99}")),
    prefixed(
        "openai-api-key",
        &["sk-"],
        pat(
            r"sk-(?:(?:proj|svcacct|admin)-[A-Za-z0-9_-]{40,200}|[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}|[A-Za-z0-9]{48})",
        ),
    ),
    Spec {
        id: "anthropic-api-key",
        keywords: &["sk-ant-"],
        exact: true,
        prefix: true,
        priority: 11,
        kind: pat(r"sk-ant-[a-z]+[0-9]{0,2}-[A-Za-z0-9_-]{32,200}"),
    },
    prefixed("google-api-key", &["AIza"], pat(r"AIza[0-9A-Za-z_-]{35}")),
    Spec {
        id: "gcp-service-account",
        keywords: &["\"service_account\""],
        exact: true,
        prefix: false,
        priority: 20,
        kind: Kind::GcpServiceAccount,
    },
    Spec {
        id: "private-key",
        keywords: &["-----BEGIN "],
        exact: true,
        prefix: false,
        priority: 12,
        kind: Kind::PrivateKey,
    },
    prefixed(
        "jwt",
        &["eyJ"],
        pat_check(r"eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}", super::special::jwt_header_ok),
    ),
    prefixed("sendgrid-api-key", &["SG."], pat(r"SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}")),
    context(
        "twilio-api-key",
        &["twilio"],
        ctx(r#"(?i:key|sid|token|secret)\w*["']?\s*(?:=|:=|=>|:)\s*["']?((?:SK|AC)[0-9a-fA-F]{32})"#),
    ),
    Spec {
        id: "mailchimp-api-key",
        keywords: &["-us"],
        exact: true,
        prefix: false,
        priority: 10,
        kind: pat(r"[0-9a-f]{32}-us[0-9]{1,2}"),
    },
    prefixed("npm-token", &["npm_"], pat(r"npm_[A-Za-z0-9]{36}")),
    prefixed("pypi-token", &["pypi-AgEI"], pat(r"pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}")),
    context(
        "azure-storage-account-key",
        &["accountkey", "account_key", "account-key", "storage_key", "storagekey", "storage-key"],
        Kind::Pattern {
            re: r#"(?i)(?:account|storage)[_.-]?key["']?\s*(?:=|:=|=>|:)\s*["']?([A-Za-z0-9+/]{86}==)"#,
            extra_lines: 0,
            boundary: false,
            check: None,
        },
    ),
    Spec {
        id: "azure-storage-connection-string",
        // the connection string always contains "AccountKey"
        keywords: &["accountkey"],
        exact: false,
        prefix: false,
        priority: 6,
        kind: Kind::Pattern {
            re: r"(?i)DefaultEndpointsProtocol=https?;[^\s;]+(?:;[^\s;]+)*?;AccountKey=([A-Za-z0-9+/]{86}==)",
            extra_lines: 0,
            boundary: false,
            check: None,
        },
    },
    context(
        "heroku-api-key",
        &["heroku", "hrku-"],
        ctx(
            r#"(?i:key|token|auth|secret|password)\w*["']?\s*(?:=|:=|=>|:)\s*["']?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|HRKU-[A-Za-z0-9_-]{60})"#,
        ),
    ),
    context(
        "datadog-api-key",
        &["datadog", "dd_api", "dd-api", "ddapi"],
        ctx(r#"(?i:api[_.-]?key)["']?\s*(?:=|:=|=>|:)\s*["']?([0-9a-f]{32})"#),
    ),
    context(
        "datadog-app-key",
        &["datadog", "dd_app", "dd-app", "ddapp"],
        ctx(r#"(?i:app(?:lication)?[_.-]?key)["']?\s*(?:=|:=|=>|:)\s*["']?([0-9a-f]{40})"#),
    ),
    prefixed("shopify-token", &["shpat_", "shpca_", "shppa_", "shpss_"], pat(r"shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}")),
    prefixed("digitalocean-token", &["dop_v1_", "doo_v1_", "dor_v1_"], pat(r"do[opr]_v1_[a-f0-9]{64}")),
    prefixed("huggingface-token", &["hf_"], pat(r"hf_[A-Za-z0-9]{34,40}")),
    Spec {
        id: "terraform-cloud-token",
        keywords: &[".atlasv1."],
        exact: true,
        prefix: false,
        priority: 10,
        kind: pat(r"[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_=-]{60,70}"),
    },
    prefixed("vault-token", &["hvs.", "hvb."], pat(r"hv[sb]\.[A-Za-z0-9_-]{24,}")),
    prefixed("grafana-service-account-token", &["glsa_"], pat(r"glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}")),
    prefixed("grafana-cloud-token", &["glc_"], pat(r"glc_[A-Za-z0-9+/]{32,400}={0,2}")),
    Spec {
        id: "telegram-bot-token",
        keywords: &["telegram", ":AA"],
        exact: false,
        prefix: false,
        priority: 10,
        kind: Kind::Pattern {
            re: r"(?:^|[^0-9A-Za-z_-]|bot)([0-9]{8,10}:[A-Za-z0-9_-]{35})(?:[^A-Za-z0-9_-]|$)",
            extra_lines: 0,
            boundary: false,
            check: None,
        },
    },
    Spec {
        id: "docker-registry-auth",
        keywords: &["\"auth\""],
        exact: true,
        prefix: false,
        priority: 10,
        kind: Kind::DockerAuth,
    },
    Spec {
        id: "authorization-header",
        keywords: &["authorization"],
        exact: false,
        prefix: false,
        priority: GENERIC_TIER,
        kind: Kind::Pattern {
            re: r#"(?i:authorization)["']?\s*[:=]\s*["']?(?i:bearer|basic|token)\s+([A-Za-z0-9._~+/=-]{16,})"#,
            extra_lines: 0,
            boundary: true,
            check: Some(super::filter::looks_like_secret),
        },
    },
    Spec {
        id: "url-credentials",
        keywords: &["://"],
        exact: true,
        prefix: false,
        priority: GENERIC_TIER,
        kind: Kind::UrlCredentials,
    },
    Spec {
        id: "generic",
        keywords: &[
            "password",
            "passwd",
            "secret",
            "token",
            "api_key",
            "api-key",
            "apikey",
            "private_key",
            "private-key",
            "privatekey",
            "credentials",
        ],
        exact: false,
        prefix: false,
        priority: 0,
        kind: Kind::Generic,
    },
];

/// Every detector ID, sorted.
pub const DETECTOR_IDS: &[&str] = &[
    "anthropic-api-key",
    "authorization-header",
    "aws-access-key-id",
    "aws-secret-access-key",
    "azure-storage-account-key",
    "azure-storage-connection-string",
    "datadog-api-key",
    "datadog-app-key",
    "digitalocean-token",
    "docker-registry-auth",
    "gcp-service-account",
    "generic-api-key",
    "generic-credentials",
    "generic-password",
    "generic-private-key",
    "generic-secret",
    "generic-token",
    "github-app-token",
    "github-fine-grained-pat",
    "github-oauth-token",
    "github-pat",
    "github-refresh-token",
    "gitlab-pat",
    "google-api-key",
    "grafana-cloud-token",
    "grafana-service-account-token",
    "heroku-api-key",
    "huggingface-token",
    "jwt",
    "mailchimp-api-key",
    "npm-token",
    "openai-api-key",
    "pgp-private-key",
    "private-key",
    "pypi-token",
    "sendgrid-api-key",
    "shopify-token",
    "slack-token",
    "slack-webhook-url",
    "stripe-restricted-key",
    "stripe-secret-key",
    "telegram-bot-token",
    "terraform-cloud-token",
    "twilio-api-key",
    "url-credentials",
    "vault-token",
];
