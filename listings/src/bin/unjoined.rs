//! mistakes/join.md: the mistake, a `main` that starts workers and returns without joining
//! them. The process exits when `main` returns, and the workers with it, mid-work.

use std::thread;
use std::time::Duration;

/// One worker: some work (here a sleep), then its result (a line on stdout).
fn worker(id: usize, work: Duration) {
    thread::sleep(work);
    println!("worker {id}: done");
}

fn main() {
    let workers = 4;
    // Far longer than `main` takes to return, so no worker gets to print.
    let work = Duration::from_secs(60);
    // ANCHOR: unjoined
    for id in 0..workers {
        thread::spawn(move || worker(id, work));
    }
    // main returns here, without joining
    // ANCHOR_END: unjoined
    println!("main: returning without joining");
}
