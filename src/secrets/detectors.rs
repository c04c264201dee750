//! The detector table: one row per detector ID, with the keywords that trigger it,
//! how its value is found, and its priority when spans overlap. Data only (the
//! checks the rows name live in `providers`).
//!
//! Coverage: every provider that gitleaks' default rules (v8, 222 rules) know has
//! a detector here, written from the providers' documented token formats. Where a
//! token has a literal prefix it is the keyword, and the token needs its exact
//! length and alphabet, enough entropy and, where the format has one, a valid
//! checksum or payload. Prefix-less tokens are `keyed`: the *key* the value is
//! assigned to must start a word with the provider's name and end with a
//! credential word (`OKTA_API_TOKEN`, not `OKTA_URL`), and the value must be the
//! whole value, random, not a number or words. Left out on purpose:
//! - public identifiers, not secrets: OAuth client IDs and app keys (Adobe, Asana,
//!   Bitbucket, Discord, Linkedin, Looker, Messagebird, Plaid, Dropbox app key),
//!   access-key halves of a key pair (Bittrex, Kucoin, Confluent, Sumo Logic,
//!   Sendbird, Twitter consumer key, New Relic user ID), publishable/browser keys
//!   (Mapbox `pk.`, Lob `*_pub_`, Mailgun `pubkey-`, Flutterwave `FLWPUBK`,
//!   New Relic `NRJS-`), like Stripe's `pk_live_`;
//! - test-mode keys, like Stripe's `sk_test_`: Easypost `EZTK`, Flutterwave
//!   `*_TEST-`, Duffel/Shippo/Lob `test_`, Plaid `access-sandbox-`;
//! - what the generic detectors already cover (gitleaks `generic-api-key`,
//!   `curl-auth-header`, `hashicorp-tf-password`, `kubernetes-secret-yaml`) or what
//!   is not text (`pkcs12-file`);
//! - shapes too loose to be precise: `curl -u user:pass` (a generic password),
//!   Vault's legacy `s.` tokens without a `vault` key, Sourcegraph's bare 40-hex.

use super::providers;

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

/// A token whose keyword is its literal prefix (case-sensitive, not glued to a
/// word before it), random enough ([`providers::token`]).
const fn token(id: &'static str, keywords: &'static [&'static str], re: &'static str) -> Spec {
    prefixed(id, keywords, pat_check(re, providers::token))
}

/// A token with its own validation (checksum, decodable payload).
const fn token_check(
    id: &'static str,
    keywords: &'static [&'static str],
    re: &'static str,
    check: fn(&str) -> bool,
) -> Spec {
    prefixed(id, keywords, pat_check(re, check))
}

/// A token found by a literal inside it rather than at its start (`...Q~...`,
/// `..._mmk`): case-sensitive keyword, no prefix rule.
const fn inner(id: &'static str, keywords: &'static [&'static str], re: &'static str) -> Spec {
    Spec { id, keywords, exact: true, prefix: false, priority: 10, kind: pat_check(re, providers::token) }
}

/// A prefix-less value in an assignment whose key names the provider; `re` comes
/// from [`keyed_re!`]. Keywords are the provider names (any case).
const fn keyed(id: &'static str, keywords: &'static [&'static str], re: &'static str) -> Spec {
    Spec {
        id,
        keywords,
        exact: false,
        prefix: false,
        priority: 5,
        kind: Kind::Pattern { re, extra_lines: 0, boundary: true, check: Some(providers::keyed) },
    }
}

/// The regex of a [`keyed`] detector: a key that starts with `$key` at the start of
/// one of its words and ends with a credential word (`CODECOV_TOKEN`,
/// `codecov.api_key`, `"codecovToken"`, but not `CODECOV_URL`), or is `$key`
/// itself (`$key` may end with its own credential word: `...secret`); then an
/// assignment (`=`, `:`, `:=`, `=>`, `?=`, or `,` between arguments); then
/// `$value` as the *whole* value: quoted, or ended by a space, `;`, `,`, a bracket
/// or the end of the line. The key is case-insensitive, `$value` is not. Capture
/// group 1 is the value.
macro_rules! keyed_re {
    ($key:expr, $value:expr) => {
        concat!(
            r#"(?:^|[^A-Za-z0-9])(?i:(?:"#,
            $key,
            r#")(?:[A-Za-z0-9_.-]{0,30}?(?:key|token|secret|password|passwd|pass|pwd|auth|credential|cred|sid|pat|jwt|login))?(?:s|[0-9]{1,2})?)["'`]?\s*(?:=|:=|=>|:|\?=|,)\s*["'`]?("#,
            $value,
            r#")(?:[\s"'`;,)}\]\\<]|$)"#
        )
    };
}

/// A UUID in lowercase or uppercase hex.
macro_rules! uuid {
    () => {
        r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}"
    };
}

/// Every detector. Order is irrelevant; IDs are unique (a test checks).
pub const SPECS: &[Spec] = &[
    // ---- cloud providers
    prefixed(
        "aws-access-key-id",
        &["AKIA", "ASIA", "ABIA", "ACCA", "A3T"],
        pat_check(r"(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}", providers::entropy_ok),
    ),
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
    token_check(
        "aws-bedrock-api-key",
        &["ABSKQmVkcm9ja0FQSUtleS"],
        r"ABSKQmVkcm9ja0FQSUtleS[A-Za-z0-9+/]{80,260}={0,2}",
        providers::bedrock_api_key,
    ),
    token_check(
        "aws-bedrock-short-lived-api-key",
        &["bedrock-api-key-YmVkcm9jay5hbWF6b25hd3MuY29t"],
        r"bedrock-api-key-YmVkcm9jay5hbWF6b25hd3MuY29t[A-Za-z0-9+/]{100,}={0,2}",
        providers::bedrock_short_lived,
    ),
    token("alibaba-access-key-id", &["LTAI"], r"LTAI[A-Za-z0-9]{12,20}"),
    keyed(
        "alibaba-secret-key",
        &["alibaba", "aliyun"],
        keyed_re!(r"(?:alibaba|aliyun)[A-Za-z0-9_.-]{0,20}?secret", "[A-Za-z0-9]{30}"),
    ),
    Spec {
        id: "azure-ad-client-secret",
        keywords: &["Q~"],
        exact: true,
        prefix: false,
        priority: 10,
        kind: Kind::Pattern {
            re: r#"(?:^|[\\'"`\s>=:(,)])([A-Za-z0-9_~.]{3}[0-9]Q~[A-Za-z0-9_~.-]{31,34})(?:$|[\\'"`\s<),])"#,
            extra_lines: 0,
            boundary: false,
            check: Some(providers::keyed),
        },
    },
    token("cloudflare-origin-ca-key", &["v1.0-"], r"v1\.0-[a-f0-9]{24}-[a-f0-9]{146}"),
    keyed("cloudflare-api-token", &["cloudflare"], keyed_re!("cloudflare", "[A-Za-z0-9_-]{40}")),
    keyed("cloudflare-global-api-key", &["cloudflare"], keyed_re!("cloudflare", "[a-f0-9]{37}")),
    token("databricks-api-token", &["dapi"], r"dapi[a-f0-9]{32}(?:-[0-9])?"),
    token("dynatrace-api-token", &["dt0c01."], r"dt0c01\.[A-Z0-9]{24}\.[A-Z0-9]{64}"),
    token(
        "flyio-access-token",
        &["fo1_", "fm1a_", "fm1r_", "fm2_"],
        r"fo1_[A-Za-z0-9_-]{43}|fm(?:1[ar]|2)_[A-Za-z0-9+/]{100,}={0,3}",
    ),
    token("openshift-user-token", &["sha256~"], r"sha256~[A-Za-z0-9_-]{43}"),
    token("scalingo-api-token", &["tk-us-"], r"tk-us-[A-Za-z0-9_-]{48}"),
    keyed("yandex-aws-access-token", &["yandex"], keyed_re!("yandex", "YC[A-Za-z0-9_-]{38}")),
    token("yandex-api-key", &["AQVN"], r"AQVN[A-Za-z0-9_-]{35,38}"),
    keyed(
        "yandex-access-token",
        &["yandex"],
        keyed_re!("yandex", "t1\\.[A-Za-z0-9_-]{10,200}={0,2}\\.[A-Za-z0-9_-]{86}={0,2}"),
    ),
    // ---- source hosting, CI/CD, registries
    token_check("github-pat", &["ghp_"], r"ghp_[A-Za-z0-9]{36,251}", providers::github_checksum),
    token_check("github-oauth-token", &["gho_"], r"gho_[A-Za-z0-9]{36,251}", providers::github_checksum),
    token_check("github-app-token", &["ghu_", "ghs_"], r"gh[us]_[A-Za-z0-9]{36,251}", providers::github_checksum),
    token_check("github-refresh-token", &["ghr_"], r"ghr_[A-Za-z0-9]{36,251}", providers::github_checksum),
    token("github-fine-grained-pat", &["github_pat_"], r"github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}"),
    prefixed(
        "gitlab-pat",
        &["glpat-"],
        // routable tokens (`<payload>.<version><crc>`) first, so they are not cut at 20
        pat_check(
            r"glpat-(?:[A-Za-z0-9_-]{27,300}\.[0-9a-z]{2}\.?[0-9a-z]{7}|[A-Za-z0-9_-]{20})",
            providers::gitlab_token,
        ),
    ),
    token_check(
        "gitlab-cicd-job-token",
        &["glcbt-"],
        r"glcbt-[0-9A-Za-z]{1,5}_[0-9A-Za-z_-]{20}",
        providers::gitlab_token,
    ),
    token_check("gitlab-deploy-token", &["gldt-"], r"gldt-[0-9A-Za-z_-]{20}", providers::gitlab_token),
    token_check("gitlab-feature-flag-client-token", &["glffct-"], r"glffct-[0-9A-Za-z_-]{20}", providers::gitlab_token),
    token_check("gitlab-feed-token", &["glft-"], r"glft-[0-9A-Za-z_-]{20}", providers::gitlab_token),
    token_check("gitlab-incoming-mail-token", &["glimt-"], r"glimt-[0-9A-Za-z_-]{25}", providers::gitlab_token),
    token_check("gitlab-kubernetes-agent-token", &["glagent-"], r"glagent-[0-9A-Za-z_-]{50}", providers::gitlab_token),
    token_check("gitlab-oauth-app-secret", &["gloas-"], r"gloas-[0-9A-Za-z_-]{64}", providers::gitlab_token),
    token("gitlab-pipeline-trigger-token", &["glptt-"], r"glptt-[0-9a-f]{40}"),
    token_check(
        "gitlab-runner-registration-token",
        &["GR1348941"],
        r"GR1348941[0-9A-Za-z_-]{20}",
        providers::gitlab_token,
    ),
    token_check(
        "gitlab-runner-token",
        &["glrt-"],
        r"glrt-(?:t[0-9]_[0-9A-Za-z_-]{27,300}\.[0-9a-z]{2}\.?[0-9a-z]{7}|[0-9A-Za-z_-]{20})",
        providers::gitlab_token,
    ),
    token_check("gitlab-scim-token", &["glsoat-"], r"glsoat-[0-9A-Za-z_-]{20}", providers::gitlab_token),
    Spec {
        id: "gitlab-session-cookie",
        keywords: &["_gitlab_session="],
        exact: true,
        prefix: false,
        priority: 10,
        kind: pat_check(r"_gitlab_session=([0-9a-z]{32})", providers::keyed),
    },
    token("atlassian-api-token", &["ATATT3"], r"ATATT3[A-Za-z0-9_=-]{186}"),
    keyed(
        "atlassian-legacy-api-token",
        &["atlassian", "confluence", "jira"],
        keyed_re!("atlassian|confluence|jira", "[A-Za-z0-9]{20}[a-f0-9]{4}"),
    ),
    keyed(
        "bitbucket-client-secret",
        &["bitbucket"],
        keyed_re!(r"bitbucket[A-Za-z0-9_.-]{0,20}?secret", "[A-Za-z0-9_=-]{32,64}"),
    ),
    token("artifactory-api-key", &["AKCp"], r"AKCp[A-Za-z0-9]{69}"),
    token_check(
        "artifactory-reference-token",
        &["cmVmdGtu"],
        r"cmVmdGtu[A-Za-z0-9]{56}",
        providers::artifactory_reference,
    ),
    keyed(
        "jfrog-api-key",
        &["jfrog", "artifactory", "bintray", "xray"],
        keyed_re!("jfrog|artifactory|bintray|xray", "[A-Za-z0-9]{73}"),
    ),
    keyed(
        "jfrog-identity-token",
        &["jfrog", "artifactory", "bintray", "xray"],
        keyed_re!("jfrog|artifactory|bintray|xray", "[A-Za-z0-9]{64}"),
    ),
    token("clojars-api-token", &["CLOJARS_"], r"CLOJARS_[a-z0-9]{60}"),
    token("npm-token", &["npm_"], r"npm_[A-Za-z0-9]{36}"),
    prefixed("pypi-token", &["pypi-AgEI"], pat(r"pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}")),
    token("rubygems-api-token", &["rubygems_"], r"rubygems_[a-f0-9]{48}"),
    keyed(
        "sidekiq-secret",
        &["contribsys__com"],
        keyed_re!(r"bundle_(?:enterprise|gems)__contribsys__com", "[a-f0-9]{8}:[a-f0-9]{8}"),
    ),
    Spec {
        id: "sidekiq-sensitive-url",
        keywords: &["contribsys.com"],
        exact: false,
        prefix: false,
        priority: 10,
        kind: Kind::Pattern {
            re: r"https?://([a-f0-9]{8}:[a-f0-9]{8})@(?:gems|enterprise)\.contribsys\.com",
            extra_lines: 0,
            boundary: false,
            check: Some(providers::keyed),
        },
    },
    keyed("codecov-access-token", &["codecov"], keyed_re!("codecov", uuid!())),
    keyed("droneci-access-token", &["drone"], keyed_re!("drone", "[A-Za-z0-9]{32}")),
    keyed("travisci-access-token", &["travis"], keyed_re!("travis", "[A-Za-z0-9]{22}")),
    token("harness-api-key", &["pat.", "sat."], r"(?:pat|sat)\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9]{24}\.[A-Za-z0-9]{20}"),
    token("infracost-api-token", &["ico-"], r"ico-[A-Za-z0-9]{32}"),
    prefixed("octopus-deploy-api-key", &["API-"], pat_check(r"API-[A-Z0-9]{26}", providers::octopus_api_key)),
    token("prefect-api-token", &["pnu_"], r"pnu_[A-Za-z0-9]{36}"),
    token("pulumi-api-token", &["pul-"], r"pul-[a-f0-9]{40}"),
    token("sonar-api-token", &["squ_", "sqp_", "sqa_"], r"sq[upa]_[a-f0-9]{40}"),
    keyed("sonar-legacy-api-token", &["sonar"], keyed_re!(r"sonar[_.-]?(?:login|token)", "[a-f0-9]{40}")),
    token("sourcegraph-access-token", &["sgp_"], r"sgp_(?:[a-fA-F0-9]{16}_|local_)?[a-fA-F0-9]{40}"),
    keyed("snyk-api-token", &["snyk"], keyed_re!(r"snyk[_.-]?(?:(?:api|oauth)[_.-]?)?(?:key|token)", uuid!())),
    // ---- secrets managers and identity
    token_check(
        "1password-service-account-token",
        &["ops_eyJ"],
        r"ops_eyJ[A-Za-z0-9+/]{250,}={0,3}",
        providers::onepassword_service_account,
    ),
    token_check(
        "1password-secret-key",
        &["A3-"],
        r"A3-[A-Z0-9]{6}-(?:[A-Z0-9]{11}|[A-Z0-9]{6}-[A-Z0-9]{5})-[A-Z0-9]{5}-[A-Z0-9]{5}-[A-Z0-9]{5}",
        providers::onepassword_secret_key,
    ),
    token_check(
        "age-secret-key",
        &["AGE-SECRET-KEY-1"],
        r"AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}",
        providers::bech32,
    ),
    inner(
        "authress-service-client-access-key",
        &[".acc_", ".acc-"],
        r"(?:sc|ext|scauth|authress)_[A-Za-z0-9]{5,30}\.[A-Za-z0-9]{4,6}\.acc[_-][A-Za-z0-9-]{10,32}\.[A-Za-z0-9+/_=-]{30,120}",
    ),
    token(
        "doppler-api-token",
        &["dp.pt.", "dp.st.", "dp.sa.", "dp.ct.", "dp.scim.", "dp.audit."],
        r"dp\.(?:pt|st|sa|ct|scim|audit)\.(?:[a-z0-9_-]{2,35}\.)?[A-Za-z0-9]{40,44}",
    ),
    keyed("okta-access-token", &["okta"], keyed_re!("okta", "00[A-Za-z0-9_=-]{40}")),
    keyed("vault-legacy-token", &["vault"], keyed_re!("vault", r"s\.[A-Za-z0-9]{24}")),
    // ---- messaging, chat, email
    token(
        "slack-token",
        &["xoxb-", "xoxa-", "xoxp-", "xoxr-", "xoxs-", "xoxo-", "xoxe-"],
        // bot (and legacy bot), user, legacy xoxo/xoxs, legacy workspace xoxa/xoxr
        concat!(
            r"xoxb-[0-9]{8,14}-(?:[0-9]{8,14}-)?[A-Za-z0-9]{18,34}",
            r"|xox[pe](?:-[0-9]{8,14}){3}-[a-f0-9]{32}",
            r"|xox[os]-[0-9]{6,14}-[0-9]{6,14}-[0-9]{6,14}-[a-f0-9]{20,64}",
            r"|xox[ar]-(?:[0-9]-)?[0-9A-Za-z]{20,48}",
        ),
    ),
    token("slack-app-token", &["xapp-"], r"xapp-[0-9]-[A-Z0-9]{9,12}-[0-9]{10,14}-[a-f0-9]{64}"),
    token(
        "slack-config-token",
        &["xoxe.xoxb-", "xoxe.xoxp-", "xoxe-"],
        r"xoxe\.xox[bp]-[0-9]-[A-Za-z0-9]{163,166}|xoxe-[0-9]-[A-Za-z0-9]{146}",
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
    Spec {
        id: "microsoft-teams-webhook",
        keywords: &["webhook.office.com"],
        exact: false,
        prefix: false,
        priority: 10,
        kind: pat_check(
            r"https://[a-z0-9-]+\.webhook\.office\.com/webhookb2/[a-f0-9]{8}-(?:[a-f0-9]{4}-){3}[a-f0-9]{12}@[a-f0-9]{8}-(?:[a-f0-9]{4}-){3}[a-f0-9]{12}/IncomingWebhook/[a-f0-9]{32}/[a-f0-9]{8}-(?:[a-f0-9]{4}-){3}[a-f0-9]{12}(?:/[A-Za-z0-9_-]{20,})?",
            providers::entropy_ok,
        ),
    },
    Spec {
        id: "discord-webhook-url",
        keywords: &["discord.com/api/webhooks/", "discordapp.com/api/webhooks/"],
        exact: false,
        prefix: false,
        priority: 10,
        kind: pat_check(
            r"https://(?:(?:ptb|canary)\.)?discord(?:app)?\.com/api/webhooks/[0-9]{17,20}/[A-Za-z0-9_-]{60,72}",
            providers::entropy_ok,
        ),
    },
    keyed(
        "discord-api-token",
        &["discord"],
        keyed_re!("discord", r"[MNO][A-Za-z0-9_-]{23,25}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,38}"),
    ),
    keyed("discord-client-secret", &["discord"], keyed_re!(r"discord[A-Za-z0-9_.-]{0,20}?secret", "[A-Za-z0-9_-]{32}")),
    Spec {
        id: "telegram-bot-token",
        keywords: &["telegram", ":AA"],
        exact: false,
        prefix: false,
        priority: 10,
        kind: Kind::Pattern {
            re: r"(?:^|[^0-9A-Za-z_-]|bot)([0-9]{8,10}:AA[A-Za-z0-9_-]{33})(?:[^A-Za-z0-9_]|$)",
            extra_lines: 0,
            boundary: false,
            check: None,
        },
    },
    keyed("gitter-access-token", &["gitter"], keyed_re!("gitter", "[A-Za-z0-9_-]{40}")),
    keyed("mattermost-access-token", &["mattermost"], keyed_re!("mattermost", "[a-z0-9]{26}")),
    keyed(
        "messagebird-api-token",
        &["messagebird", "message_bird", "message-bird"],
        keyed_re!(r"message[_-]?bird", "[A-Za-z0-9]{25}"),
    ),
    keyed("sendbird-access-token", &["sendbird"], keyed_re!("sendbird", "[a-f0-9]{40}")),
    keyed("intercom-api-key", &["intercom"], keyed_re!("intercom", "[A-Za-z0-9_=-]{60}")),
    keyed("zendesk-secret-key", &["zendesk"], keyed_re!("zendesk", "[A-Za-z0-9]{40}")),
    token("sendgrid-api-key", &["SG."], r"SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}"),
    token("sendinblue-api-token", &["xkeysib-"], r"xkeysib-[a-f0-9]{64}-[A-Za-z0-9]{16}"),
    Spec {
        id: "mailchimp-api-key",
        keywords: &["-us"],
        exact: true,
        prefix: false,
        priority: 10,
        kind: pat_check(r"[0-9a-f]{32}-us[0-9]{1,2}", providers::entropy_ok),
    },
    keyed("mailgun-private-api-token", &["mailgun"], keyed_re!("mailgun", "key-[a-f0-9]{32}")),
    keyed("mailgun-signing-key", &["mailgun"], keyed_re!("mailgun", "[a-f0-9]{32}-[a-f0-9]{8}-[a-f0-9]{8}")),
    context(
        "twilio-api-key",
        &["twilio"],
        ctx(r#"(?i:key|sid|token|secret)\w*["']?\s*(?:=|:=|=>|:)\s*["']?((?:SK|AC)[0-9a-fA-F]{32})"#),
    ),
    // ---- payments, finance, commerce
    token("stripe-secret-key", &["sk_live_"], r"sk_live_[0-9A-Za-z]{24,99}"),
    token("stripe-restricted-key", &["rk_live_"], r"rk_live_[0-9A-Za-z]{24,99}"),
    token("square-access-token", &["EAAA", "sq0atp-"], r"EAAA[A-Za-z0-9_-]{60}|sq0atp-[A-Za-z0-9_-]{22}"),
    token("square-oauth-secret", &["sq0csp-"], r"sq0csp-[A-Za-z0-9_-]{43}"),
    token("shippo-api-token", &["shippo_live_"], r"shippo_live_[a-fA-F0-9]{40}"),
    token("duffel-api-token", &["duffel_live_"], r"duffel_live_[A-Za-z0-9_=-]{43}"),
    token("easypost-api-token", &["EZAK"], r"EZAK[A-Za-z0-9]{54}"),
    token("flutterwave-secret-key", &["FLWSECK-"], r"FLWSECK-[a-f0-9]{32}-X"),
    keyed("gocardless-api-token", &["gocardless"], keyed_re!("gocardless", "live_[A-Za-z0-9_=-]{40}")),
    keyed("lob-api-key", &["live_"], keyed_re!("lob", "live_[a-f0-9]{35}")),
    token(
        "plaid-api-token",
        &["access-production-", "access-development-"],
        r"access-(?:production|development)-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
    ),
    keyed("plaid-secret-key", &["plaid"], keyed_re!(r"plaid[A-Za-z0-9_.-]{0,20}?secret", "[a-f0-9]{30}")),
    keyed(
        "finicity-client-secret",
        &["finicity"],
        keyed_re!(r"finicity[A-Za-z0-9_.-]{0,20}?secret", "[A-Za-z0-9]{20}"),
    ),
    keyed("finicity-api-token", &["finicity"], keyed_re!("finicity", "[a-f0-9]{32}")),
    keyed("finnhub-access-token", &["finnhub"], keyed_re!("finnhub", "[a-z0-9]{20}")),
    keyed("coinbase-access-token", &["coinbase"], keyed_re!("coinbase", "[A-Za-z0-9_-]{64}")),
    keyed("kraken-access-token", &["kraken"], keyed_re!("kraken", "[A-Za-z0-9/+=]{80,90}")),
    keyed(
        "kucoin-secret-key",
        &["kucoin"],
        keyed_re!(
            r"kucoin[A-Za-z0-9_.-]{0,20}?secret",
            r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
        ),
    ),
    keyed("bittrex-secret-key", &["bittrex"], keyed_re!(r"bittrex[A-Za-z0-9_.-]{0,20}?secret", "[A-Za-z0-9]{32}")),
    prefixed(
        "shopify-token",
        &["shpat_", "shpca_", "shppa_", "shpss_"],
        pat_check(r"shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}", providers::entropy_ok),
    ),
    keyed("etsy-access-token", &["etsy"], keyed_re!("etsy", "[a-z0-9]{24}")),
    keyed("freshbooks-access-token", &["freshbooks"], keyed_re!("freshbooks", "[a-z0-9]{64}")),
    Spec {
        id: "freemius-secret-key",
        keywords: &["secret_key"],
        exact: false,
        prefix: false,
        priority: 10,
        kind: Kind::Pattern {
            re: r#"(?i:["']secret_key["'])\s*=>\s*["'](sk_[^\s"'\\]{29})["']"#,
            extra_lines: 0,
            boundary: false,
            check: Some(providers::token),
        },
    },
    // ---- AI
    token(
        "openai-api-key",
        &["sk-"],
        r"sk-(?:(?:proj|svcacct|admin)-[A-Za-z0-9_-]{40,200}|[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}|[A-Za-z0-9]{48})",
    ),
    Spec {
        id: "anthropic-api-key",
        keywords: &["sk-ant-"],
        exact: true,
        prefix: true,
        priority: 11,
        // the key part of Anthropic's keys ends with `AA`
        kind: pat_check(r"sk-ant-[a-z]{3,6}[0-9]{2}-[A-Za-z0-9_-]{80,120}AA", providers::token),
    },
    Spec {
        id: "anthropic-admin-api-key",
        keywords: &["sk-ant-admin01-"],
        exact: true,
        prefix: true,
        priority: 12,
        kind: pat_check(r"sk-ant-admin01-[A-Za-z0-9_-]{93}AA", providers::token),
    },
    keyed("cohere-api-token", &["cohere", "co_api_key"], keyed_re!("cohere|co_api_key", "[A-Za-z0-9]{40}")),
    token_check("huggingface-token", &["hf_"], r"hf_[A-Za-z0-9]{34,40}", providers::letters_token),
    token_check("huggingface-organization-api-token", &["api_org_"], r"api_org_[A-Za-z]{34}", providers::letters_token),
    token("perplexity-api-key", &["pplx-"], r"pplx-[A-Za-z0-9]{48}"),
    keyed(
        "privateai-api-token",
        &["privateai", "private_ai", "private-ai"],
        keyed_re!(r"private[_-]?ai", "[a-z0-9]{32}"),
    ),
    // ---- Google, Microsoft, Meta, social
    prefixed("google-api-key", &["AIza"], pat_check(r"AIza[0-9A-Za-z_-]{35}", providers::entropy_ok)),
    Spec {
        id: "gcp-service-account",
        keywords: &["\"service_account\""],
        exact: true,
        prefix: false,
        priority: 20,
        kind: Kind::GcpServiceAccount,
    },
    keyed(
        "facebook-secret",
        &["facebook"],
        keyed_re!(r"facebook[A-Za-z0-9_.-]{0,20}?(?:secret|token)", "[a-f0-9]{32}"),
    ),
    context(
        "facebook-access-token",
        &["facebook"],
        Kind::Pattern {
            re: r"(?:^|[^0-9A-Za-z])([0-9]{15,16}(?:\||%7C)[A-Za-z0-9_-]{27,40})(?:[^A-Za-z0-9_-]|$)",
            extra_lines: 2,
            boundary: false,
            check: Some(providers::keyed),
        },
    ),
    token("facebook-page-access-token", &["EAAM", "EAAC"], r"EAA[MC][A-Za-z0-9]{100,400}"),
    keyed(
        "linkedin-client-secret",
        &["linkedin", "linked_in", "linked-in"],
        keyed_re!(r"linked[_-]?in[A-Za-z0-9_.-]{0,20}?secret", "[A-Za-z0-9]{16}"),
    ),
    keyed("twitter-bearer-token", &["twitter"], keyed_re!("twitter", "A{22}[A-Za-z0-9%]{80,100}")),
    keyed("twitter-access-token", &["twitter"], keyed_re!("twitter", "[0-9]{15,25}-[A-Za-z0-9]{20,40}")),
    keyed("twitter-access-secret", &["twitter"], keyed_re!(r"twitter[A-Za-z0-9_.-]{0,20}?secret", "[A-Za-z0-9]{45}")),
    keyed("twitter-api-secret", &["twitter"], keyed_re!(r"twitter[A-Za-z0-9_.-]{0,20}?secret", "[A-Za-z0-9]{50}")),
    keyed("twitch-api-token", &["twitch"], keyed_re!("twitch", "[a-z0-9]{30}")),
    keyed("flickr-access-token", &["flickr"], keyed_re!("flickr", "[a-f0-9]{32}")),
    keyed(
        "nytimes-access-token",
        &["nytimes", "new-york-times", "new_york_times", "newyorktimes"],
        keyed_re!(r"nytimes|new[_-]?york[_-]?times", "[A-Za-z0-9_=-]{32}"),
    ),
    // ---- observability
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
    token("grafana-service-account-token", &["glsa_"], r"glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}"),
    prefixed("grafana-cloud-token", &["glc_"], pat_check(r"glc_[A-Za-z0-9+/]{32,400}={0,2}", providers::entropy_ok)),
    token_check("grafana-api-key", &["eyJrIjoi"], r"eyJrIjoi[A-Za-z0-9]{70,400}={0,3}", providers::grafana_api_key),
    token("new-relic-user-api-key", &["NRAK-"], r"NRAK-[A-Z0-9]{27}"),
    token("new-relic-insert-key", &["NRII-"], r"NRII-[A-Za-z0-9_-]{32}"),
    token("sentry-user-token", &["sntryu_"], r"sntryu_[a-f0-9]{64}"),
    token_check(
        "sentry-org-token",
        &["sntrys_eyJ"],
        r"sntrys_eyJ[A-Za-z0-9+/]{20,600}={0,2}_[A-Za-z0-9+/]{43}",
        providers::sentry_org_token,
    ),
    keyed("sentry-access-token", &["sentry"], keyed_re!("sentry", "[a-f0-9]{64}")),
    keyed(
        "sumologic-access-token",
        &["sumo"],
        keyed_re!(r"sumo[A-Za-z0-9_.-]{0,20}?(?:key|token|secret)", "[A-Za-z0-9]{64}"),
    ),
    keyed("cisco-meraki-api-key", &["meraki"], keyed_re!("meraki", "[0-9a-f]{40}")),
    token("clickhouse-cloud-api-secret-key", &["4b1d"], r"4b1d[A-Za-z0-9]{38}"),
    // ---- SaaS and developer tools
    token("adafruit-api-key", &["aio_"], r"aio_[A-Za-z0-9]{28}"),
    token("adobe-client-secret", &["p8e-"], r"p8e-[A-Za-z0-9_-]{32}"),
    context(
        "airtable-personal-access-token",
        &["airtable"],
        Kind::Pattern {
            re: r"(?:^|[^A-Za-z0-9])(pat[A-Za-z0-9]{14}\.[a-f0-9]{64})",
            extra_lines: 2,
            boundary: true,
            check: Some(providers::token),
        },
    ),
    keyed("airtable-api-key", &["airtable"], keyed_re!("airtable", "key[A-Za-z0-9]{14}")),
    keyed("algolia-api-key", &["algolia"], keyed_re!(r"algolia[A-Za-z0-9_.-]{0,20}?(?:admin|write)", "[a-f0-9]{32}")),
    keyed("asana-client-secret", &["asana"], keyed_re!(r"asana[A-Za-z0-9_.-]{0,20}?secret", "[a-z0-9]{32}")),
    keyed("beamer-api-token", &["beamer"], keyed_re!("beamer", "b_[A-Za-z0-9_=-]{44}")),
    keyed(
        "confluent-secret-key",
        &["confluent"],
        keyed_re!(r"confluent[A-Za-z0-9_.-]{0,20}?secret", "[A-Za-z0-9+/]{64}"),
    ),
    keyed("contentful-delivery-api-token", &["contentful"], keyed_re!("contentful", "[A-Za-z0-9_-]{43}")),
    token("contentful-personal-access-token", &["CFPAT-"], r"CFPAT-[A-Za-z0-9_-]{43}"),
    token("defined-networking-api-token", &["dnkey-"], r"dnkey-[A-Za-z0-9_=-]{26}-[A-Za-z0-9_=-]{52}"),
    keyed(
        "dropbox-long-lived-api-token",
        &["dropbox"],
        keyed_re!("dropbox", "[A-Za-z0-9]{11}AAAAAAAAAA[A-Za-z0-9_=-]{43}"),
    ),
    keyed("dropbox-short-lived-api-token", &["dropbox"], keyed_re!("dropbox", r"sl\.(?:u\.)?[A-Za-z0-9_=-]{130,}")),
    keyed("fastly-api-token", &["fastly"], keyed_re!("fastly", "[A-Za-z0-9_-]{32}")),
    token("frameio-api-token", &["fio-u-"], r"fio-u-[A-Za-z0-9_=-]{64}"),
    keyed("hubspot-api-key", &["hubspot"], keyed_re!("hubspot", uuid!())),
    token(
        "hubspot-private-app-token",
        &["pat-na1-", "pat-eu1-"],
        r"pat-(?:na|eu)1-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
    ),
    token("intra42-client-secret", &["s-s4t2ud-", "s-s4t2af-"], r"s-s4t2(?:ud|af)-[a-f0-9]{64}"),
    keyed(
        "launchdarkly-access-token",
        &["launchdarkly"],
        keyed_re!("launchdarkly", r"(?:sdk|api)-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"),
    ),
    token("linear-api-key", &["lin_api_"], r"lin_api_[A-Za-z0-9]{40}"),
    keyed("linear-client-secret", &["linear"], keyed_re!(r"linear[A-Za-z0-9_.-]{0,20}?secret", "[a-f0-9]{32}")),
    keyed("looker-client-secret", &["looker"], keyed_re!(r"looker[A-Za-z0-9_.-]{0,20}?secret", "[A-Za-z0-9]{24}")),
    token("mapbox-secret-token", &["sk.eyJ"], r"sk\.eyJ[A-Za-z0-9_-]{50,300}\.[A-Za-z0-9_-]{22}"),
    inner("maxmind-license-key", &["_mmk"], r"[A-Za-z0-9]{6}_[A-Za-z0-9]{29}_mmk"),
    keyed("netlify-access-token", &["netlify"], keyed_re!("netlify", "[A-Za-z0-9_-]{40,46}")),
    token("notion-api-token", &["ntn_"], r"ntn_[0-9]{11}[A-Za-z0-9]{35}"),
    token("planetscale-api-token", &["pscale_tkn_"], r"pscale_tkn_[A-Za-z0-9_=.-]{31,63}[A-Za-z0-9_=-]"),
    token("planetscale-oauth-token", &["pscale_oauth_"], r"pscale_oauth_[A-Za-z0-9_=.-]{31,63}[A-Za-z0-9_=-]"),
    token("planetscale-password", &["pscale_pw_"], r"pscale_pw_[A-Za-z0-9_=.-]{31,63}[A-Za-z0-9_=-]"),
    token("postman-api-token", &["PMAK-"], r"PMAK-[a-f0-9]{24}-[a-f0-9]{34}"),
    keyed("rapidapi-access-token", &["rapidapi"], keyed_re!("rapidapi", "[A-Za-z0-9_-]{50}")),
    token("readme-api-token", &["rdme_"], r"rdme_[a-z0-9]{70}"),
    token("settlemint-application-access-token", &["sm_aat_"], r"sm_aat_[A-Za-z0-9]{16}"),
    token("settlemint-personal-access-token", &["sm_pat_"], r"sm_pat_[A-Za-z0-9]{16}"),
    token("settlemint-service-access-token", &["sm_sat_"], r"sm_sat_[A-Za-z0-9]{16}"),
    keyed("squarespace-access-token", &["squarespace"], keyed_re!("squarespace", uuid!())),
    token("typeform-api-token", &["tfp_"], r"tfp_[A-Za-z0-9_.=-]{59}"),
    // ---- infrastructure and hosting
    context(
        "heroku-api-key",
        &["heroku", "hrku-"],
        ctx(
            r#"(?i:key|token|auth|secret|password)\w*["']?\s*(?:=|:=|=>|:)\s*["']?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|HRKU-[A-Za-z0-9_-]{60})"#,
        ),
    ),
    prefixed(
        "digitalocean-token",
        &["dop_v1_", "doo_v1_", "dor_v1_"],
        pat_check(r"do[opr]_v1_[a-f0-9]{64}", providers::entropy_ok),
    ),
    Spec {
        id: "terraform-cloud-token",
        keywords: &[".atlasv1."],
        exact: true,
        prefix: false,
        priority: 10,
        kind: pat_check(r"[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_=-]{60,70}", providers::entropy_ok),
    },
    prefixed("vault-token", &["hvs.", "hvb."], pat_check(r"hv[sb]\.[A-Za-z0-9_-]{24,}", providers::entropy_ok)),
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
    // ---- keys and structured credentials
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
    token_check("jwt-base64", &["ZXlK"], r"ZXlK[A-Za-z0-9+/]{60,}={0,2}", providers::jwt_base64),
    Spec {
        id: "docker-registry-auth",
        keywords: &["\"auth\""],
        exact: true,
        prefix: false,
        priority: 10,
        kind: Kind::DockerAuth,
    },
    // ---- generic tier
    Spec {
        id: "nuget-config-password",
        keywords: &["cleartextpassword"],
        exact: false,
        prefix: false,
        priority: GENERIC_TIER,
        kind: Kind::Pattern {
            re: r#"(?i)<add\s+key\s*=\s*"ClearTextPassword"\s+value\s*=\s*"([^"]{8,})""#,
            extra_lines: 0,
            boundary: false,
            check: Some(providers::nuget_password),
        },
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
    "1password-secret-key",
    "1password-service-account-token",
    "adafruit-api-key",
    "adobe-client-secret",
    "age-secret-key",
    "airtable-api-key",
    "airtable-personal-access-token",
    "algolia-api-key",
    "alibaba-access-key-id",
    "alibaba-secret-key",
    "anthropic-admin-api-key",
    "anthropic-api-key",
    "artifactory-api-key",
    "artifactory-reference-token",
    "asana-client-secret",
    "atlassian-api-token",
    "atlassian-legacy-api-token",
    "authorization-header",
    "authress-service-client-access-key",
    "aws-access-key-id",
    "aws-bedrock-api-key",
    "aws-bedrock-short-lived-api-key",
    "aws-secret-access-key",
    "azure-ad-client-secret",
    "azure-storage-account-key",
    "azure-storage-connection-string",
    "beamer-api-token",
    "bitbucket-client-secret",
    "bittrex-secret-key",
    "cisco-meraki-api-key",
    "clickhouse-cloud-api-secret-key",
    "clojars-api-token",
    "cloudflare-api-token",
    "cloudflare-global-api-key",
    "cloudflare-origin-ca-key",
    "codecov-access-token",
    "cohere-api-token",
    "coinbase-access-token",
    "confluent-secret-key",
    "contentful-delivery-api-token",
    "contentful-personal-access-token",
    "databricks-api-token",
    "datadog-api-key",
    "datadog-app-key",
    "defined-networking-api-token",
    "digitalocean-token",
    "discord-api-token",
    "discord-client-secret",
    "discord-webhook-url",
    "docker-registry-auth",
    "doppler-api-token",
    "droneci-access-token",
    "dropbox-long-lived-api-token",
    "dropbox-short-lived-api-token",
    "duffel-api-token",
    "dynatrace-api-token",
    "easypost-api-token",
    "etsy-access-token",
    "facebook-access-token",
    "facebook-page-access-token",
    "facebook-secret",
    "fastly-api-token",
    "finicity-api-token",
    "finicity-client-secret",
    "finnhub-access-token",
    "flickr-access-token",
    "flutterwave-secret-key",
    "flyio-access-token",
    "frameio-api-token",
    "freemius-secret-key",
    "freshbooks-access-token",
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
    "gitlab-cicd-job-token",
    "gitlab-deploy-token",
    "gitlab-feature-flag-client-token",
    "gitlab-feed-token",
    "gitlab-incoming-mail-token",
    "gitlab-kubernetes-agent-token",
    "gitlab-oauth-app-secret",
    "gitlab-pat",
    "gitlab-pipeline-trigger-token",
    "gitlab-runner-registration-token",
    "gitlab-runner-token",
    "gitlab-scim-token",
    "gitlab-session-cookie",
    "gitter-access-token",
    "gocardless-api-token",
    "google-api-key",
    "grafana-api-key",
    "grafana-cloud-token",
    "grafana-service-account-token",
    "harness-api-key",
    "heroku-api-key",
    "hubspot-api-key",
    "hubspot-private-app-token",
    "huggingface-organization-api-token",
    "huggingface-token",
    "infracost-api-token",
    "intercom-api-key",
    "intra42-client-secret",
    "jfrog-api-key",
    "jfrog-identity-token",
    "jwt",
    "jwt-base64",
    "kraken-access-token",
    "kucoin-secret-key",
    "launchdarkly-access-token",
    "linear-api-key",
    "linear-client-secret",
    "linkedin-client-secret",
    "lob-api-key",
    "looker-client-secret",
    "mailchimp-api-key",
    "mailgun-private-api-token",
    "mailgun-signing-key",
    "mapbox-secret-token",
    "mattermost-access-token",
    "maxmind-license-key",
    "messagebird-api-token",
    "microsoft-teams-webhook",
    "netlify-access-token",
    "new-relic-insert-key",
    "new-relic-user-api-key",
    "notion-api-token",
    "npm-token",
    "nuget-config-password",
    "nytimes-access-token",
    "octopus-deploy-api-key",
    "okta-access-token",
    "openai-api-key",
    "openshift-user-token",
    "perplexity-api-key",
    "pgp-private-key",
    "plaid-api-token",
    "plaid-secret-key",
    "planetscale-api-token",
    "planetscale-oauth-token",
    "planetscale-password",
    "postman-api-token",
    "prefect-api-token",
    "private-key",
    "privateai-api-token",
    "pulumi-api-token",
    "pypi-token",
    "rapidapi-access-token",
    "readme-api-token",
    "rubygems-api-token",
    "scalingo-api-token",
    "sendbird-access-token",
    "sendgrid-api-key",
    "sendinblue-api-token",
    "sentry-access-token",
    "sentry-org-token",
    "sentry-user-token",
    "settlemint-application-access-token",
    "settlemint-personal-access-token",
    "settlemint-service-access-token",
    "shippo-api-token",
    "shopify-token",
    "sidekiq-secret",
    "sidekiq-sensitive-url",
    "slack-app-token",
    "slack-config-token",
    "slack-token",
    "slack-webhook-url",
    "snyk-api-token",
    "sonar-api-token",
    "sonar-legacy-api-token",
    "sourcegraph-access-token",
    "square-access-token",
    "square-oauth-secret",
    "squarespace-access-token",
    "stripe-restricted-key",
    "stripe-secret-key",
    "sumologic-access-token",
    "telegram-bot-token",
    "terraform-cloud-token",
    "travisci-access-token",
    "twilio-api-key",
    "twitch-api-token",
    "twitter-access-secret",
    "twitter-access-token",
    "twitter-api-secret",
    "twitter-bearer-token",
    "typeform-api-token",
    "url-credentials",
    "vault-legacy-token",
    "vault-token",
    "yandex-access-token",
    "yandex-api-key",
    "yandex-aws-access-token",
    "zendesk-secret-key",
];
