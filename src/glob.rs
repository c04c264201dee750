//! Compiling globs a user wrote (`[environments]`, `[[overrides]] paths`,
//! `[secrets] skip-paths`, rule selectors, `--env`, `--select`/`--ignore`)
//! into globset matchers, as errors rather than panics.
//!
//! `globset` parses any glob, but `Glob::compile_matcher` panics ("regex
//! compilation shouldn't fail") when the regex it translates the glob into is
//! rejected by `regex-automata`: more than about 125 nested `{a,...}`
//! alternations exceed the regex nesting limit (250), and very long globs
//! (around a megabyte) exceed its 10 MiB automaton size limit. [`matcher`]
//! rejects both before globset sees them, with limits far below the failure
//! points and far above any real path pattern, and catches a panic as a last
//! resort. Depends on nothing else in the crate.

use globset::{Glob, GlobMatcher, GlobSet, GlobSetBuilder};

/// The longest glob accepted, in bytes (a path pattern longer than `PATH_MAX`
/// matches nothing real).
pub const MAX_GLOB_LEN: usize = 4096;

/// The deepest nesting of `{...}` alternatives accepted (globset fails at about 125).
pub const MAX_ALTERNATION_DEPTH: usize = 32;

/// Why a glob was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GlobError {
    #[error("the glob is {len} bytes long; the limit is {MAX_GLOB_LEN}")]
    TooLong { len: usize },
    #[error("`{{...}}` alternatives are nested {depth} deep; the limit is {MAX_ALTERNATION_DEPTH}")]
    TooDeep { depth: usize },
    #[error("{0}")]
    Invalid(String),
}

/// Parses a glob after checking it against the limits; the result can be
/// added to a [`GlobSetBuilder`] or compiled with [`matcher`].
pub fn parse(text: &str) -> Result<Glob, GlobError> {
    if text.len() > MAX_GLOB_LEN {
        return Err(GlobError::TooLong { len: text.len() });
    }
    let depth = alternation_depth(text);
    if depth > MAX_ALTERNATION_DEPTH {
        return Err(GlobError::TooDeep { depth });
    }
    Glob::new(text).map_err(|e| GlobError::Invalid(e.kind().to_string()))
}

/// Parses and compiles one glob.
pub fn matcher(text: &str) -> Result<GlobMatcher, GlobError> {
    let glob = parse(text)?;
    // The limits above keep globset from panicking; should another cause
    // remain, it is still an error and not a crash.
    std::panic::catch_unwind(|| glob.compile_matcher())
        .map_err(|_| GlobError::Invalid("the glob is too complex to compile".to_owned()))
}

/// Compiles several globs into one set; `Err` carries the index of the glob
/// that was rejected (`None` when only the whole set failed).
pub fn set<'a>(globs: impl IntoIterator<Item = &'a str>) -> Result<GlobSet, (Option<usize>, GlobError)> {
    let mut builder = GlobSetBuilder::new();
    for (i, text) in globs.into_iter().enumerate() {
        builder.add(parse(text).map_err(|e| (Some(i), e))?);
    }
    builder.build().map_err(|e| (None, GlobError::Invalid(e.kind().to_string())))
}

/// How deep `{` groups nest, skipping escaped characters and `[...]` classes
/// (where `{` is literal), as globset reads them. Unbalanced braces count as
/// opened: globset reports them itself.
fn alternation_depth(text: &str) -> usize {
    let (mut depth, mut max) = (0usize, 0usize);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                chars.next();
            }
            '[' => {
                // `[]...]` and `[!]...]` take a leading `]` literally
                if chars.peek() == Some(&'!') {
                    chars.next();
                }
                if chars.peek() == Some(&']') {
                    chars.next();
                }
                for c in chars.by_ref() {
                    if c == ']' {
                        break;
                    }
                }
            }
            '{' => {
                depth += 1;
                max = max.max(depth);
            }
            '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

/// A glob for a message: whole when short, else its start and its length.
pub fn shown(text: &str) -> String {
    const SHOWN: usize = 60;
    match text.char_indices().nth(SHOWN) {
        Some((cut, _)) => format!("{}... ({} bytes)", &text[..cut], text.len()),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(n: usize) -> String {
        format!("{}b{}", "{a,".repeat(n), "}".repeat(n))
    }

    #[test]
    fn ordinary_globs_compile_and_match() {
        for (glob, path, hit) in [
            ("deploy/live/**", "deploy/live/a/main.tf", true),
            ("**/*.prd.*", "x/app.prd.yaml", true),
            ("{prod,live}/**", "live/x", true),
            ("[!a]*", "a", false),
            ("prod-*", "prod-debug-enabled", true),
            (&nested(MAX_ALTERNATION_DEPTH), "b", true),
        ] {
            assert_eq!(matcher(glob).expect(glob).is_match(path), hit, "{glob} / {path}");
        }
    }

    #[test]
    fn globs_that_panic_in_globset_are_errors() {
        // 300 nested alternatives: the 1.2 KB glob that panicked in compile_matcher (125 were enough)
        assert_eq!(matcher(&nested(300)).err(), Some(GlobError::TooDeep { depth: 300 }));
        assert_eq!(matcher(&nested(125)).err(), Some(GlobError::TooDeep { depth: 125 }));
        assert!(matches!(matcher(&nested(MAX_ALTERNATION_DEPTH + 1)), Err(GlobError::TooDeep { .. })));
        // a megabyte of classes exceeded the regex size limit
        let long = "[!a]".repeat(250_000);
        assert_eq!(matcher(&long).err(), Some(GlobError::TooLong { len: 1_000_000 }));
        assert!(matcher(&"*".repeat(MAX_GLOB_LEN)).is_ok());
        assert!(matcher(&"?".repeat(MAX_GLOB_LEN + 1)).is_err());
    }

    #[test]
    fn braces_in_classes_and_escapes_are_not_nesting() {
        assert_eq!(alternation_depth("[{]{a,b}"), 1);
        assert_eq!(alternation_depth(r"\{\{\{{a,b}"), 1);
        assert_eq!(alternation_depth("[]{]{[!]{]}"), 1);
        assert_eq!(alternation_depth("{a,{b,{c,d}}}{e,f}"), 3);
        let classes = format!("[{}]", "{".repeat(100));
        assert!(matcher(&classes).is_ok());
    }

    #[test]
    fn invalid_globs_keep_globset_s_reason() {
        assert_eq!(
            matcher("a[").err().map(|e| e.to_string()).as_deref(),
            Some("unclosed character class; missing ']'")
        );
        assert!(matches!(matcher("{a,b"), Err(GlobError::Invalid(_))));
    }

    #[test]
    fn sets_name_the_rejected_glob() {
        assert!(set(["a/**", "*.tf"]).expect("set").is_match("a/b"));
        let deep = nested(200);
        assert_eq!(set(["a/**", deep.as_str()]).err().map(|(i, _)| i), Some(Some(1)));
    }

    #[test]
    fn long_globs_are_shortened_in_messages() {
        assert_eq!(shown("a/**"), "a/**");
        let long = "é".repeat(100);
        assert_eq!(shown(&long), format!("{}... (200 bytes)", "é".repeat(60)));
    }
}
