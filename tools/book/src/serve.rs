//! `cargo book serve`: build, serve the HTML on 127.0.0.1, rebuild when a source changes.
//!
//! mdbook-driver has no server or watcher of its own, so this is ours: tiny_http for the
//! files, notify for the changes. Only loopback is bound: the book is for the reader's own
//! browser, not the network.

use crate::build::{BuildOptions, build};
use anyhow::Context;
use notify::{RecursiveMode, Watcher};
use std::path::{Component, Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

/// What rebuilds the book when it changes: the chapters, the config, the lab sources the
/// chapters include, the quizzes, and the measured results.
const WATCHED: [&str; 5] = ["src", "book.toml", "labs", "quizzes", "results"];

/// Changes arriving within this window after the first one cause one rebuild, not many
/// (an editor's save is often several file events).
const SETTLE: Duration = Duration::from_millis(300);

pub fn serve(root: &Path, port: u16) -> anyhow::Result<()> {
    let options = BuildOptions {
        dest: None,
        verbose: false,
    };
    let outcome = build(root, &options)?;
    report_warnings(&outcome.warnings);
    let html_dir = outcome.html_dir;
    let server = tiny_http::Server::http(("127.0.0.1", port))
        .map_err(|e| anyhow::anyhow!("cannot listen on 127.0.0.1:{port}: {e}"))?;
    let address = server
        .server_addr()
        .to_ip()
        .context("server has an IP address")?;
    println!("Serving the book at http://{address}/  (Ctrl-C to stop; rebuilds on change)");

    let (changed_tx, changed_rx) = mpsc::channel();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        if event.is_ok_and(|e| !e.kind.is_access()) {
            let _ = changed_tx.send(());
        }
    })?;
    for name in WATCHED {
        let path = root.join(name);
        if path.exists() {
            watcher.watch(&path, RecursiveMode::Recursive)?;
        }
    }
    let root_for_rebuilds = root.to_path_buf();
    std::thread::spawn(move || rebuild_on_change(&root_for_rebuilds, &options, &changed_rx));

    for request in server.incoming_requests() {
        let response = respond(&html_dir, request.url());
        let _ = request.respond(response);
    }
    Ok(())
}

fn rebuild_on_change(root: &Path, options: &BuildOptions, changed: &mpsc::Receiver<()>) {
    while changed.recv().is_ok() {
        std::thread::sleep(SETTLE);
        while changed.try_recv().is_ok() {}
        match build(root, options) {
            Ok(outcome) => {
                println!("Rebuilt the book.");
                report_warnings(&outcome.warnings);
            }
            Err(err) => eprintln!("Rebuild failed: {err:#}"),
        }
    }
}

fn report_warnings(warnings: &[String]) {
    for warning in warnings {
        eprintln!("{warning}");
    }
}

pub type Response = tiny_http::Response<std::io::Cursor<Vec<u8>>>;

/// The response to a GET of `url`: the file under `html_dir` with its content type, else
/// the book's 404 page. Public for the browser tests, which serve books with it.
pub fn respond(html_dir: &Path, url: &str) -> Response {
    let Some(path) = resolve(html_dir, url) else {
        return text(400, "bad request path");
    };
    match std::fs::read(&path) {
        Ok(body) => with_type(tiny_http::Response::from_data(body), &path),
        Err(_) => match std::fs::read(html_dir.join("404.html")) {
            Ok(body) => with_type(tiny_http::Response::from_data(body), Path::new("404.html"))
                .with_status_code(404),
            Err(_) => text(404, "not found"),
        },
    }
}

/// Maps a URL path to a file under `html_dir`; `None` for anything that would leave it.
pub fn resolve(html_dir: &Path, url: &str) -> Option<PathBuf> {
    let path = url.split(['?', '#']).next().unwrap_or("");
    let decoded = percent_decode(path)?;
    let relative = Path::new(decoded.trim_start_matches('/'));
    if relative
        .components()
        .any(|c| !matches!(c, Component::Normal(_)))
    {
        return None;
    }
    let mut full = html_dir.join(relative);
    if full.is_dir() {
        full.push("index.html");
    }
    Some(full)
}

fn percent_decode(path: &str) -> Option<String> {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn with_type(response: Response, path: &Path) -> Response {
    let mime = match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "ttf" => "font/ttf",
        "ico" => "image/x-icon",
        _ => "application/octet-stream",
    };
    let header =
        tiny_http::Header::from_bytes("Content-Type", mime).expect("static header is valid");
    response.with_header(header)
}

fn text(status: u16, body: &str) -> Response {
    tiny_http::Response::from_data(body.as_bytes().to_vec()).with_status_code(status)
}

#[cfg(test)]
mod tests {
    use super::resolve;
    use std::path::Path;

    #[test]
    fn resolves_inside_the_book_only() {
        let dir = Path::new("/book");
        assert_eq!(
            resolve(dir, "/concepts/thread.html?x=1#top").unwrap(),
            Path::new("/book/concepts/thread.html")
        );
        assert_eq!(
            resolve(dir, "/a%20b.html").unwrap(),
            Path::new("/book/a b.html")
        );
        assert!(resolve(dir, "/../etc/passwd").is_none());
        assert!(resolve(dir, "/%2e%2e/etc/passwd").is_none());
    }
}
