//! A small Chrome DevTools Protocol client over `--remote-debugging-pipe`: Chromium reads
//! JSON commands, each ended by a NUL byte, from its fd 3 and writes responses and events the
//! same way to its fd 4. A pipe needs no port, no websocket and no async runtime: serde_json
//! is the whole dependency.
//!
//! fds 3 and 4 are set up without `pre_exec`: Chromium is started through `sh`, which
//! duplicates its stdin and stdout (our two pipes) onto 3 and 4 before it `exec`s Chromium.

use nix::sys::signal::{Signal, kill, killpg};
use nix::sys::wait::{WaitPidFlag, waitpid};
use nix::unistd::Pid;
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

/// Flags for a quiet, throwaway, headless browser. The sandbox is off because CI runs as
/// root, where Chromium refuses to start with it.
const FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-breakpad",
    "--disable-crash-reporter",
    "--disable-dev-shm-usage",
    "--mute-audio",
    "--hide-scrollbars",
    "--window-size=1200,900",
    "--remote-debugging-pipe",
];

/// A reply to one command takes longer than this only if the browser is stuck.
const CALL_TIMEOUT: Duration = Duration::from_secs(60);

/// A running Chromium. Dropping it closes the browser, kills whatever is left of its process
/// group, reaps it and removes its profile, also when a test panics.
pub struct Browser {
    child: Child,
    commands: ChildStdin,
    messages: Receiver<Value>,
    /// Events that arrived while waiting for something else, oldest first.
    events: VecDeque<Value>,
    next_id: u64,
    /// Holds the profile and the log; removed when dropped, after the browser is gone.
    _dir: tempfile::TempDir,
}

impl Browser {
    /// Starts `executable` with a fresh profile in a temporary folder named after `name`
    /// (under `parent`, removed on drop), with the browser's log beside the profile.
    pub fn launch(executable: &Path, parent: &Path, name: &str) -> Result<Browser, String> {
        // The browser's helpers outlive it for a moment when it is killed: as a subreaper this
        // process inherits them and can reap them, rather than leave zombies to init.
        nix::sys::prctl::set_child_subreaper(true).map_err(|e| format!("subreaper: {e}"))?;
        std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        let dir = tempfile::Builder::new()
            .prefix(&format!("browser-{name}-"))
            .tempdir_in(parent)
            .map_err(|e| format!("a folder for the profile: {e}"))?;
        let profile = dir.path().join("profile");
        let log_path = dir.path().join("chromium.log");
        let log = std::fs::File::create(&log_path)
            .map_err(|e| format!("creating the browser log: {e}"))?;
        let mut child = Command::new("sh")
            // $0 is the browser, "$@" its flags: fd 3 reads our commands (stdin), fd 4
            // writes to our reader (stdout), and its own stdout joins the log.
            .arg("-c")
            .arg(r#"exec "$0" "$@" 3<&0 4>&1 0</dev/null 1>&2"#)
            .arg(executable)
            .args(FLAGS)
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg("about:blank")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(log)
            // Its own process group, so that drop can kill its helpers too.
            .process_group(0)
            .spawn()
            .map_err(|e| format!("starting {}: {e}", executable.display()))?;
        let commands = child.stdin.take().expect("stdin is piped");
        let replies = child.stdout.take().expect("stdout is piped");
        let (sender, messages) = mpsc::channel();
        std::thread::spawn(move || {
            let mut replies = BufReader::new(replies);
            loop {
                let mut message = Vec::new();
                match replies.read_until(0, &mut message) {
                    Ok(0) | Err(_) => break, // The browser is gone.
                    Ok(_) => {
                        if message.last() == Some(&0) {
                            message.pop();
                        }
                        let Ok(value) = serde_json::from_slice(&message) else {
                            continue;
                        };
                        if sender.send(value).is_err() {
                            break;
                        }
                    }
                }
            }
        });
        let mut browser = Browser {
            child,
            commands,
            messages,
            events: VecDeque::new(),
            next_id: 1,
            _dir: dir,
        };
        if let Err(e) = browser.call(None, "Browser.getVersion", json!({})) {
            // Its log says why (dropping `browser` removes the log).
            let log = std::fs::read_to_string(&log_path).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(20).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            return Err(format!(
                "the browser does not answer: {e}; its log ends:\n{}",
                tail.join("\n")
            ));
        }
        Ok(browser)
    }

    /// Sends a command (to a page when `session` is given) and waits for its result.
    pub fn call(
        &mut self,
        session: Option<&str>,
        method: &str,
        params: Value,
    ) -> Result<Value, String> {
        let id = self.next_id;
        self.next_id += 1;
        let mut message = json!({"id": id, "method": method, "params": params});
        if let Some(session) = session {
            message["sessionId"] = json!(session);
        }
        let mut bytes = serde_json::to_vec(&message).expect("JSON serializes");
        bytes.push(0);
        self.commands
            .write_all(&bytes)
            .and_then(|()| self.commands.flush())
            .map_err(|e| format!("{method}: the browser closed its pipe: {e}"))?;
        let deadline = Instant::now() + CALL_TIMEOUT;
        loop {
            let message = self
                .receive(deadline)
                .map_err(|e| format!("{method}: {e}"))?;
            if message["id"] == json!(id) {
                if let Some(error) = message.get("error") {
                    return Err(format!("{method}: {error}"));
                }
                return Ok(message["result"].clone());
            }
            if message.get("method").is_some() {
                self.events.push_back(message);
            }
        }
    }

    /// Waits for the next event named `method` from `session`, keeping the others.
    pub fn wait_for_event(
        &mut self,
        session: &str,
        method: &str,
        timeout: Duration,
    ) -> Result<Value, String> {
        let matches = |m: &Value| m["method"] == method && m["sessionId"] == session;
        if let Some(at) = self.events.iter().position(matches) {
            return Ok(self.events.remove(at).expect("position is in range"));
        }
        let deadline = Instant::now() + timeout;
        loop {
            let message = self
                .receive(deadline)
                .map_err(|e| format!("waiting for {method}: {e}"))?;
            if matches(&message) {
                return Ok(message);
            }
            if message.get("method").is_some() {
                self.events.push_back(message);
            }
        }
    }

    /// Every event received so far (including those still in the pipe), oldest first.
    pub fn take_events(&mut self) -> Vec<Value> {
        while let Ok(message) = self.messages.try_recv() {
            if message.get("method").is_some() {
                self.events.push_back(message);
            }
        }
        self.events.drain(..).collect()
    }

    fn receive(&mut self, deadline: Instant) -> Result<Value, String> {
        let left = deadline.saturating_duration_since(Instant::now());
        self.messages.recv_timeout(left).map_err(|e| match e {
            RecvTimeoutError::Timeout => "timed out".to_owned(),
            RecvTimeoutError::Disconnected => "the browser exited".to_owned(),
        })
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Politely first: the browser then stops its helper processes and reaps them itself.
        let closed = {
            let id = self.next_id;
            let mut bytes =
                serde_json::to_vec(&json!({"id": id, "method": "Browser.close"})).expect("JSON");
            bytes.push(0);
            self.commands.write_all(&bytes).is_ok()
        };
        let deadline = Instant::now() + Duration::from_secs(5);
        while closed && Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        // Whatever is left of the group (the process group id is the browser's pid) dies now.
        // `sh` exec'd the browser, so the pid is the browser's own.
        let group = i32::try_from(self.child.id()).ok().map(Pid::from_raw);
        if let Some(group) = group {
            let _ = killpg(group, Signal::SIGKILL);
        }
        let _ = self.child.wait();
        // Reap the helpers handed to us (see `launch`): those of the group, and the crash
        // handlers, which run in sessions of their own and die with the browser. One whose
        // parent is still dying arrives a moment later, hence the short grace period.
        let deadline = Instant::now() + Duration::from_secs(2);
        loop {
            let adopted = adopted_children();
            let group_alive = group.is_some_and(|g| killpg(g, None).is_ok());
            if (adopted.is_empty() && !group_alive) || Instant::now() > deadline {
                break;
            }
            for pid in adopted {
                let _ = kill(pid, Signal::SIGKILL);
                let _ = waitpid(pid, Some(WaitPidFlag::WNOHANG));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

/// The children of this process. The browser tests start no process but the browser, and the
/// browser itself is reaped before this is called, so these are the browser's orphaned
/// helpers, adopted because this process is a subreaper.
fn adopted_children() -> Vec<Pid> {
    let me = std::process::id().to_string();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| {
            let pid: i32 = entry.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(entry.path().join("stat")).ok()?;
            // `pid (comm) state ppid …`: comm may hold spaces and parentheses, the last `)`
            // ends it.
            let after_comm = &stat[stat.rfind(')')? + 1..];
            let ppid = after_comm.split_whitespace().nth(1)?;
            (ppid == me).then(|| Pid::from_raw(pid))
        })
        .collect()
}

/// Base64 (standard alphabet, padded), as CDP sends screenshots; no crate for 20 lines.
pub fn base64_decode(text: &str) -> Result<Vec<u8>, String> {
    fn value(c: u8) -> Result<u32, String> {
        Ok(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return Err(format!("not base64: {:?}", c as char)),
        }
        .into())
    }
    let bytes: Vec<u8> = text.bytes().filter(|c| !c.is_ascii_whitespace()).collect();
    let mut out = Vec::with_capacity(bytes.len() / 4 * 3);
    for chunk in bytes.chunks(4) {
        let data: Vec<u8> = chunk.iter().copied().filter(|&c| c != b'=').collect();
        let mut n = 0u32;
        for (i, &c) in data.iter().enumerate() {
            n |= value(c)? << (18 - 6 * i);
        }
        let [_, a, b, c] = n.to_be_bytes();
        out.extend_from_slice(&[a, b, c][..data.len().saturating_sub(1)]);
    }
    Ok(out)
}

#[test]
fn decodes_base64() {
    assert_eq!(base64_decode("aGVsbG8=").unwrap(), b"hello");
    assert_eq!(base64_decode("aGVsbG8h").unwrap(), b"hello!");
    assert_eq!(base64_decode("aGk=").unwrap(), b"hi");
    assert!(base64_decode("a?==").is_err());
}
