//! The work every run does, and how it is cut into a serial part and a parallel part.
//!
//! A run sums i² for i in `0..total` (wrapping at 2⁶⁴, as the cpu-bound lab does). The first
//! and the last few numbers form the serial part, which one worker (the lab's own thread)
//! sums before and after the parallel part; the numbers in between are split evenly over W
//! workers. Every number costs the same, so the serial fraction of the work is also the
//! serial fraction of the one-worker run's time: the `s` of Amdahl's law.

use std::ops::Range;

// ANCHOR: plan
/// How much work a run does: `serial` numbers that one worker sums (half before the
/// parallel part, half after it) and `parallel` numbers split over the workers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    pub serial: u64,
    pub parallel: u64,
}

impl Plan {
    /// `work` numbers, `serial_percent` of them serial.
    pub fn new(work: u64, serial_percent: u32) -> Self {
        // u128: work × 100 can exceed u64 for the largest --work.
        let serial = (u128::from(work) * u128::from(serial_percent) / 100) as u64;
        Self {
            serial,
            parallel: work - serial,
        }
    }

    /// Gustafson's run: the same serial part, and a parallel part W times as large, so each
    /// of the W workers gets as much as the one worker of the W = 1 run.
    pub fn scaled(self, workers: usize) -> Self {
        Self {
            serial: self.serial,
            parallel: self.parallel * workers as u64,
        }
    }

    pub fn total(self) -> u64 {
        self.serial + self.parallel
    }

    /// The serial fraction s of this plan: serial ÷ total.
    pub fn serial_fraction(self) -> f64 {
        self.serial as f64 / self.total() as f64
    }

    /// The numbers a run with `workers` workers sums: the serial part before, one range per
    /// worker (lengths within one of each other), the serial part after. Together they are
    /// `0..total`, each number exactly once.
    pub fn ranges(self, workers: usize) -> (Range<u64>, Vec<Range<u64>>, Range<u64>) {
        let start = self.serial / 2;
        let end = start + self.parallel;
        // u128, because parallel × k can exceed u64.
        let bound =
            |k: usize| start + (u128::from(self.parallel) * k as u128 / workers as u128) as u64;
        let parts = (0..workers).map(|k| bound(k)..bound(k + 1)).collect();
        (0..start, parts, end..self.total())
    }
}
// ANCHOR_END: plan

/// The sum of i² for i in `range`: the CPU-bound lab's own loop (labs/cpu-bound/src/lib.rs,
/// wrapping at 2⁶⁴ so that any cut of the numbers gives the same total, and never inlined,
/// so that every part of every run executes the same machine code), so the two labs measure
/// the very same work.
pub use cpu_bound::sum_of_squares;

/// The closed form n(n-1)(2n-1)/6 of the sum of i² for i in 0..n, wrapped to u64 as the loop
/// wraps: what every run must compute, whatever W (exact while the product fits in u128, n up
/// to about 5 × 10¹², which `--work` and the scaled runs stay below).
pub fn closed_form(n: u64) -> u64 {
    let n = u128::from(n);
    (n * n.saturating_sub(1) * (2 * n).saturating_sub(1) / 6) as u64
}
