//! The program of exercise 5: everything is in src/lib.rs.

fn main() -> std::process::ExitCode {
    reexec_guard::main()
}
