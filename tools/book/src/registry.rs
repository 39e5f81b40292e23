//! The directive registry: which preprocessors expand `{{#name …}}` directives, each
//! declaring its own names ([`crate::directive::Expands`]). [`crate::build::load`] registers
//! the same preprocessors with mdBook, and the unknown-directive check asks
//! [`known_directives`].

use crate::directive::{Expands, MdBookLinks};
use crate::quiz::QuizPreprocessor;
use crate::results::ResultsPreprocessor;

/// mdBook's own links and every preprocessor [`crate::build::load`] registers that expands
/// `{{#name …}}` directives. A preprocessor added to `load` is added here too, and the
/// unknown-directive check (`check::directives`) then knows its names.
pub fn registry() -> [&'static dyn Expands; 3] {
    [&MdBookLinks, &QuizPreprocessor, &ResultsPreprocessor]
}

/// Every directive name the book may use: the names in [`registry`].
pub fn known_directives() -> Vec<&'static str> {
    registry()
        .iter()
        .flat_map(|p| p.directives().iter().copied())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knows_mdbooks_directives_and_ours() {
        let mut known = known_directives();
        known.sort_unstable();
        assert_eq!(
            known,
            [
                "bench",
                "include",
                "machine",
                "playground",
                "quiz",
                "quiz-drill",
                "quiz-index",
                "ratio",
                "rustdoc_include",
                "timeline",
                "title",
                "value"
            ]
        );
    }
}
