//! Failure isolation: work on one file (a parser, a rule, redaction) runs inside
//! [`run`], so that a bug becomes a warning naming the file and the step, and the
//! scan goes on (DESIGN.md, "Failure isolation"). Depends on nothing.
//!
//! [`install_hook`] keeps panics caught here off stderr (the caller reports them
//! as warnings); any other panic is still printed by the default hook.

use std::cell::{Cell, RefCell};
use std::panic::{self, AssertUnwindSafe};

thread_local! {
    /// How many [`run`] calls are active on this thread.
    static DEPTH: Cell<u32> = const { Cell::new(0) };
    /// Where the last caught panic happened (set by the hook).
    static LOCATION: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Installs a panic hook that stays quiet for panics [`run`] catches. Call once,
/// from the binary.
pub fn install_hook() {
    let default = panic::take_hook();
    panic::set_hook(Box::new(move |info| {
        if DEPTH.with(Cell::get) > 0 {
            let at = info.location().map(|l| format!("{}:{}", l.file(), l.line()));
            LOCATION.with(|l| *l.borrow_mut() = at);
        } else {
            default(info);
        }
    }));
}

/// Runs `f`; a panic inside it becomes `Err` with its message (and where it
/// happened, when the hook is installed).
pub fn run<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    DEPTH.with(|d| d.set(d.get() + 1));
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    DEPTH.with(|d| d.set(d.get() - 1));
    result.map_err(|payload| {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_owned());
        match LOCATION.with(|l| l.borrow_mut().take()) {
            Some(at) => format!("{message} (at {at})"),
            None => message,
        }
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn panics_become_errors() {
        assert_eq!(super::run(|| 2 + 2), Ok(4));
        #[allow(clippy::unwrap_used)]
        let err = super::run(|| {
            let v: Vec<u8> = Vec::new();
            v.first().copied().unwrap()
        })
        .expect_err("panics");
        assert!(err.contains("None"), "{err}");
        let err = super::run(|| -> u8 { panic!("boom {}", 7) }).expect_err("panics");
        assert!(err.starts_with("boom 7"), "{err}");
    }
}
