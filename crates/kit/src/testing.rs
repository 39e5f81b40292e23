//! Helpers for the labs' tests.
//!
//! Tests run on several threads of one process. Two tests forking at once would wait for,
//! or count, each other's children, so every test that forks holds [`fork_lock`] while its
//! children exist (nix's own test suite does the same).
//!
//! Every lab binary keeps the same command-line contract ([`crate::cli`]): bad flags exit 2
//! with one line on stderr and nothing on stdout, `--help` exits 0, `--json` prints a
//! [`Report`]. [`run_lab`], [`run_ok`], [`assert_usage_error`], [`assert_help`] and
//! [`json_report`] run a lab's binary and check that contract once, here, so that each lab's
//! tests keep only what the lab itself claims.
//!
//! None of them takes the fork lock: the caller holds [`fork_lock`] around them, as around
//! any other child. The lock is not reentrant (a helper locking it under a caller that holds
//! it would hang), and a test usually keeps it across several runs and its
//! [`live_children`] checks, which a lock taken and dropped inside each helper would not do.

use crate::Report;
use nix::unistd::Pid;
use std::process::{Command, Output, Stdio};
use std::sync::{Mutex, MutexGuard};

static FORK_LOCK: Mutex<()> = Mutex::new(());

/// The process-wide lock held by every test while it has children. A test that failed while
/// holding it poisons it; later tests still run.
pub fn fork_lock() -> MutexGuard<'static, ()> {
    FORK_LOCK
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The pids whose parent is this process (live or zombie), read from `/proc`.
pub fn live_children() -> Vec<Pid> {
    children_of(Pid::this())
}

/// The pids whose parent is `parent`, read from `/proc/*/stat`.
pub fn children_of(parent: Pid) -> Vec<Pid> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|&pid| stat_of(pid).is_some_and(|s| s.ppid == parent.as_raw()))
        .map(Pid::from_raw)
        .collect()
}

/// Every process below `root` in the process tree (children, grandchildren, …).
pub fn descendants_of(root: Pid) -> Vec<Pid> {
    let mut found = Vec::new();
    let mut frontier = vec![root];
    while let Some(pid) = frontier.pop() {
        for child in children_of(pid) {
            found.push(child);
            frontier.push(child);
        }
    }
    found
}

/// Every process below this one: [`descendants_of`] this process.
pub fn live_descendants() -> Vec<Pid> {
    descendants_of(Pid::this())
}

/// Runs a lab's binary (`env!("CARGO_BIN_EXE_<lab>")`) with `args` and waits for it, with
/// its stdout and stderr captured. Hold [`fork_lock`] while calling it.
pub fn run_lab(bin: &str, args: &[&str]) -> Output {
    Command::new(bin)
        .args(args)
        .output()
        .unwrap_or_else(|err| panic!("could not run {bin} {args:?}: {err}"))
}

/// Runs the lab like [`run_lab`], checks that it exited 0 (its stderr in the failure
/// message), and returns its stdout: the readable report.
pub fn run_ok(bin: &str, args: &[&str]) -> String {
    let out = run_lab(bin, args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap_or_else(|err| panic!("{args:?}: stdout: {err}"))
}

/// Runs the lab with `--json` and then `args`, checks that it exited 0, and parses its stdout
/// as a [`Report`].
pub fn json_report(bin: &str, args: &[&str]) -> Report {
    let args: Vec<&str> = ["--json"].iter().chain(args).copied().collect();
    let stdout = run_ok(bin, &args);
    serde_json::from_str(&stdout)
        .unwrap_or_else(|err| panic!("{args:?}: not a report ({err}):\n{stdout}"))
}

/// Checks that the lab refuses `args` as [`crate::cli`] promises: exit status 2, exactly one
/// line on stderr, nothing on stdout. The failure message names `args`.
pub fn assert_usage_error(bin: &str, args: &[&str]) {
    let out = run_lab(bin, args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
    assert!(
        out.stdout.is_empty(),
        "{args:?}: stdout {}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// Runs the lab with `args` and its standard output a pipe nobody reads (as after
/// `| head -1`), and checks that it ends quietly: status 0, no panic on stderr, and no
/// child left behind. The caller holds [`fork_lock`].
pub fn assert_quiet_when_stdout_closed(bin: &str, args: &[&str]) {
    let (reader, writer) = std::io::pipe().expect("a pipe");
    drop(reader);
    let out = Command::new(bin)
        .args(args)
        .stdin(Stdio::null())
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .unwrap_or_else(|err| panic!("cannot run {bin}: {err}"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
    assert_eq!(live_descendants(), [], "{args:?}: children left behind");
}

/// Runs the lab with `--help`, checks that it exited 0 and that the help mentions every word
/// of `must_mention`, and returns the help (for what a lab checks beyond that, such as an
/// internal flag staying hidden).
pub fn assert_help(bin: &str, must_mention: &[&str]) -> String {
    let help = run_ok(bin, &["--help"]);
    for word in must_mention {
        assert!(help.contains(word), "{word} missing from --help:\n{help}");
    }
    help
}

/// The fields of `/proc/PID/stat` the tests need (proc(5)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcStat {
    /// One letter: R running, S sleeping, D disk sleep, T stopped, Z zombie, …
    pub state: char,
    pub ppid: i32,
    pub pgrp: i32,
}

/// Reads `/proc/PID/stat`; `None` once the process is gone (reaped).
pub fn stat_of(pid: i32) -> Option<ProcStat> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name is in parentheses and may itself contain spaces or parentheses.
    let after_name = &text[text.rfind(')')? + 1..];
    let mut fields = after_name.split_whitespace();
    let state = fields.next()?.chars().next()?;
    let ppid = fields.next()?.parse().ok()?;
    let pgrp = fields.next()?.parse().ok()?;
    Some(ProcStat { state, ppid, pgrp })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_our_own_stat() {
        let me = stat_of(std::process::id() as i32).unwrap();
        assert_eq!(me.ppid, nix::unistd::getppid().as_raw());
        assert!("RS".contains(me.state));
    }

    #[test]
    fn a_usage_error_is_status_2_one_line_and_no_stdout() {
        let _lock = fork_lock();
        assert_usage_error("/bin/sh", &["-c", "echo 'x: bad flag' >&2; exit 2"]);
    }

    #[test]
    #[should_panic(expected = "stdout")]
    fn a_usage_error_that_prints_on_stdout_fails() {
        let _lock = fork_lock();
        assert_usage_error("/bin/sh", &["-c", "echo usage; echo 'x: bad' >&2; exit 2"]);
    }

    #[test]
    #[should_panic(expected = "Some(3)")]
    fn run_ok_names_the_failure() {
        let _lock = fork_lock();
        run_ok("/bin/sh", &["-c", "exit 3"]);
    }

    #[test]
    fn run_ok_returns_stdout() {
        let _lock = fork_lock();
        assert_eq!(run_ok("/bin/sh", &["-c", "echo hello"]), "hello\n");
        assert!(live_children().is_empty());
    }
}
