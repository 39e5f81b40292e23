//! concepts/thread.md: a thread-local counter, one per thread.

// ANCHOR: thread_local
use std::cell::Cell;

thread_local! {
    static CALLS: Cell<u64> = const { Cell::new(0) };
}

fn record_call() {
    CALLS.with(|c| c.set(c.get() + 1)); // touches only this thread's counter
}
// ANCHOR_END: thread_local

fn main() {
    record_call();
    record_call();
    let worker = std::thread::spawn(|| {
        record_call();
        CALLS.with(Cell::get)
    });
    let in_worker = worker.join().expect("the worker panicked");
    println!(
        "main: {} calls, worker: {in_worker} call",
        CALLS.with(Cell::get)
    );
}
