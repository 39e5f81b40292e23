//! Interview gotcha: "Why is fork in a multithreaded program dangerous?"
//!
//! fork(2) copies the whole address space but only the calling thread. Every lock another
//! thread held at that instant is copied *locked*, and the thread that would unlock it does
//! not exist in the child. The child's first attempt to take that lock waits forever.
//!
//! The lab makes this exact: a helper thread takes the program's one global lock and keeps
//! it while main forks (a `Barrier` fixes the order). The child tells the parent, through a
//! pipe, that it has reached the lock, and tries to take it. The parent waits a little,
//! finds the child still stuck, kills it and reaps it. The contrasts: the same fork with the
//! lock free, and the safe pattern, a child that execs at once (`std::process::Command`; with
//! glibc, std uses `posix_spawn`).
//!
//! Two more demos check the mechanisms behind the rule:
//!
//! - [`fork_while_allocating`]: glibc's `fork` does *not* leave the allocator's locks held in
//!   the child. It takes every `malloc` arena lock before the clone and re-initialises them in
//!   the child, so a child that allocates does not hang, however busy the other threads'
//!   `malloc`s were. What hangs is a lock nobody prepared for fork, like [`GLOBAL`]. (The rule
//!   stands: POSIX does not make `malloc` async-signal-safe.)
//! - [`vfork_while_counting`]: `CLONE_VFORK` suspends only the calling thread; the parent's
//!   other threads keep running, in the very memory the child borrows.

// The whole lab is Linux's (clone, /proc, prctl); off Linux, main.rs says so in one line.
#![cfg(target_os = "linux")]

use anyhow::{Context, bail};
use kit::Children;
use kit::children::exit_now;
use kit::procfs::stat_of;
use nix::libc;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sched::{CloneFlags, clone};
use nix::sys::signal::{SigSet, SigmaskHow, Signal, kill, pthread_sigmask};
use nix::sys::wait::WaitStatus;
use nix::unistd::{Pid, gettid, write};
use std::io::{self, PipeReader, Read};
use std::os::fd::AsFd;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU8, AtomicU64, Ordering};
use std::sync::mpsc::{self, Sender, SyncSender};
use std::sync::{Arc, Barrier, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

pub mod report;

/// The program's one global lock: a user-space lock that nothing prepares for `fork`, like
/// the lock of a logger or Rust's `stdout` lock. (Not like glibc's `malloc` locks: glibc's
/// `fork` takes those before the clone and re-initialises them in the child; see
/// [`fork_while_allocating`].)
pub static GLOBAL: Mutex<u64> = Mutex::new(0);

/// Takes [`GLOBAL`]. A poisoned lock (some earlier holder panicked) is still a lock.
pub fn lock_global() -> MutexGuard<'static, u64> {
    GLOBAL.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The byte the child writes just before it tries to take the lock.
pub const REACHED: u8 = b'R';
/// The byte the child writes once it holds the lock.
pub const LOCKED: u8 = b'L';

/// How long the parent waits for the child to reach the lock. The child does nothing before
/// that but one `write`, so only a stalled machine would need more than a sliver of this.
const REACH_LIMIT: Duration = Duration::from_secs(30);

/// The time limit for the runs where the child is not stuck. Such a child finishes at
/// once, so the limit is never reached in practice; it only turns a bug in the lab into an
/// error report instead of a hang.
pub const CONTRAST_LIMIT: Duration = Duration::from_secs(10);

// ANCHOR: helper
/// A helper thread that takes [`GLOBAL`] and, if `hold` is set, keeps it until told to let
/// go. When this returns, the lock is held (or has been released), for certain: the helper
/// meets the caller at a barrier only after that.
pub struct Helper {
    release: Sender<()>,
    thread: JoinHandle<()>,
}

impl Helper {
    pub fn start(hold: bool) -> io::Result<Self> {
        let both_ready = Arc::new(Barrier::new(2));
        let (release, released) = mpsc::channel::<()>();
        let ready = Arc::clone(&both_ready);
        let thread = thread::Builder::new()
            .name("helper".into())
            .spawn(move || {
                let mut guard = lock_global();
                *guard += 1; // some work under the lock
                if !hold {
                    drop(guard);
                    ready.wait();
                    return;
                }
                ready.wait(); // main may fork now: we hold the lock
                let _ = released.recv(); // …and keep holding it until told
                drop(guard);
            })?;
        both_ready.wait();
        Ok(Self { release, thread })
    }

    /// Lets go of the lock (if held) and waits for the helper thread to end.
    pub fn finish(self) {
        let _ = self.release.send(());
        let _ = self.thread.join();
    }
}
// ANCHOR_END: helper

/// What the parent saw of one child.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForkRun {
    /// The child was a program started with `Command` (a child that execs at once; with glibc,
    /// std uses `posix_spawn`), rather than a plain forked copy of this one.
    pub exec: bool,
    /// Whether the helper held the lock at the moment of the fork (or of the spawn).
    pub held_at_fork: bool,
    pub pid: Pid,
    /// The child wrote [`REACHED`]: it got as far as the lock.
    pub reached_lock: bool,
    /// The child wrote [`LOCKED`]: it took the lock.
    pub took_lock: bool,
    /// The child was still waiting after the time limit, and was killed.
    pub hung: bool,
    /// While hung: the state letter from `/proc/PID/stat` (`S`: asleep) and what the
    /// kernel says it is waiting in (`/proc/PID/wchan`, e.g. a futex wait), if readable.
    pub hung_state: Option<char>,
    pub hung_wchan: Option<String>,
    /// The exact status `waitpid` returned.
    pub status: WaitStatus,
}

// ANCHOR: fork_and_lock
/// Forks while the helper holds [`GLOBAL`] (or not, with `held == false`); the child says
/// it reached the lock, takes it, says so, and exits 0. A child still waiting after
/// `give_up_after` is declared hung, killed and reaped.
pub fn fork_and_lock(held: bool, give_up_after: Duration) -> anyhow::Result<ForkRun> {
    let (reader, writer) = io::pipe()?;
    let helper = Helper::start(held)?;
    let mut children = Children::new(); // kills and reaps the child however we leave
    // This child breaks the rule on purpose: it calls Mutex::lock after a fork in a
    // multithreaded process, which is exactly the bug this lab demonstrates. With the lock
    // held at the fork, no thread in the child will ever release it, so the child hangs.
    // SAFETY: the parent kills (SIGKILL) and reaps the hung child; everything else the child
    // does is `write` (async-signal-safe), and an uncontended std Mutex is one atomic CAS.
    let pid = unsafe {
        children.spawn(|| {
            let _ = write(&writer, &[REACHED]);
            let guard = lock_global(); // hangs here if the lock was held at the fork
            let _ = write(&writer, &[LOCKED]);
            drop(guard);
            0
        })
    }?;
    helper.finish(); // the parent's lock is released; the child's copy is not
    drop(writer); // the child has its own copy of the write end
    watch(&mut children, pid, held, &reader, give_up_after)
}
// ANCHOR_END: fork_and_lock

// ANCHOR: watch
/// Reads the child's progress bytes and decides: took the lock (then reap it), or still
/// waiting after `give_up_after` (then it is hung: kill it and reap it).
fn watch(
    children: &mut Children,
    pid: Pid,
    held_at_fork: bool,
    reader: &PipeReader,
    give_up_after: Duration,
) -> anyhow::Result<ForkRun> {
    let reached_lock = read_byte(reader, REACH_LIMIT)? == Some(REACHED);
    let took_lock = reached_lock && read_byte(reader, give_up_after)? == Some(LOCKED);
    let hung = reached_lock && !took_lock && stat_of(pid.as_raw()).is_some_and(|s| s.state != 'Z');
    let (hung_state, hung_wchan) = if hung {
        let wchan = std::fs::read_to_string(format!("/proc/{pid}/wchan")).ok();
        let state = stat_of(pid.as_raw()).map(|s| s.state);
        kill(pid, Signal::SIGKILL)?; // the hang is permanent: nothing else will end it
        (state, wchan.filter(|w| !w.is_empty() && w != "0"))
    } else {
        (None, None)
    };
    let status = children.wait(pid)?;
    Ok(ForkRun {
        exec: false,
        held_at_fork,
        pid,
        reached_lock,
        took_lock,
        hung,
        hung_state,
        hung_wchan,
        status,
    })
}

/// Waits up to `limit` for one byte on the pipe: `None` at end-of-file or on time-out.
fn read_byte(reader: &PipeReader, limit: Duration) -> anyhow::Result<Option<u8>> {
    let deadline = Instant::now() + limit;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let mut fds = [PollFd::new(reader.as_fd(), PollFlags::POLLIN)];
        let timeout = PollTimeout::try_from(left).unwrap_or(PollTimeout::MAX);
        match poll(&mut fds, timeout) {
            Ok(0) => return Ok(None), // timed out
            Ok(_) => break,
            Err(nix::errno::Errno::EINTR) => continue,
            Err(err) => return Err(err).context("poll"),
        }
    }
    let mut byte = [0u8];
    Ok(match (&*reader).read(&mut byte)? {
        0 => None,
        _ => Some(byte[0]),
    })
}
// ANCHOR_END: watch

// ANCHOR: fork_exec
/// The safe pattern: while the helper holds the lock, start a *program* (this lab again,
/// `--lock-fresh`). `Command` starts a child that execs at once, calling nothing that could
/// need a lock (with glibc it uses `posix_spawn`, whose child borrows the parent's memory
/// until the exec instead of copying it). The new program has fresh memory, its lock included.
pub fn spawn_and_lock(exe: &Path) -> anyhow::Result<ForkRun> {
    let helper = Helper::start(true)?;
    let mut children = Children::new();
    let child = Command::new(exe)
        .arg("--lock-fresh")
        .spawn()
        .with_context(|| format!("could not run {}", exe.display()))?;
    let pid = Pid::from_raw(child.id() as i32);
    children.adopt(pid);
    let status = children.wait(pid)?;
    helper.finish();
    let took_lock = status == WaitStatus::Exited(pid, 0);
    Ok(ForkRun {
        exec: true,
        held_at_fork: true,
        pid,
        reached_lock: took_lock, // it exits 0 only after taking the lock
        took_lock,
        hung: false,
        hung_state: None,
        hung_wchan: None,
        status,
    })
}

/// The `--lock-fresh` program's `main`: take the global lock, then exit 0.
pub fn lock_fresh_main() -> anyhow::Result<()> {
    let mut guard = lock_global();
    *guard += 1;
    if *guard != 1 {
        bail!("the lock was not fresh");
    }
    Ok(())
}
// ANCHOR_END: fork_exec

/// How many children [`fork_while_allocating`] forks, one after another.
pub const ALLOCATOR_FORKS: usize = 200;
/// How many threads allocate and free in a tight loop while main forks.
pub const ALLOCATING_THREADS: usize = 2;
/// The byte a child writes once it has allocated and freed.
pub const ALLOCATED: u8 = b'A';

/// The sizes the allocating threads cycle through. With glibc's defaults the small ones are
/// mostly served by the thread's cache without a lock (tcache: requests up to 1032 bytes on
/// 64-bit, `MAX_TCACHE_SIZE` in malloc/malloc.c); the larger ones, still below the mmap
/// threshold, go to the thread's arena under that arena's `mutex`: the lock a fork could
/// catch held.
const CHURN_SIZES: [usize; 4] = [24, 600, 4096, 48 * 1024];
/// The size of the block an allocating thread hands to each child to free: above the tcache
/// limit, so glibc's `free` takes the lock of the arena it came from (`_int_free`).
const FOREIGN_BLOCK: usize = 4096;
/// How many `u64`s each child's `Vec` holds: 8 KiB, also past the tcache.
const CHILD_VEC_LEN: usize = 1024;

/// What [`fork_while_allocating`] saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllocatorRun {
    /// Children forked (stops early at the first failure).
    pub forks: usize,
    /// Children that allocated, freed, wrote [`ALLOCATED`] and ended `Exited(pid, 0)`.
    pub exited_0: usize,
    /// Allocations (each followed by a free) the other threads made during the run.
    pub allocations_meanwhile: u64,
    /// The first child that did not finish cleanly, if any.
    pub failure: Option<AllocatorFailure>,
}

/// A child of [`fork_while_allocating`] that did not finish cleanly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllocatorFailure {
    /// Which fork (0-based).
    pub index: usize,
    pub pid: Pid,
    /// It wrote [`ALLOCATED`]: it got past its `malloc`s and `free`s.
    pub allocated: bool,
    /// It had not exited by the deadline and was killed (`SIGKILL`).
    pub hung: bool,
    /// The exact status `waitpid` returned.
    pub status: WaitStatus,
}

/// Threads that allocate and free in a tight loop until dropped (then stopped and joined).
struct Churn {
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<u64>>,
}

impl Churn {
    /// Starts the threads; each also offers a freshly allocated [`FOREIGN_BLOCK`] on
    /// `blocks` whenever the channel has room (otherwise it frees it at once).
    fn start(blocks: &SyncSender<Vec<u8>>) -> io::Result<Self> {
        let stop = Arc::new(AtomicBool::new(false));
        let mut churn = Self {
            stop: Arc::clone(&stop),
            threads: Vec::new(),
        };
        for n in 0..ALLOCATING_THREADS {
            let stop = Arc::clone(&stop);
            let blocks = blocks.clone();
            churn.threads.push(
                thread::Builder::new()
                    .name(format!("allocator-{n}"))
                    .spawn(move || {
                        let mut allocations = 0u64;
                        for size in CHURN_SIZES.iter().cycle() {
                            if stop.load(Ordering::Relaxed) {
                                break;
                            }
                            let mut block = vec![0u8; *size];
                            block[size - 1] = 1;
                            std::hint::black_box(&mut block);
                            drop(block);
                            // Full (or nobody listening): the block is freed right here.
                            let _ = blocks.try_send(vec![1u8; FOREIGN_BLOCK]);
                            allocations += 2;
                        }
                        allocations
                    })?,
            );
        }
        Ok(churn)
    }

    /// Stops the threads and returns how many allocations they made.
    fn finish(mut self) -> u64 {
        self.stop_and_join()
    }

    fn stop_and_join(&mut self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        self.threads
            .drain(..)
            .map(|thread| thread.join().unwrap_or(0))
            .sum()
    }
}

impl Drop for Churn {
    fn drop(&mut self) {
        self.stop_and_join();
    }
}

/// Forks [`ALLOCATOR_FORKS`] children, one at a time, while [`ALLOCATING_THREADS`] other
/// threads allocate and free in a tight loop. Each child allocates (a `Vec`, a `String`),
/// frees a block that one of those threads allocated (so `free` takes *that* thread's arena
/// lock), writes [`ALLOCATED`] and exits 0. A child that has not exited `limit` after its
/// fork is killed (`SIGKILL`), reaped, and reported in [`AllocatorRun::failure`]; the run
/// stops there.
///
/// This child calls `malloc` after `fork` in a multithreaded process, which POSIX does not
/// allow (fork(2): only async-signal-safe functions until `execve`; `malloc` is not on
/// signal-safety(7)'s list). It is done here only to show what glibc does on this platform;
/// it is not a pattern to copy. glibc 2.36, posix/fork.c, `__libc_fork`: when the process
/// has more than one thread, it calls `_IO_list_lock ()` and then
/// `__malloc_fork_lock_parent ()`, which takes `list_lock` and every arena's `mutex`
/// (malloc/arena.c), so no other thread holds an arena lock, or is halfway through changing
/// an arena, at the instant of `_Fork ()`. In
/// the child it calls `__malloc_fork_unlock_child ()`, which re-initialises
/// (`__libc_lock_init`) every arena `mutex`, `list_lock` and `free_list_lock`, and then
/// `fresetlockfiles ()` and `_IO_list_resetlock ()` for stdio. The locks glibc does not
/// know about, such as [`GLOBAL`], get nothing of the sort.
pub fn fork_while_allocating(limit: Duration) -> anyhow::Result<AllocatorRun> {
    let (offer, blocks) = mpsc::sync_channel::<Vec<u8>>(1);
    let churn = Churn::start(&offer)?;
    drop(offer);
    let mut children = Children::new(); // kills and reaps a child however we leave
    let mut run = AllocatorRun {
        forks: 0,
        exited_0: 0,
        allocations_meanwhile: 0,
        failure: None,
    };
    for index in 0..ALLOCATOR_FORKS {
        let foreign = blocks
            .recv_timeout(limit)
            .context("no block from the allocating threads")?;
        let (reader, writer) = io::pipe()?;
        // ANCHOR: allocator_child
        // The child deliberately calls malloc and free, which POSIX does not allow after
        // fork in a multithreaded process: this demo shows glibc's behaviour (its fork
        // resets the malloc locks in the child), not a pattern to copy. If a child did hang,
        // the parent kills (SIGKILL) and reaps it at the deadline.
        // SAFETY: apart from that deliberate exception the child only calls `write`
        // (async-signal-safe); the closure moves in its own pipe end and block, and the
        // copies the parent keeps are dropped with the closure in the parent.
        let pid = unsafe {
            children.spawn(move || {
                let mut numbers: Vec<u64> = Vec::with_capacity(CHILD_VEC_LEN); // malloc
                numbers.extend(0..CHILD_VEC_LEN as u64);
                let mut text = String::with_capacity(32); // malloc
                text.push_str("allocated after fork");
                drop(foreign); // free, into the arena of the thread that allocated it
                let sound = numbers.iter().sum::<u64>() == (CHILD_VEC_LEN as u64 - 1) * 512
                    && text.len() == 20;
                drop((numbers, text)); // free
                if !sound {
                    return 1;
                }
                let _ = write(&writer, &[ALLOCATED]);
                0
            })
        }?;
        // ANCHOR_END: allocator_child
        run.forks += 1;
        let deadline = Instant::now() + limit;
        let mut allocated = false;
        // End-of-file: the child's only copy of the write end closed, that is, it exited.
        let hung = loop {
            match next_byte(&reader, deadline)? {
                Next::Byte(byte) => allocated |= byte == ALLOCATED,
                Next::Eof => break false,
                Next::TimedOut => break true,
            }
        };
        if hung {
            kill(pid, Signal::SIGKILL)?; // no ESRCH: the child is not reaped yet
        }
        let status = children.wait(pid)?;
        if !hung && allocated && status == WaitStatus::Exited(pid, 0) {
            run.exited_0 += 1;
        } else {
            run.failure = Some(AllocatorFailure {
                index,
                pid,
                allocated,
                hung,
                status,
            });
            break;
        }
    }
    run.allocations_meanwhile = churn.finish();
    Ok(run)
}

/// What [`next_byte`] found on a pipe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Next {
    Byte(u8),
    Eof,
    TimedOut,
}

/// Waits until `deadline` for the next byte on the pipe, or its end-of-file.
fn next_byte(reader: &PipeReader, deadline: Instant) -> anyhow::Result<Next> {
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let mut fds = [PollFd::new(reader.as_fd(), PollFlags::POLLIN)];
        let timeout = PollTimeout::try_from(left).unwrap_or(PollTimeout::MAX);
        match poll(&mut fds, timeout) {
            Ok(0) => return Ok(Next::TimedOut),
            Ok(_) => break,
            Err(nix::errno::Errno::EINTR) => continue,
            Err(err) => return Err(err).context("poll"),
        }
    }
    let mut byte = [0u8];
    Ok(match (&*reader).read(&mut byte)? {
        0 => Next::Eof,
        _ => Next::Byte(byte[0]),
    })
}

/// How far the counter must move, while the child runs, for the child to say "progress".
pub const VFORK_ADVANCE: u64 = 100_000;
/// The child's exit status when it saw the counter move by [`VFORK_ADVANCE`].
pub const VFORK_SAW_PROGRESS: i32 = 0;
/// The child's exit status when its deadline passed first.
pub const VFORK_DEADLINE_PASSED: i32 = 3;
/// The child's stack. It only loads atomics and reads the clock, so a small one does.
const VFORK_STACK: usize = 256 * 1024;
/// [`VforkShared::verdict`] before the child has written one.
const NO_VERDICT: i32 = -1;

/// What [`vfork_while_counting`] saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VforkRun {
    pub pid: Pid,
    /// The exact status `waitpid` returned.
    pub status: WaitStatus,
    /// The counter when the child first read it, and when it stopped looking.
    pub counter_at_child_start: u64,
    pub counter_at_child_end: u64,
    /// The child's exit status was already in the shared memory when `clone` returned: the
    /// calling thread had not run again until the child was done.
    pub verdict_before_clone_returned: bool,
    /// The calling thread's state (`/proc/TID/stat`) as the counting thread saw it while the
    /// child ran: `D`, the uninterruptible (killable) sleep of the kernel's
    /// `wait_for_vfork_done`, once it was seen; otherwise the last letter read.
    pub caller_state: Option<char>,
}

/// Memory that the parent's threads and the child (`CLONE_VM`) all use.
struct VforkShared {
    counter: AtomicU64,
    stop: AtomicBool,
    child_running: AtomicBool,
    child_start: AtomicU64,
    child_end: AtomicU64,
    verdict: AtomicI32,
    caller_state: AtomicU8,
}

/// `CLOCK_MONOTONIC` in nanoseconds, through `clock_gettime` (async-signal-safe).
fn monotonic_ns() -> u64 {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid, writable timespec; clock_gettime is on signal-safety(7)'s
    // list, so the vfork child may call it.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut now) };
    u64::try_from(now.tv_sec).unwrap_or(0) * 1_000_000_000 + u64::try_from(now.tv_nsec).unwrap_or(0)
}

/// A helper thread increments a counter in a tight loop while the calling thread creates a
/// child with `clone(CLONE_VM | CLONE_VFORK)`. The child, on its own stack in the parent's
/// memory, spins (atomic loads and `clock_gettime` only) until the counter has moved by
/// [`VFORK_ADVANCE`] ([`VFORK_SAW_PROGRESS`]) or `limit` has passed
/// ([`VFORK_DEADLINE_PASSED`]), stores that status, and `_exit`s with it. If `CLONE_VFORK`
/// suspended the whole parent, the counter could not move.
///
/// vfork(2): "The calling thread is suspended until the child terminates ... or it makes a
/// call to execve(2)". The kernel parks it in `wait_for_vfork_done` (kernel/fork.c), a
/// killable sleep (state `D`), and `mm_release` wakes it when the child exits or execs.
/// glibc's `posix_spawn` uses these flags, `CLONE_VM | CLONE_VFORK` (plus
/// `CLONE_CLEAR_SIGHAND` since glibc 2.38; sysdeps/unix/sysv/linux/spawni.c), and blocks all signals around the clone so that no
/// signal handler runs in the child on the parent's memory; this function does the same
/// (except glibc's internal signals, which `pthread_sigmask` cannot block and nothing here
/// sends).
pub fn vfork_while_counting(limit: Duration) -> anyhow::Result<VforkRun> {
    let shared = Arc::new(VforkShared {
        counter: AtomicU64::new(0),
        stop: AtomicBool::new(false),
        child_running: AtomicBool::new(false),
        child_start: AtomicU64::new(0),
        child_end: AtomicU64::new(0),
        verdict: AtomicI32::new(NO_VERDICT),
        caller_state: AtomicU8::new(0),
    });
    let caller = gettid();
    let started = Arc::new(Barrier::new(2));
    let counting = {
        let shared = Arc::clone(&shared);
        let started = Arc::clone(&started);
        thread::Builder::new()
            .name("counter".into())
            .spawn(move || {
                shared.counter.fetch_add(1, Ordering::Relaxed);
                started.wait();
                while !shared.stop.load(Ordering::Relaxed) {
                    shared.counter.fetch_add(1, Ordering::Relaxed);
                    let watching = shared.child_running.load(Ordering::Acquire)
                        && shared.verdict.load(Ordering::Acquire) == NO_VERDICT
                        && shared.caller_state.load(Ordering::Relaxed) != b'D';
                    if watching && let Some(stat) = stat_of(caller.as_raw()) {
                        shared
                            .caller_state
                            .store(stat.state as u8, Ordering::Relaxed);
                    }
                }
            })?
    };
    let counting = StopOnDrop {
        shared: &shared,
        thread: Some(counting),
    };
    started.wait(); // the counter is moving from now on

    let deadline_ns = monotonic_ns() + u64::try_from(limit.as_nanos()).unwrap_or(u64::MAX / 2);
    // ANCHOR: vfork_child
    let child_shared: &VforkShared = &shared;
    let child = Box::new(move || -> isize {
        // In the child: only atomics, clock_gettime and _exit, all async-signal-safe.
        let start = child_shared.counter.load(Ordering::Relaxed);
        child_shared.child_start.store(start, Ordering::Relaxed);
        child_shared.child_running.store(true, Ordering::Release);
        let (status, end) = loop {
            let now = child_shared.counter.load(Ordering::Relaxed);
            if now.wrapping_sub(start) >= VFORK_ADVANCE {
                break (VFORK_SAW_PROGRESS, now);
            }
            if monotonic_ns() >= deadline_ns {
                break (VFORK_DEADLINE_PASSED, now);
            }
            std::hint::spin_loop();
        };
        child_shared.child_end.store(end, Ordering::Relaxed);
        child_shared.verdict.store(status, Ordering::Release);
        exit_now(status)
    });
    let mut stack = vec![0u8; VFORK_STACK];
    let mut children = Children::new();
    let mut old_mask = SigSet::empty();
    pthread_sigmask(
        SigmaskHow::SIG_SETMASK,
        Some(&SigSet::all()),
        Some(&mut old_mask),
    )?;
    // The child runs `child` on `stack`: CLONE_VFORK keeps this thread (and so this frame)
    // in `clone` until the child has exited. The atomics in `shared` live until the counting
    // thread is joined below; that thread uses them at the same time, which atomics allow.
    // SAFETY: `stack` and `shared` outlive the child (above); the child touches only those
    // atomics, calls only clock_gettime and _exit (async-signal-safe), needs little stack,
    // and runs with every signal blocked (the mask is inherited), so no handler runs in it.
    let cloned = unsafe {
        clone(
            child,
            &mut stack,
            CloneFlags::CLONE_VM | CloneFlags::CLONE_VFORK,
            Some(Signal::SIGCHLD as i32),
        )
    };
    let restored = pthread_sigmask(SigmaskHow::SIG_SETMASK, Some(&old_mask), None);
    let pid = cloned.context("clone(CLONE_VM | CLONE_VFORK)")?;
    children.adopt(pid); // reaped even if what follows fails
    restored?;
    let verdict_before_clone_returned = shared.verdict.load(Ordering::Acquire) != NO_VERDICT;
    // ANCHOR_END: vfork_child
    let status = children.wait(pid)?;
    drop(counting);
    let caller_state = match shared.caller_state.load(Ordering::Relaxed) {
        0 => None,
        letter => Some(char::from(letter)),
    };
    Ok(VforkRun {
        pid,
        status,
        counter_at_child_start: shared.child_start.load(Ordering::Relaxed),
        counter_at_child_end: shared.child_end.load(Ordering::Relaxed),
        verdict_before_clone_returned,
        caller_state,
    })
}

/// Stops and joins the counting thread however [`vfork_while_counting`] is left.
struct StopOnDrop<'a> {
    shared: &'a VforkShared,
    thread: Option<JoinHandle<()>>,
}

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
