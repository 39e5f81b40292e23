//! How the lab talks: the run (four sections), the `--json` records and the readable report
//! (see `kit::lab`). What the book shows is in `lib.rs`.

use crate::{
    Crash, MAIN_PANIC_STATUS, PanicOutcome, ProcessCrash, ThreadCrash, core_files_in,
    crash_child_process, crash_in_main, crash_in_thread, describe_status, panic_in_thread,
    signal_number,
};
use kit::lab::{Outcome, Progress, write_heading};
use kit::table::Table;
use kit::{Machine, Noun, Record, Report, Unit};
use nix::sys::wait::WaitStatus;
use std::fmt::Write;
use std::time::Duration;

/// What the lab saw, section by section.
pub struct Results {
    pub witness_ms: u64,
    pub panic: PanicOutcome,
    pub threads: Vec<ThreadCrash>,
    pub processes: Vec<ProcessCrash>,
    pub mains: Vec<ThreadCrash>,
    pub core_files: Vec<String>,
}

/// The whole lab: a panic here, crashes in a thread of a child (the lab re-executed), in
/// single-threaded children, and in a child's main thread; the witness waits `witness_wait`.
pub fn run(witness_wait: Duration, progress: &Progress) -> anyhow::Result<Results> {
    let exe = std::env::current_exe()?;
    progress.show("a panic in a thread of this process");
    let panic = panic_in_thread()?;
    progress.show("a crash in a thread of a child");
    let threads = Crash::ALL
        .iter()
        .map(|&how| crash_in_thread(&exe, how, witness_wait))
        .collect::<anyhow::Result<Vec<_>>>()?;
    progress.show("a crash in a single-threaded child");
    let processes = [Crash::Segv, Crash::Abort]
        .iter()
        .map(|&how| crash_child_process(how))
        .collect::<anyhow::Result<Vec<_>>>()?;
    progress.show("a crash in the main thread of a child");
    let mains = Crash::ALL
        .iter()
        .map(|&how| crash_in_main(&exe, how, witness_wait))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let core_files = core_files_in(&std::env::current_dir()?);
    Ok(Results {
        witness_ms: witness_wait.as_millis() as u64,
        panic,
        threads,
        processes,
        mains,
        core_files,
    })
}

impl Outcome for Results {
    fn report(&self) -> Report {
        report_of(self)
    }

    fn render(&self, machine: &Machine) -> String {
        render_text(self, machine)
    }
}

fn report_of(results: &Results) -> Report {
    let mut report = Report::new("crash-isolation");
    let panic = &results.panic;
    report.push(Record::flag(
        "crash-isolation/panic/join-err",
        "join returned Err after the thread panicked (1 = yes)",
        panic.join_error.is_some(),
    ));
    report.push(Record::flag(
        "crash-isolation/panic/mutex-poisoned",
        "the Mutex the thread held is poisoned (1 = yes)",
        panic.poisoned && panic.lock_refused,
    ));
    for run in &results.threads {
        let name = run.how.name();
        report.push(Record::count(
            format!("crash-isolation/thread-{name}/signal"),
            format!(
                "signal that ended the child whose thread did {} (0 = exited normally)",
                run.how.describe()
            ),
            Unit::SignalNumber,
            f64::from(signal_number(&run.status)),
        ));
        report.push(Record::flag(
            format!("crash-isolation/thread-{name}/witness-survived"),
            format!(
                "the witness thread outlived a sibling that did {} (1 = yes)",
                run.how.describe()
            ),
            run.witness_survived(),
        ));
    }
    for run in &results.processes {
        report.push(Record::count(
            format!("crash-isolation/process-{}/signal", run.how.name()),
            format!(
                "signal waitpid reported for a child that did {}",
                run.how.describe()
            ),
            Unit::SignalNumber,
            f64::from(signal_number(&run.status)),
        ));
    }
    for run in &results.mains {
        let name = run.how.name();
        report.push(Record::count(
            format!("crash-isolation/main-{name}/signal"),
            format!(
                "signal that ended the child whose main thread did {} (0 = exited normally)",
                run.how.describe()
            ),
            Unit::SignalNumber,
            f64::from(signal_number(&run.status)),
        ));
        if run.how == Crash::Panic {
            // An outcome, so a flag: the book charts counts, and an exit status is not one.
            report.push(Record::flag(
                "crash-isolation/main-panic/exit-101",
                "the child whose main thread panicked exited normally with status 101 (1 = yes)",
                run.status == WaitStatus::Exited(run.pid, MAIN_PANIC_STATUS),
            ));
        }
        report.push(Record::flag(
            format!("crash-isolation/main-{name}/witness-survived"),
            format!(
                "the witness thread outlived a main thread that did {} (1 = yes)",
                run.how.describe()
            ),
            run.witness_survived(),
        ));
    }
    report.push(Record::count(
        "crash-isolation/core-files",
        "core files left in the current directory",
        Unit::Count(Noun::Files),
        results.core_files.len() as f64,
    ));
    report
}

fn render_text(results: &Results, machine: &Machine) -> String {
    let mut out = String::new();
    write_heading(
        &mut out,
        "crash-isolation: what a crash takes down with it",
        machine,
    );
    let panic = &results.panic;
    let _ = writeln!(
        out,
        "1. In this process, thread 'worker' panics while holding a Mutex."
    );
    let _ = writeln!(
        out,
        "   (The \"thread 'worker' panicked at …\" message on stderr is the default panic hook.)"
    );
    let lines = [
        (
            "worker.join()",
            match &panic.join_error {
                Some(payload) => format!("Err, with the payload {payload:?}"),
                None => "Ok".to_owned(),
            },
        ),
        ("ledger.is_poisoned()", panic.poisoned.to_string()),
        (
            "ledger.lock()",
            if panic.lock_refused {
                "Err(PoisonError)".to_owned()
            } else {
                "Ok".to_owned()
            },
        ),
        (
            "PoisonError::into_inner",
            format!("{:?} (half of the update)", panic.recovered),
        ),
        (
            "this process",
            format!("still running (pid {})", std::process::id()),
        ),
    ];
    for (what, result) in lines {
        let _ = writeln!(out, "   {what:<26} {result}");
    }
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "2. In a child process, thread 'crasher' crashes; thread 'witness' waits {} ms, then prints.",
        results.witness_ms
    );
    let mut table = Table::new(["crasher does", "child pid", "waitpid says", "witness line"]);
    for run in &results.threads {
        table.row([
            run.how.describe().to_owned(),
            run.pid.to_string(),
            describe_status(&run.status),
            if run.witness_survived() {
                "printed".to_owned()
            } else {
                "never printed".to_owned()
            },
        ]);
    }
    let _ = write!(out, "{table}");
    for run in &results.threads {
        let _ = writeln!(out, "   child that did {}, its stdout:", run.how.describe());
        for line in &run.lines {
            let _ = writeln!(out, "     | {line}");
        }
        if let Some(line) = &run.stderr_first_line {
            let _ = writeln!(out, "     its stderr began: {line}");
        }
    }

    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "3. A single-threaded child process crashes; the parent waits for it."
    );
    let mut table = Table::new(["child does", "child pid", "waitpid returned"]);
    for run in &results.processes {
        table.row([
            run.how.describe().to_owned(),
            run.pid.to_string(),
            format!("{:?}", run.status),
        ]);
    }
    let _ = write!(out, "{table}");
    let _ = writeln!(
        out,
        "   The parent (pid {}) carried on. Core files left in the current directory: {}.",
        std::process::id(),
        if results.core_files.is_empty() {
            "none".to_owned()
        } else {
            results.core_files.join(", ")
        }
    );

    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "4. In a child process, the main thread crashes; thread 'witness' waits {} ms, then prints.",
        results.witness_ms
    );
    let mut table = Table::new(["main does", "child pid", "waitpid says", "witness line"]);
    for run in &results.mains {
        table.row([
            run.how.describe().to_owned(),
            run.pid.to_string(),
            describe_status(&run.status),
            witness_line(run).to_owned(),
        ]);
    }
    let _ = write!(out, "{table}");
    for run in &results.mains {
        if let Some(line) = &run.stderr_first_line {
            let _ = writeln!(
                out,
                "   child whose main did {}, its stderr began: {line}",
                run.how.describe()
            );
        }
    }

    let panicked = &results.threads[0];
    let signals: Vec<&str> = results.threads[1..].iter().filter_map(signal_of).collect();
    // The witness proves the point only if its wait outlasts the crash: with a short
    // --witness-ms it can print before the crasher raises its signal (start_witness).
    let early: Vec<&str> = results.threads[1..]
        .iter()
        .filter(|run| run.witness_survived())
        .filter_map(signal_of)
        .collect();
    let witness_after_signal = if early.is_empty() {
        "its witness did nothing wrong and never printed.".to_owned()
    } else {
        format!(
            "its witness did nothing wrong, but it waited only {} ms and printed before {}\n\
             landed. Give it longer (the default is 300 ms) to see it die with its child.",
            results.witness_ms,
            early.join(" and ")
        )
    };
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "What to observe: the panic cost only its own thread. join returned Err, and the poisoned\n\
         lock still held the half-done update ({} of 5 entries). The child whose thread panicked",
        panic.recovered.len()
    );
    let _ = writeln!(
        out,
        "{}, witness line {}. After {} the whole child died:",
        describe_status(&panicked.status),
        if panicked.witness_survived() {
            "printed"
        } else {
            "missing"
        },
        signals.join(" and ")
    );
    let _ = writeln!(out, "{witness_after_signal}");
    let _ = writeln!(
        out,
        "The parent read all {} signals from waitpid and carried on.",
        results.threads.len() - 1 + results.processes.len()
    );
    if let Some(main_panic) = results.mains.iter().find(|run| run.how == Crash::Panic) {
        let _ = writeln!(
            out,
            "A panic in main ended its child too (witness line {}), but not by a signal:",
            if main_panic.witness_survived() {
                "printed"
            } else {
                "missing"
            }
        );
        let _ = writeln!(
            out,
            "the child {}. The Rust runtime caught the panic and chose that status,\n\
             and exiting ends every thread of the process.",
            describe_status(&main_panic.status)
        );
    }
    out
}

/// The signal that killed the child, if one did.
fn signal_of(run: &ThreadCrash) -> Option<&'static str> {
    match run.status {
        WaitStatus::Signaled(_, signal, _) => Some(signal.as_str()),
        _ => None,
    }
}

/// Whether the witness printed its marker, in the words of the tables.
fn witness_line(run: &ThreadCrash) -> &'static str {
    if run.witness_survived() {
        "printed"
    } else {
        "never printed"
    }
}
