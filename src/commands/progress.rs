//! The progress bar of `envlint scan` on a terminal: drawn on standard error
//! from its own thread, only once a scan has taken a second, redrawn ten times
//! a second, and wiped before the report is written. A few lines of our own
//! instead of a crate: one line, no colour, no terminal queries.

use std::io::Write;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::engine::Progress;

/// How long a scan runs before the bar appears.
const DELAY: Duration = Duration::from_secs(1);
/// Time between redraws.
const TICK: Duration = Duration::from_millis(100);
/// Characters of the bar itself.
const WIDTH: usize = 30;

/// For the tests through the binary: set, the first frame is drawn at once
/// (whatever the scan's length), so that a test needs no timing.
#[doc(hidden)]
pub const TEST_PROGRESS_VAR: &str = "ENVLINT_TEST_PROGRESS";

/// A running progress bar; [`Bar::finish`] (or dropping it) wipes it.
pub struct Bar {
    state: Arc<State>,
    thread: Option<JoinHandle<()>>,
}

struct State {
    progress: Progress,
    stopped: Mutex<bool>,
    wake: Condvar,
}

impl Bar {
    /// Starts the drawing thread; nothing is drawn before [`DELAY`].
    pub fn start(mut sink: Box<dyn Write + Send>) -> Self {
        let state = Arc::new(State { progress: Progress::default(), stopped: Mutex::new(false), wake: Condvar::new() });
        let shared = Arc::clone(&state);
        let at_once = std::env::var_os(TEST_PROGRESS_VAR).is_some();
        let thread = std::thread::Builder::new()
            .name("envlint-progress".into())
            .spawn(move || {
                let mut wait = DELAY;
                let mut drawn: usize = 0;
                if at_once {
                    let line = render(0, 0);
                    let _ = write!(sink, "\r{line}");
                    drawn = line.chars().count();
                }
                loop {
                    let Ok(guard) = shared.stopped.lock() else { break };
                    let Ok((guard, _)) = shared.wake.wait_timeout_while(guard, wait, |stopped| !*stopped) else {
                        break;
                    };
                    if *guard {
                        break;
                    }
                    drop(guard);
                    let line = render(
                        shared.progress.done.load(Ordering::Relaxed),
                        shared.progress.total.load(Ordering::Relaxed),
                    );
                    let pad = drawn.saturating_sub(line.chars().count());
                    let _ = write!(sink, "\r{line}{}", " ".repeat(pad));
                    let _ = sink.flush();
                    drawn = line.chars().count();
                    wait = TICK;
                }
                if drawn > 0 {
                    let _ = write!(sink, "\r{}\r", " ".repeat(drawn));
                    let _ = sink.flush();
                }
            })
            .ok();
        Self { state, thread }
    }

    /// The counters the scan updates.
    pub fn progress(&self) -> &Progress {
        &self.state.progress
    }

    /// Stops drawing and wipes the line.
    pub fn finish(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        if let Ok(mut stopped) = self.state.stopped.lock() {
            *stopped = true;
        }
        self.state.wake.notify_all();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        self.stop();
    }
}

/// One frame: `scanning [#######.......] 120/456 files`.
fn render(done: usize, total: usize) -> String {
    if total == 0 {
        return "scanning: finding files…".to_owned();
    }
    let done = done.min(total);
    let filled = done * WIDTH / total;
    format!("scanning [{}{}] {done}/{total} files", "#".repeat(filled), ".".repeat(WIDTH - filled))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames() {
        assert_eq!(render(0, 0), "scanning: finding files…");
        assert_eq!(render(0, 10), format!("scanning [{}] 0/10 files", ".".repeat(30)));
        assert_eq!(render(5, 10), format!("scanning [{}{}] 5/10 files", "#".repeat(15), ".".repeat(15)));
        assert_eq!(render(12, 10), format!("scanning [{}] 10/10 files", "#".repeat(30)));
    }

    /// A sink the test can read while the bar owns a clone.
    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().expect("lock").extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_quick_scan_draws_nothing() {
        let sink = Shared::default();
        let bar = Bar::start(Box::new(sink.clone()));
        bar.progress().total.store(3, Ordering::Relaxed);
        bar.finish();
        assert!(sink.0.lock().expect("lock").is_empty());
    }
}
