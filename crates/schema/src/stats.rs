//! The median and spread of repeated measurements.
//!
//! Labs report medians, not means: one slow sample (a page fault, the scheduler running
//! something else) moves a mean a long way and a median hardly at all.

use serde::{Deserialize, Serialize};
use std::time::{Duration, Instant};

/// Median of a set of samples, with the fastest and slowest as its spread.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub median: f64,
    pub low: f64,
    pub high: f64,
    pub samples: u64,
}

impl Summary {
    /// Summarises samples (any unit). Returns `None` for an empty set.
    pub fn of(samples: &[f64]) -> Option<Self> {
        let mut sorted: Vec<f64> = samples.iter().copied().filter(|s| s.is_finite()).collect();
        if sorted.is_empty() {
            return None;
        }
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        let median = if n % 2 == 1 {
            sorted[n / 2]
        } else {
            (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
        };
        Some(Self {
            median,
            low: sorted[0],
            high: sorted[n - 1],
            samples: n as u64,
        })
    }

    /// Summarises durations in nanoseconds.
    pub fn of_durations(samples: &[Duration]) -> Option<Self> {
        let nanos: Vec<f64> = samples.iter().map(|d| d.as_nanos() as f64).collect();
        Self::of(&nanos)
    }

    /// A single observation (a count, a sum): median, low and high are all `value`.
    pub fn single(value: f64) -> Self {
        Self {
            median: value,
            low: value,
            high: value,
            samples: 1,
        }
    }
}

/// Runs `op` `rounds` times and returns each run's wall time.
pub fn time_each(rounds: usize, mut op: impl FnMut()) -> Vec<Duration> {
    (0..rounds)
        .map(|_| {
            let start = Instant::now();
            op();
            start.elapsed()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::Summary;

    #[test]
    fn median_of_odd_and_even_sets() {
        let odd = Summary::of(&[5.0, 1.0, 3.0]).unwrap();
        assert_eq!(
            (odd.median, odd.low, odd.high, odd.samples),
            (3.0, 1.0, 5.0, 3)
        );
        let even = Summary::of(&[4.0, 1.0, 3.0, 2.0]).unwrap();
        assert_eq!(even.median, 2.5);
        assert!(Summary::of(&[]).is_none());
    }
}
