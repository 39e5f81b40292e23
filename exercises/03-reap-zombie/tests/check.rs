//! Exercise 3 is solved when a helper is gone, not a zombie, once `run_helper` returns.

use reap_zombie::run_helper;
use std::time::{Duration, Instant};

/// The state letter of `/proc/PID/stat` (proc(5)): R running, S sleeping, Z zombie, …;
/// `None` once the process is gone.
fn state_of(pid: u32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name is in parentheses and may contain spaces: the state follows the last ')'.
    stat[stat.rfind(')')? + 1..].trim_start().chars().next()
}

/// Waits until the helper has ended one way or the other: gone (reaped) or a zombie.
fn assert_reaped(pid: u32, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match state_of(pid) {
            None => return,
            Some('Z') => panic!(
                "{what} (pid {pid}) is a zombie: it has exited, but nobody waited for it, so the \
                 kernel keeps its pid and exit status (`ps` shows it as <defunct>)"
            ),
            Some(state) if Instant::now() > deadline => {
                panic!("{what} (pid {pid}) is still running (state {state}) after 30 s")
            }
            // Still running: without a wait, run_helper returned before the helper ended.
            Some(_) => std::thread::sleep(Duration::from_millis(10)),
        }
    }
}

#[test]
fn a_helper_that_succeeds_leaves_no_zombie() {
    let pid = run_helper("true", &[]).expect("true runs");
    assert_reaped(pid, "the helper `true`");
}

#[test]
fn a_helper_that_fails_leaves_no_zombie() {
    let pid = run_helper("sh", &["-c", "exit 3"]).expect("sh runs");
    assert_reaped(pid, "the helper `sh -c 'exit 3'`");
}

#[test]
fn many_helpers_leave_no_zombies() {
    let pids: Vec<u32> = (0..20)
        .map(|_| run_helper("true", &[]).expect("true runs"))
        .collect();
    for pid in pids {
        assert_reaped(pid, "one of 20 helpers");
    }
}
