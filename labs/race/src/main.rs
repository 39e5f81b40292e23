use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use clap::{Parser, ValueEnum};
use kit::table::Table;
use kit::{Machine, Record, Report};
use race::{Mode, Outcome};
use std::process::ExitCode;

/// Several workers add one to a shared counter; count the updates that get lost.
#[derive(Parser, Debug)]
#[command(
    about,
    long_about = "Several workers (threads or processes) each add one to a shared counter many \
times. The racy modes load the counter, yield, and store what they loaded plus one: updates \
are lost, even though every access is atomic (a race condition, not a data race). The fixed \
modes (fetch_add, a Mutex, per-worker counters summed at the end) are exact. Workers start \
together and yield inside the read-modify-write, so the race shows on any machine, even with \
a single core."
)]
struct Args {
    /// Workers (threads or child processes) per mode.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(2..=64))]
    workers: u32,

    /// Increments each worker makes.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    increments: u64,

    /// Which mode to run: `all`, or one mode's name.
    #[arg(long, default_value = "all", value_parser = mode_parser())]
    mode: Selection,

    /// Print a JSON result record (kit::Report) instead of the readable report.
    #[arg(long)]
    json: bool,
}

/// `--mode all` or `--mode NAME`.
#[derive(Debug, Clone, Copy)]
enum Selection {
    All,
    One(Mode),
}

fn mode_parser() -> impl TypedValueParser<Value = Selection> {
    let names = std::iter::once(PossibleValue::new("all").help("Every mode, the racy ones first"))
        .chain(
            Mode::value_variants()
                .iter()
                .filter_map(|m| m.to_possible_value()),
        );
    PossibleValuesParser::new(names).map(|name| match Mode::from_str(&name, false) {
        Ok(mode) => Selection::One(mode),
        Err(_) => Selection::All,
    })
}

fn main() -> ExitCode {
    let args: Args = kit::cli::parse();
    kit::cli::run(|| {
        let modes = match args.mode {
            Selection::One(mode) => vec![mode],
            Selection::All => Mode::ALL.to_vec(),
        };
        let mut outcomes = Vec::with_capacity(modes.len());
        for mode in modes {
            outcomes.push(Outcome::measure(mode, args.workers, args.increments)?);
        }
        if args.json {
            println!("{}", report(&outcomes).to_json());
        } else {
            print_readable(&args, &outcomes);
        }
        Ok(())
    })
}

fn report(outcomes: &[Outcome]) -> Report {
    let mut report = Report::new("race");
    if let Some(first) = outcomes.first() {
        report.push(Record::count(
            "race/expected",
            "updates every mode should count (workers × increments)",
            "updates",
            first.expected as f64,
        ));
    }
    for o in outcomes {
        let name = o.mode.name();
        report.push(Record::count(
            format!("race/{name}"),
            format!("updates counted by {name} ({})", o.mode.how()),
            "updates",
            o.counted as f64,
        ));
        report.push(Record::count(
            format!("race/{name}/lost"),
            format!("share of updates lost by {name}"),
            "%",
            o.lost_percent(),
        ));
    }
    report
}

fn print_readable(args: &Args, outcomes: &[Outcome]) {
    println!("race: {}", Machine::detect().summary());
    let expected = u64::from(args.workers) * args.increments;
    println!(
        "{} workers each add one {} times to a shared counter: {expected} updates expected.\n",
        args.workers, args.increments
    );
    let mut table = Table::new(["mode", "expected", "counted", "lost", "lost %"]);
    for o in outcomes {
        table.row([
            o.mode.name().to_owned(),
            o.expected.to_string(),
            o.counted.to_string(),
            o.lost().to_string(),
            format!("{:.1}", o.lost_percent()),
        ]);
    }
    println!("{table}");
    for o in outcomes {
        println!("  {:<22} {}", o.mode.name(), o.mode.how());
    }
    println!();
    for line in observations(outcomes) {
        println!("{line}");
    }
}

/// "What to observe", computed from this run's numbers.
fn observations(outcomes: &[Outcome]) -> Vec<String> {
    let mut lines = vec!["What to observe:".to_owned()];
    for o in outcomes.iter().filter(|o| o.mode.is_racy()) {
        let why = match o.mode {
            Mode::ThreadsRacy => "safe Rust, every access atomic, but load-then-store is two steps",
            _ => "processes sharing an atomic race just like threads, with no data race",
        };
        lines.push(format!(
            "  {} lost {} of {} updates ({:.1}%): {why}.",
            o.mode.name(),
            o.lost(),
            o.expected,
            o.lost_percent()
        ));
    }
    let fixed: Vec<&Outcome> = outcomes.iter().filter(|o| !o.mode.is_racy()).collect();
    if let Some(first) = fixed.first() {
        let wrong: Vec<&str> = fixed
            .iter()
            .filter(|o| o.lost() > 0)
            .map(|o| o.mode.name())
            .collect();
        if wrong.is_empty() {
            lines.push(format!(
                "  The {} counted exactly {}: fetch_add is one indivisible step, a Mutex is \
                 held across both steps, per-worker counters share nothing until the end.",
                if fixed.len() == 1 { "fix" } else { "fixes" },
                first.expected
            ));
        } else {
            lines.push(format!(
                "  Unexpected: {} lost updates; please report this run.",
                wrong.join(", ")
            ));
        }
    }
    lines
}
