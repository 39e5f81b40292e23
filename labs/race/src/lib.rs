/*!
Lost updates: several workers add one to a shared counter, and some of the additions vanish.

Safe Rust refuses the naive version outright. Four threads that each borrow the same
`counter` mutably would be a data race, so the borrow checker rejects the program (this is
a doctest that must fail to compile, with error E0499):

```compile_fail,E0499
// ANCHOR: naive
use std::thread;

fn main() {
    let mut counter: u64 = 0;
    thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                for _ in 0..1000 {
                    counter += 1;
                }
            });
        }
    });
    println!("{counter}");
}
// ANCHOR_END: naive
```

What safe Rust does allow is a race *condition*: every access is atomic, but "read, then
write what you read plus one" is two steps, and another worker can write in between
([`threads_racy`]). Processes that share memory race the same way, with the same atomic
`load` and `store` and no `unsafe` memory access ([`processes_racy`]).
The fixes make the increment one indivisible step ([`threads_fetch_add`],
[`processes_fetch_add`]), hold a lock across both steps ([`threads_mutex`]), or share
nothing until the end ([`threads_per_worker`], [`processes_per_worker`]).
*/

// The whole lab is Linux's (clone, /proc, prctl); off Linux, main.rs says so in one line.
#![cfg(target_os = "linux")]

pub mod report;

use kit::{Children, SharedRegion};
use nix::sched::sched_yield;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Barrier, Mutex};
use std::thread;

/// The most workers a run may use: per-worker slots in shared memory are a fixed array.
pub const MAX_WORKERS: u32 = 64;

/// One way of counting to `workers × increments`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    /// Threads: `load`, yield, `store` on one `AtomicU64`. Loses updates.
    ThreadsRacy,
    /// Processes: `load`, yield, `store` on one `AtomicU64` in a `MAP_SHARED` mapping. Loses
    /// updates.
    ProcessesRacy,
    /// Threads: `fetch_add` on one `AtomicU64`. Exact.
    ThreadsFetchAdd,
    /// Threads: read, yield, write while holding a `Mutex<u64>`. Exact.
    ThreadsMutex,
    /// Threads: each counts on its own; the sums are added after `join`. Exact.
    ThreadsPerWorker,
    /// Processes: `fetch_add` on one `AtomicU64` in a `MAP_SHARED` mapping. Exact.
    ProcessesFetchAdd,
    /// Processes: each writes its own slot of a shared array; the parent adds them. Exact.
    ProcessesPerWorker,
}

impl Mode {
    /// Every mode, the two racy ones first.
    pub const ALL: [Mode; 7] = [
        Mode::ThreadsRacy,
        Mode::ProcessesRacy,
        Mode::ThreadsFetchAdd,
        Mode::ThreadsMutex,
        Mode::ThreadsPerWorker,
        Mode::ProcessesFetchAdd,
        Mode::ProcessesPerWorker,
    ];

    /// The mode's name on the command line and in result ids.
    pub fn name(self) -> &'static str {
        match self {
            Mode::ThreadsRacy => "threads-racy",
            Mode::ProcessesRacy => "processes-racy",
            Mode::ThreadsFetchAdd => "threads-fetch-add",
            Mode::ThreadsMutex => "threads-mutex",
            Mode::ThreadsPerWorker => "threads-per-worker",
            Mode::ProcessesFetchAdd => "processes-fetch-add",
            Mode::ProcessesPerWorker => "processes-per-worker",
        }
    }

    /// What the workers share and how they add one, for the report's table.
    pub fn how(self) -> &'static str {
        match self {
            Mode::ThreadsRacy => "AtomicU64: load, yield, store",
            Mode::ProcessesRacy => "AtomicU64 in MAP_SHARED: load, yield, store",
            Mode::ThreadsFetchAdd => "AtomicU64: fetch_add",
            Mode::ThreadsMutex => "Mutex<u64>: lock, read, yield, write",
            Mode::ThreadsPerWorker => "nothing: own counter, summed after join",
            Mode::ProcessesFetchAdd => "AtomicU64 in MAP_SHARED: fetch_add",
            Mode::ProcessesPerWorker => "own slot in MAP_SHARED, summed after wait",
        }
    }

    /// Whether the mode is expected to lose updates.
    pub fn is_racy(self) -> bool {
        matches!(self, Mode::ThreadsRacy | Mode::ProcessesRacy)
    }

    /// Runs the mode and returns the final count.
    pub fn run(self, workers: u32, increments: u64) -> anyhow::Result<u64> {
        anyhow::ensure!(
            (1..=MAX_WORKERS).contains(&workers),
            "workers must be in 1..={MAX_WORKERS}, not {workers}"
        );
        Ok(match self {
            Mode::ThreadsRacy => threads_racy(workers, increments),
            Mode::ProcessesRacy => processes_racy(workers, increments)?,
            Mode::ThreadsFetchAdd => threads_fetch_add(workers, increments),
            Mode::ThreadsMutex => threads_mutex(workers, increments),
            Mode::ThreadsPerWorker => threads_per_worker(workers, increments),
            Mode::ProcessesFetchAdd => processes_fetch_add(workers, increments)?,
            Mode::ProcessesPerWorker => processes_per_worker(workers, increments)?,
        })
    }
}

/// The result of one mode: what the count should be and what it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    pub mode: Mode,
    pub expected: u64,
    pub counted: u64,
}

impl Outcome {
    /// Runs `mode` with `workers` workers adding one `increments` times each.
    pub fn measure(mode: Mode, workers: u32, increments: u64) -> anyhow::Result<Self> {
        Ok(Self {
            mode,
            expected: u64::from(workers) * increments,
            counted: mode.run(workers, increments)?,
        })
    }

    /// Updates that were made but overwritten.
    pub fn lost(&self) -> u64 {
        self.expected.saturating_sub(self.counted)
    }

    pub fn lost_percent(&self) -> f64 {
        if self.expected == 0 {
            0.0
        } else {
            100.0 * self.lost() as f64 / self.expected as f64
        }
    }
}

// ANCHOR: on_threads
/// Runs `work` on `workers` scoped threads that all start at the same moment (a `Barrier`),
/// and returns what each returned. Starting together makes the workers overlap, as they
/// would in a long-running program, instead of the first finishing before the last starts.
fn on_threads<T: Send>(workers: u32, work: impl Fn() -> T + Sync) -> Vec<T> {
    let start = Barrier::new(workers as usize);
    thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                s.spawn(|| {
                    start.wait();
                    work()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("worker panicked"))
            .collect()
    })
}
// ANCHOR_END: on_threads

// ANCHOR: threads_racy
/// A race condition in safe Rust: each access to the counter is atomic, so this is no data
/// race and it compiles, but "load, then store what you loaded plus one" is two steps. A
/// thread that stores after another thread's store overwrites it: that update is lost.
pub fn threads_racy(workers: u32, increments: u64) -> u64 {
    let counter = AtomicU64::new(0);
    on_threads(workers, || {
        for _ in 0..increments {
            let seen = counter.load(Ordering::Relaxed);
            // Give the other threads a chance to run between our read and our write, so
            // the race shows on every machine, even one with a single core.
            thread::yield_now();
            counter.store(seen + 1, Ordering::Relaxed);
        }
    });
    counter.into_inner()
}
// ANCHOR_END: threads_racy

// ANCHOR: threads_fetch_add
/// Fix 1: one indivisible read-modify-write. No other thread can come in between.
pub fn threads_fetch_add(workers: u32, increments: u64) -> u64 {
    let counter = AtomicU64::new(0);
    on_threads(workers, || {
        for _ in 0..increments {
            counter.fetch_add(1, Ordering::Relaxed);
        }
    });
    counter.into_inner()
}
// ANCHOR_END: threads_fetch_add

// ANCHOR: threads_mutex
/// Fix 2: hold a lock across the read and the write. The same yield sits between them as in
/// the racy version, and loses nothing: the other threads wait for the lock.
pub fn threads_mutex(workers: u32, increments: u64) -> u64 {
    let counter = Mutex::new(0u64);
    on_threads(workers, || {
        for _ in 0..increments {
            let mut guard = counter.lock().expect("no thread panics holding the lock");
            let seen = *guard;
            thread::yield_now();
            *guard = seen + 1;
        }
    });
    counter
        .into_inner()
        .expect("no thread panicked holding the lock")
}
// ANCHOR_END: threads_mutex

// ANCHOR: threads_per_worker
/// Fix 3: share nothing while working. Each thread counts on its own and returns its count;
/// the counts are added once every thread has been joined.
pub fn threads_per_worker(workers: u32, increments: u64) -> u64 {
    let counts = on_threads(workers, || {
        let mut mine = 0u64;
        for _ in 0..increments {
            mine += 1;
        }
        mine
    });
    counts.iter().sum()
}
// ANCHOR_END: threads_per_worker

// ANCHOR: on_processes
/// Forks `workers` children that wait for one start flag, run `work(index)` and exit 0;
/// returns once every child has been reaped. The flag lives in shared memory: the children
/// spin on it (yielding the CPU) until the parent has forked them all.
///
/// # Safety
///
/// `work` runs in a forked child of a possibly multithreaded process: it may only do what is
/// safe there, arithmetic, atomics, raw memory, async-signal-safe calls (signal-safety(7))
/// and plain system calls that take no lock of the C library.
unsafe fn on_processes(workers: u32, work: impl Fn(usize)) -> anyhow::Result<()> {
    let start = SharedRegion::<AtomicBool>::new()?;
    let mut children = Children::new();
    for index in 0..workers as usize {
        let body = || {
            while !start.get().load(Ordering::Acquire) {
                let _ = sched_yield();
            }
            work(index);
            0
        };
        // SAFETY: `body` spins on an atomic, calls sched_yield (a plain system call) and
        // `work`, which our caller promises is safe after fork (see # Safety).
        unsafe { children.spawn(body) }?;
    }
    start.get().store(true, Ordering::Release);
    // `wait_all_ok` waits for each pid and fails unless every child exited with status 0;
    // on any early return `children` kills and reaps what is left.
    children.wait_all_ok()
}
// ANCHOR_END: on_processes

// ANCHOR: processes_racy
/// The same race condition across processes, written as [`threads_racy`] is: an `AtomicU64`
/// in a `MAP_SHARED` mapping, read with `load` and written with `store`. Every access is
/// atomic, so there is no data race and no undefined behaviour; the update is still two
/// steps, and another process's store can land between them.
pub fn processes_racy(workers: u32, increments: u64) -> anyhow::Result<u64> {
    let counter = SharedRegion::<AtomicU64>::new()?;
    let work = |_index| {
        for _ in 0..increments {
            let seen = counter.get().load(Ordering::Relaxed);
            // As in `threads_racy`: let the other processes run between our load and our
            // store, so the race shows on every run, even on a single core.
            let _ = sched_yield();
            counter.get().store(seen + 1, Ordering::Relaxed);
        }
    };
    // SAFETY: `work` does atomic loads and stores and calls sched_yield, a plain system call
    // that takes no lock of the C library.
    unsafe { on_processes(workers, work) }?;
    Ok(counter.get().load(Ordering::Relaxed))
}
// ANCHOR_END: processes_racy

// ANCHOR: processes_fetch_add
/// Fix 1 across processes: an atomic in shared memory. `fetch_add` is one indivisible
/// read-modify-write operation, whichever process runs it. (Not always one instruction: a
/// `lock`-prefixed one on x86-64, but an `LDXR`/`STXR` retry loop on ARMv8.0; `LDADD` came
/// with ARMv8.1's LSE.)
pub fn processes_fetch_add(workers: u32, increments: u64) -> anyhow::Result<u64> {
    let counter = SharedRegion::<AtomicU64>::new()?;
    let work = |_index| {
        for _ in 0..increments {
            counter.get().fetch_add(1, Ordering::Relaxed);
        }
    };
    // SAFETY: `work` only does atomic additions.
    unsafe { on_processes(workers, work) }?;
    Ok(counter.get().load(Ordering::Relaxed))
}
// ANCHOR_END: processes_fetch_add

// ANCHOR: processes_per_worker
/// Fix 3 across processes: each child counts on its own and writes its total, once, into
/// its own slot; the parent adds the slots after reaping every child.
pub fn processes_per_worker(workers: u32, increments: u64) -> anyhow::Result<u64> {
    let slots = SharedRegion::<[AtomicU64; MAX_WORKERS as usize]>::new()?;
    let work = |index: usize| {
        let mut mine = 0u64;
        for _ in 0..increments {
            mine += 1;
        }
        slots.get()[index].store(mine, Ordering::Relaxed);
    };
    // SAFETY: `work` does arithmetic and one atomic store.
    unsafe { on_processes(workers, work) }?;
    Ok(slots.get().iter().map(|s| s.load(Ordering::Relaxed)).sum())
}
// ANCHOR_END: processes_per_worker

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lost_and_percent() {
        let outcome = Outcome {
            mode: Mode::ThreadsRacy,
            expected: 200,
            counted: 150,
        };
        assert_eq!(outcome.lost(), 50);
        assert_eq!(outcome.lost_percent(), 25.0);
    }

    #[test]
    fn names_match_the_command_line() {
        use clap::ValueEnum;
        for mode in Mode::ALL {
            let value = mode.to_possible_value().unwrap();
            assert_eq!(value.get_name(), mode.name());
        }
        assert_eq!(Mode::value_variants(), &Mode::ALL);
    }
}
