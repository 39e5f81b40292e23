//! How the lab talks: the run with its progress line, the `--json` records and the readable
//! report (see `kit::lab`). What the book shows is in `lib.rs`.

use crate::{Counted, Mode, PROCESS_SHARDED, THREAD_SHARDED};
use kit::lab::{Outcome, Progress, write_heading};
use kit::table::{Table, nanos, times};
use kit::{Machine, Noun, Record, Report, Summary, Unit};

/// The lab's name: the prefix of every record id.
pub const LAB: &str = "shared-state";

/// Every mode's count, with the run's settings.
#[derive(Debug, Clone)]
pub struct Counts {
    pub workers: u32,
    pub increments: u64,
    pub counted: Vec<Counted>,
}

/// The whole lab: every mode in order ([`crate::run`]).
pub fn run(workers: u32, increments: u64, progress: &Progress) -> anyhow::Result<Counts> {
    let counted = crate::run(workers, increments, |mode| {
        progress.show(format_args!("counting with {}", label(mode)));
    })?;
    Ok(Counts {
        workers,
        increments,
        counted,
    })
}

/// How the report names a mode.
pub fn label(mode: Mode) -> &'static str {
    match mode {
        Mode::ThreadMutex => "threads, Mutex<u64>",
        Mode::ThreadAtomic => "threads, AtomicU64",
        Mode::ProcessAtomic => "processes, shared AtomicU64",
        Mode::ProcessMutex => "processes, process-shared pthread mutex",
        Mode::ProcessVec => "processes, ordinary Vec (the mistake)",
    }
}

/// Whether the criterion benches (`labs/shared-state/benches/shared-state.rs`) time this
/// mode under the lab's id for it. The ordinary `Vec` is a mistake to look at, not a way of
/// sharing to time, so only the lab's own run times it.
pub fn benchmarked(mode: Mode) -> bool {
    match mode {
        Mode::ThreadMutex | Mode::ThreadAtomic | Mode::ProcessAtomic | Mode::ProcessMutex => true,
        Mode::ProcessVec => false,
    }
}

impl Outcome for Counts {
    /// `--json`: per mode, the count the parent sees, and the wall time of the mode no
    /// bench times; the expected count; the lengths the children saw in their own `Vec`s;
    /// the words for every benchmark. A benchmarked mode's wall time is criterion's (the
    /// bench runs the same count with the lab's default sizes and gives a confidence
    /// interval): one quantity, one method, so the lab's own timing of it is shown in the
    /// terminal only.
    fn report(&self) -> Report {
        let results = &self.counted;
        let mut report = Report::new(LAB);
        for r in results {
            let id = r.mode.id();
            if !benchmarked(r.mode) {
                report.push(Record::new(
                    format!("shared-state/{id}"),
                    format!("wall time, {}", label(r.mode)),
                    Unit::Nanoseconds,
                    Summary::single(r.wall.as_nanos() as f64),
                ));
            }
            report.push(Record::count(
                format!("shared-state/{id}-count"),
                format!("count the parent sees, {}", label(r.mode)),
                Unit::Count(Noun::Increments),
                r.count as f64,
            ));
        }
        if let Some(first) = results.first() {
            report.push(Record::count(
                "shared-state/expected",
                "workers × increments",
                Unit::Count(Noun::Increments),
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
                Unit::Count(Noun::Items),
                lens,
            ));
        }
        // What the benchmarks measure, in the words the lab's records would use.
        for mode in Mode::ALL.into_iter().filter(|&mode| benchmarked(mode)) {
            report.describe_benchmark(
                format!("shared-state/{}", mode.id()),
                format!("wall time, {}", label(mode)),
            );
        }
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

    /// A mode that really shares the counter and still lost or invented increments fails
    /// the lab (exit status 1), after the report has shown the counts.
    fn check(&self) -> anyhow::Result<()> {
        let miscounted = self
            .counted
            .iter()
            .filter(|r| r.mode.shares() && r.count != r.expected)
            .count();
        anyhow::ensure!(
            miscounted == 0,
            "{miscounted} {} lost or invented increments",
            if miscounted == 1 { "mode" } else { "modes" }
        );
        Ok(())
    }

    /// The readable report: one row per mode, and what to observe.
    fn render(&self, machine: &Machine) -> String {
        let (workers, increments, results) = (self.workers, self.increments, &self.counted);
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
        let items = |n: f64| {
            if n == 1.0 {
                "1 item".to_owned()
            } else {
                format!("{n} items")
            }
        };
        let children_saw = match lens {
            Some(s) if s.low == s.high => {
                if s.samples == 1 {
                    format!("the one child saw {} in its own", items(s.low))
                } else {
                    format!(
                        "each of the {} children saw {} in its own",
                        s.samples,
                        items(s.low)
                    )
                }
            }
            Some(s) => format!(
                "the children saw between {} and {} in their own",
                s.low,
                items(s.high)
            ),
            None => "no child reported what it saw".to_owned(),
        };
        let mut out = String::new();
        write_heading(&mut out, "shared-state: one counter, five ways", machine);
        out + &format!(
            "Sharing state: {} one to a counter {} \
             (expected total {expected}).\n\n\
             {table}\n\
             What to observe:\n\
             {exact}\n\
             - The parent's Vec has {parent} items, yet {children_saw}: after \
             fork(2) each child pushes into its own copy-on-write copy.\n\
             - With threads, AtomicU64 was {atomic_vs_mutex} Mutex<u64>; with processes, the \
             shared atomic was {proc_atomic_vs_mutex} the pthread mutex.\n\
             - Processes with a shared AtomicU64 were {proc_vs_thread} threads with one \
             (forking and reaping included).\n",
            if workers == 1 {
                "1 worker adds".to_owned()
            } else {
                format!("{workers} workers each add")
            },
            if increments == 1 {
                "once".to_owned()
            } else {
                format!("{increments} times")
            },
            parent = vec.count,
            atomic_vs_mutex = compare(find(Mode::ThreadAtomic), find(Mode::ThreadMutex)),
            proc_atomic_vs_mutex = compare(find(Mode::ProcessAtomic), find(Mode::ProcessMutex)),
            proc_vs_thread = compare(find(Mode::ProcessAtomic), find(Mode::ThreadAtomic)),
        )
    }
}

/// "5.2× faster than" or "1.3× slower than": run `a` compared with run `b`.
fn compare(a: &Counted, b: &Counted) -> String {
    let ratio = b.wall.as_secs_f64() / a.wall.as_secs_f64();
    if ratio >= 1.0 {
        format!("{} faster than", times(ratio))
    } else {
        format!("{} slower than", times(1.0 / ratio))
    }
}
