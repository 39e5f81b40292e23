//! Compiles `primitives.c` into a static library the crate links (the `cc` crate finds the
//! C compiler that Rust's linker already needs on Linux). `-O2`, as a C benchmark would be
//! built, whatever cargo's profile.

fn main() {
    println!("cargo::rerun-if-changed=primitives.c");
    cc::Build::new()
        .file("primitives.c")
        .opt_level(2)
        .warnings(true)
        .extra_warnings(true)
        .warnings_into_errors(true)
        .compile("primitives");
}
