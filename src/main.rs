//! `boxoffice`: serves, or runs one of the subcommands (`boxoffice --help`).

fn main() -> std::process::ExitCode {
    boxoffice::cli::main()
}
