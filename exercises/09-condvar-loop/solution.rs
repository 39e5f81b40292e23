//! Exercise 9: a Condvar wait that survives spurious wake-ups. The solution.
//!
//! A condition variable says "something may have changed", never "your condition holds": the
//! waiter checks its condition in a loop, and waits again while it is false.

mod signal;

pub use signal::Signal;

use std::collections::VecDeque;
use std::sync::{Mutex, PoisonError};

/// A queue between threads: `push` adds an item, `pop` waits for one.
#[derive(Debug, Default)]
pub struct Queue {
    items: Mutex<VecDeque<u64>>,
    changed: Signal,
}

impl Queue {
    pub fn new() -> Self {
        Queue::default()
    }

    /// Adds an item and wakes the waiting threads.
    pub fn push(&self, item: u64) {
        self.items
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push_back(item);
        self.changed.notify_all();
    }

    // ANCHOR: pop
    /// Waits until the queue holds an item, then takes the oldest one.
    pub fn pop(&self) -> u64 {
        let mut items = self.items.lock().unwrap_or_else(PoisonError::into_inner);
        // Whatever woke us, the queue may still be empty: check again each time, and go
        // back to sleep until it is not. (`Condvar::wait_while` is this loop, built in.)
        while items.is_empty() {
            items = self.changed.wait(items);
        }
        items
            .pop_front()
            .expect("the loop ends only when there is an item")
    }
    // ANCHOR_END: pop

    /// Wakes every waiting thread without adding an item: what a spurious wake-up, or a
    /// notification meant for something else, looks like to `pop`. For the tests.
    pub fn wake_for_nothing(&self) {
        let _items = self.items.lock().unwrap_or_else(PoisonError::into_inner);
        self.changed.notify_all();
    }

    /// How many times a thread has started waiting in `pop`, so far. For the tests.
    pub fn waits(&self) -> usize {
        self.changed.waits()
    }
}
