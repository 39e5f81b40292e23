//! Exercise 4: tell an exit code from a signal. The solution.
//!
//! An `ExitStatus` is one of two things: an exit code (`code()`), or the signal that killed
//! the process (`signal()`, from the Unix extension trait `ExitStatusExt`).

use std::os::unix::process::ExitStatusExt;
use std::process::ExitStatus;

// ANCHOR: describe
/// "exited with code N" for a child that exited, "killed by signal N" for one that a signal
/// ended.
pub fn describe(status: ExitStatus) -> String {
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exited with code {code}"),
        (None, Some(signal)) => format!("killed by signal {signal}"),
        // A status from waitpid(…, WUNTRACED) can also say "stopped"; `wait` never returns one.
        (None, None) => format!("ended: {status}"),
    }
}
// ANCHOR_END: describe
