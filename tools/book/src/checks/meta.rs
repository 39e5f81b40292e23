//! The meta-check: the labs and the book agree with each other.
//!
//! - every lab crate (a folder under `labs/` with a Cargo.toml; the kit lives in `crates/`) has
//!   a page: some chapter includes code from `labs/<lab>/` (a list of labs that only says
//!   `cargo lab <lab>` does not count);
//! - every lab has a test file, `labs/<lab>/tests/*.rs`;
//! - every lab that measures time has a criterion bench in `labs/<lab>/benches/`. A lab
//!   *measures time* when its committed reference results (`results/reference/<lab>.json`)
//!   hold a record in [`schema::Unit::Nanoseconds`]: then the book shows a time for it, and it
//!   takes such times from criterion (see ARCHITECTURE.md). [`UNBENCHED`] lists, with the
//!   reason, the labs whose timings are a single demonstration run that criterion cannot
//!   repeat usefully;
//! - every `cargo lab X` and every `labs/X/` path on a page names a crate that exists;
//! - every `ANCHOR: name` under `labs/` and `listings/` (the book's compiled listings that
//!   are not lab code) is included by some page (the other direction, an include naming an
//!   anchor that does not exist, is [`crate::check::includes`]).
//!
//! The `{{#bench}}` data and quiz checks live with their preprocessors
//! ([`crate::check::results`], [`crate::check::quizzes`]); [`crate::check::all`] runs them
//! all.

use crate::labs;
use crate::markdown::includes;
use crate::results::REFERENCE_DIR;
use crate::source::{Page, Problem, pages, relative};
use regex::Regex;
use schema::{Report, Unit};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

/// Labs whose reference results hold times but that have no criterion bench, and why that is right.
pub const UNBENCHED: [(&str, &str); 6] = [
    (
        "spawn-cost",
        "creation is timed in a fresh copy of the lab per kind, so the parent that forks or \
         spawns holds only what the lab chose (and only the task kind's copy a tokio runtime); \
         a criterion bench process would time the same calls again, from a parent shaped by \
         its harness: two methods for one figure, and the same-run C baselines \
         (measure::baselines) agree with the lab's",
    ),
    (
        "fork-rss",
        "each figure is timed in a fresh copy of the lab holding exactly the memory being \
         measured; a bench process's own heap would be part of every fork it times",
    ),
    (
        "gil",
        "the times that matter are a Python interpreter's, measured by Python itself; the \
         Rust rows beside them are one timed run each for contrast",
    ),
    (
        "too-many-threads",
        "its times are the wall time of one run of thousands of tasks, whose point is the \
         thread count and memory; repeating it per criterion sample would spawn millions of \
         threads",
    ),
    (
        "scaling",
        "its times are the points of one sweep over W = 1, 2, …, and every speed-up, the \
         fitted serial fraction and the predictions beside them are computed from those very \
         points: a curve whose points must all come from one method and one run",
    ),
    (
        "async-tasks",
        "its figures are a ticker's worst lateness over one long loop, a maximum that \
         criterion samples cannot repeat usefully (what a task costs to create is spawn-cost's \
         task kind)",
    ),
];

/// The folders whose anchors exist for pages to include: the labs, and the listings crate
/// (`listings/`, the book's code that is not a lab's).
pub const ANCHORED: [&str; 2] = ["labs", "listings"];

static CARGO_LAB: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"cargo lab ([a-z0-9][a-z0-9_-]*)").expect("valid regex"));
static LAB_PATH: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"labs/([a-z0-9][a-z0-9_-]*)/").expect("valid regex"));
/// mdBook's own anchor syntax (`ANCHOR: name`, not `ANCHOR_END:`).
static ANCHOR: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\bANCHOR:\s*([\w-]+)").expect("valid regex"));

/// Every meta-check problem, each at `file:line`.
pub fn check(root: &Path) -> Vec<Problem> {
    let crates = match labs::discover(root) {
        Ok(labs) => labs,
        Err(err) => return vec![Problem::new(Path::new("labs"), 1, format!("{err:#}"))],
    };
    let pages = pages(root);
    let mut problems = Vec::new();

    for lab in &crates {
        let manifest = Path::new("labs").join(&lab.folder).join("Cargo.toml");
        // A lab's page shows its code. A list of labs (a section's index.md) that only
        // names `cargo lab X` is not a page of the lab: deleting the lab's own page must
        // not go unnoticed because the list still names it.
        let path_mention = format!("labs/{}/", lab.folder);
        let shown = pages.iter().any(|page| {
            includes(&page.text)
                .iter()
                .any(|include| !include.escaped && include.spec.contains(&path_mention))
        });
        if !shown {
            problems.push(Problem::new(
                &manifest,
                1,
                format!(
                    "lab `{}` has no page: no chapter includes code from labs/{}/",
                    lab.name, lab.folder
                ),
            ));
        }
        if !lab.has_tests {
            problems.push(Problem::new(
                &manifest,
                1,
                format!(
                    "lab `{}` has no test file labs/{}/tests/*.rs",
                    lab.name, lab.folder
                ),
            ));
        }
        let exempt = UNBENCHED.iter().any(|(name, _)| *name == lab.name);
        if !exempt
            && !lab.has_benches
            && let Some((file, line)) = first_time_record(root, &lab.name)
        {
            problems.push(Problem::new(
                &file,
                line,
                format!(
                    "lab `{}` measures time (its reference results hold this duration) but has no \
                     criterion bench \
                     in labs/{}/benches/ (or list it in meta::UNBENCHED with the reason)",
                    lab.name, lab.folder
                ),
            ));
        }
    }

    let lab_names: BTreeSet<&str> = crates.iter().map(|c| c.name.as_str()).collect();
    let folders: BTreeSet<&str> = crates.iter().map(|c| c.folder.as_str()).collect();
    for page in &pages {
        for (index, line) in page.text.lines().enumerate() {
            for named in CARGO_LAB.captures_iter(line) {
                if !lab_names.contains(&named[1]) {
                    let message = format!("`cargo lab {}`: there is no such lab", &named[1]);
                    problems.push(Problem::new(&page.path, index + 1, message));
                }
            }
            for named in LAB_PATH.captures_iter(line) {
                if !folders.contains(&named[1]) {
                    let message = format!("labs/{}/: there is no such crate", &named[1]);
                    problems.push(Problem::new(&page.path, index + 1, message));
                }
            }
        }
    }

    problems.extend(unused_anchors(root, &pages));
    problems
}

/// Where the lab's committed reference results hold a duration: the file (relative to
/// `root`) and the line of the first record whose unit is [`Unit::Nanoseconds`]. What a lab
/// measures is read from what it wrote, typed, not guessed from its source text.
fn first_time_record(root: &Path, lab: &str) -> Option<(PathBuf, usize)> {
    let file = Path::new(REFERENCE_DIR).join(format!("{lab}.json"));
    let text = std::fs::read_to_string(root.join(&file)).ok()?;
    let report: Report = serde_json::from_str(&text).ok()?;
    let timed = report
        .records
        .iter()
        .find(|r| r.unit == Unit::Nanoseconds)?;
    let needle = format!("\"id\": \"{}\"", timed.id);
    let line = text.lines().position(|l| l.contains(&needle)).unwrap_or(0);
    Some((file, line + 1))
}

/// Anchors under [`ANCHORED`] that no page includes.
fn unused_anchors(root: &Path, pages: &[Page]) -> Vec<Problem> {
    // (canonical file, anchor); `None` for a whole-file include, whose anchor lines mdBook
    // strips, so they are not dead weight in the page.
    let mut used: BTreeSet<(PathBuf, Option<String>)> = BTreeSet::new();
    for page in pages {
        let page_dir = root.join(page.path.parent().unwrap_or(Path::new("")));
        for include in includes(&page.text) {
            if include.escaped {
                continue; // `\{{#include …}}` is shown, not expanded.
            }
            let Ok(file) = page_dir.join(include.file).canonicalize() else {
                continue; // A missing file is check::includes' problem.
            };
            if include.lines {
                continue; // A line range uses no anchor.
            }
            used.insert((file, include.anchor.map(str::to_owned)));
        }
    }

    let mut files = Vec::new();
    for dir in ANCHORED {
        collect_files(&root.join(dir), &mut files);
    }
    files.sort();
    let mut problems = Vec::new();
    for file in files {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue; // Not text.
        };
        let canonical = file.canonicalize().unwrap_or_else(|_| file.clone());
        if used.contains(&(canonical.clone(), None)) {
            continue;
        }
        for (index, line) in text.lines().enumerate() {
            for anchor in ANCHOR.captures_iter(line) {
                let name = anchor[1].to_owned();
                if !used.contains(&(canonical.clone(), Some(name.clone()))) {
                    problems.push(Problem::new(
                        &relative(root, &file),
                        index + 1,
                        format!("ANCHOR `{name}` is not included by any page"),
                    ));
                }
            }
        }
    }
    problems
}

/// Every file under `dir`, but build output and hidden folders.
fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if path.is_dir() {
            if name != "target" && !name.starts_with('.') {
                collect_files(&path, out);
            }
        } else {
            out.push(path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_unincluded_anchors_in_listings_as_in_labs() {
        let root = tempfile::tempdir().expect("temp dir");
        let write = |path: &str, text: &str| {
            let path = root.path().join(path);
            std::fs::create_dir_all(path.parent().expect("has a parent")).expect("mkdir");
            std::fs::write(path, text).expect("write");
        };
        let anchors = "// ANCHOR: shown\nfn a() {}\n// ANCHOR_END: shown\n\
                       // ANCHOR: hidden\nfn b() {}\n// ANCHOR_END: hidden\n";
        write("labs/demo/src/lib.rs", anchors);
        write("listings/src/bin/demo.rs", anchors);
        write(
            "src/concepts/page.md",
            "{{#include ../../labs/demo/src/lib.rs:shown}}\n\
             {{#include ../../listings/src/bin/demo.rs:shown}}\n",
        );
        let problems = unused_anchors(root.path(), &pages(root.path()));
        let found: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert_eq!(
            found,
            [
                "labs/demo/src/lib.rs:4: ANCHOR `hidden` is not included by any page",
                "listings/src/bin/demo.rs:4: ANCHOR `hidden` is not included by any page",
            ]
        );
    }
}
