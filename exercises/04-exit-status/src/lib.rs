//! Exercise 4: tell an exit code from a signal.
//!
//! `describe` reports how a child process ended, as a supervisor or a shell would. It works
//! for a child that exits, and panics for one that is killed. Make it describe both. Run
//! `cargo book exercises` to check. Chapter: "Process lifecycle: fork, exec, wait", section
//! "wait: collecting the exit status" (src/concepts/lifecycle.md).

use std::process::ExitStatus;

// ANCHOR: describe
/// "exited with code N" for a child that exited, "killed by signal N" for one that a signal
/// ended.
pub fn describe(status: ExitStatus) -> String {
    // TODO: `code()` is `None` when the child did not exit at all but was killed by a
    // signal: wait(2) reports the two cases apart, and so does `ExitStatus`. Handle both.
    let code = status.code().unwrap();
    format!("exited with code {code}")
}
// ANCHOR_END: describe
