//! `cargo book check`'s aggregate: every invariant over the book's sources, each at the file
//! and line that broke it. The checks themselves live with what they check: the source checks
//! in [`crate::checks`], the quiz and results checks with their preprocessors. This module
//! only gathers them, under the names the tests in `tests/` run one at a time.

pub use crate::checks::code::{COMPILED_CODE, compiled_rust, includes};
pub use crate::checks::directives::directives;
pub use crate::checks::mermaid::{MERMAID_TYPES, mermaid};
pub use crate::checks::summary::{summary, summary_chapters};
pub use crate::source::{Problem, report};

use std::path::Path;

/// Every check over the sources (the build itself is checked separately).
pub fn all(root: &Path) -> Vec<Problem> {
    let mut problems = summary(root);
    problems.extend(includes(root));
    problems.extend(compiled_rust(root));
    problems.extend(mermaid(root));
    problems.extend(directives(root));
    problems.extend(quizzes(root));
    problems.extend(results(root));
    problems.extend(meta(root));
    problems.extend(figures(root));
    problems.extend(baselines(root));
    problems
}

/// Every lab figure with an independent baseline in the reference results is shown beside it
/// on some page (see [`crate::measure::baselines`]).
pub fn baselines(root: &Path) -> Vec<Problem> {
    let folder = root.join(crate::results::REFERENCE_DIR);
    match crate::results::ResultSet::load(&folder) {
        Ok(reference) => crate::measure::baselines::check(root, &reference),
        // An unreadable results file is the results check's problem.
        Err(_) => Vec::new(),
    }
}

/// No measurement typed into the prose (see [`crate::checks::figures`]).
pub fn figures(root: &Path) -> Vec<Problem> {
    crate::checks::figures::check(root)
}

/// The labs and the book agree: pages, tests, benches, lab names, anchors (see
/// [`crate::checks::meta`]).
pub fn meta(root: &Path) -> Vec<Problem> {
    crate::checks::meta::check(root)
}

/// Every results directive (`{{#bench}}`, `{{#value}}`, …) is well formed and names results
/// that `results/reference/` has (see [`crate::results::preprocessor`]).
pub fn results(root: &Path) -> Vec<Problem> {
    crate::results::check(root)
}

/// Every quiz under `quizzes/` validates, and every quiz directive names one (see
/// [`crate::quiz`]).
pub fn quizzes(root: &Path) -> Vec<Problem> {
    crate::quiz::problems(root)
}
