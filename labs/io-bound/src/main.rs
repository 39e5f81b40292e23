use clap::{Parser, value_parser};
use io_bound::{BENCH_DELAY, BENCH_REQUESTS, Fetched, Mode};
use kit::table::{Table, nanos};
use kit::{Machine, Record, Report, Summary};
use std::process::ExitCode;
use std::time::Duration;

/// Fetch K slow resources one after another, with K threads, and with K processes.
#[derive(Parser, Debug)]
#[command(
    about,
    long_about = "Fetch K slow resources one after another, with K threads, and with K processes.\n\n\
The lab starts its own server on 127.0.0.1 (nothing leaves the machine) that waits --delay-ms \
before answering each request. Waiting uses no CPU, so K threads or K processes can all wait at \
once: they should take about one delay in total, where fetching one after another takes K delays. \
What the concurrent modes take beyond one delay is mostly the cost of creating K threads or \
forking K processes."
)]
struct Args {
    /// How many resources to fetch (K)
    #[arg(long, value_name = "K", default_value_t = 16,
          value_parser = value_parser!(u32).range(1..=256))]
    requests: u32,
    /// How long the server waits before each answer, in milliseconds
    #[arg(long, value_name = "MS", default_value_t = 100,
          value_parser = value_parser!(u64).range(1..=2000))]
    delay_ms: u64,
    /// Print the results as a JSON report instead of the readable report
    #[arg(long)]
    json: bool,
}

fn main() -> ExitCode {
    let args: Args = kit::cli::parse();
    kit::cli::run(|| {
        let requests = args.requests as usize;
        let delay = Duration::from_millis(args.delay_ms);
        let slow = Mode::Sequential.ideal(requests, delay) > Duration::from_secs(2);
        let results = io_bound::run(requests, delay, |mode| {
            if slow {
                let least = nanos(mode.ideal(requests, delay).as_nanos() as f64);
                eprintln!(
                    "fetching {requests} resources, {} (at least {least})…",
                    label(mode)
                );
            }
        })?;
        if args.json {
            println!("{}", json_report(requests, delay, &results).to_json());
        } else {
            print!("{}", readable_report(requests, delay, &results));
        }
        let wrong: usize = results.iter().map(|r| r.requests - r.right).sum();
        anyhow::ensure!(wrong == 0, "{wrong} responses were missing or wrong");
        Ok(())
    })
}

fn label(mode: Mode) -> &'static str {
    match mode {
        Mode::Sequential => "one after another",
        Mode::Threads => "one thread each",
        Mode::Processes => "one process each",
    }
}

fn readable_report(requests: usize, delay: Duration, results: &[Fetched]) -> String {
    let ns = |d: Duration| nanos(d.as_nanos() as f64);
    let mut table = Table::new([
        "mode",
        "right responses",
        "wall time",
        "wall / (K × delay)",
        "beyond the least possible",
    ]);
    for r in results {
        table.row([
            label(r.mode).to_owned(),
            format!("{}/{}", r.right, r.requests),
            ns(r.wall),
            format!("{:.2}", r.ratio_to_all_delays(delay)),
            ns(r.beyond_ideal(delay)),
        ]);
    }
    let find = |mode| {
        results
            .iter()
            .find(|r| r.mode == mode)
            .expect("every mode ran")
    };
    let (seq, thr, pro) = (
        find(Mode::Sequential),
        find(Mode::Threads),
        find(Mode::Processes),
    );
    let times = |a: &Fetched, b: &Fetched| a.wall.as_secs_f64() / b.wall.as_secs_f64();
    format!(
        "Machine: {machine}\n\
         I/O-bound work: fetching K = {requests} resources from a loopback server that waits \
         {delay} before each answer.\n\
         The least possible: one after another K × delay = {all}; all at once one delay = {delay}.\n\n\
         {table}\n\
         What to observe:\n\
         - One after another took {seq_ratio:.2} × K × delay: each request waits for the one before it.\n\
         - Threads finished {thr_x:.1}x and processes {pro_x:.1}x faster than one after another: \
         all {requests} waited at the same time.\n\
         - Beyond one delay, threads needed {thr_extra} and processes {pro_extra}: creating \
         {requests} threads or forking {requests} processes, connecting, and scheduling them \
         (the spawn-cost lab times creation alone).\n",
        machine = Machine::detect().summary(),
        delay = ns(delay),
        all = ns(Mode::Sequential.ideal(requests, delay)),
        seq_ratio = seq.ratio_to_all_delays(delay),
        thr_x = times(seq, thr),
        pro_x = times(seq, pro),
        thr_extra = ns(thr.beyond_ideal(delay)),
        pro_extra = ns(pro.beyond_ideal(delay)),
    )
}

fn json_report(requests: usize, delay: Duration, results: &[Fetched]) -> Report {
    let mut report = Report::new("io-bound");
    report.push(Record::count(
        "io-bound/requests",
        "resources fetched per mode (K)",
        "requests",
        requests as f64,
    ));
    report.push(Record::count(
        "io-bound/delay",
        "server delay before each answer",
        "ns",
        delay.as_nanos() as f64,
    ));
    for r in results {
        let id = r.mode.id();
        report.push(Record::new(
            format!("io-bound/{id}"),
            format!("wall time to fetch K resources, {}", label(r.mode)),
            "ns",
            Summary::single(r.wall.as_nanos() as f64),
        ));
        report.push(Record::count(
            format!("io-bound/{id}-right"),
            format!("responses with the right content, {}", label(r.mode)),
            "responses",
            r.right as f64,
        ));
    }
    // What the benchmarks measure, in the words of the records above.
    for mode in Mode::ALL {
        report.describe_benchmark(
            format!("io-bound/{}", mode.bench_name()),
            format!(
                "wall time to fetch {BENCH_REQUESTS} resources with a {} ms delay, {}",
                BENCH_DELAY.as_millis(),
                label(mode)
            ),
        );
    }
    report
}
