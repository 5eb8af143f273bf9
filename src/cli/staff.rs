//! `boxoffice staff add LOGIN --role ROLE` and `boxoffice staff key add NAME
//! --role ROLE`: the first accounts and keys, made on the machine itself.
//! On redb the service must be stopped (the file is opened for writing); on
//! PostgreSQL it may run. The password comes from the terminal without echo,
//! or from standard input when that is not a terminal; a key is printed
//! once, on standard output.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Subcommand;

use super::{config_or_exit, EXIT_CANNOT_OPEN, EXIT_PROBLEMS};
use crate::config::Config;
use crate::domain::staff::{
    digest, password_fits, Actor, Login, Role, KEY_PREFIX, MAX_PASSWORD_CHARS,
};
use crate::pg::{PgBackend, PgSettings};
use crate::store::{RedbBookings, Store, StoreError, WriterSettings};
use crate::usecases::staff::{hash_now, NewAccount, NewKey};
use crate::usecases::{Backend, Error, Written};

#[derive(Debug, Subcommand)]
pub enum StaffCommand {
    /// Add a staff account; its password is read from the terminal (twice,
    /// without echo) or from standard input (one line). Exit 0: added; 1:
    /// refused (the login is taken, a bad password); 2: the database cannot
    /// be opened (on redb: stop the service first, or use POST /v1/staff).
    Add {
        /// 1 to 64 of a-z, 0-9, '.', '_' and '-'.
        login: String,
        /// kiosk, door, cashier, manager or admin.
        #[arg(long)]
        role: String,
        /// The name the pages show; the login when not given.
        #[arg(long)]
        name: Option<String>,
        /// The database; defaults to the configured `db_path` (or `database_url`).
        #[arg(long, value_name = "FILE")]
        database: Option<PathBuf>,
    },
    /// API keys for devices and programs.
    Key {
        #[command(subcommand)]
        command: KeyCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Make an API key and print it (once: only its digest is kept).
    Add {
        /// What it is for: `kiosk-lobby`, `scanner-1`, `webshop`.
        name: String,
        /// kiosk, door, cashier, manager or admin.
        #[arg(long)]
        role: String,
        /// The database; defaults to the configured `db_path` (or `database_url`).
        #[arg(long, value_name = "FILE")]
        database: Option<PathBuf>,
    },
}

pub fn run(command: StaffCommand) -> ExitCode {
    let config = match config_or_exit() {
        Ok(config) => config,
        Err(code) => return code,
    };
    match command {
        StaffCommand::Add {
            login,
            role,
            name,
            database,
        } => add_account(&config, &login, &role, name, database),
        StaffCommand::Key {
            command:
                KeyCommand::Add {
                    name,
                    role,
                    database,
                },
        } => add_key(&config, &name, &role, database),
    }
}

fn refuse(why: &str) -> ExitCode {
    eprintln!("boxoffice: {why}");
    ExitCode::from(EXIT_PROBLEMS)
}

fn parse_role(role: &str) -> Result<Role, ExitCode> {
    Role::parse(role).ok_or_else(|| {
        refuse(&format!(
            "{role:?} is not a role: kiosk, door, cashier, manager or admin"
        ))
    })
}

fn add_account(
    config: &Config,
    login: &str,
    role: &str,
    name: Option<String>,
    database: Option<PathBuf>,
) -> ExitCode {
    let Some(login) = Login::parse(login) else {
        return refuse(&format!(
            "{login:?} is not a login: 1 to 64 of a-z, 0-9, '.', '_' and '-'"
        ));
    };
    let role = match parse_role(role) {
        Ok(role) => role,
        Err(code) => return code,
    };
    let display_name = name.unwrap_or_else(|| login.as_str().to_owned());
    if display_name.trim().is_empty() || display_name.chars().count() > 100 {
        return refuse("the name must be 1 to 100 characters");
    }
    let password = match read_password() {
        Ok(password) => password,
        Err(why) => return refuse(&why),
    };
    let password_hash = match hash_now(&password) {
        Ok(hash) => hash,
        Err(error) => return refuse(&crate::error_chain(&error)),
    };
    let account = NewAccount {
        login: login.clone(),
        display_name,
        role,
        password_hash,
    };
    on_backend(config, database, move |backend| {
        Box::pin(async move {
            backend
                .create_account(account, &Actor::operator(), None)
                .await
                .and_then(Written::fresh)
                .map(|_| ())
        })
    })
    .map_or_else(
        |code| code,
        |()| {
            eprintln!("boxoffice: added {login} ({role}); it can sign in now");
            ExitCode::SUCCESS
        },
    )
}

fn add_key(config: &Config, name: &str, role: &str, database: Option<PathBuf>) -> ExitCode {
    let name = name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return refuse("the key's name must be 1 to 100 characters");
    }
    let role = match parse_role(role) {
        Ok(role) => role,
        Err(code) => return code,
    };
    let mut bytes = [0u8; 32];
    if getrandom::fill(&mut bytes).is_err() {
        return refuse("the system's random generator cannot be read");
    }
    let secret: String = std::iter::once(KEY_PREFIX.to_owned())
        .chain(bytes.iter().map(|byte| format!("{byte:02x}")))
        .collect();
    let key = NewKey {
        name: name.clone(),
        role,
        digest: digest(&secret),
    };
    let made = on_backend(config, database, move |backend| {
        Box::pin(async move {
            backend
                .create_key(key, &Actor::operator(), None)
                .await
                .and_then(Written::fresh)
                .map(|_| ())
        })
    });
    match made {
        Ok(()) => {
            eprintln!(
                "boxoffice: made key {name:?} ({role}); it is shown once, here, and only its digest is kept:"
            );
            println!("{secret}");
            ExitCode::SUCCESS
        }
        Err(code) => code,
    }
}

/// The password: from the terminal (without echo, typed twice), else one
/// line of standard input.
fn read_password() -> Result<String, String> {
    let stdin = std::io::stdin();
    let password = if stdin.is_terminal() {
        let first = prompt_hidden("Password: ")?;
        let second = prompt_hidden("Again: ")?;
        if first != second {
            return Err("the two passwords differ".into());
        }
        first
    } else {
        let mut line = String::new();
        stdin
            .lock()
            .read_line(&mut line)
            .map_err(|error| format!("cannot read the password: {error}"))?;
        line.trim_end_matches(['\n', '\r']).to_owned()
    };
    if !password_fits(&password) {
        return Err(format!(
            "the password must have at least 8 characters (and at most {MAX_PASSWORD_CHARS})"
        ));
    }
    Ok(password)
}

/// Reads one line from the terminal with its echo off, put back after.
#[cfg(unix)]
fn prompt_hidden(prompt: &str) -> Result<String, String> {
    use rustix::termios::{tcgetattr, tcsetattr, LocalModes, OptionalActions};
    let stdin = std::io::stdin();
    let mut stderr = std::io::stderr();
    let _ = write!(stderr, "{prompt}");
    let _ = stderr.flush();
    let before = tcgetattr(&stdin).map_err(|error| format!("cannot read the terminal: {error}"))?;
    let mut quiet = before.clone();
    quiet.local_modes.remove(LocalModes::ECHO);
    tcsetattr(&stdin, OptionalActions::Now, &quiet)
        .map_err(|error| format!("cannot turn the terminal's echo off: {error}"))?;
    let mut line = String::new();
    let read = stdin.lock().read_line(&mut line);
    let _ = tcsetattr(&stdin, OptionalActions::Now, &before);
    let _ = writeln!(stderr);
    read.map_err(|error| format!("cannot read the password: {error}"))?;
    Ok(line.trim_end_matches(['\n', '\r']).to_owned())
}

#[cfg(not(unix))]
fn prompt_hidden(_prompt: &str) -> Result<String, String> {
    Err("cannot turn the terminal's echo off here: pipe the password on standard input".into())
}

type Work = Box<
    dyn FnOnce(
            Arc<dyn Backend>,
        )
            -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), Error>> + Send>>
        + Send,
>;

/// Runs `work` on the database: PostgreSQL when `database_url` is set (and
/// no file is named), else the redb file, opened for writing.
fn on_backend(
    config: &Config,
    database: Option<PathBuf>,
    work: impl FnOnce(
            Arc<dyn Backend>,
        )
            -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), Error>> + Send>>
        + Send
        + 'static,
) -> Result<(), ExitCode> {
    let work: Work = Box::new(work);
    let clock = crate::clock::system();
    let cannot_open = |why: String| {
        eprintln!("boxoffice: {why}");
        ExitCode::from(EXIT_CANNOT_OPEN)
    };
    let postgres = config.database_url.as_ref().filter(|_| database.is_none());
    let (backend, thread): (Arc<dyn Backend>, _) = if let Some(url) = postgres {
        let settings = PgSettings {
            pool_size: 1,
            ..PgSettings::default()
        };
        let (backend, probe) =
            PgBackend::open(url, config.rules(), clock, settings, Arc::default())
                .map_err(|error| cannot_open(crate::error_chain(&error)))?;
        (Arc::new(backend), probe)
    } else {
        {
            let path = database.unwrap_or_else(|| config.db_path.clone());
            let store = match Store::open(&path, 1 << 20, config.rules()) {
                Ok(store) => store,
                Err(StoreError::Locked { what }) => {
                    return Err(cannot_open(format!(
                        "{what} is in use: stop the service first, or add staff and keys while \
                         it runs with POST /v1/staff and POST /v1/keys (an admin key or admin_token)"
                    )))
                }
                Err(error) => return Err(cannot_open(crate::error_chain(&error))),
            };
            let settings = WriterSettings {
                max_batch: 1,
                queue_limit: 1,
            };
            let (backend, writer) =
                RedbBookings::start(store, clock, settings, Box::new(|_: &str| {}));
            (Arc::new(backend), writer)
        }
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| cannot_open(format!("cannot start: {error}")))?;
    let done = runtime.block_on(work(Arc::clone(&backend)));
    drop(runtime);
    drop(backend);
    let _ = thread.join();
    done.map_err(|error| match error {
        Error::Refused(refusal) => refuse(&refusal.to_string()),
        other => cannot_open(crate::error_chain(&other)),
    })
}
