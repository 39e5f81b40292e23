//! The labs as found on disk: every folder under `labs/` with a `Cargo.toml` is a lab (the kit
//! lives in `crates/`, the exercises in `exercises/`). The meta-check and `cargo book measure`
//! both start from [`discover`]. `measure` also runs the baselines crate ([`baselines`]),
//! which is shaped like a lab but is not one: it has no page of its own, so the meta-check
//! never sees it.

use anyhow::Context;
use std::path::{Path, PathBuf};

/// A lab crate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lab {
    /// The folder name, as in `labs/<folder>/`.
    pub folder: String,
    /// The package name, which is also the lab's id prefix, its binary's name and what
    /// `cargo lab <name>` takes.
    pub name: String,
    /// The crate's folder (under `root`).
    pub dir: PathBuf,
    /// It has a binary (`src/main.rs` or a `[[bin]]`).
    pub has_bin: bool,
    /// It has criterion benches (`benches/*.rs` or a `[[bench]]`).
    pub has_benches: bool,
    /// It has integration tests (`tests/*.rs`).
    pub has_tests: bool,
}

/// Every lab under `root/labs`, sorted by name; none when there is no `labs/`. A manifest
/// that cannot be read or parsed is an error naming it.
pub fn discover(root: &Path) -> anyhow::Result<Vec<Lab>> {
    let Ok(entries) = std::fs::read_dir(root.join("labs")) else {
        return Ok(Vec::new());
    };
    let mut labs = Vec::new();
    for entry in entries.flatten() {
        let dir = entry.path();
        let manifest_path = dir.join("Cargo.toml");
        if !manifest_path.is_file() {
            continue;
        }
        let folder = entry.file_name().to_string_lossy().into_owned();
        labs.push(read_crate(dir, folder)?);
    }
    labs.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(labs)
}

/// The folder of the baselines crate, under `root`.
pub const BASELINES_DIR: &str = "baselines";

/// The baselines crate (`baselines/`, package `baseline`): independent measurements of the
/// primitives (a small C program, `perf bench sched pipe`) that `cargo book measure` runs
/// like a lab and writes to `results/…/baseline.json`, so the book can show them beside the
/// labs'. `None` when the checkout has no `baselines/Cargo.toml`.
pub fn baselines(root: &Path) -> anyhow::Result<Option<Lab>> {
    let dir = root.join(BASELINES_DIR);
    if !dir.join("Cargo.toml").is_file() {
        return Ok(None);
    }
    read_crate(dir, BASELINES_DIR.to_owned()).map(Some)
}

/// The crate in `dir` (which has a `Cargo.toml`): its package name (the folder's if the
/// manifest names none) and what targets it has.
fn read_crate(dir: PathBuf, folder: String) -> anyhow::Result<Lab> {
    let manifest_path = dir.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest_path)
        .with_context(|| format!("reading {}", manifest_path.display()))?;
    let manifest: toml::Table =
        toml::from_str(&text).with_context(|| format!("parsing {}", manifest_path.display()))?;
    let name = manifest
        .get("package")
        .and_then(|p| p.get("name"))
        .and_then(|n| n.as_str())
        .unwrap_or(&folder)
        .to_owned();
    Ok(Lab {
        has_bin: dir.join("src/main.rs").is_file() || manifest.contains_key("bin"),
        has_benches: has_rust_files(&dir.join("benches")) || manifest.contains_key("bench"),
        has_tests: has_rust_files(&dir.join("tests")),
        folder,
        name,
        dir,
    })
}

/// Whether `dir` holds a `.rs` file.
fn has_rust_files(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|entries| {
        entries
            .flatten()
            .any(|e| e.path().extension().is_some_and(|x| x == "rs"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discovers_lab_crates_only() {
        let root = tempfile::tempdir().expect("temp dir");
        let lab = |dir: &str, files: &[&str]| {
            let dir = root.path().join("labs").join(dir);
            for file in files {
                let path = dir.join(file);
                std::fs::create_dir_all(path.parent().expect("has a parent")).expect("mkdir");
                std::fs::write(path, "").expect("write");
            }
            dir
        };
        let with_name = |dir: &Path, name: &str| {
            let manifest = format!("[package]\nname = \"{name}\"\n");
            std::fs::write(dir.join("Cargo.toml"), manifest).expect("write");
        };
        with_name(&lab("b-lab", &["src/main.rs", "benches/b.rs"]), "b-lab");
        with_name(
            &lab("a-lab", &["src/lib.rs", "src/main.rs", "tests/a.rs"]),
            "a-lab",
        );
        lab("not-a-crate", &["notes.md"]);
        let found = discover(root.path()).expect("discovers");
        let summary: Vec<(&str, bool, bool, bool)> = found
            .iter()
            .map(|l| (l.name.as_str(), l.has_bin, l.has_benches, l.has_tests))
            .collect();
        assert_eq!(
            summary,
            [("a-lab", true, false, true), ("b-lab", true, true, false)]
        );
    }

    #[test]
    fn the_baselines_crate_is_found_apart_from_the_labs() {
        let root = tempfile::tempdir().expect("temp dir");
        assert_eq!(baselines(root.path()).expect("reads"), None);
        let dir = root.path().join(BASELINES_DIR);
        std::fs::create_dir_all(dir.join("src")).expect("mkdir");
        std::fs::write(dir.join("src/main.rs"), "").expect("write");
        std::fs::write(dir.join("Cargo.toml"), "[package]\nname = \"baseline\"\n").expect("write");
        let found = baselines(root.path()).expect("reads").expect("found");
        assert_eq!((found.name.as_str(), found.has_bin), ("baseline", true));
        assert_eq!(discover(root.path()).expect("discovers"), [], "not a lab");
    }

    #[test]
    fn no_labs_folder_is_no_labs() {
        let root = tempfile::tempdir().expect("temp dir");
        assert_eq!(discover(root.path()).expect("discovers"), []);
    }
}
