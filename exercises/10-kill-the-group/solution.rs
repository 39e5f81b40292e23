//! Exercise 10: stop a whole process tree. The solution.
//!
//! The shell leads a process group of its own, which its helpers inherit when it starts them:
//! one `killpg` reaches all of them, grandchildren included, unless one left the group with
//! `setsid` or `setpgid`, and nothing else.

use nix::errno::Errno;
use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use std::io;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, ExitStatus, Stdio};

// ANCHOR: start_stop
/// Starts `sh -c script`, with its standard output readable through the returned `Child`.
pub fn start(script: &str) -> io::Result<Child> {
    Command::new("sh")
        .args(["-c", script])
        .stdout(Stdio::piped())
        // setpgid(0, 0) in the child: a new group whose id is the shell's pid.
        .process_group(0)
        .spawn()
}

/// Stops the script and every process it started, and reaps the shell.
pub fn stop(mut child: Child) -> io::Result<ExitStatus> {
    // The group's id is the shell's pid. Until we wait for the shell, that pid cannot be
    // reused, so the signal cannot reach a stranger's group.
    let group = Pid::from_raw(child.id() as i32);
    match killpg(group, Signal::SIGKILL) {
        // ESRCH would mean the group is empty. That cannot happen before we reap the shell,
        // which stays in the group even as a zombie; accept it anyway, since there is
        // nothing left to stop.
        Ok(()) | Err(Errno::ESRCH) => {}
        Err(error) => return Err(error.into()),
    }
    child.wait()
}
// ANCHOR_END: start_stop
