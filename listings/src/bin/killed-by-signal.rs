//! concepts/lifecycle.md: a child ended by a signal has no exit code, only a signal.

fn main() -> std::io::Result<()> {
    // ANCHOR: killed_by_signal
    use std::os::unix::process::ExitStatusExt;
    use std::process::Command;

    // A shell that kills itself with SIGTERM.
    let status = Command::new("sh").args(["-c", "kill -TERM $$"]).status()?;
    assert_eq!(status.code(), None); // it did not exit...
    assert_eq!(status.signal(), Some(libc::SIGTERM)); // ...a signal ended it
    // ANCHOR_END: killed_by_signal
    println!("sh: {status}");
    Ok(())
}
