//! Programs started with `std::process::Command` that die with the lab.
//!
//! A child forked by [`crate::children::fork_child`] asks for `PR_SET_PDEATHSIG` itself. A
//! `Command` child does not: when the lab is killed, a Python interpreter or a re-executed
//! copy of the lab runs on as an orphan. [`command`] is `Command::new` plus that request,
//! made in the child between `fork` and `exec` (`pre_exec`), where the death signal survives
//! the `exec` (prctl(2): it is cleared only for set-user-ID and similar binaries).
//!
//! The request has a race: if the lab dies after `fork` but before the `prctl`, no signal
//! will ever come. So the child then checks that its parent is still the lab (`getppid`)
//! and, if not, fails the spawn instead of running as an orphan.
//!
//! Two things to know:
//! - The death signal fires when the **thread** that spawned the child ends, not only the
//!   process (prctl(2)). Spawn from a thread that outlives the child (the main thread, or
//!   one that waits for it).
//! - `pre_exec` makes std fork and exec instead of using `posix_spawn` (library/std/src/sys/
//!   process/unix/unix.rs, `posix_spawn` gives up when there is a `pre_exec` closure). That
//!   is why spawn-cost's *measured* spawns use plain `Command::new`: they measure
//!   `posix_spawn` on purpose.

use anyhow::{Context, ensure};
use serde::de::DeserializeOwned;
use std::ffi::OsStr;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};

/// `Command::new(program)` whose child is killed (`SIGKILL`) when the spawning thread ends,
/// and refuses to start if the lab has already gone. Use it for every program a lab starts
/// that may outlive a moment, unless the program asks for the death signal itself after
/// `exec`, ends by itself when the lab goes (fd-inheritance's pre-fork workers, at end of
/// file on stdin), or the lab needs std's `posix_spawn` path (the book's appendix, "How the labs keep
/// their children", lists which children do which, and what kills the rest: the lab's
/// signal handler, [`crate::interrupt`]).
///
/// ```no_run
/// let status = kit::command::command("python3").arg("-c").arg("pass").status()?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn command(program: impl AsRef<OsStr>) -> Command {
    let mut command = Command::new(program);
    die_with_parent(&mut command);
    command
}

/// The lab itself run again (`std::env::current_exe`), as [`command`]: for the re-executed
/// copy that measures in a fresh process or runs a demo. Add the hidden flag that tells the
/// copy what to do with `.arg(…)`; the copy need not check its parent itself.
///
/// ```no_run
/// let output = kit::command::myself()?.arg("--measure-only").arg("fork").output()?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn myself() -> std::io::Result<Command> {
    Ok(command(std::env::current_exe()?))
}

/// Runs `command`, a measuring copy of the lab, to its end and reads the JSON it prints on
/// stdout; its stderr is the lab's. `what` names what the copy measures, in the errors: the
/// copy could not start, failed, or printed no `T`. `output()` reaps the copy before this
/// returns.
pub fn read_json<T: DeserializeOwned>(command: &mut Command, what: &str) -> anyhow::Result<T> {
    let output = command.stderr(Stdio::inherit()).output().with_context(|| {
        format!(
            "could not start {}",
            command.get_program().to_string_lossy()
        )
    })?;
    ensure!(
        output.status.success(),
        "measuring {what} failed: {}",
        output.status
    );
    serde_json::from_slice(&output.stdout)
        .with_context(|| format!("the measuring copy for {what} printed no result"))
}

// ANCHOR: die_with_parent
/// Makes `command`'s child die with the thread that spawns it (see the module docs).
pub fn die_with_parent(command: &mut Command) -> &mut Command {
    // SAFETY: getpid has no preconditions.
    let parent = unsafe { libc::getpid() };
    // SAFETY: the closure runs in the child between fork and exec and makes only
    // async-signal-safe calls (prctl, getppid); the error it returns is built from a raw
    // errno, which does not allocate.
    unsafe {
        command.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            if libc::getppid() != parent {
                // The lab ended before the prctl: no death signal will come.
                return Err(std::io::Error::from_raw_os_error(libc::ESRCH));
            }
            Ok(())
        })
    }
}
// ANCHOR_END: die_with_parent

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_child_dies_with_the_thread_that_spawned_it() {
        use std::os::unix::process::ExitStatusExt;
        let _lock = crate::testing::fork_lock();
        let mut child = std::thread::spawn(|| command("sleep").arg("30").spawn().unwrap())
            .join()
            .unwrap();
        // The spawning thread has ended, so the kernel sends the child SIGKILL.
        let status = child.wait().unwrap();
        assert_eq!(status.signal(), Some(libc::SIGKILL));
        assert!(crate::procfs::live_children().is_empty());
    }

    #[test]
    fn read_json_reads_what_the_copy_printed_and_names_what_went_wrong() {
        let _lock = crate::testing::fork_lock();
        let numbers: Vec<u32> = read_json(command("echo").arg("[1, 2]"), "numbers").unwrap();
        assert_eq!(numbers, [1, 2]);
        let failed = read_json::<u32>(command("sh").args(["-c", "exit 3"]), "x").unwrap_err();
        assert!(
            failed.to_string().starts_with("measuring x failed: "),
            "{failed}"
        );
        let garbled = read_json::<u32>(command("echo").arg("nope"), "x").unwrap_err();
        assert_eq!(
            garbled.to_string(),
            "the measuring copy for x printed no result"
        );
        assert!(crate::procfs::live_children().is_empty());
    }
}
