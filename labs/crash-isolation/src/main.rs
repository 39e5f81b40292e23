use clap::Parser;
use crash_isolation::{
    Crash, MAIN_PANIC_STATUS, PanicOutcome, ProcessCrash, ThreadCrash, core_files_in,
    crash_child_process, crash_in_main, crash_in_thread, describe_status, main_crash_main,
    panic_in_thread, signal_number, thread_crash_main,
};
use kit::table::Table;
use kit::{Machine, Record, Report};
use nix::sys::wait::WaitStatus;
use std::process::ExitCode;
use std::time::Duration;

/// What a crash takes down with it: a panicking thread, a crashing thread, a crashing child.
#[derive(Debug, Parser)]
#[command(
    about,
    long_about = "Interview gotcha: what happens to the process when a thread panics?\n\n\
        1. In this process, a worker thread panics while holding a Mutex: the process keeps \
        running, join returns Err with the panic payload, and the Mutex is poisoned (lock() \
        returns Err; PoisonError::into_inner still reaches the half-updated data).\n\n\
        2. In a child process (the lab re-executes itself), one thread panics, raises \
        SIGSEGV, or calls std::process::abort(), while a witness thread waits --witness-ms \
        and then prints a line. After a panic the line appears; after SIGSEGV or SIGABRT the \
        whole child is dead, witness included.\n\n\
        3. A single-threaded child process crashes (SIGSEGV, then SIGABRT): waitpid names the \
        signal and the parent carries on.\n\n\
        4. In a child process, the main thread itself panics, raises SIGSEGV, or aborts, while \
        a witness thread waits: every case ends the whole child, but a panic in main ends it \
        with exit status 101, not by a signal (the Rust runtime catches it).\n\n\
        Every crashing process turns core dumps off first, so no core file is left behind."
)]
struct Args {
    /// How long the witness thread waits after the crash begins before printing its line,
    /// in milliseconds.
    #[arg(long, default_value_t = 300, value_parser = clap::value_parser!(u64).range(0..=60_000))]
    witness_ms: u64,
    /// Print the results as a JSON report instead of the readable report.
    #[arg(long)]
    json: bool,
    /// Internal: be the child in which one thread crashes (the lab re-executes itself).
    #[arg(long, hide = true, value_enum)]
    crash_in_thread: Option<Crash>,
    /// Internal: be the child whose main thread crashes (the lab re-executes itself).
    #[arg(long, hide = true, value_enum, conflicts_with = "crash_in_thread")]
    crash_in_main: Option<Crash>,
}

struct Results {
    panic: PanicOutcome,
    threads: Vec<ThreadCrash>,
    processes: Vec<ProcessCrash>,
    mains: Vec<ThreadCrash>,
    core_files: Vec<String>,
}

fn main() -> ExitCode {
    let args: Args = kit::cli::parse();
    let witness_wait = Duration::from_millis(args.witness_ms);
    if let Some(how) = args.crash_in_thread {
        // We are the re-executed child: crash one thread, and see who survives. If the lab is
        // killed meanwhile, this child goes with it instead of waiting out its witness
        // (PR_SET_PDEATHSIG, prctl(2)); the window before this call is a few instructions.
        let _ = nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGKILL);
        return kit::cli::run(|| thread_crash_main(how, witness_wait));
    }
    if let Some(how) = args.crash_in_main {
        // The same, for a crash on the main thread. A panic unwinds out of `main` past
        // `kit::cli::run`, which catches only errors, into the Rust runtime.
        let _ = nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGKILL);
        return kit::cli::run(|| main_crash_main(how, witness_wait));
    }
    kit::cli::run(|| {
        let exe = std::env::current_exe()?;
        let panic = panic_in_thread()?;
        let threads = Crash::ALL
            .iter()
            .map(|&how| crash_in_thread(&exe, how, witness_wait))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let processes = [Crash::Segv, Crash::Abort]
            .iter()
            .map(|&how| crash_child_process(how))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let mains = Crash::ALL
            .iter()
            .map(|&how| crash_in_main(&exe, how, witness_wait))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let core_files = core_files_in(&std::env::current_dir()?);
        let results = Results {
            panic,
            threads,
            processes,
            mains,
            core_files,
        };
        if args.json {
            println!("{}", report(&results).to_json());
        } else {
            print_readable(&args, &results);
        }
        Ok(())
    })
}

fn flag(value: bool) -> f64 {
    f64::from(u8::from(value))
}

fn report(results: &Results) -> Report {
    let mut report = Report::new("crash-isolation");
    let panic = &results.panic;
    report.push(Record::count(
        "crash-isolation/panic/join-err",
        "join returned Err after the thread panicked (1 = yes)",
        "flag",
        flag(panic.join_error.is_some()),
    ));
    report.push(Record::count(
        "crash-isolation/panic/mutex-poisoned",
        "the Mutex the thread held is poisoned (1 = yes)",
        "flag",
        flag(panic.poisoned && panic.lock_refused),
    ));
    for run in &results.threads {
        let name = run.how.name();
        report.push(Record::count(
            format!("crash-isolation/thread-{name}/signal"),
            format!(
                "signal that ended the child whose thread did {} (0 = exited normally)",
                run.how.describe()
            ),
            "signal number",
            f64::from(signal_number(&run.status)),
        ));
        report.push(Record::count(
            format!("crash-isolation/thread-{name}/witness-survived"),
            format!(
                "the witness thread outlived a sibling that did {} (1 = yes)",
                run.how.describe()
            ),
            "flag",
            flag(run.witness_survived()),
        ));
    }
    for run in &results.processes {
        report.push(Record::count(
            format!("crash-isolation/process-{}/signal", run.how.name()),
            format!(
                "signal waitpid reported for a child that did {}",
                run.how.describe()
            ),
            "signal number",
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
            "signal number",
            f64::from(signal_number(&run.status)),
        ));
        if run.how == Crash::Panic {
            // An outcome, so a flag: the book charts counts, and an exit status is not one.
            report.push(Record::count(
                "crash-isolation/main-panic/exit-101",
                "the child whose main thread panicked exited normally with status 101 (1 = yes)",
                "flag",
                flag(run.status == WaitStatus::Exited(run.pid, MAIN_PANIC_STATUS)),
            ));
        }
        report.push(Record::count(
            format!("crash-isolation/main-{name}/witness-survived"),
            format!(
                "the witness thread outlived a main thread that did {} (1 = yes)",
                run.how.describe()
            ),
            "flag",
            flag(run.witness_survived()),
        ));
    }
    report.push(Record::count(
        "crash-isolation/core-files",
        "core files left in the current directory",
        "files",
        results.core_files.len() as f64,
    ));
    report
}

fn print_readable(args: &Args, results: &Results) {
    println!("crash-isolation: what a crash takes down with it");
    println!("Machine: {}", Machine::detect().summary());

    let panic = &results.panic;
    println!();
    println!("1. In this process, thread 'worker' panics while holding a Mutex.");
    println!(
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
        println!("   {what:<26} {result}");
    }
    println!();
    println!(
        "2. In a child process, thread 'crasher' crashes; thread 'witness' waits {} ms, then prints.",
        args.witness_ms
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
    print!("{table}");
    for run in &results.threads {
        println!("   child that did {}, its stdout:", run.how.describe());
        for line in &run.lines {
            println!("     | {line}");
        }
        if let Some(line) = &run.stderr_first_line {
            println!("     its stderr began: {line}");
        }
    }

    println!();
    println!("3. A single-threaded child process crashes; the parent waits for it.");
    let mut table = Table::new(["child does", "child pid", "waitpid returned"]);
    for run in &results.processes {
        table.row([
            run.how.describe().to_owned(),
            run.pid.to_string(),
            format!("{:?}", run.status),
        ]);
    }
    print!("{table}");
    println!(
        "   The parent (pid {}) carried on. Core files left in the current directory: {}.",
        std::process::id(),
        if results.core_files.is_empty() {
            "none".to_owned()
        } else {
            results.core_files.join(", ")
        }
    );

    println!();
    println!(
        "4. In a child process, the main thread crashes; thread 'witness' waits {} ms, then prints.",
        args.witness_ms
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
    print!("{table}");
    for run in &results.mains {
        if let Some(line) = &run.stderr_first_line {
            println!(
                "   child whose main did {}, its stderr began: {line}",
                run.how.describe()
            );
        }
    }

    let panicked = &results.threads[0];
    let signals: Vec<&str> = results.threads[1..]
        .iter()
        .filter_map(|run| match run.status {
            WaitStatus::Signaled(_, signal, _) => Some(signal.as_str()),
            _ => None,
        })
        .collect();
    println!();
    println!(
        "What to observe: the panic cost only its own thread. join returned Err, and the poisoned"
    );
    println!(
        "lock still held the half-done update ({} of 5 entries). The child whose thread panicked",
        panic.recovered.len()
    );
    println!(
        "{}, witness line {}. After {} the whole child died:",
        describe_status(&panicked.status),
        if panicked.witness_survived() {
            "printed"
        } else {
            "missing"
        },
        signals.join(" and ")
    );
    println!(
        "its witness did nothing wrong and never printed. The parent read all {} signals from",
        results.threads.len() - 1 + results.processes.len()
    );
    println!("waitpid and carried on.");
    if let Some(main_panic) = results.mains.iter().find(|run| run.how == Crash::Panic) {
        println!(
            "A panic in main ended its child too (witness line {}), but not by a signal:",
            if main_panic.witness_survived() {
                "printed"
            } else {
                "missing"
            }
        );
        println!(
            "the child {}. The Rust runtime caught the panic and chose that status,",
            describe_status(&main_panic.status)
        );
        println!("and exiting ends every thread of the process.");
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
