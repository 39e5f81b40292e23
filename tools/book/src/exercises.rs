//! `cargo book exercises [--watch]`: the learner's loop over the self-study exercises.
//!
//! The exercises live in `exercises/`, a Cargo workspace of their own (the book's
//! workspace excludes it, because every exercise fails its tests until it is solved). Each
//! folder `NN-name/` holds `src/lib.rs` with `// TODO` markers, `tests/check.rs`, `HINT.md` and
//! `solution.rs`. The loop runs the exercises' tests in order, counts the solved ones, and
//! stops at the first that fails, with its file, the failing test's message and the hint.
//! Progress is whatever the tests say on this run: there is no state file to edit.
//!
//! The same [`Runner`] serves the book's own meta-check (`tests/exercises.rs`), which runs it
//! on temporary copies: every exercise must fail as given and pass with its solution.

use crate::process::{self, Limits, Ran};
use crate::watch;
use anyhow::{Context, bail};
use regex::Regex;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::LazyLock;
use std::time::Duration;

/// The exercises' workspace, relative to the repository root.
pub const DIR: &str = "exercises";

/// Where the book's pages for the exercises live, relative to the repository root.
pub const PAGES: &str = "src/exercises";

/// The test target that decides whether an exercise is solved: `NN-name/tests/check.rs`.
pub const TEST: &str = "check";

/// One exercise: a crate `NN-name/` in the exercises' workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exercise {
    /// The folder's name, e.g. `01-join-threads`: its number orders the exercises.
    pub name: String,
    /// The Cargo package's name, e.g. `join-threads` (a package name cannot start with a
    /// digit, so it is the folder's name without the number).
    pub package: String,
    /// The folder, relative to the repository root (or to whatever [`list`] was given).
    pub dir: PathBuf,
}

impl Exercise {
    /// The file to edit.
    pub fn lib(&self) -> PathBuf {
        self.dir.join("src/lib.rs")
    }

    /// The solved `src/lib.rs`, which the book shows behind a "Solution" block.
    pub fn solution(&self) -> PathBuf {
        self.dir.join("solution.rs")
    }

    /// One paragraph of help, printed by the loop and shown on the exercise's page.
    pub fn hint(&self) -> PathBuf {
        self.dir.join("HINT.md")
    }

    /// The test the exercise must pass.
    pub fn test(&self) -> PathBuf {
        self.dir.join("tests").join(format!("{TEST}.rs"))
    }

    /// The exercise's page in the book, relative to the repository root.
    pub fn page(&self) -> PathBuf {
        Path::new(PAGES).join(format!("{}.md", self.name))
    }
}

/// Every exercise of the workspace at `root/exercises`, in order: the folders whose
/// name is two digits, a dash and a name, and that hold a Cargo.toml.
pub fn list(root: &Path) -> anyhow::Result<Vec<Exercise>> {
    list_in(root, Path::new(DIR))
}

/// Like [`list`], for an exercises' workspace at `root/dir` (the meta-check uses copies).
pub fn list_in(root: &Path, dir: &Path) -> anyhow::Result<Vec<Exercise>> {
    static NAME: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^[0-9]{2}-[a-z0-9-]+$").expect("valid regex"));
    let full = root.join(dir);
    let entries =
        std::fs::read_dir(&full).with_context(|| format!("reading {}", full.display()))?;
    let mut exercises = Vec::new();
    for entry in entries {
        let name = entry?.file_name().to_string_lossy().into_owned();
        let manifest_path = full.join(&name).join("Cargo.toml");
        if !NAME.is_match(&name) || !manifest_path.is_file() {
            continue;
        }
        let manifest: toml::Table = toml::from_str(&std::fs::read_to_string(&manifest_path)?)
            .with_context(|| format!("parsing {}", manifest_path.display()))?;
        let package = manifest
            .get("package")
            .and_then(|p| p.get("name"))
            .and_then(|n| n.as_str())
            .with_context(|| format!("{} has no package name", manifest_path.display()))?
            .to_owned();
        exercises.push(Exercise {
            dir: dir.join(&name),
            name,
            package,
        });
    }
    exercises.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(exercises)
}

/// What one run of an exercise's tests showed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Every test passed.
    Solved,
    /// It builds, and at least one test failed.
    Failing(Vec<Failure>),
    /// It does not build: the compiler's messages.
    BuildError(String),
    /// The tests were still running after the runner's timeout (a deadlock, or an endless
    /// loop), and were stopped.
    TimedOut(Duration),
}

/// One failed test: its name, and what it printed (its panic message first of all).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub test: String,
    pub message: String,
}

/// Runs exercises' tests with cargo: where the workspace is, where to build, how long a test
/// run may take.
#[derive(Debug, Clone)]
pub struct Runner {
    /// The exercises' workspace manifest, `exercises/Cargo.toml`.
    pub manifest: PathBuf,
    /// Cargo's target directory, shared by all exercises so that nothing is built twice.
    pub target_dir: PathBuf,
    /// Longest a test run may take before it is stopped (building does not count).
    pub timeout: Duration,
    /// Pass `--locked`: the lock file must be up to date (for CI, not for learners).
    pub locked: bool,
}

impl Runner {
    /// The runner of `cargo book exercises`: the repository's exercises, built in
    /// `target/exercises`.
    pub fn for_repo(root: &Path) -> Runner {
        Runner {
            manifest: root.join(DIR).join("Cargo.toml"),
            target_dir: root.join("target/exercises"),
            timeout: Duration::from_secs(120),
            locked: false,
        }
    }

    /// `cargo test` on the exercises' workspace with our flags and `args`.
    fn cargo(&self, args: &[&str]) -> Command {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut command = Command::new(cargo);
        command
            .arg("test")
            .arg("--manifest-path")
            .arg(&self.manifest)
            .arg("--target-dir")
            .arg(&self.target_dir)
            .args(["--quiet", "--color", "never"])
            .args(self.locked.then_some("--locked"))
            .args(args)
            // Short failure messages: the panic, not a backtrace.
            .env("RUST_BACKTRACE", "0")
            .stdin(Stdio::null());
        command
    }

    /// Builds every exercise's tests at once (cargo compiles them in parallel). Whether it
    /// worked does not matter: [`Runner::check`] reports each exercise's own build errors.
    pub fn build_all(&self) -> anyhow::Result<()> {
        let mut command = self.cargo(&["--workspace", "--tests", "--no-run"]);
        run_with_timeout(&mut command, None)?;
        Ok(())
    }

    /// Builds and runs one exercise's tests.
    pub fn check(&self, exercise: &Exercise) -> anyhow::Result<Outcome> {
        let package = exercise.package.as_str();
        let mut build = self.cargo(&["--package", package, "--test", TEST, "--no-run"]);
        let built = run_with_timeout(&mut build, None)?;
        if !built.status.success() {
            return Ok(Outcome::BuildError(compiler_errors(&built.stderr)));
        }
        let mut test = self.cargo(&["--package", package, "--test", TEST]);
        test.args(["--", "--color", "never"]);
        let ran = run_with_timeout(&mut test, Some(self.timeout))?;
        Ok(if ran.timed_out {
            Outcome::TimedOut(self.timeout)
        } else if ran.status.success() {
            Outcome::Solved
        } else {
            let mut failures = failures(&ran.stdout);
            if failures.is_empty() {
                // The test program crashed (a signal, an abort) or cargo failed: show its end.
                failures.push(Failure {
                    test: "(the test program)".to_owned(),
                    message: process::tail(&format!("{}{}", ran.stdout, ran.stderr), 20),
                });
            }
            Outcome::Failing(failures)
        })
    }
}

/// Runs `command` in a process group of its own, so that on a timeout the whole tree (cargo,
/// the test program and whatever it started) is stopped, not cargo alone.
fn run_with_timeout(command: &mut Command, timeout: Option<Duration>) -> anyhow::Result<Ran> {
    let limits = Limits {
        timeout,
        own_group: true,
        poll: Duration::from_millis(20),
    };
    process::run(command, limits, || {})
}

/// The failed tests in libtest's output: each `---- NAME stdout ----` section, up to the
/// next section or the closing `failures:` list.
pub fn failures(stdout: &str) -> Vec<Failure> {
    static HEADER: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^---- (.+) stdout ----$").expect("valid regex"));
    // `thread 'name' (12345) panicked at …`: the thread id says nothing to a reader.
    static THREAD_ID: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^(thread '[^']*') \(\d+\) panicked at").expect("valid regex")
    });
    let mut found: Vec<Failure> = Vec::new();
    let mut current: Option<(String, Vec<String>)> = None;
    let mut finish = |current: &mut Option<(String, Vec<String>)>| {
        if let Some((test, lines)) = current.take() {
            let message = lines.join("\n").trim().to_owned();
            found.push(Failure { test, message });
        }
    };
    for line in stdout.lines() {
        if let Some(header) = HEADER.captures(line) {
            finish(&mut current);
            current = Some((header[1].to_owned(), Vec::new()));
        } else if line == "failures:" {
            finish(&mut current);
        } else if let Some((_, lines)) = &mut current
            && !line.starts_with("note: run with `RUST_BACKTRACE=")
        {
            lines.push(THREAD_ID.replace(line, "$1 panicked at").into_owned());
        }
    }
    finish(&mut current);
    found
}

/// The compiler's errors from cargo's stderr, without the noise after them.
fn compiler_errors(stderr: &str) -> String {
    let kept: Vec<&str> = stderr
        .lines()
        .filter(|l| !l.starts_with("warning: build failed, waiting for other jobs"))
        .collect();
    // The first errors are the ones to fix; later ones often follow from them.
    let mut text = kept.iter().take(60).copied().collect::<Vec<_>>().join("\n");
    if kept.len() > 60 {
        text.push_str("\n…");
    }
    text.trim().to_owned()
}

/// `cargo book exercises`: check the exercises in order and show where the learner stands;
/// with `watch`, check again whenever a file under exercises changes.
pub fn run(root: &Path, watch: bool) -> anyhow::Result<()> {
    let runner = Runner::for_repo(root);
    let tty = std::io::stdout().is_terminal();
    check_and_report(root, &runner, tty)?;
    if !watch {
        return Ok(());
    }

    println!("\nWatching {DIR} for changes: save a file to check again (Ctrl-C to stop).");
    watch::on_change(&[root.join(DIR)], is_exercise_source, || {
        if tty {
            print!("\x1b[2J\x1b[H"); // clear the screen, cursor to the top
        }
        check_and_report(root, &runner, tty)?;
        println!("\nWatching {DIR} for changes: save a file to check again (Ctrl-C to stop).");
        Ok(())
    })
}

/// The files whose change can change an exercise's outcome (not editors' swap files).
fn is_exercise_source(path: &Path) -> bool {
    let in_target = path.components().any(|c| c.as_os_str() == "target");
    let extension = path.extension().and_then(|e| e.to_str());
    !in_target && matches!(extension, Some("rs" | "toml" | "md" | "lock"))
}

/// Checks the exercises in order up to the first unsolved one, and prints the progress and
/// what to do next.
fn check_and_report(root: &Path, runner: &Runner, tty: bool) -> anyhow::Result<()> {
    let exercises = list(root)?;
    if exercises.is_empty() {
        bail!("no exercises under {DIR}");
    }
    let total = exercises.len();
    println!("Self-study exercises in {DIR}: each one is done when its tests pass.\n");
    for (done, exercise) in exercises.iter().enumerate() {
        if tty {
            print!("  … {} (building and testing)", exercise.name);
            std::io::stdout().flush()?;
        }
        let outcome = runner.check(exercise)?;
        if tty {
            print!("\r\x1b[2K"); // back to the start of the line, and clear it
        }
        if outcome == Outcome::Solved {
            println!("  ✓ {}", exercise.name);
            continue;
        }
        println!("  ✗ {}\n", exercise.name);
        println!("{done}/{total} done.\n");
        print_next(root, exercise, &outcome);
        return Ok(());
    }
    println!("\n{total}/{total} done. Every exercise passes its tests: well done!");
    println!("Compare yours with the solutions in the book (cargo book serve, part Exercises).");
    Ok(())
}

fn print_next(root: &Path, exercise: &Exercise, outcome: &Outcome) {
    println!("Next: {}", exercise.name);
    println!("  Edit:  {}  (look for TODO)", exercise.lib().display());
    println!(
        "  Read:  {}  (in the book: cargo book serve)",
        exercise.page().display()
    );
    println!(
        "  Test:  cargo test --manifest-path {DIR}/Cargo.toml -p {}",
        exercise.package
    );
    println!();
    match outcome {
        Outcome::Solved => {}
        Outcome::BuildError(errors) => {
            // rustc names files relative to the exercises' workspace: make them relative to
            // the repository, where the learner is.
            static LOCATION: LazyLock<Regex> =
                LazyLock::new(|| Regex::new(r"--> ([^/])").expect("valid regex"));
            let errors = LOCATION.replace_all(errors, format!("--> {DIR}/$1"));
            println!("It does not compile:\n");
            println!("{}", indent(&errors));
        }
        Outcome::TimedOut(after) => println!(
            "Its tests were still running after {} s, and were stopped: a deadlock, or a loop \
             that never ends?",
            after.as_secs()
        ),
        Outcome::Failing(failures) => {
            // One failure at a time, the first in the order of tests/check.rs: the exercise's
            // author puts the test that explains the most first.
            let tests = std::fs::read_to_string(root.join(exercise.test())).unwrap_or_default();
            let position =
                |f: &Failure| tests.find(&format!("fn {}(", f.test)).unwrap_or(usize::MAX);
            let mut failures: Vec<&Failure> = failures.iter().collect();
            failures.sort_by_key(|f| position(f));
            let first = failures[0];
            println!("The test `{}` fails:\n", first.test);
            let message = first
                .message
                .replace(" panicked at ", &format!(" panicked at {DIR}/"));
            println!("{}", indent(&message));
            if failures.len() > 1 {
                let others: Vec<String> = failures[1..]
                    .iter()
                    .map(|f| format!("`{}`", f.test))
                    .collect();
                println!("\nFailing too: {}.", others.join(", "));
            }
        }
    }
    let hint = std::fs::read_to_string(root.join(exercise.hint())).unwrap_or_default();
    if !hint.trim().is_empty() {
        println!("\nHint ({}):\n", exercise.hint().display());
        println!("{}", indent(hint.trim()));
    }
    println!(
        "\nFix it, then run `cargo book exercises` again (or `cargo book exercises --watch`, \
         which checks again on every save)."
    );
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| {
            if l.is_empty() {
                String::new()
            } else {
                format!("    {l}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_failures_of_libtest_output() {
        let output = "\nrunning 2 tests\nfirst --- FAILED\n.\nfailures:\n\n\
                      ---- first stdout ----\n\n\
                      thread 'first' (4242) panicked at 01-x/tests/check.rs:10:5:\n\
                      it went wrong\n  left: 1\n right: 2\n\
                      note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n\n\
                      ---- second stdout ----\nthread 'second' panicked at src/lib.rs:3:9:\nboom\n\n\
                      failures:\n    first\n    second\n\n\
                      test result: FAILED. 0 passed; 2 failed; 0 ignored\n";
        let found = failures(output);
        assert_eq!(
            found,
            [
                Failure {
                    test: "first".to_owned(),
                    message: "thread 'first' panicked at 01-x/tests/check.rs:10:5:\n\
                              it went wrong\n  left: 1\n right: 2"
                        .to_owned(),
                },
                Failure {
                    test: "second".to_owned(),
                    message: "thread 'second' panicked at src/lib.rs:3:9:\nboom".to_owned(),
                },
            ]
        );
    }

    #[test]
    fn watches_sources_not_build_output_or_swap_files() {
        assert!(is_exercise_source(Path::new(
            "/r/exercises/01-a/src/lib.rs"
        )));
        assert!(is_exercise_source(Path::new("/r/exercises/01-a/HINT.md")));
        assert!(!is_exercise_source(Path::new(
            "/r/exercises/01-a/src/.lib.rs.swp"
        )));
        assert!(!is_exercise_source(Path::new("/r/exercises/target/x.rs")));
    }
}
