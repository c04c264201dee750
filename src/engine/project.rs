//! The project phase: rules over facts no single file holds (git's ignore
//! decisions and index), run once per scan after every unit. Only small facts
//! reach it: each file's path, kind, tracked bit, and for the files such rules
//! point at, their first (or last) line, complete.

use std::path::Path;
use std::sync::Arc;

use crate::config::Settings;
use crate::discover::FileKind;
use crate::env::Env;
use crate::finding::{Finding, fingerprint};
use crate::repo::{IgnoreTree, Tracked};
use crate::rule::RuleMeta;
use crate::snippet::Window;
use crate::source::LineCol;
use crate::span::Span;

/// A complete location a project rule can point at.
#[derive(Clone, Debug)]
pub struct Spot {
    pub span: Span,
    pub start: LineCol,
    pub end: LineCol,
    pub snippet: Option<Window>,
}

impl Spot {
    /// Line 1, column 1, with nothing to show (a file that was not read).
    pub fn top() -> Self {
        let at = LineCol { line: 1, column: 1 };
        Self { span: Span::at(0), start: at, end: at, snippet: None }
    }
}

/// What the project phase knows of one file of the repository.
#[derive(Clone, Debug)]
pub struct ProjectFile {
    pub path: Arc<str>,
    pub kind: FileKind,
    pub tracked: bool,
    /// Findings in it are reported.
    pub reported: bool,
    pub env: Option<Env>,
    /// Its first line, when it was read.
    pub first_line: Option<Spot>,
    /// Its last line, when it was read.
    pub last_line: Option<Spot>,
}

/// Everything a project rule may look at.
pub struct ProjectCx<'a> {
    /// The repository root (the scanned folder without a repository).
    pub root: &'a Path,
    /// Whether `root` is a git repository.
    pub is_repo: bool,
    /// Every file of the repository, sorted by path.
    pub files: &'a [ProjectFile],
    pub tracked: &'a Tracked,
    pub ignore: &'a IgnoreTree,
    pub settings: &'a Settings,
    /// What the scan reports.
    pub report: &'a super::ReportSet,
}

impl ProjectCx<'_> {
    pub fn file(&self, path: &str) -> Option<&ProjectFile> {
        self.files.binary_search_by(|f| (*f.path).cmp(path)).ok().map(|i| &self.files[i])
    }
}

/// What project rules report.
#[derive(Default)]
pub struct ProjectOut {
    pub findings: Vec<Finding>,
    /// Said once per scan: a rule that could not check (no git, not a repository).
    pub warnings: Vec<String>,
}

impl ProjectOut {
    /// Reports a finding of `meta` at `spot` of `file`; `anchor` identifies it
    /// for the fingerprint (the file is already part of it).
    pub fn report(
        &mut self,
        cx: &ProjectCx<'_>,
        meta: &RuleMeta,
        file: &ProjectFile,
        spot: Spot,
        message: String,
        anchor: &str,
    ) {
        if !file.reported {
            return;
        }
        let severity = cx.settings.severity.get(&*meta.id).copied().unwrap_or(meta.severity);
        self.findings.push(Finding {
            rule: Arc::from(&*meta.id),
            severity,
            path: file.path.clone(),
            env: file.env.clone(),
            span: spot.span,
            start: spot.start,
            end: spot.end,
            message,
            help: Some(meta.help.to_string()).filter(|h| !h.is_empty()),
            fingerprint: fingerprint(&meta.id, &file.path, anchor, 0),
            properties: std::collections::BTreeMap::new(),
            related: Vec::new(),
            snippet: spot.snippet,
            suppressed: None,
        });
    }
}
