//! Files the built book needs besides mdBook's own: mermaid's JavaScript (taken from the
//! mdbook-mermaid crate at build time, see `build.rs`) and our own scripts and styles.
//!
//! mdBook copies `output.html.additional-js` files from paths relative to the book root, so
//! the tool writes them to an ignored staging folder under `target/` before each build and
//! lists them there. Nothing generated is committed.

use anyhow::Context;
use std::path::{Path, PathBuf};

/// Where assets are staged, relative to the book root (ignored by git, like all of `target/`).
pub const STAGING_DIR: &str = "target/book-assets";

struct Asset {
    name: &'static str,
    contents: &'static [u8],
}

const JS: &[Asset] = &[
    Asset {
        name: "mermaid.min.js",
        contents: include_bytes!(concat!(env!("OUT_DIR"), "/mermaid.min.js")),
    },
    Asset {
        name: "mermaid-init.js",
        contents: include_bytes!(concat!(env!("OUT_DIR"), "/mermaid-init.js")),
    },
];

/// Writes every asset under `root/STAGING_DIR` and returns the JavaScript paths, relative to
/// `root`, in load order, for `output.html.additional-js`.
pub fn stage(root: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let dir = root.join(STAGING_DIR);
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut js = Vec::new();
    for asset in JS {
        let path = dir.join(asset.name);
        write_if_changed(&path, asset.contents)?;
        js.push(Path::new(STAGING_DIR).join(asset.name));
    }
    Ok(js)
}

/// Skips identical writes so a file watcher on the book does not see its own build.
fn write_if_changed(path: &Path, contents: &[u8]) -> anyhow::Result<()> {
    if std::fs::read(path).is_ok_and(|old| old == contents) {
        return Ok(());
    }
    std::fs::write(path, contents).with_context(|| format!("writing {}", path.display()))
}
