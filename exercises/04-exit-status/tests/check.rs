//! Exercise 4 is solved when `describe` tells an exit code from a signal.

use exit_status::describe;
use std::process::{Command, ExitStatus};

/// Runs a shell command and waits for it.
fn status_of(script: &str) -> ExitStatus {
    Command::new("sh")
        .args(["-c", script])
        .status()
        .expect("sh runs")
}

#[test]
fn an_exit_code_is_an_exit_code() {
    assert_eq!(describe(status_of("exit 0")), "exited with code 0");
    assert_eq!(describe(status_of("exit 3")), "exited with code 3");
}

#[test]
fn a_child_killed_by_a_signal_was_killed_by_a_signal() {
    // `$$` is the shell's own pid: the shell sends the signal to itself.
    assert_eq!(describe(status_of("kill -KILL $$")), "killed by signal 9");
    assert_eq!(describe(status_of("kill -TERM $$")), "killed by signal 15");
}

#[test]
fn exit_code_137_is_not_a_signal() {
    // Shells report "killed by signal N" as $? = 128 + N, but that is the shell's convention:
    // a program may exit with 137 itself, and wait(2) tells the two apart.
    assert_eq!(describe(status_of("exit 137")), "exited with code 137");
}
