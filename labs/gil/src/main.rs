use clap::Parser;
use gil::{
    PythonOutcome, PythonReport, local_sums, lock_every_step, run_python, sum_squares,
    sum_squares_threads,
};
use kit::stats::time_each;
use kit::table::{Table, nanos};
use kit::{Machine, Record, Report, Summary};
use std::process::ExitCode;

/// Threads for CPU-bound work: Python's GIL beside Rust, and a Mutex taken at every step.
#[derive(Debug, Parser)]
#[command(
    about,
    long_about = "Mistake 1: threads for CPU-bound work in Python.\n\n\
        Runs the sum of i*i for i in 0..N in Python (sequentially, with --workers threads, with a \
        pool of --workers processes) when the Python interpreter (--python) can be started, \
        then the same sum in Rust (sequentially and with --workers scoped threads), checks \
        that all sums agree and reports the speed-ups. If Python is missing the lab says so, \
        runs the Rust side and exits 0.\n\n\
        Then the Rust-side version of the mistake: --steps additions on --workers threads that \
        lock one shared Mutex at every step, against threads that each sum locally and lock once."
)]
struct Args {
    /// Sum the squares of 0..N.
    #[arg(long, default_value_t = 10_000_000, value_parser = clap::value_parser!(u64).range(1..=200_000_000))]
    n: u64,
    /// Threads or processes to split the work over [default: the number of cores]
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=64))]
    workers: Option<u32>,
    /// Additions in the Mutex comparison.
    #[arg(long, default_value_t = 5_000_000, value_parser = clap::value_parser!(u64).range(1..=1_000_000_000))]
    steps: u64,
    /// The Python interpreter to run.
    #[arg(long, default_value = "python3")]
    python: String,
    /// Print the results as a JSON report instead of the readable report.
    #[arg(long)]
    json: bool,
}

/// Timed runs of each Rust variant; the median is reported.
const ROUNDS: usize = 7;

/// One timed Rust run: its median time and its result.
struct Timed<T> {
    summary: Summary,
    result: T,
}

fn timed<T>(mut run: impl FnMut() -> T) -> Timed<T> {
    let mut result = None;
    let times = time_each(ROUNDS, || result = Some(run()));
    Timed {
        summary: Summary::of_durations(&times).expect("ROUNDS > 0"),
        result: result.expect("ROUNDS > 0"),
    }
}

struct RustRuns {
    sequential: Timed<u128>,
    threads: Timed<u128>,
    locked_one: Timed<u64>,
    locked_many: Timed<u64>,
    local_one: Timed<u64>,
    local_many: Timed<u64>,
}

fn main() -> ExitCode {
    let args: Args = kit::cli::parse();
    kit::cli::run(|| {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let workers = args.workers.map_or(cores, |w| w as usize);

        eprintln!("running the Python script with {} …", args.python);
        let python = run_python(&args.python, args.n, workers)?;
        eprintln!("running the Rust side …");
        let (n, steps) = (args.n, args.steps);
        let rust = RustRuns {
            sequential: timed(|| sum_squares(0..n)),
            threads: timed(|| sum_squares_threads(n, workers)),
            locked_one: timed(|| lock_every_step(steps, 1)),
            locked_many: timed(|| lock_every_step(steps, workers)),
            local_one: timed(|| local_sums(steps, 1)),
            local_many: timed(|| local_sums(steps, workers)),
        };

        let expected = rust.sequential.result;
        if rust.threads.result != expected {
            anyhow::bail!("the Rust threads' sum differs from the sequential one");
        }
        if let PythonOutcome::Ran(report) = &python
            && let Some((mode, _)) = report
                .runs()
                .iter()
                .find(|(_, t)| t.sum != expected.to_string())
        {
            anyhow::bail!("Python's {mode} sum differs from Rust's {expected}");
        }
        let totals = [
            &rust.locked_one,
            &rust.locked_many,
            &rust.local_one,
            &rust.local_many,
        ];
        if totals.iter().any(|t| t.result != totals[0].result) {
            anyhow::bail!("the Mutex comparison's totals differ");
        }

        if args.json {
            println!("{}", report(&python, &rust).to_json());
        } else {
            print_readable(&args, workers, &python, &rust);
        }
        Ok(())
    })
}

fn python_seconds_to_nanos(seconds: f64) -> f64 {
    seconds * 1e9
}

fn report(python: &PythonOutcome, rust: &RustRuns) -> Report {
    let mut report = Report::new("gil");
    match python {
        PythonOutcome::Ran(py) => {
            report.push(Record::count(
                "gil/python/gil-enabled",
                format!("Python {} runs with the GIL enabled (1 = yes)", py.version),
                "flag",
                f64::from(u8::from(py.gil_enabled)),
            ));
            for (mode, timing) in py.runs() {
                report.push(Record::count(
                    format!("gil/python/{mode}"),
                    format!("Python {}: sum of squares, {mode}", py.version),
                    "ns",
                    python_seconds_to_nanos(timing.seconds),
                ));
            }
        }
        PythonOutcome::Unavailable(_) => report.push(Record::count(
            "gil/python/available",
            "a Python interpreter could be run (0 = no)",
            "flag",
            0.0,
        )),
    }
    let rows: [(&str, &str, Summary); 6] = [
        (
            "gil/rust/sequential",
            "Rust: sum of squares, sequential",
            rust.sequential.summary,
        ),
        (
            "gil/rust/threads",
            "Rust: sum of squares, scoped threads",
            rust.threads.summary,
        ),
        (
            "gil/mutex-every-step/one-thread",
            "one thread locking a Mutex every step",
            rust.locked_one.summary,
        ),
        (
            "gil/mutex-every-step/threads",
            "threads locking one Mutex every step",
            rust.locked_many.summary,
        ),
        (
            "gil/local-sum/one-thread",
            "one thread summing locally",
            rust.local_one.summary,
        ),
        (
            "gil/local-sum/threads",
            "threads summing locally, locking once",
            rust.local_many.summary,
        ),
    ];
    for (id, what, summary) in rows {
        report.push(Record::new(id, what, "ns", summary));
    }
    report
}

fn print_readable(args: &Args, workers: usize, python: &PythonOutcome, rust: &RustRuns) {
    println!("gil: threads for CPU-bound work, in Python and in Rust");
    println!("Machine: {}", Machine::detect().summary());
    println!();
    println!(
        "The sum of i*i for i in 0..{} = {}, sequentially and split over {workers} workers.",
        args.n, rust.sequential.result
    );
    println!("Python times are one run each; Rust times the median of {ROUNDS} runs.");
    println!();

    let mut table = Table::new(["run", "workers", "time", "speed-up", "sum agrees"]);
    if let PythonOutcome::Ran(py) = python {
        let base = py.sequential.seconds;
        for (mode, timing) in py.runs() {
            table.row([
                format!("Python {mode}"),
                if mode == "sequential" { 1 } else { workers }.to_string(),
                nanos(python_seconds_to_nanos(timing.seconds)),
                format!("{:.2}x", base / timing.seconds),
                "yes".to_owned(),
            ]);
        }
    }
    let base = rust.sequential.summary.median;
    for (name, count, run) in [
        ("Rust sequential", 1, &rust.sequential),
        ("Rust scoped threads", workers, &rust.threads),
    ] {
        table.row([
            name.to_owned(),
            count.to_string(),
            nanos(run.summary.median),
            format!("{:.2}x", base / run.summary.median),
            "yes".to_owned(),
        ]);
    }
    print!("{table}");
    match python {
        PythonOutcome::Ran(py) => println!("{}", describe_python(py)),
        PythonOutcome::Unavailable(reason) => {
            println!("Python part skipped: {reason}. Install python3 or pass --python PATH.")
        }
    }

    println!();
    println!(
        "{} additions, each thread adding its share of 0..{} to one total:",
        args.steps, args.steps
    );
    let mut table = Table::new(["run", "threads", "time", "speed-up vs one thread"]);
    let rows = [
        (
            "lock the shared Mutex every step",
            1,
            &rust.locked_one,
            &rust.locked_one,
        ),
        (
            "lock the shared Mutex every step",
            workers,
            &rust.locked_many,
            &rust.locked_one,
        ),
        (
            "sum locally, lock once at the end",
            1,
            &rust.local_one,
            &rust.local_one,
        ),
        (
            "sum locally, lock once at the end",
            workers,
            &rust.local_many,
            &rust.local_one,
        ),
    ];
    for (name, threads, run, baseline) in rows {
        table.row([
            name.to_owned(),
            threads.to_string(),
            nanos(run.summary.median),
            format!("{:.2}x", baseline.summary.median / run.summary.median),
        ]);
    }
    print!("{table}");
    println!(
        "Every run's total: {} (the same four times).",
        rust.local_one.result
    );

    println!();
    let rust_speedup = base / rust.threads.summary.median;
    if let PythonOutcome::Ran(py) = python {
        println!(
            "What to observe: Python threads ran {:.2}x as fast as one Python thread, Python",
            py.sequential.seconds / py.threads.seconds
        );
        println!(
            "processes {:.2}x, and Rust threads {rust_speedup:.2}x as fast as one Rust thread.",
            py.sequential.seconds / py.processes.seconds
        );
        println!(
            "One Rust thread was {:.0}x as fast as one Python thread: compiled code against an interpreter.",
            python_seconds_to_nanos(py.sequential.seconds) / base
        );
    } else {
        println!(
            "What to observe: Rust threads ran {rust_speedup:.2}x as fast as one Rust thread."
        );
    }
    println!(
        "Locking one Mutex every step, {workers} threads ran {:.2}x as fast as one; summing locally, {:.2}x.",
        rust.locked_one.summary.median / rust.locked_many.summary.median,
        rust.local_one.summary.median / rust.local_many.summary.median
    );
}

fn describe_python(py: &PythonReport) -> String {
    let build = if py.free_threaded_build {
        "a free-threaded build"
    } else {
        "the default build"
    };
    let gil = if py.gil_enabled {
        "enabled"
    } else {
        "disabled"
    };
    format!(
        "{} {} ({build}): the GIL is {gil}.",
        py.implementation, py.version
    )
}
