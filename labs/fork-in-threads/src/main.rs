use clap::{Parser, ValueEnum};
use fork_in_threads::{
    ALLOCATING_THREADS, ALLOCATOR_FORKS, AllocatorRun, CONTRAST_LIMIT, ForkRun, VFORK_ADVANCE,
    VFORK_DEADLINE_PASSED, VFORK_SAW_PROGRESS, VforkRun, fork_and_lock, fork_while_allocating,
    lock_fresh_main, spawn_and_lock, vfork_while_counting,
};
use kit::table::Table;
use kit::{Machine, Record, Report};
use nix::sys::wait::WaitStatus;
use std::process::ExitCode;
use std::time::Duration;

/// Fork while another thread holds a lock, and the child hangs on it forever.
#[derive(Debug, Parser)]
#[command(
    about,
    long_about = "Interview gotcha: why is fork in a multithreaded program dangerous?\n\n\
        A helper thread takes the program's global lock (a std Mutex) and keeps it while main \
        forks; a Barrier makes the order exact. fork copies the memory, the locked lock \
        included, but not the helper thread. The child writes a byte to a pipe right before \
        it tries to take the lock, then waits forever: no thread in it will ever release the \
        lock. After --timeout-ms the lab declares it hung, kills it (SIGKILL) and reaps it.\n\n\
        Contrasts: the same fork with the lock free (the child takes it and exits 0), and the \
        safe pattern, fork then exec at once (std::process::Command): the new program has a \
        fresh lock of its own and takes it while the parent's is still held.\n\n\
        --demo allocator: while other threads allocate and free in a tight loop, fork many \
        children that allocate and exit 0. On glibc none hangs: its fork takes every malloc \
        lock before the clone and re-initialises them in the child. (The children break \
        POSIX's rule on purpose, to show this; the rule stands.)\n\n\
        --demo vfork: while another thread counts, create a child with \
        clone(CLONE_VM | CLONE_VFORK) that watches the count: only the calling thread is \
        suspended, so the count keeps moving."
)]
struct Args {
    /// Which demo to run: lock (a user Mutex held at the fork), allocator (glibc's malloc
    /// locks are reset in the child) or vfork (CLONE_VFORK suspends only the calling thread).
    #[arg(long, value_enum, default_value_t = Demo::Lock)]
    demo: Demo,
    /// How long the child that forked while the lock was held gets to take it before it is
    /// declared hung, in milliseconds.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(10..=60_000))]
    timeout_ms: u64,
    /// Print the results as a JSON report instead of the readable report.
    #[arg(long)]
    json: bool,
    /// Internal: be the exec'd program that takes its own, fresh lock.
    #[arg(long, hide = true)]
    lock_fresh: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Demo {
    Lock,
    Allocator,
    Vfork,
}

fn main() -> ExitCode {
    let args: Args = kit::cli::parse();
    if args.lock_fresh {
        return kit::cli::run(lock_fresh_main);
    }
    match args.demo {
        Demo::Lock => lock_demo(&args),
        Demo::Allocator => allocator_demo(&args),
        Demo::Vfork => vfork_demo(&args),
    }
}

fn lock_demo(args: &Args) -> ExitCode {
    kit::cli::run(|| {
        let exe = std::env::current_exe()?;
        if !args.json {
            eprintln!(
                "forking while the lock is held; the child gets {} ms…",
                args.timeout_ms
            );
        }
        let runs = [
            fork_and_lock(true, Duration::from_millis(args.timeout_ms))?,
            fork_and_lock(false, CONTRAST_LIMIT)?,
            spawn_and_lock(&exe)?,
        ];
        if args.json {
            println!("{}", report(&runs).to_json());
        } else {
            print_readable(args, &runs);
        }
        Ok(())
    })
}

/// The scenario names used in the record ids, in the order of `runs`.
const NAMES: [&str; 3] = ["fork-lock-held", "fork-lock-free", "fork-exec-lock-held"];

fn flag(value: bool) -> f64 {
    f64::from(u8::from(value))
}

fn report(runs: &[ForkRun]) -> Report {
    let mut report = Report::new("fork-in-threads");
    for (name, run) in NAMES.iter().zip(runs) {
        report.push(Record::count(
            format!("fork-in-threads/{name}/took-lock"),
            format!("the child took the lock ({name}; 1 = yes)"),
            "flag",
            flag(run.took_lock),
        ));
        report.push(Record::count(
            format!("fork-in-threads/{name}/hung"),
            format!(
                "the child was still waiting at the time limit and was killed ({name}; 1 = yes)"
            ),
            "flag",
            flag(run.hung),
        ));
    }
    report.push(Record::count(
        "fork-in-threads/fork-lock-held/reached-lock",
        "the hung child had reached the lock (its byte arrived; 1 = yes)",
        "flag",
        flag(runs[0].reached_lock),
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

fn print_readable(args: &Args, runs: &[ForkRun]) {
    println!("fork-in-threads: fork while another thread holds a lock");
    println!("Machine: {}", Machine::detect().summary());
    println!();
    println!("A helper thread takes GLOBAL (a std Mutex) and holds it while main starts a child;");
    println!(
        "the child then takes GLOBAL too. A forked child still waiting after {} ms is declared",
        args.timeout_ms
    );
    println!("hung, killed with SIGKILL and reaped.");
    println!();
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
                "Command (fork+exec)"
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
    print!("{table}");
    println!();
    for run in runs {
        println!("  pid {}: waitpid returned {:?}", run.pid, run.status);
    }

    let held = &runs[0];
    println!();
    if held.hung {
        let state = held
            .hung_state
            .map_or("unknown".to_owned(), |s| s.to_string());
        let wchan = held.hung_wchan.as_deref().unwrap_or("(not readable)");
        println!(
            "What to observe: the child forked while the lock was held reached the lock (its byte"
        );
        println!(
            "arrived) and then waited in state {state}, in the kernel's {wchan}, until it was killed:"
        );
        println!("the child hung on a lock that no thread in it will ever release.");
    } else {
        println!(
            "What to observe: this time the child forked while the lock was held did not hang ({}).",
            outcome(held)
        );
    }
    println!(
        "With the lock free at the fork, the child {}. Started with Command while the parent's",
        outcome(&runs[1])
    );
    println!(
        "lock was still held, the new program {}: exec replaced the copied memory, lock and all.",
        outcome(&runs[2])
    );
}

fn allocator_demo(args: &Args) -> ExitCode {
    kit::cli::run(|| {
        let run = fork_while_allocating(CONTRAST_LIMIT)?;
        if args.json {
            let mut report = Report::new("fork-in-threads");
            report.push(Record::count(
                "fork-in-threads/allocator/forks",
                "children forked while other threads allocated and freed in a tight loop",
                "processes",
                run.forks as f64,
            ));
            report.push(Record::count(
                "fork-in-threads/allocator/exited-0",
                "of those, children that allocated, freed and exited 0",
                "processes",
                run.exited_0 as f64,
            ));
            report.push(Record::count(
                "fork-in-threads/allocator/hung",
                "children still running at the deadline, killed (1 = yes)",
                "flag",
                flag(run.failure.as_ref().is_some_and(|f| f.hung)),
            ));
            println!("{}", report.to_json());
        } else {
            print_allocator(&run);
        }
        if run.failure.is_some() {
            anyhow::bail!("a child forked while other threads allocated did not exit 0");
        }
        Ok(())
    })
}

fn print_allocator(run: &AllocatorRun) {
    println!("fork-in-threads: fork while other threads allocate (--demo allocator)");
    println!("Machine: {}", Machine::detect().summary());
    println!(
        "C library: {}",
        if cfg!(target_env = "gnu") {
            "glibc"
        } else {
            "not glibc: what this demo shows is glibc's behaviour"
        }
    );
    println!();
    println!(
        "{ALLOCATING_THREADS} threads allocate and free in a tight loop while main forks \
         {ALLOCATOR_FORKS} children,"
    );
    println!("one after another. Each child allocates a Vec and a String, frees a block that");
    println!("one of those threads allocated, and exits 0 with _exit. A child that has not");
    println!(
        "exited {} s after its fork is killed with SIGKILL and reaped.",
        CONTRAST_LIMIT.as_secs()
    );
    println!();
    println!("These children call malloc after fork in a multithreaded process. POSIX does not");
    println!("allow that (malloc is not async-signal-safe); they do it to show what glibc does,");
    println!("not as a pattern to copy.");
    println!();
    let mut table = Table::new(["children forked", "exited 0", "hung and killed"]);
    table.row([
        run.forks.to_string(),
        run.exited_0.to_string(),
        usize::from(run.failure.as_ref().is_some_and(|f| f.hung)).to_string(),
    ]);
    print!("{table}");
    println!(
        "Meanwhile the other threads made {} allocations (each freed at once).",
        run.allocations_meanwhile
    );
    println!();
    match &run.failure {
        None => {
            println!("What to observe: no child hung in malloc or free. glibc's fork takes every");
            println!("malloc arena lock before the clone (__malloc_fork_lock_parent) and");
            println!("re-initialises them in the child (__malloc_fork_unlock_child), so the child");
            println!("never inherits an allocator lock held by a thread it does not have. A lock");
            println!("nobody prepared for fork, a std Mutex as in --demo lock, does hang it.");
        }
        Some(failure) => {
            println!(
                "What to observe: fork {} (pid {}) did not finish: waitpid returned {:?}.",
                failure.index, failure.pid, failure.status
            );
        }
    }
}

fn vfork_demo(args: &Args) -> ExitCode {
    kit::cli::run(|| {
        let run = vfork_while_counting(CONTRAST_LIMIT)?;
        let saw_progress = run.status == WaitStatus::Exited(run.pid, VFORK_SAW_PROGRESS);
        if args.json {
            let mut report = Report::new("fork-in-threads");
            report.push(Record::count(
                "fork-in-threads/vfork/saw-progress",
                "the CLONE_VFORK child saw the parent's other thread count (1 = yes)",
                "flag",
                flag(saw_progress),
            ));
            report.push(Record::count(
                "fork-in-threads/vfork/suspended-caller",
                "the child had finished before clone returned to the calling thread (1 = yes)",
                "flag",
                flag(run.verdict_before_clone_returned),
            ));
            println!("{}", report.to_json());
        } else {
            print_vfork(&run, saw_progress);
        }
        if !saw_progress {
            anyhow::bail!("the CLONE_VFORK child did not see the counter move");
        }
        Ok(())
    })
}

fn print_vfork(run: &VforkRun, saw_progress: bool) {
    println!("fork-in-threads: CLONE_VFORK suspends only the calling thread (--demo vfork)");
    println!("Machine: {}", Machine::detect().summary());
    println!();
    println!("A counting thread increments a counter in a tight loop. The main thread creates a");
    println!("child with clone(CLONE_VM | CLONE_VFORK), as glibc's posix_spawn does. The child");
    println!("shares the parent's memory; it only loads the counter and reads the clock until");
    println!(
        "the counter has moved by {VFORK_ADVANCE} (exit {VFORK_SAW_PROGRESS}) or {} s have passed (exit {VFORK_DEADLINE_PASSED}).",
        CONTRAST_LIMIT.as_secs()
    );
    println!();
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
    print!("{table}");
    println!();
    println!("  pid {}: waitpid returned {:?}", run.pid, run.status);
    println!(
        "  the child had stored its verdict before clone returned: {}",
        yes_no(run.verdict_before_clone_returned)
    );
    println!(
        "  the main thread's state while the child ran (seen by the counting thread): {}",
        run.caller_state
            .map_or("not read".to_owned(), |s| s.to_string())
    );
    println!();
    if saw_progress {
        println!("What to observe: the counter kept moving while the child ran, so the parent was");
        println!("not suspended as a whole: only the thread that called clone was, and it ran");
        println!("again only after the child had exited.");
        if run.caller_state == Some('D') {
            println!(
                "State D is the kernel's wait_for_vfork_done: a killable, uninterruptible sleep."
            );
        }
        println!("The other threads run on in the memory the child borrows: that is why a vfork");
        println!(
            "child must not touch shared state, and why posix_spawn blocks all signals in it."
        );
    } else {
        println!(
            "What to observe: this time the child did not see the counter move ({:?}).",
            run.status
        );
    }
}
