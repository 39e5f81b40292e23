//! Interview gotcha: "What happens to the process when a thread panics?"
//!
//! Four answers, each shown by running it:
//!
//! 1. A `panic!` in a spawned thread unwinds that thread only. The process keeps running,
//!    `join` returns `Err` with the panic payload, and a `Mutex` the thread held is poisoned.
//! 2. A thread that dies by a signal (a segmentation fault, an `abort`) takes the whole
//!    process with it: the default action of those signals ends every thread. That case runs
//!    in a child process (the lab re-executes itself with a hidden flag), so the lab survives.
//! 3. A child *process* that crashes is only a wait status to its parent: `waitpid` names the
//!    signal, and the parent carries on.
//! 4. A panic on the *main* thread ends the whole process, but not by a signal: the Rust
//!    runtime catches a panic that leaves `main` and exits with status 101
//!    (library/std/src/rt.rs, `lang_start_internal`). Shown in a re-executed child too.
//!
//! No crash leaves a core file behind: each crashing process turns core dumps off first.

// The whole lab is Linux's (clone, /proc, prctl); off Linux, main.rs says so in one line.
#![cfg(target_os = "linux")]

use anyhow::{Context, bail};
use kit::Children;
use nix::sys::prctl;
use nix::sys::resource::{Resource, setrlimit};
use nix::sys::signal::{SigHandler, Signal, raise, signal};
use nix::sys::wait::WaitStatus;
use nix::unistd::Pid;
use std::any::Any;
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

pub mod report;

/// How the crashing thread (or process) ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Crash {
    /// `panic!`: unwinds the thread; the process survives.
    Panic,
    /// `SIGSEGV`, the signal an invalid memory access raises.
    Segv,
    /// `std::process::abort()`, which raises `SIGABRT`.
    Abort,
}

impl Crash {
    pub const ALL: [Crash; 3] = [Crash::Panic, Crash::Segv, Crash::Abort];

    /// The value of the hidden `--crash-in-thread` flag, and the name in the report.
    pub fn name(self) -> &'static str {
        match self {
            Crash::Panic => "panic",
            Crash::Segv => "segv",
            Crash::Abort => "abort",
        }
    }

    /// What the crashing code does, in words.
    pub fn describe(self) -> &'static str {
        match self {
            Crash::Panic => "panic!",
            Crash::Segv => "raise SIGSEGV",
            Crash::Abort => "std::process::abort()",
        }
    }

    /// The signal this crash kills a process with, if it does.
    pub fn signal(self) -> Option<Signal> {
        match self {
            Crash::Panic => None,
            Crash::Segv => Some(Signal::SIGSEGV),
            Crash::Abort => Some(Signal::SIGABRT),
        }
    }
}

/// The payload of the worker's panic, as `join` hands it back.
pub const PANIC_MESSAGE: &str = "worker gave up halfway through the update";

/// What the main thread saw after a spawned thread panicked while holding a lock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PanicOutcome {
    /// The panic payload `join` returned in its `Err`, as text (`None` if `join` was `Ok`).
    pub join_error: Option<String>,
    /// `Mutex::is_poisoned` after the panic.
    pub poisoned: bool,
    /// Whether `lock()` returned `Err(PoisonError)`.
    pub lock_refused: bool,
    /// The data behind the poisoned lock, reached through `PoisonError::into_inner`.
    pub recovered: Vec<u32>,
}

// ANCHOR: panic
/// A worker thread takes the lock, updates half of the data, and panics. The panic unwinds
/// the worker only: this function, on the main thread, carries on and inspects the damage.
pub fn panic_in_thread() -> anyhow::Result<PanicOutcome> {
    let ledger = Arc::new(Mutex::new(vec![1, 2, 3]));
    let worker = {
        let ledger = Arc::clone(&ledger);
        thread::Builder::new()
            .name("worker".into())
            .spawn(move || {
                let mut entries = ledger.lock().unwrap();
                entries.push(4); // the first half of an update that should push 4 and 5
                panic!("{PANIC_MESSAGE}");
            })?
    };

    // `join` returns `Err` with the value the thread panicked with (the std::thread docs).
    let join_error = worker.join().err().map(|payload| payload_text(&*payload));

    // The guard was dropped while unwinding, so the lock is free, but poisoned: every later
    // `lock()` says that its holder panicked and the data may be half-updated.
    let poisoned = ledger.is_poisoned();
    let (lock_refused, recovered) = match ledger.lock() {
        Ok(entries) => (false, entries.clone()),
        // Poisoning is advisory: `into_inner` gives the guard, and the data, anyway.
        Err(poison) => (true, poison.into_inner().clone()),
    };
    Ok(PanicOutcome {
        join_error,
        poisoned,
        lock_refused,
        recovered,
    })
}

/// A panic payload is a `Box<dyn Any>`: `panic!("literal")` carries a `&str`,
/// `panic!("{x}")` a `String`.
pub fn payload_text(payload: &(dyn Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "<a payload that is not text>".to_owned()
    }
}
// ANCHOR_END: panic

// ANCHOR: no_core_dumps
/// Turns off core dumps for this process, so that a crash leaves no `core` file behind.
/// A zero `RLIMIT_CORE` stops a dump to a file; it does not stop a dump to a pipe
/// (`core_pattern` starting with `|`, as with systemd-coredump or apport; core(5)).
/// A process that is not "dumpable" is never dumped at all (prctl(2), `PR_SET_DUMPABLE`).
/// Both are plain system calls, safe to make in a freshly forked child.
pub fn no_core_dumps() -> nix::Result<()> {
    setrlimit(Resource::RLIMIT_CORE, 0, 0)?;
    prctl::set_dumpable(false)
}
// ANCHOR_END: no_core_dumps

// ANCHOR: crash
/// Crashes the calling thread. Returns only if the crash was somehow survived.
pub fn crash(how: Crash) {
    match how {
        Crash::Panic => panic!("the crasher panicked"),
        Crash::Segv => {
            // The Rust runtime installs a SIGSEGV handler to report stack overflows. For a
            // signal that is not a fault on a stack's guard page, it restores the default
            // action and returns, expecting the faulting instruction to fault again. A
            // raised signal does not repeat, so the first one would be swallowed: restore
            // the default action ourselves.
            // SAFETY: installing SIG_DFL runs none of our code in signal context.
            let _ = unsafe { signal(Signal::SIGSEGV, SigHandler::SigDfl) };
            // raise(3) sends the signal to the calling thread; its default action ends
            // the whole process (signal(7)). This is what a bad pointer does, without the
            // undefined behaviour of actually dereferencing one.
            let _ = raise(Signal::SIGSEGV);
        }
        // abort(3) raises SIGABRT, whose default action also ends the whole process.
        Crash::Abort => std::process::abort(),
    }
}
// ANCHOR_END: crash

/// The exit status of a process whose `main` panicked: std's `lang_start_internal` runs
/// `main` under `catch_unwind` and returns 101 if it unwound (library/std/src/rt.rs).
pub const MAIN_PANIC_STATUS: i32 = 101;

/// The line the witness thread prints once its wait is over. It can appear only if the
/// witness outlived the crash.
pub const WITNESS_MARKER: &str = "witness: still alive after the crash";

// ANCHOR: thread_crash_main
/// The re-executed child's `main`: a witness thread starts, then a crasher thread crashes.
/// The witness, once running, lets the crasher go, waits `witness_wait` and then prints
/// [`WITNESS_MARKER`]: if the crash ended only the crasher, the marker appears. (With a wait
/// too short for the crash to land first, it can appear anyway; the report then says so.)
pub fn thread_crash_main(how: Crash, witness_wait: Duration) -> anyhow::Result<()> {
    no_core_dumps().context("could not turn off core dumps")?;
    let (witness, crash_now) = start_witness(witness_wait)?;
    let crasher = thread::Builder::new()
        .name("crasher".into())
        .spawn(move || {
            let _ = crash_now.recv(); // the witness is running: crash now
            println!("crasher: about to {}", how.describe());
            crash(how);
            println!("crasher: survived its own crash");
        })?;
    let panicked = crasher.join().is_err();
    println!("main: joined the crasher, panicked = {panicked}");
    let _ = witness.join();
    println!("main: returning normally");
    Ok(())
}
// ANCHOR_END: thread_crash_main

// ANCHOR: main_crash_main
/// The re-executed child's `main` when the main thread itself crashes: a witness thread
/// starts, then `main` crashes. A panic unwinds out of `main` into the Rust runtime, which
/// exits with [`MAIN_PANIC_STATUS`]; a fatal signal kills the process. Either way the witness
/// goes with it and never prints [`WITNESS_MARKER`].
pub fn main_crash_main(how: Crash, witness_wait: Duration) -> anyhow::Result<()> {
    no_core_dumps().context("could not turn off core dumps")?;
    let (_witness, running) = start_witness(witness_wait)?;
    let _ = running.recv(); // the witness is running: crash now
    println!("main: about to {}", how.describe());
    crash(how);
    println!("main: survived its own crash");
    Ok(())
}
// ANCHOR_END: main_crash_main

// ANCHOR: witness
/// Starts the witness thread: it says it is running, signals the returned receiver, waits
/// `witness_wait` and prints [`WITNESS_MARKER`], which can appear only if the witness outlived
/// whatever crashed meanwhile.
fn start_witness(witness_wait: Duration) -> anyhow::Result<(JoinHandle<()>, Receiver<()>)> {
    let (witness_ready, running) = mpsc::channel();
    let witness = thread::Builder::new()
        .name("witness".into())
        .spawn(move || {
            println!("witness: running");
            let _ = witness_ready.send(());
            thread::sleep(witness_wait);
            println!("{WITNESS_MARKER}");
        })?;
    Ok((witness, running))
}
// ANCHOR_END: witness

/// What the parent saw of a child process in which one thread crashed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadCrash {
    pub how: Crash,
    /// Whether the thread that crashed was the main thread ([`main_crash_main`]) rather
    /// than a spawned one ([`thread_crash_main`]).
    pub in_main: bool,
    pub pid: Pid,
    /// The exact status `waitpid` returned for the child.
    pub status: WaitStatus,
    /// Every line the child printed on stdout, in order.
    pub lines: Vec<String>,
    /// The first non-empty line the child printed on stderr (the panic message, if any).
    pub stderr_first_line: Option<String>,
}

impl ThreadCrash {
    /// Whether the witness was running before the crash.
    pub fn witness_started(&self) -> bool {
        self.lines.iter().any(|l| l == "witness: running")
    }

    /// Whether the witness printed its marker, that is, outlived the crash.
    pub fn witness_survived(&self) -> bool {
        self.lines.iter().any(|l| l == WITNESS_MARKER)
    }
}

// ANCHOR: crash_in_thread
/// Runs [`thread_crash_main`] in a fresh process (`exe --crash-in-thread HOW`), reads what
/// it printed, and collects its exact wait status.
pub fn crash_in_thread(
    exe: &Path,
    how: Crash,
    witness_wait: Duration,
) -> anyhow::Result<ThreadCrash> {
    run_crashing_child(exe, false, how, witness_wait)
}

/// Runs [`main_crash_main`] in a fresh process (`exe --crash-in-main HOW`), the same way.
pub fn crash_in_main(
    exe: &Path,
    how: Crash,
    witness_wait: Duration,
) -> anyhow::Result<ThreadCrash> {
    run_crashing_child(exe, true, how, witness_wait)
}

fn run_crashing_child(
    exe: &Path,
    in_main: bool,
    how: Crash,
    witness_wait: Duration,
) -> anyhow::Result<ThreadCrash> {
    let flag = if in_main {
        "--crash-in-main"
    } else {
        "--crash-in-thread"
    };
    let mut children = Children::new(); // kills and reaps the child if we fail below
    let mut child = Command::new(exe)
        .args([flag, how.name()])
        .args(["--witness-ms", &witness_wait.as_millis().to_string()])
        .env("RUST_BACKTRACE", "0") // keep the panic message to a few lines
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("could not run {}", exe.display()))?;
    let pid = Pid::from_raw(child.id() as i32);
    children.adopt(pid);

    // The pipes reach end-of-file when the last thread of the child is gone.
    let (mut stdout, mut stderr) = (String::new(), String::new());
    child
        .stdout
        .take()
        .context("no stdout")?
        .read_to_string(&mut stdout)?;
    child
        .stderr
        .take()
        .context("no stderr")?
        .read_to_string(&mut stderr)?;
    // waitpid(2), not `Child::wait`: we want the exact status, signal included.
    let status = children.wait(pid)?;
    Ok(ThreadCrash {
        how,
        in_main,
        pid,
        status,
        lines: stdout.lines().map(str::to_owned).collect(),
        stderr_first_line: stderr
            .lines()
            .find(|line| !line.trim().is_empty())
            .map(str::to_owned),
    })
}
// ANCHOR_END: crash_in_thread

/// What the parent saw of a single-threaded child process that crashed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessCrash {
    pub how: Crash,
    pub pid: Pid,
    /// The exact status `waitpid` returned for the child.
    pub status: WaitStatus,
}

// ANCHOR: crash_child
/// Forks a child that crashes at once, and waits for it. The parent learns how the child
/// ended from `waitpid`, and that is all that happens to the parent.
pub fn crash_child_process(how: Crash) -> anyhow::Result<ProcessCrash> {
    if how == Crash::Panic {
        bail!(
            "a forked child must not panic: unwinding allocates, which is not allowed after fork"
        );
    }
    let mut children = Children::new();
    // SAFETY: the child makes only system calls (setrlimit, prctl, signal, raise) or calls
    // abort(3), which are async-signal-safe (signal-safety(7)), and dies in one of them.
    let pid = unsafe {
        children.spawn(|| {
            let _ = no_core_dumps();
            crash(how);
            1 // reached only if the crash was survived
        })
    }?;
    let status = children.wait(pid)?;
    Ok(ProcessCrash { how, pid, status })
}
// ANCHOR_END: crash_child

/// Describes a wait status in words: `exited with status 0`, `killed by SIGSEGV`.
pub fn describe_status(status: &WaitStatus) -> String {
    match status {
        WaitStatus::Exited(_, code) => format!("exited with status {code}"),
        WaitStatus::Signaled(_, signal, core) => {
            let core = if *core { " (core dumped)" } else { "" };
            format!("killed by {}{core}", signal.as_str())
        }
        other => format!("{other:?}"),
    }
}

/// The signal number a status reports, or 0 for a normal exit (for the JSON records).
pub fn signal_number(status: &WaitStatus) -> i32 {
    match status {
        WaitStatus::Signaled(_, signal, _) => *signal as i32,
        _ => 0,
    }
}

/// Core files in `dir` (`core` or `core.PID`, the names core(5) describes).
pub fn core_files_in(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|name| name == "core" || name.starts_with("core."))
        .collect()
}
