//! Whether the kernel reports the wall clock NTP-synchronised (`adjtimex`
//! with no changes asked: a read). A clock found far ahead at start-up is
//! distrusted only when the kernel does not vouch for it.

/// True when the kernel's clock state is not `TIME_ERROR` and its status
/// lacks `STA_UNSYNC`; false where that cannot be asked.
pub fn kernel_reports_synchronised() -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        read_state().is_some_and(|(state, status)| {
            state != libc::TIME_ERROR && status & libc::STA_UNSYNC == 0
        })
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        false
    }
}

/// The clock state `adjtimex` returns and its `status` bits.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)] // one read-only system call; rustix does not offer it
fn read_state() -> Option<(i32, i32)> {
    // SAFETY: `timex` is a plain C struct for which all zeroes is a valid
    // value; with `modes` 0 adjtimex only fills it in, and the pointer is to
    // a local that outlives the call.
    let (state, status) = unsafe {
        let mut timex: libc::timex = std::mem::zeroed();
        let state = libc::adjtimex(&raw mut timex);
        (state, timex.status)
    };
    (state >= 0).then_some((state, status))
}
