//! Exercise 2: fix the lost-update race. The solution.
//!
//! `fetch_add` reads, adds and writes as one indivisible step: no other thread can write in
//! between, so no update is lost.

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
                    // One atomic read-modify-write. `Relaxed` is enough: the threads only
                    // need to agree on this counter, and `scope` joins them all before we
                    // read the total.
                    counter.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
    });
    counter.into_inner()
}
// ANCHOR_END: count
