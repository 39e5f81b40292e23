//! The book tool builds on any OS: its normal dependencies hold no `nix` (Unix-only, and not
//! Windows at all) and not the kit (Linux-only: /proc, `PR_SET_PDEATHSIG`, signal handlers).
//! The labs need Linux; a reader on macOS or Windows should still be able to build, serve and
//! check the book, which reads the labs' results through the portable `schema` crate.
//!
//! `cargo tree -e normal` lists what the tool's binary and library link, for this host; dev-
//! and build-dependencies are left out, as they never reach a reader's build of the book.

use std::process::Command;

#[test]
fn the_book_tool_depends_on_no_linux_only_crate() {
    let out = Command::new(env!("CARGO"))
        .args([
            "tree",
            "--offline",
            "-p",
            "book",
            "-e",
            "normal",
            "--prefix",
            "none",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("runs cargo tree");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.lines().any(|line| line.starts_with("schema ")),
        "the tool should read results through `schema`:\n{stdout}"
    );
    let linux_only: Vec<&str> = stdout
        .lines()
        .filter(|line| line.starts_with("nix ") || line.starts_with("kit "))
        .collect();
    assert!(
        linux_only.is_empty(),
        "the book tool must build on any OS, but depends on {linux_only:?}"
    );
}
