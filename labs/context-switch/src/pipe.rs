//! The pipe handoff: 8 bytes each way through two pipes, one per direction. A read from an
//! empty pipe blocks "until data is available" (pipe(7)): that block is the switch. Everything
//! here only calls `read(2)` and `write(2)` and does arithmetic, which are async-signal-safe
//! (signal-safety(7)), so the same code runs in a pong thread and in a forked pong child.

use nix::errno::Errno;
use nix::unistd::{read, write};
use std::os::fd::{AsFd, OwnedFd};

/// Reads exactly `buf.len()` bytes, retrying after signals and short reads. Only `read(2)`
/// and arithmetic: fine in a forked child.
pub fn read_exact(fd: impl AsFd, buf: &mut [u8]) -> nix::Result<()> {
    let mut done = 0;
    while done < buf.len() {
        match read(fd.as_fd(), &mut buf[done..]) {
            Ok(0) => return Err(Errno::EPIPE),
            Ok(n) => done += n,
            Err(Errno::EINTR) => {}
            Err(err) => return Err(err),
        }
    }
    Ok(())
}

/// Writes all of `buf` (8 bytes: pipe(7) says a write of at most `PIPE_BUF` bytes is atomic,
/// but we do not rely on it).
pub fn write_all(fd: impl AsFd, buf: &[u8]) -> nix::Result<()> {
    let mut done = 0;
    while done < buf.len() {
        match write(fd.as_fd(), &buf[done..]) {
            Ok(n) => done += n,
            Err(Errno::EINTR) => {}
            Err(err) => return Err(err),
        }
    }
    Ok(())
}

// ANCHOR: pong_pipe
/// Pong's side of a pipe ping-pong: `round_trips` times, read ping's counter, check that it
/// is the next odd number, send it back plus one. Returns how many round trips it answered.
/// Only `read`, `write` and arithmetic, so a forked child may run it.
pub fn pong_pipe(from_ping: &OwnedFd, to_ping: &OwnedFd, round_trips: u64) -> nix::Result<u64> {
    let mut message = [0u8; 8];
    for answered in 0..round_trips {
        read_exact(from_ping, &mut message)?;
        let counter = u64::from_ne_bytes(message);
        if counter != 2 * answered + 1 {
            return Err(Errno::EPROTO);
        }
        write_all(to_ping, &(counter + 1).to_ne_bytes())?;
    }
    Ok(round_trips)
}
// ANCHOR_END: pong_pipe
