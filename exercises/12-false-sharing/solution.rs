//! Exercise 12: split CPU-bound work without false sharing. The solution.
//!
//! Each thread's slot is aligned to a cache line, so no two threads ever write the same line.
//! (Counting in a local variable and writing the slot once at the end avoids the traffic too;
//! alignment also protects data you cannot keep local.)

use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;

// ANCHOR: slot
/// One thread's count, alone in its cache line: aligned to 64 bytes, the line size of x86-64
/// and most ARM cores, so a `Slot` starts a line and fills it (its size rounds up to 64).
/// Neighbouring slots in a `Vec` never share a line, and each core keeps its own.
#[derive(Debug, Default)]
#[repr(align(64))]
pub struct Slot {
    pub count: AtomicU64,
}
// ANCHOR_END: slot

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

/// Trial division: slow on purpose, so that the work is CPU-bound.
pub fn is_prime(n: u64) -> bool {
    n >= 2
        && (2..)
            .take_while(|d| d * d <= n)
            .all(|d| !n.is_multiple_of(d))
}
