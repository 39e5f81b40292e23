//! concepts/process.md: the PID of this process and of its parent.

// ANCHOR: pid
fn main() {
    // getpid(2): the same value in every thread of this process.
    println!("pid  = {}", std::process::id());
    // getppid(2), Unix only.
    println!("ppid = {}", std::os::unix::process::parent_id());
}
// ANCHOR_END: pid
