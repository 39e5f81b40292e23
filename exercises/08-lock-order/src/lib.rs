//! Exercise 8: break a deadlock by lock ordering.
//!
//! `transfer` locks both accounts, then moves the money. One thread paying from account 1 to
//! account 2 while another pays from 2 to 1 can each lock its first account and then wait for
//! the other's, forever: a deadlock. Make `transfer` deadlock-free. Run `cargo book exercises`
//! to check. Chapters: "Sharing state" (src/labs/shared-state.md) for locks shared by threads,
//! and "What a thread is" (src/concepts/thread.md).

mod bank;

pub use bank::{Account, Balance, deadlock, take_lock_order};

// ANCHOR: transfer
/// Moves `amount` from one account to another. Both balances stay locked for the whole
/// transfer, so that nobody ever sees the money in neither account, or in both.
pub fn transfer(from: &Account, to: &Account, amount: i64) {
    // TODO: `transfer(a, b)` locks a then b, and `transfer(b, a)` locks b then a. Run both at
    // once and each thread can hold its first lock while it waits for the second. Take the
    // two locks in the same order whatever the direction: the account with the smaller id
    // first.
    let mut from_balance = from.lock();
    let mut to_balance = to.lock();
    *from_balance -= amount;
    *to_balance += amount;
}
// ANCHOR_END: transfer
