//! A panic is a bug or a damaged file, never something to print as a Rust
//! backtrace at an operator: the binary says it in one line, and while the
//! service starts, where the caller says it better, not at all.

use std::panic::{self, AssertUnwindSafe, PanicHookInfo};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Callers of [`quietly`] under way; while any is, the hook says nothing.
static QUIET: AtomicUsize = AtomicUsize::new(0);

/// Every panic of this process is said in one line on standard error.
pub fn say_in_one_line() {
    panic::set_hook(Box::new(|info| {
        if QUIET.load(Ordering::SeqCst) == 0 {
            eprintln!("boxoffice: internal error: {}", describe(info));
        }
    }));
}

/// Runs `work`; a panic in it is returned as its message instead of said.
pub fn quietly<T>(work: impl FnOnce() -> T) -> Result<T, String> {
    QUIET.fetch_add(1, Ordering::SeqCst);
    let outcome = panic::catch_unwind(AssertUnwindSafe(work));
    QUIET.fetch_sub(1, Ordering::SeqCst);
    outcome.map_err(|payload| message(payload.as_ref()))
}

/// A panic's message, whatever it carries.
pub fn message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|text| (*text).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".into())
}

fn describe(info: &PanicHookInfo<'_>) -> String {
    let what = message(info.payload());
    let what = what.lines().next().unwrap_or_default().to_owned();
    match info.location() {
        Some(at) => format!("{what} (at {}:{})", at.file(), at.line()),
        None => what,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_in_quiet_work_comes_back_as_its_message() {
        assert_eq!(quietly(|| 7), Ok(7));
        let panicked = quietly(|| -> u8 { panic!("page 12 is not a page") });
        assert_eq!(panicked, Err("page 12 is not a page".to_owned()));
        let owned = quietly(|| -> u8 { panic!("{} of {}", 3, 4) });
        assert_eq!(owned, Err("3 of 4".to_owned()));
    }
}
