//! Links and `#anchors` between pages resolve, checked over the HTML the build wrote rather
//! than the Markdown: that is what a reader clicks. mdBook rewrites `.md` links to `.html`
//! and generates the heading ids, so only the output shows whether `thread.md#send-and-sync`
//! really lands on a heading.
//!
//! A scan of `href` and `id` attributes is enough for HTML mdBook generated; a crate such as
//! mdbook-linkcheck2 would double the tool's compile time (see ARCHITECTURE.md). External links
//! (`http:`, `https:`, `mailto:` …) are not fetched: tests run offline, and a slow foreign
//! site is not a broken book.

use crate::source::Problem;
use regex::Regex;
use std::collections::{BTreeSet, HashMap};
use std::path::{Component, Path, PathBuf};
use std::sync::LazyLock;

/// Pages skipped: `print.html` repeats every chapter (a broken link would be reported twice,
/// the second time against a page no author edits).
const SKIPPED: [&str; 1] = ["print.html"];

static SCRIPT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?is)<script\b[^>]*>.*?</script>").expect("valid regex"));
static HREF: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"(?i)\shref\s*=\s*"([^"]*)""#).expect("valid regex"));
static ID: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"(?i)\s(?:id|name)\s*=\s*"([^"]*)""#).expect("valid regex"));
static BASE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"(?i)<base\s+href\s*=\s*"([^"]*)""#).expect("valid regex"));

/// Every local link of every built page under `html_dir` names a file that exists and, if it
/// has a `#fragment`, an element with that id. Problems name the chapter's Markdown source
/// (`src/…/page.md`, at the line that holds the link when it can be found there), or the HTML
/// file for pages mdBook made on its own.
pub fn check(root: &Path, html_dir: &Path) -> Vec<Problem> {
    let mut pages = Vec::new();
    collect_html(html_dir, html_dir, &mut pages);
    pages.sort();
    let mut site = Site {
        html_dir: html_dir.to_path_buf(),
        ids: HashMap::new(),
    };
    let mut problems = Vec::new();
    let mut seen = BTreeSet::new();
    for page in pages {
        if SKIPPED.contains(&page.to_string_lossy().as_ref()) {
            continue;
        }
        let Ok(html) = std::fs::read_to_string(html_dir.join(&page)) else {
            continue;
        };
        for (href, message) in broken_links(&mut site, &page, &html) {
            let problem = locate(root, html_dir, &page, &href, message);
            // The root index.html is mdBook's copy of the first chapter: one report will do.
            if seen.insert(problem.to_string()) {
                problems.push(problem);
            }
        }
    }
    problems
}

/// The built pages, and the ids of those read so far.
struct Site {
    html_dir: PathBuf,
    ids: HashMap<PathBuf, BTreeSet<String>>,
}

impl Site {
    /// The ids (and `name`s) defined in a built page, `None` if it cannot be read.
    fn ids(&mut self, page: &Path) -> Option<&BTreeSet<String>> {
        if !self.ids.contains_key(page) {
            let html = std::fs::read_to_string(self.html_dir.join(page)).ok()?;
            self.ids.insert(page.to_path_buf(), ids_in(&html));
        }
        self.ids.get(page)
    }
}

fn ids_in(html: &str) -> BTreeSet<String> {
    let html = SCRIPT.replace_all(html, "");
    ID.captures_iter(&html)
        .map(|c| unescape_html(&c[1]))
        .collect()
}

/// Each broken link of `page` (relative to the site root): the `href` as written, and why.
fn broken_links(site: &mut Site, page: &Path, html: &str) -> Vec<(String, String)> {
    // Scripts may hold strings that look like attributes; only markup is a link.
    let markup = SCRIPT.replace_all(html, "");
    let base = BASE.captures(&markup).map(|c| unescape_html(&c[1]));
    let mut broken = Vec::new();
    for capture in HREF.captures_iter(&markup) {
        let href = unescape_html(&capture[1]);
        if is_external(&href) {
            continue;
        }
        let (path_part, fragment) = match href.split_once('#') {
            Some((path, fragment)) => (path, Some(fragment)),
            None => (href.as_str(), None),
        };
        let path_part = path_part.split('?').next().unwrap_or("");
        let target = if path_part.is_empty() {
            Some(page.to_path_buf())
        } else {
            resolve(page, base.as_deref(), path_part)
        };
        let Some(mut target) = target else {
            broken.push((href.clone(), format!("`{href}` leaves the book")));
            continue;
        };
        let full = site.html_dir.join(&target);
        if full.is_dir() || path_part.ends_with('/') {
            target.push("index.html");
        } else if !full.is_file() {
            let shown = target.display();
            broken.push((href.clone(), format!("`{href}`: {shown} does not exist")));
            continue;
        }
        // `drill.html#seed=1&quiz=x` passes parameters to a page's script, not an element id
        // (mdBook's heading ids never hold `=`).
        let Some(fragment) = fragment
            .map(percent_decode)
            .filter(|f| !f.is_empty() && !f.contains('='))
        else {
            continue;
        };
        if target.extension().is_none_or(|e| e != "html") {
            continue;
        }
        match site.ids(&target) {
            Some(ids) if ids.contains(&fragment) => {}
            Some(_) => broken.push((
                href.clone(),
                format!(
                    "`{href}`: {} has no element with id `{fragment}`",
                    target.display()
                ),
            )),
            None => broken.push((href.clone(), format!("`{href}`: cannot read the target"))),
        }
    }
    broken
}

/// Links that leave the site: not checked.
fn is_external(href: &str) -> bool {
    let scheme = href.split_once(':').map(|(s, _)| s).filter(|s| {
        s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    });
    scheme.is_some() || href.starts_with("//")
}

/// The site-relative path a link of `page` points to; `None` if it climbs out of the site.
fn resolve(page: &Path, base: Option<&str>, href: &str) -> Option<PathBuf> {
    let href = percent_decode(href);
    let start = if href.starts_with('/') {
        PathBuf::new()
    } else {
        match base {
            // 404.html has `<base href="/">` so that it works at any depth.
            Some(base) if base.starts_with('/') => PathBuf::from(base.trim_start_matches('/')),
            _ => page.parent().unwrap_or(Path::new("")).to_path_buf(),
        }
    };
    let mut out = PathBuf::new();
    for component in start.join(href.trim_start_matches('/')).components() {
        match component {
            Component::Normal(part) => out.push(part),
            Component::ParentDir => {
                if !out.pop() {
                    return None;
                }
            }
            Component::CurDir => {}
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(out)
}

/// The chapter a built page came from: `a/b.html` from `src/a/b.md`; `a/index.html` from
/// `src/a/README.md` (mdBook renames README to index); the root `index.html`, when no chapter
/// is the index, from the first chapter of SUMMARY.md, which mdBook copies there.
fn markdown_source(root: &Path, page: &Path) -> Option<PathBuf> {
    let src = Path::new("src");
    let mut candidates = vec![src.join(page).with_extension("md")];
    if page.file_stem().is_some_and(|s| s == "index") {
        candidates.push(src.join(page).with_file_name("README.md"));
    }
    if page == Path::new("index.html") {
        let entries = super::summary::entries(root).unwrap_or_default();
        candidates.extend(entries.iter().find_map(super::summary::Entry::chapter));
    }
    candidates.into_iter().find(|c| root.join(c).is_file())
}

fn read(root: &Path, relative: &Path) -> Option<String> {
    std::fs::read_to_string(root.join(relative)).ok()
}

/// A problem located in the page's Markdown source when there is one, else the HTML file.
fn locate(root: &Path, html_dir: &Path, page: &Path, href: &str, message: String) -> Problem {
    let source = markdown_source(root, page);
    let Some((source, text)) = source.and_then(|s| Some((s.clone(), read(root, &s)?))) else {
        let html = html_dir.join(page);
        let file = html
            .strip_prefix(root)
            .map(Path::to_path_buf)
            .unwrap_or(html);
        return Problem {
            file,
            line: 1,
            message,
        };
    };
    // The Markdown links `x.md#frag` where the HTML has `x.html#frag`: look for the fragment,
    // else for the file name without its extension.
    let (path, fragment) = href.split_once('#').unwrap_or((href, ""));
    let needle = if fragment.is_empty() {
        Path::new(path)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default()
    } else {
        format!("#{fragment}")
    };
    let line = text
        .lines()
        .position(|l| !needle.is_empty() && l.contains(&needle))
        .map_or(1, |i| i + 1);
    Problem {
        file: source,
        line,
        message,
    }
}

fn collect_html(dir: &Path, html_dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_html(&path, html_dir, out);
        } else if path.extension().is_some_and(|e| e == "html")
            && let Ok(relative) = path.strip_prefix(html_dir)
        {
            out.push(relative.to_path_buf());
        }
    }
}

/// The few entities mdBook writes in attribute values.
fn unescape_html(value: &str) -> String {
    value
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// `%C2%B5s` → `µs`; invalid escapes are kept as written.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_relative_rooted_and_based_links() {
        let page = Path::new("concepts/thread.html");
        assert_eq!(
            resolve(page, None, "../labs/race.html"),
            Some(PathBuf::from("labs/race.html"))
        );
        assert_eq!(
            resolve(page, None, "clone.html"),
            Some(PathBuf::from("concepts/clone.html"))
        );
        assert_eq!(
            resolve(page, Some("/"), "labs/race.html"),
            Some(PathBuf::from("labs/race.html"))
        );
        assert_eq!(resolve(page, None, "../../etc/passwd"), None);
    }

    #[test]
    fn tells_external_links_from_local_ones() {
        for external in ["https://x.org/", "http://a", "mailto:a@b", "//cdn.x/y.js"] {
            assert!(is_external(external), "{external}");
        }
        for local in ["thread.html", "../a/b.html#c", "#top", "/index.html"] {
            assert!(!is_external(local), "{local}");
        }
    }

    #[test]
    fn decodes_fragments_and_attribute_values() {
        assert_eq!(percent_decode("%C2%B5s-and-100%"), "µs-and-100%");
        assert_eq!(unescape_html("a&amp;b&quot;"), "a&b\"");
        let ids = ids_in(r#"<h2 id="x">X</h2><a name="y"></a><script>var s = ' id="z"';</script>"#);
        assert_eq!(ids.into_iter().collect::<Vec<_>>(), ["x", "y"]);
    }
}
