//! CPU-bound work split over workers: the sum of i² for i in 0..n, computed by one thread,
//! by W threads and by W forked processes.
//!
//! The work needs no memory beyond a few registers and no communication until the end, so
//! it is the best case for both threads and processes: each worker can run on its own core
//! from start to finish. What the lab shows is how close each comes to the ideal speed-up,
//! and that in Rust threads get there as well as processes do.

// The whole lab is Linux's (clone, /proc, prctl); off Linux, main.rs says so in one line.
#![cfg(target_os = "linux")]

use anyhow::{Context, ensure};
use clap::ValueEnum;
use kit::spans::{Origin, Recorder, receive};
use kit::timeline::Timeline;
use kit::{Children, Summary};
use nix::fcntl::OFlag;
use nix::unistd::{pipe2, write};
use std::fs::File;
use std::hint::black_box;
use std::io::Read;
use std::ops::Range;
use std::os::fd::OwnedFd;
use std::time::{Duration, Instant};

pub mod report;

/// How the work is done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Mode {
    Sequential,
    Threads,
    Processes,
}

impl Mode {
    pub const ALL: [Mode; 3] = [Mode::Sequential, Mode::Threads, Mode::Processes];

    pub fn name(self) -> &'static str {
        match self {
            Mode::Sequential => "sequential",
            Mode::Threads => "threads",
            Mode::Processes => "processes",
        }
    }

    /// The record id, e.g. `cpu-bound/threads`.
    pub fn id(self) -> String {
        format!("cpu-bound/{}", self.name())
    }

    /// The benchmark of this mode with `workers` workers, by its name in the benchmarks'
    /// `cpu-bound` group (`threads/2`), which makes its record id `cpu-bound/threads/2`.
    pub fn bench_name(self, workers: usize) -> String {
        format!("{}/{workers}", self.name())
    }
}

/// The lab's default N (`--n`). The benchmarks (benches/cpu-bound.rs) sum as many numbers,
/// so that the times the book shows (criterion's, which the lab's `--json` describes) are of
/// the same sum the lab's own run times in the terminal.
pub const DEFAULT_N: u64 = 1_000_000_000;

/// The worker counts the benchmarks run the threads and processes modes with: fixed rather
/// than this machine's cores, so that every machine's results have the same ids.
pub const BENCH_WORKERS: [usize; 3] = [1, 2, 4];

// ANCHOR: work
/// The sum of i² for i in `range`. Arithmetic wraps around at 2⁶⁴ the same way in every
/// mode, so all modes agree for any n, and a large n cannot overflow. Never inlined, so
/// every mode runs the very same machine code.
#[inline(never)]
pub fn sum_of_squares(range: Range<u64>) -> u64 {
    let mut sum = 0u64;
    for i in range {
        // black_box hides `i` from the optimiser: without it, LLVM replaces the whole loop
        // by the closed form n(n-1)(2n-1)/6 and there is no work left to share out.
        let i = black_box(i);
        sum = sum.wrapping_add(i.wrapping_mul(i));
    }
    sum
}
// ANCHOR_END: work

// ANCHOR: split
/// Splits 0..n into `workers` contiguous ranges whose lengths differ by at most one. With
/// more workers than numbers, some ranges are empty.
pub fn split(n: u64, workers: usize) -> Vec<Range<u64>> {
    // u128, because n * k can exceed u64 for a large n.
    let bound = |k: usize| (u128::from(n) * k as u128 / workers as u128) as u64;
    (0..workers).map(|k| bound(k)..bound(k + 1)).collect()
}
// ANCHOR_END: split

// ANCHOR: sequential
pub fn sequential(n: u64) -> u64 {
    sum_of_squares(0..n)
}
// ANCHOR_END: sequential

// ANCHOR: threads
/// Each of `workers` scoped threads sums its own range; each is joined through its handle.
pub fn threads(n: u64, workers: usize) -> u64 {
    std::thread::scope(|scope| {
        let handles: Vec<_> = split(n, workers)
            .into_iter()
            .map(|range| scope.spawn(move || sum_of_squares(range)))
            .collect();
        handles
            .into_iter()
            .map(|handle| handle.join().expect("summing cannot panic"))
            .fold(0, u64::wrapping_add)
    })
}
// ANCHOR_END: threads

// ANCHOR: processes
/// Each of `workers` forked children sums its own range and writes the 8 bytes of its
/// partial sum into a pipe; the parent reads them all and adds them up.
pub fn processes(n: u64, workers: usize) -> anyhow::Result<u64> {
    let ranges = split(n, workers); // allocated before any fork: children may not allocate
    let (from_children, to_parent) = pipe2(OFlag::O_CLOEXEC)?;
    let mut children = Children::new();
    for range in ranges {
        let pipe = &to_parent;
        // SAFETY: the child only does arithmetic and one write(2) to a pipe, both
        // async-signal-safe; it allocates nothing.
        unsafe { children.spawn(move || send_partial(pipe, sum_of_squares(range))) }?;
    }
    // Close our own write end, so reading ends (EOF) once the last child has exited.
    drop(to_parent);
    let partials = read_partials(from_children, workers)?;
    children.wait_all_ok()?;
    Ok(partials.into_iter().fold(0, u64::wrapping_add))
}

/// In the child: one write of 8 bytes, which a pipe delivers whole (pipe(7): writes of at
/// most PIPE_BUF bytes are atomic). Returns the child's exit status.
pub fn send_partial(pipe: &OwnedFd, partial: u64) -> i32 {
    match write(pipe, &partial.to_ne_bytes()) {
        Ok(8) => 0,
        _ => 1,
    }
}

/// In the parent: reads until every child has closed its end, then splits into u64s.
pub fn read_partials(pipe: OwnedFd, workers: usize) -> anyhow::Result<Vec<u64>> {
    let mut bytes = Vec::with_capacity(8 * workers);
    File::from(pipe).read_to_end(&mut bytes)?;
    ensure!(
        bytes.len() == 8 * workers,
        "expected {workers} partial sums, got {} bytes",
        bytes.len()
    );
    Ok(bytes
        .chunks_exact(8)
        .map(|b| u64::from_ne_bytes(b.try_into().expect("chunks of 8")))
        .collect())
}
// ANCHOR_END: processes

/// Spans per worker in a timeline: enough to see a worker's whole run as a row of pieces (and
/// a move to another CPU, if the scheduler makes one), few enough that a span's cost (see
/// `kit::spans`) is lost in its share of the sum.
pub const CHUNKS: usize = 20;

/// The timeline ids in the `--json` report, one per parallel mode.
pub fn timeline_id(mode: Mode) -> String {
    format!("cpu-bound/timeline/{}", mode.name())
}

/// The `k`-th of `chunks` contiguous pieces of `range` (lengths within one), computed without
/// allocating, so a forked child may call it.
pub fn chunk(range: &Range<u64>, k: usize, chunks: usize) -> Range<u64> {
    let len = u128::from(range.end - range.start);
    let bound = |k: usize| range.start + (len * k as u128 / chunks as u128) as u64;
    bound(k)..bound(k + 1)
}

/// A worker's share summed in [`CHUNKS`] spans: the same arithmetic as [`sum_of_squares`] of
/// the whole range, since the sum wraps the same way in any grouping.
fn traced_sum(recorder: &mut Recorder, range: &Range<u64>) -> u64 {
    (0..CHUNKS)
        .map(|k| recorder.span(|| sum_of_squares(chunk(range, k, CHUNKS))))
        .fold(0, u64::wrapping_add)
}

/// [`threads`], with each thread's share recorded as [`CHUNKS`] spans: the sum and the
/// timeline, one lane per thread.
pub fn threads_traced(n: u64, workers: usize) -> (u64, Timeline) {
    let origin = Origin::now();
    std::thread::scope(|scope| {
        let handles: Vec<_> = split(n, workers)
            .into_iter()
            .enumerate()
            .map(|(k, range)| {
                scope.spawn(move || {
                    let mut recorder = Recorder::for_thread(origin, CHUNKS);
                    let sum = traced_sum(&mut recorder, &range);
                    // The lane is taken on the thread itself: its switch counts are its own.
                    (sum, recorder.lane(format!("thread {}", k + 1)))
                })
            })
            .collect();
        let mut timeline = Timeline::default();
        let mut total = 0u64;
        for handle in handles {
            let (sum, lane) = handle.join().expect("summing cannot panic");
            total = total.wrapping_add(sum);
            timeline.lanes.push(lane);
        }
        (total, timeline)
    })
}

/// [`processes`], with each child's share recorded as [`CHUNKS`] spans. Each child has a pipe
/// of its own (two writers on one pipe would interleave their records): it writes its 8-byte
/// partial sum, then its spans (`Recorder::send`); the parent reads each pipe in turn.
pub fn processes_traced(n: u64, workers: usize) -> anyhow::Result<(u64, Timeline)> {
    let origin = Origin::now();
    // Everything a child touches is allocated before any fork: children may not allocate.
    let ranges = split(n, workers);
    let mut pipes = Vec::with_capacity(workers);
    for _ in 0..workers {
        pipes.push(pipe2(OFlag::O_CLOEXEC)?);
    }
    let mut children = Children::new();
    for (range, (_, to_parent)) in ranges.into_iter().zip(&pipes) {
        let mut recorder = Recorder::for_process(origin, CHUNKS);
        // SAFETY: the child does arithmetic, reads the clock and its CPU (clock_gettime,
        // sched_getcpu), getrusage and write(2) into its pipe: no lock and no allocation
        // (kit::spans's module docs), so it is safe after fork even if the lab has threads.
        unsafe {
            children.spawn(move || {
                let sum = traced_sum(&mut recorder, &range);
                let sent = send_partial(to_parent, sum) == 0 && recorder.send(to_parent).is_ok();
                if sent { 0 } else { 1 }
            })
        }?;
    }
    let mut timeline = Timeline::default();
    let mut total = 0u64;
    for (k, (from_child, to_parent)) in pipes.into_iter().enumerate() {
        // Our copy of the write end; the children have theirs.
        drop(to_parent);
        let mut reader = File::from(from_child);
        let mut partial = [0u8; 8];
        reader
            .read_exact(&mut partial)
            .with_context(|| format!("process {} sent no partial sum", k + 1))?;
        total = total.wrapping_add(u64::from_ne_bytes(partial));
        let received = receive(&mut reader, format!("process {}", k + 1))
            .with_context(|| format!("process {} sent no spans", k + 1))?;
        timeline.lanes.push(received.lane);
    }
    children.wait_all_ok()?;
    Ok((total, timeline))
}

/// Runs one mode once and returns its sum.
pub fn run(mode: Mode, n: u64, workers: usize) -> anyhow::Result<u64> {
    Ok(match mode {
        Mode::Sequential => sequential(n),
        Mode::Threads => threads(n, workers),
        Mode::Processes => processes(n, workers)?,
    })
}

/// The closed form n(n-1)(2n-1)/6 of the sum of i² for i in 0..n, wrapped to u64 as the
/// loop wraps; exact for n up to about 5 * 10¹² (where the product still fits in u128).
pub fn closed_form(n: u64) -> u64 {
    let n = u128::from(n);
    let exact = n * n.saturating_sub(1) * (2 * n).saturating_sub(1) / 6;
    exact as u64
}

/// What the lab measured.
#[derive(Debug, Clone)]
pub struct Results {
    pub n: u64,
    pub workers: usize,
    pub cores: usize,
    pub rounds: usize,
    /// The sum every mode computed (they are checked to agree).
    pub sum: u64,
    pub summaries: Vec<(Mode, Summary)>,
    /// The timelines of one more run of the threads and processes modes, under their ids
    /// ([`timeline_id`]); empty unless [`Results::record_timelines`] ran (the `--json` run, or
    /// `--timeline FILE`).
    pub timelines: Vec<(String, Timeline)>,
}

impl Results {
    /// Runs every mode `rounds` times, interleaved (sequential, threads, processes, then
    /// again) so a slow moment of the machine does not land on one mode only. `progress` is
    /// told the round and mode about to run. Fails if two runs disagree on the sum.
    pub fn collect(
        n: u64,
        workers: usize,
        rounds: usize,
        mut progress: impl FnMut(usize, Mode),
    ) -> anyhow::Result<Self> {
        let mut times: Vec<Vec<Duration>> = vec![Vec::with_capacity(rounds); Mode::ALL.len()];
        let mut sum = None;
        for round in 0..rounds {
            for (m, mode) in Mode::ALL.into_iter().enumerate() {
                progress(round, mode);
                let start = Instant::now();
                let got = run(mode, n, workers)?;
                times[m].push(start.elapsed());
                let expected = *sum.get_or_insert(got);
                ensure!(
                    got == expected,
                    "{} computed {got}, but an earlier run computed {expected}",
                    mode.name()
                );
            }
        }
        let summaries = Mode::ALL
            .into_iter()
            .zip(&times)
            .map(|(mode, t)| Ok((mode, Summary::of_durations(t).context("no rounds")?)))
            .collect::<anyhow::Result<_>>()?;
        Ok(Self {
            n,
            workers,
            cores: std::thread::available_parallelism().map_or(1, |c| c.get()),
            rounds,
            sum: sum.context("no rounds")?,
            summaries,
            timelines: Vec::new(),
        })
    }

    /// Runs the threads and the processes mode once more each, recording every worker's
    /// share as spans, after the timed rounds (so the spans cost the timings nothing), and
    /// states in each timeline what recording one span costs on this machine. Fails if either
    /// computes a different sum from the timed runs.
    pub fn record_timelines(&mut self) -> anyhow::Result<()> {
        let span_cost_ns = kit::spans::cost_per_span_ns();
        let traced = [
            (Mode::Threads, threads_traced(self.n, self.workers)),
            (Mode::Processes, processes_traced(self.n, self.workers)?),
        ];
        for (mode, (sum, mut timeline)) in traced {
            ensure!(
                sum == self.sum,
                "{} with spans computed {sum}, but the timed runs computed {}",
                mode.name(),
                self.sum
            );
            timeline.span_cost_ns = Some(span_cost_ns);
            self.timelines.push((timeline_id(mode), timeline));
        }
        Ok(())
    }

    pub fn median(&self, mode: Mode) -> f64 {
        self.summaries
            .iter()
            .find(|(m, _)| *m == mode)
            .map_or(f64::NAN, |(_, s)| s.median)
    }

    /// How many times faster than sequential `mode` was (median against median).
    pub fn speedup(&self, mode: Mode) -> f64 {
        self.median(Mode::Sequential) / self.median(mode)
    }

    /// The best speed-up this run could get: one per worker, but no more than the cores.
    pub fn ideal(&self) -> usize {
        self.workers.min(self.cores)
    }

    /// Speed-up as a fraction of the ideal.
    pub fn efficiency(&self, mode: Mode) -> f64 {
        self.speedup(mode) / self.ideal() as f64
    }
}
