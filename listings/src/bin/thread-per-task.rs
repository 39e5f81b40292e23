//! mistakes/too-many-threads.md: the mistake, one thread per task, all started before any
//! is joined. Harmless with the few tasks here; the page's lab runs it with thousands.

/// One small task.
fn run(task: u64) {
    std::hint::black_box(task * task);
}

fn main() {
    use std::thread;

    let tasks = 0..8u64;
    // ANCHOR: thread_per_task
    let handles: Vec<_> = tasks.map(|task| thread::spawn(move || run(task))).collect();
    for handle in handles {
        handle.join().unwrap();
    }
    // ANCHOR_END: thread_per_task
    println!("every task ran");
}
