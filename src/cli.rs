//! The command line: `boxoffice` serves; `check` verifies a database file,
//! `backup` copies it (both also while the service runs on it). Exit codes:
//! 0 done, 1 problems found or input refused, 2 the database cannot be
//! opened (and 70 when the writer thread dies).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::{self, Config};

mod staff;

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
    /// Write every record of the database to standard output as JSON lines,
    /// from one snapshot (also while the service runs). Exit 0: written; 1:
    /// the output could not be written; 2: the database cannot be opened.
    Export {
        /// The database; defaults to the configured `db_path`.
        #[arg(long, value_name = "FILE")]
        database: Option<PathBuf>,
    },
    /// Fill an empty database (created if missing; the service stopped) from
    /// a dump of `boxoffice export`, or with --mongoexport from the old
    /// service's `mongoexport` files: MOVIES then TICKETS. All or nothing.
    /// Exit 0: imported (with a report); 1: the input is refused (the line
    /// says where), or the database is not empty; 2: it cannot be opened.
    Import {
        /// The dump, or with --mongoexport the movies and the tickets files.
        #[arg(required = true, num_args = 1..=2, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// Read the old Flask + `MongoDB` service's `mongoexport` output.
        #[arg(long)]
        mongoexport: bool,
        /// The database to fill; defaults to the configured `db_path`.
        #[arg(long, value_name = "FILE")]
        database: Option<PathBuf>,
    },
    /// Staff accounts and API keys, made on the machine itself.
    Staff {
        #[command(subcommand)]
        command: staff::StaffCommand,
    },
    /// The service's clock.
    Clock {
        #[command(subcommand)]
        command: ClockCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum ClockCommand {
    /// Say that this machine's wall clock is right now. After a start on a
    /// clock far ahead of the last trusted time, the purge deletes only what
    /// that time would, for 24 h; this ends it at once. A running service
    /// takes it at its next purge; a stopped one at its next start. Exit 0:
    /// said; 2: the database cannot be opened.
    Trust {
        /// The database; defaults to the configured `db_path` (or
        /// `database_url`).
        #[arg(long, value_name = "FILE")]
        database: Option<PathBuf>,
    },
}

pub const EXIT_PROBLEMS: u8 = 1;
pub const EXIT_CANNOT_OPEN: u8 = 2;

pub fn main() -> ExitCode {
    crate::panics::say_in_one_line();
    let cli = Cli::parse();
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => rocket::execute(serve()),
        Command::Check { file } => check(file),
        Command::Backup { file, database } => backup(&file, database),
        Command::Export { database } => export(database),
        Command::Import {
            files,
            mongoexport,
            database,
        } => import(&files, mongoexport, database),
        Command::Staff { command } => staff::run(command),
        Command::Clock {
            command: ClockCommand::Trust { database },
        } => trust_clock(database),
    }
}

/// The configuration, or the exit code after saying why it is wrong.
fn config_or_exit() -> Result<Config, ExitCode> {
    Config::from_figment(&config::figment()).map_err(|error| {
        eprintln!("boxoffice: {error}");
        ExitCode::from(EXIT_CANNOT_OPEN)
    })
}

fn trust_clock(database: Option<PathBuf>) -> ExitCode {
    let config = match Config::from_figment(&config::figment()) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("boxoffice: {error}");
            return ExitCode::from(EXIT_CANNOT_OPEN);
        }
    };
    let now = match crate::clock::system().now() {
        Ok(now) => now,
        Err(unusable) => {
            eprintln!("boxoffice: cannot trust the clock: {unusable}");
            return ExitCode::from(EXIT_PROBLEMS);
        }
    };
    let at = chrono::DateTime::from_timestamp_millis(now).map_or_else(
        || now.to_string(),
        |at| at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    );
    let within = format!("{} s", config.purge_interval.as_secs().max(1));
    let said = |trusted: Result<String, String>| match trusted {
        Ok(how) => {
            println!("boxoffice: the clock is trusted from {at}: {how}");
            ExitCode::SUCCESS
        }
        Err(why) => {
            eprintln!("boxoffice: cannot trust the clock: {why}");
            ExitCode::from(EXIT_CANNOT_OPEN)
        }
    };
    if let (None, Some(url)) = (&database, &config.database_url) {
        return said(
            crate::pg::PgBackend::trust_clock(url, now)
                .map(|()| {
                    format!(
                        "every running process takes it within {within}, and every later start \
                         begins from it"
                    )
                })
                .map_err(|error| crate::error_chain(&error)),
        );
    }
    let path = database.unwrap_or_else(|| config.db_path.clone());
    if !path.exists() {
        return said(Err(format!("no database at {}", path.display())));
    }
    let trusted = match crate::store::Store::open(&path, 1 << 20, config.rules()) {
        Ok(store) => store
            .store_trusted_time(now)
            .map(|()| "the next start begins from it".to_owned())
            .map_err(|error| crate::error_chain(&error)),
        // A service runs on it: it takes the request at its next purge.
        Err(crate::store::StoreError::Locked { .. }) => {
            let request = crate::store::trust_request_beside(&path);
            match crate::store::create_private_file(&request) {
                Ok(_) => Ok(()),
                Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
                Err(error) => Err(format!("cannot write {}: {error}", request.display())),
            }
            .map(|()| format!("the running service takes it within {within}"))
        }
        Err(error) => Err(crate::error_chain(&error)),
    };
    said(trusted)
}

async fn serve() -> ExitCode {
    let clock = crate::clock::system();
    if let Err(unusable) = clock.now() {
        eprintln!("boxoffice: cannot start: {unusable}; set the clock right and start again");
        return ExitCode::FAILURE;
    }
    // A damaged file can make the storage engine panic while it is opened
    // and read: that is one line naming the file, not a Rust backtrace.
    let built = crate::panics::quietly(|| crate::build(config::figment(), clock));
    let service = match built {
        Ok(Ok(service)) => service,
        Ok(Err(error)) => {
            eprintln!("boxoffice: {}", crate::error_chain(&error));
            return ExitCode::FAILURE;
        }
        Err(panic) => {
            let database = Config::from_figment(&config::figment()).map_or_else(
                |_| "the database".to_owned(),
                |config| match config.database_url {
                    Some(_) => "the PostgreSQL database".to_owned(),
                    None => format!("database {}", config.db_path.display()),
                },
            );
            eprintln!(
                "boxoffice: cannot start: {database} cannot be read, it is damaged ({panic}); \
                 `boxoffice check` lists what it finds; restore it from a backup"
            );
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
        None => config_and_path(None).map(|(_, path)| path),
    }
}

/// The configuration, and the database a subcommand works on: the one named,
/// else the configured one. With none named, refuses when `database_url` is
/// set, as the data is then in PostgreSQL and there is no redb file.
fn config_and_path(named: Option<PathBuf>) -> Result<(Config, PathBuf), ExitCode> {
    let config = match Config::from_figment(&config::figment()) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("boxoffice: {error}");
            return Err(ExitCode::from(EXIT_CANNOT_OPEN));
        }
    };
    match named {
        Some(path) => Ok((config, path)),
        None if config.database_url.is_some() => {
            // The file commands have nothing to read: the data is in PostgreSQL.
            eprintln!(
                "boxoffice: database_url is set: the data is in PostgreSQL, not a redb file; \
                 back it up with pg_dump, and check it with SQL (see docs/operations.md, PostgreSQL)"
            );
            Err(ExitCode::from(EXIT_CANNOT_OPEN))
        }
        None => {
            let path = config.db_path.clone();
            Ok((config, path))
        }
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

fn export(database: Option<PathBuf>) -> ExitCode {
    let path = match database_path(database) {
        Ok(path) => path,
        Err(code) => return code,
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(256 << 10, stdout.lock());
    match crate::store::export(&path, &mut out) {
        Ok(exported) => {
            eprintln!(
                "boxoffice: exported {} lines from {}",
                exported.lines,
                path.display()
            );
            ExitCode::SUCCESS
        }
        Err(error @ crate::store::StoreError::Copy { .. }) => {
            eprintln!("boxoffice: export failed: {}", crate::error_chain(&error));
            ExitCode::from(EXIT_PROBLEMS)
        }
        Err(error) => {
            eprintln!("boxoffice: export failed: {}", crate::error_chain(&error));
            ExitCode::from(EXIT_CANNOT_OPEN)
        }
    }
}

fn import(files: &[PathBuf], mongoexport: bool, database: Option<PathBuf>) -> ExitCode {
    let (config, path) = match config_and_path(database) {
        Ok(found) => found,
        Err(code) => return code,
    };
    let refuse = |why: String| {
        eprintln!("boxoffice: import refused: {why}; nothing was imported");
        ExitCode::from(EXIT_PROBLEMS)
    };
    let (records, report) = match (mongoexport, files) {
        (false, [dump]) => {
            let opened = std::fs::File::open(dump);
            let read = opened
                .map_err(|error| format!("{}: {error}", dump.display()))
                .and_then(|file| {
                    crate::store::read_dump(std::io::BufReader::new(file))
                        .map_err(|bad| format!("{}: {bad}", dump.display()))
                });
            match read {
                Ok(records) => (records, None),
                Err(why) => return refuse(why),
            }
        }
        (true, [movies, tickets]) => {
            let now = crate::clock::system().now_or_last();
            match crate::mongoexport::read(movies, tickets, &config, now) {
                Ok((records, report)) => (records, Some(report)),
                Err(bad) => return refuse(bad.to_string()),
            }
        }
        (false, _) => return refuse("import takes one dump file".into()),
        (true, _) => return refuse("--mongoexport takes two files: movies, then tickets".into()),
    };
    match crate::store::import(&path, config.cache_size, config.rules(), &records) {
        Ok(()) => {
            if let Some(report) = &report {
                for line in &report.lines {
                    println!("{line}");
                }
            }
            println!(
                "boxoffice: imported {} records into {}",
                records.count(),
                path.display()
            );
            ExitCode::SUCCESS
        }
        Err(crate::store::ImportError::CannotOpen(error)) => {
            eprintln!("boxoffice: import failed: {}", crate::error_chain(&error));
            ExitCode::from(EXIT_CANNOT_OPEN)
        }
        Err(crate::store::ImportError::Problems(problems)) => {
            for problem in &problems {
                println!("{}: {problem}", path.display());
            }
            refuse(format!("the records break {} invariants", problems.len()))
        }
        Err(error) => refuse(crate::error_chain(&error)),
    }
}
