//! What the fd-inheritance page claims: a forked child can use every descriptor its parent
//! had, close-on-exec or not; after exec only those without close-on-exec are there; a
//! pre-fork server's workers all accept on one inherited socket, answer every request, exit
//! cleanly and free the port; nothing is left behind.

#![cfg(target_os = "linux")]

use fd_inheritance::{inherit_across_exec, inherit_across_fork, prefork_server};
use kit::testing::{assert_medians, fork_lock, lab_report, live_children, median, readable_report};
use nix::sys::wait::WaitStatus;
use std::collections::BTreeSet;
use std::net::TcpListener;
use std::path::Path;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_fd-inheritance");

/// A run small enough for a test: the flags every test that only needs the lab to finish
/// uses.
const QUICK: &[&str] = &["--workers", "2", "--threads", "2", "--requests", "8"];

#[test]
fn a_forked_child_can_use_every_inherited_descriptor() {
    // Every test that makes a descriptor inheritable holds the fork lock: a child another
    // test started meanwhile would inherit it too.
    let _lock = fork_lock();
    let seen = inherit_across_fork().unwrap();
    let [plain, cleared] = seen.as_slice() else {
        panic!("{seen:?}")
    };
    // In the parent: std opened the first close-on-exec; the second had the flag cleared.
    assert!(plain.parent.close_on_exec);
    assert!(!cleared.parent.close_on_exec);
    assert!(plain.parent.target.starts_with("pipe:["));
    // In the child: both open, each with the parent's flag (fork copies it), and both
    // carried the child's answer back.
    assert_eq!(plain.close_on_exec_in_child, Some(true));
    assert_eq!(cleared.close_on_exec_in_child, Some(false));
}

#[test]
fn after_exec_only_descriptors_without_close_on_exec_remain() {
    let _lock = fork_lock();
    let run = inherit_across_exec(Path::new(BIN)).unwrap();
    let [plain, cleared] = run.fds.as_slice() else {
        panic!("{run:?}")
    };
    assert!(plain.parent.close_on_exec);
    assert!(!plain.listed, "{run:?}");
    assert!(!plain.usable_in_program, "{run:?}");
    assert!(!cleared.parent.close_on_exec);
    assert!(cleared.listed, "{run:?}");
    assert!(cleared.usable_in_program, "{run:?}");
    // The close-on-exec pipe's inode appears nowhere in the program's table.
    assert!(!run.listing.iter().any(|(_, t)| *t == plain.parent.target));
    // The program's standard streams are there, as Command set them up.
    let numbers: Vec<i32> = run.listing.iter().map(|(fd, _)| *fd).collect();
    assert!(numbers.starts_with(&[0, 1, 2]), "{numbers:?}");
}

#[test]
fn the_prefork_server_answers_every_request_from_its_workers() {
    let _lock = fork_lock();
    let (workers, threads, requests) = (3, 2, 12);
    let run = prefork_server(Path::new(BIN), workers, threads, requests).unwrap();
    assert_eq!(run.workers.len(), workers);
    let pids: BTreeSet<i32> = run.workers.iter().map(|p| p.as_raw()).collect();
    assert_eq!(pids.len(), workers, "distinct worker pids");

    // Every request answered exactly once, in order, by one of our workers and threads.
    // (How the load is spread is up to the kernel's wake-ups: not asserted.)
    assert_eq!(run.answers.len(), requests);
    for (i, answer) in run.answers.iter().enumerate() {
        assert_eq!(answer.request, i);
        assert!(pids.contains(&answer.worker), "{answer:?}");
        assert!(answer.thread < threads, "{answer:?}");
    }
    let served: usize = run.distribution().values().flatten().sum();
    assert_eq!(served, requests);

    // Every worker exited cleanly once its stdin closed, and was reaped by pid.
    assert_eq!(run.statuses.len(), workers);
    for (pid, status) in &run.statuses {
        assert_eq!(*status, WaitStatus::Exited(*pid, 0));
    }
    assert!(live_children().is_empty());
    // No process holds the socket any more: the port can be bound again.
    assert!(run.port_freed);
    assert!(TcpListener::bind(run.addr).is_ok());
}

#[test]
fn one_worker_with_one_thread_serves_everything() {
    let _lock = fork_lock();
    let run = prefork_server(Path::new(BIN), 1, 1, 5).unwrap();
    let worker = run.workers[0].as_raw();
    assert!(
        run.answers
            .iter()
            .all(|a| a.worker == worker && a.thread == 0)
    );
    assert_eq!(run.distribution()[&worker], [5]);
    assert_eq!(
        run.statuses,
        [(run.workers[0], WaitStatus::Exited(run.workers[0], 0))]
    );
    assert!(run.port_freed);
}

#[test]
fn a_worker_without_an_inherited_socket_refuses_to_start() {
    let _lock = fork_lock();
    let out = Command::new(BIN)
        .args(["--worker", "--threads", "1"])
        .env("FD_INHERITANCE_LISTEN_FD", "987")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("was not inherited"), "{stderr}");
}

#[test]
fn cli_reports_json() {
    let _lock = fork_lock();
    let report = lab_report(BIN, "fd-inheritance", QUICK);
    assert_medians(
        &report,
        &[
            ("fd-inheritance/fork/std-default/usable", 1.0),
            ("fd-inheritance/fork/cloexec-cleared/usable", 1.0),
            ("fd-inheritance/exec/std-default/present", 0.0),
            ("fd-inheritance/exec/cloexec-cleared/present", 1.0),
            ("fd-inheritance/prefork/answered", 8.0),
            ("fd-inheritance/prefork/clean-exits", 2.0),
            ("fd-inheritance/prefork/port-freed", 1.0),
        ],
    );
    let busy = median(&report, "fd-inheritance/prefork/workers-that-answered");
    assert!((1.0..=2.0).contains(&busy));
}

#[test]
fn cli_readable_report() {
    let _lock = fork_lock();
    let text = readable_report(BIN, &[]);
    assert!(text.starts_with("fd-inheritance: "));
    assert!(text.contains("Requests answered: 12 of 12"));
}

kit::cli_contract! {
    bin: BIN,
    refused: [
        &["--workers", "0"],
        &["--threads", "99"],
        &["--requests", "0"],
        &["--nope"],
    ],
    help_mentions: ["close-on-exec"],
    help_hides: ["--probe-fds"],
    quick_run: QUICK,
    // Sixteen workers and many requests: the workers are alive when the signal comes.
    busy_run: ["--workers", "16", "--requests", "10000"],
}
