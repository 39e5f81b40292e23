//! Exercise 11: start a program from a multithreaded parent safely.
//!
//! `run` starts a program the classic way: fork, then exec in the child. It works when the
//! program is alone. But if another thread holds the log's lock at the moment of the fork,
//! the child hangs forever: it inherits the lock, locked, and the thread that would unlock it
//! does not exist in the child. Make `run` safe in a program with other threads. Run `cargo
//! book exercises` to check. Chapter: "Copy-on-write", section "Fork in a multithreaded
//! program" (src/concepts/copy-on-write.md), and "Process lifecycle: fork, exec, wait"
//! (src/concepts/lifecycle.md).

mod log;

pub use log::{LOG, log};

use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, execvp, fork};
use std::ffi::CString;
use std::io;

// ANCHOR: run
/// Runs `program` (looked up in `PATH`) with `args`, waits for it, and returns its exit code.
/// Logs what it starts.
pub fn run(program: &str, args: &[&str]) -> io::Result<i32> {
    let argv: Vec<CString> = std::iter::once(program)
        .chain(args.iter().copied())
        .map(CString::new)
        .collect::<Result<_, _>>()?;
    // TODO: after fork, the child of a multithreaded program has one thread, and a copy of
    // every lock as it was, held or not. Until it execs, it may only call async-signal-safe
    // functions (signal-safety(7)); `log` takes a lock, `format!` allocates, and even
    // `nix::unistd::execvp` allocates its argument array. Use `std::process::Command`, which
    // prepares everything before the child exists, and log from the parent.
    //
    // SAFETY: not really: the child below does more than async-signal-safe calls.
    match unsafe { fork() }? {
        ForkResult::Child => {
            log(format!("child {}: running {program}", std::process::id()));
            let _ = execvp(&argv[0], &argv);
            // SAFETY: `_exit` is async-signal-safe. Reached only if exec failed.
            unsafe { nix::libc::_exit(127) }
        }
        ForkResult::Parent { child } => match waitpid(child, None)? {
            WaitStatus::Exited(_, code) => Ok(code),
            other => Err(io::Error::other(format!(
                "{program} did not exit: {other:?}"
            ))),
        },
    }
}
// ANCHOR_END: run
