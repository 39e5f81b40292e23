//! concepts/lifecycle.md: one `killpg` signals a child and the grandchildren it started.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // ANCHOR: kill_group
    use nix::sys::signal::{Signal, killpg};
    use nix::unistd::Pid;
    use std::io::{BufRead, BufReader};
    use std::os::unix::process::CommandExt;
    use std::process::{Command, Stdio};

    let mut child = Command::new("sh")
        .args(["-c", "sleep 100 & sleep 100 & echo started; wait"])
        .process_group(0) // the child leads a new process group
        .stdout(Stdio::piped())
        .spawn()?;
    // Wait for the shell's line: by then it has started both sleeps.
    let stdout = child.stdout.take().expect("stdout is piped");
    BufReader::new(stdout).read_line(&mut String::new())?;
    let pgid = Pid::from_raw(child.id() as i32);
    killpg(pgid, Signal::SIGTERM)?; // the shell and both sleeps get SIGTERM
    child.wait()?; // reap our direct child
    // ANCHOR_END: kill_group
    println!("pgid = {pgid}");
    Ok(())
}
