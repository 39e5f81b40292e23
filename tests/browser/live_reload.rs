//! Live reload, end to end: `cargo book serve` on a temporary book (what its command runs,
//! `book::serve::Serving`, in this process: no cargo inside cargo test), a page open in
//! Chromium, the chapter's Markdown edited on disk, and the page showing the edit by itself.
//!
//! The page gets a marker (`window.__marker`) before the edit. Only a new document loses it,
//! and the test never navigates after the first load: the page reloaded itself.

use super::{PAGE_TIMEOUT, Tab, launch};
use book::fixture::BookTest;
use book::serve::Serving;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// The chapter before and after the edit: words found nowhere else on the page.
const BEFORE: &str = "# Live\n\nThe fruit is marmalade.\n";
const AFTER: &str = "# Live\n\nThe fruit is tangerine.\n";

/// The page shows the edit, in a document the test did not load.
const RELOADED: &str = "window.__marker === undefined \
     && document.body.innerText.includes('tangerine') \
     && !document.body.innerText.includes('marmalade')";

/// Ends the rebuild loop when dropped, also when the test panics: the scope that runs the loop
/// waits for it before it lets the panic go on.
struct StopOnDrop<'a>(&'a AtomicBool);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::SeqCst);
    }
}

pub fn a_page_reloads_itself_when_its_chapter_is_edited(executable: &Path) {
    let book = BookTest::new("Live reload").chapter("Live", "live.md", BEFORE);
    let serving = Serving::start(book.root(), 0)
        .unwrap_or_else(|e| panic!("cargo book serve does not start: {e:#}"));
    let running = AtomicBool::new(true);
    std::thread::scope(|scope| {
        let rebuilds = scope.spawn(|| serving.rebuild_on_change(&running));
        let stop = StopOnDrop(&running);
        let outcome = edit_and_watch(executable, &serving.url(), &book);
        drop(stop);
        let rebuilt = rebuilds.join().expect("the rebuild loop does not panic");
        rebuilt.unwrap_or_else(|e| panic!("the rebuild loop failed: {e:#}"));
        outcome.unwrap_or_else(|e| panic!("{e}"));
    });
}

/// Opens the chapter, marks the document, edits the Markdown, and waits for the page to show
/// the edit in a new document.
fn edit_and_watch(executable: &Path, base: &str, book: &BookTest) -> Result<(), String> {
    let mut browser = launch(executable, "live-reload");
    let mut tab = Tab::open(&mut browser);
    tab.navigate(&format!("{base}live.html"))?;
    let first = tab.eval("document.body.innerText.includes('marmalade')")?;
    if first != serde_json::json!(true) {
        return Err("the page does not show the chapter as first written".to_owned());
    }
    tab.eval("window.__marker = 1")?;
    book.write("src/live.md", AFTER);
    // A liveness bound, not a timing claim: the page reloads about a second after the rebuild,
    // and a rebuild on a busy machine may take several.
    if !poll(&mut tab, RELOADED, PAGE_TIMEOUT) {
        let text = tab.eval("document.body.innerText").unwrap_or_default();
        let marker = tab.eval("window.__marker").unwrap_or_default();
        return Err(format!(
            "the page did not reload itself with the edit within {PAGE_TIMEOUT:?} \
             (marker {marker}, text {text})"
        ));
    }
    let errors = tab.errors();
    if !errors.is_empty() {
        return Err(format!("the page logged errors: {}", errors.join("; ")));
    }
    Ok(())
}

/// Evaluates `expression` until it is `true` (false after `timeout`). Unlike
/// `Tab::wait_until`, a failed evaluation is "not yet": while the page reloads, its old
/// document's context is destroyed under the evaluation.
fn poll(tab: &mut Tab<'_>, expression: &str, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if tab.eval(expression) == Ok(serde_json::json!(true)) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}
