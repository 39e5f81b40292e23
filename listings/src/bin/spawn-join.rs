//! concepts/thread.md: spawn a thread that computes a value, and join it to get the value.

fn main() {
    // ANCHOR: spawn_join
    use std::thread;

    let handle = thread::spawn(|| (1..=1_000u64).map(|x| x * x).sum::<u64>());
    // ... the main thread can do other work here ...
    let sum = handle.join().expect("the worker panicked");
    // ANCHOR_END: spawn_join
    println!("sum = {sum}");
}
