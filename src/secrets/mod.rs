//! Secret detection over raw text: provider tokens, private keys, credentials in
//! URLs and generic secret-named assignments. Depends only on `span`.
//!
//! One Aho-Corasick pass finds every detector keyword; each hit runs its
//! detector on a small window (the keyword's line, or the block a key spans),
//! so no detector regex ever runs over the whole text. Candidates go through the
//! placeholder filter and the `allow` list, then overlaps are resolved (a
//! specific detector beats a generic one on the same value).
//!
//! Decisions:
//! - Stripe `sk_test_`/`rk_test_` keys are not reported: they only reach test-mode
//!   data. Publishable keys (`pk_live_`) are public by design. The same holds for
//!   every provider (see `detectors`, which also lists what of gitleaks' rules is
//!   left out and why).
//! - A suffix glued to a provider token (`<token>-old`, `<token>_2`, `<token>.v2`)
//!   is part of the secret: the hit covers it, so it is masked with the token. A
//!   provider token inside a longer generic value (`PASSWORD=x-<token>`, a URL
//!   password) keeps its detector, and its hit grows to the whole value.
//! - Generic assignments (`*PASSWORD*`, `*SECRET*`, `*TOKEN*`, `*API_KEY*`,
//!   `*PRIVATE_KEY*`, `*CREDENTIALS*` keys) need a literal value of 8 or more
//!   characters without whitespace, with 2+ character classes and 3.0+ bits of
//!   entropy per character (or 20+ characters and 3.7+ bits): `password: hunter`
//!   and `password: correcthorsebatterystaple` are not reported, `Sup3rS3cret!` is.
//!   An unquoted value must end its line (dotenv, YAML, INI): anything after it
//!   means code. Keys naming a pointer or setting (`password_file`, `token_url`,
//!   `secretKeyRef`, `max_tokens`, `next_page_token`) are skipped. `--password value`
//!   (a flag and a separate argument) is not recognised; `--password=value` is.
//! - Credentials in URLs and `Authorization: Bearer|Basic|token <value>` headers are
//!   `generic` too (a dev database URL is a dev credential); the header value must
//!   pass the same shape test as generic assignments.
//! - `.netrc` lines (`machine h login u password p`) count as generic assignments.
//! - Encrypted values are not secrets in clear: SOPS `ENC[...]`, Ansible Vault
//!   (`$ANSIBLE_VAULT`, `!vault`), Sealed Secrets and AWS KMS ciphertext blobs.
//! - A private key block needs its END line within 64 KB and 64+ base64 characters
//!   in its body; `-----BEGIN PUBLIC KEY-----` and certificates never match.
//!
//! - The scanner finds candidates in raw text. Whether a hit is reported, and by
//!   which rule, is decided by `rules::secrets` with the file's parse tree, kind and
//!   environment (literals only in parsed files, strong evidence in code, docs and
//!   tests, human-chosen values as default credentials).
//! - What output masks is wider than what is reported: [`Scanner::mask_spans`] adds
//!   every value of a secret-named key in any form (unclosed quotes, block scalars,
//!   heredocs, `${VAR:-default}` defaults) and every URL password.
//!
//! [`Scanner::new`] builds the keyword automaton (about a millisecond); each
//! detector's regex is compiled the first time one of its keywords is seen, so
//! the ~200 detectors cost nothing until they are needed. Build one scanner and
//! share it across threads.

mod detectors;
mod filter;
mod mask;
mod providers;
mod special;

use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use regex::{Regex, RegexSet};

use crate::span::Span;
use detectors::{Kind, SPECS, Spec};

pub use filter::{
    entropy, is_fill_in, is_machine_generated, is_placeholder, is_reference, is_strong_secret, looks_human_chosen,
    looks_like_secret, looks_like_secret_literal,
};
pub use special::{classify_key, url_password};

/// The most bytes looked at on either side of a keyword for its line.
const MAX_LINE: usize = 2048;

/// One secret found in a text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecretHit {
    /// Stable detector ID, e.g. `aws-access-key-id`, `generic-password`.
    pub detector: &'static str,
    /// The secret value only (not the key name, not quotes).
    pub span: Span,
    /// True for generic key-name assignments, credentials in URLs and `Authorization`
    /// headers (the rule skips these in dev files); false for provider-specific tokens and keys.
    pub generic: bool,
}

/// How keyword hits are found; the default is [`Strategy::AhoCorasick`]. The others
/// exist so the benchmark can compare them.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    /// One Aho-Corasick automaton over all keywords, one pass.
    AhoCorasick,
    /// One keyword regex per detector, each over the whole text.
    RegexPerDetector,
    /// A `RegexSet` says which detectors' keywords occur, then their regexes run.
    RegexSet,
}

/// A detector with its compiled regex.
struct Compiled {
    spec: &'static Spec,
    /// Compiled on first use; `None` inside for kinds without a regex.
    re: OnceLock<Option<Regex>>,
    /// The detector's keywords as one regex (for the non-default strategies).
    trigger: Option<Regex>,
}

/// A keyword of the automaton and the detectors it triggers.
struct Keyword {
    len: usize,
    /// (detector index, the keyword as written, for exact matching)
    triggers: Vec<(usize, &'static str)>,
}

/// The compiled detectors; build once, share across threads.
pub struct Scanner {
    detectors: Vec<Compiled>,
    keywords: Vec<Keyword>,
    /// `None` only if the automaton could not be built; then the per-detector regexes run.
    aho: Option<AhoCorasick>,
    /// Built only for [`Strategy::RegexSet`].
    set: Option<RegexSet>,
    allow: Vec<Regex>,
    strategy: Strategy,
}

/// A candidate before overlap resolution.
#[derive(Clone, Copy, Debug)]
struct Cand {
    id: &'static str,
    start: usize,
    end: usize,
    generic: bool,
    priority: u8,
}

/// Per-scan scratch.
struct State {
    cands: Vec<Cand>,
    /// Per detector: the window its regex last ran over.
    last_window: Vec<(usize, usize)>,
    /// The last generic key processed.
    last_key: (usize, usize),
    has_auths: Option<bool>,
    /// Offsets of every `-----END `, found on the first private key header.
    pem_ends: Option<Vec<usize>>,
}

impl Scanner {
    /// Builds the keyword automaton (detector regexes compile on first use). `allow`:
    /// values matching any of these are never reported.
    pub fn new(allow: Vec<Regex>) -> Scanner {
        Self::with_strategy(allow, Strategy::AhoCorasick)
    }

    /// [`Scanner::new`] with a chosen keyword strategy (for the benchmark).
    #[doc(hidden)]
    pub fn with_strategy(allow: Vec<Regex>, strategy: Strategy) -> Scanner {
        special::init();
        mask::init();
        let mut detectors = Vec::with_capacity(SPECS.len());
        let mut keywords: Vec<Keyword> = Vec::new();
        let mut patterns: Vec<String> = Vec::new();
        for (i, spec) in SPECS.iter().enumerate() {
            detectors.push(Compiled { spec, re: OnceLock::new(), trigger: None });
            for kw in spec.keywords {
                let lower = kw.to_ascii_lowercase();
                if let Some(k) = patterns.iter().position(|p| *p == lower) {
                    keywords[k].triggers.push((i, kw));
                } else {
                    patterns.push(lower);
                    keywords.push(Keyword { len: kw.len(), triggers: vec![(i, kw)] });
                }
            }
        }
        // A DFA, though the crate picks one by itself only up to 100 patterns: with
        // ~300 keywords its contiguous NFA scans at about half the speed.
        let build = |kind| {
            AhoCorasickBuilder::new()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::Standard)
                .kind(kind)
                .build(&patterns)
                .ok()
        };
        let aho = build(Some(AhoCorasickKind::DFA)).or_else(|| build(None));
        // per-detector keyword regexes only when they are used (they cost most of the build time)
        let mut set = None;
        if strategy != Strategy::AhoCorasick || aho.is_none() {
            for d in &mut detectors {
                let alts: Vec<String> = d.spec.keywords.iter().map(|k| regex::escape(k)).collect();
                let flags = if d.spec.exact { "" } else { "(?i)" };
                d.trigger = Regex::new(&format!("{flags}(?:{})", alts.join("|"))).ok();
            }
            if strategy == Strategy::RegexSet {
                set =
                    RegexSet::new(detectors.iter().map(|d| d.trigger.as_ref().map_or("[^\\s\\S]", Regex::as_str))).ok();
            }
        }
        Scanner { detectors, keywords, aho, set, allow, strategy }
    }

    /// Every detector ID, sorted.
    pub fn detector_ids() -> &'static [&'static str] {
        detectors::DETECTOR_IDS
    }

    /// Every trigger keyword as written (for the benchmark's ripgrep floor).
    #[doc(hidden)]
    pub fn keywords() -> Vec<&'static str> {
        let mut all: Vec<&str> = SPECS.iter().flat_map(|s| s.keywords.iter().copied()).collect();
        all.sort_unstable();
        all.dedup();
        all
    }

    /// The regexes of the pattern detectors (for the benchmark's ripgrep floor).
    #[doc(hidden)]
    pub fn patterns() -> Vec<&'static str> {
        SPECS
            .iter()
            .filter_map(|s| match &s.kind {
                Kind::Pattern { re, .. } => Some(*re),
                _ => None,
            })
            .collect()
    }

    /// Keyword hits of the automaton alone (for the benchmark: the prefilter's own cost).
    #[doc(hidden)]
    pub fn count_keywords(&self, text: &str) -> usize {
        self.aho.as_ref().map_or(0, |aho| aho.find_overlapping_iter(text).count())
    }

    /// All secrets in `text`, sorted by span start, without overlaps.
    pub fn scan(&self, text: &str) -> Vec<SecretHit> {
        let mut st = State {
            cands: Vec::new(),
            last_window: vec![(usize::MAX, 0); self.detectors.len()],
            last_key: (usize::MAX, 0),
            has_auths: None,
            pem_ends: None,
        };
        match (self.strategy, &self.aho) {
            (Strategy::AhoCorasick, Some(aho)) => {
                for m in aho.find_overlapping_iter(text) {
                    let kw = &self.keywords[m.pattern().as_usize()];
                    for &(d, written) in &kw.triggers {
                        self.trigger(text, d, m.start(), kw.len, written, &mut st);
                    }
                }
            }
            (Strategy::AhoCorasick | Strategy::RegexPerDetector, _) => {
                for d in 0..self.detectors.len() {
                    self.run_trigger_regex(text, d, &mut st);
                }
            }
            (Strategy::RegexSet, _) => {
                if let Some(set) = &self.set {
                    for d in &set.matches(text) {
                        self.run_trigger_regex(text, d, &mut st);
                    }
                }
            }
        }
        self.resolve(text, st.cands)
    }

    fn run_trigger_regex(&self, text: &str, d: usize, st: &mut State) {
        let spec = self.detectors[d].spec;
        let Some(trigger) = &self.detectors[d].trigger else { return };
        for m in trigger.find_iter(text) {
            let written = spec.keywords.iter().find(|k| k.eq_ignore_ascii_case(m.as_str())).copied().unwrap_or("");
            self.trigger(text, d, m.start(), m.len(), written, st);
        }
    }

    /// A keyword of detector `d` at `pos`: check it, then run the detector.
    fn trigger(&self, text: &str, d: usize, pos: usize, len: usize, written: &str, st: &mut State) {
        let spec = self.detectors[d].spec;
        let bytes = text.as_bytes();
        if spec.exact && bytes.get(pos..pos + len) != Some(written.as_bytes()) {
            return;
        }
        // a prefix glued to a word, or after a `.` (`video.ico-<hash>.png`, `obj.pat.x`), starts no token
        if spec.prefix && pos > 0 && (bytes[pos - 1].is_ascii_alphanumeric() || bytes[pos - 1] == b'.') {
            return;
        }
        let generic = spec.priority <= detectors::GENERIC_TIER;
        let push = |st: &mut State, id: &'static str, start: usize, end: usize| {
            st.cands.push(Cand { id, start, end, generic, priority: spec.priority });
        };
        match &spec.kind {
            Kind::Pattern { extra_lines, boundary, check, .. } => {
                let Some(re) = self.detectors[d].regex() else { return };
                let (last_s, last_e) = st.last_window[d];
                if pos >= last_s && pos < last_e {
                    return;
                }
                let (ws, we) = window(text, pos, *extra_lines);
                st.last_window[d] = (ws, we);
                let hay = &text[ws..we];
                for caps in re.captures_iter(hay) {
                    let Some(m) = caps.get(1).or_else(|| caps.get(0)) else { continue };
                    let (s, e) = (ws + m.start(), ws + m.end());
                    if *boundary
                        && (s > 0 && bytes[s - 1].is_ascii_alphanumeric()
                            || e < bytes.len() && bytes[e].is_ascii_alphanumeric())
                    {
                        continue;
                    }
                    if check.is_some_and(|f| !f(m.as_str())) || is_placeholder(m.as_str()) {
                        continue;
                    }
                    // a suffix glued to a provider token is part of the value: mask it too
                    let glued = if generic { e } else { providers::glued_end(bytes, e) };
                    if glued > e && is_placeholder(&text[s..glued]) {
                        continue;
                    }
                    push(st, spec.id, s, glued);
                }
            }
            Kind::PrivateKey => {
                let ends = st.pem_ends.get_or_insert_with(|| text.match_indices("-----END ").map(|(i, _)| i).collect());
                if let Some((id, s, e)) = special::private_key(text, pos, ends) {
                    push(st, id, s, e);
                }
            }
            Kind::GcpServiceAccount => {
                if let Some((s, e)) = special::gcp_service_account(text, pos) {
                    push(st, spec.id, s, e);
                }
            }
            Kind::DockerAuth => {
                let has = *st.has_auths.get_or_insert_with(|| text.contains("\"auths\""));
                if has && let Some((s, e)) = special::docker_auth(text, pos) {
                    push(st, spec.id, s, e);
                }
            }
            Kind::UrlCredentials => {
                if let Some((s, e)) = special::url_credentials(text, pos) {
                    push(st, spec.id, s, e);
                }
            }
            Kind::Generic => {
                let (ks, ke) = special::key_around(text, pos, len);
                if (ks, ke) == st.last_key {
                    return;
                }
                st.last_key = (ks, ke);
                if let Some((id, s, e)) = special::generic_assignment(text, ks, ke) {
                    push(st, id, s, e);
                }
            }
        }
    }

    /// Drops allowed values and overlaps (higher priority, then longer, wins); sorts by start.
    fn resolve(&self, text: &str, mut cands: Vec<Cand>) -> Vec<SecretHit> {
        cands.retain(|c| {
            let v = &text[c.start..c.end];
            !self.allow.iter().any(|re| re.is_match(v))
        });
        cands.sort_by(|a, b| {
            b.priority.cmp(&a.priority).then((b.end - b.start).cmp(&(a.end - a.start))).then(a.start.cmp(&b.start))
        });
        let mut kept: Vec<Cand> = Vec::with_capacity(cands.len());
        let mut dropped: Vec<Cand> = Vec::new();
        for c in cands {
            let i = kept.partition_point(|k| k.start < c.start);
            let clash_before = i > 0 && kept[i - 1].end > c.start;
            let clash_after = kept.get(i).is_some_and(|k| k.start < c.end);
            if !clash_before && !clash_after {
                kept.insert(i, c);
            } else if c.generic {
                dropped.push(c);
            }
        }
        // A generic value that holds provider tokens (`TOKEN=<token>-old`,
        // `postgres://u:x<token>@h`): the tokens keep their detector, but the whole
        // value is the secret, so their spans grow to cover all of it.
        for g in dropped {
            let first = kept.partition_point(|k| k.end <= g.start);
            let last = first + kept[first..].iter().take_while(|k| k.start < g.end).count();
            if last == first || kept[first..last].iter().any(|k| k.generic) {
                continue;
            }
            kept[first].start = kept[first].start.min(g.start);
            kept[last - 1].end = kept[last - 1].end.max(g.end);
            for i in first..last - 1 {
                kept[i].end = kept[i + 1].start;
            }
        }
        kept.into_iter()
            .map(|c| SecretHit { detector: c.id, span: Span::new(c.start, c.end), generic: c.generic })
            .collect()
    }
}

impl Compiled {
    /// The detector's regex, compiled on first use. The patterns are constants
    /// checked by the unit tests; a bad one disables its detector.
    fn regex(&self) -> Option<&Regex> {
        self.re
            .get_or_init(|| match &self.spec.kind {
                Kind::Pattern { re, .. } => Regex::new(re).ok(),
                _ => None,
            })
            .as_ref()
    }
}

/// The line around `pos` plus `extra_lines` following lines, at most
/// [`MAX_LINE`] bytes each way per line, on char boundaries.
fn window(text: &str, pos: usize, extra_lines: usize) -> (usize, usize) {
    let b = text.as_bytes();
    let lo = pos.saturating_sub(MAX_LINE);
    let start = b[lo..pos].iter().rposition(|&c| c == b'\n').map_or(lo, |i| lo + i + 1);
    let hi = (pos + MAX_LINE * (extra_lines + 1)).min(b.len());
    let mut end = pos;
    let mut lines = extra_lines + 1;
    while let Some(i) = b[end..hi].iter().position(|&c| c == b'\n') {
        lines -= 1;
        if lines == 0 {
            return (special::ceil(text, start), end + i);
        }
        end += i + 1;
    }
    end = hi;
    (special::ceil(text, start), special::floor(text, end))
}

#[cfg(test)]
mod tests;
