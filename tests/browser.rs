//! The built book in a real browser: every page of SUMMARY.md loads without a console error,
//! every mermaid diagram became an SVG, every chart is an SVG with data, every quiz renders,
//! takes an answer and shows feedback, and search finds "fork". A screenshot of each kind of
//! page is saved in `target/browser-screenshots/`.
//!
//! Chromium is driven headless over the DevTools protocol on a pipe (see `browser/cdp.rs`).
//! Without a browser at `/usr/bin/chromium` (or `$CHROMIUM`) these tests say so loudly and
//! pass, unless `REQUIRE_BROWSER=1` (CI sets it), where a missing browser fails them.

#[path = "browser/cdp.rs"]
mod cdp;
#[path = "browser/live_reload.rs"]
mod live_reload;
#[path = "browser/sub_path.rs"]
mod sub_path;
#[path = "browser/timelines.rs"]
mod timelines;

use book::BuildOptions;
use book::fixture::BookTest;
use cdp::Browser;
use serde_json::{Value, json};
use std::io::Write;

use std::path::{Path, PathBuf};

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Chromium is heavy: on 2 cores, one at a time (the tests of this file share the lock).
static ONE_BROWSER: Mutex<()> = Mutex::new(());

/// A page's scripts have had this long to load and draw (mermaid is 3 MB of JavaScript on a
/// busy machine) before the page fails.
const PAGE_TIMEOUT: Duration = Duration::from_secs(60);

fn target_dir() -> PathBuf {
    book::repo_root().join("target")
}

/// The browser to drive, or `None` (after a banner) when the tests should be skipped.
fn browser_executable() -> Option<PathBuf> {
    let path = PathBuf::from(std::env::var_os("CHROMIUM").unwrap_or("/usr/bin/chromium".into()));
    if path.is_file() {
        return Some(path);
    }
    let required = std::env::var("REQUIRE_BROWSER").is_ok_and(|v| v == "1");
    assert!(
        !required,
        "REQUIRE_BROWSER=1 but there is no browser at {}: apt-get install -y chromium",
        path.display()
    );
    // Straight to stderr: `eprintln!` is captured (and hidden) for tests that pass.
    let _ = writeln!(
        std::io::stderr(),
        "\n\
         ********************************************************************************\n\
         ** SKIPPED: the browser tests need Chromium at {} (or $CHROMIUM).\n\
         ** Install it (apt-get install -y chromium) or set REQUIRE_BROWSER=1 to fail here.\n\
         ********************************************************************************\n",
        path.display()
    );
    None
}

/// One browser tab, attached with its events flattened into the browser's pipe.
struct Tab<'b> {
    browser: &'b mut Browser,
    session: String,
}

impl<'b> Tab<'b> {
    fn open(browser: &'b mut Browser) -> Tab<'b> {
        let target = browser
            .call(None, "Target.createTarget", json!({"url": "about:blank"}))
            .expect("a new tab");
        let attached = browser
            .call(
                None,
                "Target.attachToTarget",
                json!({"targetId": target["targetId"], "flatten": true}),
            )
            .expect("attach to the tab");
        let session = attached["sessionId"]
            .as_str()
            .expect("a session id")
            .to_owned();
        let mut tab = Tab { browser, session };
        for domain in ["Page.enable", "Runtime.enable", "Log.enable"] {
            tab.call(domain, json!({})).expect(domain);
        }
        // Every page sees the same "random" numbers, so the drill deals the same questions on
        // every run and a failure repeats.
        tab.call(
            "Page.addScriptToEvaluateOnNewDocument",
            json!({"source": SEEDED_RANDOM}),
        )
        .expect("seed Math.random");
        tab
    }

    fn call(&mut self, method: &str, params: Value) -> Result<Value, String> {
        self.browser.call(Some(&self.session), method, params)
    }

    /// Loads `url` and waits for its load event; events of the page before are dropped.
    fn navigate(&mut self, url: &str) -> Result<(), String> {
        self.browser.take_events();
        let navigated = self.call("Page.navigate", json!({"url": url}))?;
        if let Some(error) = navigated.get("errorText") {
            return Err(format!("navigating to {url}: {error}"));
        }
        let loaded =
            self.browser
                .wait_for_event(&self.session, "Page.loadEventFired", PAGE_TIMEOUT);
        if let Err(e) = loaded {
            // Say what the page was still doing.
            let state = self.eval("document.readyState").unwrap_or_default();
            return Err(format!("{e} (the document is {state})"));
        }
        Ok(())
    }

    /// The value of a JavaScript expression (awaited if it is a promise).
    fn eval(&mut self, expression: &str) -> Result<Value, String> {
        let result = self.call(
            "Runtime.evaluate",
            json!({"expression": expression, "returnByValue": true, "awaitPromise": true}),
        )?;
        if let Some(details) = result.get("exceptionDetails") {
            return Err(format!("script failed: {}", exception_text(details)));
        }
        Ok(result["result"]["value"].clone())
    }

    /// Evaluates `expression` until it is `true`; false after `timeout`.
    fn wait_until(&mut self, expression: &str, timeout: Duration) -> Result<bool, String> {
        let deadline = Instant::now() + timeout;
        loop {
            if self.eval(expression)? == json!(true) {
                return Ok(true);
            }
            if Instant::now() > deadline {
                return Ok(false);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Console errors, uncaught exceptions and failed loads since the last navigation.
    fn errors(&mut self) -> Vec<String> {
        let session = json!(self.session);
        let mut errors = Vec::new();
        for event in self.browser.take_events() {
            if event["sessionId"] != session {
                continue;
            }
            let params = &event["params"];
            match event["method"].as_str().unwrap_or("") {
                "Runtime.exceptionThrown" => errors.push(format!(
                    "uncaught exception: {}",
                    exception_text(&params["exceptionDetails"])
                )),
                "Runtime.consoleAPICalled" if params["type"] == "error" => {
                    let args: Vec<String> = params["args"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|a| match &a["value"] {
                            Value::String(s) => s.clone(),
                            Value::Null => a["description"].as_str().unwrap_or("?").to_owned(),
                            other => other.to_string(),
                        })
                        .collect();
                    errors.push(format!("console.error: {}", args.join(" ")));
                }
                "Log.entryAdded" if params["entry"]["level"] == "error" => {
                    let entry = &params["entry"];
                    let url = entry["url"].as_str().unwrap_or("");
                    errors.push(format!("{} {url}", entry["text"].as_str().unwrap_or("?")));
                }
                _ => {}
            }
        }
        errors
    }

    /// A PNG of the viewport, into `target/browser-screenshots/<name>.png`.
    fn screenshot(&mut self, name: &str) -> Result<PathBuf, String> {
        let shot = self.call("Page.captureScreenshot", json!({"format": "png"}))?;
        let png = cdp::base64_decode(shot["data"].as_str().unwrap_or(""))?;
        let dir = target_dir().join("browser-screenshots");
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).map_err(|e| e.to_string())?;
        Ok(path)
    }
}

fn exception_text(details: &Value) -> String {
    let exception = &details["exception"];
    exception["description"]
        .as_str()
        .or_else(|| exception["value"].as_str())
        .or_else(|| details["text"].as_str())
        .unwrap_or("?")
        .lines()
        .next()
        .unwrap_or("?")
        .to_owned()
}

/// A Park–Miller generator in place of `Math.random`.
const SEEDED_RANDOM: &str = include_str!("browser/seeded-random.js");

/// Opens mdBook's search and types a term (a function of the term).
const SEARCH: &str = include_str!("browser/search.js");

/// Every diagram has been drawn (or has failed and says so): mermaid marks what it is done
/// with `data-processed`.
const DIAGRAMS_SETTLED: &str = include_str!("browser/diagrams-settled.js");

/// What is wrong with the page's diagrams and charts, as a list of sentences.
const INSPECT: &str = include_str!("browser/inspect.js");

/// Answers every question of every quiz on the page (correctly where the quiz's JSON says
/// what is right) and reports what did not render or gave no feedback.
const ANSWER_QUIZZES: &str = include_str!("browser/answer-quizzes.js");

/// What a page shows, for one screenshot of each: the kind and the element to show.
fn page_kinds(path: &str, report: &Value) -> Vec<(&'static str, &'static str)> {
    let has = |key: &str| report[key].as_u64().unwrap_or(0) > 0;
    let mut kinds = Vec::new();
    if has("charts") {
        kinds.push(("chart", "figure.chart"));
    }
    if has("quizzes") {
        kinds.push(("quiz", ".tvp-q.tvp-answered, .tvp-quiz, .tvp-quiz-drill"));
    }
    if has("diagrams") {
        kinds.push(("diagram", "pre.mermaid"));
    }
    if path.starts_with("labs/") {
        kinds.push(("lab", "main h1"));
    }
    if kinds.is_empty() {
        kinds.push(("chapter", "main h1"));
    }
    kinds
}

/// The chapters of `src/SUMMARY.md`, as their source paths relative to `src/`.
fn summary_chapters(root: &Path) -> Vec<String> {
    let summary = std::fs::read_to_string(root.join("src/SUMMARY.md")).expect("src/SUMMARY.md");
    let mut chapters = Vec::new();
    for part in summary.split("](").skip(1) {
        let target = part.split(')').next().unwrap_or("").trim();
        if target.ends_with(".md") && !chapters.iter().any(|c| c == target) {
            chapters.push(target.to_owned());
        }
    }
    chapters
}

/// The built page of a chapter: mdBook renders `README.md` as `index.html`.
fn html_path(chapter: &str) -> String {
    let html = chapter.strip_suffix(".md").unwrap_or(chapter);
    match html.strip_suffix("README") {
        Some(dir) => format!("{dir}index.html"),
        None => format!("{html}.html"),
    }
}

/// Everything wrong with each chapter in the browser, as `src/<chapter>: problem` lines, and
/// which page kinds were seen (with a screenshot of the first of each).
struct Visit {
    problems: Vec<String>,
    screenshots: Vec<(String, PathBuf)>,
    answered: u64,
    diagrams: u64,
}

fn visit(browser: &mut Browser, base: &str, chapters: &[String], shots: Option<&str>) -> Visit {
    let mut tab = Tab::open(browser);
    let mut visit = Visit {
        problems: Vec::new(),
        screenshots: Vec::new(),
        answered: 0,
        diagrams: 0,
    };
    // Once a page has timed out, the others get less time: a broken script would otherwise
    // cost a minute per page.
    let mut timeout = PAGE_TIMEOUT;
    for chapter in chapters {
        let source = format!("src/{chapter}");
        let mut problem = |message: String| visit.problems.push(format!("{source}: {message}"));
        let path = html_path(chapter);
        if let Err(e) = tab.navigate(&format!("{base}{path}")) {
            problem(e);
            continue;
        }
        match tab.wait_until(DIAGRAMS_SETTLED, timeout) {
            Ok(true) => {}
            Ok(false) => {
                problem(format!("mermaid did not finish within {timeout:?}"));
                timeout = Duration::from_secs(10);
            }
            Err(e) => problem(e),
        }
        let report = tab
            .eval(INSPECT)
            .unwrap_or_else(|e| json!({"problems": [e]}));
        let quizzes = tab
            .eval(ANSWER_QUIZZES)
            .unwrap_or_else(|e| json!({"problems": [e]}));
        // Rendering and answering are done: whatever the console got by now is this page's.
        let errors = tab.errors();
        for message in report["problems"]
            .as_array()
            .into_iter()
            .chain(quizzes["problems"].as_array())
            .flatten()
        {
            problem(message.as_str().unwrap_or("?").to_owned());
        }
        for error in errors {
            problem(format!("console: {error}"));
        }
        visit.answered += quizzes["answered"].as_u64().unwrap_or(0);
        visit.diagrams += report["diagrams"].as_u64().unwrap_or(0);

        let Some(prefix) = shots else { continue };
        for (kind, selector) in page_kinds(&path, &report) {
            if visit.screenshots.iter().any(|(k, _)| k == kind) {
                continue;
            }
            let scroll = format!(
                "(() => {{ const e = document.querySelector('{selector}'); \
                 if (e) e.scrollIntoView({{block: 'center'}}); return true; }})()"
            );
            let shot = tab
                .eval(&scroll)
                .and_then(|_| tab.screenshot(&format!("{prefix}{kind}")));
            match shot {
                Ok(file) => visit.screenshots.push((kind.to_owned(), file)),
                Err(e) => visit.problems.push(format!("screenshot of {path}: {e}")),
            }
        }
    }
    visit
}

/// Opens the search on the first page, types `term` and waits for results: their count.
fn search(
    browser: &mut Browser,
    base: &str,
    term: &str,
    shot: Option<&str>,
) -> Result<u64, String> {
    let mut tab = Tab::open(browser);
    tab.navigate(base)?;
    let term = serde_json::to_string(term).expect("a string is JSON");
    let typed = format!("({})({term})", SEARCH.trim_end());
    tab.eval(&typed)?;
    let found = "document.querySelectorAll('#mdbook-searchresults li').length > 0";
    // The index loads on first use; a keyup before it arrives is searched when it does.
    let appeared = tab.wait_until(found, PAGE_TIMEOUT)?;
    let count = tab
        .eval("document.querySelectorAll('#mdbook-searchresults li').length")?
        .as_u64()
        .unwrap_or(0);
    if let Some(name) = shot {
        tab.screenshot(name)?;
    }
    let errors = tab.errors();
    if !errors.is_empty() {
        return Err(format!("the search logged errors: {}", errors.join("; ")));
    }
    if !appeared {
        return Err(format!("searching for {term:?} showed no results"));
    }
    Ok(count)
}

fn launch(executable: &Path, name: &str) -> Browser {
    Browser::launch(executable, Path::new(env!("CARGO_TARGET_TMPDIR")), name)
        .unwrap_or_else(|e| panic!("cannot start the browser: {e}"))
}

#[test]
fn every_page_renders_in_a_real_browser_and_search_finds_fork() {
    let Some(executable) = browser_executable() else {
        return;
    };
    let _one = ONE_BROWSER.lock().unwrap_or_else(|p| p.into_inner());
    let started = Instant::now();
    let root = book::repo_root();
    let outcome = book::build(
        &root,
        &BuildOptions {
            dest: Some(target_dir().join("book-browser")),
            verbose: false,
        },
    )
    .unwrap_or_else(|e| panic!("the book does not build: {e:#}"));
    let served = book::serve::Server::start(&outcome.html_dir, 0).expect("serve the book");
    let base = served.url();
    let chapters = summary_chapters(&root);
    assert!(!chapters.is_empty(), "no chapters in src/SUMMARY.md");

    let mut browser = launch(&executable, "book");
    let visit = visit(&mut browser, &base, &chapters, Some(""));
    let search = search(&mut browser, &base, "fork", Some("search"));
    drop(browser);

    eprintln!(
        "browser: {} pages, {} diagrams, {} quiz questions answered, in {:.1?}",
        chapters.len(),
        visit.diagrams,
        visit.answered,
        started.elapsed()
    );
    for (kind, file) in &visit.screenshots {
        eprintln!("screenshot of a {kind} page: {}", file.display());
    }
    assert!(
        visit.problems.is_empty(),
        "{} problem(s) in the browser:\n{}",
        visit.problems.len(),
        visit.problems.join("\n")
    );
    assert!(
        visit.diagrams > 0,
        "no mermaid diagram was found on any page"
    );
    match search {
        Ok(results) => eprintln!("search for \"fork\": {results} results"),
        Err(e) => panic!("search: {e}"),
    }
}

/// A two-page book of its own: a good page with a diagram, a quiz and a chart, which must
/// pass, and a page with a diagram with a syntax error, a chart without data and a script
/// that throws, each of which must fail naming that page.
#[test]
fn a_broken_diagram_fails_naming_its_page_while_quiz_and_chart_pass() {
    let Some(executable) = browser_executable() else {
        return;
    };
    let _one = ONE_BROWSER.lock().unwrap_or_else(|p| p.into_inner());
    let quiz = std::fs::read_to_string(book::repo_root().join("quizzes/processes.toml"))
        .expect("quizzes/processes.toml");
    let temp = BookTest::new("Browser test")
        .chapter(
            "Good",
            "good.md",
            "# Good\n\n```mermaid\ngraph LR\n  A[parent] -->|fork| B[child]\n```\n\n\
             {{#bench spawn-cost}}\n\n{{#quiz ../quizzes/processes.toml}}\n",
        )
        // A diagram with a syntax error, a chart with no data, a script that throws.
        .chapter(
            "Bad",
            "bad.md",
            "# Bad\n\n```mermaid\ngraph LR\n  A[parent -->|fork B[child\n```\n\n\
             <figure class=\"chart\"><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"300\" \
             height=\"80\"><text x=\"10\" y=\"20\">no bars</text></svg></figure>\n\n\
             <script>throw new Error('broken page script');</script>\n",
        )
        .file("quizzes/processes.toml", &quiz)
        .file("results/reference/spawn-cost.json", REFERENCE_RESULTS);
    let outcome = temp
        .build()
        .unwrap_or_else(|e| panic!("the test book does not build: {e}"));
    let served = book::serve::Server::start(&outcome.html_dir, 0).expect("serve the book");
    let base = served.url();

    let mut browser = launch(&executable, "broken");
    let chapters = ["good.md".to_owned(), "bad.md".to_owned()];
    let visit = visit(&mut browser, &base, &chapters, Some("fixture-"));
    let mut tab = Tab::open(&mut browser);
    let shot = tab
        .navigate(&format!("{}bad.html", base))
        .and_then(|()| tab.wait_until(DIAGRAMS_SETTLED, PAGE_TIMEOUT))
        .and_then(|_| tab.screenshot("fixture-broken"));
    drop(browser);

    let (good, bad): (Vec<&String>, Vec<&String>) = visit
        .problems
        .iter()
        .partition(|p| p.starts_with("src/good.md"));
    assert!(
        good.is_empty(),
        "the good page (diagram, chart, quiz) has problems:\n{}",
        visit.problems.join("\n")
    );
    assert!(visit.answered > 0, "no quiz question was answered");
    for expected in [
        "src/bad.md: mermaid diagram 1 is mermaid's error picture: \"Syntax error",
        "src/bad.md: chart 1 has no data marks",
        "src/bad.md: console: uncaught exception: Error: broken page script",
    ] {
        assert!(
            bad.iter().any(|p| p.starts_with(expected)),
            "no `{expected}…` in:\n{}",
            visit.problems.join("\n")
        );
    }
    eprintln!(
        "the broken page is reported as:\n{}",
        visit.problems.join("\n")
    );
    match shot {
        Ok(file) => eprintln!("screenshot of the broken page: {}", file.display()),
        Err(e) => panic!("screenshot of the broken page: {e}"),
    }
}

/// `cargo book serve` reloads an open page after its chapter is edited on disk (see
/// `browser/live_reload.rs`).
#[test]
fn an_open_page_reloads_itself_when_its_chapter_is_edited() {
    let Some(executable) = browser_executable() else {
        return;
    };
    let _one = ONE_BROWSER.lock().unwrap_or_else(|p| p.into_inner());
    live_reload::a_page_reloads_itself_when_its_chapter_is_edited(&executable);
}

/// The book built for GitHub Pages works from a sub-path (see `browser/sub_path.rs`).
#[test]
fn the_book_works_from_a_sub_path_like_github_pages() {
    let Some(executable) = browser_executable() else {
        return;
    };
    let _one = ONE_BROWSER.lock().unwrap_or_else(|p| p.into_inner());
    sub_path::the_book_works_from_a_sub_path(&executable);
}

/// Reference results for `{{#bench spawn-cost}}`, in the format `cargo book measure` writes.
const REFERENCE_RESULTS: &str = r#"{"lab": "spawn-cost",
  "machine": {"cpu_model": "Test CPU", "cores": 2, "memory_bytes": 8589934592,
              "kernel": "Linux 6.1.0", "rustc": "rustc 1.88.0 (x 2025-06-23)",
              "date": "2025-06-01T12:00:00Z"},
  "records": [
    {"id": "spawn-cost/thread", "what": "thread and join", "unit": "ns",
     "median": 20000, "low": 18000, "high": 24000, "samples": 100},
    {"id": "spawn-cost/fork", "what": "fork and wait", "unit": "ns",
     "median": 300000, "low": 270000, "high": 360000, "samples": 100}]}"#;
