use clap::Parser;
use fork_in_threads::{CONTRAST_LIMIT, ForkRun, fork_and_lock, lock_fresh_main, spawn_and_lock};
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
        fresh lock of its own and takes it while the parent's is still held."
)]
struct Args {
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

fn main() -> ExitCode {
    let args: Args = kit::cli::parse();
    if args.lock_fresh {
        return kit::cli::run(lock_fresh_main);
    }
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
            print_readable(&args, &runs);
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
