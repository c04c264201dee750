//! Completing what rules report, while the unit's texts are in memory: line and
//! column, the snippet window (every secret of the file masked), messages
//! redacted with every secret of the unit, related locations, fingerprints from
//! an anchor with secrets blanked. After this, nothing needs a file's text.

use std::cell::OnceCell;
use std::collections::HashMap;
use std::sync::Arc;

use crate::finding::{Finding, Related, anchor, fingerprint};
use crate::redact::{Redactor, blank_spans, mask_spans};
use crate::rule::{Loc, RawFinding, UnitFile};
use crate::secrets::Scanner;
use crate::source::SourceFile;
use crate::span::Span;

/// Rules whose finding spans are secrets, masked wherever they are shown.
const SECRET_RULES: [&str; 2] = ["committed-secret", "default-credential"];

/// Lines of context shown above and below a finding.
const CONTEXT_LINES: u32 = 1;

/// A unit file's secrets and the texts derived from them, computed on first use.
struct Masked<'a> {
    file: &'a UnitFile,
    /// The spans of secret findings in this file (masked too), set before use.
    findings: std::cell::RefCell<Vec<Span>>,
    spans: OnceCell<Vec<Span>>,
    /// Every secret masked but its first characters: what snippets show.
    shown: OnceCell<SourceFile>,
    /// Every secret blanked: what anchors are taken from.
    blank: OnceCell<String>,
}

impl Masked<'_> {
    fn spans(&self, scanner: &Scanner) -> &[Span] {
        self.spans.get_or_init(|| {
            // Every secret the scanner sees, even where the rule is off or skips the
            // hit (generic values in dev files): no output ever shows one.
            // The masking pass sees more than the findings: values of secret-named
            // keys in unclosed quotes, block scalars, defaults.
            let text = &self.file.source.text;
            let mut hits: Vec<Span> = if self.file.secrets.is_empty() {
                scanner.mask_spans(text)
            } else {
                Scanner::mask_spans_with(text, &self.file.secrets)
            };
            hits.extend(self.findings.borrow().iter().copied());
            // ...and every other place its text appears (a value pasted twice, once
            // where no keyword marks it).
            crate::redact::occurrences(text, &hits)
        })
    }

    fn shown(&self, scanner: &Scanner) -> &SourceFile {
        self.shown.get_or_init(|| {
            let text = mask_spans(&self.file.source.text, self.spans(scanner));
            SourceFile::new(self.file.source.path.clone(), text)
        })
    }

    fn blank(&self, scanner: &Scanner) -> &str {
        self.blank.get_or_init(|| blank_spans(&self.file.source.text, self.spans(scanner)))
    }
}

/// Completes locations and findings of one unit.
pub struct Completer<'a> {
    masked: Vec<Masked<'a>>,
    scanner: &'a Scanner,
}

/// A location, complete: path, span, positions and the masked lines around it.
pub struct Placed {
    pub path: Arc<str>,
    pub span: Span,
    pub start: crate::source::LineCol,
    pub end: crate::source::LineCol,
    pub snippet: crate::snippet::Window,
}

impl<'a> Completer<'a> {
    pub fn new(files: &'a [UnitFile], scanner: &'a Scanner) -> Self {
        let masked = files
            .iter()
            .map(|file| Masked {
                file,
                findings: std::cell::RefCell::new(Vec::new()),
                spans: OnceCell::new(),
                shown: OnceCell::new(),
                blank: OnceCell::new(),
            })
            .collect();
        Self { masked, scanner }
    }

    /// Where `loc` is, with the lines around it (every secret masked).
    pub fn place(&self, loc: Loc) -> Placed {
        let m = &self.masked[loc.file as usize];
        let src = &m.file.source;
        let span = clamp(loc.span, &src.text);
        Placed {
            path: src.path.clone(),
            span,
            start: src.line_col(span.start),
            end: src.line_col(span.end),
            snippet: crate::snippet::window(m.shown(self.scanner), span, CONTEXT_LINES),
        }
    }

    /// Turns a unit's raw findings into findings. Findings in the same place with
    /// the same message (a template's value that several jobs inherit) become
    /// one, with every related location.
    pub fn complete(&self, raw: Vec<RawFinding>) -> Vec<Finding> {
        complete(raw, &self.masked, self.scanner, self)
    }
}

fn complete(raw: Vec<RawFinding>, masked: &[Masked<'_>], scanner: &Scanner, completer: &Completer<'_>) -> Vec<Finding> {
    if raw.is_empty() {
        return Vec::new();
    }
    // The values secret rules report are secrets wherever they are shown.
    for r in raw.iter().filter(|r| SECRET_RULES.contains(&&*r.rule)) {
        masked[r.loc.file as usize].findings.borrow_mut().push(r.loc.span);
    }
    let files_len = masked.len();
    // Messages may quote any file of the unit: redact with the secrets of every
    // file a finding touches.
    let mut touched: Vec<bool> = vec![false; files_len];
    for r in &raw {
        touched[r.loc.file as usize] = true;
        for (loc, _) in &r.related {
            touched[loc.file as usize] = true;
        }
    }
    let secrets: Vec<&str> = touched
        .iter()
        .enumerate()
        .filter(|(_, t)| **t)
        .flat_map(|(i, _)| masked[i].spans(scanner).iter().map(move |s| masked[i].file.source.slice(*s)))
        .collect();
    let redactor = Redactor::new(&secrets);

    let mut merged: Vec<RawFinding> = Vec::with_capacity(raw.len());
    let mut at: HashMap<(Arc<str>, Loc, String), usize> = HashMap::new();
    for r in raw {
        let key = (r.rule.clone(), r.loc, r.message.clone());
        if let Some(&i) = at.get(&key) {
            for rel in r.related {
                if !merged[i].related.contains(&rel) {
                    merged[i].related.push(rel);
                }
            }
        } else {
            at.insert(key, merged.len());
            merged.push(r);
        }
    }

    let mut seen: HashMap<(Arc<str>, Arc<str>, String), usize> = HashMap::new();
    let mut out = Vec::with_capacity(merged.len());
    for r in merged {
        let here = completer.place(r.loc);
        let (path, span) = (here.path.clone(), here.span);
        let anchor = r.anchor.clone().unwrap_or_else(|| anchor(masked[r.loc.file as usize].blank(scanner), span));
        let n = seen.entry((r.rule.clone(), path.clone(), anchor.clone())).or_insert(0);
        let fp = fingerprint(&r.rule, &path, &anchor, *n);
        *n += 1;
        let related = r
            .related
            .iter()
            .map(|(loc, label)| {
                let p = completer.place(*loc);
                Related {
                    path: p.path,
                    span: p.span,
                    start: p.start,
                    end: p.end,
                    message: redactor.redact(label),
                    snippet: Some(p.snippet),
                }
            })
            .collect();
        out.push(Finding {
            rule: r.rule,
            severity: r.severity,
            path,
            env: r.env,
            span,
            start: here.start,
            end: here.end,
            message: redactor.redact(&r.message),
            help: r.help.as_deref().map(|h| redactor.redact(h)),
            fingerprint: fp,
            properties: r.properties,
            related,
            snippet: Some(here.snippet),
            suppressed: None,
        });
    }
    out
}

/// A span inside `text`, on character boundaries.
fn clamp(span: Span, text: &str) -> Span {
    let mut s = (span.start as usize).min(text.len());
    let mut e = (span.end as usize).clamp(s, text.len());
    while !text.is_char_boundary(s) {
        s -= 1;
    }
    while !text.is_char_boundary(e) {
        e += 1;
    }
    Span::new(s, e)
}
