//! Exercise 11: start a program from a multithreaded parent safely. The solution.
//!
//! `std::process::Command` prepares everything before the child exists, and the child only
//! makes async-signal-safe calls until it execs (it uses posix_spawn where it can). The
//! logging moves to the parent, where the lock's holder exists and will let go.

mod log;

pub use log::{LOG, log};

use std::io;
use std::process::Command;

// ANCHOR: run
/// Runs `program` (looked up in `PATH`) with `args`, waits for it, and returns its exit code.
/// Logs what it starts.
pub fn run(program: &str, args: &[&str]) -> io::Result<i32> {
    let mut child = Command::new(program).args(args).spawn()?;
    // In the parent, waiting for the log's lock is fine: whoever holds it is a thread of
    // this process, and will release it.
    log(format!("started {program} as pid {}", child.id()));
    let status = child.wait()?;
    status
        .code()
        .ok_or_else(|| io::Error::other(format!("{program} did not exit: {status}")))
}
// ANCHOR_END: run
