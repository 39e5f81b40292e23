//! Exercise 3: reap the zombie. The solution.
//!
//! `wait` blocks until the child has exited and collects its exit status; the kernel then
//! frees the child's process-table entry and its pid.

use std::io;
use std::process::Command;

// ANCHOR: run_helper
/// Runs `program` with `args` until it ends, and returns its pid. What the helper prints and
/// how it exits do not matter to the caller.
pub fn run_helper(program: &str, args: &[&str]) -> io::Result<u32> {
    let mut child = Command::new(program).args(args).spawn()?;
    let pid = child.id();
    // Even when the status does not matter, someone must collect it: that is what reaps
    // the child. (The pid we return is only for the log: after the wait, the kernel may
    // give it to a new process.)
    child.wait()?;
    Ok(pid)
}
// ANCHOR_END: run_helper
