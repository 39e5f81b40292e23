//! What an idle thread, an idle process and an idle tokio task cost in memory, and how
//! copy-on-write turns sharing into copies.
//!
//! For each count N (1, 10, 100 and 1000 by default, and up to 100 000 for tasks) a fresh
//! copy of the lab starts N threads, forks N children or spawns N tasks, parks them, and
//! reads what `/proc` says the group costs ([`procmem`]): virtual size, resident size,
//! proportional and unique set sizes, page tables. The marginal cost of one more thread,
//! process or task is the least-squares slope of each size over the counts ([`slope`]): what
//! the group grows by per extra member, with the fixed cost of the lab itself in the
//! intercept.
//!
//! Each count is measured in a fresh copy of the lab ([`measure_in_fresh_process`]), because
//! a process keeps what the previous count left: glibc caches the stacks of finished threads
//! for reuse (nptl/nptl-stack.c), and freed memory is not always returned to the kernel.
//!
//! A thread's stack is reserved, not used: std asks glibc for a stack of
//! `RUST_MIN_STACK` bytes if that variable is set, else `DEFAULT_MIN_STACK_SIZE`
//! (library/std/src/thread/lifecycle.rs, `spawn_unchecked`; the constant is in
//! library/std/src/sys/thread/unix.rs, in the sources of the Rust this book uses; older
//! releases keep them in library/std/src/thread/mod.rs and
//! library/std/src/sys/pal/unix/thread.rs), and
//! `Builder::stack_size` overrides both. glibc maps the whole stack at once, with a guard
//! page below it (nptl/allocatestack.c), but the kernel gives a page of it memory only when
//! the thread first touches it. [`idle::park_threads`] finds each thread's stack mapping
//! and reads its reserved and resident size.
//!
//! A task has no stack of its own: it is its future, the state machine the compiler makes
//! of an `async` block (its size known at compile time, [`idle::future_bytes`]), moved by
//! `tokio::spawn` into one heap allocation with tokio's task header and trailer (`Cell` in
//! tokio's src/runtime/task/core.rs, allocated by `Box::new` in `Cell::new`, called from
//! `RawTask::new` in src/runtime/task/raw.rs). [`idle::park_tasks`] runs them on a
//! current-thread runtime, so the group has no threads but the lab's own.
//!
//! The copy-on-write run ([`cow`]) reads parent and child PSS around a fork and around the
//! child's writes to an inherited heap.
//!
//! What `/proc/PID` does not show: the kernel's own memory for each task. Every thread and
//! every process has a kernel stack (`THREAD_SIZE`: on x86-64, `PAGE_SIZE <<
//! THREAD_SIZE_ORDER`, arch/x86/include/asm/page_64_types.h) and a `task_struct` from the
//! `task_struct` slab cache (kernel/fork.c, `alloc_task_struct_node`). They are counted only
//! machine-wide: `KernelStack` in `/proc/meminfo` (proc.rst: "Memory consumed by the kernel
//! stacks of all tasks") and the `task_struct` line of `/proc/slabinfo`. The lab reports no
//! number for them.

// The whole lab is Linux's (clone, /proc, prctl); off Linux, main.rs says so in one line.
#![cfg(target_os = "linux")]

pub mod cow;
pub mod idle;
pub mod limits;
pub mod procmem;
pub mod report;

use anyhow::{bail, ensure};
use cow::CowRun;
use idle::{Kind, Sample};
use limits::Room;
use procmem::Footprint;
use serde::de::DeserializeOwned;

/// The lab's name: the prefix of every record id.
pub const LAB: &str = "memory-cost";

/// std's default stack for a spawned thread on Linux (`DEFAULT_MIN_STACK_SIZE`,
/// library/std/src/sys/thread/unix.rs), used when neither `Builder::stack_size` nor
/// `RUST_MIN_STACK` says otherwise.
pub const STD_DEFAULT_STACK: usize = 2 * 1024 * 1024;

/// The counts measured by default, for threads and for processes alike; a count the machine
/// has no room for is left out (see [`limits`]).
pub const DEFAULT_COUNTS: [usize; 4] = [1, 10, 100, 1000];

/// The counts of tasks measured by default: a task is small, so a few hundred bytes each
/// stand out of the lab's own noise only at larger counts.
pub const DEFAULT_TASK_COUNTS: [usize; 6] = [1, 10, 100, 1000, 10_000, 100_000];

/// The copy-on-write heap by default, in MiB.
pub const DEFAULT_COW_MIB: usize = 128;

/// The five sizes read for every group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    VmSize,
    Rss,
    Pss,
    Uss,
    Pte,
}

impl Metric {
    pub const ALL: [Metric; 5] = [
        Metric::VmSize,
        Metric::Rss,
        Metric::Pss,
        Metric::Uss,
        Metric::Pte,
    ];

    /// The metric's part of a record id.
    pub fn name(self) -> &'static str {
        match self {
            Metric::VmSize => "vm-size",
            Metric::Rss => "rss",
            Metric::Pss => "pss",
            Metric::Uss => "uss",
            Metric::Pte => "pte",
        }
    }

    /// Where it comes from, in words.
    pub fn what(self) -> &'static str {
        match self {
            Metric::VmSize => "virtual size (VmSize)",
            Metric::Rss => "resident size (VmRSS)",
            Metric::Pss => "proportional set size (Pss)",
            Metric::Uss => "unique set size (Private_Clean + Private_Dirty)",
            Metric::Pte => "page tables (VmPTE)",
        }
    }

    pub fn of(self, footprint: &Footprint) -> u64 {
        match self {
            Metric::VmSize => footprint.vm_size,
            Metric::Rss => footprint.rss,
            Metric::Pss => footprint.pss,
            Metric::Uss => footprint.uss,
            Metric::Pte => footprint.pte,
        }
    }
}

/// `memory-cost/pss/threads/100`: one size of one group.
pub fn sample_id(metric: Metric, kind: Kind, count: usize) -> String {
    format!("{LAB}/{}/{}/{count}", metric.name(), kind.name())
}

/// `memory-cost/marginal/threads/rss`: one size's cost per extra thread or process.
pub fn marginal_id(kind: Kind, metric: Metric) -> String {
    format!("{LAB}/marginal/{}/{}", kind.name(), metric.name())
}

/// The stack each thread asks for: `stack` (from `Builder::stack_size`) if given, else
/// `RUST_MIN_STACK` if it parses, else std's default, as std itself decides.
pub fn stack_request(stack: Option<usize>) -> usize {
    stack.unwrap_or_else(|| {
        std::env::var("RUST_MIN_STACK")
            .ok()
            .and_then(|value| value.parse().ok())
            .unwrap_or(STD_DEFAULT_STACK)
    })
}

/// What to measure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Thread counts; `None` for [`DEFAULT_COUNTS`], of which what does not fit is dropped.
    pub threads: Option<Vec<usize>>,
    /// Process counts, likewise.
    pub processes: Option<Vec<usize>>,
    /// Task counts; `None` for [`DEFAULT_TASK_COUNTS`], of which what does not fit is dropped.
    pub tasks: Option<Vec<usize>>,
    /// Each thread's stack, in bytes (`Builder::stack_size`); `None` for std's choice.
    pub stack: Option<usize>,
    pub cow_mib: usize,
}

/// The counts that will run, after the limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub threads: Vec<usize>,
    pub processes: Vec<usize>,
    pub tasks: Vec<usize>,
    /// Default counts left out, with the reason.
    pub dropped: Vec<(Kind, usize, String)>,
}

// ANCHOR: plan
/// Checks every count against the machine's room before anything starts. A count given on
/// the command line that does not fit is an error naming its flag; a default count that
/// does not fit is left out (a small machine measures fewer), as long as two remain to fit
/// a slope through.
pub fn plan(settings: &Settings, room: &Room) -> anyhow::Result<Plan> {
    let stack = stack_request(settings.stack);
    let mut dropped = Vec::new();
    let mut counts = |kind: Kind, given: &Option<Vec<usize>>| -> anyhow::Result<Vec<usize>> {
        let Some(given) = given else {
            let defaults = match kind {
                Kind::Tasks => &DEFAULT_TASK_COUNTS[..],
                Kind::Threads | Kind::Processes => &DEFAULT_COUNTS[..],
            };
            let (fit, refused): (Vec<usize>, Vec<usize>) = defaults
                .iter()
                .copied()
                .partition(|&n| room.refusal(kind, n, stack).is_none());
            for n in refused {
                let why = room.refusal(kind, n, stack).unwrap_or_default();
                dropped.push((kind, n, why));
            }
            ensure!(
                fit.len() >= 2,
                "this machine has room for fewer than two of the default {} counts: {}",
                kind.name(),
                dropped.last().map_or("", |d| d.2.as_str())
            );
            return Ok(fit);
        };
        for &n in given {
            if let Some(why) = room.refusal(kind, n, stack) {
                bail!("--{} {n}: {why}", kind.name());
            }
        }
        Ok(given.clone())
    };
    let threads = counts(Kind::Threads, &settings.threads)?;
    let processes = counts(Kind::Processes, &settings.processes)?;
    let tasks = counts(Kind::Tasks, &settings.tasks)?;
    if let Some(why) = room.cow_refusal(settings.cow_mib) {
        bail!("--cow-mib {}: {why}", settings.cow_mib);
    }
    Ok(Plan {
        threads,
        processes,
        tasks,
        dropped,
    })
}
// ANCHOR_END: plan

// ANCHOR: fresh_process
/// Runs a fresh copy of the lab with `args` (a hidden `--measure …`) and reads the JSON it
/// prints. The copy dies with the lab (`kit::command::myself`: `PR_SET_PDEATHSIG`, and its
/// children die with it the same way), and `read_json` reaps it before this returns.
pub fn measure_in_fresh_process<T: DeserializeOwned>(args: &[String]) -> anyhow::Result<T> {
    kit::command::read_json(kit::command::myself()?.args(args), &args.join(" "))
}
// ANCHOR_END: fresh_process

// ANCHOR: slope
/// The least-squares slope of `y` over `x`: what `y` grows by per unit of `x`, using every
/// point. `None` with fewer than two distinct `x`.
pub fn slope(points: &[(f64, f64)]) -> Option<f64> {
    let n = points.len() as f64;
    let mean_x = points.iter().map(|p| p.0).sum::<f64>() / n;
    let mean_y = points.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = points.iter().map(|p| (p.0 - mean_x).powi(2)).sum();
    let sxy: f64 = points.iter().map(|p| (p.0 - mean_x) * (p.1 - mean_y)).sum();
    (sxx > 0.0).then(|| sxy / sxx)
}
// ANCHOR_END: slope

/// One run of the lab.
#[derive(Debug, Clone, PartialEq)]
pub struct Results {
    /// Every group measured, threads, then processes, then tasks, in count order.
    pub samples: Vec<Sample>,
    /// The size of an idle task's future ([`idle::future_bytes`]).
    pub future_bytes: usize,
    pub cow: CowRun,
    /// The stack each thread asked for, in bytes.
    pub stack_request: usize,
    pub dropped: Vec<(Kind, usize, String)>,
}

impl Results {
    /// The groups of one kind.
    pub fn of(&self, kind: Kind) -> impl Iterator<Item = &Sample> {
        self.samples.iter().filter(move |s| s.kind == kind)
    }

    /// What `metric` grows by per extra thread or process: the least-squares slope over the
    /// counts measured.
    pub fn marginal(&self, kind: Kind, metric: Metric) -> Option<f64> {
        let points: Vec<(f64, f64)> = self
            .of(kind)
            .map(|s| (s.count as f64, metric.of(&s.footprint) as f64))
            .collect();
        slope(&points)
    }

    /// The thread stacks of the largest thread count.
    pub fn stacks(&self) -> Option<idle::Stacks> {
        self.of(Kind::Threads)
            .max_by_key(|s| s.count)
            .and_then(|s| s.stacks)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_slope_is_the_growth_per_unit() {
        let line = [(1.0, 110.0), (10.0, 200.0), (100.0, 1100.0)];
        assert!((slope(&line).unwrap() - 10.0).abs() < 1e-9);
        assert_eq!(slope(&[(5.0, 1.0), (5.0, 2.0)]), None);
    }

    fn room(tasks_left: u64) -> Room {
        Room {
            tasks_left: Some(tasks_left),
            mem_available: 64 << 30,
            max_map_count: Some(65_530),
            address_space: None,
        }
    }

    #[test]
    fn a_small_machine_drops_default_counts_and_refuses_given_ones() {
        let defaults = Settings {
            threads: None,
            processes: None,
            tasks: None,
            stack: Some(STD_DEFAULT_STACK),
            cow_mib: 64,
        };
        let plan = plan(&defaults, &room(300)).unwrap();
        assert_eq!(plan.threads, [1, 10, 100]);
        assert_eq!(plan.processes, [1, 10, 100]);
        assert_eq!(plan.tasks, DEFAULT_TASK_COUNTS, "tasks are no kernel tasks");
        assert_eq!(plan.dropped.len(), 2);
        let given = Settings {
            processes: Some(vec![1, 500]),
            ..defaults.clone()
        };
        let err = super::plan(&given, &room(300)).unwrap_err().to_string();
        assert!(err.starts_with("--processes 500: "), "{err}");
        let cow = Settings {
            cow_mib: 1 << 20,
            ..defaults
        };
        let err = super::plan(&cow, &room(300)).unwrap_err().to_string();
        assert!(err.starts_with("--cow-mib "), "{err}");
    }

    #[test]
    fn the_stack_request_is_the_builder_s_then_the_default() {
        assert_eq!(stack_request(Some(65536)), 65536);
    }
}
