//! How the lab talks: the run (a fresh measuring copy per group), the measuring copy's side,
//! the `--json` records and the readable report (see `kit::lab`). What the book shows is in
//! `lib.rs`, `idle.rs`, `procmem.rs` and `cow.rs`.

use crate::cow::{CowRun, copy_on_write};
use crate::idle::{Kind, Sample, future_bytes, park_processes, park_tasks, park_threads};
use crate::limits::Room;
use crate::*;
use kit::lab::{Outcome, Progress, write_heading, write_observations};
use kit::table::{Table, bytes, times};
use kit::{Machine, Record, Report, Summary, Unit};
use std::fmt::Write;

/// What a measuring copy measures (`--measure`, hidden).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Measure {
    Threads,
    Processes,
    Tasks,
    Cow,
}

/// The whole lab: every count checked against the machine first, then each group measured
/// in a fresh copy of this program, then the copy-on-write run in one more.
pub fn run(settings: &Settings, progress: &Progress) -> anyhow::Result<Results> {
    let plan = plan(settings, &Room::detect()?)?;
    for (kind, count, why) in &plan.dropped {
        eprintln!("{LAB}: leaving out {count} {}: {why}", kind.name());
    }
    let mut samples = Vec::new();
    for (kind, counts) in [
        (Kind::Threads, &plan.threads),
        (Kind::Processes, &plan.processes),
        (Kind::Tasks, &plan.tasks),
    ] {
        for &count in counts {
            progress.show(format_args!("measuring {count} idle {}", kind.name()));
            let mut args = vec![
                "--measure".to_owned(),
                kind.name().to_owned(),
                "--count".to_owned(),
                count.to_string(),
            ];
            if let Some(stack) = settings.stack {
                args.extend(["--stack-kib".to_owned(), (stack >> 10).to_string()]);
            }
            samples.push(measure_in_fresh_process::<Sample>(&args)?);
        }
    }
    progress.show(format_args!(
        "copy-on-write with a {} MiB heap",
        settings.cow_mib
    ));
    let cow: CowRun = measure_in_fresh_process(&[
        "--measure".to_owned(),
        "cow".to_owned(),
        "--cow-mib".to_owned(),
        settings.cow_mib.to_string(),
    ])?;
    Ok(Results {
        samples,
        future_bytes: future_bytes(),
        cow,
        stack_request: stack_request(settings.stack),
        dropped: plan.dropped,
    })
}

/// The measuring copy: measure one thing in this fresh process and print it as JSON.
pub fn measuring_copy(
    what: Measure,
    count: usize,
    stack: Option<usize>,
    cow_mib: usize,
) -> anyhow::Result<()> {
    let json = match what {
        Measure::Threads => serde_json::to_string(&park_threads(count, stack)?)?,
        Measure::Processes => serde_json::to_string(&park_processes(count)?)?,
        Measure::Tasks => serde_json::to_string(&park_tasks(count)?)?,
        Measure::Cow => serde_json::to_string(&copy_on_write(cow_mib)?)?,
    };
    println!("{json}");
    Ok(())
}

/// How a group is counted, for a record's words.
fn group(kind: Kind) -> &'static str {
    match kind {
        Kind::Threads => "one process",
        Kind::Processes => "the parent and its children, summed",
        Kind::Tasks => "one process, on a current-thread tokio runtime",
    }
}

impl Outcome for Results {
    /// `--json`: every size of every group, the marginal cost per thread, per process and
    /// per task, the thread stacks, a task's future, and the copy-on-write run, all in bytes.
    fn report(&self) -> Report {
        let mut report = Report::new(LAB);
        let counted = |id: String, what: String, value: u64| {
            Record::count(id, what, Unit::Bytes, value as f64)
        };
        for sample in &self.samples {
            for metric in Metric::ALL {
                report.push(counted(
                    sample_id(metric, sample.kind, sample.count),
                    format!(
                        "{} of {} idle {} ({})",
                        metric.what(),
                        sample.count,
                        sample.kind.name(),
                        group(sample.kind)
                    ),
                    metric.of(&sample.footprint),
                ));
            }
        }
        for kind in Kind::ALL {
            for metric in Metric::ALL {
                if let Some(per_one) = self.marginal(kind, metric) {
                    report.push(Record::count(
                        marginal_id(kind, metric),
                        format!(
                            "{} per extra idle {}: least-squares slope over the counts {}",
                            metric.what(),
                            kind.one(),
                            self.counts(kind)
                        ),
                        Unit::Bytes,
                        per_one,
                    ));
                }
            }
        }
        if let Some(stacks) = self.stacks() {
            let mut stack = |name: &str, what: &str, summary: Summary| {
                report.push(Record::new(
                    format!("{LAB}/stack/{name}"),
                    format!("{what}, over the threads of the largest thread count"),
                    Unit::Bytes,
                    summary,
                ));
            };
            stack(
                "reserved",
                "a thread's stack mapping (Size in /proc/self/smaps)",
                stacks.reserved,
            );
            stack(
                "resident",
                "the resident part of a parked thread's stack mapping (Rss)",
                stacks.resident,
            );
            stack(
                "guard",
                "the no-access guard mapping right below a thread's stack",
                stacks.guard,
            );
        }
        report.push(counted(
            format!("{LAB}/task/future-bytes"),
            "an idle task's future (std::mem::size_of_val), the state machine tokio::spawn \
             moves into the task's heap cell"
                .to_owned(),
            self.future_bytes as u64,
        ));
        let cow = &self.cow;
        let cow_record = |name: &str, what: String, value: u64| {
            counted(format!("{LAB}/cow/{name}"), what, value)
        };
        let heap = bytes(cow.heap as f64);
        for record in [
            cow_record(
                "heap",
                format!("the parent's touched heap, which the child then writes ({heap})"),
                cow.heap,
            ),
            cow_record(
                "parent-rss/before-fork",
                "the parent's VmRSS just before the fork".to_owned(),
                cow.parent_rss_before_fork,
            ),
            cow_record(
                "pss/before-fork/parent",
                "the parent's PSS just before the fork".to_owned(),
                cow.before_fork.parent,
            ),
        ] {
            report.push(record);
        }
        for (moment, words, pss) in [
            ("after-fork", "after the fork", cow.after_fork),
            (
                "after-write",
                "after the child wrote the whole heap",
                cow.after_write,
            ),
        ] {
            for (who, value) in [
                ("parent", pss.parent),
                ("child", pss.child),
                ("total", pss.total()),
            ] {
                report.push(cow_record(
                    &format!("pss/{moment}/{who}"),
                    format!("{who} PSS {words} ({heap} heap)")
                        .replace("total PSS", "parent + child PSS"),
                    value,
                ));
            }
        }
        report
    }

    /// The readable report: both tables, the thread stacks, and what to observe.
    fn render(&self, machine: &Machine) -> String {
        let mut out = String::new();
        write_heading(
            &mut out,
            "memory-cost: what an idle thread, an idle process and an idle task cost in memory",
            machine,
        );
        let _ = writeln!(
            out,
            "Each group is measured in a fresh copy of this lab, with every thread, child or \
             task parked. For processes every size is summed over the parent and its children; \
             the tasks run on a current-thread tokio runtime, in the lab's one thread.\n"
        );
        let mut table = Table::new(["group", "VmSize", "VmRSS", "PSS", "USS", "VmPTE"]);
        let row = |label: String, value: &dyn Fn(Metric) -> f64| {
            let mut cells = vec![label];
            cells.extend(Metric::ALL.map(|m| bytes(value(m))));
            cells
        };
        for sample in &self.samples {
            table.row(row(
                format!("{} {}", sample.count, sample.kind.name()),
                &|m| m.of(&sample.footprint) as f64,
            ));
        }
        for kind in Kind::ALL {
            table.row(row(format!("per extra {}", kind.one()), &|m| {
                self.marginal(kind, m).unwrap_or(f64::NAN)
            }));
        }
        let _ = writeln!(out, "{table}");
        let _ = writeln!(
            out,
            "\"per extra\": the least-squares slope of each size over the counts. Each thread \
             asked for a stack of {}; each task's future is {}.\n",
            bytes(self.stack_request as f64),
            bytes(self.future_bytes as f64)
        );
        let cow = &self.cow;
        let _ = writeln!(
            out,
            "Copy-on-write: a parent with a {} heap, every page touched, forks a child; the \
             child then writes to every page of its copy. PSS of each:\n",
            bytes(cow.heap as f64)
        );
        let mut table = Table::new(["moment", "parent PSS", "child PSS", "parent + child"]);
        for (moment, pss) in [
            ("before the fork", cow.before_fork),
            ("after the fork", cow.after_fork),
            ("after the child's writes", cow.after_write),
        ] {
            table.row([
                moment.to_owned(),
                bytes(pss.parent as f64),
                bytes(pss.child as f64),
                bytes(pss.total() as f64),
            ]);
        }
        let _ = writeln!(out, "{table}");
        write_observations(&mut out, self.observations());
        out
    }
}

impl Results {
    /// `1, 10, 100, 1000`: the counts measured for `kind`.
    pub fn counts(&self, kind: Kind) -> String {
        let counts: Vec<String> = self.of(kind).map(|s| s.count.to_string()).collect();
        counts.join(", ")
    }

    /// Sentences computed from this run's numbers.
    pub fn observations(&self) -> Vec<String> {
        let mut lines = Vec::new();
        let per = |kind, metric| self.marginal(kind, metric).unwrap_or(f64::NAN);
        if let Some(stacks) = self.stacks() {
            let rss = per(Kind::Threads, Metric::Rss);
            lines.push(format!(
                "One more idle thread added {} of resident memory (VmRSS) but {} of address \
                 space (VmSize, the first threads' malloc arenas included): its stack reserves \
                 {}, of which {} is resident, with a {} guard below it. The reserved stack is \
                 {} the resident cost of a thread.",
                bytes(rss),
                bytes(per(Kind::Threads, Metric::VmSize)),
                bytes(stacks.reserved.median),
                bytes(stacks.resident.median),
                bytes(stacks.guard.median),
                times(stacks.reserved.median / rss),
            ));
        }
        let (thread, process) = (
            per(Kind::Threads, Metric::Pss),
            per(Kind::Processes, Metric::Pss),
        );
        lines.push(format!(
            "One more idle process added {} of PSS and {} of page tables (VmPTE), where a \
             thread added {} of PSS: a process cost {} a thread's.",
            bytes(process),
            bytes(per(Kind::Processes, Metric::Pte)),
            bytes(thread),
            times(process / thread),
        ));
        if self.of(Kind::Tasks).next().is_some() {
            let task = per(Kind::Tasks, Metric::Rss);
            lines.push(format!(
                "One more idle task added {} of resident memory, where a thread added {}: a \
                 task is its {} future in a heap cell of tokio's, with no stack of its own.",
                bytes(task),
                bytes(per(Kind::Threads, Metric::Rss)),
                bytes(self.future_bytes as f64),
            ));
        }
        if let Some(largest) = self.of(Kind::Processes).max_by_key(|s| s.count) {
            lines.push(format!(
                "For {} processes the summed VmRSS is {} but the summed PSS only {}: RSS \
                 counts each shared page (the heap and stack pages not yet copied, and the \
                 code pages a child has touched) once per process, PSS divides it among \
                 them.",
                largest.count,
                bytes(largest.footprint.rss as f64),
                bytes(largest.footprint.pss as f64),
            ));
        }
        let cow = &self.cow;
        let grew = cow.after_write.total() as f64 - cow.after_fork.total() as f64;
        lines.push(format!(
            "Right after the fork, parent + child PSS was {} against the parent's PSS of {} \
             before it ({}): shared, not copied. After the child wrote its {} heap the sum \
             was {}, {} more: {} of the heap, copied page by page.",
            bytes(cow.after_fork.total() as f64),
            bytes(cow.before_fork.parent as f64),
            times(cow.after_fork.total() as f64 / cow.before_fork.parent as f64),
            bytes(cow.heap as f64),
            bytes(cow.after_write.total() as f64),
            bytes(grew),
            times(grew / cow.heap as f64),
        ));
        lines.push(
            "Not in any of these: each thread's and each process's kernel stack and \
             task_struct, which /proc/PID does not show (see KernelStack in /proc/meminfo, \
             machine-wide). A tokio task has neither."
                .to_owned(),
        );
        for (kind, count, why) in &self.dropped {
            lines.push(format!("{count} {} were left out: {why}.", kind.name()));
        }
        lines
    }
}
