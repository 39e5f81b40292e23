//! Child processes that cannot be forgotten.
//!
//! A forked child that nobody waits for becomes a zombie; one whose parent dies becomes an
//! orphan. Labs therefore fork through [`fork_child`] and keep every pid in a [`Children`]
//! guard, which kills and reaps whatever is still running when it is dropped (also when the
//! lab returns early with an error or panics). The one exception is fork-bomb-guard's
//! fork-loop demo, whose children must go on with the loop after `fork` returns: it calls
//! `fork` itself, each process reaps its own children, and the harness kills and reaps the
//! whole process group.

use nix::errno::Errno;
use nix::sys::prctl;
use nix::sys::signal::{Signal, kill};
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, Pid, fork, getpid, getppid};
use std::panic::{AssertUnwindSafe, catch_unwind};

/// Exit status of a child whose body panicked (the same status a panicking Rust `main` has).
pub const CHILD_PANICKED: i32 = 101;

/// Forks a child that runs `body` and exits with the status it returns. Returns the child's
/// pid in the parent; never returns in the child.
///
/// The child is asked to be killed when the thread that forked it ends
/// (`PR_SET_PDEATHSIG`, prctl(2)), so a lab interrupted with Ctrl-C leaves no orphan behind.
/// A panic in `body` never unwinds into the parent's copied stack: the child exits with
/// [`CHILD_PANICKED`].
///
/// # Safety
///
/// If the calling process has more than one thread (a test harness always has), `body` may only
/// call async-signal-safe functions (signal-safety(7)): no allocation, no `println!`, no locks
/// another thread might have held at the moment of the fork. Arithmetic, atomics, and raw
/// `write`s to a pipe are fine.
// ANCHOR: fork_child
pub unsafe fn fork_child(body: impl FnOnce() -> i32) -> nix::Result<Pid> {
    let parent = getpid();
    // SAFETY: the caller promises that `body` is async-signal-safe when we are multithreaded;
    // everything else the child does below (prctl, getppid, _exit) is a plain system call.
    match unsafe { fork() }? {
        ForkResult::Parent { child } => Ok(child),
        ForkResult::Child => {
            let orphaned = prctl::set_pdeathsig(Signal::SIGKILL).is_err() || getppid() != parent;
            let status = if orphaned {
                1
            } else {
                catch_unwind(AssertUnwindSafe(body)).unwrap_or(CHILD_PANICKED)
            };
            exit_now(status)
        }
    }
}
// ANCHOR_END: fork_child

/// Ends the calling process at once, without running atexit handlers or flushing stdio
/// buffers that are copies of the parent's (`_exit(2)`).
pub fn exit_now(status: i32) -> ! {
    // SAFETY: `_exit` is async-signal-safe and takes no pointers. nix 0.32 has no wrapper.
    unsafe { libc::_exit(status) }
}

/// Waits for exactly `pid`, retrying when a signal interrupts the wait.
pub fn wait_for(pid: Pid) -> nix::Result<WaitStatus> {
    loop {
        match waitpid(pid, None) {
            Err(Errno::EINTR) => continue,
            other => return other,
        }
    }
}

/// Owns child pids: every child is waited for exactly once, by pid.
///
/// Dropping the guard sends `SIGKILL` to the children not yet waited for and reaps them, so
/// no zombie or orphan outlives the lab, even on an early return or a panic.
#[derive(Debug, Default)]
pub struct Children {
    pids: Vec<Pid>,
}

impl Children {
    pub fn new() -> Self {
        Self::default()
    }

    /// Forks a child running `body` (see [`fork_child`]) and takes ownership of its pid.
    ///
    /// # Safety
    ///
    /// As for [`fork_child`]: `body` must be async-signal-safe if the process is multithreaded.
    pub unsafe fn spawn(&mut self, body: impl FnOnce() -> i32) -> nix::Result<Pid> {
        // SAFETY: forwarded to our caller, who promises the same thing.
        let pid = unsafe { fork_child(body) }?;
        self.pids.push(pid);
        Ok(pid)
    }

    /// Takes ownership of a child created some other way, so it is reaped on drop.
    pub fn adopt(&mut self, pid: Pid) {
        self.pids.push(pid);
    }

    /// The children not yet waited for, oldest first.
    pub fn pids(&self) -> &[Pid] {
        &self.pids
    }

    pub fn len(&self) -> usize {
        self.pids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pids.is_empty()
    }

    /// Waits for one owned child and forgets it.
    pub fn wait(&mut self, pid: Pid) -> nix::Result<WaitStatus> {
        let status = wait_for(pid)?;
        self.pids.retain(|&p| p != pid);
        Ok(status)
    }

    /// Waits for every owned child, in the order they were started.
    pub fn wait_all(&mut self) -> nix::Result<Vec<(Pid, WaitStatus)>> {
        let mut statuses = Vec::with_capacity(self.pids.len());
        while let Some(&pid) = self.pids.first() {
            statuses.push((pid, self.wait(pid)?));
        }
        Ok(statuses)
    }

    /// Waits for every child and fails unless each one exited with status 0.
    pub fn wait_all_ok(&mut self) -> anyhow::Result<()> {
        for (pid, status) in self.wait_all()? {
            if status != WaitStatus::Exited(pid, 0) {
                anyhow::bail!("child {pid} did not exit cleanly: {status:?}");
            }
        }
        Ok(())
    }

    // ANCHOR: kill_all
    /// Kills and reaps every child still owned.
    pub fn kill_all(&mut self) {
        for pid in std::mem::take(&mut self.pids) {
            // ESRCH (already gone, waiting as a zombie) is fine: we reap it next.
            let _ = kill(pid, Signal::SIGKILL);
            let _ = wait_for(pid);
        }
    }
}

impl Drop for Children {
    fn drop(&mut self) {
        self.kill_all();
    }
}
// ANCHOR_END: kill_all

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{fork_lock, live_children};

    #[test]
    fn exit_status_comes_back_exactly() {
        let _lock = fork_lock();
        let mut children = Children::new();
        // SAFETY: the child only returns a constant.
        let pid = unsafe { children.spawn(|| 7) }.unwrap();
        assert_eq!(children.wait(pid).unwrap(), WaitStatus::Exited(pid, 7));
        assert!(children.is_empty());
    }

    #[test]
    fn a_panicking_child_exits_101_and_does_not_unwind_into_the_parent() {
        let _lock = fork_lock();
        let mut children = Children::new();
        // SAFETY: the panic path allocates, but only in this deliberately failing child,
        // and the test holds the fork lock so no other test forks meanwhile.
        let pid = unsafe { children.spawn(|| panic!("boom")) }.unwrap();
        assert_eq!(
            children.wait(pid).unwrap(),
            WaitStatus::Exited(pid, CHILD_PANICKED)
        );
    }

    #[test]
    fn drop_kills_and_reaps_children_still_running() {
        let _lock = fork_lock();
        {
            let mut children = Children::new();
            for _ in 0..3 {
                // SAFETY: the child only sleeps in a system call.
                unsafe {
                    children.spawn(|| {
                        nix::unistd::pause();
                        0
                    })
                }
                .unwrap();
            }
            assert_eq!(live_children().len(), 3);
        }
        assert!(live_children().is_empty());
    }
}
