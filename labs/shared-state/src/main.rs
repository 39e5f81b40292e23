use clap::{Parser, value_parser};
use kit::table::{Table, nanos};
use kit::{Machine, Record, Report, Summary};
use shared_state::{Counted, Mode, PROCESS_SHARDED, THREAD_SHARDED};
use std::process::ExitCode;

/// One counter, incremented by several threads or processes: five ways, one of them wrong.
#[derive(Parser, Debug)]
#[command(
    about,
    long_about = "One counter, incremented by several threads or processes: five ways, one of them wrong.\n\n\
Each of --workers workers adds one to a shared counter --increments times. Threads share memory \
by default and only need each update to be indivisible (a Mutex or an atomic). Processes share \
only what is mapped MAP_SHARED before the fork: an atomic, or a pthread mutex made \
process-shared. The last mode is a classic mistake: children push to an ordinary Vec, each into \
its own copy-on-write copy, and the parent's Vec stays empty."
)]
struct Args {
    /// How many threads or processes increment the counter
    #[arg(long, value_name = "N", default_value_t = 4,
          value_parser = value_parser!(u32).range(1..=64))]
    workers: u32,
    /// How many times each worker adds one
    #[arg(long, value_name = "N", default_value_t = 100_000,
          value_parser = value_parser!(u64).range(1..=1_000_000))]
    increments: u64,
    /// Print the results as a JSON report instead of the readable report
    #[arg(long)]
    json: bool,
}

fn main() -> ExitCode {
    let args: Args = kit::cli::parse();
    kit::cli::run(|| {
        // Tens of millions of increments take seconds: say what is running.
        let slow = u64::from(args.workers) * args.increments >= 10_000_000;
        let results = shared_state::run(args.workers, args.increments, |mode| {
            if slow {
                eprintln!("counting with {}…", label(mode));
            }
        })?;
        if args.json {
            println!("{}", json_report(&results).to_json());
        } else {
            print!(
                "{}",
                readable_report(args.workers, args.increments, &results)
            );
        }
        let miscounted = results
            .iter()
            .filter(|r| r.mode.shares() && r.count != r.expected)
            .count();
        anyhow::ensure!(
            miscounted == 0,
            "{miscounted} modes lost or invented increments"
        );
        Ok(())
    })
}

fn label(mode: Mode) -> &'static str {
    match mode {
        Mode::ThreadMutex => "threads, Mutex<u64>",
        Mode::ThreadAtomic => "threads, AtomicU64",
        Mode::ProcessAtomic => "processes, shared AtomicU64",
        Mode::ProcessMutex => "processes, process-shared pthread mutex",
        Mode::ProcessVec => "processes, ordinary Vec (the mistake)",
    }
}

fn readable_report(workers: u32, increments: u64, results: &[Counted]) -> String {
    let find = |mode| {
        results
            .iter()
            .find(|r| r.mode == mode)
            .expect("every mode ran")
    };
    let mut table = Table::new(["mode", "count the parent sees", "expected", "wall time"]);
    for r in results {
        table.row([
            label(r.mode).to_owned(),
            r.count.to_string(),
            r.expected.to_string(),
            nanos(r.wall.as_nanos() as f64),
        ]);
    }
    let expected = u64::from(workers) * increments;
    let wrong: Vec<&str> = results
        .iter()
        .filter(|r| r.mode.shares() && r.count != r.expected)
        .map(|r| label(r.mode))
        .collect();
    let exact = if wrong.is_empty() {
        format!("- Every mode that really shares the counter counted exactly {expected}.")
    } else {
        format!("- Counts differ from {expected} in: {}.", wrong.join("; "))
    };
    let vec = find(Mode::ProcessVec);
    let lens = Summary::of(&vec.child_lens.iter().map(|&n| n as f64).collect::<Vec<_>>());
    let children_saw = match lens {
        Some(s) if s.low == s.high => format!("each of the {} children saw {}", s.samples, s.low),
        Some(s) => format!("the children saw between {} and {}", s.low, s.high),
        None => "no child reported".to_owned(),
    };
    format!(
        "Machine: {machine}\n\
         Sharing state: {workers} workers each add one to a counter {increments} times \
         (expected total {expected}).\n\n\
         {table}\n\
         What to observe:\n\
         {exact}\n\
         - The parent's Vec has {parent} items, yet {children_saw} items in its own: after \
         fork(2) each child pushes into its own copy-on-write copy.\n\
         - With threads, AtomicU64 was {atomic_vs_mutex} Mutex<u64>; with processes, the shared \
         atomic was {proc_atomic_vs_mutex} the pthread mutex.\n\
         - Processes with a shared AtomicU64 were {proc_vs_thread} threads with one (forking and \
         reaping included).\n",
        machine = Machine::detect().summary(),
        parent = vec.count,
        atomic_vs_mutex = compare(find(Mode::ThreadAtomic), find(Mode::ThreadMutex)),
        proc_atomic_vs_mutex = compare(find(Mode::ProcessAtomic), find(Mode::ProcessMutex)),
        proc_vs_thread = compare(find(Mode::ProcessAtomic), find(Mode::ThreadAtomic)),
    )
}

fn json_report(results: &[Counted]) -> Report {
    let mut report = Report::new("shared-state");
    for r in results {
        let id = r.mode.id();
        report.push(Record::new(
            format!("shared-state/{id}"),
            format!("wall time, {}", label(r.mode)),
            "ns",
            Summary::single(r.wall.as_nanos() as f64),
        ));
        report.push(Record::count(
            format!("shared-state/{id}-count"),
            format!("count the parent sees, {}", label(r.mode)),
            "increments",
            r.count as f64,
        ));
    }
    if let Some(first) = results.first() {
        report.push(Record::count(
            "shared-state/expected",
            "workers × increments",
            "increments",
            first.expected as f64,
        ));
    }
    let vec_lens: Vec<f64> = results
        .iter()
        .flat_map(|r| r.child_lens.iter().map(|&n| n as f64))
        .collect();
    if let Some(lens) = Summary::of(&vec_lens) {
        report.push(Record::new(
            "shared-state/process-vec-child-len",
            "each child's own Vec length, ordinary Vec (the mistake)",
            "items",
            lens,
        ));
    }
    // What the benchmarks measure beyond the records above, in the same words.
    for (id, how) in [
        (THREAD_SHARDED, "threads, one AtomicU64 shard per worker"),
        (
            PROCESS_SHARDED,
            "processes, one AtomicU64 shard per worker in MAP_SHARED",
        ),
    ] {
        report.describe_benchmark(format!("shared-state/{id}"), format!("wall time, {how}"));
    }
    report
}

/// "5.2x faster than" or "1.3x slower than": run `a` compared with run `b`.
fn compare(a: &Counted, b: &Counted) -> String {
    let ratio = b.wall.as_secs_f64() / a.wall.as_secs_f64();
    if ratio >= 1.0 {
        format!("{ratio:.1}x faster than")
    } else {
        format!("{:.1}x slower than", 1.0 / ratio)
    }
}
