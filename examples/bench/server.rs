//! A server process under test: started on a free loopback port, probed
//! until it answers, measured from /proc, stopped with SIGTERM.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::load::Report;

const START_TIMEOUT: Duration = Duration::from_secs(30);
const STOP_TIMEOUT: Duration = Duration::from_secs(20);

pub struct Server {
    child: Child,
    pub address: SocketAddr,
    /// From spawning the process to the first complete answer to the probe.
    pub first_answer: Duration,
}

impl Server {
    /// Starts `binary` in `workdir` (which holds no Rocket.toml) with extra
    /// `ROCKET_*` settings, and waits until `GET probe` is answered.
    pub fn start(
        binary: &Path,
        workdir: &Path,
        env: &[(&str, String)],
        probe: &str,
    ) -> Result<Self, String> {
        let address = free_loopback_address()?;
        let log = std::fs::File::create(workdir.join("server.log"))
            .map_err(|error| format!("server log: {error}"))?;
        let mut command = Command::new(binary);
        command
            .current_dir(workdir)
            .env("ROCKET_CONFIG", workdir.join("absent.toml"))
            .env("ROCKET_ADDRESS", "127.0.0.1")
            .env("ROCKET_PORT", address.port().to_string())
            .env("ROCKET_LOG_LEVEL", "critical")
            .env("ROCKET_CLI_COLORS", "false")
            .env_remove("ROCKET_API_TOKEN")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log);
        for (key, value) in env {
            command.env(key, value);
        }
        let spawned = Instant::now();
        let mut child = command
            .spawn()
            .map_err(|error| format!("cannot start {}: {error}", binary.display()))?;
        loop {
            if get(address, probe).is_ok() {
                break;
            }
            if let Ok(Some(status)) = child.try_wait() {
                return Err(format!(
                    "{} exited with {status} before answering (see {})",
                    binary.display(),
                    workdir.join("server.log").display()
                ));
            }
            if spawned.elapsed() > START_TIMEOUT {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("{} did not answer in time", binary.display()));
            }
            std::thread::sleep(Duration::from_micros(500));
        }
        Ok(Self {
            first_answer: spawned.elapsed(),
            child,
            address,
        })
    }

    pub fn cpu_meter(&self) -> CpuMeter {
        CpuMeter(self.child.id())
    }

    pub fn memory_meter(&self) -> MemoryMeter {
        MemoryMeter(self.child.id())
    }

    /// Peak and current resident set, in KiB (`VmHWM`, `VmRSS`).
    pub fn memory_kib(&self) -> Result<(u64, u64), String> {
        self.memory_meter().read_kib()
    }

    /// SIGTERM, so the database closes cleanly; waits for the exit.
    pub fn stop(mut self) -> Result<(), String> {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let deadline = Instant::now() + STOP_TIMEOUT;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        Err("the server ignored SIGTERM".into())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Reads how much CPU time a process has used so far.
#[derive(Clone, Copy)]
pub struct CpuMeter(u32);

impl CpuMeter {
    pub fn of_this_process() -> Self {
        Self(std::process::id())
    }

    /// On-CPU time of all the process's live threads, to the nanosecond
    /// (`/proc/PID/task/*/schedstat`); its threads live as long as it does.
    pub fn read(self) -> Result<Duration, String> {
        let tasks = format!("/proc/{}/task", self.0);
        let mut nanos = 0u64;
        for task in std::fs::read_dir(&tasks).map_err(|error| format!("{tasks}: {error}"))? {
            let path = task
                .map_err(|error| error.to_string())?
                .path()
                .join("schedstat");
            // A thread may end between the listing and the read.
            if let Ok(text) = std::fs::read_to_string(&path) {
                nanos += text
                    .split_whitespace()
                    .next()
                    .and_then(|field| field.parse::<u64>().ok())
                    .ok_or_else(|| format!("{}: {text:?}", path.display()))?;
            }
        }
        Ok(Duration::from_nanos(nanos))
    }

    /// Runs `load`, noting the server's CPU time over it.
    pub fn over(self, load: impl FnOnce() -> Result<Report, String>) -> Result<Report, String> {
        let before = self.read()?;
        let mut report = load()?;
        report.server_cpu = self.read()?.saturating_sub(before);
        Ok(report)
    }
}

/// Reads how much memory a process holds.
#[derive(Clone, Copy)]
pub struct MemoryMeter(u32);

impl MemoryMeter {
    /// Peak and current resident set, in KiB (`VmHWM`, `VmRSS`).
    pub fn read_kib(self) -> Result<(u64, u64), String> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.0))
            .map_err(|error| format!("/proc status: {error}"))?;
        let field = |name: &str| {
            status
                .lines()
                .find_map(|line| line.strip_prefix(name))
                .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
                .ok_or_else(|| format!("no {name} in /proc status"))
        };
        Ok((field("VmHWM:")?, field("VmRSS:")?))
    }

    /// The current resident set, in KiB (`VmRSS`).
    pub fn resident_kib(self) -> Result<u64, String> {
        Ok(self.read_kib()?.1)
    }
}

/// CPU time the whole machine spent busy so far (`/proc/stat`, all cores).
pub fn machine_busy() -> Result<Duration, String> {
    let stat = std::fs::read_to_string("/proc/stat").map_err(|error| error.to_string())?;
    let fields: Vec<u64> = stat
        .lines()
        .next()
        .and_then(|line| line.strip_prefix("cpu "))
        .ok_or("no cpu line in /proc/stat")?
        .split_whitespace()
        .filter_map(|field| field.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal ...; idle and iowait are not busy.
    let busy: u64 = fields
        .iter()
        .take(8)
        .enumerate()
        .filter(|(index, _)| *index != 3 && *index != 4)
        .map(|(_, ticks)| ticks)
        .sum();
    // USER_HZ is 100 on Linux for every architecture that matters here.
    Ok(Duration::from_millis(busy * 10))
}

fn free_loopback_address() -> Result<SocketAddr, String> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map_err(|error| format!("no free loopback port: {error}"))
}

/// One blocking `GET` on its own connection: the status and the body.
pub fn get(address: SocketAddr, path: &str) -> Result<(u16, String), String> {
    call(address, "GET", path, None)
}

/// One blocking request on its own connection, with a JSON body if one is
/// given: the status and the body.
pub fn call(
    address: SocketAddr,
    method: &str,
    path: &str,
    json_body: Option<&str>,
) -> Result<(u16, String), String> {
    call_as(address, None, method, path, json_body)
}

/// [`call`] with an `X-Auth-Token`, when one is given.
pub fn call_as(
    address: SocketAddr,
    token: Option<&str>,
    method: &str,
    path: &str,
    json_body: Option<&str>,
) -> Result<(u16, String), String> {
    let mut stream = TcpStream::connect_timeout(&address, Duration::from_secs(1))
        .map_err(|error| error.to_string())?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .map_err(|error| error.to_string())?;
    let body = json_body.unwrap_or("");
    let content_type = if json_body.is_some() {
        "Content-Type: application/json\r\n"
    } else {
        ""
    };
    let token = token.map_or(String::new(), |token| format!("X-Auth-Token: {token}\r\n"));
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\
         {token}{content_type}Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .map_err(|error| error.to_string())?;
    let mut answer = String::new();
    stream
        .read_to_string(&mut answer)
        .map_err(|error| error.to_string())?;
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| format!("no status in {answer:?}"))?;
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default();
    Ok((status, body))
}
