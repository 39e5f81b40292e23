//! Copy-on-write, frame by frame: which physical page a virtual page sits on, before and
//! after the parent writes to it, with the child still running or already gone.
//!
//! After `fork`, parent and child map the same physical page (the same *frame*), both
//! read-only. The first write to it in the parent takes a write-protect fault, and the kernel
//! then decides (mm/memory.c, `do_wp_page`):
//!
//! - If the page may still be mapped elsewhere, as it is while the child runs, the parent gets
//!   a copy in a new frame; the child keeps the old one, with the old contents.
//! - If the parent's mapping is the only reference left, as it is once the child has exited
//!   (or replaced its memory with `execve`), the kernel reuses the frame: it makes the entry
//!   writable again and copies nothing (`wp_can_reuse_anon_folio`, which checks that the page's
//!   reference count is 1).
//!
//! `/proc/PID/pagemap` shows the frame of every virtual page (proc(5); the kernel's
//! Documentation/admin-guide/mm/pagemap.rst): bits 0-54 are the page frame number (PFN) if the
//! page is present, bit 56 says the page is mapped by this process only, bit 63 that it is
//! present. Since Linux 4.2 the PFN reads as zero unless the reader has `CAP_SYS_ADMIN`.

use crate::page_size;
use anyhow::{Context, ensure};
use kit::Children;
use kit::anon::TouchedMemory;
use kit::lab::{write_heading, write_observations};
use kit::table::Table;
use nix::fcntl::OFlag;
use nix::sched::{CpuSet, sched_getaffinity, sched_getcpu, sched_setaffinity};
use nix::sys::resource::{UsageWho, getrusage};
use nix::sys::wait::WaitStatus;
use nix::unistd::{Pid, pipe2, read, write};
use std::fmt::Write as _;
use std::fs::File;
use std::num::NonZeroUsize;
use std::os::unix::fs::FileExt;

/// What the page holds before the fork.
pub const BEFORE: u8 = 1;
/// What the parent writes after the fork.
pub const AFTER: u8 = 2;

// ANCHOR: pagemap
/// One 64-bit entry of a `/proc/PID/pagemap` file: what the page tables say about one
/// virtual page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageEntry(pub u64);

impl PageEntry {
    /// Bit 63: the page is present in memory.
    pub fn present(self) -> bool {
        self.0 >> 63 & 1 == 1
    }

    /// Bits 0-54: the page frame number, if the page is present. Zero when the reader lacks
    /// `CAP_SYS_ADMIN`.
    pub fn pfn(self) -> u64 {
        self.0 & ((1 << 55) - 1)
    }

    /// Bit 56: the page is mapped by this process only.
    pub fn exclusive(self) -> bool {
        self.0 >> 56 & 1 == 1
    }
}

/// Reads the pagemap entry of the virtual page at `addr` in `pid` (this process if `None`).
/// The file holds one 8-byte entry per virtual page, in address order.
pub fn page_entry(pid: Option<Pid>, addr: usize) -> anyhow::Result<PageEntry> {
    let path = match pid {
        None => "/proc/self/pagemap".to_owned(),
        Some(pid) => format!("/proc/{pid}/pagemap"),
    };
    let file = File::open(&path).with_context(|| format!("could not open {path}"))?;
    let mut entry = [0; 8];
    let offset = (addr / page_size() * entry.len()) as u64;
    file.read_exact_at(&mut entry, offset)
        .with_context(|| format!("could not read {path}"))?;
    Ok(PageEntry(u64::from_ne_bytes(entry)))
}
// ANCHOR_END: pagemap

/// One page of private anonymous memory, in ordinary pages. Unmapped on drop.
#[derive(Debug)]
pub struct OnePage(TouchedMemory);

impl OnePage {
    /// Maps the page and writes [`BEFORE`] to it, which gives it a frame. No transparent huge
    /// page (nor a larger folio) around this page: the kernel treats those differently on a
    /// write fault.
    pub fn new() -> anyhow::Result<Self> {
        let len = NonZeroUsize::new(page_size()).context("a page size of zero")?;
        Ok(Self(TouchedMemory::new(len, false, BEFORE)?))
    }

    /// The page's virtual address.
    pub fn addr(&self) -> usize {
        self.0.as_ptr() as usize
    }

    /// Writes the page's first byte. Volatile, so the compiler cannot drop or move the write
    /// that this whole demonstration is about.
    pub fn write(&self, value: u8) {
        // SAFETY: the byte is inside the mapping, which is readable and writable, and nothing
        // else in this process refers to it.
        unsafe { self.0.as_ptr().write_volatile(value) }
    }

    /// Reads the page's first byte.
    pub fn read(&self) -> u8 {
        // SAFETY: as for `write`.
        unsafe { self.0.as_ptr().read_volatile() }
    }
}

/// Keeps the calling thread on the CPU it is running on, and gives it back its old CPU mask on
/// drop.
///
/// Why: a page faulted in moments ago waits in a per-CPU batch before it joins the kernel's
/// LRU lists, and that batch holds a reference to the page (mm/swap.c, `folio_add_lru`). On a
/// write fault, `wp_can_reuse_anon_folio` drains the batch of the CPU it runs on
/// (`lru_add_drain`), not the others'. A parent that touched the page on one CPU and writes on
/// another could find the extra reference and get a copy, although no other process maps the
/// page. On one CPU, the drain finds it.
#[derive(Debug)]
pub struct OnThisCpu {
    previous: Option<CpuSet>,
}

impl OnThisCpu {
    /// Pins the calling thread to the CPU it is running on. If the kernel refuses, the thread
    /// stays as it was and nothing is restored.
    pub fn pin() -> Self {
        let this_thread = Pid::from_raw(0);
        let previous = sched_getaffinity(this_thread).ok();
        let pinned = sched_getcpu().ok().and_then(|cpu| {
            let mut only = CpuSet::new();
            only.set(cpu).ok()?;
            sched_setaffinity(this_thread, &only).ok()
        });
        Self {
            previous: pinned.and(previous),
        }
    }
}

impl Drop for OnThisCpu {
    fn drop(&mut self) {
        if let Some(previous) = self.previous.take() {
            let _ = sched_setaffinity(Pid::from_raw(0), &previous);
        }
    }
}

/// The minor page faults this thread has taken so far (getrusage(2), `RUSAGE_THREAD`).
fn minor_faults() -> anyhow::Result<i64> {
    Ok(getrusage(UsageWho::RUSAGE_THREAD)?.minor_page_faults())
}

/// Where the child is when the parent writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Child {
    /// Running, blocked on a pipe, still mapping the page.
    Running,
    /// Exited and reaped: its page tables are gone.
    Reaped,
}

/// What the parent saw of its page, and what the child saw, in one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CowRun {
    pub child: Child,
    pub pid: Pid,
    /// The exact status `waitpid` returned for the child.
    pub status: WaitStatus,
    /// The parent's entry after its first write, before the fork.
    pub before_fork: PageEntry,
    /// The parent's entry after the fork (and, for [`Child::Reaped`], after the reaping), just
    /// before its write.
    pub before_write: PageEntry,
    /// The parent's entry after its write.
    pub after_write: PageEntry,
    /// Minor page faults the parent's one write took.
    pub write_faults: i64,
    /// The byte the parent reads back after its write.
    pub parent_reads: u8,
    /// For [`Child::Running`]: the child's entry for the same virtual page after the parent's
    /// write, and the byte the child read there.
    pub child_entry: Option<PageEntry>,
    pub child_reads: Option<u8>,
}

impl CowRun {
    /// Whether the PFNs could be read: they are zero without `CAP_SYS_ADMIN`.
    pub fn frames_visible(&self) -> bool {
        self.before_fork.pfn() != 0
    }
}

// ANCHOR: write_after_fork
/// Touches a page, forks, and writes to the page in the parent, with the child running or
/// already reaped; reads the page's frame number at every step.
pub fn write_after_fork(child: Child) -> anyhow::Result<CowRun> {
    let _on_one_cpu = OnThisCpu::pin();
    let page = OnePage::new()?;
    let addr = page.addr();
    let before_fork = page_entry(None, addr)?;
    ensure!(
        before_fork.present(),
        "the page is not present after a write"
    );

    // Close-on-exec, so that a program another thread starts meanwhile holds no copy.
    let (go_read, go_write) = pipe2(OFlag::O_CLOEXEC)?;
    let (answer_read, answer_write) = pipe2(OFlag::O_CLOEXEC)?;
    let mut children = Children::new(); // kills and reaps the child if we fail below
    // SAFETY: the child only reads and writes pipes (read(2) and write(2) are
    // async-signal-safe, signal-safety(7)) and reads one byte of its copy of the page.
    let pid = unsafe {
        children.spawn(|| match child {
            Child::Reaped => 0,
            Child::Running => {
                let mut go = [0];
                if read(&go_read, &mut go) != Ok(1) {
                    return 2; // the parent went away without asking
                }
                let answer = [page.read()];
                if write(&answer_write, &answer) != Ok(1) {
                    return 3;
                }
                0
            }
        })
    }?;
    // Only the child reads `go` and writes the answer: with our copies closed, the child's
    // end of each pipe is the last, and a child that dies early gives us end-of-file.
    drop((go_read, answer_write));

    let mut status = None;
    if child == Child::Reaped {
        status = Some(children.wait(pid)?);
    }
    let before_write = page_entry(None, addr)?;
    let faults = minor_faults()?;
    page.write(AFTER);
    let write_faults = minor_faults()? - faults;
    let after_write = page_entry(None, addr)?;

    let (mut child_entry, mut child_reads) = (None, None);
    if child == Child::Running {
        child_entry = Some(page_entry(Some(pid), addr)?);
        ensure!(write(&go_write, &[1])? == 1, "could not wake the child");
        let mut answer = [0];
        ensure!(
            read(&answer_read, &mut answer)? == 1,
            "the child ended without answering"
        );
        child_reads = Some(answer[0]);
        status = Some(children.wait(pid)?);
    }
    Ok(CowRun {
        child,
        pid,
        status: status.context("the child was never waited for")?,
        before_fork,
        before_write,
        after_write,
        write_faults,
        parent_reads: page.read(),
        child_entry,
        child_reads,
    })
}
// ANCHOR_END: write_after_fork

/// `0x19e8d3 only here`: a frame number and bit 56, or `absent`.
fn frame(entry: PageEntry) -> String {
    if !entry.present() {
        return "absent".to_owned();
    }
    match entry.pfn() {
        0 => format!("PFN hidden, {}", sharing(entry)),
        pfn => format!("PFN {pfn:#x}, {}", sharing(entry)),
    }
}

/// `pid 1234 exited 0`.
fn ended(status: WaitStatus) -> String {
    match status {
        WaitStatus::Exited(pid, code) => format!("pid {pid} exited {code}"),
        other => format!("{other:?}"),
    }
}

/// Bit 56 in words.
fn sharing(entry: PageEntry) -> &'static str {
    if entry.exclusive() {
        "only here"
    } else {
        "shared"
    }
}

/// The `--demo cow-reuse` report: both runs side by side, then what they show.
pub fn render(running: &CowRun, reaped: &CowRun, machine: &kit::Machine) -> String {
    let mut out = String::new();
    write_heading(
        &mut out,
        "fork-rss: copy-on-write frame by frame (--demo cow-reuse)",
        machine,
    );
    let _ = writeln!(
        out,
        "Copy-on-write, frame by frame. One page of private anonymous memory holds {BEFORE} \
         when the parent forks;\nthen the parent writes {AFTER} to it, once with the child \
         still running and once with the child\nexited and reaped. PFN is the page frame \
         number, bits 0-54 of the page's entry in /proc/PID/pagemap;\n\"only here\" is its \
         bit 56: the page is mapped by that process only.\n"
    );
    let mut table = Table::new(["", "child still running", "child exited and reaped"]);
    let mut row = |label: &str, cell: &dyn Fn(&CowRun) -> String| {
        table.row([label.to_owned(), cell(running), cell(reaped)]);
    };
    row("parent, before the fork", &|r| frame(r.before_fork));
    row("parent, just before its write", &|r| frame(r.before_write));
    row("parent, after its write", &|r| frame(r.after_write));
    row("page faults of that write", &|r| r.write_faults.to_string());
    row("parent then reads", &|r| r.parent_reads.to_string());
    row(
        "child, after the parent's write",
        &|r| match (r.child_entry, r.child_reads) {
            (Some(entry), Some(byte)) => format!("{}; reads {byte}", frame(entry)),
            _ => "gone".to_owned(),
        },
    );
    row("waitpid for the child", &|r| ended(r.status));
    let _ = writeln!(out, "{table}");
    write_observations(&mut out, observations(running, reaped));
    out
}

/// What the two runs show, in words computed from them.
pub fn observations(running: &CowRun, reaped: &CowRun) -> Vec<String> {
    let faults = |run: &CowRun| match run.write_faults {
        1 => "one page fault".to_owned(),
        n => format!("{n} page faults"),
    };
    if !running.frames_visible() {
        return vec![format!(
            "Every PFN reads as zero: since Linux 4.2 the kernel shows frame numbers only to a \
             reader with CAP_SYS_ADMIN (pagemap.rst), so run this as root to see them. Bit 56 \
             needs no privilege: just before the parent's write, the page was {} with the \
             child running and {} with it gone. The write took {} with the child running, \
             {} with it gone.",
            sharing(running.before_write),
            sharing(reaped.before_write),
            faults(running),
            faults(reaped)
        )];
    }
    let mut lines = Vec::new();
    let (old, new) = (running.before_fork.pfn(), running.after_write.pfn());
    if new != old {
        let child = running.child_entry.map_or(0, PageEntry::pfn);
        lines.push(format!(
            "With the child running, the parent's write took {} and moved the parent's page to \
             a new frame, {old:#x} to {new:#x}: a copy. The child still maps {child:#x} and \
             still reads {}.",
            faults(running),
            running.child_reads.unwrap_or_default()
        ));
    } else {
        lines.push(format!(
            "With the child running, the parent's page stayed in frame {old:#x}. Copy-on-write \
             does not allow that while the child maps the page: something is wrong."
        ));
    }
    let (old, new) = (reaped.before_fork.pfn(), reaped.after_write.pfn());
    if new == old {
        lines.push(format!(
            "With the child gone, the write still took {} (the entry was still read-only \
             from the fork), but the page stayed in frame {old:#x}: the parent's mapping was \
             its only reference, so the kernel made the entry writable and copied nothing \
             (mm/memory.c, do_wp_page and wp_can_reuse_anon_folio).",
            faults(reaped)
        ));
    } else {
        lines.push(format!(
            "With the child gone, the write still moved the page, {old:#x} to {new:#x}: the \
             kernel copies whenever the page has another reference, and something held one."
        ));
    }
    lines
}
