//! How the lab talks: the run of the chosen demos, the `--json` records and the readable
//! report (see `kit::lab`). What the book shows is in `lib.rs` and `harness.rs`.

use crate::harness::{self, Config, Stop};
use crate::{Demo, WORKER_ENV};
use kit::lab::{Outcome, Progress};
use kit::table::Table;
use kit::{Machine, Noun, Record, Report, Unit};
use std::fmt::Write as _;
use std::io::Write as _;

/// The lab's name: the prefix of every record id.
pub const LAB: &str = "fork-bomb-guard";

/// What `--demo` accepts: one demo's name, or `all`.
pub const DEMO_NAMES: [&str; 4] = ["all", "unguarded", "guarded", "fork-loop"];

/// What the demos did, with the settings they ran under.
#[derive(Debug, Clone)]
pub struct Demos {
    pub config: Config,
    pub outcomes: Vec<harness::Outcome>,
}

/// The whole lab: becomes the harness and runs the demo named `demo` (or every demo, for
/// `all`) one after another. A signal ends the lab at once: the harness has killed and
/// reaped the tree, it says so on stderr and exits 128 + the signal, as the kit's labs do.
pub fn run(demo: &str, config: Config, _progress: &Progress) -> anyhow::Result<Demos> {
    let demos = match Demo::ALL.into_iter().find(|d| d.name() == demo) {
        Some(one) => vec![one],
        None => Demo::ALL.to_vec(),
    };
    harness::become_harness()?;
    let mut outcomes = Vec::new();
    for demo in demos {
        let outcome = harness::run(demo, &config)?;
        if let Stop::Interrupted(signal) = outcome.stop {
            let _ = writeln!(
                std::io::stderr(),
                "{LAB}: {signal}: killed process group {} and reaped it; {} left",
                outcome.pgid,
                outcome.left_behind
            );
            std::process::exit(128 + signal as i32);
        }
        outcomes.push(outcome);
    }
    Ok(Demos { config, outcomes })
}

const PROCESSES: Unit = Unit::Count(Noun::Processes);

impl Outcome for Demos {
    /// `--json`: per demo, the processes started, tokens taken, refusals, whether the
    /// deadline struck, what was left behind, and the processes of every generation.
    fn report(&self) -> Report {
        let mut report = Report::new(LAB);
        for o in &self.outcomes {
            let name = o.demo.name();
            let mut count = |what: &str, description: String, unit: Unit, value: f64| {
                report.push(Record::count(
                    format!("{LAB}/{name}/{what}"),
                    description,
                    unit,
                    value,
                ));
            };
            count(
                "started",
                format!("processes the {name} demo started, the first included"),
                PROCESSES,
                f64::from(o.started()),
            );
            count(
                "tokens",
                format!(
                    "tokens the {name} demo took from its budget: processes started, including \
                     any killed before they could announce themselves"
                ),
                PROCESSES,
                f64::from(o.tokens_used),
            );
            count(
                "refused",
                format!("processes of the {name} demo refused a token (budget spent)"),
                PROCESSES,
                f64::from(o.refused),
            );
            count(
                "timed-out",
                format!("whether the harness had to kill the {name} tree at the deadline"),
                Unit::Flag,
                f64::from(u8::from(o.stop == Stop::TimedOut)),
            );
            count(
                "left-behind",
                format!("processes of the {name} tree left after the harness cleaned up"),
                PROCESSES,
                o.left_behind as f64,
            );
            for (generation, &n) in o.per_generation.iter().enumerate() {
                count(
                    &format!("generation-{generation}"),
                    format!("processes of generation {generation} in the {name} demo"),
                    PROCESSES,
                    f64::from(n),
                );
            }
        }
        report
    }

    /// The readable report: one row per demo, and what to observe.
    fn render(&self, machine: &Machine) -> String {
        let config = &self.config;
        let mut out = String::new();
        let _ = writeln!(out, "{LAB}: {}", machine.summary());
        let _ = writeln!(
            out,
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
        for o in &self.outcomes {
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
        let _ = writeln!(out, "{table}");
        let _ = writeln!(
            out,
            "  unguarded   every copy runs the same main and starts {} copies",
            config.workers
        );
        let _ = writeln!(
            out,
            "  guarded     only the first copy starts workers; they carry {WORKER_ENV}=1"
        );
        let _ = writeln!(
            out,
            "  fork-loop   fork() in a loop of {}; a generation is the iteration that made it",
            config.loops
        );
        let _ = writeln!(out);
        let _ = writeln!(out, "What to observe:");
        for line in self.observations() {
            let _ = writeln!(out, "  {line}");
        }
        out
    }
}

fn generations(o: &harness::Outcome) -> String {
    let counts: Vec<String> = o.per_generation.iter().map(u32::to_string).collect();
    counts.join(" ")
}

impl Demos {
    /// "What to observe", computed from this run.
    pub fn observations(&self) -> Vec<String> {
        let config = &self.config;
        let mut lines = Vec::new();
        for o in &self.outcomes {
            match o.demo {
                Demo::Unguarded => {
                    let full = o
                        .per_generation
                        .iter()
                        .enumerate()
                        .take_while(|&(g, &n)| {
                            u64::from(n) == u64::from(config.workers).pow(g as u32)
                        })
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
        let left: usize = self.outcomes.iter().map(|o| o.left_behind).sum();
        lines.push(format!(
            "Left behind after cleanup: {left} processes (checked in /proc by process group)."
        ));
        lines
    }
}
