//! The stock mdBook CLI builds the same book as `cargo book build`, and `mdbook serve` serves
//! it: book.toml's `[preprocessor.*]` commands run the book tool's `preprocess NAME`
//! (`tools/book/src/preprocess.rs`) and its `additional-js`/`additional-css` list the assets
//! that both builds stage under `target/`.
//!
//! Without `mdbook` on `PATH` these tests print one line and pass, unless `REQUIRE_MDBOOK=1`
//! (CI sets it, after `cargo install mdbook` at the version of mdbook-driver in Cargo.lock),
//! where a missing CLI fails them.

use book::BuildOptions;
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The `mdbook` on `PATH`, or `None` (after saying so) when there is none and it is not
/// required.
fn stock_mdbook() -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join("mdbook"))
            .find(|file| file.is_file())
    });
    if found.is_none() {
        let required = std::env::var("REQUIRE_MDBOOK").is_ok_and(|v| v == "1");
        assert!(
            !required,
            "REQUIRE_MDBOOK=1 but there is no mdbook on PATH: cargo install mdbook --locked"
        );
        // Straight to stderr: `eprintln!` is captured (and hidden) for tests that pass.
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED: no mdbook on PATH (cargo install mdbook --locked, or REQUIRE_MDBOOK=1 to fail)"
        );
    }
    found
}

/// Every file under `dir`, by its path relative to `dir` (with `/`), and its bytes.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut found = BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(folder) = todo.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                todo.push(path);
            } else {
                let name = path.strip_prefix(dir).unwrap().to_str().unwrap();
                found.insert(name.replace('\\', "/"), std::fs::read(&path).unwrap());
            }
        }
    }
    found
}

/// NORMALISATION 1, the search index's file name. mdBook names it `searchindex-HASH.js`
/// after a hash of its contents, which differ (normalisation 2), so every page and
/// `searcher-….js` that names it would differ by the hash alone. The name becomes
/// `searchindex-HASH.js` in file names and contents.
fn without_index_hash(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("searchindex-") {
        let (before, after) = rest.split_at(at + "searchindex-".len());
        out.push_str(before);
        let hash = after
            .find(".js")
            .filter(|&end| end > 0 && after[..end].chars().all(|c| c.is_ascii_hexdigit()));
        match hash {
            Some(end) => {
                out.push_str("HASH");
                rest = &after[end..];
            }
            None => rest = after,
        }
    }
    out.push_str(rest);
    out
}

/// NORMALISATION 2, the search index's inverted index. `cargo install mdbook --locked` builds
/// with mdBook's own Cargo.lock, which pins elasticlunr-rs 3.0.2; this workspace has 3.1.0,
/// which fixes tokens leaking from one field's index into the next (its CHANGELOG, #60) and
/// so writes a different `index.index`. Everything else in the file (the searchable
/// sections' URLs, their stored text, the options) is compared, as JSON values: the CLI's
/// serde_json keeps insertion order (its `preserve_order` feature), ours sorts keys.
fn search_index(js: &[u8]) -> serde_json::Value {
    let js = std::str::from_utf8(js).unwrap();
    let open = "JSON.parse('";
    let start = js.find(open).expect("JSON.parse('") + open.len();
    let end = js.rfind("')").expect("the closing ')");
    // mdbook-html escapes `\` as `\\` and `'` as `\'` (search.rs, `create_files`).
    let mut json = String::with_capacity(end - start);
    let mut chars = js[start..end].chars();
    while let Some(c) = chars.next() {
        json.push(if c == '\\' { chars.next().unwrap() } else { c });
    }
    let mut index: serde_json::Value = serde_json::from_str(&json).unwrap();
    index["index"]
        .as_object_mut()
        .expect("an elasticlunr index")
        .remove("index")
        .expect("an inverted index");
    index
}

#[test]
fn stock_mdbook_build_gives_the_same_pages_as_cargo_book_build() {
    let Some(mdbook) = stock_mdbook() else { return };
    let root = book::repo_root();
    let stock_dir = tempfile::tempdir().unwrap();
    let ours_dir = tempfile::tempdir().unwrap();
    // Runs book.toml's preprocessor commands, `cargo run … preprocess NAME`, in the root.
    let stock = Command::new(&mdbook)
        .arg("build")
        .arg("--dest-dir")
        .arg(stock_dir.path())
        .current_dir(&root)
        .output()
        .unwrap();
    assert!(
        stock.status.success(),
        "mdbook build failed:\n{}",
        String::from_utf8_lossy(&stock.stderr)
    );
    // What `cargo book build --dest DIR` runs, in this process (no cargo inside cargo test).
    let ours = book::build(
        &root,
        &BuildOptions {
            dest: Some(ours_dir.path().to_path_buf()),
            verbose: false,
        },
    )
    .unwrap_or_else(|e| panic!("cargo book build failed: {e:#}"));
    assert!(ours.warnings.is_empty(), "{:?}", ours.warnings);

    let normalised = |dir: &Path| -> BTreeMap<String, Vec<u8>> {
        files(dir)
            .into_iter()
            .map(|(name, bytes)| {
                let bytes = match std::str::from_utf8(&bytes) {
                    Ok(text) => without_index_hash(text).into_bytes(),
                    Err(_) => bytes,
                };
                (without_index_hash(&name), bytes)
            })
            .collect()
    };
    let mut stock_files = normalised(stock_dir.path());
    let mut our_files = normalised(ours_dir.path());
    // DIFFERENCE: the flashcards file. `book::build` writes it after mdBook has rendered
    // (tools/book/src/quiz/flashcards.rs); the stock CLI has no step that could (its HTML
    // renderer empties the output folder after the preprocessors run), so only our build has
    // it, and in a stock build the interview page's link to it leads nowhere.
    let flashcards = book::quiz::flashcards::FILE_NAME;
    assert!(our_files.remove(flashcards).is_some(), "no {flashcards}");
    let only_in = |these: &BTreeMap<String, Vec<u8>>, those: &BTreeMap<String, Vec<u8>>| {
        these
            .keys()
            .filter(|name| !those.contains_key(*name))
            .cloned()
            .collect::<Vec<_>>()
    };
    let (only_stock, only_ours) = (
        only_in(&stock_files, &our_files),
        only_in(&our_files, &stock_files),
    );
    assert!(
        only_stock.is_empty() && only_ours.is_empty(),
        "only in stock mdbook's build: {only_stock:?}; only in cargo book build's: {only_ours:?}"
    );
    let index = "searchindex-HASH.js";
    assert_eq!(
        search_index(&stock_files.remove(index).unwrap()),
        search_index(&our_files.remove(index).unwrap()),
        "the search indexes differ beyond their inverted index"
    );

    let pages = stock_files.keys().filter(|name| name.ends_with(".html"));
    assert!(
        pages.count() > 10,
        "too few pages: {:?}",
        stock_files.keys()
    );
    let different: Vec<&String> = stock_files
        .iter()
        .filter(|(name, bytes)| our_files[name.as_str()] != **bytes)
        .map(|(name, _)| name)
        .collect();
    assert!(
        different.is_empty(),
        "stock mdbook and cargo book build differ in {different:?}"
    );
    // The same, because both are preprocessed: not because both left the directives raw.
    let page = String::from_utf8_lossy(&stock_files["labs/spawn-cost.html"]).into_owned();
    assert!(!page.contains("{{#"), "a directive reached the page");
    assert!(page.contains("<svg"), "no chart on the page");
    assert!(page.contains("tvp-quiz"), "no quiz on the page");
}

/// `mdbook serve`, killed and reaped on drop (also when the test fails).
struct Serving(Child);

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `GET path` on 127.0.0.1:`port`: the whole response, or `None` if nothing answers yet.
fn get(port: u16, path: &str) -> Option<String> {
    let mut stream = TcpStream::connect((Ipv4Addr::LOCALHOST, port)).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut reply = String::new();
    stream.read_to_string(&mut reply).ok()?;
    Some(reply)
}

#[test]
fn stock_mdbook_serve_serves_preprocessed_pages() {
    let Some(mdbook) = stock_mdbook() else { return };
    let root = book::repo_root();
    let dest = tempfile::tempdir().unwrap();
    let log_path = dest.path().join("mdbook-serve.log");
    let log = std::fs::File::create(&log_path).unwrap();
    // A free port: the kernel picks one, we let it go and mdbook takes it. Another process
    // could take it in between; then mdbook exits and the test says so below.
    let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut serving = Serving(
        Command::new(&mdbook)
            .args(["serve", "--hostname", "127.0.0.1", "--port"])
            .arg(port.to_string())
            .arg("--dest-dir")
            .arg(dest.path().join("book"))
            .current_dir(&root)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap(),
    );
    // A liveness bound, not a timing claim: mdbook builds the book first (its preprocessors
    // may have to compile the book tool), then listens.
    let deadline = Instant::now() + Duration::from_secs(600);
    let reply = loop {
        if let Some(reply) = get(port, "/labs/spawn-cost.html") {
            break reply;
        }
        if let Some(status) = serving.0.try_wait().unwrap() {
            let log = std::fs::read_to_string(&log_path).unwrap_or_default();
            panic!("mdbook serve exited ({status}) before it served a page:\n{log}");
        }
        assert!(Instant::now() < deadline, "mdbook serve never answered");
        std::thread::sleep(Duration::from_millis(200));
    };
    let head: String = reply.chars().take(200).collect();
    assert!(reply.starts_with("HTTP/1.1 200"), "{head}");
    assert!(!reply.contains("{{#"), "a directive reached the page");
    assert!(reply.contains("<svg"), "no chart on the served page");
    assert!(reply.contains("tvp-quiz"), "no quiz on the served page");
}
