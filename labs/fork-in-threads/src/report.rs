//! How the lab talks: the three demos, their `--json` records and readable reports (see
//! `kit::lab`). What the book shows is in `lib.rs`.

use crate::{
    ALLOCATING_THREADS, ALLOCATOR_FORKS, AllocatorRun, CONTRAST_LIMIT, ForkRun, VFORK_ADVANCE,
    VFORK_DEADLINE_PASSED, VFORK_SAW_PROGRESS, VforkRun, fork_and_lock, fork_while_allocating,
    spawn_and_lock, vfork_while_counting,
};
use clap::ValueEnum;
use kit::lab::{Outcome, Progress, write_heading};
use kit::table::Table;
use kit::{Machine, Noun, Record, Report, Unit};
use nix::sys::wait::WaitStatus;
use std::fmt::Write;
use std::time::Duration;

/// The demos `--demo` chooses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Demo {
    Lock,
    Allocator,
    Vfork,
}

/// What one demo saw.
pub enum DemoRun {
    /// The lock held at the fork, the lock free, and a program started with `Command`
    /// (`NAMES` order).
    Lock {
        timeout_ms: u64,
        runs: [ForkRun; 3],
    },
    Allocator(AllocatorRun),
    Vfork {
        run: VforkRun,
        saw_progress: bool,
    },
}

/// Runs `demo`; the child forked while the lock is held gets `timeout_ms` to take it.
pub fn run(demo: Demo, timeout_ms: u64, progress: &Progress) -> anyhow::Result<DemoRun> {
    Ok(match demo {
        Demo::Lock => {
            let exe = std::env::current_exe()?;
            progress.show(format_args!(
                "forking while the lock is held; the child gets {timeout_ms} ms"
            ));
            let runs = [
                fork_and_lock(true, Duration::from_millis(timeout_ms))?,
                fork_and_lock(false, CONTRAST_LIMIT)?,
                spawn_and_lock(&exe)?,
            ];
            DemoRun::Lock { timeout_ms, runs }
        }
        Demo::Allocator => DemoRun::Allocator(fork_while_allocating(CONTRAST_LIMIT)?),
        Demo::Vfork => {
            let run = vfork_while_counting(CONTRAST_LIMIT)?;
            let saw_progress = run.status == WaitStatus::Exited(run.pid, VFORK_SAW_PROGRESS);
            DemoRun::Vfork { run, saw_progress }
        }
    })
}

impl Outcome for DemoRun {
    fn report(&self) -> Report {
        match self {
            DemoRun::Lock { runs, .. } => lock_report(runs),
            DemoRun::Allocator(run) => {
                let mut report = Report::new("fork-in-threads");
                report.push(Record::count(
                    "fork-in-threads/allocator/forks",
                    "children forked while other threads allocated and freed in a tight loop",
                    Unit::Count(Noun::Processes),
                    run.forks as f64,
                ));
                report.push(Record::count(
                    "fork-in-threads/allocator/exited-0",
                    "of those, children that allocated, freed and exited 0",
                    Unit::Count(Noun::Processes),
                    run.exited_0 as f64,
                ));
                report.push(Record::flag(
                    "fork-in-threads/allocator/hung",
                    "children still running at the deadline, killed (1 = yes)",
                    run.failure.as_ref().is_some_and(|f| f.hung),
                ));
                report
            }
            DemoRun::Vfork { run, saw_progress } => {
                let saw_progress = *saw_progress;
                let mut report = Report::new("fork-in-threads");
                report.push(Record::flag(
                    "fork-in-threads/vfork/saw-progress",
                    "the CLONE_VFORK child saw the parent's other thread count (1 = yes)",
                    saw_progress,
                ));
                report.push(Record::flag(
                    "fork-in-threads/vfork/suspended-caller",
                    "the child had finished before clone returned to the calling thread (1 = yes)",
                    run.verdict_before_clone_returned,
                ));
                report
            }
        }
    }

    fn render(&self, machine: &Machine) -> String {
        match self {
            DemoRun::Lock { timeout_ms, runs } => render_lock(*timeout_ms, runs, machine),
            DemoRun::Allocator(run) => render_allocator(run, machine),
            DemoRun::Vfork { run, saw_progress } => render_vfork(run, *saw_progress, machine),
        }
    }

    fn check(&self) -> anyhow::Result<()> {
        match self {
            DemoRun::Allocator(run) if run.failure.is_some() => {
                anyhow::bail!("a child forked while other threads allocated did not exit 0")
            }
            DemoRun::Vfork {
                saw_progress: false,
                ..
            } => {
                anyhow::bail!("the CLONE_VFORK child did not see the counter move")
            }
            _ => Ok(()),
        }
    }
}

/// The scenario names used in the record ids, in the order of `runs`.
const NAMES: [&str; 3] = ["fork-lock-held", "fork-lock-free", "fork-exec-lock-held"];

fn lock_report(runs: &[ForkRun]) -> Report {
    let mut report = Report::new("fork-in-threads");
    for (name, run) in NAMES.iter().zip(runs) {
        report.push(Record::flag(
            format!("fork-in-threads/{name}/took-lock"),
            format!("the child took the lock ({name}; 1 = yes)"),
            run.took_lock,
        ));
        report.push(Record::flag(
            format!("fork-in-threads/{name}/hung"),
            format!(
                "the child was still waiting at the time limit and was killed ({name}; 1 = yes)"
            ),
            run.hung,
        ));
    }
    report.push(Record::flag(
        "fork-in-threads/fork-lock-held/reached-lock",
        "the hung child had reached the lock (its byte arrived; 1 = yes)",
        runs[0].reached_lock,
    ));
    report
}

fn yes_no(value: bool) -> &'static str {
    if value { "yes" } else { "no" }
}

fn outcome(run: &ForkRun) -> String {
    match run.status {
        WaitStatus::Exited(_, code) => format!("exited {code}"),
        WaitStatus::Signaled(_, signal, _) if run.hung => format!("hung, killed by {signal}"),
        WaitStatus::Signaled(_, signal, _) => format!("killed by {signal}"),
        other => format!("{other:?}"),
    }
}

fn render_lock(timeout_ms: u64, runs: &[ForkRun], machine: &Machine) -> String {
    let mut out = String::new();
    write_heading(
        &mut out,
        "fork-in-threads: fork while another thread holds a lock",
        machine,
    );
    let _ = writeln!(
        out,
        "A helper thread takes GLOBAL (a std Mutex) and holds it while main starts a child;\n\
         the child then takes GLOBAL too. A forked child still waiting after {} ms is declared\n\
         hung, killed with SIGKILL and reaped.\n",
        timeout_ms
    );
    let mut table = Table::new([
        "child started by",
        "lock held then",
        "reached lock",
        "took lock",
        "outcome",
    ]);
    for run in runs {
        table.row([
            if run.exec {
                "Command (exec at once)"
            } else {
                "fork"
            }
            .to_owned(),
            yes_no(run.held_at_fork).to_owned(),
            if run.exec {
                "-".to_owned()
            } else {
                yes_no(run.reached_lock).to_owned()
            },
            yes_no(run.took_lock).to_owned(),
            outcome(run),
        ]);
    }
    let _ = write!(out, "{table}");
    let _ = writeln!(out);
    for run in runs {
        let _ = writeln!(out, "  pid {}: waitpid returned {:?}", run.pid, run.status);
    }

    let held = &runs[0];
    let _ = writeln!(out);
    if held.hung {
        let state = held
            .hung_state
            .map_or("unknown".to_owned(), |s| s.to_string());
        let wchan = held.hung_wchan.as_deref().unwrap_or("(not readable)");
        let _ = writeln!(
            out,
            "What to observe: the child forked while the lock was held reached the lock (its byte\n\
             arrived) and then waited in state {state}, in the kernel's {wchan}, until it was killed:\n\
             the child hung on a lock that no thread in it will ever release."
        );
    } else {
        let _ = writeln!(
            out,
            "What to observe: this time the child forked while the lock was held did not hang ({}).",
            outcome(held)
        );
    }
    let _ = writeln!(
        out,
        "With the lock free at the fork, the child {}. Started with Command while the parent's",
        outcome(&runs[1])
    );
    let _ = writeln!(
        out,
        "lock was still held, the new program {}: exec gave it fresh memory, with a fresh lock.",
        outcome(&runs[2])
    );
    out
}

fn render_allocator(run: &AllocatorRun, machine: &Machine) -> String {
    let mut out = String::new();
    write_heading(
        &mut out,
        "fork-in-threads: fork while other threads allocate (--demo allocator)",
        machine,
    );
    let _ = writeln!(
        out,
        "C library: {}",
        if cfg!(target_env = "gnu") {
            "glibc"
        } else {
            "not glibc: what this demo shows is glibc's behaviour"
        }
    );
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "{ALLOCATING_THREADS} threads allocate and free in a tight loop while main forks \
         {ALLOCATOR_FORKS} children,"
    );
    let _ = writeln!(
        out,
        "one after another. Each child allocates a Vec and a String, frees a block that\n\
         one of those threads allocated, and exits 0 with _exit. A child that has not\n\
         exited {} s after its fork is killed with SIGKILL and reaped.\n\n\
         These children call malloc after fork in a multithreaded process. POSIX does not\n\
         allow that (malloc is not async-signal-safe); they do it to show what glibc does,\n\
         not as a pattern to copy.\n",
        CONTRAST_LIMIT.as_secs()
    );
    let mut table = Table::new(["children forked", "exited 0", "hung and killed"]);
    table.row([
        run.forks.to_string(),
        run.exited_0.to_string(),
        usize::from(run.failure.as_ref().is_some_and(|f| f.hung)).to_string(),
    ]);
    let _ = write!(out, "{table}");
    let _ = writeln!(
        out,
        "Meanwhile the other threads made {} allocations (each freed at once).\n",
        run.allocations_meanwhile
    );
    match &run.failure {
        None => {
            let _ = writeln!(
                out,
                "What to observe: no child hung in malloc or free. glibc's fork takes every\n\
                 malloc arena lock before the clone (__malloc_fork_lock_parent) and\n\
                 re-initialises them in the child (__malloc_fork_unlock_child), so the child\n\
                 never inherits an allocator lock held by a thread it does not have. A lock\n\
                 nobody prepared for fork, a std Mutex as in --demo lock, does hang it."
            );
        }
        Some(failure) => {
            let _ = writeln!(
                out,
                "What to observe: fork {} (pid {}) did not finish: waitpid returned {:?}.",
                failure.index, failure.pid, failure.status
            );
        }
    }
    out
}

fn render_vfork(run: &VforkRun, saw_progress: bool, machine: &Machine) -> String {
    let mut out = String::new();
    write_heading(
        &mut out,
        "fork-in-threads: CLONE_VFORK suspends only the calling thread (--demo vfork)",
        machine,
    );
    let _ = writeln!(
        out,
        "A counting thread increments a counter in a tight loop. The main thread creates a\n\
         child with clone(CLONE_VM | CLONE_VFORK), as glibc's posix_spawn does. The child\n\
         shares the parent's memory; it only loads the counter and reads the clock until\n\
         the counter has moved by {VFORK_ADVANCE} (exit {VFORK_SAW_PROGRESS}) or {} s have passed (exit {VFORK_DEADLINE_PASSED}).\n",
        CONTRAST_LIMIT.as_secs()
    );
    let mut table = Table::new([
        "counter when the child started",
        "when it stopped",
        "outcome",
    ]);
    let outcome = match run.status {
        WaitStatus::Exited(_, VFORK_SAW_PROGRESS) => "saw progress, exited 0".to_owned(),
        WaitStatus::Exited(_, VFORK_DEADLINE_PASSED) => "deadline passed".to_owned(),
        other => format!("{other:?}"),
    };
    table.row([
        run.counter_at_child_start.to_string(),
        run.counter_at_child_end.to_string(),
        outcome,
    ]);
    let _ = write!(out, "{table}");
    let _ = writeln!(out);
    let _ = writeln!(out, "  pid {}: waitpid returned {:?}", run.pid, run.status);
    let _ = writeln!(
        out,
        "  the child had stored its verdict before clone returned: {}",
        yes_no(run.verdict_before_clone_returned)
    );
    let _ = writeln!(
        out,
        "  the main thread's state while the child ran (seen by the counting thread): {}",
        run.caller_state
            .map_or("not read".to_owned(), |s| s.to_string())
    );
    let _ = writeln!(out);
    if saw_progress {
        let _ = writeln!(
            out,
            "What to observe: the counter kept moving while the child ran, so the parent was\n\
             not suspended as a whole: only the thread that called clone was, and it ran\n\
             again only after the child had exited."
        );
        if run.caller_state == Some('D') {
            let _ = writeln!(
                out,
                "State D is the kernel's wait_for_vfork_done: a killable, uninterruptible sleep."
            );
        }
        let _ = writeln!(
            out,
            "The other threads run on in the memory the child borrows: that is why a vfork\n\
             child must not touch shared state, and why posix_spawn blocks all signals in it."
        );
    } else {
        let _ = writeln!(
            out,
            "What to observe: this time the child did not see the counter move ({:?}).",
            run.status
        );
    }
    out
}
