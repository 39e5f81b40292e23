//! differences/comparison.md: a panicking thread comes back as a value from join, and
//! poisons the mutex it held; the process goes on.

fn main() {
    // ANCHOR: poisoned_mutex
    use std::sync::{Arc, Mutex};
    use std::thread;

    let shared = Arc::new(Mutex::new(0));
    let worker_copy = Arc::clone(&shared);

    let result = thread::spawn(move || {
        let _guard = worker_copy.lock().unwrap();
        panic!("worker failed while holding the lock");
    })
    .join();

    assert!(result.is_err()); // the panic came back as a value
    assert!(shared.lock().is_err()); // and the mutex is poisoned
    println!("main is still running");
    // ANCHOR_END: poisoned_mutex
}
