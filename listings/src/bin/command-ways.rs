//! concepts/lifecycle.md: spawn, status and output, the three ways `Command` runs a child.

fn main() -> std::io::Result<()> {
    // ANCHOR: command_ways
    use std::process::{Command, Stdio};

    // spawn: start the child and get a handle
    let mut child = Command::new("sort").stdin(Stdio::piped()).spawn()?;
    // ... write to child.stdin ...
    let sort_status = child.wait()?; // reap it

    // status: spawn and wait in one call
    let status = Command::new("true").status()?;

    // output: spawn, capture stdout and stderr, wait
    let out = Command::new("uname").arg("-r").output()?;
    // ANCHOR_END: command_ways
    println!("sort: {sort_status}");
    println!("true: {status}");
    println!("uname -r: {}", String::from_utf8_lossy(&out.stdout).trim());
    Ok(())
}
