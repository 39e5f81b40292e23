//! What it costs to start something that runs and wait until it has ended.
//!
//! Nine ways are compared, from the cheapest we expect to the dearest:
//!
//! - a tokio task: `tokio::spawn` + `.await` of its `JoinHandle`, from a task on a
//!   multi-thread runtime, which asks the kernel for nothing (see [`task`]);
//! - a thread: `std::thread::spawn` + `join`;
//! - a scoped thread: `std::thread::scope` with one `spawn`;
//! - a bare thread: `pthread_create` + `pthread_join` through libc, what std's thread is
//!   built on, so the difference is what std adds;
//! - a process that runs nothing: `fork`, the child `_exit`s, the parent `waitpid`s;
//! - a process that runs nothing and borrows the parent's memory instead of copying its page
//!   tables: `clone(CLONE_VM | CLONE_VFORK)`, the child `_exit`s, `waitpid` (vfork without
//!   its danger: see [`vfork_once`]);
//! - a process that runs a program: `fork`, the child `execv`s `/bin/true`, `waitpid`;
//! - the same program started by `posix_spawn` (nix's wrapper), then `waitpid`;
//! - the same program started by `std::process::Command::status`.
//!
//! The three process kinds that `fork` or borrow the parent's memory are then measured again
//! from bigger parents ([`PARENT_KINDS`], [`touched_memory`]).
//!
//! Every kind is measured in a fresh copy of the lab (see [`measure_in_fresh_process`]), so
//! what one kind left behind cannot make another look slower, and only the task kind's copy
//! builds a runtime.

// The whole lab is Linux's (clone, /proc, prctl); off Linux, main.rs says so in one line.
#![cfg(target_os = "linux")]

use anyhow::{Context, bail, ensure};
use clap::ValueEnum;
use kit::anon::TouchedMemory;
use kit::{Children, Summary};
use nix::errno::Errno;
use nix::spawn::{PosixSpawnAttr, PosixSpawnFileActions, posix_spawn};
use nix::sys::prctl;
use nix::sys::signal::{SigSet, SigmaskHow, Signal};
use nix::sys::wait::WaitStatus;
use nix::unistd::{Pid, getppid};
use std::ffi::{CStr, CString, OsStr, c_char, c_int, c_void};
use std::hint::black_box;
use std::num::NonZeroUsize;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, ExitStatus};
use std::time::Duration;

/// The program the process kinds run: it does nothing and exits 0, so what we time is the
/// creating and the waiting.
pub mod report;
pub mod task;

pub const TRUE_PROGRAM: &str = "/bin/true";

/// Rounds run before the recorded ones, so the first thread stack, the runtime's first task
/// allocation or the first page of `/bin/true` read from disk is not counted as the cost of
/// creation.
pub const WARM_UP_ROUNDS: usize = 5;

/// The ways of starting something that this lab compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Kind {
    Task,
    Thread,
    ScopedThread,
    Pthread,
    Fork,
    Vfork,
    ForkExec,
    PosixSpawn,
    StdCommand,
}

impl Kind {
    pub const ALL: [Kind; 9] = [
        Kind::Task,
        Kind::Thread,
        Kind::ScopedThread,
        Kind::Pthread,
        Kind::Fork,
        Kind::Vfork,
        Kind::ForkExec,
        Kind::PosixSpawn,
        Kind::StdCommand,
    ];

    /// The kind's name on the command line and in record ids.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Task => "task",
            Kind::Thread => "thread",
            Kind::ScopedThread => "scoped-thread",
            Kind::Pthread => "pthread",
            Kind::Fork => "fork",
            Kind::Vfork => "vfork",
            Kind::ForkExec => "fork-exec",
            Kind::PosixSpawn => "posix-spawn",
            Kind::StdCommand => "std-command",
        }
    }

    /// What one round does, in words.
    pub fn how(self) -> &'static str {
        match self {
            Kind::Task => "tokio::spawn + .await, from a task on a multi-thread runtime",
            Kind::Thread => "thread::spawn + join",
            Kind::ScopedThread => "thread::scope, one spawn",
            Kind::Pthread => "pthread_create (default attributes) + pthread_join",
            Kind::Fork => "fork, child _exit(0), waitpid",
            Kind::Vfork => "clone(CLONE_VM | CLONE_VFORK), child _exit(0), waitpid",
            Kind::ForkExec => "fork, child execv /bin/true, waitpid",
            Kind::PosixSpawn => "posix_spawn /bin/true, waitpid",
            Kind::StdCommand => "Command::new(\"/bin/true\").status()",
        }
    }

    /// The record id, e.g. `spawn-cost/fork`.
    pub fn id(self) -> String {
        format!("spawn-cost/{}", self.name())
    }
}

// ANCHOR: threads
/// Starts a thread that does nothing and waits for it to end.
pub fn spawn_thread_once() {
    let handle = std::thread::spawn(|| {});
    handle.join().expect("an empty thread cannot panic");
}

/// The same with a scoped thread. `scope` returns once the thread's closure has finished,
/// which is not quite a join: the OS thread may still be exiting (see the page).
pub fn spawn_scoped_thread_once() {
    std::thread::scope(|scope| {
        scope.spawn(|| {});
    });
}
// ANCHOR_END: threads

// ANCHOR: pthread
/// The start routine of a bare thread: it returns its argument at once, so `pthread_join`
/// hands back what `pthread_create` was given, which shows that the routine ran.
extern "C" fn empty_start(arg: *mut c_void) -> *mut c_void {
    arg
}

/// Starts a thread with `pthread_create(3)` and the default attributes, running a routine
/// that returns at once, and waits for it with `pthread_join(3)`: the two calls that
/// `std::thread::spawn` and `join` make, without what the standard library adds around them.
pub fn pthread_once() -> anyhow::Result<()> {
    let mut token = 0u8;
    let arg: *mut c_void = (&raw mut token).cast();
    let mut thread: libc::pthread_t = 0;
    // SAFETY: `thread` is a valid place for the new thread's id; a null attribute pointer
    // asks for the default attributes (pthread_create(3)); `empty_start` only returns its
    // argument, never reads through it, and cannot unwind.
    let created = unsafe { libc::pthread_create(&mut thread, std::ptr::null(), empty_start, arg) };
    // Both calls return an error number instead of setting errno (pthread_create(3)).
    ensure!(created == 0, "pthread_create: {}", Errno::from_raw(created));
    let mut returned: *mut c_void = std::ptr::null_mut();
    // SAFETY: `thread` was just created joinable (the default) and is joined exactly once.
    let joined = unsafe { libc::pthread_join(thread, &mut returned) };
    ensure!(joined == 0, "pthread_join: {}", Errno::from_raw(joined));
    ensure!(returned == arg, "the thread's start routine did not run");
    Ok(())
}
// ANCHOR_END: pthread

// ANCHOR: fork
/// Forks a child that exits at once with `status`, and waits for exactly that child.
pub fn fork_once(children: &mut Children, status: i32) -> anyhow::Result<(Pid, WaitStatus)> {
    // SAFETY: the child only returns a number, which kit passes to `_exit`.
    let pid = unsafe { children.spawn(|| status) }?;
    Ok((pid, children.wait(pid)?))
}
// ANCHOR_END: fork

// ANCHOR: vfork
/// The stack a [`vfork_once`] child runs on: its own memory, so that the child, which shares
/// the parent's address space, never writes to the frames of the parent's stack.
pub struct ChildStack {
    memory: Box<[u8]>,
}

impl ChildStack {
    /// Enough for glibc's `clone` trampoline, `vfork_child` and `_exit`; a lot to spare.
    pub const SIZE: usize = 64 * 1024;

    pub fn new() -> Self {
        Self {
            memory: vec![0; Self::SIZE].into_boxed_slice(),
        }
    }

    /// The address the child's stack starts from: stacks grow down on the architectures
    /// Linux runs Rust on, from the top, which the ABI wants 16-byte aligned.
    fn top(&mut self) -> *mut c_void {
        let range = self.memory.as_mut_ptr_range();
        range.end.map_addr(|end| end & !15).cast()
    }
}

impl Default for ChildStack {
    fn default() -> Self {
        Self::new()
    }
}

/// All the child of [`vfork_once`] does: end at once with the status it was given (passed
/// as the pointer's value, so nothing is read from memory).
extern "C" fn vfork_child(status: *mut c_void) -> c_int {
    // SAFETY: _exit(2) is async-signal-safe (signal-safety(7)) and one of the two calls
    // vfork(2) allows its child; it ends the child without running any handler or flushing
    // anything of the memory it shares with the parent.
    unsafe { libc::_exit(status.addr() as c_int) }
}

/// Creates a child process that borrows the parent's memory instead of copying its page
/// tables, as vfork(2) does, lets it exit with `status`, and waits for exactly that child.
pub fn vfork_once(
    children: &mut Children,
    stack: &mut ChildStack,
    status: u8,
) -> anyhow::Result<(Pid, WaitStatus)> {
    // No signal handler may run in the child: it would run on the parent's memory. Block
    // every signal around the clone (the child inherits the mask) and restore it after, as
    // glibc's posix_spawn does (sysdeps/unix/sysv/linux/spawni.c). glibc leaves its own two
    // internal signals unblocked (pthread_sigmask), but sends them only to the threads of
    // this process (nptl), and the child is a process of its own, not one of them.
    let mask = SigSet::all().thread_swap_mask(SigmaskHow::SIG_SETMASK)?;
    let flags = libc::CLONE_VM | libc::CLONE_VFORK | libc::SIGCHLD;
    let arg = std::ptr::without_provenance_mut(usize::from(status));
    // glibc's clone(2) wrapper starts the child on `stack`, its own memory that outlives the
    // call, and calls `vfork_child` there, so the child never returns into Rust code on the
    // parent's stack (the danger of vfork(2) in Rust). CLONE_VFORK suspends this thread until
    // the child has exited (clone(2)), so `stack` is not reused or freed while the child runs
    // on it, and `&mut` keeps any other thread from lending it meanwhile. SIGCHLD as the exit
    // signal makes the child an ordinary one for waitpid(2).
    // SAFETY: the child runs on a stack of its own and touches no shared memory: it makes one
    // call, _exit, as vfork(2) requires.
    let pid = unsafe { libc::clone(vfork_child, stack.top(), flags, arg) };
    let created = Errno::result(pid).map(Pid::from_raw);
    mask.thread_set_mask()?;
    let pid = created.context("clone(CLONE_VM | CLONE_VFORK)")?;
    children.adopt(pid);
    Ok((pid, children.wait(pid)?))
}
// ANCHOR_END: vfork

/// A program to run, prepared before any fork: a forked child may not allocate, so the C
/// string and the null-terminated argument array the child hands to `execv` exist already.
#[derive(Debug)]
pub struct Program {
    path: CString,
    argv: [*const c_char; 2],
}

impl Program {
    pub fn new(path: &str) -> anyhow::Result<Self> {
        let path = CString::new(path).context("a program path cannot contain a NUL byte")?;
        // The pointer stays valid when `path` moves into the struct: it points into the
        // CString's heap buffer, which does not move.
        let argv = [path.as_ptr(), std::ptr::null()];
        Ok(Self { path, argv })
    }

    pub fn path(&self) -> &CStr {
        &self.path
    }

    fn path_os(&self) -> &OsStr {
        OsStr::from_bytes(self.path.to_bytes())
    }

    // ANCHOR: exec
    /// Replaces the calling process with the program; returns only if that failed, with the
    /// status shells use for a command that could not be run (127).
    fn exec(&self) -> i32 {
        // nix's `execv` collects its arguments into a new Vec (an allocation) inside the
        // child, so we call libc's `execv` (exec(3)) on the array built before the fork.
        // SAFETY: `path` and `argv` live as long as `self`, and `argv` ends with a null
        // pointer; execv is async-signal-safe (signal-safety(7)).
        unsafe { libc::execv(self.path.as_ptr(), self.argv.as_ptr()) };
        127
    }
    // ANCHOR_END: exec
}

// ANCHOR: fork_exec
/// Forks a child that runs `program` in place of the lab, and waits for it.
pub fn fork_exec_once(
    children: &mut Children,
    program: &Program,
) -> anyhow::Result<(Pid, WaitStatus)> {
    // SAFETY: the child makes one system call, execv, on memory prepared before the fork;
    // if that fails it returns a number, which kit passes to `_exit`.
    let pid = unsafe { children.spawn(|| program.exec()) }?;
    Ok((pid, children.wait(pid)?))
}
// ANCHOR_END: fork_exec

// ANCHOR: posix_spawn
/// Starts `program` with posix_spawn(3), without forking the lab ourselves, and waits for it.
pub fn posix_spawn_once(
    children: &mut Children,
    program: &Program,
) -> anyhow::Result<(Pid, WaitStatus)> {
    let no_file_actions = PosixSpawnFileActions::init()?;
    let default_attributes = PosixSpawnAttr::init()?;
    let no_environment: [&CStr; 0] = [];
    let pid = posix_spawn(
        program.path(),
        &no_file_actions,
        &default_attributes,
        &[program.path()],
        &no_environment,
    )?;
    children.adopt(pid);
    Ok((pid, children.wait(pid)?))
}
// ANCHOR_END: posix_spawn

// ANCHOR: std_command
/// Starts `program` the way most Rust code does, and waits for it.
pub fn std_command_once(program: &Program) -> anyhow::Result<ExitStatus> {
    Ok(Command::new(program.path_os()).status()?)
}
// ANCHOR_END: std_command

fn expect_exit_0((pid, status): (Pid, WaitStatus)) -> anyhow::Result<()> {
    ensure!(
        status == WaitStatus::Exited(pid, 0),
        "child {pid} ended with {status:?}, not exit status 0"
    );
    Ok(())
}

// ANCHOR: measure
/// Runs `kind` for `rounds` rounds, after a few warm-up rounds that are not recorded, and
/// returns the wall time of each round: create, run nothing, wait for the end.
pub fn measure(kind: Kind, rounds: usize, parent_mib: usize) -> anyhow::Result<Vec<Duration>> {
    let ballast = touched_memory(parent_mib)?;
    if kind == Kind::Task {
        // A task's round is awaited inside a task, which `time_rounds`'s closure cannot do:
        // task.rs runs the same warm-up and timing loop there, and checks that every round ran.
        let samples = task::measure(rounds);
        black_box(&ballast);
        return samples;
    }
    let program = Program::new(TRUE_PROGRAM)?;
    let mut children = Children::new();
    let mut stack = ChildStack::new();
    let mut once = || -> anyhow::Result<()> {
        match kind {
            Kind::Task => unreachable!("measured above, inside a task"),
            Kind::Thread => spawn_thread_once(),
            Kind::ScopedThread => spawn_scoped_thread_once(),
            Kind::Pthread => pthread_once()?,
            Kind::Fork => expect_exit_0(fork_once(&mut children, 0)?)?,
            Kind::Vfork => expect_exit_0(vfork_once(&mut children, &mut stack, 0)?)?,
            Kind::ForkExec => expect_exit_0(fork_exec_once(&mut children, &program)?)?,
            Kind::PosixSpawn => expect_exit_0(posix_spawn_once(&mut children, &program)?)?,
            Kind::StdCommand => {
                let status = std_command_once(&program)?;
                ensure!(status.success(), "{TRUE_PROGRAM} ended with {status}");
            }
        }
        Ok(())
    };
    let samples = kit::lab::time_rounds(WARM_UP_ROUNDS, rounds, &mut once)?;
    black_box(&ballast); // alive, and resident, until the last round has run
    Ok(samples)
}
// ANCHOR_END: measure

// ANCHOR: ballast
/// `mib` MiB of private anonymous memory with every page written ([`TouchedMemory`], in the
/// kit), so every page is resident and has a page-table entry of its own: the memory a bigger
/// parent would have, for `fork` to copy entries of. In ordinary pages (`MADV_NOHUGEPAGE`,
/// madvise(2)) whatever the system's setting: where transparent huge pages are `always`, one
/// entry would map what 512 ordinary pages cover on x86-64, and `fork` would copy far fewer.
/// `None` for 0 MiB, the small lab of the first table.
pub fn touched_memory(mib: usize) -> anyhow::Result<Option<TouchedMemory>> {
    NonZeroUsize::new(mib << 20)
        .map(|len| TouchedMemory::new(len, false, 1))
        .transpose()
}
// ANCHOR_END: ballast

// ANCHOR: fresh_process
/// Measures `kind` in a fresh copy of the lab (`EXE --measure-only KIND`) and returns the
/// summary that copy prints as JSON.
///
/// Why a fresh process: `fork` copies the parent's page tables, so its cost depends on what
/// the parent did before. A lab that has already started and joined a thousand threads keeps
/// the last thread stacks mapped (glibc caches them for reuse, nptl/nptl-stack.c), and a
/// fork measured after that would pay for them, and so would a fork from a process whose
/// tokio runtime keeps its worker threads. A fresh copy per kind means every kind starts from
/// the same state, a just-started lab, whatever order the kinds run in, and only the task
/// kind's copy has a runtime.
///
/// The copy leads a process group of its own, so it and everything it starts can be
/// signalled together (`kill -- -PGID`); it also asks to be killed when the lab ends
/// ([`die_with_parent`]), and the lab waits for it before reading its answer.
pub fn measure_in_fresh_process(
    exe: &Path,
    kind: Kind,
    rounds: usize,
    parent_mib: usize,
) -> anyhow::Result<Summary> {
    let mut copy = Command::new(exe);
    copy.args(["--measure-only", kind.name()])
        .args(["--rounds", &rounds.to_string()])
        .args(["--ballast-mib", &parent_mib.to_string()])
        .args(["--parent", &std::process::id().to_string()])
        .process_group(0);
    kit::command::read_json(&mut copy, kind.name())
}
// ANCHOR_END: fresh_process

/// In a measuring copy: asks the kernel to kill this process if the lab that started it
/// ends (`PR_SET_PDEATHSIG`, prctl(2)), and gives up if the lab has ended already.
pub fn die_with_parent(parent: Pid) -> anyhow::Result<()> {
    prctl::set_pdeathsig(Signal::SIGKILL)?;
    if getppid() != parent {
        bail!("the lab (pid {parent}) that started this measuring copy has already ended");
    }
    Ok(())
}

/// The measuring copy's whole job: measure one kind and describe the samples as JSON.
pub fn measure_only(kind: Kind, rounds: usize, parent_mib: usize) -> anyhow::Result<String> {
    let samples = measure(kind, rounds, parent_mib)?;
    let summary = Summary::of_durations(&samples).context("no samples")?;
    Ok(serde_json::to_string(&summary)?)
}

/// The kinds measured again from bigger parents: the ones whose cost might depend on how
/// much memory the parent has.
pub const PARENT_KINDS: [Kind; 3] = [Kind::Fork, Kind::ForkExec, Kind::PosixSpawn];

/// What to measure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Recorded rounds per kind, from the lab as it is.
    pub rounds: usize,
    /// Parent sizes (MiB of touched memory) for the [`PARENT_KINDS`] sweep.
    pub parent_mib: Vec<usize>,
    /// Recorded rounds per kind and size in that sweep (a big fork is slow).
    pub parent_rounds: usize,
}

impl Settings {
    /// Every measurement to make, in order: (kind, parent MiB, rounds). A parent size of 0
    /// is the lab as it is, with nothing extra touched.
    pub fn plan(&self) -> Vec<(Kind, usize, usize)> {
        let plain = Kind::ALL.into_iter().map(|kind| (kind, 0, self.rounds));
        let bigger = self.parent_mib.iter().flat_map(|&mib| {
            PARENT_KINDS
                .into_iter()
                .map(move |kind| (kind, mib, self.parent_rounds))
        });
        plain.chain(bigger).collect()
    }
}

/// One kind, from one parent size.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Measurement {
    pub kind: Kind,
    pub parent_mib: usize,
    pub summary: Summary,
}

impl Measurement {
    /// `spawn-cost/fork` for the lab as it is, `spawn-cost/fork-parent-256mib` for a parent
    /// that touched 256 MiB first.
    pub fn id(&self) -> String {
        match self.parent_mib {
            0 => self.kind.id(),
            mib => format!("{}-parent-{mib}mib", self.kind.id()),
        }
    }
}

/// Everything one run of the lab measured.
#[derive(Debug, Clone)]
pub struct Results {
    pub settings: Settings,
    pub measurements: Vec<Measurement>,
}

impl Results {
    /// Makes every measurement of the plan, each in its own fresh copy of `exe`;
    /// `progress(i, total, kind, parent_mib)` is called before measurement `i` starts.
    pub fn collect(
        exe: &Path,
        settings: Settings,
        mut progress: impl FnMut(usize, usize, Kind, usize),
    ) -> anyhow::Result<Self> {
        let plan = settings.plan();
        let mut measurements = Vec::with_capacity(plan.len());
        for (i, &(kind, parent_mib, rounds)) in plan.iter().enumerate() {
            progress(i, plan.len(), kind, parent_mib);
            let summary = measure_in_fresh_process(exe, kind, rounds, parent_mib)?;
            measurements.push(Measurement {
                kind,
                parent_mib,
                summary,
            });
        }
        Ok(Self {
            settings,
            measurements,
        })
    }

    /// The median for `kind` from a parent of `parent_mib` (0: the lab as it is).
    pub fn median(&self, kind: Kind, parent_mib: usize) -> f64 {
        self.measurements
            .iter()
            .find(|m| m.kind == kind && m.parent_mib == parent_mib)
            .map_or(f64::NAN, |m| m.summary.median)
    }

    /// How many times as long as a thread `kind` took (median against median).
    pub fn vs_thread(&self, kind: Kind) -> f64 {
        self.median(kind, 0) / self.median(Kind::Thread, 0)
    }
}
