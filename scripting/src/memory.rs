//! Per-thread memory accounting for script runs (finding 13 of issue 12: maps, `map` over strings
//! and recursion reached +300–700 MB before the deadline, because rhai checks a value's size only
//! when it is assigned, not while a native function such as `map` builds it, and each recursion
//! level has its own variables).
//!
//! The server's allocator is jemalloc (`platform/src/lib.rs`), which counts the bytes each thread
//! allocated and freed (`thread.allocatedp` / `thread.deallocatedp`). A run notes both at its start
//! (`Budget::start`) and the sandbox's progress callback, called on every rhai operation (closures
//! inside `map` included), stops the script once the thread holds more than the run's budget. When
//! jemalloc is not the global allocator (unit tests of this crate), the counters stay at zero and
//! only rhai's own size limits apply.

use std::cell::RefCell;

use tikv_jemalloc_ctl::thread::{allocatedp, deallocatedp, ThreadLocal};

thread_local! {
    // The counters' addresses are per thread and never change: read them once per thread.
    static COUNTERS: RefCell<Option<(ThreadLocal<u64>, ThreadLocal<u64>)>> = const { RefCell::new(None) };
}

/// (allocated, deallocated) bytes of the calling thread so far; (0, 0) without jemalloc.
fn counters() -> (u64, u64) {
    COUNTERS
        .try_with(|cell| {
            let mut cell = cell.borrow_mut();
            if cell.is_none() {
                if let (Ok(a), Ok(d)) = (allocatedp::read(), deallocatedp::read()) {
                    *cell = Some((a, d));
                }
            }
            cell.as_ref().map_or((0, 0), |(a, d)| (a.get(), d.get()))
        })
        .unwrap_or((0, 0))
}

/// What one run may hold on its thread beyond what the thread held when it started.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    allocated: u64,
    deallocated: u64,
    limit: u64,
}

impl Budget {
    /// Starts counting on the calling thread.
    pub fn start(limit: usize) -> Budget {
        let (allocated, deallocated) = counters();
        Budget {
            allocated,
            deallocated,
            limit: u64::try_from(limit).unwrap_or(u64::MAX),
        }
    }

    /// Bytes the calling thread holds beyond what it held at `start` (0 if it freed more).
    pub fn used(&self) -> u64 {
        let (a, d) = counters();
        let grew = a.saturating_sub(self.allocated);
        let shrank = d.saturating_sub(self.deallocated);
        grew.saturating_sub(shrank)
    }

    /// Whether the run holds more than its budget. Call on the run's own thread.
    pub fn exceeded(&self) -> bool {
        self.used() > self.limit
    }
}

/// Turns on jemalloc's background threads, which give freed memory back to the system within
/// seconds (its dirty-page decay), so that a burst such as a script stopped at its budget does not
/// stay resident. Does nothing when jemalloc is not the allocator.
///
/// Freed pages are also given back after one second instead of jemalloc's default ten: during a
/// bulk load the requests free their parsed bodies continuously, and ten seconds of them held
/// ~140 MB that nothing would reuse (200,000-record load: RSS 339 → 256 MB at the end of the
/// load, the rate unchanged; docs/benchmarks.md "Memory at 1M", issue 18).
pub fn purge_in_background() {
    use tikv_jemalloc_ctl::{Access, AsName};
    if let Err(e) = tikv_jemalloc_ctl::background_thread::write(true) {
        tracing::debug!("jemalloc background threads: {e}");
    }
    // `arenas.` is the default of arenas created from now on; those that exist (one per core and
    // the first) are set one by one. jemalloc checks the value's size, so a wrong type is an error.
    let mut names = vec!["arenas.dirty_decay_ms\0".to_owned()];
    if let Ok(n) = tikv_jemalloc_ctl::arenas::narenas::read() {
        names.extend((0..n).map(|i| format!("arena.{i}.dirty_decay_ms\0")));
    }
    for name in names {
        if let Err(e) = name.as_str().name().write(DIRTY_DECAY_MS) {
            tracing::debug!("jemalloc {}: {e}", name.trim_end_matches('\0'));
        }
    }
}

/// How long jemalloc keeps freed pages for reuse before giving them back, in milliseconds.
const DIRTY_DECAY_MS: isize = 1_000;

#[cfg(test)]
mod tests {
    use tikv_jemalloc_ctl::{Access, AsName};

    /// The decay is set on jemalloc's existing arenas and as the default of new ones: a misspelled
    /// name would only be logged at debug level and leave freed memory resident for ten seconds.
    #[test]
    fn freed_pages_go_back_within_a_second() -> Result<(), tikv_jemalloc_ctl::Error> {
        super::purge_in_background();
        let default: isize = "arenas.dirty_decay_ms\0".name().read()?;
        assert_eq!(default, super::DIRTY_DECAY_MS);
        let first: isize = "arena.0.dirty_decay_ms\0".name().read()?;
        assert_eq!(first, super::DIRTY_DECAY_MS);
        Ok(())
    }
}
