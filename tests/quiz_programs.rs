//! Every program a quiz shows is real: a `Tracing` question's program compiles and prints
//! what its answer says (one of the outputs it accepts), or fails to compile at the line its
//! answer names. The book's listings and labs are compiled and tested where they live; the
//! quiz programs live in TOML, so this test compiles them the same way a reader would.
//!
//! Each program becomes a binary of one scratch package in `quiz-programs/` under cargo's
//! `CARGO_TARGET_TMPDIR` (removed when the test ends, also when it fails), with the
//! workspace's own `nix` and `libc` dependencies and its `Cargo.lock`, so that `nix::…` in a
//! quiz means the version the labs use. The programs that should compile are built together
//! and each is run a few times (some print in an order the scheduler chooses, and their
//! answer lists every accepted order): each run must exit 0 within its time limit, print an
//! accepted output and leave no process behind (what stays in the program's process group is
//! killed and reported by `book::process::run`; the test is also a child subreaper, so a
//! child that left the group is re-parented to it and seen). Each program that should not compile is
//! built alone, and the line of its first error, from cargo's JSON messages, must be the
//! answer's. The build directory, `quiz-programs-build/` beside it, stays between runs, so a
//! rerun compiles only the programs.

use book::process::{Limits, run};
use book::quiz::{QuestionKind, load, quiz_files};
use book::repo_root;
use kit::testing::{fork_lock, live_descendants};
use nix::sys::prctl;
use nix::sys::signal::{Signal, kill};
use nix::sys::wait::waitpid;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// One `Tracing` question's program and what its answer says of it.
struct Program {
    /// `<quiz>--<question>`: the binary's name, and how failures name the question.
    name: String,
    source: String,
    /// `Some(outputs)` when it compiles (the accepted outputs), `None` when it does not.
    accepted: Option<Vec<String>>,
    /// The line of the first error, for a program that does not compile.
    error_line: Option<usize>,
}

/// Every `Tracing` program of every quiz.
fn programs(root: &Path) -> Vec<Program> {
    let mut programs = Vec::new();
    for file in quiz_files(root) {
        let quiz = load(root, &file)
            .unwrap_or_else(|problems| panic!("{}: {}", file.display(), problems[0].message));
        for q in quiz.questions {
            if q.kind != QuestionKind::Tracing {
                continue;
            }
            let compiles = q
                .compiles
                .expect("a Tracing question says whether it compiles");
            programs.push(Program {
                name: format!("{}--{}", quiz.id, q.id),
                source: q.program.expect("a Tracing question has a program"),
                accepted: compiles.then_some(q.accepted),
                error_line: q.line,
            });
        }
    }
    programs
}

/// The scratch package, removed when dropped.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Where the scratch package and its build go: cargo's temporary folder for this test crate.
fn tmp() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
}

/// Writes the package: a binary per program, the workspace's `nix` and `libc`.
fn scratch(root: &Path, programs: &[Program]) -> Scratch {
    let dir = tmp().join("quiz-programs");
    let _ = std::fs::remove_dir_all(&dir);
    let scratch = Scratch(dir);
    let bin = scratch.0.join("src/bin");
    std::fs::create_dir_all(&bin).unwrap();
    let manifest: toml::Table =
        toml::from_str(&std::fs::read_to_string(root.join("Cargo.toml")).unwrap()).unwrap();
    let deps = &manifest["workspace"]["dependencies"];
    let mut text = String::from(
        "# Written by tests/quiz_programs.rs; removed when the test ends.\n\
         [package]\nname = \"quiz-programs\"\nversion = \"0.0.0\"\nedition = \"2024\"\n\
         publish = false\n\n[workspace]\n\n[dependencies]\n",
    );
    for dep in ["nix", "libc"] {
        text.push_str(&format!("{dep} = {}\n", deps[dep]));
    }
    std::fs::write(scratch.0.join("Cargo.toml"), text).unwrap();
    // The workspace's versions, not the newest the registry knows.
    std::fs::copy(root.join("Cargo.lock"), scratch.0.join("Cargo.lock")).unwrap();
    for p in programs {
        std::fs::write(bin.join(format!("{}.rs", p.name)), &p.source).unwrap();
    }
    scratch
}

/// `cargo build` of the named binaries in the scratch package, with cargo's JSON messages.
fn build(scratch: &Scratch, bins: &[&str]) -> book::process::Ran {
    cargo(scratch, "build", bins, &[])
}

/// `cargo <subcommand>` of the named binaries in the scratch package, with cargo's JSON
/// messages; `lints` go to the compiler (after `--`).
fn cargo(scratch: &Scratch, subcommand: &str, bins: &[&str], lints: &[&str]) -> book::process::Ran {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .arg(subcommand)
        .arg("--offline")
        .arg("--message-format=json")
        .arg("--manifest-path")
        .arg(scratch.0.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(tmp().join("quiz-programs-build"));
    for bin in bins {
        command.args(["--bin", bin]);
    }
    if !lints.is_empty() {
        command.arg("--").args(lints);
    }
    let limits = Limits {
        // The first build compiles nix; later ones only the programs.
        timeout: Some(Duration::from_secs(600)),
        own_group: true,
        poll: Duration::from_millis(50),
    };
    run(&mut command, limits, || {}).unwrap()
}

/// The primary lines of the errors in cargo's JSON messages, in order.
fn error_lines(json: &str) -> Vec<usize> {
    json.lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|m| m["reason"] == "compiler-message" && m["message"]["level"] == "error")
        .filter_map(|m| {
            let spans = m["message"]["spans"].as_array()?;
            let primary = spans.iter().find(|s| s["is_primary"] == true)?;
            Some(primary["line_start"].as_u64()? as usize)
        })
        .collect()
}

/// The rendered compiler errors in cargo's JSON messages, for a failure message.
fn rendered(json: &str) -> String {
    json.lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter_map(|m| m["message"]["rendered"].as_str().map(str::to_owned))
        .collect()
}

#[test]
fn every_quiz_program_compiles_or_fails_where_its_answer_says_and_prints_its_answer() {
    let root = repo_root();
    let programs = programs(&root);
    assert!(
        programs.iter().any(|p| p.accepted.is_some())
            && programs.iter().any(|p| p.accepted.is_none()),
        "expected Tracing programs of both kinds in quizzes/"
    );
    let scratch = scratch(&root, &programs);
    let mut failures = Vec::new();
    // The lock's drop checks, at the end, that nothing is left; as a subreaper this process
    // also inherits any grandchild a quiz program left running, so the check sees it.
    let _lock = fork_lock();
    prctl::set_child_subreaper(true).expect("PR_SET_CHILD_SUBREAPER");

    let compiling: Vec<&Program> = programs.iter().filter(|p| p.accepted.is_some()).collect();
    let names: Vec<&str> = compiling.iter().map(|p| p.name.as_str()).collect();
    let built = build(&scratch, &names);
    assert!(
        built.status.success(),
        "the quiz programs that should compile do not:\n{}{}",
        rendered(&built.stdout),
        built.stderr
    );
    // The book's rule for code holds in quizzes too: every `unsafe` block says why it is sound.
    let linted = cargo(
        &scratch,
        "clippy",
        &names,
        &["-D", "clippy::undocumented_unsafe_blocks"],
    );
    assert!(
        linted.status.success(),
        "a quiz program has an `unsafe` block without a `// SAFETY:` comment:\n{}{}",
        rendered(&linted.stdout),
        linted.stderr
    );
    let bin_dir = tmp().join("quiz-programs-build/debug");
    for p in &compiling {
        let accepted = p.accepted.as_ref().unwrap();
        // Three runs: a program whose order the scheduler picks must print an accepted one
        // every time.
        for _ in 0..3 {
            let limits = Limits {
                timeout: Some(Duration::from_secs(30)),
                own_group: true,
                poll: Duration::from_millis(10),
            };
            // `run` kills what the program left in its process group once it ends (so a child
            // holding its stdout cannot keep the run going) and says so; a child that left the
            // group is re-parented to this subreaper and found here.
            let ran = run(&mut Command::new(bin_dir.join(&p.name)), limits, || {}).unwrap();
            let left = live_descendants();
            for &pid in &left {
                let _ = kill(pid, Signal::SIGKILL);
                let _ = waitpid(pid, None);
            }
            let printed = ran.stdout.trim_end();
            if ran.timed_out || !ran.status.success() || ran.left_behind || !left.is_empty() {
                failures.push(format!(
                    "{}: {}{}{}; stderr: {}",
                    p.name,
                    if ran.timed_out { "timed out, " } else { "" },
                    ran.status,
                    if ran.left_behind || !left.is_empty() {
                        ", and left processes behind"
                    } else {
                        ""
                    },
                    ran.stderr.trim_end()
                ));
                break;
            }
            if !accepted.iter().any(|a| a.trim_end() == printed) {
                failures.push(format!(
                    "{}: printed {printed:?} ({}), but the answer accepts {accepted:?}",
                    p.name, ran.status
                ));
                break;
            }
        }
    }

    for p in programs.iter().filter(|p| p.accepted.is_none()) {
        let built = build(&scratch, &[p.name.as_str()]);
        let lines = error_lines(&built.stdout);
        if built.status.success() {
            failures.push(format!(
                "{}: compiles, but its answer says it does not",
                p.name
            ));
        } else if lines.first() != p.error_line.as_ref() {
            failures.push(format!(
                "{}: the first error is at line {:?}, but the answer says line {:?}:\n{}",
                p.name,
                lines.first(),
                p.error_line,
                rendered(&built.stdout)
            ));
        }
    }
    prctl::set_child_subreaper(false).expect("PR_SET_CHILD_SUBREAPER");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
