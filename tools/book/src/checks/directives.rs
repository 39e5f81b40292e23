//! No `{{#name …}}` that nothing expands: the names known are those of mdBook's own links and
//! of every preprocessor in [`crate::registry`].

use crate::source::{Problem, pages};
use regex::Regex;
use std::path::Path;
use std::sync::LazyLock;

static DIRECTIVE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(\\?)\{\{#([A-Za-z_-]+)").expect("valid regex"));

/// No `{{#name …}}` that nothing expands (it would show up as raw text).
pub fn directives(root: &Path) -> Vec<Problem> {
    let known = crate::registry::known_directives();
    let mut problems = Vec::new();
    for page in pages(root) {
        for (index, line) in page.text.lines().enumerate() {
            for directive in DIRECTIVE.captures_iter(line) {
                let name = &directive[2];
                if directive[1].is_empty() && !known.contains(&name) {
                    let message = format!("unknown directive {{{{#{name}}}}}");
                    problems.push(Problem::new(&page.path, index + 1, message));
                }
            }
        }
    }
    problems
}
