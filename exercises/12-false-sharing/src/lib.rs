//! Exercise 12: split CPU-bound work without false sharing.
//!
//! `count_primes` splits the numbers between threads, and each thread counts the primes it
//! finds in a slot of its own. Nothing is shared, and yet the threads get in each other's
//! way: the slots sit side by side in memory, several in one cache line, and a core must own
//! a whole line to write any byte of it. Each count takes the line away from the other
//! cores. (Here the counts are rare, so the cost is too small to time; in a tight loop it is
//! not.) Give each slot a cache line of its own. Run `cargo book exercises` to check.
//! Chapter: the interview answer "What is false sharing?" (src/interview/index.md, Q19).

use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;

// ANCHOR: slot
/// One thread's count.
// TODO: a `Slot` is 8 bytes, so eight of them share one 64-byte cache line. Make each slot
// take (at least) a whole cache line: align the type to 64 bytes, `#[repr(align(64))]`.
#[derive(Debug, Default)]
pub struct Slot {
    pub count: AtomicU64,
}
// ANCHOR_END: slot

// ANCHOR: count_primes
/// Counts the primes below `limit` with `threads` threads: thread `t` checks the numbers
/// `t, t + threads, t + 2 × threads, …` and counts in `slots[t]`.
pub fn count_primes(limit: u64, threads: usize) -> u64 {
    let slots: Vec<Slot> = (0..threads).map(|_| Slot::default()).collect();
    thread::scope(|s| {
        for (first, slot) in slots.iter().enumerate() {
            s.spawn(move || {
                for n in (first as u64..limit).step_by(threads) {
                    if is_prime(n) {
                        slot.count.fetch_add(1, Ordering::Relaxed);
                    }
                }
            });
        }
    });
    slots
        .iter()
        .map(|slot| slot.count.load(Ordering::Relaxed))
        .sum()
}
// ANCHOR_END: count_primes

/// Trial division: slow on purpose, so that the work is CPU-bound.
pub fn is_prime(n: u64) -> bool {
    n >= 2
        && (2..)
            .take_while(|d| d * d <= n)
            .all(|d| !n.is_multiple_of(d))
}
