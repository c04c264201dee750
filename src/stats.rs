//! `scan --timings`: where a scan's time goes, phase by phase.
//!
//! Off unless asked for: every probe first reads one relaxed atomic flag, so a
//! normal scan pays no clock reads. Phases of the main thread (walk, context
//! pass, project phase, report) are wall time; phases inside the units run on
//! every thread and are CPU time summed over threads, so their sum can exceed
//! the wall time of the unit phase.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::discover::FileKind;

static ON: AtomicBool = AtomicBool::new(false);

/// A phase of a scan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Start-up: arguments, config, policies, `git ls-files`.
    Setup,
    /// Listing the files (ignore rules applied) and classifying them.
    Walk,
    /// Reading compose, GitLab CI and Terraform layout facts across folders.
    Context,
    /// The units, wall time (everything below runs inside it).
    Units,
    /// Reading bytes from disk.
    Read,
    /// Bytes to text, line indexes.
    Decode,
    /// Parsing, per kind.
    Parse(FileKind),
    /// Environment inference of each file.
    Env,
    /// Secret detectors over each file's text.
    Secrets,
    /// Subjects: compose services, CI jobs (with what they inherit).
    Subjects,
    /// Terraform root evaluation per environment variant.
    Terraform,
    /// Every rule's hooks (per rule below).
    Rules,
    /// Findings completed: positions, snippets, redaction, fingerprints;
    /// suppression comments and project facts.
    Complete,
    /// The project-wide rules.
    Project,
    /// Suppressions, baseline, sorting.
    Finish,
    /// Writing the report.
    Report,
}

const KINDS: [FileKind; 7] = [
    FileKind::Terraform,
    FileKind::Tfvars,
    FileKind::Hcl,
    FileKind::Compose,
    FileKind::GithubWorkflow,
    FileKind::GitlabCi,
    FileKind::Dotenv,
];

const FIXED: [Phase; 15] = [
    Phase::Setup,
    Phase::Walk,
    Phase::Context,
    Phase::Units,
    Phase::Read,
    Phase::Decode,
    Phase::Env,
    Phase::Secrets,
    Phase::Subjects,
    Phase::Terraform,
    Phase::Rules,
    Phase::Complete,
    Phase::Project,
    Phase::Finish,
    Phase::Report,
];

const SLOTS: usize = FIXED.len() + KINDS.len();

impl Phase {
    fn slot(self) -> usize {
        match self {
            Phase::Parse(kind) => FIXED.len() + KINDS.iter().position(|k| *k == kind).unwrap_or(0),
            other => FIXED.iter().position(|p| *p == other).unwrap_or(0),
        }
    }

    fn name(self) -> String {
        match self {
            Phase::Setup => "setup (config, policies, git ls-files)".into(),
            Phase::Walk => "walk (list, ignore rules, classify)".into(),
            Phase::Context => "context pass (compose, GitLab, Terraform layout)".into(),
            Phase::Units => "units (wall)".into(),
            Phase::Read => "read".into(),
            Phase::Decode => "decode, line index".into(),
            Phase::Parse(kind) => format!("parse {}", kind.as_str()),
            Phase::Env => "environment inference".into(),
            Phase::Secrets => "secret detectors".into(),
            Phase::Subjects => "subjects (services, jobs)".into(),
            Phase::Terraform => "Terraform evaluation".into(),
            Phase::Rules => "rules".into(),
            Phase::Complete => "complete findings, facts".into(),
            Phase::Project => "project rules".into(),
            Phase::Finish => "suppressions, sort".into(),
            Phase::Report => "report".into(),
        }
    }

    /// Wall time of the main thread, or CPU time summed over threads.
    fn is_wall(self) -> bool {
        matches!(
            self,
            Phase::Setup | Phase::Walk | Phase::Context | Phase::Units | Phase::Project | Phase::Finish | Phase::Report
        )
    }
}

struct Slot {
    nanos: AtomicU64,
    items: AtomicU64,
    bytes: AtomicU64,
}

#[allow(clippy::declare_interior_mutable_const)]
const EMPTY: Slot = Slot { nanos: AtomicU64::new(0), items: AtomicU64::new(0), bytes: AtomicU64::new(0) };
static SLOTS_DATA: [Slot; SLOTS] = [EMPTY; SLOTS];
static RULES: Mutex<Vec<(String, u64, u64)>> = Mutex::new(Vec::new());
static START: Mutex<Option<Instant>> = Mutex::new(None);

/// Turns the probes on (once, before the scan).
pub fn enable() {
    ON.store(true, Ordering::Relaxed);
    *START.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(Instant::now());
}

/// Whether the probes are on.
#[inline]
pub fn enabled() -> bool {
    ON.load(Ordering::Relaxed)
}

/// A running probe: `None` when timings are off.
#[must_use]
pub struct Timer(Option<Instant>);

/// Starts a probe.
#[inline]
pub fn start() -> Timer {
    Timer(enabled().then(Instant::now))
}

impl Timer {
    /// Adds the time since the start to `phase`, with the items and bytes it handled.
    #[inline]
    pub fn stop(self, phase: Phase, items: u64, bytes: u64) {
        if let Some(t) = self.0 {
            add(phase, t.elapsed(), items, bytes);
        }
    }

    /// The time since the start (zero when timings are off).
    pub fn elapsed(&self) -> Duration {
        self.0.map_or(Duration::ZERO, |t| t.elapsed())
    }
}

/// Times `f` as `phase` (one item, no bytes).
#[inline]
pub fn time<T>(phase: Phase, f: impl FnOnce() -> T) -> T {
    let t = start();
    let r = f();
    t.stop(phase, 1, 0);
    r
}

fn add(phase: Phase, d: Duration, items: u64, bytes: u64) {
    let s = &SLOTS_DATA[phase.slot()];
    s.nanos.fetch_add(u64::try_from(d.as_nanos()).unwrap_or(u64::MAX), Ordering::Relaxed);
    s.items.fetch_add(items, Ordering::Relaxed);
    s.bytes.fetch_add(bytes, Ordering::Relaxed);
}

/// Adds one unit's time per rule (rule ID, time, hook calls).
pub fn add_rules(list: &[(&str, Duration, u64)]) {
    if list.is_empty() {
        return;
    }
    let total: Duration = list.iter().map(|(_, d, _)| *d).sum();
    add(Phase::Rules, total, list.iter().map(|(_, _, c)| c).sum(), 0);
    let mut all = RULES.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    for (id, d, calls) in list {
        let nanos = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        match all.iter_mut().find(|(i, _, _)| i == id) {
            Some(e) => {
                e.1 += nanos;
                e.2 += calls;
            }
            None => all.push(((*id).to_owned(), nanos, *calls)),
        }
    }
}

/// The table of every phase that ran, then the rules by time, as Markdown.
pub fn render() -> String {
    use std::fmt::Write;
    let total = START.lock().unwrap_or_else(std::sync::PoisonError::into_inner).map(|t| t.elapsed());
    let mut out = String::new();
    let _ = writeln!(out, "| phase | time | kind | items | MB |\n|---|---:|---|---:|---:|");
    let phases =
        FIXED.iter().copied().take(5).chain(KINDS.iter().map(|k| Phase::Parse(*k))).chain(FIXED[5..].iter().copied());
    for phase in phases {
        let s = &SLOTS_DATA[phase.slot()];
        let nanos = s.nanos.load(Ordering::Relaxed);
        let items = s.items.load(Ordering::Relaxed);
        if nanos == 0 && items == 0 {
            continue;
        }
        let bytes = s.bytes.load(Ordering::Relaxed);
        let mb = if bytes == 0 { String::new() } else { format!("{:.1}", bytes as f64 / 1e6) };
        let kind = if phase.is_wall() { "wall" } else { "CPU" };
        let indent = if phase.is_wall() { "" } else { "&nbsp;&nbsp;" };
        let _ = writeln!(out, "| {indent}{} | {} | {kind} | {items} | {mb} |", phase.name(), ms(nanos));
    }
    if let Some(total) = total {
        let _ = writeln!(out, "| total | {} | wall | | |", ms(u64::try_from(total.as_nanos()).unwrap_or(u64::MAX)));
    }
    let mut rules = RULES.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
    if !rules.is_empty() {
        rules.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let _ = writeln!(out, "\n| rule | CPU time | hook calls |\n|---|---:|---:|");
        for (id, nanos, calls) in rules {
            let _ = writeln!(out, "| {id} | {} | {calls} |", ms(nanos));
        }
    }
    out
}

fn ms(nanos: u64) -> String {
    format!("{:.1} ms", nanos as f64 / 1e6)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_phase_has_its_own_slot() {
        let mut phases: Vec<Phase> = FIXED.to_vec();
        phases.extend(KINDS.iter().map(|k| Phase::Parse(*k)));
        let mut slots: Vec<usize> = phases.iter().map(|p| p.slot()).collect();
        slots.sort_unstable();
        slots.dedup();
        assert_eq!(slots.len(), SLOTS);
        assert!(slots.iter().all(|&s| s < SLOTS));
    }
}
