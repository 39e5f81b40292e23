//! How the lab talks: the run (a fresh measuring copy per size), the measuring copy's side,
//! the `--demo cow-reuse` run, the `--json` records and the readable report (see `kit::lab`).
//! What the book shows is in `lib.rs` and `cow.rs`.

use crate::cow::{self, Child};
use crate::*;
use kit::lab::{Outcome, Progress, write_heading, write_observations};
use kit::table::{Table, bytes, nanos, times};
use kit::{Machine, Record, Report, Unit};
use nix::unistd::Pid;
use std::fmt::Write;

/// The share of the touched memory that must have become resident for the report to call
/// it resident: the same bar as the tests (tests/fork-rss.rs).
const RESIDENT_ENOUGH: f64 = 0.9;

/// The whole lab: every size up to `max_mib` (capped by `MemAvailable`, with a warning on
/// stderr), each measured `rounds` times in a fresh copy of this program.
pub fn run(
    max_mib: usize,
    pages: Pages,
    rounds: usize,
    progress: &Progress,
) -> anyhow::Result<Results> {
    let asked_mib = max_mib;
    let available = mem_available_bytes()?;
    let cap = memory_cap_mib(available);
    let capped = (cap < asked_mib).then_some((cap, available));
    if let Some((cap, _)) = capped {
        eprintln!(
            "fork-rss: MemAvailable allows at most {cap} MiB; measuring up to that instead \
             of {asked_mib} MiB"
        );
    }
    let exe = std::env::current_exe()?;
    let plan = sizes(asked_mib.min(cap));
    let measured = plan
        .iter()
        .enumerate()
        .map(|(i, &mib)| {
            progress.show(format_args!(
                "measuring with {mib} MiB touched ({}/{})",
                i + 1,
                plan.len()
            ));
            measure_in_fresh_process(&exe, mib, pages, rounds)
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(Results {
        rounds,
        pages,
        asked_mib,
        capped,
        sizes: measured,
    })
}

/// The measuring copy (`--measure-size`): die with the lab that started it (`parent`), then
/// measure with `mib` MiB touched and print the result as JSON for the lab to read.
pub fn measuring_copy(
    mib: usize,
    pages: Pages,
    rounds: usize,
    parent: Option<Pid>,
) -> anyhow::Result<()> {
    if let Some(parent) = parent {
        die_with_parent(parent)?;
    }
    println!("{}", measure_only(mib, pages, rounds)?);
    Ok(())
}

/// `--demo cow-reuse`: a parent's write after fork, with the child running and reaped.
pub fn cow_reuse() -> anyhow::Result<()> {
    let running = cow::write_after_fork(Child::Running)?;
    let reaped = cow::write_after_fork(Child::Reaped)?;
    print!(
        "{}",
        cow::render(&running, &reaped, &kit::Machine::detect())
    );
    Ok(())
}

impl Outcome for Results {
    /// `--json`: for every size, each kind's time per round (ns) and the growth of `VmRSS`
    /// (bytes).
    fn report(&self) -> Report {
        let mut report = Report::new(LAB);
        for size in &self.sizes {
            for kind in Kind::ALL {
                report.push(Record::new(
                    record_id(kind.name(), size.mib, size.pages),
                    format!("{} with {} MiB touched in the parent", kind.how(), size.mib),
                    Unit::Nanoseconds,
                    size.of(kind),
                ));
            }
            report.push(Record::count(
                record_id("rss", size.mib, size.pages),
                format!("growth of VmRSS while {} MiB were touched", size.mib),
                Unit::Bytes,
                size.rss_growth as f64,
            ));
        }
        report
    }

    /// The readable report: what was measured, the table, and what to observe.
    fn render(&self, machine: &Machine) -> String {
        let mut out = String::new();
        write_heading(
            &mut out,
            "fork-rss: creating a process from a bigger and bigger parent",
            machine,
        );
        let pages = match self.pages {
            Pages::Normal => "ordinary pages, huge pages refused",
            Pages::Huge => "transparent huge pages where possible",
        };
        let _ = writeln!(
            out,
            "Starting something and waiting for it to end, from a parent that has first \
             written to N MiB of memory ({pages}). Median of {} [fastest-slowest], each \
             size in a fresh copy of this lab:",
            if self.rounds == 1 {
                "1 round".to_owned()
            } else {
                format!("{} rounds", self.rounds)
            }
        );
        for kind in Kind::ALL {
            let _ = writeln!(out, "  {:<11}  {}", kind.name(), kind.how());
        }
        let _ = writeln!(out);
        let mut table = Table::new(["touched", "VmRSS grew", "fork", "posix-spawn", "thread"]);
        for size in &self.sizes {
            let mut row = vec![format!("{} MiB", size.mib), bytes(size.rss_growth as f64)];
            row.extend(Kind::ALL.map(|kind| spread(size.of(kind))));
            table.row(row);
        }
        let _ = writeln!(out, "{table}");
        write_observations(&mut out, self.observations());
        out
    }
}

impl Results {
    /// Three or four sentences computed from this run's medians.
    pub fn observations(&self) -> Vec<String> {
        let mut lines = Vec::new();
        let (Some(first), Some(last)) = (self.sizes.first(), self.sizes.last()) else {
            return lines;
        };
        if last.mib > first.mib && last.fork.median <= first.fork.median {
            lines.push(format!(
                "fork + _exit + waitpid took {} with {} MiB resident and {} with {} MiB: no \
                 growth in this run, so something else (other programs, too few --rounds) \
                 outweighed the page tables; run it again on a quiet machine.",
                nanos(last.fork.median),
                last.mib,
                nanos(first.fork.median),
                first.mib,
            ));
        } else if last.mib > first.mib {
            let (small, big) = (first.fork.median, last.fork.median);
            let extra_mib = (last.mib - first.mib) as f64;
            let per_mib = (big - small) / extra_mib;
            let page = page_size();
            let per_page = per_mib / (MIB / page) as f64;
            // With huge pages one entry maps many pages, so a cost per ordinary page would
            // be arithmetic, not the mechanism: it is left out.
            let (entry, per_page_words) = match self.pages {
                Pages::Normal => (
                    format!("one page-table entry per {} page", bytes(page as f64)),
                    format!(" ({} per {} page)", nanos(per_page), bytes(page as f64)),
                ),
                Pages::Huge => (
                    "one entry per huge page where the kernel gave one".to_owned(),
                    String::new(),
                ),
            };
            lines.push(format!(
                "fork + _exit + waitpid took {} with {} MiB resident, {} its {} with {} MiB: \
                 about {} more per extra MiB{per_page_words}. fork copies the entries that map the \
                 touched memory, {entry}, and the child's exit frees them again.",
                nanos(big),
                last.mib,
                times(big / small),
                nanos(small),
                first.mib,
                nanos(per_mib),
            ));
        }
        for (kind, why) in [
            (
                Kind::PosixSpawn,
                "the child borrows the parent's memory (CLONE_VM | CLONE_VFORK) until \
                 /bin/true replaces it, so no page table is copied",
            ),
            (
                Kind::Thread,
                "a thread shares the address space, so there is nothing to copy",
            ),
        ] {
            let medians: Vec<f64> = self.sizes.iter().map(|s| s.of(kind).median).collect();
            let low = medians.iter().copied().fold(f64::INFINITY, f64::min);
            let high = medians.iter().copied().fold(0.0, f64::max);
            lines.push(format!(
                "{} stayed within {} across all sizes ({} to {}): {why}.",
                kind.name(),
                times(high / low),
                nanos(low),
                nanos(high),
            ));
        }
        // The least resident share over the sizes, and the size it was seen at. Nothing fails
        // below 90% (the tests check that): the sentence says what this run shows.
        let resident = self
            .sizes
            .iter()
            .filter(|s| s.mib > 0)
            .map(|s| (s.rss_growth as f64 / (s.mib * MIB) as f64, s.mib))
            .min_by(|a, b| a.0.total_cmp(&b.0));
        match resident {
            Some((share, _)) if share >= RESIDENT_ENOUGH => lines.push(format!(
                "VmRSS grew by at least {:.0}% of the touched size at every size: the memory \
                 really was resident when fork ran.",
                share * 100.0
            )),
            Some((share, mib)) => lines.push(format!(
                "VmRSS grew by only {:.0}% of the touched size at {mib} MiB: part of the \
                 memory was not resident, so these fork times are not those of a parent with \
                 all of it resident.",
                share * 100.0
            )),
            None => {}
        }
        if let Some((cap, available)) = self.capped {
            lines.push(format!(
                "The largest size was lowered from {} MiB to {cap} MiB: MemAvailable is {}, \
                 and the lab uses at most half of it.",
                self.asked_mib,
                bytes(available as f64)
            ));
        }
        lines
    }
}

/// `1.23 ms [1.10 ms-2.40 ms]`: a median with the fastest and slowest round.
fn spread(summary: Summary) -> String {
    format!(
        "{} [{}-{}]",
        nanos(summary.median),
        nanos(summary.low),
        nanos(summary.high)
    )
}
