//! The other side of a run: a forked child for the transports between processes, a thread
//! for mpsc. After a fork in a process that may have threads, the child may make only
//! async-signal-safe calls (fork(2), signal-safety(7)), so a peer's job allocates nothing and
//! reports a failure as an exit status, not an error value.

use crate::{End, Transport, link};
use anyhow::{Context, ensure};
use kit::Children;
use nix::sys::wait::WaitStatus;
use nix::unistd::Pid;
use std::io::{self, Read};
use std::thread::JoinHandle;

/// The other side: a forked child, or a thread (for mpsc).
pub(crate) enum Peer {
    Process { children: Children, pid: Pid },
    Thread(JoinHandle<i32>),
}

impl Peer {
    /// Runs `job` with `end` in a forked child (or a thread, for mpsc). The parent's copy of
    /// `end` is closed once the child has its own, so a child that dies is seen as
    /// end-of-file rather than a wait that never ends.
    ///
    /// # Safety
    ///
    /// For a child process, `job` must make only async-signal-safe calls (signal-safety(7)):
    /// no allocation, no lock. The jobs here read and write file descriptors or a shared
    /// ring, copy bytes and do arithmetic, into buffers allocated before the fork.
    pub(crate) unsafe fn start(
        transport: Transport,
        mut end: End,
        mut job: impl FnMut(&mut End) -> i32 + Send + 'static,
    ) -> anyhow::Result<Self> {
        if transport == Transport::Mpsc {
            return Ok(Peer::Thread(std::thread::spawn(move || job(&mut end))));
        }
        let mut children = Children::new();
        // In the child, `end` and the job's buffers are forgotten, not dropped: dropping them
        // would call free(3), which a forked child may not; `_exit` releases everything anyway.
        // In the parent, the closure (and `end` with it) is dropped unrun when `spawn` returns,
        // which closes the parent's copy of the child's ends.
        // SAFETY: forwarded to our caller, who promises the job is async-signal-safe.
        let pid = unsafe {
            children.spawn(move || {
                let status = job(&mut end);
                std::mem::forget((end, job));
                status
            })
        }?;
        Ok(Peer::Process { children, pid })
    }

    /// Links a new pair of ends, starts `job` on the peer's end with a buffer of `size` bytes
    /// (allocated here, before the fork: the child may not allocate), and waits until the peer
    /// says [`READY`], so that nothing timed afterwards includes starting it. Returns our end
    /// and the peer.
    ///
    /// # Safety
    ///
    /// As for [`Peer::start`]: `job` must make only async-signal-safe calls.
    pub(crate) unsafe fn start_ready(
        transport: Transport,
        size: usize,
        mut job: impl FnMut(&mut End, &mut [u8]) -> i32 + Send + 'static,
    ) -> anyhow::Result<(End, Self)> {
        let (mut ours, theirs) = link(transport)?;
        let mut buf = vec![0u8; size];
        // SAFETY: forwarded to our caller, who promises the job is async-signal-safe.
        let peer = unsafe { Peer::start(transport, theirs, move |end| job(end, &mut buf)) }?;
        let mut ready = [0u8; 8];
        ours.rx
            .read_exact(&mut ready)
            .context("the peer did not start")?;
        ensure!(ready == READY, "the peer said {ready:?}, not ready");
        Ok((ours, peer))
    }

    /// Waits for the peer and checks that it exited with status 0.
    pub(crate) fn finish(self) -> anyhow::Result<()> {
        match self {
            Peer::Process { mut children, pid } => {
                let status = children.wait(pid)?;
                ensure!(
                    status == WaitStatus::Exited(pid, 0),
                    "peer {pid} ended with {status:?}"
                );
            }
            Peer::Thread(handle) => {
                let status = handle
                    .join()
                    .map_err(|_| anyhow::anyhow!("peer thread panicked"))?;
                ensure!(status == 0, "peer thread failed with {status}");
            }
        }
        Ok(())
    }
}

/// The 8 bytes a peer sends when it is running and ready: nothing is timed before them.
pub(crate) const READY: [u8; 8] = *b"ready!\0\0";

/// A peer's `Read`/`Write` failures become exit statuses (no error values may be built in a
/// forked child).
pub(crate) fn status(result: io::Result<()>, code: i32) -> i32 {
    if result.is_ok() { 0 } else { code }
}
