//! Creation: a task, a thread and a process, each created, run to its end and waited for,
//! each kind timed in a fresh copy of the lab (see the crate docs for why).
//!
//! Every round's body counts itself (an atomic counter for the task and the thread, the
//! child's exit status for the process), and a copy fails unless every round ran: a round
//! that was timed but did nothing would be a cheap lie.

use anyhow::{Context, ensure};
use clap::ValueEnum;
use kit::{Children, Summary};
use nix::sys::wait::WaitStatus;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Rounds run before the recorded ones, so that the first thread stack, the runtime's first
/// task allocation or the first fork's page faults are not counted as creation.
pub const WARM_UP_ROUNDS: usize = 20;

/// The ways of running something that this lab compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Kind {
    Task,
    Thread,
    Process,
}

impl Kind {
    pub const ALL: [Kind; 3] = [Kind::Task, Kind::Thread, Kind::Process];

    /// The kind's name on the command line and in record ids.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Task => "task",
            Kind::Thread => "thread",
            Kind::Process => "process",
        }
    }

    /// What one round does, in words.
    pub fn how(self) -> &'static str {
        match self {
            Kind::Task => "tokio::spawn + .await, from a task on a multi-thread runtime",
            Kind::Thread => "thread::spawn + join",
            Kind::Process => "fork, child _exit(0), waitpid",
        }
    }

    /// The record id, e.g. `async-tasks/create/task`.
    pub fn id(self) -> String {
        format!("async-tasks/create/{}", self.name())
    }
}

/// One kind's rounds: the time of each recorded round, and how many bodies ran (warm-up
/// included), which must be every round.
#[derive(Debug, Clone, PartialEq)]
pub struct Created {
    pub samples: Vec<Duration>,
    pub ran: usize,
}

// ANCHOR: task
/// Spawns a task that only counts itself and awaits its end. Called from inside a task, where
/// async code spawns: the new task goes to this worker's LIFO slot, the task it runs next
/// (`schedule_local` in tokio's `runtime/scheduler/multi_thread/worker.rs`), and the `.await`
/// returns `Pending` until the task has run and its `JoinHandle` is woken.
pub async fn spawn_task_once(ran: &Arc<AtomicUsize>) {
    let ran = Arc::clone(ran);
    let handle = tokio::spawn(async move {
        ran.fetch_add(1, Ordering::Relaxed);
    });
    handle.await.expect("a task that only counts cannot panic");
}

/// `rounds` recorded rounds of [`spawn_task_once`] after the warm-up, timed inside one task
/// on a multi-thread runtime with the default number of workers (one per core).
pub fn measure_tasks(rounds: usize) -> anyhow::Result<Created> {
    let runtime = tokio::runtime::Builder::new_multi_thread().build()?;
    let ran = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&ran);
    let samples = runtime.block_on(runtime.spawn(async move {
        for _ in 0..WARM_UP_ROUNDS {
            spawn_task_once(&counter).await;
        }
        let mut samples = Vec::with_capacity(rounds);
        for _ in 0..rounds {
            let start = Instant::now();
            spawn_task_once(&counter).await;
            samples.push(start.elapsed());
        }
        samples
    }))?;
    let ran = ran.load(Ordering::Relaxed);
    Ok(Created { samples, ran })
}
// ANCHOR_END: task

// ANCHOR: thread
/// Starts a thread that only counts itself and joins it.
pub fn spawn_thread_once(ran: &Arc<AtomicUsize>) {
    let ran = Arc::clone(ran);
    let handle = std::thread::spawn(move || {
        ran.fetch_add(1, Ordering::Relaxed);
    });
    handle
        .join()
        .expect("a thread that only counts cannot panic");
}
// ANCHOR_END: thread

// ANCHOR: process
/// Forks a child that exits at once with status 0, waits for exactly that child, and counts
/// it if it did exit with 0.
pub fn fork_once(children: &mut Children, ran: &AtomicUsize) -> anyhow::Result<()> {
    // SAFETY: the child only returns a number, which kit passes to `_exit`.
    let pid = unsafe { children.spawn(|| 0) }?;
    let status = children.wait(pid)?;
    ensure!(
        status == WaitStatus::Exited(pid, 0),
        "child {pid} ended with {status:?}"
    );
    ran.fetch_add(1, Ordering::Relaxed);
    Ok(())
}
// ANCHOR_END: process

/// Measures `kind` in this process: `rounds` recorded rounds after the warm-up.
pub fn measure(kind: Kind, rounds: usize) -> anyhow::Result<Created> {
    let ran = Arc::new(AtomicUsize::new(0));
    let samples = match kind {
        Kind::Task => return measure_tasks(rounds),
        Kind::Thread => kit::lab::time_rounds(WARM_UP_ROUNDS, rounds, || {
            spawn_thread_once(&ran);
            Ok(())
        })?,
        Kind::Process => {
            let mut children = Children::new();
            kit::lab::time_rounds(WARM_UP_ROUNDS, rounds, || fork_once(&mut children, &ran))?
        }
    };
    let ran = ran.load(Ordering::Relaxed);
    Ok(Created { samples, ran })
}

/// The measuring copy's whole job: measure one kind, check that every round ran, and
/// describe the samples as JSON.
pub fn measure_only(kind: Kind, rounds: usize) -> anyhow::Result<String> {
    let created = measure(kind, rounds)?;
    ensure!(
        created.ran == rounds + WARM_UP_ROUNDS,
        "{}: {} of {} rounds ran",
        kind.name(),
        created.ran,
        rounds + WARM_UP_ROUNDS
    );
    let summary = Summary::of_durations(&created.samples).context("no samples")?;
    Ok(serde_json::to_string(&summary)?)
}

// ANCHOR: fresh_process
/// Measures `kind` in a fresh copy of the lab (`EXE --measure-only KIND`) and returns the
/// summary it prints. Each kind starts from the same state, a just-started lab: the process
/// kind forks from a process with one thread, and only the task kind's copy has a runtime.
pub fn measure_in_fresh_process(exe: &Path, kind: Kind, rounds: usize) -> anyhow::Result<Summary> {
    // kit's `command` makes the copy die with the lab (PR_SET_PDEATHSIG).
    let mut copy = kit::command::command(exe);
    copy.args(["--measure-only", kind.name()])
        .args(["--rounds", &rounds.to_string()]);
    kit::command::read_json(&mut copy, kind.name())
}
// ANCHOR_END: fresh_process
