//! The command line as a reader meets it: it works on the checkout it is run in, and a
//! broken include fails the build.
//!
//! `cargo book` works on the checkout it is run in, not on the one that compiled it.
//!
//! Two checkouts that share a `CARGO_TARGET_DIR` run the same binary; so does a checkout
//! that was moved after it was built. The binary must find its book from the current
//! directory. Before this was fixed, the binary built the book it was compiled from, and
//! only a path in its output told.

use book::fixture::BookTest;
use std::path::Path;
use std::process::Command;

/// A minimal checkout of another book: the markers the tool looks for and one chapter.
fn other_checkout() -> BookTest {
    BookTest::new("Another checkout").checkout().chapter(
        "Only",
        "only.md",
        "# Only\n\nThe page of another checkout.\n",
    )
}

/// `cargo book build` run in `dir`.
fn build_in(dir: impl AsRef<Path>) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_book"))
        .arg("build")
        .current_dir(dir)
        .output()
        .unwrap()
}

/// The stderr of a run that failed with exit status 1, as every error but a usage error does.
fn failed(out: &std::process::Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    stderr
}

#[test]
fn builds_the_checkout_it_is_run_in() {
    let dir = other_checkout();
    let out = build_in(dir.root().join("src"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The book of the checkout the tool was run in is built in its target/book.
    let page = dir.read("target/book/only.html");
    assert!(page.contains("The page of another checkout."));
    // mdBook's progress goes to stderr through tracing: plain text on a pipe.
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("INFO"), "{stderr}");
    assert!(
        !stderr.contains('\x1b'),
        "no colour codes on a pipe: {stderr}"
    );
}

#[test]
fn outside_any_checkout_is_a_one_line_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = build_in(dir.path());
    let stderr = failed(&out);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("not inside a Threads vs Processes checkout"),
        "{stderr}"
    );
}

#[test]
fn a_broken_include_fails_the_build_with_file_and_line() {
    let dir = other_checkout();
    dir.write("src/listing.rs", "fn main() {}\n");
    dir.write(
        "src/only.md",
        "# Only\n\n```rust\n{{#include listing.rs:missing}}\n```\n\n{{#include gone.rs}}\n",
    );
    let out = build_in(dir.root());
    let stderr = failed(&out);
    assert!(stderr.contains("src/only.md:4"), "{stderr}");
    assert!(
        stderr.contains("no ANCHOR/ANCHOR_END pair named `missing`"),
        "{stderr}"
    );
    assert!(stderr.contains("src/only.md:7"), "{stderr}");
    assert!(
        stderr.contains("includes gone.rs, which does not exist"),
        "{stderr}"
    );
    assert!(
        !dir.root().join("target/book/only.html").exists(),
        "nothing is built from a page with a broken include"
    );
}

#[test]
fn a_deleted_chapter_names_its_summary_line() {
    let dir = other_checkout();
    std::fs::remove_file(dir.root().join("src/only.md")).unwrap();
    let out = build_in(dir.root());
    let stderr = failed(&out);
    assert!(
        stderr.contains("src/SUMMARY.md:3: lists only.md, which does not exist"),
        "{stderr}"
    );
    assert!(
        !stderr.contains('\x1b'),
        "no colour codes on a pipe: {stderr}"
    );
}

/// `cargo book serve` in `root`, with at most `fds` descriptors; returns it and its URL.
fn serve_with_fd_limit(root: &Path, fds: u64) -> (std::process::Child, String) {
    use std::io::{BufRead, BufReader};
    use std::os::unix::process::CommandExt;
    let mut command = Command::new(env!("CARGO_BIN_EXE_book"));
    command
        .args(["serve", "--port", "0"])
        .current_dir(root)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null());
    // SAFETY: between fork and exec the closure makes two system calls (setrlimit, prctl)
    // and builds its error from an errno, without allocating.
    unsafe {
        command.pre_exec(move || {
            use nix::sys::resource::{Resource, setrlimit};
            setrlimit(Resource::RLIMIT_NOFILE, fds, fds)?;
            // Dies with this test's thread, should the test fail before it kills it.
            nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGKILL)?;
            Ok(())
        });
    }
    let mut server = command.spawn().unwrap();
    let mut line = String::new();
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .split_whitespace()
        .find(|word| word.starts_with("http://"))
        .unwrap_or_else(|| panic!("no URL in {line:?}"))
        .to_owned();
    (server, url)
}

#[test]
fn serve_answers_while_idle_connections_exceed_its_descriptors() {
    use std::io::{Read, Write};
    use std::net::TcpStream;
    let dir = other_checkout();
    let (mut server, url) = serve_with_fd_limit(dir.root(), 256);
    let address = url.trim_start_matches("http://").trim_end_matches('/');
    // Connections that never send a request, more than the server has descriptors for.
    let idle: Vec<TcpStream> = (0..300)
        .map(|_| TcpStream::connect(address).unwrap())
        .collect();
    for _ in 0..2 {
        let mut stream = TcpStream::connect(address).unwrap();
        // A liveness bound, not a timing claim: a server that makes room answers at once; one
        // that waits for idle connections to time out (30 s per read before this was fixed)
        // does not answer within it.
        stream
            .set_read_timeout(Some(std::time::Duration::from_secs(20)))
            .unwrap();
        write!(stream, "GET /only.html HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        let mut reply = String::new();
        stream.read_to_string(&mut reply).unwrap();
        assert!(reply.starts_with("HTTP/1.1 200 OK"), "{reply}");
        assert!(reply.contains("The page of another checkout."));
    }
    drop(idle);
    server.kill().unwrap();
    server.wait().unwrap();
}

#[test]
fn an_error_mdbook_only_logs_fails_the_build_and_is_shown_once() {
    let book = other_checkout();
    let config = book.read("book.toml");
    book.write(
        "book.toml",
        &format!("{config}\n[output.html]\nmathjax-support = \"no\"\n"),
    );
    let stderr = failed(&build_in(book.root()));
    assert_eq!(
        stderr
            .matches("Failed to deserialize `output.html`")
            .count(),
        1,
        "{stderr}"
    );
}
