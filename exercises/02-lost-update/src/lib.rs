//! Exercise 2: fix the lost-update race.
//!
//! Several threads each add one to a shared counter, many times. The counter ends up short:
//! some additions are lost. Make every addition count. Run `cargo book exercises` to check.
//! Chapter: "The data race" (src/mistakes/race.md).

use std::sync::Barrier;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;

// ANCHOR: count
/// `workers` threads each add one to a shared counter `increments` times; returns the total,
/// which should be `workers × increments`.
pub fn count(workers: usize, increments: u64) -> u64 {
    let counter = AtomicU64::new(0);
    let start = Barrier::new(workers);
    thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                start.wait(); // every worker starts at once, so that they overlap
                for _ in 0..increments {
                    // TODO: this reads, then writes: two steps. Another worker can write
                    // between them, and then this store overwrites its update. Make the
                    // addition one indivisible step. (The yield only widens the window, so
                    // that the race shows on every run.)
                    let seen = counter.load(Ordering::Relaxed);
                    thread::yield_now();
                    counter.store(seen + 1, Ordering::Relaxed);
                }
            });
        }
    });
    counter.into_inner()
}
// ANCHOR_END: count
