//! `check`, `backup` and `export` while the service runs. The service holds
//! its file exclusively (its commits leave the flush to the journal), so no
//! other process can open it: the command asks the service instead, over a
//! Unix socket beside the file (`<database>.control`, readable and writable
//! by the file's owner alone), and the service runs it on a snapshot of its
//! own. The command prints what the service sends and exits as it says.
//!
//! A request is one line: `check`, `export`, or `backup` and the copy's
//! absolute path, separated by a tab. The answer is frames of a kind byte
//! (`o` standard output, `e` standard error, `x` the exit code) and a
//! little-endian `u32` length before the bytes.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Weak};

use super::Store;

/// `<database>.control`.
pub fn socket_beside(database: &Path) -> PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push(".control");
    PathBuf::from(name)
}

/// What the service runs for a command, on one snapshot.
pub enum Request {
    Check,
    Export,
    Backup(PathBuf),
}

impl Request {
    fn line(&self) -> String {
        match self {
            Self::Check => "check\n".into(),
            Self::Export => "export\n".into(),
            Self::Backup(to) => format!("backup\t{}\n", to.display()),
        }
    }

    fn parse(line: &str) -> Option<Self> {
        match line.trim_end_matches('\n').split_once('\t') {
            None if line.trim_end() == "check" => Some(Self::Check),
            None if line.trim_end() == "export" => Some(Self::Export),
            Some(("backup", to)) if Path::new(to).is_absolute() => Some(Self::Backup(to.into())),
            _ => None,
        }
    }
}

/// Where a command run by the service writes: frames to the socket.
pub struct Answer<'a> {
    stream: &'a mut dyn Write,
}

impl Answer<'_> {
    fn frame(&mut self, kind: u8, bytes: &[u8]) -> io::Result<()> {
        let len = u32::try_from(bytes.len()).map_err(io::Error::other)?;
        self.stream.write_all(&[kind])?;
        self.stream.write_all(&len.to_le_bytes())?;
        self.stream.write_all(bytes)
    }

    pub fn err_line(&mut self, line: &str) -> io::Result<()> {
        self.frame(b'e', format!("{line}\n").as_bytes())
    }
}

impl Write for Answer<'_> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.frame(b'o', bytes)?;
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.stream.flush()
    }
}

/// What runs a request in the service: writes its output to the answer and
/// returns the exit code.
pub type Runner = fn(&Store, &Path, &Request, &mut Answer<'_>) -> u8;

/// Serves requests on `<database>.control` for as long as the store lives.
/// A socket left by a service that was killed is replaced.
pub fn serve(store: &Arc<Store>, database: &Path, run: Runner) -> io::Result<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let socket = socket_beside(database);
    let _ = std::fs::remove_file(&socket);
    let listener = UnixListener::bind(&socket)?;
    std::fs::set_permissions(&socket, std::fs::Permissions::from_mode(0o600))?;
    let store: Weak<Store> = Arc::downgrade(store);
    let database = database.to_owned();
    std::thread::Builder::new()
        .name("boxoffice-control".into())
        .spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let Some(store) = store.upgrade() else { break };
                let database = database.clone();
                // A long backup does not hold up a check.
                let _ = std::thread::Builder::new()
                    .name("boxoffice-control-request".into())
                    .spawn(move || answer(&store, &database, stream, run));
            }
        })?;
    Ok(socket)
}

fn answer(store: &Store, database: &Path, stream: UnixStream, run: Runner) {
    let mut line = String::new();
    let mut reader = BufReader::new(match stream.try_clone() {
        Ok(read_half) => read_half,
        Err(_) => return,
    });
    if reader.by_ref().take(8192).read_line(&mut line).is_err() {
        return;
    }
    let mut writer = io::BufWriter::new(stream);
    let mut answer = Answer {
        stream: &mut writer,
    };
    let code = if let Some(request) = Request::parse(&line) {
        run(store, database, &request, &mut answer)
    } else {
        let _ = answer.err_line("boxoffice: the service did not understand the request");
        2
    };
    let _ = answer.frame(b'x', &[code]);
    let _ = writer.flush();
}

/// Asks the service on `database` to run `request`, copying its output to
/// this process's standard output and error; its exit code. `None` when no
/// service answers on the socket.
pub fn ask(database: &Path, request: &Request) -> Option<u8> {
    let mut stream = UnixStream::connect(socket_beside(database)).ok()?;
    stream.write_all(request.line().as_bytes()).ok()?;
    let mut reader = BufReader::with_capacity(256 << 10, stream);
    let stdout = io::stdout();
    let mut out = io::BufWriter::with_capacity(256 << 10, stdout.lock());
    let mut bytes = Vec::new();
    loop {
        let Ok(kind) = read_frame(&mut reader, &mut bytes) else {
            let _ = out.flush();
            eprintln!("boxoffice: the service stopped answering");
            return Some(2);
        };
        match kind {
            b'o' => {
                if out.write_all(&bytes).is_err() {
                    return Some(1);
                }
            }
            b'e' => {
                let _ = out.flush();
                let _ = io::stderr().write_all(&bytes);
            }
            b'x' => {
                let _ = out.flush();
                return Some(bytes.first().copied().unwrap_or(2));
            }
            _ => {
                let _ = out.flush();
                eprintln!("boxoffice: the service answered something unreadable");
                return Some(2);
            }
        }
    }
}

/// Reads one frame into `bytes`; its kind.
fn read_frame(reader: &mut impl Read, bytes: &mut Vec<u8>) -> io::Result<u8> {
    let mut header = [0u8; 5];
    reader.read_exact(&mut header)?;
    let len = u32::from_le_bytes([header[1], header[2], header[3], header[4]]) as usize;
    bytes.resize(len, 0);
    reader.read_exact(bytes)?;
    Ok(header[0])
}
