//! The `emovox` command: argument parsing lives in `emovox::cli`, the work in the library.

fn main() -> std::process::ExitCode {
    emovox::cli::main()
}
