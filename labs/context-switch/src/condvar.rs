//! The condvar handoff: a flag under a `Mutex`, with a `Condvar` to wait on. On Linux, std
//! builds both on the futex(2) system call (`library/std/src/sys/sync/mutex/futex.rs` and
//! `library/std/src/sys/sync/condvar/futex.rs`), so a waiting side sleeps in the kernel, as in
//! a pipe read, but no bytes pass through a kernel buffer. std's `Mutex` and `Condvar` cannot
//! be shared between processes, so this handoff runs between threads only.

use anyhow::{bail, ensure};
use std::sync::{Condvar, Mutex};

/// The state a condvar ping-pong shares: whose turn it is, and the counter.
#[derive(Debug, Default)]
pub struct Turn {
    pub counter: u64,
    pub pongs_turn: bool,
    /// Set when ping goes away early, so pong does not wait forever.
    pub stop: bool,
}

#[derive(Debug, Default)]
pub struct Shared {
    pub turn: Mutex<Turn>,
    pub changed: Condvar,
}

// ANCHOR: pong_condvar
/// Pong's side of a condvar ping-pong: wait for its turn, add one, hand the turn back.
pub fn pong_condvar(shared: &Shared, round_trips: u64) -> anyhow::Result<u64> {
    for answered in 0..round_trips {
        let turn = shared
            .turn
            .lock()
            .expect("ping never panics holding the lock");
        let mut turn = shared
            .changed
            .wait_while(turn, |t| !t.pongs_turn && !t.stop)
            .expect("not poisoned");
        if turn.stop {
            bail!("ping stopped after {answered} round trips");
        }
        ensure!(turn.counter == 2 * answered + 1, "counter out of step");
        turn.counter += 1;
        turn.pongs_turn = false;
        drop(turn);
        shared.changed.notify_one();
    }
    Ok(round_trips)
}
// ANCHOR_END: pong_condvar
