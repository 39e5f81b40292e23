//! Building the book: mdBook in-process, with our preprocessors and assets.

use crate::assets;
use anyhow::Context;
use mdbook_driver::MDBook;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context as LayerContext, SubscriberExt};
use tracing_subscriber::{EnvFilter, Layer, Registry};

#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    /// Where to write the HTML; `build.build-dir` from book.toml (`target/book`) if `None`.
    pub dest: Option<PathBuf>,
    /// Print mdBook's progress (info level, or `RUST_LOG`) on stderr.
    pub verbose: bool,
}

/// What a successful build produced.
#[derive(Debug, Clone)]
pub struct BuildOutcome {
    /// The folder holding `index.html`.
    pub html_dir: PathBuf,
    /// Every warning or error mdBook logged (a broken include is only logged, not fatal).
    pub warnings: Vec<String>,
}

/// Loads `book.toml` from `root` with every preprocessor registered in code and the assets
/// staged.
///
/// The preprocessors replace the `[preprocessor.NAME]` tables' commands by name, keeping their
/// order ([`crate::preprocess::register`]), so no cargo is spawned. The staged assets are
/// listed in book.toml's `additional-js` and `additional-css`, which is where the stock
/// `mdbook` finds them; only a file the book's configuration does not list yet is added (a
/// test book without the lists still gets the widgets, the real one gets no file twice).
pub fn load(root: &Path) -> anyhow::Result<MDBook> {
    let mut book =
        MDBook::load(root).with_context(|| format!("loading the book at {}", root.display()))?;
    crate::preprocess::register(&mut book);
    let staged = assets::stage(root)?;
    for (key, files) in [
        ("output.html.additional-js", staged.js),
        ("output.html.additional-css", staged.css),
    ] {
        let mut list: Vec<PathBuf> = book.config.get(key)?.unwrap_or_default();
        for file in files {
            if !list.contains(&file) {
                list.push(file);
            }
        }
        book.config.set(key, list)?;
    }
    Ok(book)
}

/// Builds the book under `root` to HTML. Fails on any error; warnings are returned so that
/// callers decide (`cargo book check` and the tests treat them as errors).
pub fn build(root: &Path, options: &BuildOptions) -> anyhow::Result<BuildOutcome> {
    // mdBook only logs a broken `{{#include}}`: a missing file ships the raw directive, a
    // missing anchor an empty code block. Neither may reach a reader, so every build (not only
    // `cargo book check`) refuses them first, with the page's file:line.
    // A chapter that SUMMARY.md lists but that is gone fails mdBook's load, naming only the
    // file: say which line of SUMMARY.md lists it.
    let mut broken = crate::checks::summary::summary_chapters(root);
    broken.extend(crate::checks::code::includes(root));
    anyhow::ensure!(
        broken.is_empty(),
        "{}",
        crate::source::report(&broken).trim_end()
    );
    let mut book = load(root)?;
    if let Some(dest) = &options.dest {
        book.config.set("build.build-dir", dest)?;
    }
    let html_dir = book.build_dir_for("html");
    let warnings = Arc::new(Mutex::new(Vec::new()));
    let capture = WarningCapture(Arc::clone(&warnings));
    let fmt = options.verbose.then(|| {
        tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            // Colour only for a person at a terminal, never into a pipe or a log file.
            .with_ansi(std::io::stderr().is_terminal())
            .with_target(false)
            .without_time()
            .with_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
    });
    let subscriber = Registry::default().with(capture).with(fmt);
    // A scoped subscriber, not a global one: tests build several books in one process.
    tracing::subscriber::with_default(subscriber, || book.build())
        .with_context(|| format!("building the book at {}", root.display()))?;
    // After mdBook, which empties its output folder first: the interview page links the file.
    let flashcards = html_dir.join(crate::quiz::flashcards::FILE_NAME);
    crate::quiz::flashcards::write(root, &book, &flashcards)?;
    let warnings = std::mem::take(&mut *warnings.lock().unwrap_or_else(|p| p.into_inner()));
    Ok(BuildOutcome { html_dir, warnings })
}

/// Keeps the text of every event at WARN or ERROR level.
struct WarningCapture(Arc<Mutex<Vec<String>>>);

impl<S: Subscriber> Layer<S> for WarningCapture {
    fn on_event(&self, event: &Event<'_>, _ctx: LayerContext<'_, S>) {
        let level = *event.metadata().level();
        if level > Level::WARN {
            return;
        }
        let mut message = MessageText::default();
        event.record(&mut message);
        let line = format!("{level}: {}", message.0.trim());
        self.0.lock().unwrap_or_else(|p| p.into_inner()).push(line);
    }
}

#[derive(Default)]
struct MessageText(String);

impl tracing::field::Visit for MessageText {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        use std::fmt::Write;
        if field.name() == "message" {
            let _ = write!(self.0, "{value:?}");
        } else {
            let _ = write!(self.0, " {}={value:?}", field.name());
        }
    }
}
