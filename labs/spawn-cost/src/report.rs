//! How the lab talks: the run with its progress line, the measuring copy's side, the
//! `--json` records and the readable report (see `kit::lab`). What the book shows is in
//! `lib.rs`.

use crate::*;
use kit::lab::{Outcome, Progress, write_heading, write_observations};
use kit::table::{Table, count, nanos, times};
use kit::{Machine, Record, Report, Unit};
use std::fmt::Write;

/// The whole lab: every kind in a fresh copy of this program, then the parent-size sweep.
pub fn run(settings: Settings, progress: &Progress) -> anyhow::Result<Results> {
    check_parent_sizes(&settings.parent_mib)?;
    let exe = std::env::current_exe()?;
    Results::collect(&exe, settings, |i, total, kind, mib| {
        let parent = if mib > 0 {
            format!(" from +{mib} MiB")
        } else {
            String::new()
        };
        progress.show(format_args!(
            "measuring {}{parent} ({}/{total})",
            kind.name(),
            i + 1
        ));
    })
}

/// The measuring copy (`--measure-only`): die with the lab that started it (`parent`), then
/// measure `kind` and print its summary as JSON for the lab to read.
pub fn measuring_copy(
    kind: Kind,
    rounds: usize,
    ballast_mib: usize,
    parent: Option<Pid>,
) -> anyhow::Result<()> {
    if let Some(parent) = parent {
        die_with_parent(parent)?;
    }
    println!("{}", measure_only(kind, rounds, ballast_mib)?);
    Ok(())
}

impl Outcome for Results {
    /// The `--json` report: one record per measurement, in nanoseconds.
    fn report(&self) -> Report {
        let mut report = Report::new("spawn-cost");
        for m in &self.measurements {
            let mut what = format!("create and wait: {}", m.kind.how());
            if m.parent_mib > 0 {
                let _ = write!(what, ", from a parent with {} MiB touched", m.parent_mib);
            }
            report.push(Record::new(m.id(), what, Unit::Nanoseconds, m.summary));
        }
        report
    }

    /// The readable report: header, tables, and what to observe in this run's numbers.
    fn render(&self, machine: &Machine) -> String {
        let mut out = String::new();
        write_heading(
            &mut out,
            "spawn-cost: what creating a task, a thread or a process costs",
            machine,
        );
        let _ = writeln!(
            out,
            "Creating something that runs, then waiting until it has ended (median of {} \
             per kind, each kind in a fresh copy of this lab):",
            count(self.settings.rounds, "round")
        );
        for kind in Kind::ALL {
            let _ = writeln!(out, "  {:<13}  {}", kind.name(), kind.how());
        }
        let _ = writeln!(out);
        let mut table = Table::new(["kind", "median", "min", "max", "vs thread"]);
        for m in self.measurements.iter().filter(|m| m.parent_mib == 0) {
            table.row([
                m.kind.name().to_owned(),
                nanos(m.summary.median),
                nanos(m.summary.low),
                nanos(m.summary.high),
                times(self.vs_thread(m.kind)),
            ]);
        }
        let _ = writeln!(out, "{table}");
        if !self.settings.parent_mib.is_empty() {
            let _ = writeln!(
                out,
                "The same from a bigger parent: the measuring copy first writes to N MiB of \
                 private anonymous memory (median of {}):\n",
                count(self.settings.parent_rounds, "round")
            );
            let header = std::iter::once("parent".to_owned())
                .chain(PARENT_KINDS.iter().map(|k| k.name().to_owned()));
            let mut table = Table::new(header);
            for mib in std::iter::once(0).chain(self.settings.parent_mib.iter().copied()) {
                let label = match mib {
                    0 => "the lab alone".to_owned(),
                    mib => format!("+{mib} MiB"),
                };
                let cells = PARENT_KINDS.iter().map(|&k| nanos(self.median(k, mib)));
                table.row(std::iter::once(label).chain(cells));
            }
            let _ = writeln!(out, "{table}");
        }
        write_observations(&mut out, self.observations());
        out
    }
}

impl Results {
    /// Six sentences that interpret this run's medians.
    pub fn observations(&self) -> Vec<String> {
        let median = |kind| self.median(kind, 0);
        let (task, thread, fork) = (median(Kind::Task), median(Kind::Thread), median(Kind::Fork));
        let (pthread, vfork) = (median(Kind::Pthread), median(Kind::Vfork));
        let (fork_exec, spawn) = (median(Kind::ForkExec), median(Kind::PosixSpawn));
        let command = median(Kind::StdCommand);
        let mut lines = vec![
            format!(
                "A thread took {} to start and join; fork + wait took {}, {} as long. \
                 Linux makes both with clone(2); the process also gets its own page tables.",
                nanos(thread),
                nanos(fork),
                times(fork / thread)
            ),
            format!(
                "A tokio task took {} to spawn and await, and a thread {} as long: the task \
                 is one heap allocation and a hand-off through its worker's queue, with no \
                 system call in a typical round.",
                nanos(task),
                times(thread / task)
            ),
            format!(
                "What std adds: a bare pthread_create + pthread_join took {} (std's thread \
                 {} as long); a child that borrows the lab's memory (CLONE_VM | CLONE_VFORK) \
                 took {}, {} as long as fork, which copies the page tables.",
                nanos(pthread),
                times(thread / pthread),
                nanos(vfork),
                times(vfork / fork)
            ),
            format!(
                "Running a program costs more than copying the lab: fork+exec took {} \
                 ({} fork alone), posix_spawn {} and std's Command {} ({} posix_spawn: \
                 std calls posix_spawn here).",
                nanos(fork_exec),
                times(fork_exec / fork),
                nanos(spawn),
                nanos(command),
                times(command / spawn)
            ),
        ];
        if let Some(&biggest) = self.settings.parent_mib.iter().max() {
            let big = |kind| self.median(kind, biggest);
            lines.push(format!(
                "With {biggest} MiB more in the parent, fork + wait took {} ({} the small \
                 lab's) and fork+exec {}, but posix_spawn {} ({}): it borrows the parent's \
                 memory instead of copying its page tables.",
                nanos(big(Kind::Fork)),
                times(big(Kind::Fork) / fork),
                nanos(big(Kind::ForkExec)),
                nanos(big(Kind::PosixSpawn)),
                times(big(Kind::PosixSpawn) / spawn)
            ));
        }
        let folklore = match fork {
            f if f < 1e6 => "below",
            f if f <= 1e7 => "within",
            _ => "above",
        };
        lines.push(format!(
            "The seed article says a process takes 1-10 ms to create; here fork + wait from \
             the small lab took {}, {folklore} that range.",
            nanos(fork)
        ));
        lines
    }
}

/// The most parent sizes one run may sweep: each one is measured for every process kind.
pub const MAX_PARENT_SIZES: usize = 8;

/// Refuses a sweep this machine cannot afford before anything runs: a bigger parent is a
/// copy of the lab that first writes to that much memory, so the largest must fit in half of
/// `MemAvailable` (the rest of the machine and the forked children need room too).
fn check_parent_sizes(sizes: &[usize]) -> anyhow::Result<()> {
    anyhow::ensure!(
        sizes.len() <= MAX_PARENT_SIZES,
        "--parent-mib takes at most {MAX_PARENT_SIZES} sizes, not {}",
        sizes.len()
    );
    let Some(&largest) = sizes.iter().max() else {
        return Ok(());
    };
    let available_mib = kit::machine::mem_available_bytes()? / (1024 * 1024);
    anyhow::ensure!(
        largest as u64 <= available_mib / 2,
        "--parent-mib {largest} needs more than half of this machine's available memory \
         ({available_mib} MiB, MemAvailable in /proc/meminfo): pass smaller sizes"
    );
    Ok(())
}
