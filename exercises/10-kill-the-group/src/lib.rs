//! Exercise 10: stop a whole process tree.
//!
//! `start` runs a shell script, which starts helpers of its own, as build scripts and test
//! runners do. `stop` kills the shell, and reaps it; its helpers live on as orphans. Make
//! `stop` end every process the script started. Run `cargo book exercises` to check.
//! Chapter: "Process lifecycle: fork, exec, wait", section "Process groups and killing a
//! whole tree" (src/concepts/lifecycle.md).

use std::io;
use std::process::{Child, Command, ExitStatus, Stdio};

// ANCHOR: start_stop
/// Starts `sh -c script`, with its standard output readable through the returned `Child`.
pub fn start(script: &str) -> io::Result<Child> {
    // TODO: the shell and everything it starts share this process's process group, so there
    // is no group to signal that holds them and nothing else. Start the shell as the leader
    // of a new group (`std::os::unix::process::CommandExt::process_group`).
    Command::new("sh")
        .args(["-c", script])
        .stdout(Stdio::piped())
        .spawn()
}

/// Stops the script and every process it started, and reaps the shell.
pub fn stop(mut child: Child) -> io::Result<ExitStatus> {
    // TODO: `kill` sends SIGKILL to the shell alone. Send it to the shell's whole process
    // group instead (kill(2) with a negative pid; `nix::sys::signal::killpg`).
    child.kill()?;
    child.wait()
}
// ANCHOR_END: start_stop
