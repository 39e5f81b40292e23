//! The published book works from a sub-path, as GitHub Pages serves a project site
//! (`https://<user>.github.io/<repo>/`, see `.github/workflows/pages.yml`).
//!
//! The book is built with `output.html.site-url` set to the sub-path, which is what the
//! workflow's `MDBOOK_OUTPUT__HTML__SITE_URL` does: `MDBook::load` (mdbook-driver) reads every
//! `MDBOOK_*` variable into the configuration with `Config::update_from_env`, which calls
//! `Config::set`, as this test does directly (no environment variable: the other tests of this
//! process build books too). mdBook uses `site-url` only for the 404 page's `<base href>`
//! (mdbook-html's `render_404`), because that page is shown at whatever depth the missing URL
//! had; every other page links relatively (`path_to_root`).
//!
//! A tiny server stands in for Pages: the book under `/repo/`, the book's own `404.html` for a
//! missing file under it (what Pages answers for a project site), a bare 404 anywhere else.
//! It logs every request with its status, so the test sees each file the browser asked for:
//! none may fail, and no page may link outside the sub-path. Through Chromium it loads the
//! first page, pages with a chart, a quiz and a diagram (drawn, answered, no console error,
//! as in `visit`), a missing page two folders deep, and searches from a nested page.

use super::{
    DIAGRAMS_SETTLED, PAGE_TIMEOUT, SEARCH, Tab, html_path, launch, summary_chapters, target_dir,
    visit,
};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// Where the book is served, like a repository's name on GitHub Pages.
const SUB_PATH: &str = "/repo/";

/// A page that does not exist, two folders below the sub-path: without the 404 page's
/// `<base href>`, its relative assets would be asked for under `/repo/no/such/`.
const MISSING: &str = "no/such/page.html";

/// Every same-origin URL on the page that is not under the sub-path (a function of the base).
const OUTSIDE_SUB_PATH: &str = include_str!("outside-sub-path.js");

/// One request the server answered: the path as the browser sent it, and the status.
type Request = (String, u16);

pub fn the_book_works_from_a_sub_path(executable: &Path) {
    let root = book::repo_root();
    let html_dir = build_for_sub_path(&root);
    let chapters = chapters_to_visit(&root, &html_dir);
    let server = Pages::start(&html_dir);
    let base = server.base();

    let mut browser = launch(executable, "sub-path");
    let mut problems = visit(&mut browser, &base, &chapters, None).problems;
    let mut tab = Tab::open(&mut browser);
    let pages = std::iter::once(String::new())
        .chain(chapters.iter().map(|c| html_path(c)))
        .chain([MISSING.to_owned()]);
    for page in pages {
        problems.extend(links_and_errors(&mut tab, &base, &page));
    }
    problems.extend(missing_page_is_styled(&mut tab, &base));
    problems.extend(search_from_a_nested_page(&mut tab, &base, &chapters));
    drop(tab);
    drop(browser);
    let requests = server.requests();
    drop(server);

    let missing = format!("{SUB_PATH}{MISSING}");
    let mut failed: Vec<String> = requests
        .iter()
        .filter(|(path, status)| *status != 200 && *path != missing)
        .map(|(path, status)| format!("{status} for {path}"))
        .collect();
    // Each page asks for the same assets: say each failure once.
    failed.sort();
    failed.dedup();
    eprintln!(
        "sub-path: {} requests answered for the first page, {}, the 404 page and a search",
        requests.len(),
        chapters.join(", ")
    );
    assert!(
        requests
            .iter()
            .any(|(path, status)| *path == missing && *status == 404),
        "the missing page was never asked for, or was not answered with 404"
    );
    assert!(
        failed.is_empty(),
        "{} request(s) failed when served from {SUB_PATH}:\n{}",
        failed.len(),
        failed.join("\n")
    );
    assert!(
        problems.is_empty(),
        "{} problem(s) when served from {SUB_PATH}:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// The real book, built as the Pages workflow builds it (with the sub-path as `site-url`),
/// into a folder of its own under `target/`.
fn build_for_sub_path(root: &Path) -> PathBuf {
    let mut book =
        book::build::load(root).unwrap_or_else(|e| panic!("the book does not load: {e:#}"));
    book.config
        .set("build.build-dir", target_dir().join("book-sub-path"))
        .expect("set build.build-dir");
    book.config
        .set("output.html.site-url", SUB_PATH)
        .expect("set output.html.site-url");
    book.build()
        .unwrap_or_else(|e| panic!("the book does not build: {e:#}"));
    book.build_dir_for("html")
}

/// The pages to visit: one with a chart, one with a quiz (one page if a page has both) and
/// one with a mermaid diagram, as chapters of SUMMARY.md.
fn chapters_to_visit(root: &Path, html_dir: &Path) -> Vec<String> {
    let built: Vec<(String, String)> = summary_chapters(root)
        .into_iter()
        .filter_map(|chapter| {
            let html = std::fs::read_to_string(html_dir.join(html_path(&chapter))).ok()?;
            Some((chapter, html))
        })
        .collect();
    let first_with = |markers: &[&str]| {
        built
            .iter()
            .find(|(_, html)| markers.iter().all(|m| html.contains(m)))
            .map(|(chapter, _)| chapter.clone())
    };
    let (chart, quiz, diagram) = (
        "<figure class=\"chart\"",
        "class=\"tvp-quiz\"",
        "<pre class=\"mermaid\"",
    );
    let mut chapters = Vec::new();
    match first_with(&[chart, quiz]) {
        Some(both) => chapters.push(both),
        None => chapters.extend(
            [first_with(&[chart]), first_with(&[quiz])]
                .into_iter()
                .flatten(),
        ),
    }
    chapters.extend(first_with(&[diagram]));
    for (kind, marker) in [("chart", chart), ("quiz", quiz), ("diagram", diagram)] {
        assert!(
            built
                .iter()
                .any(|(c, html)| chapters.contains(c) && html.contains(marker)),
            "no page of the book has a {kind} to load from the sub-path"
        );
    }
    chapters
}

/// Loads `page` (under `base`): every link and asset stays under the sub-path, and the console
/// stays quiet (the missing page's own 404 aside).
fn links_and_errors(tab: &mut Tab<'_>, base: &str, page: &str) -> Vec<String> {
    let url = format!("{base}{page}");
    let name = if page.is_empty() {
        "the first page"
    } else {
        page
    };
    if let Err(e) = tab.navigate(&url) {
        return vec![format!("{name}: {e}")];
    }
    let mut problems = Vec::new();
    match tab.wait_until(DIAGRAMS_SETTLED, PAGE_TIMEOUT) {
        Ok(true) => {}
        Ok(false) => problems.push(format!("{name}: the page did not settle")),
        Err(e) => problems.push(format!("{name}: {e}")),
    }
    let base_json = serde_json::to_string(base).expect("a string is JSON");
    match tab.eval(&format!("({})({base_json})", OUTSIDE_SUB_PATH.trim_end())) {
        Ok(outside) => {
            for link in outside.as_array().into_iter().flatten() {
                problems.push(format!("{name}: links outside {SUB_PATH}: {link}"));
            }
        }
        Err(e) => problems.push(format!("{name}: {e}")),
    }
    for error in tab.errors() {
        if !(page == MISSING && error.ends_with(&url)) {
            problems.push(format!("{name}: console: {error}"));
        }
    }
    problems
}

/// The 404 page, shown two folders deep, is the book's page with its styles: its stylesheets
/// loaded (a failed one has no rules) and its table of contents links into the book.
fn missing_page_is_styled(tab: &mut Tab<'_>, base: &str) -> Vec<String> {
    let url = format!("{base}{MISSING}");
    if let Err(e) = tab.navigate(&url) {
        return vec![format!("the 404 page: {e}")];
    }
    let check = "(() => { \
        const sheets = Array.from(document.styleSheets); \
        const empty = sheets.filter(s => { try { return s.cssRules.length === 0; } \
          catch (e) { return true; } }).map(s => s.href); \
        const toc = Array.from(document.querySelectorAll('.sidebar a[href], mdbook-sidebar-scrollbox a[href]')) \
          .map(a => a.href); \
        return {sheets: sheets.length, empty, toc: toc.length, base: document.baseURI}; })()";
    let mut problems = Vec::new();
    match tab.eval(check) {
        Ok(page) => {
            if page["sheets"].as_u64().unwrap_or(0) == 0 {
                problems.push("the 404 page has no stylesheet".to_owned());
            }
            for sheet in page["empty"].as_array().into_iter().flatten() {
                problems.push(format!("the 404 page's stylesheet {sheet} did not load"));
            }
            if page["toc"].as_u64().unwrap_or(0) == 0 {
                problems.push("the 404 page shows no table of contents".to_owned());
            }
            if page["base"] != serde_json::json!(base) {
                problems.push(format!(
                    "the 404 page's base is {}, not {base}",
                    page["base"]
                ));
            }
        }
        Err(e) => problems.push(format!("the 404 page: {e}")),
    }
    if let Err(e) = tab.screenshot("sub-path-404") {
        problems.push(format!("screenshot of the 404 page: {e}"));
    }
    for error in tab.errors() {
        if !error.ends_with(&url) {
            problems.push(format!("the 404 page: console: {error}"));
        }
    }
    problems
}

/// Searches for "fork" from the first nested chapter: the index loads, results appear, each
/// links under the sub-path, and the first one opens.
fn search_from_a_nested_page(tab: &mut Tab<'_>, base: &str, chapters: &[String]) -> Vec<String> {
    let Some(nested) = chapters
        .iter()
        .map(|c| html_path(c))
        .find(|p| p.contains('/'))
    else {
        return vec!["no chapter in a folder to search from".to_owned()];
    };
    let url = format!("{base}{nested}");
    let results =
        "Array.from(document.querySelectorAll('#mdbook-searchresults a')).map(a => a.href)";
    let found = (|| -> Result<Vec<String>, String> {
        tab.navigate(&url)?;
        tab.eval(&format!("({})(\"fork\")", SEARCH.trim_end()))?;
        let appeared = "document.querySelectorAll('#mdbook-searchresults a').length > 0";
        if !tab.wait_until(appeared, PAGE_TIMEOUT)? {
            return Err("showed no results".to_owned());
        }
        let hrefs = tab.eval(results)?;
        Ok(hrefs
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|h| h.as_str().map(str::to_owned))
            .collect())
    })();
    let mut problems: Vec<String> = tab
        .errors()
        .into_iter()
        .map(|e| format!("search from {nested}: console: {e}"))
        .collect();
    let hrefs = match found {
        Ok(hrefs) => hrefs,
        Err(e) => {
            problems.push(format!("search for \"fork\" from {nested}: {e}"));
            return problems;
        }
    };
    for href in hrefs.iter().filter(|h| !h.starts_with(base)) {
        problems.push(format!("a search result links outside {SUB_PATH}: {href}"));
    }
    // The result's page itself: the server logs whether it was there.
    if let Some(first) = hrefs.first()
        && let Err(e) = tab.navigate(first)
    {
        problems.push(format!("opening the search result {first}: {e}"));
    }
    for error in tab.errors() {
        problems.push(format!("the first search result: console: {error}"));
    }
    problems
}

/// GitHub Pages in miniature, on 127.0.0.1: the book under [`SUB_PATH`], its `404.html` (with
/// status 404) for a missing file there, a bare 404 elsewhere. One thread per connection (a
/// browser opens several at once and may leave one idle), one response per connection.
struct Pages {
    address: SocketAddr,
    log: Arc<Mutex<Vec<Request>>>,
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
}

impl Pages {
    fn start(html_dir: &Path) -> Pages {
        let listener = TcpListener::bind(("127.0.0.1", 0)).expect("a port on 127.0.0.1");
        let address = listener.local_addr().expect("the server's address");
        let log = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (dir, logged, stopped) = (html_dir.to_owned(), Arc::clone(&log), Arc::clone(&stop));
        let accept = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopped.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let (dir, logged) = (dir.clone(), Arc::clone(&logged));
                std::thread::spawn(move || answer(stream, &dir, &logged));
            }
        });
        Pages {
            address,
            log,
            stop,
            accept: Some(accept),
        }
    }

    fn base(&self) -> String {
        format!("http://{}{SUB_PATH}", self.address)
    }

    fn requests(&self) -> Vec<Request> {
        self.log.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

impl Drop for Pages {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accept loop, which then sees `stop` and ends.
        let _ = TcpStream::connect(self.address);
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
    }
}

/// Reads one request head, answers it, logs it and closes the connection.
fn answer(mut stream: TcpStream, html_dir: &Path, log: &Mutex<Vec<Request>>) {
    // Only a stuck browser takes this long to send a few hundred bytes.
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    let mut head = Vec::new();
    let mut buffer = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buffer) {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buffer[..n]),
        }
    }
    let head = String::from_utf8_lossy(&head);
    let path = head.split_whitespace().nth(1).unwrap_or("").to_owned();
    let (status, content_type, body) = respond(html_dir, &path);
    log.lock()
        .unwrap_or_else(|p| p.into_inner())
        .push((path, status));
    let reason = if status == 200 { "OK" } else { "Not Found" };
    let header = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\n\
         Content-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream
        .write_all(header.as_bytes())
        .and_then(|()| stream.write_all(&body));
}

/// The status, type and body for a request path.
fn respond(html_dir: &Path, url: &str) -> (u16, &'static str, Vec<u8>) {
    let path = url.split(['?', '#']).next().unwrap_or("");
    let Some(relative) = path.strip_prefix(SUB_PATH) else {
        return (404, "text/plain", b"not under the sub-path".to_vec());
    };
    let mut file = html_dir.to_owned();
    for part in relative.split('/').filter(|p| !p.is_empty()) {
        if part == ".." || part == "." {
            return (404, "text/plain", b"no dot segments".to_vec());
        }
        file.push(part);
    }
    if file.is_dir() {
        file.push("index.html");
    }
    match std::fs::read(&file) {
        Ok(body) => (200, book::serve::content_type(&file), body),
        Err(_) => {
            let page = std::fs::read(html_dir.join("404.html")).unwrap_or_default();
            (404, "text/html; charset=utf-8", page)
        }
    }
}
