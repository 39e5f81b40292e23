//! Exercise 9: a Condvar wait that survives spurious wake-ups.
//!
//! `Queue::pop` waits for an item and takes it. It assumes that when its wait returns, an
//! item is there. But a wait can return with the queue still empty, and then `pop` panics.
//! Make it wait until there really is an item. Run `cargo book exercises` to check.
//! Chapter: "What a thread is" (src/concepts/thread.md), and the docs of
//! `std::sync::Condvar`.

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
        // TODO: `wait` can return while the queue is still empty: the Condvar docs allow
        // spurious wake-ups, another thread may have taken the item first, and whoever
        // shares the condvar may notify for other reasons. Check again after every wake-up,
        // and wait again while there is nothing to take.
        if items.is_empty() {
            items = self.changed.wait(items);
        }
        items.pop_front().expect("woken up, so there is an item")
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
