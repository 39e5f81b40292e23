//! The third way to run something concurrently: a tokio task, beside a thread and a process.
//!
//! The lab shows two things, one module each:
//!
//! - [`create`]: what it costs to create something that runs and wait for its end, three
//!   ways: `tokio::spawn` + `.await` of its `JoinHandle`, `std::thread::spawn` + `join`, and
//!   `fork` + `_exit` + `waitpid`. A task is a value the runtime polls on its own worker
//!   threads; creating one asks the kernel for nothing (tokio's docs, module `tokio::task`:
//!   "creating new tasks or switching between tasks does not require a context switch").
//! - [`blocking`]: the mistake every async program makes once. Tasks are scheduled
//!   cooperatively (same docs: "a task is allowed to run until it _yields_"): a task gives its
//!   worker thread back only when a poll returns `Pending`, at an `.await` that is not ready.
//!   A CPU loop with no `.await` keeps the worker for its whole length, and every other task
//!   on that worker waits, here a ticker that wants to wake every millisecond. The fix,
//!   `tokio::task::spawn_blocking`, runs the loop on the runtime's blocking pool, threads that
//!   run no tasks, so the worker stays free.
//!
//! # Why the lab's fresh copies are the timer, not criterion
//!
//! Every creation figure is timed by the lab itself, each kind for `--rounds` rounds in a
//! fresh copy of the lab ([`create::measure_in_fresh_process`]), the method spawn-cost uses,
//! and there is no criterion bench (one method per quantity, ARCHITECTURE.md):
//!
//! - The three kinds are one comparison, and their ratios are only fair if one method times
//!   all three. The process kind cannot be timed by criterion without changing it: `fork`
//!   copies the page tables of whatever the forking process holds (fork(2)), and a bench
//!   process holds criterion's samples and, for the task kind, a runtime's worker threads and
//!   their stacks. A fresh copy per kind forks from a process with one thread and nothing
//!   else, and the task kind's runtime exists only in the task kind's copy.
//! - A task spawn of a microsecond or less is long enough to time one round at a time:
//!   `Instant::now` reads `CLOCK_MONOTONIC` through the vDSO (vdso(7)), some tens of
//!   nanoseconds, and the median of many rounds removes the odd slow one. What criterion
//!   would add, a confidence interval from batched iterations, does not change which kind is
//!   cheaper by how many times.
//!
//! The blocking figures are not costs to repeat: each is the worst lateness of a ticker
//! across one loop of `--stall-ms`, a maximum over one long demonstration, which a criterion
//! sample could only repeat as the same stall again.

// The whole lab is Linux's (fork, prctl, /proc); off Linux, main.rs says so in one line.
#![cfg(target_os = "linux")]

pub mod blocking;
pub mod create;
pub mod report;
