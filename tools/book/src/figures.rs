//! No measurement typed by hand: every number with a unit of time, size, ratio or share in the
//! prose must come from a results directive, or be listed in `tools/book/cited-figures.toml`
//! with the source it is cited to (or the reason it is an input, not a result).
//!
//! Code (fenced blocks and inline spans) is not prose: a command line's `--delay-ms 100` or a
//! compiler message quoted verbatim is not a claim. Directives are skipped too, since they are
//! replaced by measured values at build time.

use crate::check::{Page, Problem, pages};
use regex::Regex;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

/// The allow-list, relative to the repository root.
pub const ALLOW_LIST: &str = "tools/book/cited-figures.toml";

static FIGURE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)
        \b\d+(?:[.,]\d+)?\s?
        (?: ns | µs | us | ms | s | sec | seconds? | milliseconds? | microseconds? | nanoseconds?
          | KiB | MiB | GiB | TiB | kB | KB | MB | GB
          | % | x | × )
        (?:\b|$|\s|[).,;:])",
    )
    .expect("valid regex")
});

static CODE_SPAN: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"`[^`]*`").expect("valid regex"));
static DIRECTIVE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\{\{#[^}]*\}\}").expect("valid regex"));

#[derive(Debug, Deserialize)]
struct AllowList {
    allowed: Vec<Allowed>,
}

#[derive(Debug, Deserialize)]
struct Allowed {
    page: PathBuf,
    phrase: String,
    why: String,
}

/// Every page's typed figures that are not on the allow-list.
pub fn check(root: &Path) -> Vec<Problem> {
    let allowed = match load_allow_list(root) {
        Ok(list) => list,
        Err(problem) => return vec![problem],
    };
    pages(root)
        .iter()
        .flat_map(|page| typed_figures(page, &allowed))
        .collect()
}

fn load_allow_list(root: &Path) -> Result<Vec<Allowed>, Problem> {
    let text = std::fs::read_to_string(root.join(ALLOW_LIST)).unwrap_or_default();
    let list: AllowList = toml::from_str(&text).map_err(|e| Problem {
        file: PathBuf::from(ALLOW_LIST),
        line: 1,
        message: format!("cannot read the allow-list: {e}"),
    })?;
    if let Some(entry) = list.allowed.iter().find(|a| a.why.trim().is_empty()) {
        return Err(Problem {
            file: PathBuf::from(ALLOW_LIST),
            line: 1,
            message: format!(
                "`{}` on {} has no reason",
                entry.phrase,
                entry.page.display()
            ),
        });
    }
    Ok(list.allowed)
}

fn typed_figures(page: &Page, allowed: &[Allowed]) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut in_fence: Option<String> = None;
    let mut in_comment = false;
    for (index, line) in page.text.lines().enumerate() {
        let trimmed = line.trim_start();
        let fence: String = trimmed
            .chars()
            .take_while(|&c| c == '`' || c == '~')
            .collect();
        if fence.len() >= 3 {
            match &in_fence {
                None => in_fence = Some(fence),
                Some(open) if fence.starts_with(open.as_str()) => in_fence = None,
                Some(_) => {}
            }
            continue;
        }
        if in_fence.is_some() {
            continue;
        }
        if trimmed.starts_with("<!--") {
            in_comment = true;
        }
        if in_comment {
            in_comment = !line.contains("-->");
            continue;
        }
        let prose = DIRECTIVE.replace_all(line, " ");
        let prose = CODE_SPAN.replace_all(&prose, " ");
        let line_is_allowed = |figure: &str| {
            allowed.iter().any(|a| {
                a.page == page.path && line.contains(&a.phrase) && a.phrase.contains(figure.trim())
            })
        };
        for figure in FIGURE.find_iter(&prose) {
            let text = figure
                .as_str()
                .trim_end_matches([')', '.', ',', ';', ':', ' ']);
            if !line_is_allowed(text) {
                problems.push(Problem {
                    file: page.path.clone(),
                    line: index + 1,
                    message: format!(
                        "`{text}` is typed by hand: use a results directive, or cite it in {ALLOW_LIST}"
                    ),
                });
            }
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(text: &str) -> Page {
        Page {
            path: PathBuf::from("src/p.md"),
            text: text.to_owned(),
        }
    }

    fn flagged(text: &str) -> Vec<usize> {
        typed_figures(&page(text), &[])
            .iter()
            .map(|p| p.line)
            .collect()
    }

    #[test]
    fn flags_figures_in_prose_only() {
        let text = "A thread takes 12 µs.\nFork is 5x slower and uses 64 MiB.\n\
                    Run `--delay-ms 100` or {{#value a/b}}.\n```text\ntook 3 ms\n```\nLost 75% of them.\n";
        assert_eq!(flagged(text), vec![1, 2, 2, 7]);
    }

    #[test]
    fn ignores_numbers_without_units_and_hex() {
        assert!(flagged("Python 3.13 and 0x1f and 8 processes on 2 cores.").is_empty());
    }

    #[test]
    fn allows_cited_phrases_on_their_page() {
        let allowed = [Allowed {
            page: PathBuf::from("src/p.md"),
            phrase: "2 MiB".into(),
            why: "std::thread docs".into(),
        }];
        assert!(typed_figures(&page("Stacks are 2 MiB (std docs)."), &allowed).is_empty());
        assert_eq!(typed_figures(&page("Stacks use 8 MiB."), &allowed).len(), 1);
    }
}
