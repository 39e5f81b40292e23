//! `cargo book serve`: build, serve the HTML on 127.0.0.1, rebuild when a source changes.
//!
//! mdbook-driver has no server or watcher of its own, so this is ours: a small static-file
//! server over `std::net` and notify for the changes. Only loopback is bound: the book is for
//! the reader's own browser, not the network.
//!
//! The server answers each connection on its own thread and closes it after one response. An
//! earlier version used tiny_http, whose fixed pool of connection threads could leave one of a
//! browser's parallel connections unserved until another closed, so a page sometimes never
//! finished loading (the browser tests caught it). A static book on loopback needs nothing
//! more than this file; a full HTTP stack (hyper, axum and tokio) would multiply the book
//! tool's compile time on two cores. What an HTTP stack would give for free is written out
//! here and tested: bounded connections, a whole-request deadline, a back-off on accept
//! errors, `HEAD` without a body, 405 for other methods, 400 for a bad request line, 431 for
//! an oversized head (see [`Server`]).

use crate::build::{BuildOptions, build};
use crate::watch;
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// What rebuilds the book when it changes: the chapters, the config, the lab sources the
/// chapters include, the quizzes, and the measured results.
const WATCHED: [&str; 5] = ["src", "book.toml", "labs", "quizzes", "results"];

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

    let watched: Vec<PathBuf> = WATCHED.iter().map(|name| root.join(name)).collect();
    // Serves until the process is interrupted; rebuilding happens on this thread.
    watch::on_change(
        &watched,
        |_| true,
        || {
            match build(root, &options) {
                Ok(outcome) => {
                    println!("Rebuilt the book.");
                    report_warnings(&outcome.warnings);
                }
                Err(err) => eprintln!("Rebuild failed: {err:#}"),
            }
            Ok(())
        },
    )
}

fn report_warnings(warnings: &[String]) {
    for warning in warnings {
        eprintln!("{warning}");
    }
}

/// How long a connection may take to send its whole request head. A browser sends it at
/// once; a connection that dawdles only holds a thread and a descriptor.
const HEAD_DEADLINE: Duration = Duration::from_secs(10);
/// How long the reader's browser may take to receive one response.
const WRITE_DEADLINE: Duration = Duration::from_secs(30);
/// The largest request head answered (a browser's is a few hundred bytes): 431 beyond.
const MAX_HEAD: usize = 16 * 1024;
/// Descriptors kept free for everything but connections: the files being served, the
/// watcher, a rebuild.
const RESERVED_FDS: u64 = 64;
/// Whatever the descriptor limit, no more connections than this at once.
const MAX_CONNECTIONS: usize = 256;
/// After an accept error such as EMFILE, wait this long before accepting again: the
/// pending connection stays in the kernel's queue, and retrying at once only spins a core.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// A static-file server for a built book on 127.0.0.1; stops when dropped.
///
/// One thread per connection, one response per connection. What keeps it answering under
/// load: a cap on open connections below the descriptor limit (each costs two descriptors:
/// the socket and the registry's handle to shut it down); at the cap, the oldest connection
/// that has not yet sent a whole request is closed to make room; a whole-request deadline;
/// and a back-off after accept errors instead of a busy loop.
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
        let limit = connection_limit();
        let accept_loop = std::thread::spawn(move || {
            let open = Connections::default();
            for stream in listener.incoming() {
                if stopped.load(Ordering::SeqCst) {
                    break;
                }
                match stream {
                    Ok(stream) => open.serve(stream, &dir, limit),
                    Err(_) => {
                        // Out of descriptors (EMFILE, ENFILE) or memory: make room and wait.
                        open.evict_idle();
                        std::thread::sleep(ACCEPT_BACKOFF);
                    }
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

/// How many connections may be open at once: two descriptors each, within the soft
/// `RLIMIT_NOFILE` less a reserve, and never more than [`MAX_CONNECTIONS`].
fn connection_limit() -> usize {
    let soft = nix::sys::resource::getrlimit(nix::sys::resource::Resource::RLIMIT_NOFILE)
        .map_or(1024, |(soft, _)| soft);
    let usable = soft.saturating_sub(RESERVED_FDS) / 2;
    usize::try_from(usable).map_or(MAX_CONNECTIONS, |n| n.clamp(1, MAX_CONNECTIONS))
}

/// The open connections, oldest first, each with a handle to shut it down and whether its
/// request head has arrived.
#[derive(Debug, Default, Clone)]
struct Connections(Arc<Mutex<Vec<Open>>>);

#[derive(Debug)]
struct Open {
    id: u64,
    /// A second handle on the socket, to shut it down from the accept loop.
    handle: TcpStream,
    /// Set once the whole request head has arrived: the connection is then being answered.
    busy: Arc<AtomicBool>,
}

static NEXT_ID: AtomicU64 = AtomicU64::new(0);

impl Connections {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Open>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Answers `stream` on a thread of its own, making room first if the cap is reached.
    fn serve(&self, stream: TcpStream, html_dir: &Path, limit: usize) {
        let Ok(handle) = stream.try_clone() else {
            self.evict_idle();
            return; // no descriptor for the handle: drop this one, room is being made
        };
        if self.lock().len() >= limit && !self.evict_idle() {
            // Every connection is busy answering: this one waits for none of them.
            let _ = respond_on(stream, text(503, "too many connections"), false);
            return;
        }
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        let busy = Arc::new(AtomicBool::new(false));
        self.lock().push(Open {
            id,
            handle,
            busy: Arc::clone(&busy),
        });
        let (open, dir) = (self.clone(), html_dir.to_path_buf());
        let spawned = std::thread::Builder::new().spawn(move || {
            answer(stream, &dir, &busy);
            open.lock().retain(|c| c.id != id);
        });
        if spawned.is_err() {
            self.lock().retain(|c| c.id != id);
        }
    }

    /// Shuts down the oldest connection still waiting for its request head; `false` if
    /// every open connection is busy answering.
    fn evict_idle(&self) -> bool {
        let mut open = self.lock();
        let Some(index) = open.iter().position(|c| !c.busy.load(Ordering::SeqCst)) else {
            return false;
        };
        let idle = open.remove(index);
        // Its thread's read returns at once with end of file, and it ends.
        let _ = idle.handle.shutdown(Shutdown::Both);
        true
    }
}

/// Reads one request's head from `stream` and answers it, then closes the connection.
fn answer(mut stream: TcpStream, html_dir: &Path, busy: &AtomicBool) {
    let _ = stream.set_write_timeout(Some(WRITE_DEADLINE));
    let head = match read_head(&mut stream) {
        Ok(head) => head,
        Err(Some(response)) => {
            let _ = respond_on(stream, response, false);
            return;
        }
        Err(None) => return, // closed, shut down, or out of time: nobody to answer
    };
    busy.store(true, Ordering::SeqCst);
    let (response, with_body) = respond_to_head(html_dir, &head);
    let _ = respond_on(stream, response, with_body);
}

/// The request head, read within [`HEAD_DEADLINE`] in all; `Err(Some(..))` when it calls
/// for an error response, `Err(None)` when the connection ended or ran out of time.
fn read_head(stream: &mut TcpStream) -> Result<String, Option<Response>> {
    let deadline = std::time::Instant::now() + HEAD_DEADLINE;
    let mut head = Vec::new();
    let mut buffer = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() || stream.set_read_timeout(Some(left)).is_err() {
            return Err(None);
        }
        match stream.read(&mut buffer) {
            Ok(0) | Err(_) => return Err(None),
            Ok(n) => head.extend_from_slice(&buffer[..n]),
        }
        if head.len() > MAX_HEAD {
            return Err(Some(text(431, "request header fields too large")));
        }
    }
    Ok(String::from_utf8_lossy(&head).into_owned())
}

/// The response to a request head, and whether to send its body (not for `HEAD`).
pub fn respond_to_head(html_dir: &Path, head: &str) -> (Response, bool) {
    let request_line = head.lines().next().unwrap_or("");
    let mut parts = request_line.split_whitespace();
    let (Some(method), Some(url), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return (text(400, "bad request line"), true);
    };
    if !version.starts_with("HTTP/") {
        return (text(400, "bad request line"), true);
    }
    match method {
        "GET" => (respond(html_dir, url), true),
        "HEAD" => (respond(html_dir, url), false),
        _ => (text(405, "only GET and HEAD"), true),
    }
}

/// Writes `response` (its body only if `with_body`) and closes the connection.
fn respond_on(mut stream: TcpStream, response: Response, with_body: bool) -> std::io::Result<()> {
    let allow = if response.status == 405 {
        "Allow: GET, HEAD\r\n"
    } else {
        ""
    };
    let header = format!(
        "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\n{allow}\
         Cache-Control: no-store\r\nConnection: close\r\n\r\n",
        response.status,
        response.reason(),
        response.content_type,
        response.body.len()
    );
    stream.write_all(header.as_bytes())?;
    if with_body {
        stream.write_all(&response.body)?;
    }
    Ok(())
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
            404 => "Not Found",
            405 => "Method Not Allowed",
            431 => "Request Header Fields Too Large",
            503 => "Service Unavailable",
            _ => "Error",
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
    use super::{Connections, MAX_HEAD, Server, resolve};
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

    /// Sends `request` as is and returns the whole reply.
    fn send(url: &str, request: &[u8]) -> String {
        let address = url.trim_start_matches("http://").trim_end_matches('/');
        let mut stream = TcpStream::connect(address).unwrap();
        stream.write_all(request).unwrap();
        let mut reply = String::new();
        stream.read_to_string(&mut reply).unwrap();
        reply
    }

    fn book() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("index.html"), "<p>home</p>").unwrap();
        std::fs::write(dir.path().join("404.html"), "<p>lost</p>").unwrap();
        dir
    }

    #[test]
    fn serves_files_and_the_404_page_then_frees_its_port() {
        let dir = book();
        let server = Server::start(dir.path(), 0).unwrap();
        let url = server.url();
        let home = get(&url, "/");
        assert!(home.starts_with("HTTP/1.1 200 OK"), "{home}");
        assert!(home.contains("text/html") && home.ends_with("<p>home</p>"));
        assert!(get(&url, "/nope.html").starts_with("HTTP/1.1 404"));
        assert!(get(&url, "/../secret").starts_with("HTTP/1.1 400"));
        drop(server);
        let address = url.trim_start_matches("http://").trim_end_matches('/');
        std::net::TcpListener::bind(address).expect("the port is free again");
    }

    #[test]
    fn head_has_no_body_and_other_methods_are_refused() {
        let dir = book();
        let server = Server::start(dir.path(), 0).unwrap();
        let url = server.url();
        let head = send(&url, b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\n");
        assert!(head.starts_with("HTTP/1.1 200 OK"), "{head}");
        assert!(head.contains("Content-Length: 11\r\n"), "{head}");
        assert!(head.ends_with("\r\n\r\n"), "no body: {head}");
        let post = send(&url, b"POST / HTTP/1.1\r\nHost: x\r\n\r\n");
        assert!(post.starts_with("HTTP/1.1 405"), "{post}");
        assert!(post.contains("Allow: GET, HEAD\r\n"), "{post}");
        for bad in [&b"\r\n\r\n"[..], b"GET\r\n\r\n", b"GET / FTP/1 x\r\n\r\n"] {
            let reply = send(&url, bad);
            assert!(reply.starts_with("HTTP/1.1 400"), "{reply}");
        }
        let mut huge = b"GET / HTTP/1.1\r\nX: ".to_vec();
        huge.extend(std::iter::repeat_n(b'a', MAX_HEAD + 1));
        huge.extend_from_slice(b"\r\n\r\n");
        let reply = send(&url, &huge);
        assert!(reply.starts_with("HTTP/1.1 431"), "{reply}");
    }

    #[test]
    fn at_the_cap_the_oldest_idle_connection_makes_room() {
        let dir = book();
        let open = Connections::default();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        // Two idle clients fill a cap of two; a third connection evicts the first.
        let mut clients = Vec::new();
        for _ in 0..3 {
            clients.push(TcpStream::connect(address).unwrap());
            let (stream, _) = listener.accept().unwrap();
            open.serve(stream, dir.path(), 2);
        }
        let mut first = String::new();
        clients[0].read_to_string(&mut first).unwrap();
        assert_eq!(first, "", "the oldest idle connection was closed");
        assert_eq!(open.lock().len(), 2);
        write!(clients[2], "GET / HTTP/1.1\r\n\r\n").unwrap();
        let mut reply = String::new();
        clients[2].read_to_string(&mut reply).unwrap();
        assert!(reply.starts_with("HTTP/1.1 200 OK"), "{reply}");
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
