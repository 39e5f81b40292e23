//! `cargo book serve`: build, serve the HTML on 127.0.0.1, rebuild when a source changes.
//!
//! mdbook-driver has no server or watcher of its own, so this is ours: a small static-file
//! server over `std::net` and notify for the changes. Only loopback is bound: the book is for
//! the reader's own browser, not the network.
//!
//! The server answers each connection on its own thread and closes it after one response. An
//! earlier version used tiny_http, whose fixed pool of connection threads could leave one of a
//! browser's parallel connections unserved until another closed, so a page sometimes never
//! finished loading (the browser tests caught it). A static book needs nothing more.

use crate::build::{BuildOptions, build};
use notify::{RecursiveMode, Watcher};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
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
    let server = Server::start(&outcome.html_dir, port)?;
    println!(
        "Serving the book at {}  (Ctrl-C to stop; rebuilds on change)",
        server.url()
    );

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
    // Serves until the process is interrupted; rebuilding happens on this thread.
    rebuild_on_change(root, &options, &changed_rx);
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

/// A static-file server for a built book on 127.0.0.1; stops when dropped.
#[derive(Debug)]
pub struct Server {
    address: SocketAddr,
    stop: Arc<AtomicBool>,
    accept_loop: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    /// Serves `html_dir` on 127.0.0.1:`port` (0 picks a free port) from a background thread.
    pub fn start(html_dir: &Path, port: u16) -> anyhow::Result<Server> {
        let listener = TcpListener::bind(("127.0.0.1", port))
            .map_err(|e| anyhow::anyhow!("cannot listen on 127.0.0.1:{port}: {e}"))?;
        let address = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let (stopped, dir) = (Arc::clone(&stop), html_dir.to_path_buf());
        let accept_loop = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopped.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(stream) = stream {
                    let dir = dir.clone();
                    std::thread::spawn(move || answer(stream, &dir));
                }
            }
        });
        Ok(Server {
            address,
            stop,
            accept_loop: Some(accept_loop),
        })
    }

    /// The book's address, e.g. `http://127.0.0.1:3000/`.
    pub fn url(&self) -> String {
        format!("http://{}/", self.address)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accept loop, which then sees `stop` and ends, freeing the port.
        let _ = TcpStream::connect(self.address);
        if let Some(thread) = self.accept_loop.take() {
            let _ = thread.join();
        }
    }
}

/// Reads one request's head from `stream` and answers it, then closes the connection.
fn answer(mut stream: TcpStream, html_dir: &Path) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    let mut head = Vec::new();
    let mut buffer = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buffer) {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buffer[..n]),
        }
        if head.len() > 64 * 1024 {
            return; // Not a browser's request head.
        }
    }
    let head = String::from_utf8_lossy(&head);
    let url = head.split_whitespace().nth(1).unwrap_or("/");
    let response = respond(html_dir, url);
    let header = format!(
        "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nConnection: close\r\n\r\n",
        response.status,
        response.reason(),
        response.content_type,
        response.body.len()
    );
    let _ = stream
        .write_all(header.as_bytes())
        .and_then(|()| stream.write_all(&response.body));
}

/// One HTTP response: status, type and the whole body (book files are small).
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
}

impl Response {
    fn reason(&self) -> &'static str {
        match self.status {
            200 => "OK",
            400 => "Bad Request",
            _ => "Not Found",
        }
    }
}

/// The response for `url`: the file, the book's 404 page, or a plain error.
pub fn respond(html_dir: &Path, url: &str) -> Response {
    let Some(path) = resolve(html_dir, url) else {
        return text(400, "bad request path");
    };
    match std::fs::read(&path) {
        Ok(body) => file(200, body, &path),
        Err(_) => match std::fs::read(html_dir.join("404.html")) {
            Ok(body) => file(404, body, Path::new("404.html")),
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

fn file(status: u16, body: Vec<u8>, path: &Path) -> Response {
    let content_type = match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
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
    Response {
        status,
        content_type,
        body,
    }
}

fn text(status: u16, body: &str) -> Response {
    Response {
        status,
        content_type: "text/plain; charset=utf-8",
        body: body.as_bytes().to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::{Server, resolve};
    use std::io::{Read, Write};
    use std::net::TcpStream;
    use std::path::Path;

    fn get(url: &str, path: &str) -> String {
        let address = url.trim_start_matches("http://").trim_end_matches('/');
        let mut stream = TcpStream::connect(address).unwrap();
        write!(stream, "GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        let mut reply = String::new();
        stream.read_to_string(&mut reply).unwrap();
        reply
    }

    #[test]
    fn serves_files_and_the_404_page_then_frees_its_port() {
        let dir = std::env::temp_dir().join(format!("book-serve-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("index.html"), "<p>home</p>").unwrap();
        std::fs::write(dir.join("404.html"), "<p>lost</p>").unwrap();
        let server = Server::start(&dir, 0).unwrap();
        let url = server.url();
        let home = get(&url, "/");
        assert!(home.starts_with("HTTP/1.1 200 OK"), "{home}");
        assert!(home.contains("text/html") && home.ends_with("<p>home</p>"));
        assert!(get(&url, "/nope.html").starts_with("HTTP/1.1 404"));
        assert!(get(&url, "/../secret").starts_with("HTTP/1.1 400"));
        drop(server);
        std::fs::remove_dir_all(&dir).unwrap();
        let address = url.trim_start_matches("http://").trim_end_matches('/');
        std::net::TcpListener::bind(address).expect("the port is free again");
    }

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
