//! Exercise 3: reap the zombie.
//!
//! `run_helper` runs a short helper program, the way a server or a build tool does many times
//! a day, and returns its pid for the log. Every call leaves a zombie behind: a dead process
//! that keeps its pid and a slot in the kernel's process table until its parent collects its
//! exit status. Make `run_helper` leave nothing behind. Run `cargo book exercises` to check.
//! Chapter: "Process lifecycle: fork, exec, wait", section "Zombies"
//! (src/concepts/lifecycle.md).

use std::io;
use std::process::Command;

// ANCHOR: run_helper
/// Runs `program` with `args` until it ends, and returns its pid. What the helper prints and
/// how it exits do not matter to the caller.
pub fn run_helper(program: &str, args: &[&str]) -> io::Result<u32> {
    let child = Command::new(program).args(args).spawn()?;
    // TODO: nobody waits for the child. Dropping a `Child` does not wait for it, so when the
    // helper exits it stays a zombie for as long as this process lives. Wait for it.
    Ok(child.id())
}
// ANCHOR_END: run_helper
