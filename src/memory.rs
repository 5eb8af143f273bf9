//! Handing freed memory back to the system. glibc's malloc returns only the
//! free memory at the top of each of its heaps; memory freed below live
//! allocations stays resident. So after a spike of connections (each holding
//! buffers of a few KiB) the process would stay near its peak for good.
//! `malloc_trim` releases the free pages of every heap, wherever they lie;
//! a thread calls it every few seconds.

use std::time::Duration;

/// How often free memory is handed back.
pub const TRIM_INTERVAL: Duration = Duration::from_secs(5);

/// Starts the thread that hands free memory back every [`TRIM_INTERVAL`];
/// it lives as long as the process. Elsewhere than on glibc it does nothing.
pub fn start_trimming() {
    if !TRIMS {
        return;
    }
    let started = std::thread::Builder::new()
        .name("memory trim".into())
        .spawn(|| loop {
            std::thread::sleep(TRIM_INTERVAL);
            trim();
        });
    if let Err(error) = started {
        // Only memory use suffers; the service runs on.
        eprintln!("boxoffice: warning: cannot start the memory trim thread: {error}");
    }
}

const TRIMS: bool = cfg!(all(target_os = "linux", target_env = "gnu"));

/// Releases every free page of every malloc heap.
#[allow(unsafe_code)] // the one foreign call the service makes
pub fn trim() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim takes no pointers and locks each heap while it
    // works, so it is safe alongside allocations on other threads.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    /// A trim is process-wide: the tests that trim take turns.
    static TRIMMING: Mutex<()> = Mutex::new(());

    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[test]
    fn trimming_hands_back_memory_freed_below_live_allocations() {
        const MIB: usize = 1 << 20;
        let _turn = TRIMMING
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let resident = || -> usize {
            let status = std::fs::read_to_string("/proc/self/status").unwrap();
            let kib: usize = status
                .lines()
                .find_map(|line| line.strip_prefix("VmRSS:"))
                .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
                .unwrap();
            kib * 1024
        };
        // 64 MiB in blocks of 16 KiB, each followed by a small allocation
        // that is kept: once the blocks are freed, no two free blocks are
        // adjacent and none lies at the top of a heap, so free() cannot hand
        // any of it back by itself; each still spans three whole pages.
        let (mut blocks, mut kept) = (Vec::new(), Vec::new());
        for _ in 0..4096 {
            blocks.push(vec![1u8; 16 * 1024]);
            kept.push(vec![2u8; 64]);
        }
        drop(blocks);
        let before = resident();
        super::trim();
        let after = resident();
        assert!(
            before.saturating_sub(after) > 32 * MIB,
            "resident {} MiB before the trim, {} MiB after",
            before / MIB,
            after / MIB
        );
        assert!(kept.iter().all(|block| block[0] == 2));
    }

    #[test]
    fn trimming_is_harmless_while_other_threads_allocate() {
        let _turn = TRIMMING
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let allocators: Vec<_> = (0..2)
            .map(|_| {
                std::thread::spawn(|| {
                    for round in 0..2_000 {
                        let kept: Vec<Vec<u8>> = (0..16).map(|n| vec![n; 4096 + round]).collect();
                        assert!(kept.iter().enumerate().all(|(n, v)| v[0] as usize == n));
                    }
                })
            })
            .collect();
        for _ in 0..50 {
            super::trim();
        }
        for allocator in allocators {
            allocator.join().unwrap();
        }
    }
}
