//! Every timeline in the built book, in Chromium: each page with a `{{#timeline ID}}` (found
//! by scanning `src/`, so a new timeline is covered without touching this test) shows one
//! figure per directive, and in it, for each timeline drawn (the reference machine's, and the
//! reader's when `results/local/` has one), an SVG with one lane group per worker
//! (`g.lane`, which `figures::timeline::svg` writes), a span rectangle with an area in every
//! lane, at least one lane label, and the summary in sentences right after the picture.
//!
//! The checks run in the page (`timelines.js`) on the laid-out SVG (`getBBox`), so a renderer
//! that drew no spans, or drew them with no size, fails here even though its HTML is there.

use super::{ONE_BROWSER, Tab, browser_executable, html_path, launch, target_dir};
use book::BuildOptions;
use book::results::directive::{Directive, find};
use std::path::Path;

/// What is wrong with the page's timelines, and how many figures and pictures it has.
const TIMELINES: &str = include_str!("timelines.js");

/// The pages under `src/` with `{{#timeline …}}` directives (as the results preprocessor
/// finds them: outside code, not escaped), as paths relative to `src/` with the number of
/// directives.
fn pages_with_timelines(root: &Path) -> Vec<(String, usize)> {
    book::source::pages(root)
        .into_iter()
        .filter_map(|page| {
            let directives = find(&page.text)
                .into_iter()
                .filter(|found| matches!(found.directive, Ok(Directive::Timeline(_))))
                .count();
            let chapter = page.path.strip_prefix("src").expect("under src/");
            (directives > 0).then(|| (chapter.to_string_lossy().into_owned(), directives))
        })
        .collect()
}

#[test]
fn every_timeline_has_its_lanes_spans_labels_and_summary() {
    let Some(executable) = browser_executable() else {
        return;
    };
    let _one = ONE_BROWSER.lock().unwrap_or_else(|p| p.into_inner());
    let root = book::repo_root();
    let pages = pages_with_timelines(&root);
    assert!(!pages.is_empty(), "no page in src/ has a {{{{#timeline}}}}");
    let outcome = book::build(
        &root,
        &BuildOptions {
            dest: Some(target_dir().join("book-timelines")),
            verbose: false,
        },
    )
    .unwrap_or_else(|e| panic!("the book does not build: {e:#}"));
    let served = book::serve::Server::start(&outcome.html_dir, 0).expect("serve the book");
    let base = served.url();

    let mut browser = launch(&executable, "timelines");
    let mut tab = Tab::open(&mut browser);
    let mut problems = Vec::new();
    let mut drawn = 0;
    for (page, directives) in &pages {
        let mut problem = |message: String| problems.push(format!("src/{page}: {message}"));
        if let Err(e) = tab.navigate(&format!("{base}{}", html_path(page))) {
            problem(e);
            continue;
        }
        // The SVG is inline: laid out once the document has loaded.
        let report = match tab.eval(TIMELINES) {
            Ok(report) => report,
            Err(e) => {
                problem(e);
                continue;
            }
        };
        for message in report["problems"].as_array().into_iter().flatten() {
            problem(message.as_str().unwrap_or("?").to_owned());
        }
        let figures = report["figures"].as_u64().unwrap_or(0) as usize;
        let timelines = report["timelines"].as_u64().unwrap_or(0) as usize;
        if figures != *directives {
            problem(format!(
                "{directives} {{{{#timeline}}}} directive(s) but {figures} timeline figure(s)"
            ));
        }
        drawn += timelines;
        for error in tab.errors() {
            problem(format!("console: {error}"));
        }
    }
    drop(tab);
    drop(browser);
    eprintln!(
        "timelines: {drawn} drawn on {} page(s): {}",
        pages.len(),
        pages
            .iter()
            .map(|(p, _)| p.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    assert!(
        problems.is_empty(),
        "{} problem(s) with the timelines:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
