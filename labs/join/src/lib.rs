//! Mistake 2: work that nobody waits for.
//!
//! A thread that is not joined is cut off when `main` returns: the whole process exits, and
//! the thread with it. A child process that is not waited for is the opposite problem: it has
//! finished, but its entry stays in the process table as a zombie until its parent reaps it.
//!
//! The thread demos run in a child process (the lab re-executes itself with a hidden flag),
//! so that the parent can watch a `main` return and count the lines that never appeared.

// The whole lab is Linux's (clone, /proc, prctl); off Linux, main.rs says so in one line.
#![cfg(target_os = "linux")]

use anyhow::{Context, bail};
use kit::Children;
use kit::procfs::stat_of;
use nix::sys::wait::WaitStatus;
use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};

pub mod report;

/// How the demo's `main` ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Ending {
    /// Return without joining: the mistake.
    Unjoined,
    /// Keep every `JoinHandle` and join it.
    Joined,
    /// Spawn inside `std::thread::scope`, which joins for you.
    Scoped,
}

impl Ending {
    pub const ALL: [Ending; 3] = [Ending::Unjoined, Ending::Joined, Ending::Scoped];

    /// The value of the hidden `--demo` flag, and the name in the report.
    pub fn name(self) -> &'static str {
        match self {
            Ending::Unjoined => "unjoined",
            Ending::Joined => "joined",
            Ending::Scoped => "scoped",
        }
    }
}

// ANCHOR: worker
/// One worker: some work (here a sleep), then its result (here a line on stdout).
fn worker(id: usize, work: Duration) {
    thread::sleep(work);
    println!("worker {id}: done");
}
// ANCHOR_END: worker

// ANCHOR: unjoined
/// The mistake: spawn and return. Dropping a `JoinHandle` detaches its thread (the
/// `std::thread::JoinHandle` docs), and when `main` returns the process exits, taking every
/// running thread with it, mid-work.
pub fn spawn_and_return(workers: usize, work: Duration) {
    for id in 0..workers {
        thread::spawn(move || worker(id, work));
    }
    println!("main: returning without joining");
}
// ANCHOR_END: unjoined

// ANCHOR: joined
/// The fix: keep the handles and join each one before returning.
pub fn spawn_and_join(workers: usize, work: Duration) {
    let handles: Vec<_> = (0..workers)
        .map(|id| thread::spawn(move || worker(id, work)))
        .collect();
    for handle in handles {
        // `join` waits for the thread to finish; `Err` only if the thread panicked.
        handle.join().expect("a worker panicked");
    }
    println!("main: every worker joined");
}
// ANCHOR_END: joined

// ANCHOR: scoped
/// The fix that cannot be forgotten: a scope joins every thread spawned in it before
/// `scope` returns (the `std::thread::scope` docs).
pub fn spawn_scoped(workers: usize, work: Duration) {
    thread::scope(|scope| {
        for id in 0..workers {
            scope.spawn(move || worker(id, work));
        }
    });
    println!("main: the scope joined every worker");
}
// ANCHOR_END: scoped

/// The body of the re-executed child: what its `main` runs before returning.
pub fn demo_main(ending: Ending, workers: usize, work: Duration) {
    println!("main: spawning {workers} workers");
    match ending {
        Ending::Unjoined => spawn_and_return(workers, work),
        Ending::Joined => spawn_and_join(workers, work),
        Ending::Scoped => spawn_scoped(workers, work),
    }
}

/// What the parent saw of one demo run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoRun {
    pub ending: Ending,
    pub workers: usize,
    /// Every line the child printed, in order.
    pub lines: Vec<String>,
    /// The workers whose "done" line appeared.
    pub finished: Vec<usize>,
    /// The workers whose "done" line never appeared.
    pub missing: Vec<usize>,
}

// ANCHOR: run_demo
/// Runs the demo in a fresh process (`exe --demo ENDING …`) and collects its stdout.
/// `Command::output` waits for the child, so it is reaped before this returns.
pub fn run_demo(
    exe: &Path,
    ending: Ending,
    workers: usize,
    work: Duration,
) -> anyhow::Result<DemoRun> {
    // kit::command: Command::new, plus PR_SET_PDEATHSIG so the demo dies with the lab.
    let output = kit::command::command(exe)
        .args(["--demo", ending.name()])
        .args(["--workers", &workers.to_string()])
        .args(["--work-ms", &work.as_millis().to_string()])
        .output()
        .with_context(|| format!("could not run {}", exe.display()))?;
    if !output.status.success() {
        bail!("the {} demo failed: {}", ending.name(), output.status);
    }
    let lines: Vec<String> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_owned)
        .collect();
    let (finished, missing) =
        (0..workers).partition(|id| lines.contains(&format!("worker {id}: done")));
    Ok(DemoRun {
        ending,
        workers,
        lines,
        finished,
        missing,
    })
}
// ANCHOR_END: run_demo

/// What happened to the child that was not waited for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZombieRun {
    pub pid: i32,
    /// The state letter in `/proc/PID/stat` after the child exited and before the wait.
    pub state_before_wait: char,
    /// The exit status `waitpid` returned.
    pub status: WaitStatus,
    /// Whether `/proc/PID` still existed after `waitpid`.
    pub proc_entry_after_wait: bool,
}

/// How long to wait for the child to exit; it has nothing to do, so this is generous.
const ZOMBIE_TIMEOUT: Duration = Duration::from_secs(10);

// ANCHOR: zombie
/// Forks a child that exits at once, leaves it unwaited-for until `/proc/PID/stat` shows it in
/// state `Z` (zombie), and `hold` longer, then reaps it with `waitpid` and checks that its
/// process-table entry, and so `/proc/PID`, is gone.
pub fn zombie_then_reap(hold: Duration) -> anyhow::Result<ZombieRun> {
    let mut children = Children::new();
    // SAFETY: the child only returns a constant; nothing but `_exit` runs after the fork.
    let pid = unsafe { children.spawn(|| 0) }?;

    // The child exits at once, but nobody has waited for it yet: it becomes a zombie.
    let state_before_wait = wait_for_state(pid.as_raw(), 'Z', ZOMBIE_TIMEOUT)?;
    if !hold.is_zero() {
        eprintln!("pid {pid} is a zombie for {hold:?} more: try `ps -o pid,stat,comm -p {pid}`");
        thread::sleep(hold); // it stays a zombie for as long as nobody waits
    }

    // waitpid(2) collects the exit status and frees the process-table entry.
    let status = children.wait(pid)?;
    let proc_entry_after_wait = Path::new(&format!("/proc/{pid}")).exists();
    Ok(ZombieRun {
        pid: pid.as_raw(),
        state_before_wait,
        status,
        proc_entry_after_wait,
    })
}
// ANCHOR_END: zombie

/// Polls `/proc/PID/stat` until the process is in `state`, or fails after `timeout`.
fn wait_for_state(pid: i32, state: char, timeout: Duration) -> anyhow::Result<char> {
    let start = Instant::now();
    loop {
        let now = stat_of(pid).with_context(|| format!("/proc/{pid}/stat vanished"))?;
        if now.state == state {
            return Ok(now.state);
        }
        if start.elapsed() > timeout {
            bail!(
                "process {pid} stayed in state {} (wanted {state})",
                now.state
            );
        }
        thread::sleep(Duration::from_millis(1));
    }
}
