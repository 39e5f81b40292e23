//! Exercise 8 is solved when `transfer` takes its locks in one order, whatever the direction,
//! and opposite transfers running at once all finish.

use lock_order::{Account, deadlock, take_lock_order, transfer};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Duration;

// Any one order will do (ids, addresses), so the test checks only that both directions agree.
#[test]
fn both_directions_lock_in_the_same_order() {
    let (one, two) = (Account::new(1, 100), Account::new(2, 100));
    take_lock_order();
    transfer(&one, &two, 10);
    let forward = take_lock_order();
    transfer(&two, &one, 10);
    let backward = take_lock_order();
    assert!(
        forward.len() == 2 && forward == backward,
        "transfer(1 → 2) locked accounts {forward:?} in that order, and transfer(2 → 1) \
         locked {backward:?}. Two threads doing both at once can each get their first lock \
         and wait forever for their second; lock the two accounts in the same order either \
         way, for example account 1 before account 2."
    );
    assert_eq!((one.balance(), two.balance()), (100, 100));
}

#[test]
fn opposite_transfers_at_the_same_time_all_finish() {
    let one = Arc::new(Account::new(11, 1_000));
    let two = Arc::new(Account::new(12, 1_000));
    let start = Arc::new(Barrier::new(2));
    let worker = |name: &str, from: &Arc<Account>, to: &Arc<Account>| {
        let (from, to, start) = (Arc::clone(from), Arc::clone(to), Arc::clone(&start));
        thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || {
                start.wait();
                for _ in 0..2_000 {
                    transfer(&from, &to, 1);
                }
            })
            .expect("a thread starts")
    };
    let workers = [
        worker("paying 11 → 12", &one, &two),
        worker("paying 12 → 11", &two, &one),
    ];
    // Watch until both are done. Deadlocked threads never are: give up on them (they stay
    // blocked until the test program exits) and say what each one holds and waits for.
    while !workers.iter().all(|w| w.is_finished()) {
        if let Some(cycle) = deadlock() {
            panic!("deadlock: {cycle}. Neither thread can ever go on.");
        }
        thread::sleep(Duration::from_millis(1));
    }
    for worker in workers {
        worker.join().expect("no transfer panicked");
    }
    assert_eq!(
        (one.balance(), two.balance()),
        (1_000, 1_000),
        "2000 payments each way leave both balances where they started"
    );
}
