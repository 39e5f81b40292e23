//! Files the built book needs besides mdBook's own: mermaid's JavaScript (taken from the
//! mdbook-mermaid crate at build time, see `build.rs`) and our own scripts and styles
//! (`tools/book/assets/`, embedded in the tool).
//!
//! mdBook copies `output.html.additional-js` and `additional-css` files from paths relative
//! to the book root, so the tool writes them to an ignored staging folder under `target/`.
//! Nothing generated is committed. `book.toml` lists the staged paths, because the stock
//! `mdbook` reads those lists only from there; both builds stage first: `cargo book` when it
//! loads the book ([`crate::build::load`]), the stock CLI through the preprocessors it runs
//! before its HTML renderer copies the files ([`crate::preprocess`]).

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
///
/// A changed file is written beside its place and renamed over it, so a build that copies it
/// at that moment (another test's, or the stock `mdbook` while `cargo book` stages) reads the
/// old file or the new one, never half of one: rename(2) replaces the target atomically.
fn write_if_changed(path: &Path, contents: &[u8]) -> anyhow::Result<()> {
    if std::fs::read(path).is_ok_and(|old| old == contents) {
        return Ok(());
    }
    let dir = path.parent().expect("an asset has a folder");
    let write = || -> std::io::Result<()> {
        let mut file = tempfile::NamedTempFile::new_in(dir)?;
        std::io::Write::write_all(&mut file, contents)?;
        file.persist(path)?;
        Ok(())
    };
    write().with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The stock `mdbook` ships only what book.toml lists: every staged file, in load order.
    #[test]
    fn book_toml_lists_every_staged_asset_in_order() {
        let text = std::fs::read_to_string(crate::repo_root().join("book.toml")).unwrap();
        let config: toml::Table = text.parse().expect("book.toml parses");
        let listed = |key: &str| -> Vec<PathBuf> {
            config["output"]["html"]
                .get(key)
                .and_then(|list| list.as_array())
                .map(|list| {
                    list.iter()
                        .map(|path| PathBuf::from(path.as_str().expect("a path")))
                        .collect()
                })
                .unwrap_or_default()
        };
        let dir = tempfile::tempdir().unwrap();
        let staged = stage(dir.path()).unwrap();
        assert_eq!(
            listed("additional-js"),
            staged.js,
            "[output.html] additional-js"
        );
        assert_eq!(
            listed("additional-css"),
            staged.css,
            "[output.html] additional-css"
        );
        for file in staged.js.iter().chain(&staged.css) {
            assert!(
                dir.path().join(file).is_file(),
                "{} not staged",
                file.display()
            );
        }
    }
}
