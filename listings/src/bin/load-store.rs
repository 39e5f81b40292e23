//! mistakes/race.md: a race condition in safe Rust. Every access is atomic (no data race,
//! no undefined behaviour), but load, then store, is two steps, and updates get lost.

use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;

/// One increment, in two atomic steps: another thread's store can land between them.
fn add_one(counter: &AtomicU64) {
    // ANCHOR: load_store
    let seen = counter.load(Ordering::Relaxed);
    counter.store(seen + 1, Ordering::Relaxed);
    // ANCHOR_END: load_store
}

fn main() {
    let counter = AtomicU64::new(0);
    thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                for _ in 0..100_000 {
                    add_one(&counter);
                }
            });
        }
    });
    println!("counter = {} of {}", counter.into_inner(), 4 * 100_000);
}
