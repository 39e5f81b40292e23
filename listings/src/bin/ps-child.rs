//! concepts/process.md: start `ps` as a child with `Command` and wait for it.

// ANCHOR: ps_child
use std::process::Command;

fn main() -> std::io::Result<()> {
    let me = std::process::id().to_string();
    // Start `ps` as a child process and wait for it to finish.
    let status = Command::new("ps")
        .args(["-o", "pid,ppid,stat,comm", "-p", &me])
        .status()?;
    println!("ps exited with {status}");
    Ok(())
}
// ANCHOR_END: ps_child
