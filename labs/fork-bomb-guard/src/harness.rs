//! The harness: runs one demo's process tree so that it can never outgrow its cap or
//! outlive the lab.
//!
//! Four lines of defence, because `RLIMIT_NPROC` cannot be relied on: it does not bind the
//! host's root or a process with CAP_SYS_ADMIN or CAP_SYS_RESOURCE (kernel/fork.c,
//! `copy_process`), which is how some CI jobs and containers run:
//! 1. a budget of tokens: every process must take one before it may start another;
//! 2. its own process group: one `killpg` reaches every process of the tree;
//! 3. a deadline, and Ctrl-C/SIGTERM/SIGHUP handling: the group is killed and reaped;
//! 4. a child subreaper: orphans are re-parented to the harness, which reaps all of them.
//!
//! The cgroup demo adds a fifth, the kernel's own: the tree runs in a child cgroup whose
//! `pids.max` is below the budget ([`crate::cgroup`]), so `fork` fails with `EAGAIN` before
//! the budget runs out. The other four stay around it, the outer cage.
//!
//! The harness waits with `waitpid(-1)`, so it must be the lab binary itself, a process whose
//! only children are the tree: never call [`run`] from a process with other children (a
//! test harness, for one).

use crate::cgroup::{self, PidsCgroup};
use crate::{
    BUDGET_FD_ENV, DEADLINE_ENV, DONE, Demo, FORK_FAILED, GENERATION_ENV, MAX_CAP, MAX_TIMEOUT,
    PROGRAM_ENV, REFUSED, STARTED, STARTED_FD_ENV, STARTUP_MS_ENV, TOKEN, WORK_MS_ENV, WORKER_ENV,
    WORKERS_ENV, fork_bomb, fork_loop, monotonic_now, take_token,
};
use anyhow::Context;
use nix::errno::Errno;
use nix::fcntl::{FcntlArg, FdFlag, OFlag, fcntl};
use nix::sys::prctl;
use nix::sys::resource::{Resource, getrlimit, setrlimit};
use nix::sys::signal::{
    SaFlags, SigAction, SigHandler, SigSet, Signal, kill, killpg, sigaction, signal,
};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::{Pid, Uid, pipe2, setpgid};
use std::io::Write;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::{Duration, Instant};

/// What a demo may do.
#[derive(Debug, Clone, Copy)]
pub struct Config {
    /// The most processes the tree may start, the first one included (≤ [`MAX_CAP`]).
    pub cap: u32,
    /// Workers each copy of the (un)guarded program starts.
    pub workers: u32,
    /// Iterations of the fork loop.
    pub loops: u32,
    /// The cgroup demo's `pids.max` (below `cap`).
    pub pids_max: u32,
    /// How long each copy of the (un)guarded program takes to set up before anything else.
    pub startup: Duration,
    /// How long a worker stays alive.
    pub work: Duration,
    /// When the harness kills the tree, finished or not.
    pub timeout: Duration,
}

/// Why the tree ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// Every process exited by itself.
    Finished,
    /// The deadline passed; the harness killed the group.
    TimedOut,
    /// The harness got this signal; it killed the group.
    Interrupted(Signal),
}

/// What one demo did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub demo: Demo,
    pub config_cap: u32,
    /// The tree's process group (the first process's pid).
    pub pgid: Pid,
    /// Processes that started, by generation (index 0: the first process). For the fork
    /// loop, by the iteration whose `fork` made them.
    pub per_generation: Vec<u32>,
    /// Processes that wanted to start another and found the budget empty.
    pub refused: u32,
    /// Processes whose `fork` the kernel refused with `EAGAIN` (the cgroup demo).
    pub fork_failed: u32,
    /// Tokens taken from the budget: processes started or about to start.
    pub tokens_used: u32,
    pub stop: Stop,
    /// Processes of the tree's group still present after the harness cleaned up (always 0).
    pub left_behind: usize,
    /// What the cgroup showed, for the cgroup demo.
    pub cgroup: Option<CgroupOutcome>,
}

/// What the cgroup demo's cgroup showed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CgroupOutcome {
    pub dir: PathBuf,
    pub pids_max: u32,
    /// Processes of the tree when it had settled (each one had said it was done, and
    /// `cgroup.procs` listed as many): all of them alive at once. `None` if it never settled.
    pub settled: Option<u32>,
    /// `pids.current` at that moment: the kernel's count of the tasks in the cgroup.
    pub current: Option<u32>,
    /// `pids.peak` after the run (newer kernels): the most tasks the cgroup ever held.
    pub peak: Option<u32>,
    /// `pids.events`' `max` after the run: forks the limit refused.
    pub events_max: Option<u32>,
    /// Whether the cgroup's directory was gone after the harness removed it.
    pub removed: bool,
}

impl Outcome {
    /// Processes that started, the first one included.
    pub fn started(&self) -> u32 {
        self.per_generation.iter().sum()
    }

    /// Whether the budget ran out: someone asked for a token and got none.
    pub fn budget_spent(&self) -> bool {
        self.refused > 0 && self.tokens_used == self.config_cap
    }
}

/// The signal that interrupted the harness (0 while none has).
static INTERRUPTED: AtomicI32 = AtomicI32::new(0);

extern "C" fn note_signal(signo: libc::c_int) {
    INTERRUPTED.store(signo, Ordering::SeqCst);
}

/// Turns this process into the harness: orphans of the tree come back to it, and Ctrl-C,
/// SIGTERM and SIGHUP are noted (the supervision loop then kills and reaps the tree)
/// instead of killing the harness before it has cleaned up.
pub fn become_harness() -> anyhow::Result<()> {
    prctl::set_child_subreaper(true).context("PR_SET_CHILD_SUBREAPER")?;
    let action = SigAction::new(
        SigHandler::Handler(note_signal),
        SaFlags::empty(),
        SigSet::empty(),
    );
    for sig in [Signal::SIGINT, Signal::SIGTERM, Signal::SIGHUP] {
        // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
        unsafe { sigaction(sig, &action) }?;
    }
    Ok(())
}

// ANCHOR: run
/// Runs one demo's tree under the budget, in its own process group (and, for the cgroup demo,
/// in `cgroup`), until it finishes, the deadline passes or a signal arrives; then makes sure
/// nothing of it is left, and removes the cgroup.
pub fn run(demo: Demo, config: &Config, cgroup: Option<PidsCgroup>) -> anyhow::Result<Outcome> {
    anyhow::ensure!(
        (1..=MAX_CAP).contains(&config.cap),
        "cap must be in 1..={MAX_CAP}"
    );
    anyhow::ensure!(
        config.timeout <= MAX_TIMEOUT,
        "the deadline may be at most {} s away",
        MAX_TIMEOUT.as_secs()
    );
    limit_user_processes(config.cap)?;
    let budget = fill_budget(config.cap)?;
    let (messages, started) = pipe2(OFlag::O_CLOEXEC)?;
    fcntl(&messages, FcntlArg::F_SETFL(OFlag::O_NONBLOCK))?;
    inherit_across_exec(&budget)?;
    inherit_across_exec(&started)?;
    anyhow::ensure!(
        (demo == Demo::Cgroup) == cgroup.is_some(),
        "the cgroup demo, and only it, runs in a cgroup"
    );
    // The cgroup demo's tree waits on this pipe until the harness closes its write end.
    let hold = match &cgroup {
        Some(cgroup) => Some((pipe2(OFlag::O_CLOEXEC)?, cgroup)),
        None => None,
    };

    // The harness pays for the first process, like every parent in the tree.
    anyhow::ensure!(take_token(budget.as_fd()), "the budget is empty");
    // One deadline on two clocks read together: an `Instant` for this loop, and the
    // monotonic clock's nanoseconds for the tree, which enforces it on itself too.
    let deadline = Instant::now() + config.timeout;
    let tree_deadline = monotonic_now()? + config.timeout;
    let first = First {
        budget: &budget,
        started: &started,
        deadline: tree_deadline,
        hold: hold
            .as_ref()
            .map(|((read, write), cgroup)| (read, write, *cgroup)),
    };
    let pgid = start_first(demo, config, first)?;
    let tree = KillOnDrop(pgid); // also on an early return or a panic from here on
    drop(started); // from now on only the tree can write: end of file means all are gone
    let mut hold = hold.map(|((_read, write), cgroup)| Hold::new(write, cgroup, config.work));
    // Never `eprintln!` while the tree runs: it panics if stderr is closed.
    let in_cgroup = match &cgroup {
        Some(cgroup) => format!(
            ", cgroup {} (pids.max {})",
            cgroup.dir().display(),
            cgroup.pids_max()
        ),
        None => String::new(),
    };
    let _ = writeln!(
        std::io::stderr(),
        "fork-bomb-guard: {}: process group {pgid}, cap {} processes, deadline {} ms{in_cgroup}",
        demo.name(),
        config.cap,
        config.timeout.as_millis()
    );

    let mut received = Vec::new();
    let stop = supervise(&messages, &mut received, deadline, hold.as_mut());
    drop(tree); // kill what is left of the group (nothing, if it finished) and reap it
    drain(&messages, &mut received);
    let tokens_left = count_tokens(&budget);
    let tally = tally(&received);
    let settled = hold.and_then(|hold| hold.settled);
    let cgroup = cgroup.map(|cgroup| {
        // Read after the tree is reaped: the counters stay until the cgroup is removed.
        let (peak, events_max) = (cgroup.peak(), cgroup.events_max());
        let (dir, pids_max) = (cgroup.dir().to_owned(), cgroup.pids_max());
        drop(cgroup); // rmdir: the tree is reaped, so the cgroup is empty
        CgroupOutcome {
            removed: !dir.exists(),
            dir,
            pids_max,
            settled: settled.map(|(processes, _)| processes),
            current: settled.and_then(|(_, current)| current),
            peak,
            events_max,
        }
    });
    Ok(Outcome {
        demo,
        config_cap: config.cap,
        pgid,
        per_generation: tally.per_generation,
        refused: tally.refused,
        fork_failed: tally.fork_failed,
        tokens_used: config.cap - tokens_left,
        stop,
        left_behind: members_of_group(pgid).len(),
        cgroup,
    })
}
// ANCHOR_END: run

// ANCHOR: fill_budget
/// A pipe holding `cap` tokens. The write end is closed once it is filled, so an empty
/// budget reads as end of file (never blocks) and nobody can add tokens.
fn fill_budget(cap: u32) -> anyhow::Result<OwnedFd> {
    let (budget, filler) = pipe2(OFlag::O_CLOEXEC)?;
    // At most MAX_CAP bytes: far below a pipe's capacity (pipe(7)), so this never blocks.
    let tokens = vec![TOKEN; cap as usize];
    let mut written = 0;
    while written < tokens.len() {
        written += nix::unistd::write(&filler, &tokens[written..])?;
    }
    drop(filler);
    Ok(budget)
}
// ANCHOR_END: fill_budget

/// Clears `FD_CLOEXEC`, so that the descriptor stays open in the programs the tree `exec`s.
fn inherit_across_exec(fd: &OwnedFd) -> nix::Result<()> {
    fcntl(fd, FcntlArg::F_SETFD(FdFlag::empty())).map(drop)
}

/// What the tree's first process gets from the harness.
struct First<'a> {
    budget: &'a OwnedFd,
    started: &'a OwnedFd,
    /// The deadline on the monotonic clock.
    deadline: Duration,
    /// The cgroup demo's hold pipe (read end, write end) and its cgroup.
    hold: Option<(&'a OwnedFd, &'a OwnedFd, &'a PidsCgroup)>,
}

/// Starts the tree's first process in a new process group and returns the group's id.
fn start_first(demo: Demo, config: &Config, first: First) -> anyhow::Result<Pid> {
    let First {
        budget,
        started,
        deadline,
        hold,
    } = first;
    match demo {
        Demo::Unguarded | Demo::Guarded => {
            // The lab's own copy, dying with the harness (kit::command::myself).
            let mut command = kit::command::myself()?;
            command
                .env(PROGRAM_ENV, demo.name())
                .env(BUDGET_FD_ENV, budget.as_raw_fd().to_string())
                .env(STARTED_FD_ENV, started.as_raw_fd().to_string())
                .env(GENERATION_ENV, "0")
                .env(WORKERS_ENV, config.workers.to_string())
                .env(STARTUP_MS_ENV, config.startup.as_millis().to_string())
                .env(WORK_MS_ENV, config.work.as_millis().to_string())
                .env(DEADLINE_ENV, deadline.as_nanos().to_string())
                .env_remove(WORKER_ENV)
                .process_group(0) // setpgid(0, 0) in the child, before exec
                .stdin(Stdio::null())
                .stdout(Stdio::null());
            let child = command.spawn().context("starting the first copy")?;
            // It is reaped by `waitpid(-1)` in `supervise`, like every process of the tree.
            Ok(Pid::from_raw(child.id() as i32))
        }
        Demo::ForkLoop | Demo::Cgroup => {
            let (loops, budget, started) = (config.loops, budget.as_fd(), started.as_fd());
            if demo == Demo::Cgroup {
                anyhow::ensure!(hold.is_some(), "the cgroup demo needs its cgroup");
            }
            let body = || {
                if setpgid(Pid::from_raw(0), Pid::from_raw(0)).is_err() {
                    return 1;
                }
                for sig in [Signal::SIGINT, Signal::SIGTERM, Signal::SIGHUP] {
                    // SAFETY: restores the default action (sigaction(2), async-signal-safe),
                    // so the harness's handler does not live on in the tree.
                    let _ = unsafe { signal(sig, SigHandler::SigDfl) };
                }
                let Some((hold_read, hold_write, cgroup)) = hold else {
                    return fork_loop(loops, budget, started);
                };
                // Only the harness may hold the write end, or the tree never sees end of
                // file. nix 0.32's `close` would take the `OwnedFd` by value, which this
                // closure only borrows: the raw call.
                // SAFETY: close(2) is async-signal-safe; the descriptor is this child's own
                // copy, and nothing in the child uses it.
                unsafe { libc::close(hold_write.as_raw_fd()) };
                // Into the cgroup before the first fork, so every process of the tree is
                // born in it (a child starts in its parent's cgroup, cgroups(7)).
                if !cgroup::join(cgroup.procs_path()) {
                    return 3;
                }
                fork_bomb(budget, started, hold_read.as_fd())
            };
            // SAFETY: `body` makes only async-signal-safe calls (setpgid, sigaction, close,
            // open, write, and those of `fork_loop` and `fork_bomb`); the harness is
            // single-threaded in any case.
            let pid = unsafe { kit::fork_child(body) }?;
            // Also from this side, so the group surely exists before we might kill it.
            let _ = setpgid(pid, pid);
            Ok(pid)
        }
    }
}

// ANCHOR: supervise
/// Reaps the tree's processes as they exit (our children, and orphans re-parented to us)
/// and collects their messages, until no child is left, the deadline passes, or a signal
/// arrives.
fn supervise(
    messages: &OwnedFd,
    received: &mut Vec<u8>,
    deadline: Instant,
    mut hold: Option<&mut Hold>,
) -> Stop {
    loop {
        drain(messages, received);
        if let Some(hold) = hold.as_deref_mut() {
            hold.look(received);
        }
        if let Some(signal) = interrupted() {
            return Stop::Interrupted(signal);
        }
        if Instant::now() >= deadline {
            return Stop::TimedOut;
        }
        match waitpid(None::<Pid>, Some(WaitPidFlag::WNOHANG)) {
            Ok(WaitStatus::StillAlive) => std::thread::sleep(Duration::from_millis(2)),
            Ok(_) | Err(Errno::EINTR) => {} // reaped one: look again at once
            Err(Errno::ECHILD) => return Stop::Finished,
            Err(_) => return Stop::TimedOut, // cannot wait: treat as out of time, kill all
        }
    }
}

/// The cgroup demo's tree waits, every process alive, until the harness has looked at it.
struct Hold<'a> {
    /// The hold pipe's only write end; dropping it lets the tree go (end of file).
    write: Option<OwnedFd>,
    cgroup: &'a PidsCgroup,
    /// How long to keep the settled tree before letting it go.
    work: Duration,
    /// When the tree settled: its processes, and `pids.current` then.
    settled: Option<(u32, Option<u32>)>,
    release_at: Option<Instant>,
}

impl<'a> Hold<'a> {
    fn new(write: OwnedFd, cgroup: &'a PidsCgroup, work: Duration) -> Self {
        Hold {
            write: Some(write),
            cgroup,
            work,
            settled: None,
            release_at: None,
        }
    }

    /// The tree has settled when every process in the cgroup has said it is done. No
    /// process of it exits before the release, so none is missed: a process not yet done
    /// is in `cgroup.procs` (it is born in the cgroup) and has not said so; and the done
    /// messages were read before `cgroup.procs`, so each one is from a process listed there.
    fn look(&mut self, received: &[u8]) {
        if self.settled.is_none() {
            let done = tally(received).done;
            if done > 0 && self.cgroup.processes() == Some(done as usize) {
                self.settled = Some((done, self.cgroup.current()));
                self.release_at = Some(Instant::now() + self.work);
            }
        }
        if self.release_at.is_some_and(|at| Instant::now() >= at) {
            self.write = None;
        }
    }
}

/// Owns a running tree: dropping it kills the tree's process group and reaps every child.
struct KillOnDrop(Pid);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        kill_group_and_reap(self.0);
    }
}

/// Kills the whole process group and reaps until the harness has no child left.
///
/// One `killpg` reaches every process of the tree at once; then each `waitpid` reaps one.
/// Only while a killed process is still dying (`WNOHANG` finds nothing to reap) does it
/// look again for children that left the group (as subreaper, the harness inherits any
/// orphan): cleaning up N processes costs N waits, not N scans of `/proc`.
fn kill_group_and_reap(pgid: Pid) {
    // ESRCH (the group is empty) is fine: then only zombies remain to reap.
    let _ = killpg(pgid, Signal::SIGKILL);
    loop {
        match waitpid(None::<Pid>, Some(WaitPidFlag::WNOHANG)) {
            Ok(WaitStatus::StillAlive) => {
                // Something is still dying, or escaped the group: kill both kinds again.
                let _ = killpg(pgid, Signal::SIGKILL);
                for child in kit::procfs::children_of(Pid::this()) {
                    let _ = kill(child, Signal::SIGKILL);
                }
                std::thread::sleep(Duration::from_millis(1));
            }
            Ok(_) | Err(Errno::EINTR) => {} // reaped one: look again at once
            Err(_) => return,               // ECHILD: nothing left
        }
    }
}
// ANCHOR_END: supervise

fn interrupted() -> Option<Signal> {
    Signal::try_from(INTERRUPTED.load(Ordering::SeqCst)).ok()
}

/// Reads whatever messages are waiting, without blocking.
fn drain(messages: &OwnedFd, received: &mut Vec<u8>) {
    let mut buffer = [0u8; 512];
    loop {
        match nix::unistd::read(messages, &mut buffer) {
            Ok(0) => return, // every writer is gone
            Ok(n) => received.extend_from_slice(&buffer[..n]),
            Err(Errno::EINTR) => continue,
            Err(_) => return, // EAGAIN: nothing more for now
        }
    }
}

/// Counts (and takes) the tokens left in the budget.
fn count_tokens(budget: &OwnedFd) -> u32 {
    let mut left = 0;
    while take_token(budget.as_fd()) {
        left += 1;
    }
    left
}

/// What the tree's messages add up to.
#[derive(Debug, Default, PartialEq, Eq)]
struct Tally {
    /// Processes started per generation.
    per_generation: Vec<u32>,
    /// Processes refused a token.
    refused: u32,
    /// Processes whose `fork` failed with `EAGAIN`.
    fork_failed: u32,
    /// Processes of the cgroup demo done starting others.
    done: u32,
}

fn tally(received: &[u8]) -> Tally {
    let mut tally = Tally::default();
    for message in received.chunks_exact(2) {
        match message[0] {
            STARTED => {
                let generation = usize::from(message[1]);
                if tally.per_generation.len() <= generation {
                    tally.per_generation.resize(generation + 1, 0);
                }
                tally.per_generation[generation] += 1;
            }
            REFUSED => tally.refused += 1,
            FORK_FAILED => tally.fork_failed += 1,
            DONE => tally.done += 1,
            _ => {}
        }
    }
    tally
}

/// Processes whose process group is `pgid`, from `/proc` (the harness's self-check).
pub fn members_of_group(pgid: Pid) -> Vec<Pid> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|&pid| kit::testing::stat_of(pid).is_some_and(|s| s.pgrp == pgid.as_raw()))
        .map(Pid::from_raw)
        .collect()
}

/// Second line of defence, for users other than root: lower `RLIMIT_NPROC` (setrlimit(2))
/// to what this user runs now plus the cap and a margin, so even a broken budget could not
/// start much more. The limit counts every process and thread of the real user, and is
/// not enforced for the host's root or CAP_SYS_ADMIN/CAP_SYS_RESOURCE, which is why the
/// budget comes first. (The cgroup pids controller's `pids.max` does bind root; the lab
/// does not rely on it being set up.)
fn limit_user_processes(cap: u32) -> anyhow::Result<()> {
    let uid = Uid::current();
    if uid.is_root() {
        return Ok(());
    }
    let wanted = tasks_of_user(uid) + u64::from(cap) + 16;
    let (soft, hard) = getrlimit(Resource::RLIMIT_NPROC)?;
    setrlimit(Resource::RLIMIT_NPROC, soft.min(wanted), hard).context("RLIMIT_NPROC")
}

/// Threads (tasks) whose real user is `uid`, summed over `/proc/*/status`.
fn tasks_of_user(uid: Uid) -> u64 {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return 0;
    };
    let mut tasks = 0;
    for entry in entries.flatten() {
        let Ok(status) = std::fs::read_to_string(entry.path().join("status")) else {
            continue;
        };
        let field = |name: &str| {
            status
                .lines()
                .find_map(|line| line.strip_prefix(name))
                .and_then(|rest| rest.split_whitespace().next()?.parse::<u64>().ok())
        };
        if field("Uid:") == Some(u64::from(uid.as_raw())) {
            tasks += field("Threads:").unwrap_or(1);
        }
    }
    tasks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tally_counts_generations_and_refusals() {
        let received = [
            STARTED,
            0,
            STARTED,
            1,
            STARTED,
            1,
            REFUSED,
            1,
            STARTED,
            3,
            FORK_FAILED,
            3,
            DONE,
            3,
        ];
        let expected = Tally {
            per_generation: vec![1, 2, 0, 1],
            refused: 1,
            fork_failed: 1,
            done: 1,
        };
        assert_eq!(tally(&received), expected);
    }

    #[test]
    fn an_empty_budget_reads_as_no_token_at_once() {
        let budget = fill_budget(2).unwrap();
        assert!(take_token(budget.as_fd()));
        assert_eq!(count_tokens(&budget), 1);
        assert!(!take_token(budget.as_fd()));
    }
}
