//! concepts/thread.md: scoped threads borrow the caller's data; the scope joins them.

fn main() {
    // ANCHOR: scoped_threads
    use std::thread;

    let data: Vec<u64> = (1..=1_000).collect();
    let (left, right) = data.split_at(data.len() / 2);

    let total: u64 = thread::scope(|s| {
        let a = s.spawn(|| left.iter().map(|x| x * x).sum::<u64>());
        let b = s.spawn(|| right.iter().map(|x| x * x).sum::<u64>());
        a.join().unwrap() + b.join().unwrap()
    });
    // ANCHOR_END: scoped_threads
    println!("total = {total}");
}
