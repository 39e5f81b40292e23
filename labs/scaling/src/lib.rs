//! How CPU-bound work scales with the number of workers, and where it stops.
//!
//! Every run sums i² over the same numbers; a tunable share of them (`--serial-percent`) is
//! summed by one worker before and after the rest is split over W workers. The lab runs that
//! for W = 1, 2, … up to twice the cores it may use (`std::thread::available_parallelism`),
//! as scoped threads and as forked processes, and reports for every W:
//!
//! - the wall time (median of the rounds) and the speed-up T(1) ÷ T(W);
//! - Amdahl's prediction 1 / (s + (1 − s)/W) for the configured s and for the s fitted to the
//!   measured speed-ups by least squares ([`law`]);
//! - the workers' involuntary context switches (getrusage(2), [`workers`]): past the core
//!   count the workers take turns on the cores, the speed-up stops growing, and the kernel
//!   preempts them where before it had no reason to;
//! - Gustafson's scaled speed-up: a second series whose parallel part grows with W.
//!
//! Why the lab times the sweep itself, with no criterion bench: every speed-up, the fitted
//! fraction and the predictions are computed from the sweep's points, so all the points must
//! come from one method and one run (a bench would give some of them a second source). The
//! rounds are interleaved over the whole curve, and each run is checked against the closed
//! form of the sum, so a point cannot come from a run that skipped work.
//!
//! The modules, one concept each: [`work`] (the plan and the loop), [`workers`] (one run as
//! threads or as processes), [`law`] (Amdahl, Gustafson, the fit), [`sweep`] (the rounds
//! and what is derived from them), [`report`] (records and the readable report).

// The whole lab is Linux's (clone, /proc, prctl); off Linux, main.rs says so in one line.
#![cfg(target_os = "linux")]

pub mod law;
pub mod report;
pub mod sweep;
pub mod work;
pub mod workers;

pub use law::{amdahl, fit_serial_fraction, gustafson};
pub use sweep::{Config, Kind, Point, Results, Series, worker_counts};
pub use work::{Plan, closed_form, sum_of_squares};
pub use workers::{Run, involuntary_switches, processes, threads};

/// The lab's default `--work`: numbers summed by one worker in the fixed series, about a
/// tenth of a second on a current core.
pub const DEFAULT_WORK: u64 = 300_000_000;

/// The most `--work` may be: with 256 workers the scaled series then sums up to
/// 2.56 × 10¹² numbers, below where [`closed_form`]'s u128 product would overflow.
pub const MAX_WORK: u64 = 10_000_000_000;

/// The default largest W: twice the cores, so the curve shows as many points past the core
/// count as before it; capped, so a big machine's default run stays short.
pub fn default_max_workers(cores: usize) -> usize {
    (2 * cores).clamp(2, 64)
}

/// The cores this process may use.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |c| c.get())
}
