use clap::Parser;
use clap::builder::{PossibleValuesParser, TypedValueParser};
use fork_bomb_guard::harness::{self, Config, Outcome, Stop};
use fork_bomb_guard::{Demo, MAX_CAP, Tree, WORKER_ENV};
use kit::table::Table;
use kit::{Machine, Record, Report};
use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

/// Re-executing yourself without a guard is a fork bomb; fork() in a loop doubles. All capped.
#[derive(Parser, Debug)]
#[command(
    about,
    long_about = "A program that starts its workers by running itself again \
(std::env::current_exe) must tell a worker from its parent, or every worker starts workers of \
its own: the unguarded demo grows 1, 2, 4, 8 ... per generation; the guarded one starts exactly \
--workers. The fork-loop demo answers the classic puzzle: how many processes does fork() in a \
loop of 3 make? Every demo is capped: each process must take a token from a budget of --cap \
before it may start another, the tree runs in its own process group, and the harness kills \
and reaps the whole group when the tree ends, the deadline passes, or you press Ctrl-C."
)]
struct Args {
    /// Which demo to run: all, unguarded, guarded or fork-loop.
    #[arg(long, default_value = "all", value_parser = demo_parser())]
    demo: Selection,

    /// The most processes one demo may start, the first included (hard maximum 256).
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u32).range(1..=i64::from(MAX_CAP)))]
    cap: u32,

    /// Workers each copy of the (un)guarded program starts.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=8))]
    workers: u32,

    /// Iterations of the fork loop.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=8))]
    loops: u32,

    /// How long each copy of the (un)guarded program takes to set up (before it starts
    /// workers), in milliseconds.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(0..=10_000))]
    startup_ms: u64,

    /// How long each worker stays alive, in milliseconds.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(0..=60_000))]
    work_ms: u64,

    /// Deadline for each demo, in milliseconds: then the harness kills the whole tree.
    #[arg(long, default_value_t = 5_000, value_parser = clap::value_parser!(u64).range(100..=60_000))]
    timeout_ms: u64,

    /// Print a JSON result record (kit::Report) instead of the readable report.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Clone, Copy)]
enum Selection {
    All,
    One(Demo),
}

fn demo_parser() -> impl TypedValueParser<Value = Selection> {
    let names = ["all", "unguarded", "guarded", "fork-loop"];
    PossibleValuesParser::new(names).map(|name| {
        match Demo::ALL.into_iter().find(|d| d.name() == name) {
            Some(demo) => Selection::One(demo),
            None => Selection::All,
        }
    })
}

fn main() -> ExitCode {
    // A copy of this binary started by a demo runs the demo's program, not the lab.
    if let Some(tree) = Tree::from_env() {
        return kit::cli::run(|| tree?.run());
    }
    let args: Args = kit::cli::parse();
    kit::cli::run(|| {
        let config = Config {
            cap: args.cap,
            workers: args.workers,
            loops: args.loops,
            startup: Duration::from_millis(args.startup_ms),
            work: Duration::from_millis(args.work_ms),
            timeout: Duration::from_millis(args.timeout_ms),
        };
        let demos = match args.demo {
            Selection::One(demo) => vec![demo],
            Selection::All => Demo::ALL.to_vec(),
        };
        harness::become_harness()?;
        let mut outcomes = Vec::new();
        for demo in demos {
            let outcome = harness::run(demo, &config)?;
            if let Stop::Interrupted(signal) = outcome.stop {
                let _ = writeln!(
                    std::io::stderr(),
                    "fork-bomb-guard: {signal}: killed process group {} and reaped it; {} left",
                    outcome.pgid,
                    outcome.left_behind
                );
                std::process::exit(128 + signal as i32);
            }
            outcomes.push(outcome);
        }
        if args.json {
            println!("{}", report(&outcomes).to_json());
        } else {
            print_readable(&config, &outcomes);
        }
        Ok(())
    })
}

fn report(outcomes: &[Outcome]) -> Report {
    let mut report = Report::new("fork-bomb-guard");
    for o in outcomes {
        let name = o.demo.name();
        let mut count = |what: &str, description: String, unit: &str, value: f64| {
            report.push(Record::count(
                format!("fork-bomb-guard/{name}/{what}"),
                description,
                unit,
                value,
            ));
        };
        count(
            "started",
            format!("processes the {name} demo started, the first included"),
            "processes",
            f64::from(o.started()),
        );
        count(
            "tokens",
            format!(
                "tokens the {name} demo took from its budget: processes started, including \
                 any killed before they could announce themselves"
            ),
            "processes",
            f64::from(o.tokens_used),
        );
        count(
            "refused",
            format!("processes of the {name} demo refused a token (budget spent)"),
            "processes",
            f64::from(o.refused),
        );
        count(
            "timed-out",
            format!("whether the harness had to kill the {name} tree at the deadline"),
            "flag",
            f64::from(u8::from(o.stop == Stop::TimedOut)),
        );
        count(
            "left-behind",
            format!("processes of the {name} tree left after the harness cleaned up"),
            "processes",
            o.left_behind as f64,
        );
        for (generation, &n) in o.per_generation.iter().enumerate() {
            count(
                &format!("generation-{generation}"),
                format!("processes of generation {generation} in the {name} demo"),
                "processes",
                f64::from(n),
            );
        }
    }
    report
}

fn print_readable(config: &Config, outcomes: &[Outcome]) {
    println!("fork-bomb-guard: {}", Machine::detect().summary());
    println!(
        "Each demo runs in its own process group and may start at most {} processes (one \
         token each);\nafter {} ms, or on Ctrl-C, the harness kills the group. It reaps \
         every process either way.\n",
        config.cap,
        config.timeout.as_millis()
    );
    let mut table = Table::new([
        "demo",
        "started",
        "new",
        "per generation",
        "refused",
        "tokens taken",
        "ended",
        "left behind",
    ]);
    for o in outcomes {
        table.row([
            o.demo.name().to_owned(),
            o.started().to_string(),
            o.started().saturating_sub(1).to_string(),
            generations(o),
            o.refused.to_string(),
            o.tokens_used.to_string(),
            match o.stop {
                Stop::Finished => "by itself".to_owned(),
                Stop::TimedOut => "killed at deadline".to_owned(),
                Stop::Interrupted(signal) => format!("killed on {signal}"),
            },
            o.left_behind.to_string(),
        ]);
    }
    println!("{table}");
    println!(
        "  unguarded   every copy runs the same main and starts {} copies",
        config.workers
    );
    println!("  guarded     only the first copy starts workers; they carry {WORKER_ENV}=1");
    println!(
        "  fork-loop   fork() in a loop of {}; a generation is the iteration that made it",
        config.loops
    );
    println!();
    println!("What to observe:");
    for line in observations(config, outcomes) {
        println!("  {line}");
    }
}

fn generations(o: &Outcome) -> String {
    let counts: Vec<String> = o.per_generation.iter().map(u32::to_string).collect();
    counts.join(" ")
}

/// "What to observe", computed from this run.
fn observations(config: &Config, outcomes: &[Outcome]) -> Vec<String> {
    let mut lines = Vec::new();
    for o in outcomes {
        match o.demo {
            Demo::Unguarded => {
                let full = o
                    .per_generation
                    .iter()
                    .enumerate()
                    .take_while(|&(g, &n)| u64::from(n) == u64::from(config.workers).pow(g as u32))
                    .count();
                let full_counts: Vec<String> = o.per_generation[..full]
                    .iter()
                    .map(u32::to_string)
                    .collect();
                let stopper = if o.budget_spent() {
                    format!(
                        "Only the budget stopped it ({} refused a token).",
                        o.refused
                    )
                } else if o.stop == Stop::TimedOut {
                    format!(
                        "The deadline killed it before the budget ran out: {} tokens taken, \
                         {} processes had announced themselves.",
                        o.tokens_used,
                        o.started()
                    )
                } else {
                    "It ended before the budget ran out.".to_owned()
                };
                lines.push(format!(
                    "unguarded: {} processes; full generations {} ({}× each time). {stopper}",
                    o.started(),
                    full_counts.join(", "),
                    config.workers,
                ));
            }
            Demo::Guarded => {
                let workers = o.per_generation.get(1).copied().unwrap_or(0);
                lines.push(if o.per_generation.len() <= 2 {
                    format!(
                        "guarded: {workers} workers started, and none of them started \
                         another: the mark tells a worker it is one."
                    )
                } else {
                    format!(
                        "guarded: workers started workers of their own ({} generations): \
                         the guard did not work.",
                        o.per_generation.len()
                    )
                });
            }
            Demo::ForkLoop => {
                let mut total = 0;
                let after: Vec<String> = o
                    .per_generation
                    .iter()
                    .map(|n| {
                        total += n;
                        total.to_string()
                    })
                    .collect();
                lines.push(format!(
                    "fork-loop: {} processes in all ({} new); iteration by iteration: {}.",
                    o.started(),
                    o.started().saturating_sub(1),
                    after.join(" → ")
                ));
            }
        }
    }
    let left: usize = outcomes.iter().map(|o| o.left_behind).sum();
    lines.push(format!(
        "Left behind after cleanup: {left} processes (checked in /proc by process group)."
    ));
    lines
}
