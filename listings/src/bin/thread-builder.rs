//! concepts/thread.md: a named thread with its own stack size, whose creation can fail.

/// Stands for the thread's work.
fn compute() -> u64 {
    (1..=1_000u64).map(|x| x * x).sum()
}

#[expect(
    clippy::redundant_closure,
    reason = "the page shows the closure that a spawn usually takes"
)]
fn main() -> std::io::Result<()> {
    // ANCHOR: thread_builder
    use std::thread;

    let handle = thread::Builder::new()
        .name("hasher".into())
        .stack_size(4 * 1024 * 1024) // bytes
        .spawn(|| compute())?; // io::Result: creation can fail
    // ANCHOR_END: thread_builder
    let name = handle.thread().name().map(str::to_owned);
    let result = handle.join().expect("the worker panicked");
    println!("thread {name:?} computed {result}");
    Ok(())
}
