//! Exercise 11 is solved when `run` works while another thread holds the log's lock.

use nix::sys::signal::{Signal, kill};
use nix::unistd::{Pid, gettid};
use spawn_from_threads::{LOG, run};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// The fields of `/proc/PID/stat` after the command name, which is in parentheses and may
/// contain anything: the state, then the parent's pid, … (proc(5)). Empty once it is gone.
fn stat_fields(pid: i32) -> Vec<String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    after_name.split_whitespace().map(str::to_owned).collect()
}

/// The pids of this process's children: every process whose parent field is us.
fn children() -> Vec<i32> {
    let me = std::process::id().to_string();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<i32>().ok())
        .filter(|&pid| stat_fields(pid).get(1) == Some(&me))
        .collect()
}

/// A child that is still this very program (it has not reached exec) and is asleep, which
/// is what a child stuck on a lock looks like.
fn stuck_child() -> Option<i32> {
    let me = std::fs::read_link("/proc/self/exe").ok()?;
    children().into_iter().find(|&pid| {
        let exe = std::fs::read_link(format!("/proc/{pid}/exe")).ok();
        exe.as_ref() == Some(&me) && stat_fields(pid).first().is_some_and(|s| s == "S")
    })
}

/// The state of one of this process's threads (`S` for asleep), or `None` once it has ended.
fn thread_state(tid: Pid) -> Option<String> {
    let stat = std::fs::read_to_string(format!("/proc/self/task/{tid}/stat")).ok()?;
    let after_name = stat.rsplit_once(')')?.1;
    after_name.split_whitespace().next().map(str::to_owned)
}

/// Kills whatever children are left when the test ends, even if it fails half-way: a child
/// stuck on a lock would otherwise outlive the test, asleep forever.
struct KillLeftChildren;

impl Drop for KillLeftChildren {
    fn drop(&mut self) {
        for pid in children() {
            let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
        }
    }
}

/// One test, not two: a second test starting children at the same time would confuse the
/// logger below, which waits for "a child exists".
#[test]
fn run_works_alone_and_while_another_thread_holds_the_log() {
    let _cleanup = KillLeftChildren;
    assert_eq!(run("sh", &["-c", "exit 7"]).expect("sh runs"), 7);

    // Another thread of the program is logging: it holds the lock while `run` starts its
    // child, so that a fork happens while the lock is held. It lets go once a child exists,
    // or once the thread in `run` has ended or sleeps with no child: then it can only be
    // waiting for this lock, in the parent, which is a correct place to log (before `spawn`,
    // or after `wait`). Asleep is checked many times in a row, because a thread can sleep
    // for a moment on an allocator's lock before it forks.
    let (locked_tx, locked) = mpsc::channel();
    let (tid_tx, tid) = mpsc::channel();
    let logger = thread::spawn(move || {
        let _held = LOG.lock().unwrap_or_else(|p| p.into_inner());
        locked_tx.send(()).expect("the test is listening");
        let runner: Pid = tid.recv().expect("the thread in `run` says who it is");
        // Only a safety net: the loop ends long before it, whatever `run` does.
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut asleep_seen = 0;
        while children().is_empty() && asleep_seen < 10 && Instant::now() < deadline {
            match thread_state(runner).as_deref() {
                Some("S") => asleep_seen += 1,
                None => break,
                Some(_) => asleep_seen = 0,
            }
            thread::sleep(Duration::from_millis(2));
        }
    });
    locked.recv().expect("the logger takes the lock");

    let (done_tx, done) = mpsc::channel();
    thread::spawn(move || {
        tid_tx.send(gettid()).expect("the logger is listening");
        done_tx.send(run("sh", &["-c", "exit 7"]))
    });
    // Wait for `run` to finish, or for its child to be seen stuck many times in a row.
    let mut stuck_seen = 0;
    let outcome = loop {
        if let Ok(outcome) = done.recv_timeout(Duration::from_millis(20)) {
            break outcome;
        }
        match stuck_child() {
            Some(pid) if stuck_seen >= 10 => {
                // Unstick `run` (its waitpid returns) and leave nothing behind.
                let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
                let _ = done.recv();
                logger.join().expect("the logger thread ends");
                panic!(
                    "the child (pid {pid}) never reached exec: it is asleep, stuck on the \
                     log's lock, which it inherited locked from a thread that does not exist \
                     in the child. After fork in a multithreaded program, the child may only \
                     make async-signal-safe calls until it execs."
                );
            }
            Some(_) => stuck_seen += 1,
            None => stuck_seen = 0,
        }
    };
    logger.join().expect("the logger thread ends");
    assert_eq!(outcome.expect("run works"), 7);
    assert!(
        LOG.lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .any(|line| line.contains("sh")),
        "run logs what it starts"
    );
}
