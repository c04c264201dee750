//! GitLab CI expressions (`rules: - if:`, `only: variables:`) evaluated
//! against a pipeline that envlint imagines: a push to the default branch, a
//! tag, a push to another branch, a merge request, a schedule. Predefined
//! variables that describe the pipeline have known values in each; every other
//! variable (project settings, the pipeline's own `variables:`, which project
//! settings may override) is unknown, and so is anything that depends on it:
//! the answer is three-valued.
//!
//! Grammar (GitLab's `Gitlab::Ci::Pipeline::Expression`): `$VAR` / `${VAR}`,
//! `"string"` / `'string'`, `null`, `/regex/flags`, `==`, `!=`, `=~`, `!~`,
//! `&&` (binds tighter), `||`, parentheses. Text that does not parse is unknown.

/// A three-valued truth.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tri {
    True,
    False,
    Unknown,
}

impl std::ops::Not for Tri {
    type Output = Self;

    fn not(self) -> Self {
        match self {
            Self::True => Self::False,
            Self::False => Self::True,
            Self::Unknown => Self::Unknown,
        }
    }
}

impl Tri {
    pub fn from_bool(b: bool) -> Self {
        if b { Self::True } else { Self::False }
    }

    #[must_use]
    pub fn and(self, other: Self) -> Self {
        match (self, other) {
            (Self::False, _) | (_, Self::False) => Self::False,
            (Self::True, Self::True) => Self::True,
            _ => Self::Unknown,
        }
    }

    #[must_use]
    pub fn or(self, other: Self) -> Self {
        match (self, other) {
            (Self::True, _) | (_, Self::True) => Self::True,
            (Self::False, Self::False) => Self::False,
            _ => Self::Unknown,
        }
    }
}

/// A pipeline envlint imagines, to ask whether a job runs in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scenario {
    /// A push to the default branch.
    DefaultBranch,
    /// A tag pushed.
    Tag,
    /// A scheduled pipeline on the default branch.
    Schedule,
    /// A push to a branch that is not the default branch.
    OtherBranch,
    /// A merge request pipeline (from a branch that is not the default branch).
    MergeRequest,
}

/// The name of a branch anyone may push to (what envlint imagines as "any branch").
const OTHER_BRANCH: &str = "envlint-topic-branch";

impl Scenario {
    pub const ALL: [Scenario; 5] =
        [Self::DefaultBranch, Self::Tag, Self::Schedule, Self::OtherBranch, Self::MergeRequest];

    /// For messages: `on a push to the default branch`.
    pub fn describe(self) -> &'static str {
        match self {
            Self::DefaultBranch => "on a push to the default branch",
            Self::Tag => "when a tag is pushed",
            Self::Schedule => "in a scheduled pipeline",
            Self::OtherBranch => "on a push to any branch",
            Self::MergeRequest => "in merge request pipelines",
        }
    }

    /// The pipeline's source (`$CI_PIPELINE_SOURCE`).
    pub fn source(self) -> &'static str {
        match self {
            Self::DefaultBranch | Self::Tag | Self::OtherBranch => "push",
            Self::Schedule => "schedule",
            Self::MergeRequest => "merge_request_event",
        }
    }

    /// Whether the ref is a branch (not a tag), in a branch pipeline (not a merge request's).
    pub fn is_branch_pipeline(self) -> bool {
        matches!(self, Self::DefaultBranch | Self::Schedule | Self::OtherBranch)
    }

    /// A predefined variable's value, `None` when it is not one envlint knows.
    fn var(self, name: &str) -> Option<Val> {
        let text = |s: &str| Val::Str(s.to_owned());
        // The default branch's name and the tag's are not known: compared with a
        // literal or a pattern they give an unknown answer.
        let ref_name = match self {
            Self::DefaultBranch | Self::Schedule => Val::Name(Symbol::DefaultBranch),
            Self::Tag => Val::Name(Symbol::Tag),
            Self::OtherBranch | Self::MergeRequest => Val::Name(Symbol::Other),
        };
        let mr = self == Self::MergeRequest;
        let when = |b: bool, v: Val| if b { v } else { Val::Null };
        Some(match name {
            "CI_COMMIT_BRANCH" => when(self.is_branch_pipeline(), ref_name),
            "CI_COMMIT_REF_NAME" | "CI_COMMIT_REF_SLUG" => ref_name,
            "CI_COMMIT_TAG" => when(self == Self::Tag, ref_name),
            "CI_DEFAULT_BRANCH" => Val::Name(Symbol::DefaultBranch),
            "CI_PIPELINE_SOURCE" => text(self.source()),
            "CI_MERGE_REQUEST_ID" | "CI_MERGE_REQUEST_IID" => when(mr, text("1")),
            "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME" => when(mr, Val::Name(Symbol::Other)),
            "CI_MERGE_REQUEST_TARGET_BRANCH_NAME" => when(mr, Val::Name(Symbol::DefaultBranch)),
            "CI_MERGE_REQUEST_EVENT_TYPE" => when(mr, text("detached")),
            "CI_EXTERNAL_PULL_REQUEST_IID" | "CI_PIPELINE_TRIGGERED" => Val::Null,
            // A tag's protection is a project setting.
            "CI_COMMIT_REF_PROTECTED" => match self {
                Self::DefaultBranch | Self::Schedule => text("true"),
                Self::OtherBranch | Self::MergeRequest => text("false"),
                Self::Tag => Val::Unknown,
            },
            _ => return None,
        })
    }

    /// Whether a ref named in `only:` (a name or `/pattern/`) is this pipeline's ref.
    pub fn ref_matches(self, r: &str) -> Tri {
        match self {
            Self::DefaultBranch | Self::Schedule => Tri::Unknown,
            Self::Tag if r.starts_with('/') => Tri::Unknown,
            Self::Tag | Self::MergeRequest => Tri::False,
            Self::OtherBranch if r.starts_with('/') => eval(&format!("$CI_COMMIT_REF_NAME =~ {r}"), self, &|_| None),
            Self::OtherBranch => Tri::from_bool(r == OTHER_BRANCH),
        }
    }
}

/// A ref name that is not known: equal to itself; the default branch's and a
/// tag's are unknown against anything written; any other branch is none of the
/// names written in a condition, and a pattern is tried on an arbitrary name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Symbol {
    DefaultBranch,
    Tag,
    Other,
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Var(String),
    Str(String),
    Null,
    Regex(String, String),
    Eq,
    Ne,
    Match,
    NoMatch,
    And,
    Or,
    Open,
    Close,
}

fn lex(text: &str) -> Option<Vec<Tok>> {
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut out = Vec::new();
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b' ' | b'\t' | b'\n' | b'\r' => i += 1,
            b'$' => {
                i += 1;
                let braced = bytes.get(i) == Some(&b'{');
                if braced {
                    i += 1;
                }
                let start = i;
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                    i += 1;
                }
                if i == start {
                    return None;
                }
                out.push(Tok::Var(text[start..i].to_owned()));
                if braced {
                    if bytes.get(i) != Some(&b'}') {
                        return None;
                    }
                    i += 1;
                }
            }
            b'"' | b'\'' => {
                let end = text[i + 1..].find(c as char)? + i + 1;
                out.push(Tok::Str(text[i + 1..end].to_owned()));
                i = end + 1;
            }
            b'/' => {
                // a regex literal: up to the next unescaped `/`, then flags
                let mut end = i + 1;
                while end < bytes.len() && bytes[end] != b'/' {
                    end += if bytes[end] == b'\\' { 2 } else { 1 };
                }
                if end >= bytes.len() {
                    return None;
                }
                let pattern = text[i + 1..end].to_owned();
                let mut flags_end = end + 1;
                while flags_end < bytes.len() && bytes[flags_end].is_ascii_alphabetic() {
                    flags_end += 1;
                }
                out.push(Tok::Regex(pattern, text[end + 1..flags_end].to_owned()));
                i = flags_end;
            }
            b'=' | b'!' => {
                let next = bytes.get(i + 1).copied();
                let tok = match (c, next) {
                    (b'=', Some(b'=')) => Tok::Eq,
                    (b'!', Some(b'=')) => Tok::Ne,
                    (b'=', Some(b'~')) => Tok::Match,
                    (b'!', Some(b'~')) => Tok::NoMatch,
                    _ => return None,
                };
                out.push(tok);
                i += 2;
            }
            b'&' if bytes.get(i + 1) == Some(&b'&') => {
                out.push(Tok::And);
                i += 2;
            }
            b'|' if bytes.get(i + 1) == Some(&b'|') => {
                out.push(Tok::Or);
                i += 2;
            }
            b'(' => {
                out.push(Tok::Open);
                i += 1;
            }
            b')' => {
                out.push(Tok::Close);
                i += 1;
            }
            _ if text[i..].starts_with("null") => {
                out.push(Tok::Null);
                i += 4;
            }
            _ => return None,
        }
    }
    Some(out)
}

/// A value in an expression.
#[derive(Clone, Debug)]
enum Val {
    Str(String),
    /// A ref name that is not known.
    Name(Symbol),
    Null,
    Regex(String, String),
    Unknown,
}

impl Val {
    fn truthy(&self) -> Tri {
        match self {
            Self::Str(s) => Tri::from_bool(!s.is_empty()),
            Self::Name(_) | Self::Regex(..) => Tri::True,
            Self::Null => Tri::False,
            Self::Unknown => Tri::Unknown,
        }
    }
}

struct Parser<'t, 's> {
    toks: &'t [Tok],
    at: usize,
    scenario: Scenario,
    /// Variables of the pipeline with values known for sure, beyond the predefined ones.
    known: &'s dyn Fn(&str) -> Option<String>,
}

impl Parser<'_, '_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.at)
    }

    fn or(&mut self, depth: usize) -> Option<Tri> {
        let mut v = self.and(depth)?;
        while self.peek() == Some(&Tok::Or) {
            self.at += 1;
            v = v.or(self.and(depth)?);
        }
        Some(v)
    }

    fn and(&mut self, depth: usize) -> Option<Tri> {
        let mut v = self.comparison(depth)?;
        while self.peek() == Some(&Tok::And) {
            self.at += 1;
            v = v.and(self.comparison(depth)?);
        }
        Some(v)
    }

    fn comparison(&mut self, depth: usize) -> Option<Tri> {
        if self.peek() == Some(&Tok::Open) {
            if depth > 32 {
                return None;
            }
            self.at += 1;
            let v = self.or(depth + 1)?;
            if self.peek() != Some(&Tok::Close) {
                return None;
            }
            self.at += 1;
            return Some(v);
        }
        let left = self.operand()?;
        let op = match self.peek() {
            Some(t @ (Tok::Eq | Tok::Ne | Tok::Match | Tok::NoMatch)) => t.clone(),
            _ => return Some(left.truthy()),
        };
        self.at += 1;
        let right = self.operand()?;
        Some(match op {
            Tok::Eq => equals(&left, &right),
            Tok::Ne => !equals(&left, &right),
            Tok::Match => matches(&left, &right),
            _ => !matches(&left, &right),
        })
    }

    fn operand(&mut self) -> Option<Val> {
        let tok = self.peek()?.clone();
        self.at += 1;
        Some(match tok {
            Tok::Str(s) => Val::Str(s),
            Tok::Null => Val::Null,
            Tok::Regex(p, f) => Val::Regex(p, f),
            Tok::Var(name) => match self.scenario.var(&name) {
                Some(v) => v,
                None => (self.known)(&name).map_or(Val::Unknown, Val::Str),
            },
            _ => return None,
        })
    }
}

fn equals(left: &Val, right: &Val) -> Tri {
    match (left, right) {
        (Val::Unknown, _)
        | (_, Val::Unknown)
        | (Val::Name(Symbol::DefaultBranch | Symbol::Tag), Val::Str(_) | Val::Regex(..))
        | (Val::Str(_) | Val::Regex(..), Val::Name(Symbol::DefaultBranch | Symbol::Tag)) => Tri::Unknown,
        (Val::Str(x), Val::Str(y)) => Tri::from_bool(x == y),
        (Val::Null, Val::Null) => Tri::True,
        (Val::Name(x), Val::Name(y)) => Tri::from_bool(x == y),
        (Val::Regex(pattern, flags), Val::Regex(other, other_flags)) => {
            Tri::from_bool(pattern == other && flags == other_flags)
        }
        _ => Tri::False,
    }
}

fn matches(a: &Val, b: &Val) -> Tri {
    let text = match a {
        Val::Unknown | Val::Regex(..) | Val::Name(Symbol::DefaultBranch | Symbol::Tag) => return Tri::Unknown,
        Val::Null => return Tri::False,
        Val::Str(t) => t.as_str(),
        Val::Name(Symbol::Other) => OTHER_BRANCH,
    };
    let (pattern, flags) = match b {
        Val::Regex(p, f) => (p.as_str(), f.as_str()),
        // a variable holding `/regex/`
        Val::Str(s) => match s.strip_prefix('/').and_then(|r| r.rsplit_once('/')) {
            Some(pf) => pf,
            None => return Tri::Unknown,
        },
        _ => return Tri::Unknown,
    };
    if pattern.len() > 1024 {
        return Tri::Unknown;
    }
    let built = regex::RegexBuilder::new(pattern)
        .case_insensitive(flags.contains('i'))
        .multi_line(flags.contains('m'))
        .size_limit(1 << 20)
        .build();
    match built {
        Ok(re) => Tri::from_bool(re.is_match(text)),
        Err(_) => Tri::Unknown,
    }
}

/// Evaluates an expression in `scenario`; `known` gives values of the
/// pipeline's own variables that are known for sure (`None`: unknown).
pub fn eval(text: &str, scenario: Scenario, known: &dyn Fn(&str) -> Option<String>) -> Tri {
    let Some(toks) = lex(text) else { return Tri::Unknown };
    if toks.is_empty() {
        return Tri::Unknown;
    }
    let mut p = Parser { toks: &toks, at: 0, scenario, known };
    match p.or(0) {
        Some(v) if p.at == toks.len() => v,
        _ => Tri::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn none(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn expressions_in_each_scenario() {
        use Scenario::{DefaultBranch, MergeRequest, OtherBranch, Schedule, Tag};
        use Tri::{False as F, True as T, Unknown as U};
        // expression, [default branch, tag, schedule, other branch, merge request]
        let cases: &[(&str, [Tri; 5])] = &[
            ("$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH", [T, F, T, F, F]),
            ("$CI_COMMIT_REF_NAME == $CI_DEFAULT_BRANCH", [T, F, T, F, F]),
            ("$CI_COMMIT_BRANCH == \"main\"", [U, F, U, F, F]),
            ("$CI_COMMIT_BRANCH == 'master'", [U, F, U, F, F]),
            ("$CI_COMMIT_TAG", [F, T, F, F, F]),
            ("$CI_COMMIT_TAG != null", [F, T, F, F, F]),
            ("$CI_COMMIT_TAG =~ /^v\\d+/", [F, U, F, F, F]),
            ("$CI_COMMIT_BRANCH", [T, F, T, T, F]),
            ("$CI_PIPELINE_SOURCE == \"merge_request_event\"", [F, F, F, F, T]),
            ("$CI_MERGE_REQUEST_IID", [F, F, F, F, T]),
            ("$CI_PIPELINE_SOURCE == \"schedule\"", [F, F, T, F, F]),
            ("$CI_COMMIT_BRANCH != $CI_DEFAULT_BRANCH", [F, T, F, T, T]),
            ("$CI_COMMIT_REF_PROTECTED == \"true\"", [T, U, T, F, F]),
            ("$CI_COMMIT_BRANCH =~ /^release\\//", [U, F, U, F, F]),
            ("$CI_COMMIT_BRANCH !~ /^main$/", [U, T, U, T, T]),
            ("$CI_COMMIT_REF_NAME =~ /TOPIC/i", [U, U, U, T, T]),
            ("$CI_COMMIT_BRANCH =~ /.*/", [U, F, U, T, F]),
            // unknown variables make the answer unknown, unless the rest decides
            ("$DEPLOY_ENABLED", [U, U, U, U, U]),
            ("$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH && $DEPLOY", [U, F, U, F, F]),
            ("$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH || $FORCE", [T, U, T, U, U]),
            (
                "($CI_COMMIT_TAG || $CI_COMMIT_BRANCH == \"main\") && $CI_PIPELINE_SOURCE != \"schedule\"",
                [U, T, F, F, F],
            ),
            // what does not parse is unknown
            ("$CI_COMMIT_BRANCH ==", [U, U, U, U, U]),
            ("$CI_COMMIT_BRANCH =~ /(?!main)/", [U, F, U, U, F]),
            ("", [U, U, U, U, U]),
        ];
        for (text, want) in cases {
            let got: Vec<Tri> = [DefaultBranch, Tag, Schedule, OtherBranch, MergeRequest]
                .iter()
                .map(|s| eval(text, *s, &none))
                .collect();
            assert_eq!(got, want.to_vec(), "{text}");
        }
    }

    #[test]
    fn known_pipeline_variables() {
        let known = |name: &str| (name == "DEPLOY").then(|| "yes".to_owned());
        assert_eq!(eval("$DEPLOY == \"yes\"", Scenario::OtherBranch, &known), Tri::True);
        assert_eq!(eval("$OTHER", Scenario::OtherBranch, &known), Tri::Unknown);
        let re = |name: &str| (name == "PATTERN").then(|| "/^envlint-/".to_owned());
        assert_eq!(eval("$CI_COMMIT_BRANCH =~ $PATTERN", Scenario::OtherBranch, &re), Tri::True);
    }
}
