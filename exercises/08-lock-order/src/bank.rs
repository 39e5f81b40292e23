//! Accounts whose locks keep a record (no need to change anything here). Each lock and unlock
//! is noted in a table of who holds what and who waits for what, so that the tests can see
//! in which order `transfer` takes its locks, and recognise a deadlock when one happens
//! instead of hanging forever.

use std::cell::RefCell;
use std::collections::HashMap;
use std::ops::{Deref, DerefMut};
use std::sync::{LazyLock, Mutex, MutexGuard, PoisonError, TryLockError};
use std::thread::{self, ThreadId};

/// A bank account: an id, and a balance behind a lock.
#[derive(Debug)]
pub struct Account {
    id: u32,
    balance: Mutex<i64>,
}

/// An account's balance, locked: it dereferences to the balance, and unlocks when dropped.
pub struct Balance<'a> {
    account: &'a Account,
    guard: Option<MutexGuard<'a, i64>>,
}

impl Account {
    pub fn new(id: u32, balance: i64) -> Self {
        Account {
            id,
            balance: Mutex::new(balance),
        }
    }

    /// Every account has its own id: the order in which to lock accounts.
    pub fn id(&self) -> u32 {
        self.id
    }

    /// Locks the balance, waiting while another thread holds it.
    pub fn lock(&self) -> Balance<'_> {
        let guard = match self.balance.try_lock() {
            Ok(guard) => guard,
            Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
            Err(TryLockError::WouldBlock) => {
                record_of_this_thread(&mut table()).waits_for = Some(self.id);
                self.balance.lock().unwrap_or_else(PoisonError::into_inner)
            }
        };
        {
            let mut table = table();
            let record = record_of_this_thread(&mut table);
            record.waits_for = None;
            record.holds.push(self.id);
        }
        ORDER.with(|order| order.borrow_mut().push(self.id));
        // Give the other threads a chance to run between this lock and the next: it makes a
        // wrong order deadlock on (nearly) every run, not once in a while.
        thread::yield_now();
        Balance {
            account: self,
            guard: Some(guard),
        }
    }

    /// The balance, read under the lock.
    pub fn balance(&self) -> i64 {
        *self.lock()
    }
}

impl Deref for Balance<'_> {
    type Target = i64;
    fn deref(&self) -> &i64 {
        self.guard.as_ref().expect("locked until dropped")
    }
}

impl DerefMut for Balance<'_> {
    fn deref_mut(&mut self) -> &mut i64 {
        self.guard.as_mut().expect("locked until dropped")
    }
}

impl Drop for Balance<'_> {
    fn drop(&mut self) {
        // The table says "holds" only while the lock is really held: strike it off first,
        // then unlock.
        if let Some(record) = table().get_mut(&thread::current().id())
            && let Some(at) = record.holds.iter().rposition(|&id| id == self.account.id)
        {
            record.holds.remove(at);
        }
        drop(self.guard.take());
    }
}

/// What one thread holds, and what it waits for.
#[derive(Debug, Default, Clone)]
struct Record {
    name: String,
    holds: Vec<u32>,
    waits_for: Option<u32>,
}

static TABLE: LazyLock<Mutex<HashMap<ThreadId, Record>>> = LazyLock::new(Default::default);

/// This thread's record, created on first use.
fn record_of_this_thread(table: &mut HashMap<ThreadId, Record>) -> &mut Record {
    let me = thread::current();
    table.entry(me.id()).or_insert_with(|| Record {
        name: me.name().unwrap_or("unnamed").to_owned(),
        ..Record::default()
    })
}

fn table() -> MutexGuard<'static, HashMap<ThreadId, Record>> {
    TABLE.lock().unwrap_or_else(PoisonError::into_inner)
}

thread_local! {
    static ORDER: RefCell<Vec<u32>> = const { RefCell::new(Vec::new()) };
}

/// The ids of the accounts this thread locked since the last call, in the order it locked
/// them.
pub fn take_lock_order() -> Vec<u32> {
    ORDER.with(|order| std::mem::take(&mut *order.borrow_mut()))
}

/// A deadlock, if there is one now: a cycle of threads, each waiting for an account that the
/// next one holds. Such a cycle never resolves: every thread in it waits for another one.
pub fn deadlock() -> Option<String> {
    let table = table();
    let holder_of = |account: u32| {
        table
            .iter()
            .find(|(_, record)| record.holds.contains(&account))
            .map(|(&thread, _)| thread)
    };
    for &start in table.keys() {
        let mut chain = Vec::new();
        let mut thread = start;
        while let Some(account) = table[&thread].waits_for {
            let record = &table[&thread];
            chain.push(format!(
                "thread `{}` holds account(s) {:?} and waits for account {account}",
                record.name, record.holds
            ));
            match holder_of(account) {
                Some(holder) if holder == start => return Some(chain.join(", while ")),
                Some(holder) if chain.len() <= table.len() => thread = holder,
                _ => break,
            }
        }
    }
    None
}
