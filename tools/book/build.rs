//! Finds mermaid's JavaScript in the mdbook-mermaid crate's source and copies it to OUT_DIR,
//! so the book tool can embed it without a copy being committed to this repository.
//!
//! The crate ships `src/bin/assets/*.js` but does not export them. `cargo metadata` tells us
//! where cargo unpacked the exact version we link. It is not run `--offline`: in a fresh
//! CARGO_HOME, metadata also needs the workspace's dev-dependencies, which a plain build has
//! not downloaded yet.

use std::path::{Path, PathBuf};
use std::process::Command;

const ASSETS: [&str; 2] = ["mermaid.min.js", "mermaid-init.js"];

fn main() {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    let assets = mermaid_assets_dir(&manifest_dir);
    for name in ASSETS {
        let from = assets.join(name);
        std::fs::copy(&from, out_dir.join(name))
            .unwrap_or_else(|e| panic!("cannot copy {}: {e}", from.display()));
    }
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=../../Cargo.lock");
}

fn mermaid_assets_dir(manifest_dir: &Path) -> PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let target = std::env::var("TARGET").unwrap();
    let output = Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--filter-platform",
            &target,
        ])
        .arg("--manifest-path")
        .arg(manifest_dir.join("Cargo.toml"))
        .output()
        .expect("cargo metadata runs");
    assert!(
        output.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("cargo metadata prints JSON");
    let manifest = metadata["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["name"] == "mdbook-mermaid")
        .and_then(|p| p["manifest_path"].as_str())
        .expect("mdbook-mermaid is a dependency of the book tool");
    Path::new(manifest).parent().unwrap().join("src/bin/assets")
}
