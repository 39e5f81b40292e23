//! How the lab talks: the run of the chosen demos, the `--json` records and the readable
//! report (see `kit::lab`). What the book shows is in `lib.rs` and `harness.rs`.

use crate::cgroup::PidsCgroup;
use crate::harness::{self, Config, Stop};
use crate::{Demo, WORKER_ENV};
use kit::lab::{Outcome, Progress, write_heading, write_observations};
use kit::table::{Table, count};
use kit::{Machine, Noun, Record, Report, Unit};
use std::fmt::Write as _;
use std::io::Write as _;

/// The lab's name: the prefix of every record id.
pub const LAB: &str = "fork-bomb-guard";

/// What `--demo` accepts: one demo's name, or `all`.
pub const DEMO_NAMES: [&str; 5] = ["all", "unguarded", "guarded", "fork-loop", "cgroup"];

/// What the demos did, with the settings they ran under.
#[derive(Debug, Clone)]
pub struct Demos {
    pub config: Config,
    pub outcomes: Vec<harness::Outcome>,
    /// Why the cgroup demo did not run, when it was asked for and could not.
    pub skipped: Option<String>,
}

/// The whole lab: becomes the harness and runs the demo named `demo` (or every demo, for
/// `all`) one after another. A signal ends the lab at once: the harness has killed and
/// reaped the tree and removed its cgroup, it says so on stderr and exits 128 + the
/// signal, as the kit's labs do.
///
/// The cgroup demo runs only where the lab can make a cgroup with a pids controller; where
/// it cannot, one line on stderr says why, and the lab goes on without it (exit status 0).
pub fn run(demo: &str, config: Config, _progress: &Progress) -> anyhow::Result<Demos> {
    let demos = match Demo::ALL.into_iter().find(|d| d.name() == demo) {
        Some(one) => vec![one],
        None => Demo::ALL.to_vec(),
    };
    harness::become_harness()?;
    let mut outcomes = Vec::new();
    let mut skipped = None;
    for demo in demos {
        let cgroup = match demo {
            Demo::Cgroup => match PidsCgroup::create(config.pids_max)? {
                Ok(cgroup) => Some(cgroup),
                Err(why) => {
                    let _ = writeln!(std::io::stderr(), "{LAB}: cgroup: skipped: {why}");
                    skipped = Some(why.0);
                    continue;
                }
            },
            _ => None,
        };
        // The harness removes the cgroup before it returns, whatever happened.
        let outcome = harness::run(demo, &config, cgroup)?;
        if let Stop::Interrupted(signal) = outcome.stop {
            let removed = match &outcome.cgroup {
                Some(c) if c.removed => format!("; removed cgroup {}", c.dir.display()),
                Some(c) => format!("; could not remove cgroup {}", c.dir.display()),
                None => String::new(),
            };
            let _ = writeln!(
                std::io::stderr(),
                "{LAB}: {signal}: killed process group {} and reaped it; {} left{removed}",
                outcome.pgid,
                outcome.left_behind
            );
            std::process::exit(128 + signal as i32);
        }
        if let Some(c) = &outcome.cgroup {
            anyhow::ensure!(
                outcome.started() > 0,
                "the cgroup demo's first process could not move into {}",
                c.dir.display()
            );
            anyhow::ensure!(c.removed, "could not remove cgroup {}", c.dir.display());
        }
        outcomes.push(outcome);
    }
    Ok(Demos {
        config,
        outcomes,
        skipped,
    })
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
                    "tokens the {name} demo took from its budget: one per process it tried to \
                     start, the first included, counting starts the kernel refused and children \
                     killed before they could announce themselves"
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
            if let Some(c) = &o.cgroup {
                push_cgroup_records(&mut count, o, c);
                continue;
            }
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
        write_heading(
            &mut out,
            "fork-bomb-guard: programs that start copies of themselves, capped",
            machine,
        );
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
        for o in &self.outcomes {
            if let Some(c) = &o.cgroup {
                let show = |n: Option<u32>| n.map_or("-".to_owned(), |n| n.to_string());
                let _ = writeln!(
                    out,
                    "cgroup {}: pids.max {}; alive at once {} (pids.current {}, pids.peak {}); \
                     fork() refused with EAGAIN {} (pids.events max {}); {}.\n",
                    c.dir.display(),
                    c.pids_max,
                    show(c.settled),
                    show(c.current),
                    show(c.peak),
                    count(o.fork_failed as usize, "time"),
                    show(c.events_max),
                    if c.removed { "removed" } else { "NOT removed" }
                );
            }
        }
        if let Some(why) = &self.skipped {
            let _ = writeln!(out, "cgroup demo skipped: {why}\n");
        }
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
        let _ = writeln!(
            out,
            "  cgroup      fork() until refused, in a cgroup of its own with pids.max {} (the cap \
             stays the outer cage)",
            config.pids_max
        );
        let _ = writeln!(out);
        write_observations(&mut out, self.observations());
        out
    }
}

/// The cgroup demo's own records (its generations depend on the scheduler: none of them).
fn push_cgroup_records(
    count: &mut impl FnMut(&str, String, Unit, f64),
    o: &harness::Outcome,
    c: &harness::CgroupOutcome,
) {
    count(
        "pids-max",
        "pids.max written to the cgroup demo's cgroup (below the token budget)".to_owned(),
        PROCESSES,
        f64::from(c.pids_max),
    );
    count(
        "fork-failed",
        "processes of the cgroup demo whose fork() the kernel refused with EAGAIN".to_owned(),
        PROCESSES,
        f64::from(o.fork_failed),
    );
    if let Some(settled) = c.settled {
        count(
            "alive-at-once",
            "processes of the cgroup demo alive at once when it had stopped growing".to_owned(),
            PROCESSES,
            f64::from(settled),
        );
    }
    if let Some(current) = c.current {
        count(
            "pids-current",
            "pids.current of the cgroup when the demo's tree had stopped growing".to_owned(),
            PROCESSES,
            f64::from(current),
        );
    }
    if let Some(peak) = c.peak {
        count(
            "pids-peak",
            "pids.peak of the cgroup after the demo: the most tasks it ever held".to_owned(),
            PROCESSES,
            f64::from(peak),
        );
    }
    if let Some(events) = c.events_max {
        count(
            "events-max",
            "pids.events max of the cgroup after the demo: forks the limit refused".to_owned(),
            PROCESSES,
            f64::from(events),
        );
    }
    count(
        "cgroup-left",
        "whether the cgroup demo's cgroup directory was still there after cleanup".to_owned(),
        Unit::Flag,
        f64::from(u8::from(!c.removed)),
    );
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
                Demo::Cgroup => {
                    let Some(c) = &o.cgroup else { continue };
                    let stopper = if o.fork_failed > 0 && o.refused == 0 {
                        format!(
                            "The kernel stopped it: fork() failed with EAGAIN in {} processes \
                             ({} tokens of {} taken, none refused).",
                            o.fork_failed, o.tokens_used, o.config_cap
                        )
                    } else if o.fork_failed > 0 {
                        format!(
                            "The kernel refused {} forks, and the budget {} more.",
                            o.fork_failed, o.refused
                        )
                    } else {
                        "The kernel refused no fork: the limit was never reached.".to_owned()
                    };
                    lines.push(format!(
                        "cgroup: {} processes with pids.max {}, as root or not. {stopper}",
                        o.started(),
                        c.pids_max
                    ));
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
