//! Sharing state: one counter, incremented by several workers, five ways.
//!
//! Threads share their whole address space, so they share a counter by default and need only
//! make each update indivisible (a `Mutex` or an atomic). Processes share nothing after
//! `fork(2)` except what they map `MAP_SHARED` on purpose: an atomic or a process-shared
//! pthread mutex must live in such a mapping. The fifth mode is the classic mistake: children
//! pushing to an ordinary `Vec` push to their own copy-on-write copies, and the parent's stays
//! empty.
//!
//! The benchmarks (benches/shared-state.rs) also count a third way, with threads and with
//! processes: one shard of the counter per worker ([`threads_with_shards`],
//! [`processes_with_shards`]), so no worker ever waits for another's update.

// The whole lab is Linux's (clone, /proc, prctl); off Linux, main.rs says so in one line.
#![cfg(target_os = "linux")]

pub mod report;

use kit::shm::ZeroedShareable;
use kit::{Children, SharedRegion};
use nix::errno::Errno;
use nix::unistd::{pipe, write};
use std::io::Read;
use std::mem::MaybeUninit;
use std::os::fd::OwnedFd;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

/// The five ways of counting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    ThreadMutex,
    ThreadAtomic,
    ProcessAtomic,
    ProcessMutex,
    /// The mistake: processes pushing to an ordinary `Vec`.
    ProcessVec,
}

impl Mode {
    pub const ALL: [Mode; 5] = [
        Mode::ThreadMutex,
        Mode::ThreadAtomic,
        Mode::ProcessAtomic,
        Mode::ProcessMutex,
        Mode::ProcessVec,
    ];

    /// The id used in `--json` records: `shared-state/<id>`.
    pub fn id(self) -> &'static str {
        match self {
            Mode::ThreadMutex => "thread-mutex",
            Mode::ThreadAtomic => "thread-atomic",
            Mode::ProcessAtomic => "process-atomic",
            Mode::ProcessMutex => "process-mutex",
            Mode::ProcessVec => "process-vec",
        }
    }

    /// Whether this mode really shares the counter (all but the mistake).
    pub fn shares(self) -> bool {
        self != Mode::ProcessVec
    }
}

// ANCHOR: thread_mutex
/// Threads share one `Mutex<u64>`: each increment locks, adds one, unlocks.
pub fn threads_with_mutex(workers: u32, increments: u64) -> u64 {
    let counter = Mutex::new(0u64);
    thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                for _ in 0..increments {
                    *counter.lock().unwrap() += 1;
                }
            });
        }
    });
    counter.into_inner().unwrap()
}
// ANCHOR_END: thread_mutex

// ANCHOR: thread_atomic
/// Threads share one `AtomicU64`: each increment is one indivisible read-modify-write
/// (`fetch_add`).
pub fn threads_with_atomic(workers: u32, increments: u64) -> u64 {
    let counter = AtomicU64::new(0);
    thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                for _ in 0..increments {
                    // Relaxed: only the count matters, not the order of the increments.
                    counter.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
    });
    counter.into_inner()
}
// ANCHOR_END: thread_atomic

// ANCHOR: process_atomic
/// Processes share one `AtomicU64` placed in a `MAP_SHARED` mapping made before forking.
pub fn processes_with_shared_atomic(workers: u32, increments: u64) -> anyhow::Result<u64> {
    let counter = SharedRegion::<AtomicU64>::new()?;
    let mut children = Children::new();
    for _ in 0..workers {
        // SAFETY: the child only does atomic additions on the shared mapping, which is
        // async-signal-safe: no allocation, no lock.
        unsafe {
            children.spawn(|| {
                for _ in 0..increments {
                    counter.get().fetch_add(1, Ordering::Relaxed);
                }
                0
            })
        }?;
    }
    // Once waitpid(2) has returned for every child, all their additions are done.
    children.wait_all_ok()?;
    Ok(counter.get().load(Ordering::Relaxed))
}
// ANCHOR_END: process_atomic

// ANCHOR: locked_counter
/// A counter guarded by a pthread mutex that works across processes. `#[repr(C)]`: both fields
/// live at fixed offsets in the shared mapping.
#[repr(C)]
pub struct LockedCounter {
    lock: libc::pthread_mutex_t,
    count: u64,
}

/// A [`LockedCounter`] in a `MAP_SHARED` mapping, so forked children share it. std's `Mutex`
/// cannot do this (it is private to one process) and nix has no wrapper for process-shared
/// mutexes, hence libc.
pub struct ProcessSharedCounter {
    region: SharedRegion<LockedCounter>,
}

impl ProcessSharedCounter {
    pub fn new() -> nix::Result<Self> {
        // SAFETY: we touch the region only through `as_ptr`, and initialise the mutex below
        // before anyone locks it; a zero `count` is a valid u64.
        let region = unsafe { SharedRegion::<LockedCounter>::raw() }?;
        let mut attr = MaybeUninit::<libc::pthread_mutexattr_t>::uninit();
        // SAFETY: `attr` is initialised by pthread_mutexattr_init before it is used, and
        // destroyed once the mutex is made; the mutex lives in the fresh mapping, which no
        // other process or thread can see yet.
        unsafe {
            check(libc::pthread_mutexattr_init(attr.as_mut_ptr()))?;
            let made = check(libc::pthread_mutexattr_setpshared(
                attr.as_mut_ptr(),
                libc::PTHREAD_PROCESS_SHARED,
            ))
            .and_then(|()| {
                check(libc::pthread_mutex_init(
                    &raw mut (*region.as_ptr()).lock,
                    attr.as_ptr(),
                ))
            });
            libc::pthread_mutexattr_destroy(attr.as_mut_ptr());
            made?;
        }
        Ok(Self { region })
    }

    /// Adds one under the lock. Used by forked children: lock and unlock are atomic operations
    /// on the shared mapping, with a futex system call only when the lock is taken or has
    /// waiters (glibc's `__lll_lock` and `__lll_unlock`, `sysdeps/nptl/lowlevellock.h`); they
    /// take no lock of the C library.
    pub fn increment(&self) -> nix::Result<()> {
        let counter = self.region.as_ptr();
        // SAFETY: the mutex was initialised in `new` and is destroyed only in `drop`, after
        // every user is gone; `count` is only touched while the mutex is held.
        unsafe {
            check(libc::pthread_mutex_lock(&raw mut (*counter).lock))?;
            (*counter).count += 1;
            check(libc::pthread_mutex_unlock(&raw mut (*counter).lock))
        }
    }

    /// The count, read under the lock.
    pub fn get(&self) -> nix::Result<u64> {
        let counter = self.region.as_ptr();
        // SAFETY: as in `increment`.
        unsafe {
            check(libc::pthread_mutex_lock(&raw mut (*counter).lock))?;
            let count = (*counter).count;
            check(libc::pthread_mutex_unlock(&raw mut (*counter).lock))?;
            Ok(count)
        }
    }
}

impl Drop for ProcessSharedCounter {
    fn drop(&mut self) {
        // SAFETY: the mutex was initialised in `new`; the children that used it have been
        // reaped (or killed) by now, so nobody holds or waits on it. Children never run this
        // drop: they leave through `_exit`.
        unsafe { libc::pthread_mutex_destroy(&raw mut (*self.region.as_ptr()).lock) };
    }
}

/// pthread functions return an error number instead of setting `errno`.
fn check(rc: libc::c_int) -> nix::Result<()> {
    if rc == 0 {
        Ok(())
    } else {
        Err(Errno::from_raw(rc))
    }
}
// ANCHOR_END: locked_counter

// ANCHOR: process_mutex
/// Processes share one [`ProcessSharedCounter`]: a pthread mutex and a count in shared memory.
pub fn processes_with_shared_mutex(workers: u32, increments: u64) -> anyhow::Result<u64> {
    let counter = ProcessSharedCounter::new()?;
    let mut children = Children::new();
    for _ in 0..workers {
        // The mutex lives in the shared mapping, so a child shares it rather than copying it:
        // an earlier child may hold it, and will release it; no thread of this process holds
        // it at the fork.
        // SAFETY: the child only locks and unlocks that process-shared mutex and adds to the
        // count: no allocation, no lock of the C library.
        unsafe {
            children.spawn(|| {
                for _ in 0..increments {
                    if counter.increment().is_err() {
                        return 1;
                    }
                }
                0
            })
        }?;
    }
    children.wait_all_ok()?;
    Ok(counter.get()?)
}
// ANCHOR_END: process_mutex

// ANCHOR: sharded
/// One worker's counter, alone in 128 bytes: two workers' shards never share a cache line
/// (nor the pair of lines x86-64 CPUs fetch together, which is why crossbeam's `CachePadded`
/// uses 128 too), so one worker's additions never take the line away from another. The
/// counter is split into shards, and the total is their sum once every worker has finished.
#[derive(Debug, Default)]
#[repr(align(128))]
pub struct Shard(AtomicU64);

// SAFETY: a `Shard` is an `AtomicU64` and padding: valid when zeroed, no pointers, and every
// access is atomic.
unsafe impl ZeroedShareable for Shard {}

/// The ids (`shared-state/<id>`) of the benchmarks of [`threads_with_shards`] and
/// [`processes_with_shards`], which only the benchmarks measure; the lab's `--json` report
/// describes them in words, which is how `cargo book measure` names their results.
pub const THREAD_SHARDED: &str = "thread-sharded";
pub const PROCESS_SHARDED: &str = "process-sharded";

/// The most workers the processes' shard array has room for (the lab's `--workers` maximum).
pub const MAX_SHARDS: usize = 64;

/// Threads, one shard each: every increment is still an atomic addition, but to a line no
/// other thread touches.
pub fn threads_with_shards(workers: u32, increments: u64) -> u64 {
    let shards: Vec<Shard> = (0..workers).map(|_| Shard::default()).collect();
    thread::scope(|scope| {
        for shard in &shards {
            scope.spawn(move || {
                for _ in 0..increments {
                    shard.0.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
    });
    shards
        .iter()
        .map(|shard| shard.0.load(Ordering::Relaxed))
        .sum()
}

/// Processes, one shard each, in a `MAP_SHARED` array of shards made before forking.
pub fn processes_with_shards(workers: u32, increments: u64) -> anyhow::Result<u64> {
    let workers = usize::try_from(workers)?;
    anyhow::ensure!(workers <= MAX_SHARDS, "at most {MAX_SHARDS} workers");
    let shards = SharedRegion::<[Shard; MAX_SHARDS]>::new()?;
    let mut children = Children::new();
    for shard in &shards.get()[..workers] {
        // SAFETY: the child only does atomic additions on the shared mapping, which is
        // async-signal-safe: no allocation, no lock.
        unsafe {
            children.spawn(|| {
                for _ in 0..increments {
                    shard.0.fetch_add(1, Ordering::Relaxed);
                }
                0
            })
        }?;
    }
    children.wait_all_ok()?;
    Ok(shards
        .get()
        .iter()
        .map(|shard| shard.0.load(Ordering::Relaxed))
        .sum())
}
// ANCHOR_END: sharded

/// What the parent and the children of the `Vec` mistake each saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VecOutcome {
    /// The parent's `Vec` length after every child pushed and exited.
    pub parent_len: usize,
    /// Each child's own `Vec` length just before it exited, as it reported through a pipe.
    pub child_lens: Vec<u64>,
}

// ANCHOR: process_vec
/// The mistake: children push to an ordinary `Vec`, hoping the parent will see the items.
pub fn processes_with_plain_vec(workers: u32, increments: u64) -> anyhow::Result<VecOutcome> {
    // Reserved before forking, so a child's `push` never allocates (it must not: see fork_child).
    let mut items: Vec<u64> = Vec::with_capacity(usize::try_from(increments)?);
    let (reports, report_end) = pipe()?;
    let mut children = Children::new();
    for _ in 0..workers {
        // SAFETY: `push` stays within the reserved capacity (no allocation), and write(2) to a
        // pipe is async-signal-safe.
        unsafe {
            children.spawn(|| {
                for i in 0..increments {
                    items.push(i); // into this child's own copy of `items`
                }
                report_len(&report_end, items.len() as u64)
            })
        }?;
    }
    drop(report_end); // so reading stops once every child has exited
    children.wait_all_ok()?;
    Ok(VecOutcome {
        parent_len: items.len(),
        child_lens: read_lens(reports)?,
    })
}

/// A child tells the parent how long its `Vec` was: 8 bytes, written in one piece (writes of
/// up to PIPE_BUF bytes to a pipe are atomic, pipe(7)).
fn report_len(pipe: &OwnedFd, len: u64) -> i32 {
    match write(pipe, &len.to_ne_bytes()) {
        Ok(8) => 0,
        _ => 1,
    }
}
// ANCHOR_END: process_vec

fn read_lens(pipe: OwnedFd) -> std::io::Result<Vec<u64>> {
    let mut bytes = Vec::new();
    std::fs::File::from(pipe).read_to_end(&mut bytes)?;
    Ok(bytes
        .chunks_exact(8)
        .map(|chunk| u64::from_ne_bytes(chunk.try_into().expect("chunks of 8")))
        .collect())
}

/// How one mode went.
#[derive(Debug, Clone, PartialEq)]
pub struct Counted {
    pub mode: Mode,
    /// The final count the parent sees (for the `Vec` mistake: the parent's `Vec` length).
    pub count: u64,
    /// What the count would be if every increment landed: workers × increments.
    pub expected: u64,
    /// For the `Vec` mistake, each child's own length; empty for the other modes.
    pub child_lens: Vec<u64>,
    /// Wall time, including creating and joining (or forking and reaping) the workers.
    pub wall: Duration,
}

/// Runs one mode and times it.
pub fn count(mode: Mode, workers: u32, increments: u64) -> anyhow::Result<Counted> {
    let start = Instant::now();
    let (count, child_lens) = match mode {
        Mode::ThreadMutex => (threads_with_mutex(workers, increments), Vec::new()),
        Mode::ThreadAtomic => (threads_with_atomic(workers, increments), Vec::new()),
        Mode::ProcessAtomic => (
            processes_with_shared_atomic(workers, increments)?,
            Vec::new(),
        ),
        Mode::ProcessMutex => (
            processes_with_shared_mutex(workers, increments)?,
            Vec::new(),
        ),
        Mode::ProcessVec => {
            let outcome = processes_with_plain_vec(workers, increments)?;
            (outcome.parent_len as u64, outcome.child_lens)
        }
    };
    Ok(Counted {
        mode,
        count,
        expected: u64::from(workers) * increments,
        child_lens,
        wall: start.elapsed(),
    })
}

/// The whole lab: every mode, in order. `before` is called before each mode starts (the binary
/// prints progress with it).
pub fn run(
    workers: u32,
    increments: u64,
    mut before: impl FnMut(Mode),
) -> anyhow::Result<Vec<Counted>> {
    Mode::ALL
        .into_iter()
        .map(|mode| {
            before(mode);
            count(mode, workers, increments)
        })
        .collect()
}
