//! The command line: `boxoffice` serves; `boxoffice check` verifies a
//! database file offline. Exit codes: 0 done, 1 problems found, 2 the
//! database cannot be opened (and 70 when the writer thread dies).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::{self, Config};

#[derive(Debug, Parser)]
#[command(
    name = "boxoffice",
    version,
    about = "Movie-theatre box office: REST API + Swagger UI over one embedded redb file.",
    long_about = "Movie-theatre box office: REST API + Swagger UI over one embedded redb file.\n\n\
        Without a subcommand it serves (Rocket.toml and ROCKET_* variables configure it)."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API (the default).
    Serve,
    /// Check every invariant of a database file without changing it
    /// (stop the service first). Exit 0: all hold; 1: problems, one per
    /// line; 2: the file cannot be opened.
    Check {
        /// The database file; defaults to the configured `db_path`.
        file: Option<PathBuf>,
    },
}

pub const EXIT_PROBLEMS: u8 = 1;
pub const EXIT_CANNOT_OPEN: u8 = 2;

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => rocket::execute(serve()),
        Command::Check { file } => check(file),
    }
}

async fn serve() -> ExitCode {
    let clock = crate::clock::system();
    if let Err(unusable) = clock.now() {
        eprintln!("boxoffice: cannot start: {unusable}; set the clock right and start again");
        return ExitCode::FAILURE;
    }
    let service = match crate::build(config::figment(), clock) {
        Ok(service) => service,
        Err(error) => {
            eprintln!("boxoffice: {}", crate::error_chain(&error));
            return ExitCode::FAILURE;
        }
    };
    crate::os_limits::raise_and_report();
    crate::memory::start_trimming();
    // Dropping the Rocket drops the writer's last handle: the writer finishes
    // and the database closes cleanly before the process exits.
    let outcome = service.rocket.launch().await.map(drop);
    let _ = service.writer_thread.join();
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("boxoffice: {error}");
            ExitCode::FAILURE
        }
    }
}

fn check(file: Option<PathBuf>) -> ExitCode {
    let path = match file {
        Some(path) => path,
        None => match Config::from_figment(&config::figment()) {
            Ok(config) => config.db_path,
            Err(error) => {
                eprintln!("boxoffice: {error}");
                return ExitCode::from(EXIT_CANNOT_OPEN);
            }
        },
    };
    match crate::store::check_file(&path) {
        Ok(problems) if problems.is_empty() => {
            println!("{}: every invariant holds", path.display());
            ExitCode::SUCCESS
        }
        Ok(problems) => {
            for problem in &problems {
                println!("{}: {problem}", path.display());
            }
            eprintln!(
                "boxoffice: {} problems found in {}",
                problems.len(),
                path.display()
            );
            ExitCode::from(EXIT_PROBLEMS)
        }
        Err(error) => {
            eprintln!("boxoffice: {}", crate::error_chain(&error));
            ExitCode::from(EXIT_CANNOT_OPEN)
        }
    }
}
