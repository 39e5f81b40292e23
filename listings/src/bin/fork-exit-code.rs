//! concepts/lifecycle.md: fork a child that exits with 7, and wait for that status.

fn main() -> nix::Result<()> {
    // ANCHOR: fork_exit_code
    use nix::sys::wait::{WaitStatus, waitpid};
    use nix::unistd::{ForkResult, fork};

    // SAFETY: the child calls only async-signal-safe functions (_exit) before it ends.
    match unsafe { fork() }? {
        ForkResult::Parent { child } => {
            let status = waitpid(child, None)?;
            assert_eq!(status, WaitStatus::Exited(child, 7));
        }
        ForkResult::Child => {
            // SAFETY: _exit is async-signal-safe and never returns.
            unsafe { libc::_exit(7) }
        }
    }
    // ANCHOR_END: fork_exit_code
    println!("the child exited with 7");
    Ok(())
}
