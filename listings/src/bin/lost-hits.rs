//! differences/rust-vs-python.md: atomic load, then store, loses updates without a data race.

fn main() {
    // ANCHOR: lost_hits
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::thread;

    let hits = AtomicU64::new(0);
    thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                for _ in 0..100_000 {
                    let seen = hits.load(Ordering::Relaxed); // read...
                    hits.store(seen + 1, Ordering::Relaxed); // ...then write: updates get lost
                }
            });
        }
    });
    // The total can be less than 4 * 100_000. The fix is one atomic step:
    // hits.fetch_add(1, Ordering::Relaxed);
    // ANCHOR_END: lost_hits
    println!("hits = {} of {}", hits.into_inner(), 4 * 100_000);
}
