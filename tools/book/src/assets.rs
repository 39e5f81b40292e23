//! Files the built book needs besides mdBook's own: mermaid's JavaScript (taken from the
//! mdbook-mermaid crate at build time, see `build.rs`) and our own scripts and styles
//! (`tools/book/assets/`, embedded in the tool).
//!
//! mdBook copies `output.html.additional-js` and `additional-css` files from paths relative
//! to the book root, so the tool writes them to an ignored staging folder under `target/`
//! before each build and lists them there. Nothing generated is committed.

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
    Asset {
        name: "quiz.js",
        contents: include_bytes!("../assets/quiz.js"),
    },
];

const CSS: &[Asset] = &[Asset {
    name: "quiz.css",
    contents: include_bytes!("../assets/quiz.css"),
}];

/// The staged files, relative to the book root, in load order.
#[derive(Debug, Default)]
pub struct Staged {
    /// For `output.html.additional-js`.
    pub js: Vec<PathBuf>,
    /// For `output.html.additional-css`.
    pub css: Vec<PathBuf>,
}

/// Writes every asset under `root/STAGING_DIR` and returns their paths, relative to `root`.
pub fn stage(root: &Path) -> anyhow::Result<Staged> {
    let dir = root.join(STAGING_DIR);
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut staged = Staged::default();
    for (assets, list) in [(JS, &mut staged.js), (CSS, &mut staged.css)] {
        for asset in assets {
            write_if_changed(&dir.join(asset.name), asset.contents)?;
            list.push(Path::new(STAGING_DIR).join(asset.name));
        }
    }
    Ok(staged)
}

/// Skips identical writes so a file watcher on the book does not see its own build.
fn write_if_changed(path: &Path, contents: &[u8]) -> anyhow::Result<()> {
    if std::fs::read(path).is_ok_and(|old| old == contents) {
        return Ok(());
    }
    std::fs::write(path, contents).with_context(|| format!("writing {}", path.display()))
}
