//! Exercise 6: share a counter across processes. The solution.
//!
//! The counter lives in a `MAP_SHARED` mapping made before the fork: every child maps the same
//! physical page as the parent, so their atomic additions land in one counter.

mod shared;

pub use shared::SharedCounter;

use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, Pid, fork};
use std::sync::atomic::Ordering;

// ANCHOR: count
/// Forks `workers` children that each add one to a counter `increments` times; returns the
/// total the parent sees once every child has exited.
pub fn count_in_children(workers: usize, increments: u64) -> nix::Result<u64> {
    // Shared memory, made before the fork: the children inherit this very mapping. (One made
    // by a child after the fork would be that child's alone.)
    let counter = SharedCounter::new()?;
    let mut children: Vec<Pid> = Vec::with_capacity(workers);
    for _ in 0..workers {
        // SAFETY: the child only does atomic additions and `_exit`, which are safe to call
        // after fork in a multithreaded program (signal-safety(7)).
        match unsafe { fork() } {
            Ok(ForkResult::Child) => {
                for _ in 0..increments {
                    // The same `fetch_add` as between threads: atomic instructions act on
                    // the physical memory, whichever process maps it.
                    counter.fetch_add(1, Ordering::Relaxed);
                }
                // SAFETY: `_exit` is async-signal-safe; it ends the child at once, without
                // running the parent's exit handlers or flushing its copied buffers.
                unsafe { nix::libc::_exit(0) }
            }
            Ok(ForkResult::Parent { child }) => children.push(child),
            Err(error) => {
                reap(&children)?;
                return Err(error);
            }
        }
    }
    // Read the total only after every child has exited: then all their additions are done.
    reap(&children)?;
    Ok(counter.load(Ordering::Relaxed))
}
// ANCHOR_END: count

/// Waits for every child, and checks that each one exited with status 0.
fn reap(children: &[Pid]) -> nix::Result<()> {
    for &child in children {
        let status = waitpid(child, None)?;
        assert_eq!(status, WaitStatus::Exited(child, 0), "child {child} failed");
    }
    Ok(())
}
