//! Exercise 9 is solved when `pop` goes back to waiting after a wake-up that brought nothing,
//! and still gets every item.

use condvar_loop::Queue;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

/// Waits (politely) until `condition` holds.
fn until(condition: impl Fn() -> bool) {
    while !condition() {
        thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn a_wake_up_with_nothing_to_take_is_not_an_item() {
    let queue = Arc::new(Queue::new());
    let consumer = thread::spawn({
        let queue = Arc::clone(&queue);
        move || queue.pop()
    });
    // Once `pop` has started to wait, wake it with the queue still empty.
    until(|| queue.waits() >= 1);
    queue.wake_for_nothing();
    // A correct `pop` checks the queue, finds it empty and waits again.
    until(|| consumer.is_finished() || queue.waits() >= 2);
    if consumer.is_finished() {
        let outcome = consumer.join();
        panic!(
            "pop returned after a wake-up that brought no item (it {}). A wait can end \
             without the condition being true: check it again after every wake-up.",
            match outcome {
                Ok(item) => format!("returned {item}"),
                Err(_) => "panicked".to_owned(),
            }
        );
    }
    queue.push(42);
    assert_eq!(consumer.join().expect("pop did not panic"), 42);
}

#[test]
fn every_item_reaches_exactly_one_consumer() {
    let queue = Arc::new(Queue::new());
    let consumers: Vec<_> = (0..4)
        .map(|_| {
            let queue = Arc::clone(&queue);
            thread::spawn(move || (0..25).map(|_| queue.pop()).sum::<u64>())
        })
        .collect();
    for item in 1..=100 {
        queue.push(item);
    }
    let total: u64 = consumers
        .into_iter()
        .map(|c| c.join().expect("no consumer panicked"))
        .sum();
    assert_eq!(total, (1..=100).sum::<u64>());
}
