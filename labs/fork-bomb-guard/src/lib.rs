//! The fork bomb you make by accident, and the guard that prevents it.
//!
//! A program that starts its workers by running *itself* again (`std::env::current_exe`)
//! must let a worker know it is a worker. Otherwise every worker runs the same `main`, starts
//! workers of its own, and the count doubles with every generation. Python's
//! `if __name__ == "__main__":` guard exists for exactly this reason.
//!
//! Nothing here may ever run uncapped. Every process of a demo must take a token from a
//! budget the harness owns ([`take_token`]) before it may start another; the harness runs
//! the whole tree in its own process group with a deadline, then kills the group and reaps
//! every member ([`harness`]).
//!
//! The tree does not take the harness's word for it. A copy of the binary that finds itself
//! started as part of a tree checks, before it runs anything, that its budget holds no more
//! than [`MAX_CAP`] tokens, that it runs in the tree's own process group, and that it has a
//! deadline no further than [`MAX_TIMEOUT`] away, which it then enforces on itself with
//! `alarm(2)` (kept across `execve`, so even a copy whose harness is gone dies on time).
//! A copy started by hand with a worker's environment and a big pipe refuses to run.
//!
//! The cgroup demo ([`fork_bomb`]) adds a limit that binds root: it runs in a child cgroup
//! whose `pids.max` is below the budget ([`cgroup`]), so the kernel refuses the forks with
//! `EAGAIN` before the budget runs out; the cage above stays around it.

// The whole lab is Linux's (clone, /proc, prctl); off Linux, main.rs says so in one line.
#![cfg(target_os = "linux")]

pub mod cgroup;
pub mod harness;
pub mod report;

use anyhow::Context;
// Makes a child started by a `Command` die if this process dies (`PR_SET_PDEATHSIG`,
// prctl(2); the setting survives `execve`), so that killing any process of the tree takes
// its whole subtree down with it.
use kit::command::die_with_parent;
use nix::errno::Errno;
use nix::sys::prctl;
use nix::sys::signal::Signal;
use nix::sys::wait::waitpid;
use nix::time::{ClockId, clock_gettime};
use nix::unistd::{ForkResult, Pid, alarm, fork, getpgrp, getpid, getppid};
use std::os::fd::{BorrowedFd, RawFd};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The most processes one demo may start, whatever the command line says.
pub const MAX_CAP: u32 = 256;
/// The longest a demo's tree may live, whatever the command line says.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(60);

/// Names the demo program a copy of this binary runs (`unguarded` or `guarded`). The
/// harness sets it for the first process of a tree; every copy inherits it.
pub const PROGRAM_ENV: &str = "FORK_BOMB_GUARD_PROGRAM";
/// The guard: set only for the workers the guarded program starts.
pub const WORKER_ENV: &str = "FORK_BOMB_GUARD_WORKER";
/// The budget pipe's read end, inherited across `exec`.
const BUDGET_FD_ENV: &str = "FORK_BOMB_GUARD_BUDGET_FD";
/// The "started" pipe's write end, inherited across `exec`.
const STARTED_FD_ENV: &str = "FORK_BOMB_GUARD_STARTED_FD";
/// How many starts separate this process from the first one (0).
const GENERATION_ENV: &str = "FORK_BOMB_GUARD_GENERATION";
const WORKERS_ENV: &str = "FORK_BOMB_GUARD_WORKERS";
const STARTUP_MS_ENV: &str = "FORK_BOMB_GUARD_STARTUP_MS";
/// The harness's deadline, as `CLOCK_MONOTONIC` nanoseconds: one clock for every process
/// of the machine, so the whole tree shares one deadline.
const DEADLINE_ENV: &str = "FORK_BOMB_GUARD_DEADLINE_NS";
const WORK_MS_ENV: &str = "FORK_BOMB_GUARD_WORK_MS";

/// One byte in the budget pipe: the right to start one process.
const TOKEN: u8 = b'T';
/// Messages on the "started" pipe are two bytes, `[kind, generation]`, written in one
/// `write` (pipe(7): writes up to `PIPE_BUF` bytes are atomic, so messages never interleave).
const STARTED: u8 = b'S';
const REFUSED: u8 = b'R';
/// The kernel refused a `fork` with `EAGAIN` (the cgroup demo).
const FORK_FAILED: u8 = b'E';
/// A process of the cgroup demo will start nothing more.
const DONE: u8 = b'D';

/// The four demos.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Demo {
    /// A program that re-executes itself to start workers, and never checks whether it is one.
    Unguarded,
    /// The same program with the guard: workers are marked, and a worker starts nobody.
    Guarded,
    /// `fork()` called in a loop.
    ForkLoop,
    /// A fork bomb (every process forks until refused) inside a cgroup whose `pids.max` is
    /// below the budget: the kernel refuses the forks first.
    Cgroup,
}

impl Demo {
    pub const ALL: [Demo; 4] = [Demo::Unguarded, Demo::Guarded, Demo::ForkLoop, Demo::Cgroup];

    pub fn name(self) -> &'static str {
        match self {
            Demo::Unguarded => "unguarded",
            Demo::Guarded => "guarded",
            Demo::ForkLoop => "fork-loop",
            Demo::Cgroup => "cgroup",
        }
    }

    fn from_name(name: &str) -> Option<Demo> {
        Demo::ALL.into_iter().find(|d| d.name() == name)
    }
}

// ANCHOR: budget
/// Takes one token from the budget. `false` means "start nothing": the budget is spent (the
/// harness closed the pipe's write end after filling it, so an empty pipe reads as end of
/// file at once and never blocks), or the descriptor is not our budget at all.
///
/// Async-signal-safe: one `read(2)`.
pub fn take_token(budget: BorrowedFd) -> bool {
    let mut byte = [0u8; 1];
    loop {
        match nix::unistd::read(budget, &mut byte) {
            Ok(1) => return byte[0] == TOKEN,
            Err(Errno::EINTR) => continue,
            _ => return false,
        }
    }
}
// ANCHOR_END: budget

/// Tells the harness that a process of generation `generation` started (`STARTED`) or was
/// refused a token (`REFUSED`). Async-signal-safe: one `write(2)`.
fn announce(started: BorrowedFd, kind: u8, generation: u32) {
    let message = [kind, generation.min(u32::from(u8::MAX)) as u8];
    let _ = nix::unistd::write(started, &message);
}

/// What a copy of the binary started by a demo knows, from its environment.
#[derive(Debug)]
pub struct Tree {
    program: Demo,
    budget: BorrowedFd<'static>,
    started: BorrowedFd<'static>,
    generation: u32,
    workers: u32,
    startup: Duration,
    work: Duration,
    /// The harness's deadline on the monotonic clock.
    deadline: Duration,
}

impl Tree {
    /// `None` when this process was not started by a demo (someone ran the lab). An error
    /// when the environment names a program but not a valid budget: a copy that cannot
    /// prove it has a budget refuses to run at all.
    pub fn from_env() -> Option<anyhow::Result<Tree>> {
        let program = std::env::var(PROGRAM_ENV).ok()?;
        Some(Self::parse(&program))
    }

    fn parse(program: &str) -> anyhow::Result<Tree> {
        let program = match Demo::from_name(program) {
            Some(demo @ (Demo::Unguarded | Demo::Guarded)) => demo,
            _ => anyhow::bail!("{PROGRAM_ENV}={program:?} is not a demo program"),
        };
        let workers: u32 = number(WORKERS_ENV)?;
        anyhow::ensure!((1..=8).contains(&workers), "{WORKERS_ENV} must be in 1..=8");
        let budget = inherited_pipe(BUDGET_FD_ENV)?;
        let tokens = tokens_in(budget)?;
        anyhow::ensure!(
            tokens <= MAX_CAP,
            "the budget holds {tokens} tokens, more than the hard maximum of {MAX_CAP}: \
             not a harness's budget"
        );
        let deadline = Duration::from_nanos(number(DEADLINE_ENV)?);
        let left = deadline.saturating_sub(monotonic_now()?);
        anyhow::ensure!(!left.is_zero(), "{DEADLINE_ENV}: the deadline has passed");
        anyhow::ensure!(
            left <= MAX_TIMEOUT,
            "{DEADLINE_ENV} is more than {} s away: not a harness's deadline",
            MAX_TIMEOUT.as_secs()
        );
        let generation: u32 = number(GENERATION_ENV)?;
        anyhow::ensure!(
            in_the_trees_own_group(generation),
            "not in the tree's own process group: only the harness starts a tree"
        );
        Ok(Tree {
            program,
            budget,
            started: inherited_pipe(STARTED_FD_ENV)?,
            generation,
            workers,
            startup: Duration::from_millis(number(STARTUP_MS_ENV)?),
            work: Duration::from_millis(number(WORK_MS_ENV)?),
            deadline,
        })
    }

    /// Runs the program this copy was started for, after telling the harness it started.
    pub fn run(&self) -> anyhow::Result<()> {
        // The deadline holds even if the harness is gone: SIGALRM's default action ends the
        // process (signal(7)), and the alarm survives `execve` (alarm(2)). A second of slack,
        // so that a live harness, which kills the group at the deadline itself, always
        // comes first.
        let left = self.deadline.saturating_sub(monotonic_now()?);
        let seconds = u32::try_from(left.as_secs() + 2).unwrap_or(u32::MAX);
        alarm::set(seconds);
        announce(self.started, STARTED, self.generation);
        match self.program {
            Demo::Guarded => guarded_main(self),
            _ => unguarded_main(self),
        }
    }

    // ANCHOR: start_copy
    /// Starts another copy of this program: the same executable, the same arguments and
    /// environment, one generation further, plus `mark` if given. Starts nothing and returns
    /// `None` when the budget has no token left.
    fn start_copy(&self, mark: Option<(&str, &str)>) -> anyhow::Result<Option<Child>> {
        if self.generation >= MAX_CAP || self.past_deadline() || !take_token(self.budget) {
            announce(self.started, REFUSED, self.generation);
            return Ok(None);
        }
        let mut command = Command::new(std::env::current_exe()?);
        command
            .args(std::env::args_os().skip(1))
            .env(GENERATION_ENV, (self.generation + 1).to_string())
            .stdout(Stdio::null());
        if let Some((name, value)) = mark {
            command.env(name, value);
        }
        die_with_parent(&mut command);
        Ok(Some(command.spawn().context("starting a copy of myself")?))
    }
    // ANCHOR_END: start_copy

    /// Whether the harness's deadline has passed (then nothing more may start).
    fn past_deadline(&self) -> bool {
        monotonic_now().map_or(true, |now| now >= self.deadline)
    }

    /// What every copy does first, before any check: load, parse, connect... Here it only
    /// takes time, as it would in a real program.
    fn set_up(&self) {
        std::thread::sleep(self.startup);
    }

    /// A worker's job: here, being alive for a while, as a real worker would be.
    fn work(&self) {
        std::thread::sleep(self.work);
    }
}

// ANCHOR: unguarded
/// The mistake. Every copy of the program runs this same `main`: the first starts two
/// workers, each worker is a copy that starts two more, and so on, until something stops
/// it (here, the budget; on a real machine, the process table, `RLIMIT_NPROC`, or memory).
fn unguarded_main(me: &Tree) -> anyhow::Result<()> {
    me.set_up();
    let mut workers = Vec::new();
    for _ in 0..me.workers {
        match me.start_copy(None)? {
            Some(worker) => workers.push(worker),
            None => break, // the budget is spent
        }
    }
    me.work();
    wait_for_all(workers)
}
// ANCHOR_END: unguarded

// ANCHOR: guarded
/// The fix. The parent marks the workers it starts (an environment variable), and the
/// first thing a copy does is check for the mark: a worker works and starts nobody.
fn guarded_main(me: &Tree) -> anyhow::Result<()> {
    me.set_up();
    if std::env::var_os(WORKER_ENV).is_some() {
        me.work();
        return Ok(());
    }
    let mut workers = Vec::new();
    for _ in 0..me.workers {
        match me.start_copy(Some((WORKER_ENV, "1")))? {
            Some(worker) => workers.push(worker),
            None => break,
        }
    }
    wait_for_all(workers)
}
// ANCHOR_END: guarded

/// Waits for each worker by pid; a worker that failed makes its parent fail.
fn wait_for_all(workers: Vec<Child>) -> anyhow::Result<()> {
    for mut worker in workers {
        let status = worker.wait()?;
        anyhow::ensure!(status.success(), "worker {} ended: {status}", worker.id());
    }
    Ok(())
}

// ANCHOR: fork_loop
/// `fork()` in a loop. A child starts life inside the loop, right after the `fork` that
/// made it, so it runs the remaining iterations too: every iteration doubles the number of
/// processes, 1 → 2 → 4 → 8 for three. Each process then waits for its own children.
///
/// Runs in forked children: only async-signal-safe calls (read, write, fork, prctl,
/// getppid, waitpid).
pub fn fork_loop(loops: u32, budget: BorrowedFd, started: BorrowedFd) -> i32 {
    announce(started, STARTED, 0);
    for iteration in 1..=loops {
        if !take_token(budget) {
            announce(started, REFUSED, iteration);
            break;
        }
        let parent = getpid();
        // SAFETY: both sides go on with async-signal-safe calls only (see above).
        match unsafe { fork() } {
            Ok(ForkResult::Child) => {
                // Die with the parent, and give up if it is already gone.
                if prctl::set_pdeathsig(Signal::SIGKILL).is_err() || getppid() != parent {
                    return 1;
                }
                announce(started, STARTED, iteration);
            }
            Ok(ForkResult::Parent { .. }) => {}
            Err(_) => break,
        }
    }
    reap_own_children();
    0
}
// ANCHOR_END: fork_loop

// ANCHOR: fork_bomb
/// A fork bomb, run as the cgroup demo's first process: every process forks again and
/// again, each child joining in, until a `fork` fails. Each fork still takes a token, but the
/// cgroup's `pids.max` is below the budget, so the kernel says no first: `fork` fails with
/// `EAGAIN` (fork(2), ERRORS), and the process reports it and stops. It then tells the
/// harness it is done and waits, alive, until the harness reads the cgroup and lets the
/// whole tree go (end of file on `hold`): so every process of the tree is alive at once.
///
/// Runs in forked children: only async-signal-safe calls (read, write, fork, prctl,
/// getpid, getppid, waitpid).
pub fn fork_bomb(budget: BorrowedFd, started: BorrowedFd, hold: BorrowedFd) -> i32 {
    let mut generation = 0;
    announce(started, STARTED, generation);
    loop {
        if !take_token(budget) {
            announce(started, REFUSED, generation);
            break;
        }
        let parent = getpid();
        // SAFETY: both sides go on with async-signal-safe calls only (see above).
        match unsafe { fork() } {
            Ok(ForkResult::Child) => {
                if prctl::set_pdeathsig(Signal::SIGKILL).is_err() || getppid() != parent {
                    return 1;
                }
                generation += 1;
                announce(started, STARTED, generation);
            }
            Ok(ForkResult::Parent { .. }) => {}
            Err(Errno::EAGAIN) => {
                announce(started, FORK_FAILED, generation);
                break;
            }
            Err(_) => break,
        }
    }
    announce(started, DONE, generation);
    // Blocks until the harness closes the hold pipe's only write end.
    let _ = take_token(hold);
    reap_own_children();
    0
}
// ANCHOR_END: fork_bomb

/// Waits for every child of this process until there is none (`ECHILD`).
/// Async-signal-safe: `waitpid(2)` only.
fn reap_own_children() {
    loop {
        match waitpid(None::<Pid>, None) {
            Ok(_) | Err(Errno::EINTR) => continue,
            Err(_) => return,
        }
    }
}

/// `CLOCK_MONOTONIC` now, as a duration since the clock's start (boot).
pub fn monotonic_now() -> nix::Result<Duration> {
    clock_gettime(ClockId::CLOCK_MONOTONIC).map(Duration::from)
}

/// The bytes (tokens) waiting in the budget pipe: `ioctl(FIONREAD)`, which Linux answers
/// for a pipe with the bytes not yet read (fs/pipe.c, `pipe_ioctl`).
fn tokens_in(budget: BorrowedFd) -> anyhow::Result<u32> {
    use std::os::fd::AsRawFd;
    let mut bytes: libc::c_int = 0;
    // SAFETY: FIONREAD writes one `int` through the pointer, which points at `bytes`.
    let result = unsafe { libc::ioctl(budget.as_raw_fd(), libc::FIONREAD, &mut bytes) };
    anyhow::ensure!(result != -1, "FIONREAD on the budget: {}", Errno::last());
    Ok(u32::try_from(bytes).unwrap_or(u32::MAX))
}

/// Whether this process runs in the tree's own process group. The harness starts the first
/// copy (generation 0) as the leader of a new group (`process_group(0)`), and every later
/// copy inherits that group, so: the first copy leads its group; a later one finds the
/// leader among its ancestors, every process between them in the group, and the leader
/// running this same executable (a shell or `cargo` leading the group does not count).
fn in_the_trees_own_group(generation: u32) -> bool {
    let me = getpid().as_raw();
    let group = getpgrp().as_raw();
    if generation == 0 {
        return me == group;
    }
    let same_program = |pid: i32| {
        let exe = |pid: String| std::fs::read_link(format!("/proc/{pid}/exe")).ok();
        exe(pid.to_string()).is_some_and(|leader| Some(leader) == exe("self".into()))
    };
    let mut pid = me;
    // A chain longer than the most processes a tree may have cannot be one.
    for _ in 0..=MAX_CAP {
        if pid == group {
            return pid != me && same_program(pid);
        }
        match kit::testing::stat_of(pid) {
            Some(stat) if stat.pgrp == group => pid = stat.ppid,
            _ => return false,
        }
    }
    false
}

fn number<T: std::str::FromStr>(var: &str) -> anyhow::Result<T> {
    let text = std::env::var(var).with_context(|| format!("{var} is not set"))?;
    text.parse()
        .map_err(|_| anyhow::anyhow!("{var}={text:?} is not a number"))
}

/// The pipe whose descriptor number `var` names. It must be open and be a pipe, so a stray
/// variable cannot turn some other file into a budget.
fn inherited_pipe(var: &str) -> anyhow::Result<BorrowedFd<'static>> {
    let fd: RawFd = number(var)?;
    anyhow::ensure!(fd > 2, "{var}={fd} is a standard stream");
    // SAFETY: F_GETFD only reads the descriptor's flags; it fails with EBADF if `fd` is not
    // open. nix 0.32's `fcntl` wants a `BorrowedFd`, which we may only make once we know
    // the descriptor is open.
    let open = unsafe { libc::fcntl(fd, libc::F_GETFD) } != -1;
    anyhow::ensure!(open, "{var}={fd} is not an open descriptor");
    // SAFETY: `fd` is open, inherited from our parent, and nothing in this process closes
    // it: it stays open until the process exits.
    let borrowed = unsafe { BorrowedFd::borrow_raw(fd) };
    let mode = nix::sys::stat::fstat(borrowed)?.st_mode;
    let kind = nix::sys::stat::SFlag::from_bits_truncate(mode) & nix::sys::stat::SFlag::S_IFMT;
    anyhow::ensure!(
        kind == nix::sys::stat::SFlag::S_IFIFO,
        "{var}={fd} is not a pipe"
    );
    Ok(borrowed)
}
