//! What `fork` costs as the parent's resident memory grows, beside two ways of starting
//! something that do not copy the parent: `posix_spawn` (through `std::process::Command`) and a
//! thread.
//!
//! `fork` gives the child a copy-on-write view of the parent's memory: no data is copied, but
//! the page-table entries of the parent's written private memory are, one per resident page
//! of it (mappings a fault can refill, such as the program's code, are skipped:
//! `vma_needs_copy` in mm/memory.c), and the child's exit frees them again.
//! fork(2), NOTES: "the only penalty that it incurs is the time and memory required to
//! duplicate the parent's page tables". So fork + exit + wait should grow with the parent's
//! resident memory, while
//! `posix_spawn` (which shares the parent's memory until the new program replaces it) and a
//! thread (which shares it for good) should not.
//!
//! Each parent size is measured in a fresh copy of the lab ([`measure_in_fresh_process`]), so
//! no size inherits the memory, mappings or threads of the sizes before it.

// The whole lab is Linux's (clone, /proc, prctl); off Linux, main.rs says so in one line.
#![cfg(target_os = "linux")]

pub mod cow;
pub mod report;

use anyhow::{Context, bail, ensure};
use kit::anon::TouchedMemory;
use kit::{Children, Summary};
use nix::sys::prctl;
use nix::sys::signal::Signal;
use nix::sys::wait::WaitStatus;
use nix::unistd::{Pid, getppid};
use serde::{Deserialize, Serialize};
use std::num::NonZeroUsize;
use std::path::Path;
use std::process::Command;

/// The lab's name: the prefix of every record id.
pub const LAB: &str = "fork-rss";

/// The program `posix_spawn` runs: it does nothing and exits 0, so what we time is the
/// creating and the waiting.
pub const TRUE_PROGRAM: &str = "/bin/true";

/// Rounds run before the recorded ones (first page faults, first read of `/bin/true`).
pub const WARM_UP_ROUNDS: usize = 3;

const MIB: usize = 1 << 20;

/// The three ways of starting something that this lab compares at every parent size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Fork,
    PosixSpawn,
    Thread,
}

impl Kind {
    /// In the order they are measured: fork first, while the process has one thread.
    pub const ALL: [Kind; 3] = [Kind::Fork, Kind::PosixSpawn, Kind::Thread];

    /// The kind's part of a record id.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Fork => "fork",
            Kind::PosixSpawn => "posix-spawn",
            Kind::Thread => "thread",
        }
    }

    /// What one round does, in words.
    pub fn how(self) -> &'static str {
        match self {
            Kind::Fork => "fork, child _exit(0), waitpid",
            Kind::PosixSpawn => "Command::new(\"/bin/true\").spawn() + wait (posix_spawn)",
            Kind::Thread => "thread::spawn + join",
        }
    }

    /// Runs one round: start, do nothing, wait for the end.
    pub fn once(self, children: &mut Children) -> anyhow::Result<()> {
        match self {
            Kind::Fork => fork_once(children),
            Kind::PosixSpawn => posix_spawn_once(),
            Kind::Thread => {
                thread_once();
                Ok(())
            }
        }
    }
}

/// The record id of one kind at one parent size: `fork-rss/fork/64MiB` (criterion's group
/// `fork-rss`, function `fork/64MiB`, give the same id). Parents whose memory is in huge pages
/// get `-huge`, since they measure something else.
pub fn record_id(kind: &str, mib: usize, pages: Pages) -> String {
    format!("{LAB}/{kind}/{mib}MiB{}", pages.suffix())
}

// ANCHOR: starts
/// Forks a child that exits at once, and waits for exactly that child.
pub fn fork_once(children: &mut Children) -> anyhow::Result<()> {
    // SAFETY: the child only returns 0, which kit passes to `_exit`.
    let pid = unsafe { children.spawn(|| 0) }?;
    let status = children.wait(pid)?;
    ensure!(
        status == WaitStatus::Exited(pid, 0),
        "child {pid} ended with {status:?}"
    );
    Ok(())
}

/// Starts `/bin/true` the way most Rust code starts a program, and waits for it. On Linux
/// with glibc, std uses posix_spawn(3) here, which shares the parent's memory until `exec`.
pub fn posix_spawn_once() -> anyhow::Result<()> {
    let status = Command::new(TRUE_PROGRAM).spawn()?.wait()?;
    ensure!(status.success(), "{TRUE_PROGRAM} ended with {status}");
    Ok(())
}

/// Starts a thread that does nothing, and joins it.
pub fn thread_once() {
    std::thread::spawn(|| {})
        .join()
        .expect("an empty thread cannot panic");
}
// ANCHOR_END: starts

/// How the parent's memory is backed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Pages {
    /// Ordinary pages (4 KiB on x86-64): one page-table entry each. The lab asks the kernel not
    /// to use transparent huge pages here (`MADV_NOHUGEPAGE`), whatever the system default.
    Normal,
    /// Transparent huge pages where the kernel can (`MADV_HUGEPAGE`): one entry per 2 MiB.
    Huge,
}

impl Pages {
    fn suffix(self) -> &'static str {
        match self {
            Pages::Normal => "",
            Pages::Huge => "-huge",
        }
    }
}

pub use kit::anon::page_size;

// ANCHOR: ballast
/// Private anonymous memory with every page written once ([`TouchedMemory`], in the kit), so
/// that every page is resident and has a page-table entry of its own: the memory a bigger
/// parent has, for `fork` to copy entries of. Unmapped on drop.
#[derive(Debug)]
pub struct Ballast {
    /// Held only to stay mapped: nothing reads it, and dropping it unmaps the memory.
    _memory: Option<TouchedMemory>,
}

impl Ballast {
    pub fn new(mib: usize, pages: Pages) -> anyhow::Result<Self> {
        let Some(len) = NonZeroUsize::new(mib * MIB) else {
            return Ok(Self { _memory: None });
        };
        let memory = TouchedMemory::new(len, pages == Pages::Huge, 1)?;
        Ok(Self {
            _memory: Some(memory),
        })
    }
}
// ANCHOR_END: ballast

/// One `kB` field of `/proc/self/status` (proc(5)), in bytes.
fn status_field_kib(name: &str) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let line = status
        .lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(':'))
        .with_context(|| format!("/proc/self/status has no {name}"))?;
    let kib: u64 = line
        .split_whitespace()
        .next()
        .context("empty field")?
        .parse()?;
    Ok(kib * 1024)
}

/// This process's resident memory, `VmRSS` in `/proc/self/status`, in bytes.
pub fn vm_rss_bytes() -> anyhow::Result<u64> {
    status_field_kib("VmRSS")
}

/// How many threads this process has (`Threads` in `/proc/self/status`).
pub fn threads_in_this_process() -> anyhow::Result<usize> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let count = status
        .lines()
        .find_map(|line| line.strip_prefix("Threads:"))
        .context("/proc/self/status has no Threads")?;
    Ok(count.trim().parse()?)
}

pub use kit::machine::mem_available_bytes;

/// The largest parent this machine can afford: half of `MemAvailable` (the machine is
/// shared, and a forked child needs page tables of its own), in whole 64 MiB steps.
pub fn memory_cap_mib(available_bytes: u64) -> usize {
    let half_mib = (available_bytes / 2 / MIB as u64) as usize;
    half_mib / 64 * 64
}

/// The parent sizes to measure, up to `max_mib`: 0, then 64 MiB and four times as much each
/// step, then `max_mib` itself. `sizes(1024)` is `[0, 64, 256, 1024]`.
pub fn sizes(max_mib: usize) -> Vec<usize> {
    let mut sizes = vec![0];
    let mut mib = 64;
    while mib < max_mib {
        sizes.push(mib);
        mib *= 4;
    }
    if max_mib > 0 {
        sizes.push(max_mib);
    }
    sizes
}

/// Everything measured at one parent size.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SizeResult {
    /// MiB of memory the measuring process touched before it measured.
    pub mib: usize,
    pub pages: Pages,
    /// How much `VmRSS` grew while that memory was touched, in bytes.
    pub rss_growth: u64,
    /// Nanoseconds per round, in [`Kind::ALL`] order.
    pub fork: Summary,
    pub posix_spawn: Summary,
    pub thread: Summary,
}

impl SizeResult {
    pub fn of(&self, kind: Kind) -> Summary {
        match kind {
            Kind::Fork => self.fork,
            Kind::PosixSpawn => self.posix_spawn,
            Kind::Thread => self.thread,
        }
    }
}

/// Runs `kind` for `rounds` recorded rounds, after [`WARM_UP_ROUNDS`], and summarises the
/// time of each round in nanoseconds.
pub fn time_rounds(kind: Kind, rounds: usize) -> anyhow::Result<Summary> {
    let mut children = Children::new();
    let samples = kit::lab::time_rounds(WARM_UP_ROUNDS, rounds, || kind.once(&mut children))?;
    Summary::of_durations(&samples).context("no rounds")
}

// ANCHOR: measure_size
/// Touches `mib` MiB, measures how much of it became resident, then times every kind.
/// Fork comes first: the thread rounds leave thread stacks mapped (glibc caches them for
/// reuse), and more mappings would make every later fork a little slower.
pub fn measure_size(mib: usize, pages: Pages, rounds: usize) -> anyhow::Result<SizeResult> {
    let rss_before = vm_rss_bytes()?;
    let ballast = Ballast::new(mib, pages)?;
    let rss_growth = vm_rss_bytes()?.saturating_sub(rss_before);
    let fork = time_rounds(Kind::Fork, rounds)?;
    let posix_spawn = time_rounds(Kind::PosixSpawn, rounds)?;
    let thread = time_rounds(Kind::Thread, rounds)?;
    drop(ballast);
    Ok(SizeResult {
        mib,
        pages,
        rss_growth,
        fork,
        posix_spawn,
        thread,
    })
}
// ANCHOR_END: measure_size

/// What a measuring copy prints: its result as one line of JSON.
pub fn measure_only(mib: usize, pages: Pages, rounds: usize) -> anyhow::Result<String> {
    let threads = threads_in_this_process()?;
    ensure!(
        threads == 1,
        "the measuring copy must have one thread before it forks, it has {threads}"
    );
    Ok(serde_json::to_string(&measure_size(mib, pages, rounds)?)?)
}

// ANCHOR: fresh_process
/// Measures one parent size in a fresh copy of the lab (`EXE --measure-size MIB …`) and
/// reads the result it prints. A fresh copy per size means no size inherits the memory, the
/// mappings or the cached thread stacks of the sizes measured before it.
///
/// The copy leads a process group of its own and dies with the lab ([`die_with_parent`]);
/// `output()` waits for it, so it is reaped before this returns.
pub fn measure_in_fresh_process(
    exe: &Path,
    mib: usize,
    pages: Pages,
    rounds: usize,
) -> anyhow::Result<SizeResult> {
    let mut command = Command::new(exe);
    command
        .args(["--measure-size", &mib.to_string()])
        .args(["--rounds", &rounds.to_string()])
        .args(["--parent", &std::process::id().to_string()]);
    if pages == Pages::Huge {
        command.arg("--huge-pages");
    }
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    kit::command::read_json(&mut command, &format!("{mib} MiB"))
}
// ANCHOR_END: fresh_process

/// In a measuring copy: be killed if the lab that started it ends (`PR_SET_PDEATHSIG`,
/// prctl(2)), and give up if it has ended already.
pub fn die_with_parent(parent: Pid) -> anyhow::Result<()> {
    prctl::set_pdeathsig(Signal::SIGKILL)?;
    if getppid() != parent {
        bail!("the lab (pid {parent}) that started this measuring copy has already ended");
    }
    Ok(())
}

/// One run of the lab.
#[derive(Debug, Clone)]
pub struct Results {
    pub rounds: usize,
    pub pages: Pages,
    /// The largest size asked for, and the cap `MemAvailable` imposed, if it was lower.
    pub asked_mib: usize,
    pub capped: Option<(usize, u64)>,
    pub sizes: Vec<SizeResult>,
}
