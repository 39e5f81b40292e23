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
//! lock free, and the safe pattern, fork then exec at once (`std::process::Command`).

use anyhow::{Context, bail};
use kit::Children;
use kit::testing::stat_of;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::signal::{Signal, kill};
use nix::sys::wait::WaitStatus;
use nix::unistd::{Pid, write};
use std::io::{self, PipeReader, Read};
use std::os::fd::AsFd;
use std::path::Path;
use std::process::Command;
use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Barrier, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// The program's one global lock, like the lock of a logger, an allocator or `stdout`.
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
    /// The child was a program started with `Command` (fork, then exec at once), rather than
    /// a plain forked copy of this one.
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
/// `--lock-fresh`). `Command` forks, and the child execs at once, calling nothing that
/// could need a lock. The new program has a fresh copy of everything, its lock included.
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
