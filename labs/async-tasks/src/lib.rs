//! The async mistake every program makes once: a CPU loop in a tokio task stalls every other
//! task on its worker ([`blocking`]).
//!
//! Tasks are scheduled cooperatively (tokio's docs, module `tokio::task`: "a task is allowed
//! to run until it _yields_"): a task gives its worker thread back only when a poll returns
//! `Pending`, at an `.await` that is not ready. A CPU loop with no `.await` keeps the worker
//! for its whole length, and every other task on that worker waits, here a ticker that wants
//! to wake every millisecond. The fix, `tokio::task::spawn_blocking`, runs the loop on a
//! thread of the runtime's blocking pool, which polls no task while it runs the loop, so the
//! worker stays free.
//!
//! What a task costs to create, beside a thread and a process, is not measured here: it is
//! the `task` kind of the spawn-cost lab, timed by the method of its other kinds (one method
//! per quantity, ARCHITECTURE.md).
//!
//! # Why there is no criterion bench
//!
//! The figures are not costs to repeat: each is the worst lateness of a ticker across one
//! loop of `--stall-ms`, a maximum over one long demonstration, which a criterion sample
//! could only repeat as the same stall again.

// The book's labs are compiled on Linux only (src/labs/platforms.md); off Linux, main.rs says
// so in one line.
#![cfg(target_os = "linux")]

pub mod blocking;
pub mod report;
