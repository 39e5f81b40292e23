//! The directive registry's ground floor: what a preprocessor says about the `{{#name …}}`
//! directives it expands. Each preprocessor implements [`Expands`] with its own names, and
//! `crate::registry` lists every one mdBook runs, so the check for unknown
//! directives (`check::directives`) asks the registry and no list of names is repeated.

/// A preprocessor's directives: the `name` of every `{{#name …}}` it expands.
pub trait Expands {
    fn directives(&self) -> &'static [&'static str];
}

/// mdBook's own `links` preprocessor, which runs before ours.
pub struct MdBookLinks;

impl Expands for MdBookLinks {
    fn directives(&self) -> &'static [&'static str] {
        &["include", "rustdoc_include", "playground", "title"]
    }
}

/// `(\\?)\{\{#(name|…)`: a directive named in `names` (longest first, so `quiz-index` is not
/// read as `quiz`), with group 1 holding mdBook's escape backslash, if any. Callers add what
/// follows the name.
pub fn names_pattern(names: &[&str]) -> String {
    let mut names = names.to_vec();
    names.sort_by_key(|name| std::cmp::Reverse(name.len()));
    let names: Vec<String> = names.iter().map(|name| regex::escape(name)).collect();
    format!(r"(\\?)\{{\{{#({})", names.join("|"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_longer_name_is_tried_first() {
        let pattern = names_pattern(&["quiz", "quiz-index"]);
        assert_eq!(pattern, r"(\\?)\{\{#(quiz\-index|quiz)");
    }
}
