//! The self-study exercises are honest: each one fails as given and passes with its solution,
//! and each has a TODO, a hint and a page in the book.
//!
//! The exercises live in `exercises/`, a workspace of their own that the book's workspace
//! excludes (their tests fail on purpose). This test copies that workspace into
//! `target/exercises-check/` and runs each exercise's tests there with the same runner as
//! `cargo book exercises`: first as given, then with every `solution.rs` copied over its
//! `src/lib.rs`. An exercise that became solved by default, or a solution that stopped
//! working, fails here. The copy is changed in place between the two rounds, not made twice:
//! cargo names a workspace member's build output after its path relative to the workspace,
//! so two copies at different places would share one build, and the second could be taken
//! for fresh. The target directory stays between runs (only the copied sources are removed),
//! so a rerun compiles only the exercises themselves.

use book::exercises::{self, Exercise, Outcome, Runner};
use book::repo_root;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// A copy of the exercises' workspace, removed when dropped, also when the test fails.
struct Copy(PathBuf);

impl Copy {
    /// Copies `exercises` to `to`.
    fn new(root: &Path, to: PathBuf) -> Copy {
        let _ = std::fs::remove_dir_all(&to);
        let copy = Copy(to);
        copy_dir(&root.join(exercises::DIR), &copy.0);
        copy
    }

    /// Puts each exercise's solution in place of its `src/lib.rs`.
    fn solve(&self, exercises: &[Exercise]) {
        for exercise in exercises {
            let dir = self
                .0
                .join(exercise.dir.strip_prefix(exercises::DIR).unwrap());
            std::fs::copy(dir.join("solution.rs"), dir.join("src/lib.rs")).unwrap();
        }
    }

    fn runner(&self, target_dir: &Path) -> Runner {
        Runner {
            manifest: self.0.join("Cargo.toml"),
            target_dir: target_dir.to_path_buf(),
            // Far above what any exercise needs; only a hang gets near it.
            timeout: Duration::from_secs(120),
            locked: true,
        }
    }
}

impl Drop for Copy {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Copies a folder's files, recursively, but no build output.
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let (source, name) = (entry.path(), entry.file_name());
        if source.is_dir() {
            if name != "target" {
                copy_dir(&source, &to.join(&name));
            }
        } else {
            std::fs::copy(&source, to.join(&name)).unwrap();
        }
    }
}

fn all_exercises() -> Vec<Exercise> {
    let found = exercises::list(&repo_root()).expect("exercises can be read");
    assert!(
        found.len() >= 10,
        "only {} exercises under {}",
        found.len(),
        exercises::DIR
    );
    found
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(repo_root().join(path))
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

#[test]
fn every_exercise_fails_as_given_and_passes_with_its_solution() {
    let root = repo_root();
    let exercises = all_exercises();
    let scratch = root.join("target/exercises-check");
    let copy = Copy::new(&root, scratch.join("exercises"));
    let runner = copy.runner(&scratch.join("target"));
    let started = Instant::now();

    let mut problems = Vec::new();
    for solved in [false, true] {
        if solved {
            copy.solve(&exercises);
        }
        // One build of the whole workspace first: cargo compiles the exercises in parallel.
        runner.build_all().expect("cargo runs");
        for exercise in &exercises {
            let outcome = runner.check(exercise).expect("cargo runs");
            let problem = match (&outcome, solved) {
                (Outcome::Failing(failures), false) if !failures.is_empty() => continue,
                (Outcome::Solved, true) => continue,
                (Outcome::Solved, false) => {
                    "passes its tests as given: there is nothing left to solve".to_owned()
                }
                (Outcome::BuildError(errors), false) => {
                    format!("does not build as given (it should build, and fail a test):\n{errors}")
                }
                (outcome, false) => format!("as given: {outcome:?}"),
                (outcome, true) => format!("with solution.rs in place: {outcome:?}"),
            };
            problems.push(format!("{}: {problem}", exercise.name));
        }
    }
    eprintln!(
        "checked {} exercises, as given and solved, in {:.1?}",
        exercises.len(),
        started.elapsed()
    );
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

#[test]
fn exercises_are_numbered_in_order_and_named_after_their_package() {
    for (index, exercise) in all_exercises().iter().enumerate() {
        let (number, name) = exercise.name.split_at(2);
        assert_eq!(
            number.parse::<usize>().ok(),
            Some(index + 1),
            "{}: the exercises are numbered 01, 02, … without gaps",
            exercise.name
        );
        assert_eq!(
            &name[1..],
            exercise.package,
            "{}: the package is named after the folder, without the number",
            exercise.name
        );
    }
}

#[test]
fn every_exercise_has_a_todo_a_test_a_hint_and_a_solution() {
    for exercise in all_exercises() {
        let name = &exercise.name;
        let lib = read(&exercise.lib());
        assert!(
            lib.contains("TODO"),
            "{name}: src/lib.rs has no TODO marker"
        );
        assert!(
            repo_root().join(exercise.test()).is_file(),
            "{name}: no tests/check.rs"
        );
        let hint = read(&exercise.hint());
        assert!(!hint.trim().is_empty(), "{name}: HINT.md is empty");
        assert!(
            !hint.trim().contains("\n\n"),
            "{name}: HINT.md is one paragraph, not several"
        );
        let solution = read(&exercise.solution());
        assert!(
            !solution.contains("TODO"),
            "{name}: solution.rs still has a TODO"
        );
        assert_ne!(lib, solution, "{name}: solution.rs is the starting code");
    }
}

#[test]
fn every_exercise_has_a_page_listed_in_the_summary() {
    let summary = read(Path::new("src/SUMMARY.md"));
    let overview = read(&Path::new(exercises::PAGES).join("index.md"));
    for exercise in all_exercises() {
        let (name, page) = (&exercise.name, exercise.page());
        let text = read(&page);
        let file = format!("{name}.md");
        assert!(
            summary.contains(&format!("(exercises/{file})")),
            "{name}: {} is not in src/SUMMARY.md",
            page.display()
        );
        assert!(
            overview.contains(&format!("({file})")),
            "{name}: the exercises' overview does not link {file}"
        );
        let from = format!("../../{}", exercise.dir.display());
        for (what, needle) in [
            (
                "the starting code",
                format!("{{{{#include {from}/src/lib.rs:"),
            ),
            ("the hint", format!("{{{{#include {from}/HINT.md}}}}")),
            ("the solution", format!("{{{{#include {from}/solution.rs:")),
            ("the command", "cargo book exercises".to_owned()),
        ] {
            assert!(
                text.contains(&needle),
                "{name}: the page does not show {what}"
            );
        }
        // The solution stays folded until the reader opens it; mdBook renders Markdown
        // inside <details> only with a blank line after <summary> and before </details>.
        let solution_at = text.find(&format!("{from}/solution.rs:")).unwrap();
        let (before, after) = text.split_at(solution_at);
        assert!(
            before.rfind("<details>") > before.rfind("</details>")
                && before.contains("</summary>\n\n")
                && after.contains("\n\n</details>"),
            "{name}: the solution is not inside a collapsed <details> block"
        );
        assert!(
            ["../concepts/", "../mistakes/", "../labs/"]
                .iter()
                .any(|chapter| text.contains(&format!("]({chapter}"))),
            "{name}: the page does not link the chapter the exercise comes from"
        );
    }
}
