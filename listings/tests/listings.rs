//! Every listing runs and prints what its page says it shows. Each test holds the fork lock
//! while its listing (and anything the listing starts) is alive, and ends with no child left.
//! The listings' own assertions (the parent's `Vec` unchanged, exit code 7, SIGTERM, the
//! poisoned mutex) run inside them, so "exited 0" is part of what each test checks.

use kit::testing::{fork_lock, run_lab};
use nix::errno::Errno;
use nix::sys::prctl;
use nix::sys::signal::Signal;
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::Pid;
use std::process::{Command, Output};

/// Runs a listing with no arguments, checks that it exited 0, and returns its output.
fn run(bin: &str) -> Output {
    let out = run_lab(bin, &[]);
    assert!(
        out.status.success(),
        "{bin}: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("a listing prints UTF-8")
}

/// The number after `prefix` on the line that starts with it.
fn number_after(text: &str, prefix: &str) -> u64 {
    text.lines()
        .find_map(|line| line.strip_prefix(prefix))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| panic!("no `{prefix}<number>` line in:\n{text}"))
}

#[test]
fn pid_prints_its_own_pid_and_its_parents() {
    let _lock = fork_lock();
    let child = Command::new(env!("CARGO_BIN_EXE_pid"))
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = u64::from(child.id());
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let text = stdout(&out);
    assert_eq!(number_after(&text, "pid  = "), pid);
    // Its parent is this test process.
    assert_eq!(
        number_after(&text, "ppid = "),
        u64::from(std::process::id())
    );
}

#[test]
fn ps_child_shows_the_listing_and_exits_0() {
    let _lock = fork_lock();
    let out = run(env!("CARGO_BIN_EXE_ps-child"));
    let text = stdout(&out);
    let mut lines = text.lines();
    let header: Vec<_> = lines.next().unwrap().split_whitespace().collect();
    assert_eq!(header, ["PID", "PPID", "STAT", "COMMAND"], "{text}");
    // One process listed, the listing itself, whose parent is this test process.
    let row: Vec<_> = lines.next().unwrap().split_whitespace().collect();
    assert_eq!(row[1], std::process::id().to_string(), "{text}");
    assert_eq!(row[3], "ps-child", "{text}");
    assert_eq!(
        lines.next(),
        Some("ps exited with exit status: 0"),
        "{text}"
    );
}

#[test]
fn cow_vec_parent_keeps_its_vec() {
    let _lock = fork_lock();
    let out = run(env!("CARGO_BIN_EXE_cow-vec"));
    assert_eq!(stdout(&out), "parent: [1, 2, 3]\n");
}

#[test]
fn fork_exit_code_reaps_status_7() {
    let _lock = fork_lock();
    let out = run(env!("CARGO_BIN_EXE_fork-exit-code"));
    assert_eq!(stdout(&out), "the child exited with 7\n");
}

#[test]
fn command_ways_run_and_reap_three_children() {
    let _lock = fork_lock();
    let out = run(env!("CARGO_BIN_EXE_command-ways"));
    let text = stdout(&out);
    assert!(
        text.contains("sort: exit status: 0\ntrue: exit status: 0\n"),
        "{text}"
    );
    let release = text
        .lines()
        .find_map(|l| l.strip_prefix("uname -r: "))
        .unwrap_or_else(|| panic!("no uname line in:\n{text}"));
    assert!(!release.is_empty(), "{text}");
}

#[test]
fn killed_by_signal_has_a_signal_and_no_code() {
    let _lock = fork_lock();
    let out = run(env!("CARGO_BIN_EXE_killed-by-signal"));
    assert_eq!(stdout(&out), "sh: signal: 15 (SIGTERM)\n");
}

#[test]
fn kill_group_ends_the_shell_and_its_sleeps() {
    let _lock = fork_lock();
    // The two sleeps are the shell's children. When the shell dies they are orphans and go
    // to the nearest subreaper: this test process, from here to the end of the test, so
    // that we can wait for them. Only this test's processes can reach us: every test here
    // holds the fork lock while it has children.
    prctl::set_child_subreaper(true).unwrap();
    let out = run(env!("CARGO_BIN_EXE_kill-group"));
    assert!(stdout(&out).starts_with("pgid = "), "{}", stdout(&out));
    // Both sleeps were running when the listing signalled the group (it waits for the
    // shell's line), and each must have been ended by that SIGTERM: a survivor would exit 0
    // after its 100 seconds and fail here.
    let mut orphans = Vec::new();
    loop {
        match waitpid(None::<Pid>, None) {
            Ok(status) => orphans.push(status),
            Err(Errno::ECHILD) => break,
            Err(err) => panic!("waitpid: {err}"),
        }
    }
    prctl::set_child_subreaper(false).unwrap();
    assert_eq!(orphans.len(), 2, "{orphans:?}");
    for status in &orphans {
        assert!(
            matches!(status, WaitStatus::Signaled(_, Signal::SIGTERM, _)),
            "{orphans:?}"
        );
    }
}

/// The sum of the squares of 1..=1000, which the three thread listings compute.
const SQUARES: u64 = 1000 * 1001 * 2001 / 6;

#[test]
fn spawn_join_returns_the_threads_value() {
    let _lock = fork_lock();
    let out = run(env!("CARGO_BIN_EXE_spawn-join"));
    assert_eq!(stdout(&out), format!("sum = {SQUARES}\n"));
}

#[test]
fn thread_builder_names_the_thread() {
    let _lock = fork_lock();
    let out = run(env!("CARGO_BIN_EXE_thread-builder"));
    assert_eq!(
        stdout(&out),
        format!("thread Some(\"hasher\") computed {SQUARES}\n")
    );
}

#[test]
fn scoped_threads_add_both_halves() {
    let _lock = fork_lock();
    let out = run(env!("CARGO_BIN_EXE_scoped-threads"));
    assert_eq!(stdout(&out), format!("total = {SQUARES}\n"));
}

#[test]
fn thread_local_counts_per_thread() {
    let _lock = fork_lock();
    let out = run(env!("CARGO_BIN_EXE_thread-local"));
    assert_eq!(stdout(&out), "main: 2 calls, worker: 1 call\n");
}

#[test]
fn lost_hits_never_counts_more_than_it_added() {
    let _lock = fork_lock();
    let out = run(env!("CARGO_BIN_EXE_lost-hits"));
    // How many updates are lost depends on the interleaving: anything from none to most.
    // Never more than were made: each stored value is one more than a value stored before.
    let hits = number_after(&stdout(&out), "hits = ");
    assert!((1..=400_000).contains(&hits), "{hits}");
}

#[test]
fn poisoned_mutex_leaves_main_running() {
    let _lock = fork_lock();
    let out = run(env!("CARGO_BIN_EXE_poisoned-mutex"));
    assert_eq!(stdout(&out), "main is still running\n");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("worker failed while holding the lock"),
        "{stderr}"
    );
}

#[test]
fn thread_per_task_runs_every_task() {
    let _lock = fork_lock();
    let out = run(env!("CARGO_BIN_EXE_thread-per-task"));
    assert_eq!(stdout(&out), "every task ran\n");
}

#[test]
fn unjoined_workers_never_print() {
    let _lock = fork_lock();
    // The workers sleep for a minute; main returns at once and the process exits with them.
    let out = run(env!("CARGO_BIN_EXE_unjoined"));
    assert_eq!(stdout(&out), "main: returning without joining\n");
}

#[test]
fn load_store_never_counts_more_than_it_added() {
    let _lock = fork_lock();
    let out = run(env!("CARGO_BIN_EXE_load-store"));
    let counted = number_after(&stdout(&out), "counter = ");
    assert!((1..=400_000).contains(&counted), "{counted}");
}
