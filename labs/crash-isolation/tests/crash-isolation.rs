//! What the crash-isolation page claims: a panicking thread leaves its process running
//! (join is Err with the payload, the mutex is poisoned, the data recoverable); a thread
//! that dies by SIGSEGV or SIGABRT takes its whole process with it; a crashed child is an
//! exact wait status to its parent; a panic in `main` ends the whole process with exit status
//! 101, not by a signal, while `abort` in `main` is SIGABRT; no core file and no child is left
//! behind.

#![cfg(target_os = "linux")]

use crash_isolation::{
    Crash, MAIN_PANIC_STATUS, PANIC_MESSAGE, WITNESS_MARKER, core_files_in, crash_child_process,
    crash_in_main, crash_in_thread, panic_in_thread,
};
use kit::testing::{assert_medians, fork_lock, lab_report, live_children, run_lab};
use nix::sys::signal::Signal;
use nix::sys::wait::WaitStatus;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_crash-isolation");

/// The crashing children write core files (if any) to their working directory, ours.
fn assert_no_core_file() {
    let cwd = std::env::current_dir().unwrap();
    assert_eq!(core_files_in(&cwd), Vec::<String>::new());
}

#[test]
fn the_process_survives_a_thread_panic() {
    let outcome = panic_in_thread().unwrap();
    // We are still here: the panic ended the worker thread only.
    assert_eq!(outcome.join_error.as_deref(), Some(PANIC_MESSAGE));
    assert!(outcome.poisoned);
    assert!(outcome.lock_refused);
    // Half of the update: 4 was pushed, 5 never was.
    assert_eq!(outcome.recovered, [1, 2, 3, 4]);
}

#[test]
fn a_panicking_thread_leaves_its_sibling_running() {
    let _lock = fork_lock();
    // The witness waits very little: with a panic it prints, whatever the timing.
    let run = crash_in_thread(Path::new(BIN), Crash::Panic, Duration::from_millis(10)).unwrap();
    assert_eq!(run.status, WaitStatus::Exited(run.pid, 0));
    assert!(run.witness_started());
    assert!(run.witness_survived(), "{:?}", run.lines);
    assert!(
        run.lines
            .contains(&"main: joined the crasher, panicked = true".to_owned())
    );
    assert_eq!(run.lines.last().unwrap(), "main: returning normally");
    let panic_line = run.stderr_first_line.unwrap();
    assert!(panic_line.starts_with("thread 'crasher'"), "{panic_line}");
}

#[test]
fn a_crashing_thread_kills_its_whole_process() {
    let _lock = fork_lock();
    for (how, signal) in [
        (Crash::Segv, Signal::SIGSEGV),
        (Crash::Abort, Signal::SIGABRT),
    ] {
        // The witness waits long: if the crash spared it, it would print; the wait costs
        // nothing when it does not (the process is gone at once).
        let run = crash_in_thread(Path::new(BIN), how, Duration::from_secs(30)).unwrap();
        // Exactly this signal, and no core dump (the child turned dumps off).
        assert_eq!(
            run.status,
            WaitStatus::Signaled(run.pid, signal, false),
            "{how:?}"
        );
        assert!(run.witness_started(), "{how:?}: {:?}", run.lines);
        assert!(!run.witness_survived(), "{how:?}: {:?}", run.lines);
        assert_eq!(
            run.lines,
            [
                "witness: running".to_owned(),
                format!("crasher: about to {}", how.describe())
            ],
            "{how:?}"
        );
        assert!(!run.lines.iter().any(|l| l == WITNESS_MARKER));
    }
    assert!(live_children().is_empty());
    assert_no_core_file();
}

#[test]
fn the_parent_reads_the_exact_signal_of_a_crashed_child() {
    let _lock = fork_lock();
    let segv = crash_child_process(Crash::Segv).unwrap();
    assert_eq!(
        segv.status,
        WaitStatus::Signaled(segv.pid, Signal::SIGSEGV, false)
    );
    let abort = crash_child_process(Crash::Abort).unwrap();
    assert_eq!(
        abort.status,
        WaitStatus::Signaled(abort.pid, Signal::SIGABRT, false)
    );
    // The parent carried on (we are running this line), and reaped both.
    assert!(live_children().is_empty());
    assert_no_core_file();
}

#[test]
fn a_panic_in_main_ends_the_process_with_status_101_not_a_signal() {
    let _lock = fork_lock();
    // The witness waits long: it would print if the panic ended only the main thread.
    let run = crash_in_main(Path::new(BIN), Crash::Panic, Duration::from_secs(30)).unwrap();
    assert_eq!(
        run.status,
        WaitStatus::Exited(run.pid, MAIN_PANIC_STATUS),
        "{:?}",
        run.lines
    );
    assert!(run.in_main);
    assert_eq!(run.lines, ["witness: running", "main: about to panic!"]);
    assert!(!run.witness_survived());
    let panic_line = run.stderr_first_line.unwrap();
    assert!(panic_line.starts_with("thread 'main'"), "{panic_line}");
}

#[test]
fn a_signal_in_main_kills_the_process_by_that_signal() {
    let _lock = fork_lock();
    for (how, signal) in [
        (Crash::Segv, Signal::SIGSEGV),
        (Crash::Abort, Signal::SIGABRT),
    ] {
        let run = crash_in_main(Path::new(BIN), how, Duration::from_secs(30)).unwrap();
        assert_eq!(
            run.status,
            WaitStatus::Signaled(run.pid, signal, false),
            "{how:?}"
        );
        assert_eq!(
            run.lines,
            [
                "witness: running".to_owned(),
                format!("main: about to {}", how.describe())
            ],
            "{how:?}"
        );
    }
    assert!(live_children().is_empty());
    assert_no_core_file();
}

#[test]
fn std_reads_a_main_panic_as_code_101_and_an_abort_as_sigabrt() {
    // The same children, their status read by std (`ExitStatus`) instead of nix.
    let _lock = fork_lock();
    let main_panics = run_lab(BIN, &["--crash-in-main", "panic", "--witness-ms", "30000"]);
    assert_eq!(main_panics.status.code(), Some(101));
    assert_eq!(main_panics.status.signal(), None);

    let main_aborts = run_lab(BIN, &["--crash-in-main", "abort", "--witness-ms", "30000"]);
    assert_eq!(main_aborts.status.code(), None);
    assert_eq!(main_aborts.status.signal(), Some(Signal::SIGABRT as i32));
    assert!(!main_aborts.status.core_dumped());

    // A panic in a spawned thread, while main goes on: main returns, the process exits 0.
    let thread_panics = run_lab(BIN, &["--crash-in-thread", "panic", "--witness-ms", "10"]);
    assert_eq!(thread_panics.status.code(), Some(0));
    assert_eq!(thread_panics.status.signal(), None);
    let stdout = String::from_utf8_lossy(&thread_panics.stdout);
    assert!(stdout.contains(WITNESS_MARKER), "{stdout}");
    assert!(live_children().is_empty());
    assert_no_core_file();
}

#[test]
fn a_forked_child_is_never_asked_to_panic() {
    assert!(crash_child_process(Crash::Panic).is_err());
}

#[test]
fn cli_reports_json() {
    let _lock = fork_lock();
    let report = lab_report(BIN, "crash-isolation", &["--witness-ms", "50"]);
    assert_medians(
        &report,
        &[
            ("crash-isolation/panic/join-err", 1.0),
            ("crash-isolation/panic/mutex-poisoned", 1.0),
            ("crash-isolation/thread-panic/signal", 0.0),
            ("crash-isolation/thread-panic/witness-survived", 1.0),
            ("crash-isolation/thread-segv/signal", 11.0),
            ("crash-isolation/thread-segv/witness-survived", 0.0),
            ("crash-isolation/thread-abort/signal", 6.0),
            ("crash-isolation/thread-abort/witness-survived", 0.0),
            ("crash-isolation/process-segv/signal", 11.0),
            ("crash-isolation/process-abort/signal", 6.0),
            ("crash-isolation/main-panic/signal", 0.0),
            ("crash-isolation/main-panic/exit-101", 1.0),
            ("crash-isolation/main-panic/witness-survived", 0.0),
            ("crash-isolation/main-segv/signal", 11.0),
            ("crash-isolation/main-abort/signal", 6.0),
            ("crash-isolation/main-abort/witness-survived", 0.0),
            ("crash-isolation/core-files", 0.0),
        ],
    );
    assert!(live_children().is_empty());
    assert_no_core_file();
}

#[test]
fn cli_readable_report() {
    let _lock = fork_lock();
    let out = run_lab(BIN, &["--witness-ms", "50"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("crash-isolation: "));
    assert!(text.contains("Err(PoisonError)"));
    assert!(text.contains("killed by SIGSEGV"));
    assert!(text.contains("killed by SIGABRT"));
    assert!(text.contains("exited with status 101"));
    assert!(text.contains("What to observe:"));
    // The panic message of the in-process worker went to stderr, through the default hook.
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains(PANIC_MESSAGE), "{stderr}");
}

// No quick_run: every run panics a thread on purpose, and its message goes to stderr, where
// the closed-stdout check takes "panicked" for a failure.
kit::cli_contract! {
    bin: BIN,
    refused: [
        &["--witness-ms", "99999999"],
        &["--nope"],
        &["--crash-in-thread", "melt"],
        &["--crash-in-main", "melt"],
        &["--crash-in-main", "panic", "--crash-in-thread", "panic"],
    ],
    help_mentions: ["poisoned"],
    help_hides: ["--crash-in-thread", "--crash-in-main"],
    // A witness that waits a minute: a crashing child is alive when the signal comes.
    busy_run: ["--witness-ms", "60000"],
}
