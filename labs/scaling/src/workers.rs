//! One run of a [`Plan`] with W workers, as threads or as forked processes: its wall time,
//! its sum, and how often the kernel took a core away from a worker that could still run.
//!
//! That last count is getrusage(2)'s `ru_nivcsw`, "the number of times a context switch
//! resulted due to a higher priority process becoming runnable or because the current process
//! exceeded its time slice" (getrusage(2)). A thread reads its own with `RUSAGE_THREAD`
//! (Linux ≥ 2.6.26) just before it ends; for processes the parent reads `RUSAGE_CHILDREN`
//! before and after, which covers "all children of the calling process that have terminated
//! and been waited for" (getrusage(2)): exactly the W children of the run, once
//! [`Children::wait_all_ok`] has reaped them. With no more workers than idle cores the count
//! stays small; past the core count the scheduler must time-slice the workers, and it grows.

use crate::work::{Plan, sum_of_squares};
// The CPU-bound lab's pipe of partial sums: one 8-byte write per child, read until EOF.
use cpu_bound::{read_partials, send_partial};
use kit::Children;
use nix::fcntl::OFlag;
use nix::sys::resource::{UsageWho, getrusage};
use nix::unistd::pipe2;
use std::time::{Duration, Instant};

/// What one run measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Run {
    /// From before the serial part's first half to after its second half.
    pub elapsed: Duration,
    /// Involuntary context switches of the W workers, summed.
    pub switches: u64,
    /// The sum of i² over the whole plan (checked against the closed form by the caller).
    pub sum: u64,
}

/// The involuntary context switches `who` has had so far (getrusage(2), `ru_nivcsw`).
pub fn involuntary_switches(who: UsageWho) -> nix::Result<u64> {
    Ok(getrusage(who)?.involuntary_context_switches() as u64)
}

// ANCHOR: threads
/// The serial part on this thread, the parallel part on `workers` scoped threads, each of
/// which reads its own involuntary switches as its last act.
pub fn threads(plan: Plan, workers: usize) -> anyhow::Result<Run> {
    let (before, parts, after) = plan.ranges(workers);
    let start = Instant::now();
    let mut sum = sum_of_squares(before);
    let results: Vec<nix::Result<(u64, u64)>> = std::thread::scope(|scope| {
        let handles: Vec<_> = parts
            .into_iter()
            .map(|range| {
                scope.spawn(move || {
                    let partial = sum_of_squares(range);
                    Ok((partial, involuntary_switches(UsageWho::RUSAGE_THREAD)?))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| handle.join().expect("summing cannot panic"))
            .collect()
    });
    let mut switches = 0;
    for result in results {
        let (partial, nivcsw) = result?;
        sum = sum.wrapping_add(partial);
        switches += nivcsw;
    }
    sum = sum.wrapping_add(sum_of_squares(after));
    Ok(Run {
        elapsed: start.elapsed(),
        switches,
        sum,
    })
}
// ANCHOR_END: threads

// ANCHOR: processes
/// The serial part in this process, the parallel part in `workers` forked children, each of
/// which writes its 8-byte partial sum into a pipe; their switches come from
/// `RUSAGE_CHILDREN` once all of them are reaped.
pub fn processes(plan: Plan, workers: usize) -> anyhow::Result<Run> {
    let (before, parts, after) = plan.ranges(workers); // allocated before any fork
    let reaped_before = involuntary_switches(UsageWho::RUSAGE_CHILDREN)?;
    let start = Instant::now();
    let mut sum = sum_of_squares(before);
    let (from_children, to_parent) = pipe2(OFlag::O_CLOEXEC)?;
    let mut children = Children::new();
    for range in parts {
        let pipe = &to_parent;
        // SAFETY: the child only does arithmetic and one write(2) to a pipe, both
        // async-signal-safe (signal-safety(7)); it allocates nothing.
        unsafe { children.spawn(move || send_partial(pipe, sum_of_squares(range))) }?;
    }
    // Our own write end closed, reading ends (EOF) once the last child has exited.
    drop(to_parent);
    for partial in read_partials(from_children, workers)? {
        sum = sum.wrapping_add(partial);
    }
    children.wait_all_ok()?;
    sum = sum.wrapping_add(sum_of_squares(after));
    let elapsed = start.elapsed();
    let switches = involuntary_switches(UsageWho::RUSAGE_CHILDREN)? - reaped_before;
    Ok(Run {
        elapsed,
        switches,
        sum,
    })
}
// ANCHOR_END: processes
