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
//!
//! Live reload: a page open in the browser reloads itself after a finished rebuild. The
//! server adds one inline script before `</body>` of each HTML response (only in `serve`: the
//! built files on disk stay exactly what `cargo book build` writes, so nothing can publish
//! them with the script, and neither the build nor book.toml learns about serving). The
//! script opens an `EventSource` on [`LIVE_PATH`], a server-sent event stream, and calls
//! `location.reload()` on a `reload` event. Server-sent events fit a message that only goes
//! from the server to the page: a plain HTTP response that never ends, which a browser
//! reconnects by itself when it ends (the HTML standard, "Server-sent events"); a websocket
//! would add a handshake (SHA-1 and base64 of a key) and framing (RFC 6455, sections 4 and 5)
//! to this std-only file for nothing the page sends back. Each page
//! names the build it was served from (`?since=`): a stream that connects after a newer
//! build, or to a restarted server, is told to reload at once, so no rebuild is missed
//! between a page's load and its stream's connection. Streams are kept apart from
//! connections (see [`Reloads`]): capped at [`MAX_STREAMS`] with the oldest dropped, never
//! counted as a connection awaiting its request, and counted in the descriptor budget.

use crate::build::{BuildOptions, build};
use crate::watch;
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

/// What rebuilds the book when it changes: the chapters, the config, the lab sources the
/// chapters include, the quizzes, and the measured results.
const WATCHED: [&str; 5] = ["src", "book.toml", "labs", "quizzes", "results"];

/// `cargo book serve`: builds, serves with live reload, and rebuilds on change until the
/// process is interrupted.
pub fn serve(root: &Path, port: u16) -> anyhow::Result<()> {
    let serving = Serving::start(root, port)?;
    println!(
        "Serving the book at {}  (Ctrl-C to stop; rebuilds and reloads on change)",
        serving.url()
    );
    serving.rebuild_on_change(&AtomicBool::new(true))
}

/// What `cargo book serve` runs: the book built and served with live reload. The browser
/// test runs one on a temporary book, its rebuild loop on a thread it can stop.
#[derive(Debug)]
pub struct Serving {
    root: PathBuf,
    options: BuildOptions,
    server: Server,
}

impl Serving {
    /// Builds the book in `root` and serves it on 127.0.0.1:`port` (0 picks a free port).
    pub fn start(root: &Path, port: u16) -> anyhow::Result<Serving> {
        let options = BuildOptions {
            dest: None,
            verbose: false,
        };
        let outcome = build(root, &options)?;
        report_warnings(&outcome.warnings);
        let server = Server::live(&outcome.html_dir, port)?;
        Ok(Serving {
            root: root.to_path_buf(),
            options,
            server,
        })
    }

    /// The book's address, e.g. `http://127.0.0.1:3000/`.
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// Rebuilds after each settled burst of changes and tells the open pages to reload
    /// (not after a failed rebuild: the pages on disk are then the last good ones), until
    /// `running` is false.
    pub fn rebuild_on_change(&self, running: &AtomicBool) -> anyhow::Result<()> {
        let watched: Vec<PathBuf> = WATCHED.iter().map(|name| self.root.join(name)).collect();
        watch::on_change_while(
            &watched,
            |_| true,
            running,
            || {
                match build(&self.root, &self.options) {
                    Ok(outcome) => {
                        println!("Rebuilt the book.");
                        report_warnings(&outcome.warnings);
                        self.server.reload();
                    }
                    Err(err) => eprintln!("Rebuild failed: {err:#}"),
                }
                Ok(())
            },
        )
    }
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
/// The live-reload event stream's path; a page's script adds `?since=<build>`.
pub const LIVE_PATH: &str = "/__livereload";
/// At most this many open event streams (a reader's tabs of the book); a new one closes the
/// oldest, whose browser reconnects by itself. Each costs a thread and two descriptors, which
/// [`connection_limit`] sets aside.
pub const MAX_STREAMS: usize = 16;
/// How long one event may take to reach a page: a few dozen bytes fit any socket buffer, so
/// only a page that stopped reading takes longer, and it is dropped rather than holding up
/// the others (events are written from the rebuild's thread).
const EVENT_DEADLINE: Duration = Duration::from_secs(2);
/// How soon a page's `EventSource` reconnects after its stream ends (a restart, or dropped
/// for a newer one), in milliseconds: the `retry` field of the HTML standard's server-sent
/// events (its default, the "reconnection time", is the browser's choice, a few seconds).
const RECONNECT_MS: u32 = 1000;

/// A static-file server for a built book on 127.0.0.1; stops when dropped.
///
/// One thread per connection, one response per connection. What keeps it answering under
/// load: a cap on open connections below the descriptor limit (each costs two descriptors:
/// the socket and the registry's handle to shut it down); at the cap, the oldest connection
/// that has not yet sent a whole request is closed to make room; a whole-request deadline;
/// and a back-off after accept errors instead of a busy loop. With live reload, a request
/// for [`LIVE_PATH`] leaves the connections for the [`Reloads`] streams.
#[derive(Debug)]
pub struct Server {
    address: SocketAddr,
    stop: Arc<AtomicBool>,
    accept_loop: Option<std::thread::JoinHandle<()>>,
    live: Option<Arc<Reloads>>,
}

impl Server {
    /// Serves `html_dir` on 127.0.0.1:`port` (0 picks a free port) from a background thread,
    /// the files as they are.
    pub fn start(html_dir: &Path, port: u16) -> anyhow::Result<Server> {
        Server::open(html_dir, port, None)
    }

    /// [`Server::start`] with live reload: HTML responses carry the script, and
    /// [`Server::reload`] reloads the pages open in a browser.
    pub fn live(html_dir: &Path, port: u16) -> anyhow::Result<Server> {
        Server::open(html_dir, port, Some(Arc::new(Reloads::new(MAX_STREAMS))))
    }

    fn open(html_dir: &Path, port: u16, live: Option<Arc<Reloads>>) -> anyhow::Result<Server> {
        let listener = TcpListener::bind(("127.0.0.1", port))
            .map_err(|e| anyhow::anyhow!("cannot listen on 127.0.0.1:{port}: {e}"))?;
        let address = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let (stopped, dir) = (Arc::clone(&stop), html_dir.to_path_buf());
        let limit = connection_limit();
        let reloads = live.clone();
        let accept_loop = std::thread::spawn(move || {
            let open = Connections::default();
            for stream in listener.incoming() {
                if stopped.load(Ordering::SeqCst) {
                    break;
                }
                match stream {
                    Ok(stream) => open.serve(stream, &dir, limit, reloads.as_ref()),
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
            live,
        })
    }

    /// The book's address, e.g. `http://127.0.0.1:3000/`.
    pub fn url(&self) -> String {
        format!("http://{}/", self.address)
    }

    /// Tells every page open in a browser to reload (a finished rebuild); nothing without
    /// live reload.
    pub fn reload(&self) {
        if let Some(live) = &self.live {
            live.notify();
        }
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
        // The pages see their streams end (and reconnect to whatever serves next).
        if let Some(live) = &self.live {
            live.close_all();
        }
    }
}

/// How many connections may be open at once: two descriptors each, within the soft
/// `RLIMIT_NOFILE` less a reserve and less the [`MAX_STREAMS`] event streams' two each, and
/// never more than [`MAX_CONNECTIONS`].
fn connection_limit() -> usize {
    let soft = soft_descriptor_limit().unwrap_or(1024);
    let usable = soft.saturating_sub(RESERVED_FDS) / 2;
    usize::try_from(usable).map_or(MAX_CONNECTIONS, |n| {
        n.saturating_sub(MAX_STREAMS).clamp(1, MAX_CONNECTIONS)
    })
}

/// The soft `RLIMIT_NOFILE` (getrlimit(2)), through `libc` rather than nix so the tool builds
/// on any OS.
#[cfg(unix)]
fn soft_descriptor_limit() -> Option<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `limit` is a valid, initialised rlimit that getrlimit writes and nothing else
    // holds a reference to.
    let ok = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } == 0;
    // rlim_t is u64 on 64-bit Linux and macOS, but c_ulong on 32-bit Linux.
    #[allow(clippy::useless_conversion)]
    ok.then(|| u64::try_from(limit.rlim_cur).unwrap_or(u64::MAX))
}

/// No descriptor limit to read (Windows' sockets are handles): the caller's default.
#[cfg(not(unix))]
fn soft_descriptor_limit() -> Option<u64> {
    None
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
    fn serve(&self, stream: TcpStream, html_dir: &Path, limit: usize, live: Option<&Arc<Reloads>>) {
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
        let (open, dir, live) = (self.clone(), html_dir.to_path_buf(), live.cloned());
        let spawned = std::thread::Builder::new().spawn(move || {
            let stream = answer(stream, &dir, &busy, live.as_deref());
            open.lock().retain(|c| c.id != id);
            // An event stream holds no connection's place: it leaves them before it waits.
            if let (Some((stream, since)), Some(live)) = (stream, live) {
                live.stream(stream, since.as_deref());
            }
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

/// Reads one request's head from `stream` and answers it, then closes the connection; with
/// `live`, a `GET` of [`LIVE_PATH`] is handed back instead, with its `since`, to become an
/// event stream.
fn answer(
    mut stream: TcpStream,
    html_dir: &Path,
    busy: &AtomicBool,
    live: Option<&Reloads>,
) -> Option<(TcpStream, Option<String>)> {
    let _ = stream.set_write_timeout(Some(WRITE_DEADLINE));
    let head = match read_head(&mut stream) {
        Ok(head) => head,
        Err(Some(response)) => {
            let _ = respond_on(stream, response, false);
            return None;
        }
        Err(None) => return None, // closed, shut down, or out of time: nobody to answer
    };
    busy.store(true, Ordering::SeqCst);
    let Some(live) = live else {
        let (response, with_body) = respond_to_head(html_dir, &head);
        let _ = respond_on(stream, response, with_body);
        return None;
    };
    if let Ok((method, url)) = request_line(&head)
        && url.split(['?', '#']).next() == Some(LIVE_PATH)
    {
        match method {
            "GET" => return Some((stream, since(url))),
            "HEAD" => {
                let _ = stream.write_all(STREAM_HEAD.as_bytes());
                return None;
            }
            _ => {} // 405, as for any other path
        }
    }
    // The build is read before the file, so a page never names a newer build than its own.
    let build = live.build();
    let (mut response, with_body) = respond_to_head(html_dir, &head);
    if response.content_type.starts_with("text/html") {
        response.body = with_reload_script(&response.body, &build);
    }
    let _ = respond_on(stream, response, with_body);
    None
}

/// The `since` of a live-reload URL's query, if any.
fn since(url: &str) -> Option<String> {
    let query = url.split('#').next()?.split_once('?')?.1;
    query
        .split('&')
        .find_map(|pair| pair.strip_prefix("since="))
        .map(str::to_owned)
}

/// `html` with the live-reload script before its last `</body>` (at the end if none).
fn with_reload_script(html: &[u8], build: &str) -> Vec<u8> {
    // `build` is digits and a dash (see `Reloads::build`): nothing to escape in a URL or a
    // script.
    let script = format!(
        "<script>new EventSource(\"{LIVE_PATH}?since={build}\")\
         .addEventListener(\"reload\", () => location.reload());</script>\n"
    );
    let at = html
        .windows(7)
        .rposition(|w| w.eq_ignore_ascii_case(b"</body>"))
        .unwrap_or(html.len());
    let mut out = Vec::with_capacity(html.len() + script.len());
    out.extend_from_slice(&html[..at]);
    out.extend_from_slice(script.as_bytes());
    out.extend_from_slice(&html[at..]);
    out
}

/// The head of an event stream's response. It has no length: the body is the events, and it
/// ends when the connection closes (RFC 9112, section 6.3, the last rule).
const STREAM_HEAD: &str = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\
     Cache-Control: no-store\r\nConnection: close\r\n\r\n";

/// Live reload's side of the server: which build is current, and the open event streams,
/// oldest first.
///
/// Each stream keeps the thread of its connection, blocked reading the socket, which returns
/// when the page goes away (end of file) or when the stream is dropped here (`shutdown`), and
/// then leaves the list; events are written from the rebuild's thread through a second handle,
/// under the lock, so no two writes to one stream interleave. At most `cap` streams: a new one
/// closes the oldest.
#[derive(Debug)]
pub struct Reloads {
    cap: usize,
    /// Tells this server's builds from those of an earlier run, whose pages then reload when
    /// they reconnect: the start time, in nanoseconds.
    boot: u128,
    state: Mutex<Streams>,
}

#[derive(Debug, Default)]
struct Streams {
    /// Rebuilds since the server started.
    rebuilds: u64,
    open: Vec<Stream>,
}

#[derive(Debug)]
struct Stream {
    id: u64,
    /// A second handle on the socket, to write events and to shut it down.
    handle: TcpStream,
}

impl Reloads {
    /// No streams yet, at most `cap` at once.
    pub fn new(cap: usize) -> Reloads {
        let boot = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        Reloads {
            cap: cap.max(1),
            boot,
            state: Mutex::default(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Streams> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The current build's name, which a page's script sends back as `since`.
    pub fn build(&self) -> String {
        Self::name(self.boot, self.lock().rebuilds)
    }

    fn name(boot: u128, rebuilds: u64) -> String {
        format!("{boot}-{rebuilds}")
    }

    /// How many streams are open.
    pub fn streams(&self) -> usize {
        self.lock().open.len()
    }

    /// A rebuild finished: every open stream gets a `reload` event; a stream that cannot take
    /// it is dropped.
    pub fn notify(&self) {
        let mut state = self.lock();
        state.rebuilds += 1;
        let event = format!(
            "event: reload\ndata: {}\n\n",
            Self::name(self.boot, state.rebuilds)
        );
        state.open.retain(|stream| {
            let sent = (&stream.handle).write_all(event.as_bytes()).is_ok();
            if !sent {
                let _ = stream.handle.shutdown(Shutdown::Both);
            }
            sent
        });
    }

    /// Closes every stream.
    pub fn close_all(&self) {
        for stream in self.lock().open.drain(..) {
            let _ = stream.handle.shutdown(Shutdown::Both);
        }
    }

    /// Serves `stream` as an event stream until the page goes away or the stream is dropped:
    /// the head, then `reload` at once if the page's build (`since`) is not the current one.
    pub fn stream(&self, mut stream: TcpStream, since: Option<&str>) {
        // The head's deadline is over; from now on only the end of the stream is awaited. The
        // write deadline is set before the clone, and holds for the events written through the
        // handle too: `try_clone` duplicates the descriptor (`F_DUPFD_CLOEXEC` in std's unix
        // `fd.rs`), and SO_SNDTIMEO belongs to the socket both name (socket(7)).
        if stream.set_read_timeout(None).is_err()
            || stream.set_write_timeout(Some(EVENT_DEADLINE)).is_err()
        {
            return;
        }
        let Ok(handle) = stream.try_clone() else {
            return; // no descriptor for the handle: the page reconnects later
        };
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        {
            let mut state = self.lock();
            let current = Self::name(self.boot, state.rebuilds);
            let mut start = format!("{STREAM_HEAD}retry: {RECONNECT_MS}\n\n");
            if since.is_some_and(|since| since != current) {
                start.push_str(&format!("event: reload\ndata: {current}\n\n"));
            }
            if stream.write_all(start.as_bytes()).is_err() {
                return;
            }
            if state.open.len() >= self.cap {
                let oldest = state.open.remove(0);
                let _ = oldest.handle.shutdown(Shutdown::Both);
            }
            state.open.push(Stream { id, handle });
        }
        // A page sends nothing more: this read ends at its end of file or at a shutdown.
        let mut buffer = [0u8; 512];
        while matches!(stream.read(&mut buffer), Ok(n) if n > 0) {}
        self.lock().open.retain(|s| s.id != id);
    }
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

/// The method and URL of a request head's first line; a 400 response if it is malformed.
fn request_line(head: &str) -> Result<(&str, &str), Response> {
    let line = head.lines().next().unwrap_or("");
    let mut parts = line.split_whitespace();
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(method), Some(url), Some(version), None) if version.starts_with("HTTP/") => {
            Ok((method, url))
        }
        _ => Err(text(400, "bad request line")),
    }
}

/// The response to a request head, and whether to send its body (not for `HEAD`).
pub fn respond_to_head(html_dir: &Path, head: &str) -> (Response, bool) {
    let (method, url) = match request_line(head) {
        Ok(line) => line,
        Err(response) => return (response, true),
    };
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
    Response {
        status,
        content_type: content_type(path),
        body,
    }
}

/// The `Content-Type` of a file of the built book, by its extension. A browser ignores a
/// stylesheet or a script served with another type, so the types must be right; the browser
/// tests' own sub-path server uses this too.
pub fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
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
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
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
    use super::{Connections, LIVE_PATH, MAX_HEAD, Reloads, Server, resolve};
    use std::io::{Read, Write};
    use std::net::TcpStream;
    use std::path::Path;
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    /// A liveness bound for the event-stream tests, not a timing claim: a stream that works
    /// answers at once; one that is broken would otherwise hang the test.
    const PATIENCE: Duration = Duration::from_secs(20);

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
            open.serve(stream, dir.path(), 2, None);
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

    fn address(url: &str) -> &str {
        url.trim_start_matches("http://").trim_end_matches('/')
    }

    /// Reads from `stream` until what was read contains `needle` (or the stream ends).
    fn read_until(stream: &mut TcpStream, needle: &str) -> String {
        stream.set_read_timeout(Some(PATIENCE)).unwrap();
        let mut read = Vec::new();
        let mut buffer = [0u8; 1024];
        while !String::from_utf8_lossy(&read).contains(needle) {
            match stream.read(&mut buffer) {
                Ok(0) => break,
                Ok(n) => read.extend_from_slice(&buffer[..n]),
                Err(e) => panic!("no {needle:?} within {PATIENCE:?}: {e}"),
            }
        }
        String::from_utf8_lossy(&read).into_owned()
    }

    /// A page's event stream, opened with `since` and read up to the end of its first event
    /// (the `retry` field).
    fn subscribe(address: &str, since: &str) -> (TcpStream, String) {
        let mut stream = TcpStream::connect(address).unwrap();
        write!(
            stream,
            "GET {LIVE_PATH}?since={since} HTTP/1.1\r\nHost: x\r\n\r\n"
        )
        .unwrap();
        let start = read_until(&mut stream, "retry: 1000\n\n");
        assert!(start.starts_with("HTTP/1.1 200 OK\r\n"), "{start}");
        assert!(
            start.contains("Content-Type: text/event-stream\r\n"),
            "{start}"
        );
        (stream, start)
    }

    fn live_book() -> tempfile::TempDir {
        let dir = book();
        std::fs::write(
            dir.path().join("page.html"),
            "<html><body><p>page</p></body></html>",
        )
        .unwrap();
        dir
    }

    #[test]
    fn a_live_page_carries_the_script_and_a_rebuild_reloads_it() {
        let dir = live_book();
        let server = Server::live(dir.path(), 0).unwrap();
        let url = server.url();
        let page = get(&url, "/page.html");
        let (head, body) = page.split_once("\r\n\r\n").unwrap();
        assert!(
            head.contains(&format!("Content-Length: {}\r\n", body.len())),
            "{page}"
        );
        let build = server.live.as_ref().unwrap().build();
        let script = format!(
            "<script>new EventSource(\"{LIVE_PATH}?since={build}\")\
             .addEventListener(\"reload\", () => location.reload());</script>\n"
        );
        assert_eq!(
            body,
            format!("<html><body><p>page</p>{script}</body></html>")
        );
        // A page without `</body>` gets it at the end; the 404 page is a page too.
        assert!(get(&url, "/").ends_with(&format!("<p>home</p>{script}")));
        assert!(get(&url, "/nope.html").ends_with(&format!("<p>lost</p>{script}")));

        let (mut stream, start) = subscribe(address(&url), &build);
        assert!(
            !start.contains("event: reload"),
            "the page is current: {start}"
        );
        server.reload();
        let event = read_until(&mut stream, "\n\n");
        assert!(event.starts_with("event: reload\ndata: "), "{event}");
        // A page served before that rebuild, connecting only now, reloads at once.
        let (_late, start) = subscribe(address(&url), &build);
        assert!(start.contains("event: reload\n"), "{start}");
    }

    #[test]
    fn a_static_server_adds_no_script_and_has_no_stream() {
        let dir = live_book();
        let server = Server::start(dir.path(), 0).unwrap();
        let url = server.url();
        assert!(get(&url, "/page.html").ends_with("<p>page</p></body></html>"));
        assert!(get(&url, LIVE_PATH).starts_with("HTTP/1.1 404"));
    }

    #[test]
    fn a_page_that_goes_away_leaves_the_streams() {
        let dir = live_book();
        let server = Server::live(dir.path(), 0).unwrap();
        let live = Arc::clone(server.live.as_ref().unwrap());
        let (stream, _) = subscribe(address(&server.url()), &live.build());
        assert_eq!(live.streams(), 1);
        drop(stream);
        let deadline = Instant::now() + PATIENCE;
        while live.streams() > 0 {
            assert!(
                Instant::now() < deadline,
                "the closed stream is still listed"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    #[test]
    fn at_the_stream_cap_the_oldest_stream_is_dropped() {
        let live = Arc::new(Reloads::new(2));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap().to_string();
        let mut pages = Vec::new();
        for _ in 0..3 {
            let client = std::thread::spawn({
                let address = address.clone();
                move || subscribe(&address, "0-0").0
            });
            let (stream, _) = listener.accept().unwrap();
            // The head was read by the connection's thread; the stream is what follows it.
            let mut head = [0u8; 1024];
            let _ = (&stream).read(&mut head).unwrap();
            let live = Arc::clone(&live);
            std::thread::spawn(move || live.stream(stream, None));
            pages.push(client.join().unwrap());
        }
        let mut rest = String::new();
        pages[0].read_to_string(&mut rest).unwrap();
        assert_eq!(rest, "", "the oldest stream was closed");
        assert_eq!(live.streams(), 2);
        live.notify();
        for page in &mut pages[1..] {
            assert!(read_until(page, "\n\n").starts_with("event: reload\n"));
        }
    }

    #[test]
    fn an_event_stream_holds_no_connection_place() {
        let dir = live_book();
        let live = Arc::new(Reloads::new(2));
        let open = Connections::default();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap().to_string();
        // With room for one connection: the stream's, then a page's, both answered.
        let page = std::thread::spawn({
            let address = address.clone();
            move || subscribe(&address, "0-0").0
        });
        open.serve(listener.accept().unwrap().0, dir.path(), 1, Some(&live));
        let mut page = page.join().unwrap();
        let mut client = TcpStream::connect(&address).unwrap();
        open.serve(listener.accept().unwrap().0, dir.path(), 1, Some(&live));
        write!(client, "GET /page.html HTTP/1.1\r\n\r\n").unwrap();
        let mut reply = String::new();
        client.read_to_string(&mut reply).unwrap();
        assert!(reply.starts_with("HTTP/1.1 200 OK"), "{reply}");
        // Neither made room by closing the stream: it still gets its event.
        live.notify();
        assert!(read_until(&mut page, "\n\n").starts_with("event: reload\n"));
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
