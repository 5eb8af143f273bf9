//! Shared by every integration test: a service on a temporary database,
//! either in process (Rocket's local client, with a clock the test sets) or
//! as the real binary on a free loopback port.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use boxoffice::clock::{ManualClock, SharedClock};
use boxoffice::domain::Millis;
use rocket::figment::Figment;
use rocket::http::{ContentType, Header, Status};
use rocket::local::blocking::Client;
use serde_json::{json, Value};
use tempfile::TempDir;

/// 2030-01-01T00:00:00Z: "now" for in-process tests.
pub const NOW: Millis = 1_893_456_000_000;
pub const HOUR: i64 = 3_600_000;
/// A show time comfortably after [`NOW`].
pub const SHOW: &str = "2030-01-02 18:30";

/// The real binary with `args` in `dir`, with no database path from the
/// environment.
pub fn boxoffice_command(args: &[&str], dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_boxoffice"));
    command
        .args(args)
        .current_dir(dir)
        .env_remove("ROCKET_DB_PATH");
    command
}

/// Runs [`boxoffice_command`] to its end.
#[track_caller]
pub fn boxoffice(args: &[&str], dir: &Path) -> Output {
    boxoffice_command(args, dir)
        .output()
        .expect("the binary runs")
}

/// A process's output as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The service in process, on its own temporary database.
pub struct Local {
    pub client: Client,
    pub clock: Arc<ManualClock>,
    pub dir: TempDir,
    writer_thread: std::thread::JoinHandle<()>,
}

pub fn local() -> Local {
    local_with(|figment| figment)
}

/// Like [`local`], with extra configuration (`figment.merge(("capacity", 5))`).
#[track_caller]
pub fn local_with(configure: impl FnOnce(Figment) -> Figment) -> Local {
    let dir = tempfile::tempdir().expect("temp dir");
    local_in(dir, configure)
}

/// A service on the database already in `dir` (to test reopening).
#[track_caller]
pub fn local_in(dir: TempDir, configure: impl FnOnce(Figment) -> Figment) -> Local {
    let clock = Arc::new(ManualClock::new(NOW));
    local_on(dir, clock.clone(), clock, configure)
}

/// A service whose time comes from `time` (for the clock's own tests; the
/// `clock` field is then a manual clock nobody reads).
#[track_caller]
pub fn local_timed(time: SharedClock) -> Local {
    let dir = tempfile::tempdir().expect("temp dir");
    local_on(dir, time, Arc::new(ManualClock::new(NOW)), |figment| {
        figment
    })
}

#[track_caller]
fn local_on(
    dir: TempDir,
    time: SharedClock,
    clock: Arc<ManualClock>,
    configure: impl FnOnce(Figment) -> Figment,
) -> Local {
    let figment = boxoffice::config::figment()
        .merge(("db_path", dir.path().join("boxoffice.redb")))
        .merge(("log_level", "off"));
    let service = boxoffice::build(configure(figment), time).expect("service builds");
    let client = Client::tracked(service.rocket).expect("rocket ignites");
    Local {
        client,
        clock,
        dir,
        writer_thread: service.writer_thread,
    }
}

impl Local {
    /// Stops the service, waits until the database is closed, and starts a
    /// new one on the same file (same clock reading).
    pub fn restart(self, configure: impl FnOnce(Figment) -> Figment) -> Local {
        let now = self.clock.now();
        let dir = self.close();
        let service = local_in(dir, configure);
        service.clock.set(now);
        service
    }

    /// Stops the service and waits until the database is closed; the folder
    /// with its file is the caller's.
    #[track_caller]
    pub fn close(self) -> TempDir {
        let Local {
            client,
            dir,
            writer_thread,
            ..
        } = self;
        drop(client);
        writer_thread.join().expect("the writer ends cleanly");
        dir
    }

    /// Sends a request; returns the status and the body as JSON (every body is JSON).
    #[track_caller]
    pub fn send(
        &self,
        method: &str,
        uri: &str,
        body: Option<&str>,
        token: Option<&str>,
    ) -> (Status, Value) {
        let method = method.parse().expect("method");
        let mut request = self.client.req(method, uri.to_owned());
        if let Some(body) = body {
            request = request.header(ContentType::JSON).body(body);
        }
        if let Some(token) = token {
            request = request.header(Header::new("X-Auth-Token", token.to_owned()));
        }
        let response = request.dispatch();
        let status = response.status();
        let text = response.into_string().unwrap_or_default();
        let value = serde_json::from_str(&text)
            .unwrap_or_else(|_| panic!("{status} answer is not JSON: {text:?}"));
        (status, value)
    }

    /// Sends a request with any headers; returns all of the answer (a body
    /// that is not JSON reads as `Value::Null`, its text kept).
    #[track_caller]
    pub fn request(
        &self,
        method: &str,
        uri: &str,
        body: Option<&str>,
        headers: &[(&str, &str)],
    ) -> Received {
        let method = method.parse().expect("method");
        let mut request = self.client.req(method, uri.to_owned());
        if let Some(body) = body {
            request = request.header(ContentType::JSON).body(body);
        }
        for (name, value) in headers {
            request = request.header(Header::new(name.to_string(), value.to_string()));
        }
        let response = request.dispatch();
        let status = response.status();
        let headers = response
            .headers()
            .iter()
            .map(|header| (header.name().to_string(), header.value().to_string()))
            .collect();
        let text = response.into_string().unwrap_or_default();
        Received {
            status,
            headers,
            body: serde_json::from_str(&text).unwrap_or(Value::Null),
            text,
        }
    }

    pub fn post(&self, uri: &str, body: &Value) -> (Status, Value) {
        self.send("POST", uri, Some(&body.to_string()), None)
    }

    pub fn put(&self, uri: &str, body: &Value) -> (Status, Value) {
        self.send("PUT", uri, Some(&body.to_string()), None)
    }

    pub fn delete(&self, uri: &str, body: &Value) -> (Status, Value) {
        self.send("DELETE", uri, Some(&body.to_string()), None)
    }

    pub fn get(&self, uri: &str) -> (Status, Value) {
        self.send("GET", uri, None, None)
    }

    /// Books and returns the 200 body's `data`.
    #[track_caller]
    pub fn book(&self, name: &str, count: u64, show_time: &str) -> Value {
        let (status, body) = self.post("/api/book-ticket", &booking(name, count, show_time));
        assert_eq!(status, Status::Ok, "{body}");
        body["data"].clone()
    }
}

/// An answer with its headers, from [`Local::request`].
#[derive(Debug)]
pub struct Received {
    pub status: Status,
    pub headers: Vec<(String, String)>,
    pub body: Value,
    pub text: String,
}

impl Received {
    /// The first value of a header, by name in any case.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

pub fn booking(name: &str, count: u64, show_time: &str) -> Value {
    json!({
        "userName": name,
        "phoneNumber": 9876543210u64,
        "ticketCount": count,
        "showTime": show_time,
    })
}

/// Percent-encodes a query value.
pub fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The real binary, serving on a free loopback port.
pub struct Server {
    child: Child,
    pub base: String,
    pub db_path: PathBuf,
    /// Every line the server printed, for post-mortems.
    pub output: Arc<std::sync::Mutex<Vec<String>>>,
}

impl Server {
    /// Starts the binary on `db_path` with extra `ROCKET_*` settings, in an
    /// empty working folder so no Rocket.toml is read.
    pub fn start(db_path: &Path, env: &[(&str, &str)]) -> Self {
        Self::start_logging(db_path, env, Some("normal"))
    }

    /// Like [`Server::start`], at `log_level`, or at the binary's own default
    /// when `None` (for a debug build, `normal`: it must print its address).
    #[track_caller]
    pub fn start_logging(db_path: &Path, env: &[(&str, &str)], log_level: Option<&str>) -> Self {
        let command = Command::new(env!("CARGO_BIN_EXE_boxoffice"));
        Self::start_command(command, db_path, env, log_level)
    }

    /// Like [`Server::start`], with the binary run by `wrapper` (a program
    /// and its arguments, such as `prlimit --nofile=1024:8192`).
    pub fn start_wrapped(db_path: &Path, env: &[(&str, &str)], wrapper: &[&str]) -> Self {
        let (program, arguments) = wrapper.split_first().expect("a wrapper program");
        let mut command = Command::new(program);
        command.args(arguments).arg(env!("CARGO_BIN_EXE_boxoffice"));
        Self::start_command(command, db_path, env, Some("normal"))
    }

    fn start_command(
        mut command: Command,
        db_path: &Path,
        env: &[(&str, &str)],
        log_level: Option<&str>,
    ) -> Self {
        let workdir = db_path
            .ancestors()
            .skip(1)
            .find(|folder| folder.is_dir())
            .expect("the db path has an existing folder above it");
        command
            .current_dir(workdir)
            .env("ROCKET_PORT", "0")
            .env("ROCKET_DB_PATH", db_path)
            .env("ROCKET_CLI_COLORS", "false")
            .env_remove("ROCKET_LOG_LEVEL")
            .env_remove("ROCKET_PROFILE")
            .env_remove("ROCKET_CONFIG")
            .env_remove("ROCKET_API_TOKEN")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(level) = log_level {
            command.env("ROCKET_LOG_LEVEL", level);
        }
        for (key, value) in env {
            command.env(key, value);
        }
        let mut child = command.spawn().expect("the binary starts");
        let output = Arc::new(std::sync::Mutex::new(Vec::new()));
        let (port_tx, port_rx) = std::sync::mpsc::channel();
        let stdout = child.stdout.take().expect("stdout");
        let stderr = child.stderr.take().expect("stderr");
        for (stream, port_tx) in [
            (
                Box::new(stdout) as Box<dyn std::io::Read + Send>,
                Some(port_tx),
            ),
            (Box::new(stderr), None),
        ] {
            let output = Arc::clone(&output);
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    if let (Some(tx), Some(at)) = (&port_tx, line.find("launched from http://")) {
                        let _ =
                            tx.send(line[at + "launched from http://".len()..].trim().to_owned());
                    }
                    output.lock().unwrap().push(line);
                }
            });
        }
        let Ok(address) = port_rx.recv_timeout(Duration::from_secs(30)) else {
            let _ = child.kill();
            panic!("server did not start: {:?}", output.lock().unwrap());
        };
        Self {
            child,
            base: format!("http://{address}"),
            db_path: db_path.to_owned(),
            output,
        }
    }

    /// The server's process id (a wrapper such as `prlimit` execs the binary).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Waits for the process to end by itself; its exit code, if it did.
    pub fn wait_for_exit(&mut self, limit: Duration) -> Option<i32> {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                // Let the output threads read what it printed last.
                std::thread::sleep(Duration::from_millis(100));
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    /// SIGKILL: no chance to flush or close anything.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM, then waits; returns how long the exit took.
    #[track_caller]
    pub fn terminate(mut self) -> Duration {
        let started = Instant::now();
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let deadline = started + Duration::from_secs(20);
        loop {
            if let Ok(Some(_)) = self.child.try_wait() {
                return started.elapsed();
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("server ignored SIGTERM: {:?}", self.output.lock().unwrap());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A blocking HTTP call that returns any status with its JSON body.
#[track_caller]
pub fn call(agent: &ureq::Agent, method: &str, url: &str, body: Option<&Value>) -> (u16, Value) {
    try_call(agent, method, url, body)
        .unwrap_or_else(|| panic!("{method} {url}: no complete JSON answer"))
}

/// A POST of `body` that returns the status, the `Retry-After` header and
/// the JSON body, whatever the status.
#[track_caller]
pub fn call_with_headers(
    agent: &ureq::Agent,
    url: &str,
    body: &Value,
) -> (u16, Option<String>, Value) {
    let answer = send(agent, "POST", url, &[], Some(body))
        .unwrap_or_else(|| panic!("POST {url}: no complete JSON answer"));
    let retry_after = answer.header("Retry-After").map(str::to_owned);
    (answer.status, retry_after, answer.body)
}

/// An answer over HTTP, whatever its status: its headers and its JSON body
/// (`null` when empty).
pub struct Sent {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Value,
}

impl Sent {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(have, _)| have.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

/// One request with `headers` and a JSON body; `None` when no complete
/// answer came back (the server died mid-request): the request may or may
/// not have taken effect.
pub fn send(
    agent: &ureq::Agent,
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<&Value>,
) -> Option<Sent> {
    let mut request = agent.request(method, url);
    for (name, value) in headers {
        request = request.set(name, value);
    }
    let result = match body {
        Some(body) => request.send_json(body.clone()),
        None => request.call(),
    };
    let response = match result {
        Ok(response) | Err(ureq::Error::Status(_, response)) => response,
        Err(ureq::Error::Transport(_)) => return None,
    };
    let status = response.status();
    let headers = response
        .headers_names()
        .into_iter()
        .filter_map(|name| {
            let value = response.header(&name)?.to_owned();
            Some((name, value))
        })
        .collect();
    let text = response.into_string().ok()?;
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).ok()?
    };
    Some(Sent {
        status,
        headers,
        body,
    })
}

pub fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(30))
        .build()
}

/// Like [`call`], but `None` when no complete answer came back (the server
/// died mid-request): the request may or may not have taken effect.
pub fn try_call(
    agent: &ureq::Agent,
    method: &str,
    url: &str,
    body: Option<&Value>,
) -> Option<(u16, Value)> {
    send(agent, method, url, &[], body).map(|answer| (answer.status, answer.body))
}

/// What came back over a raw connection.
#[derive(Debug)]
pub struct RawAnswer {
    /// `None` when the server closed or reset the connection without a status line.
    pub status: Option<u16>,
    pub head: String,
    pub body: Vec<u8>,
    pub took: Duration,
}

/// Sends `request` as is over a fresh connection to `base` (`http://host:port`),
/// writing from a second thread so that a server which answers before reading
/// everything is seen answering; reads until the server closes or 10 s pass.
pub fn raw_http(base: &str, request: Vec<u8>) -> RawAnswer {
    use std::io::{Read, Write};
    use std::net::TcpStream;

    let address = base.trim_start_matches("http://");
    let started = Instant::now();
    let mut stream = TcpStream::connect(address).expect("connects");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream
        .set_write_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut writer = stream.try_clone().expect("a second handle");
    let writing = std::thread::spawn(move || {
        // The server may close early (that is what is being tested).
        let _ = writer.write_all(&request);
        let _ = writer.flush();
    });
    let mut received = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    while started.elapsed() < Duration::from_secs(10) {
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(read) => received.extend_from_slice(&chunk[..read]),
        }
    }
    let took = started.elapsed();
    let _ = stream.shutdown(std::net::Shutdown::Both);
    let _ = writing.join();
    let split = received
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .map_or(received.len(), |at| at + 4);
    let head = String::from_utf8_lossy(&received[..split]).into_owned();
    let status = head
        .strip_prefix("HTTP/1.1 ")
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse().ok());
    RawAnswer {
        status,
        head,
        body: received[split..].to_vec(),
        took,
    }
}

/// A ticket as clients see it: which show (by index), who, how many.
#[derive(Clone, Debug, PartialEq)]
pub struct Held {
    pub show: usize,
    pub user_name: String,
    pub phone: Value,
    pub count: u64,
}

/// Lists every show of `show_times` through view-all-tickets, checks that its
/// count is the sum of its tickets and within `capacity`, and returns every
/// ticket held by id with each show's listing (`None`: no such show).
#[track_caller]
pub fn read_back(
    server: &Server,
    show_times: &[&str],
    capacity: u64,
) -> (BTreeMap<String, Held>, Vec<Option<Value>>) {
    let agent = agent();
    let mut stored = BTreeMap::new();
    let mut listings = Vec::with_capacity(show_times.len());
    for (show, show_time) in show_times.iter().enumerate() {
        let url = server.url(&format!(
            "/api/view-all-tickets?showTime={}",
            encode(show_time)
        ));
        let (status, body) = call(&agent, "GET", &url, None);
        if status == 404 {
            listings.push(None);
            continue;
        }
        assert_eq!(status, 200, "{body}");
        let tickets = body["allTickets"].as_array().expect("allTickets");
        let sum: u64 = tickets
            .iter()
            .map(|t| t["ticketCount"].as_u64().unwrap())
            .sum();
        assert_eq!(
            body["ticketCount"], sum,
            "{show_time}: count and tickets disagree"
        );
        assert!(sum <= capacity, "{show_time} oversold: {sum}");
        for ticket in tickets {
            let held = Held {
                show,
                user_name: ticket["userName"].as_str().unwrap().to_owned(),
                phone: ticket["phoneNumber"].clone(),
                count: ticket["ticketCount"].as_u64().unwrap(),
            };
            let id = ticket["ticketId"].as_str().unwrap().to_owned();
            assert!(
                stored.insert(id, held).is_none(),
                "a ticket under two shows"
            );
        }
        listings.push(Some(body));
    }
    (stored, listings)
}

/// A seed that differs from run to run; tests name it in their failure messages.
pub fn fresh_seed() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_nanos() as u64)
}

/// A random source that `seed` alone determines.
pub fn seeded_rng(seed: u64) -> proptest::test_runner::TestRng {
    use proptest::test_runner::{RngAlgorithm, TestRng};
    TestRng::from_seed(RngAlgorithm::ChaCha, &seed.to_le_bytes().repeat(4))
}
