use clap::Parser;
use kit::table::{Table, bytes, nanos};
use kit::{Machine, Record, Report};
use std::process::ExitCode;
use too_many_threads::{
    LimitDemo, Usage, checksum_sequential, measure, pool, process_per_task, run_limit_demo,
    thread_per_task, threads_max,
};

/// A thread (or a process) per small task versus a fixed pool, and what running out of
/// threads looks like.
#[derive(Debug, Parser)]
#[command(
    about,
    long_about = "Mistake 4: too many threads.\n\n\
        Runs --tasks small CPU tasks three ways: a new thread for every task (at most --max-live \
        at once), a pool of --workers threads fed through a channel, and a new process for each \
        of --process-tasks tasks (at most --max-live alive at once, each reaped). For each way it \
        reports the wall time, the peak thread count (Threads: in /proc/self/status) and the peak \
        resident memory (VmHWM), and checks that every task ran (a checksum).\n\n\
        Then a child process caps its address space (RLIMIT_AS) and creates threads until the \
        system refuses one, showing that std::thread::Builder::spawn returns the refusal as an \
        error."
)]
struct Args {
    /// Tasks for the thread-per-task and pool modes.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    tasks: u64,
    /// Tasks for the process-per-task mode (each one forks a process).
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u64).range(1..=5_000))]
    process_tasks: u64,
    /// Worker threads in the pool [default: the number of cores]
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=256))]
    workers: Option<u32>,
    /// Most threads (thread per task) or processes (process per task) alive at once.
    #[arg(long, default_value_t = 256, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    max_live: u32,
    /// Print the results as a JSON report instead of the readable report.
    #[arg(long)]
    json: bool,
    /// Internal: run the thread-limit demo and exit (the lab re-executes itself with this).
    #[arg(long, hide = true)]
    limit_demo: bool,
}

/// One mode's outcome, for the table and the JSON report.
struct ModeRun {
    id: &'static str,
    name: String,
    tasks: u64,
    checksum_ok: bool,
    peak_processes: usize,
    usage: Usage,
}

fn main() -> ExitCode {
    let args: Args = kit::cli::parse();
    if args.limit_demo {
        return kit::cli::run(too_many_threads::limit_demo_main);
    }
    kit::cli::run(|| {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let workers = args.workers.map_or(cores, |w| w as usize);
        let max_live = args.max_live as usize;
        let expected = checksum_sequential(args.tasks);

        eprintln!("running {} tasks, a thread each …", args.tasks);
        let (sum, usage) = measure(|| thread_per_task(args.tasks, max_live))?;
        let per_thread = ModeRun {
            id: "thread-per-task",
            name: "thread per task".into(),
            tasks: args.tasks,
            checksum_ok: sum? == expected,
            peak_processes: 0,
            usage,
        };

        eprintln!(
            "running {} tasks on a pool of {workers} threads …",
            args.tasks
        );
        let (run, usage) = measure(|| pool(args.tasks, workers))?;
        let run = run?;
        let pooled = ModeRun {
            id: "pool",
            name: format!("pool of {} threads", run.tasks_per_worker.len()),
            tasks: args.tasks,
            checksum_ok: run.checksum == expected,
            peak_processes: 0,
            usage,
        };

        eprintln!("running {} tasks, a process each …", args.process_tasks);
        let (run, usage) = measure(|| process_per_task(args.process_tasks, max_live))?;
        let run = run?;
        let per_process = ModeRun {
            id: "process-per-task",
            name: "process per task".into(),
            tasks: args.process_tasks,
            checksum_ok: run.checksum == checksum_sequential(args.process_tasks),
            peak_processes: run.peak_live,
            usage,
        };

        eprintln!("creating threads until the system refuses one …");
        let limit = run_limit_demo(&std::env::current_exe()?)?;

        let modes = [per_thread, pooled, per_process];
        if args.json {
            println!("{}", report(&modes, &limit).to_json());
        } else {
            print_readable(&args, workers, &modes, &limit);
        }
        if let Some(bad) = modes.iter().find(|m| !m.checksum_ok) {
            anyhow::bail!(
                "{}: the checksum does not match the sequential one",
                bad.name
            );
        }
        Ok(())
    })
}

fn per_task_nanos(mode: &ModeRun) -> f64 {
    mode.usage.wall.as_nanos() as f64 / mode.tasks as f64
}

fn report(modes: &[ModeRun], limit: &LimitDemo) -> Report {
    let mut report = Report::new("too-many-threads");
    for mode in modes {
        let id = |what: &str| format!("too-many-threads/{}/{what}", mode.id);
        let usage = &mode.usage;
        report.push(Record::count(
            id("wall"),
            format!("wall time for {} tasks, {}", mode.tasks, mode.name),
            "ns",
            usage.wall.as_nanos() as f64,
        ));
        report.push(Record::count(
            id("per-task"),
            format!("wall time per task, {}", mode.name),
            "ns",
            per_task_nanos(mode),
        ));
        report.push(Record::count(
            id("peak-threads"),
            format!("most extra threads seen at once, {}", mode.name),
            "threads",
            usage.peak_extra_threads as f64,
        ));
        report.push(Record::count(
            id("peak-processes"),
            format!("most child processes alive at once, {}", mode.name),
            "processes",
            mode.peak_processes as f64,
        ));
        report.push(Record::count(
            id("vm-hwm"),
            format!("peak resident memory of the lab (VmHWM), {}", mode.name),
            "bytes",
            usage.peak_rss as f64,
        ));
        report.push(Record::count(
            id("checksum-ok"),
            format!("every task ran: checksum matches (1 = yes), {}", mode.name),
            "checks",
            f64::from(u8::from(mode.checksum_ok)),
        ));
    }
    report.push(Record::count(
        "too-many-threads/limit/created",
        "threads created under a capped address space before one was refused",
        "threads",
        limit.created as f64,
    ));
    report.push(Record::count(
        "too-many-threads/limit/refused",
        "a thread creation was refused and reported as an error (1 = yes)",
        "threads",
        f64::from(u8::from(limit.refusal.is_some())),
    ));
    report
}

fn print_readable(args: &Args, workers: usize, modes: &[ModeRun], limit: &LimitDemo) {
    println!("too-many-threads: a thread per task, a pool, a process per task");
    println!("Machine: {}", Machine::detect().summary());
    println!();
    println!(
        "Each task mixes a number {} times: a little CPU work, much less than creating a thread.",
        too_many_threads::TASK_ROUNDS
    );
    println!(
        "The per-task modes keep at most {} threads or processes alive at once; the pool has {workers}.",
        args.max_live
    );
    println!();
    let mut table = Table::new([
        "mode",
        "tasks",
        "wall time",
        "per task",
        "peak threads",
        "peak processes",
        "VmHWM",
        "VmRSS after",
        "checksum",
    ]);
    for mode in modes {
        let usage = &mode.usage;
        table.row([
            mode.name.clone(),
            mode.tasks.to_string(),
            nanos(usage.wall.as_nanos() as f64),
            nanos(per_task_nanos(mode)),
            usage.peak_extra_threads.to_string(),
            mode.peak_processes.to_string(),
            bytes(usage.peak_rss as f64),
            bytes(usage.rss_after as f64),
            if mode.checksum_ok { "ok" } else { "WRONG" }.to_owned(),
        ]);
    }
    print!("{table}");
    println!("(peak threads: beyond those running before the mode, sampled every millisecond)");

    println!();
    println!("Running out of threads, in a child process with a capped address space:");
    for line in &limit.lines {
        println!("  | {line}");
    }
    if let Some(max) = threads_max() {
        println!("  (the system-wide limit, /proc/sys/kernel/threads-max, is {max} threads)");
    }

    let [per_thread, pooled, per_process] = modes else {
        return;
    };
    println!();
    println!(
        "What to observe: per task, a new thread cost {:.1}x the pool's time on this run, and a new",
        per_task_nanos(per_thread) / per_task_nanos(pooled)
    );
    println!(
        "process {:.1}x; the pool reused its {workers} threads for all {} tasks.",
        per_task_nanos(per_process) / per_task_nanos(pooled),
        pooled.tasks
    );
    println!(
        "Peak resident memory (VmHWM): {} with a thread per task, {} with the pool.",
        bytes(per_thread.usage.peak_rss as f64),
        bytes(pooled.usage.peak_rss as f64)
    );
    println!("The children's memory is their own: the lab's VmHWM does not count it.");
    match &limit.refusal {
        Some(_) => println!(
            "After {} threads the next creation failed; Builder::spawn returned the error as a value.",
            limit.created
        ),
        None => println!("The capped child created every thread it tried; no limit was reached."),
    }
}
