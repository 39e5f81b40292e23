//! concepts/copy-on-write.md: the parent never sees the child's writes.

fn main() -> nix::Result<()> {
    // ANCHOR: cow_vec
    use nix::sys::wait::waitpid;
    use nix::unistd::{ForkResult, fork};

    let mut items = vec![1, 2, 3];

    // SAFETY: this program has a single thread, so the child may allocate.
    match unsafe { fork() }? {
        ForkResult::Child => {
            items.push(4); // writes the child's copy: the page is copied first
            // SAFETY: _exit ends the child at once, without running the parent's exit handlers.
            unsafe { libc::_exit(0) }
        }
        ForkResult::Parent { child } => {
            waitpid(child, None)?;
            assert_eq!(items, [1, 2, 3]); // the parent's Vec is unchanged
        }
    }
    // ANCHOR_END: cow_vec
    println!("parent: {items:?}");
    Ok(())
}
