//! A condition variable that counts its waits (no need to change anything here). It is a
//! `std::sync::Condvar` underneath; the count lets the tests see when a thread is waiting, so
//! that they can wake it at exactly that moment instead of hoping to.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, MutexGuard, PoisonError};

#[derive(Debug, Default)]
pub struct Signal {
    condvar: Condvar,
    waits: AtomicUsize,
}

impl Signal {
    /// Unlocks `guard`, sleeps until woken, locks again and returns the guard, like
    /// `Condvar::wait`. Whatever the waiter was waiting for may or may not be true now.
    pub fn wait<'a, T>(&self, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
        // Counted while the lock is still held: whoever sees the new count and then takes
        // the lock knows that this thread is asleep in `wait`.
        self.waits.fetch_add(1, Ordering::SeqCst);
        self.condvar
            .wait(guard)
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Wakes every thread waiting on this signal.
    pub fn notify_all(&self) {
        self.condvar.notify_all();
    }

    /// How many times a thread has started waiting, so far.
    pub fn waits(&self) -> usize {
        self.waits.load(Ordering::SeqCst)
    }
}
