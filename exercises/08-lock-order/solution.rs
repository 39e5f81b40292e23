//! Exercise 8: break a deadlock by lock ordering. The solution.
//!
//! Every thread takes the locks in one global order, by account id. A thread waiting for a
//! lock then only ever waits for a thread that is further along the order, so no cycle of
//! threads waiting for each other can form.

mod bank;

pub use bank::{Account, Balance, deadlock, take_lock_order};

// ANCHOR: transfer
/// Moves `amount` from one account to another. Both balances stay locked for the whole
/// transfer, so that nobody ever sees the money in neither account, or in both.
pub fn transfer(from: &Account, to: &Account, amount: i64) {
    // Locking one account twice would wait for ourselves: refuse it.
    assert_ne!(
        from.id(),
        to.id(),
        "a transfer needs two different accounts"
    );
    // The smaller id first, whichever way the money goes.
    let (mut from_balance, mut to_balance) = if from.id() < to.id() {
        let from_balance = from.lock();
        (from_balance, to.lock())
    } else {
        let to_balance = to.lock();
        (from.lock(), to_balance)
    };
    *from_balance -= amount;
    *to_balance += amount;
}
// ANCHOR_END: transfer
