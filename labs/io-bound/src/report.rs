//! How the lab talks: the run with its progress line, the `--json` records and the readable
//! report (see `kit::lab`). What the book shows is in `lib.rs`.

use crate::{BENCH_DELAY, BENCH_REQUESTS, Fetched, Mode};
use kit::lab::{Outcome, Progress, write_heading};
use kit::table::{Table, nanos, times};
use kit::timeline::Timeline;
use kit::{Machine, Noun, Record, Report, Summary, Unit};
use std::time::Duration;

/// The lab's name: the prefix of every record id.
pub const LAB: &str = "io-bound";

/// What every mode fetched, with the run's settings.
#[derive(Debug, Clone)]
pub struct Fetches {
    pub requests: usize,
    pub delay: Duration,
    pub fetched: Vec<Fetched>,
    /// Every mode's timeline, from one more run after the timed ones, under its id
    /// ([`crate::timeline_id`]); empty unless the run recorded them (the `--json` run, or
    /// `--timeline FILE`).
    pub timelines: Vec<(String, Timeline)>,
}

/// The whole lab: a loopback server that waits `delay` before each answer, and `requests`
/// fetches from it each way ([`crate::run`]); with `timelines` (`--json` or `--timeline`), then
/// each way once more with every request recorded as a span ([`crate::record_timelines`]),
/// which the report carries and the terminal does not show.
pub fn run(
    requests: usize,
    delay: Duration,
    timelines: bool,
    progress: &Progress,
) -> anyhow::Result<Fetches> {
    let fetched = crate::run(requests, delay, |mode| {
        let least = nanos(mode.ideal(requests, delay).as_nanos() as f64);
        progress.show(format_args!(
            "fetching {requests} resources, {} (at least {least})",
            label(mode)
        ));
    })?;
    let timelines = if timelines {
        progress.show(format_args!("timelines: every mode once more, with spans"));
        crate::record_timelines(requests, delay)?
    } else {
        Vec::new()
    };
    Ok(Fetches {
        requests,
        delay,
        fetched,
        timelines,
    })
}

/// How the report names a mode.
pub fn label(mode: Mode) -> &'static str {
    match mode {
        Mode::Sequential => "one after another",
        Mode::Threads => "one thread each",
        Mode::Processes => "one process each",
        Mode::Async => "one async task each, on one thread",
    }
}

impl Outcome for Fetches {
    /// `--json`: K and the delay; per mode, the wall time and the right responses.
    fn report(&self) -> Report {
        let mut report = Report::new(LAB);
        report.push(Record::count(
            "io-bound/requests",
            "resources fetched per mode (K)",
            Unit::Count(Noun::Requests),
            self.requests as f64,
        ));
        report.push(Record::count(
            "io-bound/delay",
            "server delay before each answer",
            Unit::Nanoseconds,
            self.delay.as_nanos() as f64,
        ));
        for r in &self.fetched {
            let id = r.mode.id();
            report.push(Record::new(
                format!("io-bound/{id}"),
                format!("wall time to fetch K resources, {}", label(r.mode)),
                Unit::Nanoseconds,
                Summary::single(r.wall.as_nanos() as f64),
            ));
            report.push(Record::count(
                format!("io-bound/{id}-right"),
                format!("responses with the right content, {}", label(r.mode)),
                Unit::Count(Noun::Responses),
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
        report.timelines = self.timelines.clone();
        report
    }

    /// A missing or wrong response fails the lab (exit status 1), after the report has
    /// shown the counts.
    fn check(&self) -> anyhow::Result<()> {
        let wrong: usize = self.fetched.iter().map(|r| r.requests - r.right).sum();
        anyhow::ensure!(wrong == 0, "{wrong} responses were missing or wrong");
        Ok(())
    }

    /// The readable report: one row per mode, and what to observe.
    fn render(&self, machine: &Machine) -> String {
        let (requests, delay, results) = (self.requests, self.delay, &self.fetched);
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
        let (seq, thr, pro, tasks) = (
            find(Mode::Sequential),
            find(Mode::Threads),
            find(Mode::Processes),
            find(Mode::Async),
        );
        let faster = |a: &Fetched, b: &Fetched| times(a.wall.as_secs_f64() / b.wall.as_secs_f64());
        let mut out = String::new();
        write_heading(
            &mut out,
            "io-bound: fetching K slow resources four ways",
            machine,
        );
        out + &format!(
            "I/O-bound work: fetching K = {requests} resources from a loopback server that \
             waits {delay} before each answer.\n\
             The least possible: one after another K × delay = {all}; all at once one delay = \
             {delay}.\n\n\
             {table}\n\
             What to observe:\n\
             - One after another took {seq_ratio:.2} × K × delay: each request waits for the \
             one before it.\n\
             - Threads finished {thr_x} and processes {pro_x} faster than one after another: \
             all {requests} waited at the same time.\n\
             - Beyond one delay, threads needed {thr_extra} and processes {pro_extra}: creating \
             {requests} threads or forking {requests} processes, connecting, and scheduling them \
             (the spawn-cost lab times creation alone).\n\
             - Async tasks finished {tasks_x} faster than one after another, all {requests} \
             waiting on one OS thread; beyond one delay they needed {tasks_extra}: building \
             the runtime, spawning the tasks, connecting.\n",
            delay = ns(delay),
            all = ns(Mode::Sequential.ideal(requests, delay)),
            seq_ratio = seq.ratio_to_all_delays(delay),
            thr_x = faster(seq, thr),
            pro_x = faster(seq, pro),
            thr_extra = ns(thr.beyond_ideal(delay)),
            pro_extra = ns(pro.beyond_ideal(delay)),
            tasks_x = faster(seq, tasks),
            tasks_extra = ns(tasks.beyond_ideal(delay)),
        )
    }
}
