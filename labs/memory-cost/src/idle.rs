//! N idle threads, N idle processes, or N idle tokio tasks, and what `/proc` says they cost.
//!
//! Idle means started and then parked: each thread waits on a [`Gate`] (a mutex and a
//! condition variable, so it sleeps in the kernel on a futex), each child process in a
//! `read` from a pipe, each task on a `tokio::sync::Notify`. Nothing runs while the sizes
//! are read, and nothing has touched more memory than starting and parking takes, so what
//! is measured is the cost of existing.
//!
//! For threads and for tasks the group is one process and one `/proc/self`. For processes it is the
//! parent and its children, and every size is summed over all of them: PSS sums to what the
//! group uses, RSS sums count every shared page once per process (procmem's docs).
//!
//! Each thread also reports where its stack is: the address of a local variable. The
//! mapping of `/proc/self/smaps` that contains it is the thread's stack; `Size` is what was
//! reserved, `Rss` what is resident. glibc puts a guard right below it, a mapping with no
//! access at all (nptl/allocatestack.c; pthread_attr_setguardsize(3): one page by default),
//! so that running off the end of the stack faults instead of writing over something else.

use crate::procmem::{Footprint, Mapping, footprint, mappings};
use anyhow::{Context, ensure};
use kit::{Children, Summary};
use nix::fcntl::OFlag;
use nix::unistd::{pipe2, read, write};
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::{Builder, JoinHandle};
use tokio::sync::Notify;

/// Threads, processes or tasks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
pub enum Kind {
    Threads,
    Processes,
    Tasks,
}

impl Kind {
    pub const ALL: [Kind; 3] = [Kind::Threads, Kind::Processes, Kind::Tasks];

    /// The kind's part of a record id, and its `--measure` value.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Threads => "threads",
            Kind::Processes => "processes",
            Kind::Tasks => "tasks",
        }
    }

    /// One of them, in words.
    pub fn one(self) -> &'static str {
        match self {
            Kind::Threads => "thread",
            Kind::Processes => "process",
            Kind::Tasks => "task",
        }
    }
}

/// What one group of N idle threads or processes cost, measured while they were parked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    pub kind: Kind,
    pub count: usize,
    /// The whole group: this process, or the parent and its children summed.
    pub footprint: Footprint,
    /// Threads only: each thread's stack.
    pub stacks: Option<Stacks>,
    /// Tasks only: the tasks the runtime counted alive when the sizes were read
    /// (`RuntimeMetrics::num_alive_tasks`); [`park_tasks`] fails unless it is `count`.
    pub alive: Option<usize>,
}

/// The stacks of the threads of one sample: the median, lowest and highest over the threads.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Stacks {
    /// The stack mapping's `Size`: address space reserved for the stack.
    pub reserved: Summary,
    /// Its `Rss`: how much of it is resident.
    pub resident: Summary,
    /// The no-access mapping right below it, 0 if there is none.
    pub guard: Summary,
}

/// Where parked threads wait: each one arrives, then sleeps until the gate opens.
#[derive(Debug, Default)]
pub struct Gate {
    /// Threads arrived, and whether the gate is open.
    state: Mutex<(usize, bool)>,
    changed: Condvar,
}

impl Gate {
    /// Counts this thread in, then sleeps until [`Gate::open`].
    pub fn arrive_and_wait(&self) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.0 += 1;
        self.changed.notify_all();
        while !state.1 {
            state = self
                .changed
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// Sleeps until `count` threads have arrived.
    pub fn wait_for(&self, count: usize) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        while state.0 < count {
            state = self
                .changed
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// Lets every thread go, those waiting and those still to come.
    pub fn open(&self) {
        self.state.lock().unwrap_or_else(PoisonError::into_inner).1 = true;
        self.changed.notify_all();
    }
}

// ANCHOR: park_threads
/// Starts `count` threads (with `stack` bytes of stack each, or std's default), parks them
/// all, reads this process's footprint and every thread's stack, then lets them go and
/// joins them.
pub fn park_threads(count: usize, stack: Option<usize>) -> anyhow::Result<Sample> {
    let gate = Arc::new(Gate::default());
    // One slot per thread for the address of its stack, allocated before any thread starts,
    // so that the threads allocate nothing of their own. The first threads get malloc arenas
    // anyway (mallopt(3), M_ARENA_MAX): a thread's first malloc or free sets up its tcache,
    // which takes an arena (glibc's malloc/malloc.c, tcache_init), and std's start-up code in
    // the new thread frees the box its spawner handed it. The page shows the effect.
    let addresses: Arc<Vec<AtomicUsize>> = Arc::new((0..count).map(|_| 0.into()).collect());
    let mut threads: Vec<JoinHandle<()>> = Vec::with_capacity(count);
    let started = (0..count).try_for_each(|i| {
        let (gate, addresses) = (Arc::clone(&gate), Arc::clone(&addresses));
        let builder = match stack {
            Some(bytes) => Builder::new().stack_size(bytes),
            None => Builder::new(), // RUST_MIN_STACK, else std's default
        };
        threads.push(builder.spawn(move || {
            let on_the_stack = 0u8;
            let here = std::hint::black_box(&on_the_stack) as *const u8 as usize;
            addresses[i].store(here, Ordering::Relaxed);
            gate.arrive_and_wait();
        })?);
        anyhow::Ok(())
    });
    let measured = started.and_then(|()| {
        gate.wait_for(count);
        let footprint = footprint(None)?;
        let smaps = std::fs::read_to_string("/proc/self/smaps")?;
        let addresses: Vec<usize> = addresses
            .iter()
            .map(|a| a.load(Ordering::Relaxed))
            .collect();
        let stacks = stacks_of(&mappings(&smaps)?, &addresses)?;
        Ok(Sample {
            kind: Kind::Threads,
            count,
            footprint,
            stacks: Some(stacks),
            alive: None,
        })
    });
    // Also when a spawn failed: the threads already started are waiting to be let go.
    gate.open();
    for thread in threads {
        thread
            .join()
            .map_err(|_| anyhow::anyhow!("a parked thread panicked"))?;
    }
    measured
}
// ANCHOR_END: park_threads

// ANCHOR: stacks
/// The stack mapping that contains each address, and the no-access guard right below it.
pub fn stacks_of(all: &[Mapping], addresses: &[usize]) -> anyhow::Result<Stacks> {
    let (mut reserved, mut resident, mut guard) = (Vec::new(), Vec::new(), Vec::new());
    for &address in addresses {
        let at = all
            .iter()
            .position(|m| (m.start..m.end).contains(&address))
            .with_context(|| format!("no mapping holds the stack address {address:#x}"))?;
        let stack = all[at];
        reserved.push(stack.size as f64);
        resident.push(stack.rss as f64);
        let below = at.checked_sub(1).map(|i| all[i]);
        guard.push(match below {
            Some(b) if b.no_access && b.end == stack.start => b.size as f64,
            _ => 0.0,
        });
    }
    let summary = |values: &[f64]| Summary::of(values).context("no thread");
    Ok(Stacks {
        reserved: summary(&reserved)?,
        resident: summary(&resident)?,
        guard: summary(&guard)?,
    })
}
// ANCHOR_END: stacks

// ANCHOR: park_processes
/// Forks `count` children that each say they are ready on one pipe and then block reading
/// another; reads the footprint of the parent and of every child and sums them; then lets
/// the children go (one byte each) and reaps them.
pub fn park_processes(count: usize) -> anyhow::Result<Sample> {
    let (ready_read, ready_write) = pipe2(OFlag::O_CLOEXEC)?;
    let (go_read, go_write) = pipe2(OFlag::O_CLOEXEC)?;
    let mut children = Children::new(); // kills and reaps them all if we fail below
    for _ in 0..count {
        // SAFETY: the child only writes and reads pipes: write(2) and read(2) are
        // async-signal-safe (signal-safety(7)).
        unsafe {
            children.spawn(|| {
                if write(&ready_write, &[1]) != Ok(1) {
                    return 2;
                }
                let mut go = [0];
                match read(&go_read, &mut go) {
                    Ok(1) => 0,
                    _ => 3, // the parent went away without letting us go
                }
            })
        }?;
    }
    // Our copies closed: a child that dies early gives us end-of-file, not a hang.
    drop((ready_write, go_read));
    let mut parked = 0;
    let mut buffer = [0; 512];
    while parked < count {
        let n = read(&ready_read, &mut buffer)?;
        ensure!(n > 0, "a child ended before it was parked");
        parked += n;
    }
    let mut total = footprint(None)?;
    for &child in children.pids() {
        total += footprint(Some(child))?;
    }
    let mut left = count;
    while left > 0 {
        left -= write(&go_write, &buffer[..left.min(buffer.len())])?;
    }
    children.wait_all_ok()?;
    Ok(Sample {
        kind: Kind::Processes,
        count,
        footprint: total,
        stacks: None,
        alive: None,
    })
}
// ANCHOR_END: park_processes

// ANCHOR: idle_task
/// One idle task: it counts itself in, then waits for the lab's notification. The future
/// this `async fn` returns is all there is of the task: its state machine holds the two
/// `Arc`s and, while it waits, the `Notified` future it awaits, whose waiter is linked into
/// `notify`'s list where it lies, with no allocation of its own (tokio's
/// src/sync/notify.rs: `Notified` holds its `Waiter`, `Notify` a `LinkedList<Waiter>`). Its
/// size is known at compile time ([`future_bytes`]).
pub async fn idle_task(notify: Arc<Notify>, arrived: Arc<AtomicUsize>) {
    arrived.fetch_add(1, Ordering::Relaxed);
    notify.notified().await;
}

/// The size of [`idle_task`]'s future, the state machine the compiler made of it.
pub fn future_bytes() -> usize {
    std::mem::size_of_val(&idle_task(Arc::default(), Arc::default()))
}
// ANCHOR_END: idle_task

// ANCHOR: park_tasks
/// Spawns `count` idle tasks on a current-thread runtime, lets each run to its `.await`,
/// counts them alive and reads this process's footprint; then wakes them all and awaits
/// every one.
pub fn park_tasks(count: usize) -> anyhow::Result<Sample> {
    // No worker threads: the tasks run on this thread inside `block_on`, so the group is
    // one process with one thread, and all it grows by is the tasks themselves.
    let runtime = tokio::runtime::Builder::new_current_thread().build()?;
    let notify = Arc::new(Notify::new());
    let arrived = Arc::new(AtomicUsize::new(0));
    runtime.block_on(async {
        let tasks: Vec<tokio::task::JoinHandle<()>> = (0..count)
            .map(|_| tokio::spawn(idle_task(Arc::clone(&notify), Arc::clone(&arrived))))
            .collect();
        // Each yield lets the scheduler poll the spawned tasks, which run up to their await.
        while arrived.load(Ordering::Relaxed) < count {
            tokio::task::yield_now().await;
        }
        let alive = tokio::runtime::Handle::current()
            .metrics()
            .num_alive_tasks();
        let waiting = tasks.iter().filter(|task| !task.is_finished()).count();
        let footprint = footprint(None)?;
        ensure!(
            alive == count && waiting == count,
            "{count} tasks spawned, but {alive} alive and {waiting} waiting when measured"
        );
        notify.notify_waiters();
        for task in tasks {
            task.await?;
        }
        Ok(Sample {
            kind: Kind::Tasks,
            count,
            footprint,
            stacks: None,
            alive: Some(alive),
        })
    })
}
// ANCHOR_END: park_tasks

#[cfg(test)]
mod tests {
    use super::*;

    fn mapping(start: usize, end: usize, no_access: bool, rss: u64) -> Mapping {
        Mapping {
            start,
            end,
            no_access,
            size: (end - start) as u64,
            rss,
        }
    }

    #[test]
    fn a_stack_is_the_mapping_that_holds_the_address_with_its_guard_below() {
        let all = [
            mapping(0x1000, 0x2000, true, 0),
            mapping(0x2000, 0x10000, false, 0x2000),
            mapping(0x10000, 0x20000, false, 0x1000),
        ];
        let stacks = stacks_of(&all, &[0x3000, 0x15000]).unwrap();
        assert_eq!(stacks.reserved.low, 0xe000 as f64);
        assert_eq!(stacks.reserved.high, 0x10000 as f64);
        assert_eq!(stacks.guard.high, 0x1000 as f64, "the first has a guard");
        assert_eq!(stacks.guard.low, 0.0, "the second does not");
        assert!(stacks_of(&all, &[0x30000]).is_err());
    }
}
