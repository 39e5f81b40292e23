//! Exercise 6: share a counter across processes.
//!
//! The parent forks a few children, and each child adds one to a counter many times. The
//! children do their work, and yet the parent's counter stays at zero. Make the parent see
//! every child's additions. Run `cargo book exercises` to check. Chapter: "Sharing state"
//! (src/labs/shared-state.md), and "Copy-on-write" (src/concepts/copy-on-write.md).

mod shared;

pub use shared::SharedCounter;

use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, Pid, fork};
use std::sync::atomic::{AtomicU64, Ordering};

// ANCHOR: count
/// Forks `workers` children that each add one to a counter `increments` times; returns the
/// total the parent sees once every child has exited.
pub fn count_in_children(workers: usize, increments: u64) -> nix::Result<u64> {
    // TODO: after fork, each child has its own copy of this counter (copy-on-write), and adds
    // to its copy. Create the counter in memory that the children share with the parent: a
    // `SharedCounter` (a MAP_SHARED mapping), made before the children are forked.
    let counter = AtomicU64::new(0);
    let mut children: Vec<Pid> = Vec::with_capacity(workers);
    for _ in 0..workers {
        // SAFETY: the child only does atomic additions and `_exit`, which are safe to call
        // after fork in a multithreaded program (signal-safety(7)).
        match unsafe { fork() } {
            Ok(ForkResult::Child) => {
                for _ in 0..increments {
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
