//! The command line: `boxoffice` serves; `check` verifies a database file,
//! `backup` copies it (both also while the service runs on it). Exit codes:
//! 0 done, 1 problems found or input refused, 2 the database cannot be
//! opened (and 70 when the writer thread dies).

use std::path::{Path, PathBuf};
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
    /// Check every invariant of a database file without changing it (also
    /// while the service runs on it). Exit 0: all hold; 1: problems, one per
    /// line; 2: the file cannot be opened.
    Check {
        /// The database file; defaults to the configured `db_path`.
        file: Option<PathBuf>,
    },
    /// Copy the database, as one consistent snapshot, into FILE (replaced
    /// whole), also while the service runs and sells. Exit 0: copied; 1: the
    /// copy could not be written; 2: the database cannot be opened.
    Backup {
        /// Where the copy goes; the service can start on it as it is.
        file: PathBuf,
        /// The database to copy; defaults to the configured `db_path`.
        #[arg(long, value_name = "FILE")]
        database: Option<PathBuf>,
    },
}

pub const EXIT_PROBLEMS: u8 = 1;
pub const EXIT_CANNOT_OPEN: u8 = 2;

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => rocket::execute(serve()),
        Command::Check { file } => check(file),
        Command::Backup { file, database } => backup(&file, database),
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
    service
        .log
        .info("boxoffice: stopped; the database is closed");
    service.log.flush();
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("boxoffice: {error}");
            ExitCode::FAILURE
        }
    }
}

/// The database a subcommand works on: the one named, else the configured one.
fn database_path(named: Option<PathBuf>) -> Result<PathBuf, ExitCode> {
    match named {
        Some(path) => Ok(path),
        None => match Config::from_figment(&config::figment()) {
            Ok(config) if config.database_url.is_some() => {
                // The file commands have nothing to read: the data is in PostgreSQL.
                eprintln!(
                    "boxoffice: database_url is set: the data is in PostgreSQL, not a redb file; \
                     back it up with pg_dump, and check it with SQL (see the README, PostgreSQL)"
                );
                Err(ExitCode::from(EXIT_CANNOT_OPEN))
            }
            Ok(config) => Ok(config.db_path),
            Err(error) => {
                eprintln!("boxoffice: {error}");
                Err(ExitCode::from(EXIT_CANNOT_OPEN))
            }
        },
    }
}

fn check(file: Option<PathBuf>) -> ExitCode {
    let path = match database_path(file) {
        Ok(path) => path,
        Err(code) => return code,
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

fn backup(to: &Path, database: Option<PathBuf>) -> ExitCode {
    let from = match database_path(database) {
        Ok(path) => path,
        Err(code) => return code,
    };
    match crate::store::back_up(&from, to) {
        Ok(report) => {
            println!(
                "boxoffice: backed up {} to {}: {} entries in {} tables, {} bytes, in {:.3} s",
                from.display(),
                to.display(),
                report.entries,
                report.tables,
                report.bytes,
                report.took.as_secs_f64()
            );
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("boxoffice: backup failed: {}", crate::error_chain(&error));
            ExitCode::from(match error {
                crate::store::BackupError::Source(_) => EXIT_CANNOT_OPEN,
                crate::store::BackupError::Copy(_) => EXIT_PROBLEMS,
            })
        }
    }
}
