//! The kiosk and the counter in headless Chromium, driven through
//! chromedriver, against the real binary on loopback. Each step leaves a
//! screenshot under `target/browser-screenshots/<test>/`.
//!
//! They are `#[ignore]`d, with what they need as the reason, so a plain
//! `cargo test` lists them as ignored; `cargo test -- --include-ignored`
//! runs them (`.ci/run` does), and there a missing browser, chromedriver,
//! axe-core or Lighthouse fails them.

use std::future::Future;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::elements::Element;
use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};
use tempfile::TempDir;

use crate::support::Server;

/// One browser at a time: the machine's cores are shared.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// How long a page may take to reach a state.
const PATIENCE: Duration = Duration::from_secs(15);

fn find_program(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|folder| names.iter().map(move |name| folder.join(name)))
        .find(|candidate| candidate.is_file())
}

/// Chromium and chromedriver; their absence fails the test.
fn browser_programs(test: &str) -> (PathBuf, PathBuf) {
    let chromium = find_program(&["chromium", "chromium-browser", "google-chrome"]);
    let driver = find_program(&["chromedriver"]);
    let (Some(chromium), Some(driver)) = (chromium, driver) else {
        panic!(
            "{test}: chromium and chromedriver are needed on PATH \
             (apt-get install chromium chromium-driver)"
        );
    };
    (chromium, driver)
}

/// chromedriver on a free loopback port, ended when dropped.
struct Driver {
    child: Child,
    url: String,
}

impl Driver {
    fn start(program: &Path) -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new(program)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < PATIENCE,
                "chromedriver did not listen on {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Where a test's screenshots go.
fn screenshot_folder(test: &str) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("target"),
        PathBuf::from,
    );
    let folder = target.join("browser-screenshots").join(test);
    let _ = std::fs::remove_dir_all(&folder);
    std::fs::create_dir_all(&folder).expect("the screenshot folder");
    folder
}

/// The service, chromedriver and what a test needs to drive them.
struct Stage {
    server: Server,
    driver: Driver,
    chromium: PathBuf,
    shots: PathBuf,
    shot_number: Mutex<u32>,
    token: Option<String>,
    _dir: TempDir,
}

/// Runs `scenario` with the service configured by `env`.
fn run<F, Fut>(test: &str, env: &[(&str, &str)], token: Option<&str>, scenario: F)
where
    F: FnOnce(Stage) -> Fut,
    Fut: Future<Output = ()>,
{
    let (chromium, driver) = browser_programs(test);
    let _turn = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let dir = tempfile::tempdir().expect("temp dir");
    let server = Server::start(&dir.path().join("boxoffice.redb"), env);
    let stage = Stage {
        server,
        driver: Driver::start(&driver),
        chromium,
        shots: screenshot_folder(test),
        shot_number: Mutex::new(0),
        token: token.map(str::to_owned),
        _dir: dir,
    };
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime")
        .block_on(scenario(stage));
}

impl Stage {
    /// A new browser window of 1280 × 1024, a common kiosk panel.
    async fn browser(&self) -> Browser {
        let mut capabilities = serde_json::Map::new();
        // The console, read back by `console_errors`.
        capabilities.insert("goog:loggingPrefs".into(), json!({"browser": "ALL"}));
        capabilities.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": self.chromium,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu",
                    "--disable-dev-shm-usage", "--window-size=1280,1024",
                    "--no-first-run", "--disable-extensions",
                ],
            }),
        );
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(capabilities)
            .connect(&self.driver.url)
            .await
            .expect("a chromium session");
        Browser {
            client,
            driver: self.driver.url.clone(),
        }
    }

    /// A screenshot of `browser` as the next step's artefact.
    async fn shot(&self, browser: &Browser, step: &str) {
        let png = browser.client.screenshot().await.expect("a screenshot");
        let number = {
            let mut number = self.shot_number.lock().expect("counter");
            *number += 1;
            *number
        };
        let path = self.shots.join(format!("{number:02}-{step}.png"));
        std::fs::write(&path, png).expect("the screenshot is written");
    }

    fn url(&self, path: &str) -> String {
        self.server.url(path)
    }

    /// A `/v1` call made by the test itself (not the page); returns the
    /// status and JSON body (`Null` for none).
    fn api(&self, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
        let mut request = ureq::request(method, &self.url(path));
        if let Some(token) = &self.token {
            request = request.set("Authorization", &format!("Bearer {token}"));
        }
        let result = match body {
            Some(body) => request.send_json(body.clone()),
            None => request.call(),
        };
        let response = match result {
            Ok(response) | Err(ureq::Error::Status(_, response)) => response,
            Err(error) => panic!("{method} {path}: {error}"),
        };
        let status = response.status();
        let text = response.into_string().unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    #[track_caller]
    fn create(&self, path: &str, body: &Value) -> String {
        let (status, answer) = self.api("POST", path, Some(body));
        assert_eq!(status, 201, "POST {path}: {answer}");
        answer["id"].as_str().expect("an id").to_owned()
    }
}

/// A show `hours` from now, as the API takes it.
fn hours_from_now(hours: i64) -> String {
    let start = chrono::Utc::now() + chrono::Duration::hours(hours);
    start.format("%Y-%m-%dT%H:%M:00Z").to_string()
}

/// Rows A to E of eight seats with an aisle after seat 4; A1 and A2 are a
/// wheelchair place and its companion seat; E8 is blocked.
fn small_room() -> Value {
    let rows: Vec<Value> = ["A", "B", "C", "D", "E"]
        .iter()
        .map(|label| {
            let seats: Vec<Value> = (1..=8)
                .map(|number| {
                    let mut seat = json!({"number": number.to_string()});
                    if number == 4 {
                        seat["aisleAfter"] = json!(true);
                    }
                    match (*label, number) {
                        ("A", 1) => seat["kind"] = json!("wheelchair"),
                        ("A", 2) => seat["kind"] = json!("companion"),
                        ("E", 8) => seat["blocked"] = json!(true),
                        _ => {}
                    }
                    seat
                })
                .collect();
            json!({"label": label, "seats": seats})
        })
        .collect();
    json!({"name": "Screen 1", "rows": rows})
}

/// A film with one show on a seat-map screen; returns (film, show).
fn seat_map_show(stage: &Stage, title: &str) -> (String, String) {
    let screen = stage.create("/v1/screens", &small_room());
    let film = stage.create(
        "/v1/films",
        &json!({"title": title, "runtimeMinutes": 110, "rating": "PG"}),
    );
    let show = stage.create(
        "/v1/shows",
        &json!({"screenId": screen, "filmId": film, "start": hours_from_now(3)}),
    );
    (film, show)
}

/// One browser session on the page under test.
struct Browser {
    client: Client,
    /// chromedriver's address, for what fantoccini has no call for.
    driver: String,
}

impl Browser {
    async fn open(&self, url: &str) {
        self.client.goto(url).await.expect("the page loads");
    }

    /// Opens the kiosk at `url` and goes through `film` to `show`'s seats.
    async fn seats_of(&self, url: &str, film: &str, show: &str) {
        self.open(url).await;
        self.click(&format!("button[data-film='{film}']")).await;
        self.click(&format!("button[data-show='{show}']")).await;
    }

    async fn script(&self, script: &str, args: Vec<Value>) -> Value {
        self.client
            .execute(script, args)
            .await
            .expect("a script runs")
    }

    /// Waits until `script` (a JavaScript expression body) returns true.
    async fn until(&self, what: &str, script: &str, args: Vec<Value>) {
        let started = Instant::now();
        loop {
            if self.script(script, args.clone()).await == json!(true) {
                return;
            }
            let state = self.script("return document.body.innerText", vec![]).await;
            assert!(
                started.elapsed() < PATIENCE,
                "waited in vain for {what}; the page says: {state}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits for the kiosk (or counter) to show `view`.
    async fn view(&self, view: &str) {
        self.until(
            &format!("the {view} view"),
            "return document.body.dataset.step === arguments[0]",
            vec![json!(view)],
        )
        .await;
    }

    /// The element at `css`, once it is there (within `PATIENCE`).
    async fn waiting_for(&self, css: &str) -> Element {
        self.client
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|error| panic!("no {css}: {error}"))
    }

    /// The element at `css` as the page is now.
    async fn element(&self, css: &str) -> Element {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|error| panic!("no {css}: {error}"))
    }

    async fn click(&self, css: &str) {
        self.waiting_for(css)
            .await
            .click()
            .await
            .unwrap_or_else(|error| panic!("{css} cannot be clicked: {error}"));
    }

    async fn type_into(&self, css: &str, text: &str) {
        let field = self.waiting_for(css).await;
        field.clear().await.expect("cleared");
        field.send_keys(text).await.expect("typed");
    }

    async fn text(&self, css: &str) -> String {
        self.element(css).await.text().await.expect("its text")
    }

    async fn enabled(&self, css: &str) -> bool {
        self.element(css)
            .await
            .is_enabled()
            .await
            .expect("its state")
    }

    async fn count(&self, css: &str) -> usize {
        self.client
            .find_all(Locator::Css(css))
            .await
            .expect("a search")
            .len()
    }

    /// Presses keys on whatever has the focus, as a person would.
    async fn press(&self, keys: &str) {
        let mut actions = KeyActions::new("keyboard".into());
        for key in keys.chars() {
            actions = actions
                .then(KeyAction::Down { value: key })
                .then(KeyAction::Up { value: key });
        }
        self.client
            .perform_actions(actions)
            .await
            .expect("keys pressed");
    }

    /// Presses Tab until the focus is on `css`, at most `limit` times.
    async fn tab_to(&self, css: &str, limit: usize) {
        for _ in 0..limit {
            let there = self
                .script(
                    "return !!document.activeElement && document.activeElement.matches(arguments[0])",
                    vec![json!(css)],
                )
                .await;
            if there == json!(true) {
                return;
            }
            self.press(&char::from(Key::Tab).to_string()).await;
        }
        panic!("Tab never reached {css}");
    }

    async fn enter(&self) {
        self.press(&char::from(Key::Enter).to_string()).await;
    }

    /// The page as a `width` × `height` screen (a phone below 600 px).
    async fn viewport(&self, width: u32, height: u32) {
        let session = self
            .client
            .session_id()
            .await
            .expect("a session")
            .expect("a session id");
        let url = format!("{}/session/{session}/goog/cdp/execute", self.driver);
        let params = json!({
            "width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600,
        });
        ureq::post(&url)
            .send_json(json!({"cmd": "Emulation.setDeviceMetricsOverride", "params": params}))
            .expect("the viewport is set");
    }

    /// Every seat button under `scope`, scrolled into its room's view, is
    /// on screen and is what a finger at its middle touches; the rows'
    /// left edge is not cut off. Returns what is not so.
    async fn unreachable_seats(&self, scope: &str) -> Value {
        self.script(
            r"
            const found = [];
            for (const room of document.querySelectorAll(arguments[0] + ' .room')) {
              room.scrollLeft = 0;
              const rows = room.querySelector('.room-rows') || room;
              if (rows.getBoundingClientRect().left < room.getBoundingClientRect().left - 0.5) {
                found.push('the rows start left of their room');
              }
              for (const label of room.querySelectorAll('.row-label')) {
                const box = label.getBoundingClientRect();
                if (box.left < 0) found.push(`row label ${label.textContent} is cut`);
              }
            }
            for (const seat of document.querySelectorAll(arguments[0] + ' button.seat')) {
              seat.scrollIntoView({block: 'center', inline: 'center'});
              const box = seat.getBoundingClientRect();
              const x = box.left + box.width / 2;
              const y = box.top + box.height / 2;
              if (box.left < 0 || box.right > innerWidth || box.top < 0 || box.bottom > innerHeight) {
                found.push(`${seat.dataset.seat} at ${box.left},${box.top}`);
                continue;
              }
              const hit = document.elementFromPoint(x, y);
              if (!hit || !seat.contains(hit)) {
                found.push(`${seat.dataset.seat} is covered by ${hit && hit.outerHTML.slice(0, 60)}`);
              }
            }
            for (const room of document.querySelectorAll(arguments[0] + ' .room')) room.scrollLeft = 0;
            window.scrollTo(0, 0);
            return found;
            ",
            vec![json!(scope)],
        )
        .await
    }

    /// What axe-core finds serious or critical on the page as it is now,
    /// one line per rule; fails when axe-core is not installed
    /// (`npm ci --prefix scripts/a11y`).
    async fn accessibility_problems(&self) -> Value {
        let axe = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("scripts/a11y/node_modules/axe-core/axe.min.js");
        let source = std::fs::read_to_string(&axe).unwrap_or_else(|error| {
            panic!(
                "{}: {error} (npm ci --prefix scripts/a11y installs axe-core)",
                axe.display()
            )
        });
        self.script(&format!("{source}\n;return true"), vec![])
            .await;
        self.client
            .execute_async(
                r"
                const done = arguments[arguments.length - 1];
                // label-content-name-mismatch is experimental, so off unless asked.
                axe.run(document, {
                  resultTypes: ['violations'],
                  rules: {'label-content-name-mismatch': {enabled: true}},
                })
                  .then((result) => done(result.violations
                    .filter((rule) => rule.impact === 'serious' || rule.impact === 'critical')
                    .map((rule) => `${rule.id} (${rule.impact}): ${rule.nodes.length} nodes, e.g. ${rule.nodes.slice(0, 3).map((node) => node.target.join(' ')).join(' | ')}`)))
                  .catch((error) => done([`axe failed: ${error}`]));
                ",
                vec![],
            )
            .await
            .expect("axe runs")
    }

    /// Whether the element at `css` is wholly inside the window now.
    async fn in_view(&self, css: &str) -> bool {
        self.script(
            "const box = document.querySelector(arguments[0]).getBoundingClientRect(); \
             return box.width > 0 && box.top >= -1 && box.left >= -1 \
                 && box.bottom <= innerHeight + 1 && box.right <= innerWidth + 1",
            vec![json!(css)],
        )
        .await
            == json!(true)
    }

    /// The page is no wider than the window (nothing to scroll sideways).
    async fn fits_sideways(&self) -> bool {
        self.script(
            "return document.documentElement.scrollWidth <= innerWidth",
            vec![],
        )
        .await
            == json!(true)
    }

    /// Every visible control is at least 48 × 48 px (a radio button or a
    /// check box by its label, which takes the touch), and every visible
    /// text at least `min_text` px.
    async fn fit_for_fingers(&self, min_text: f64) {
        let problems = self
            .script(
                r"
                const visible = (node) => {
                  const box = node.getBoundingClientRect();
                  return box.width > 0 && box.height > 0 && getComputedStyle(node).visibility !== 'hidden';
                };
                const found = [];
                for (const node of document.querySelectorAll('button, a, select, input:not([type=radio]):not([type=checkbox]), textarea')) {
                  if (!visible(node)) continue;
                  const box = node.getBoundingClientRect();
                  if (box.width < 48 || box.height < 48) {
                    found.push(`${node.outerHTML.slice(0, 80)} is ${box.width}x${box.height}`);
                  }
                }
                const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
                while (walker.nextNode()) {
                  const text = walker.currentNode;
                  const parent = text.parentElement;
                  if (!text.textContent.trim() || !parent || !visible(parent)) continue;
                  const size = parseFloat(getComputedStyle(parent).fontSize);
                  if (size < arguments[0]) {
                    found.push(`'${text.textContent.trim().slice(0, 40)}' is ${size}px`);
                  }
                }
                return found;
                ",
                vec![json!(min_text)],
            )
            .await;
        assert_eq!(problems, json!([]), "too small for a touch screen");
    }

    /// Nothing escaped the page's own handling, and the console holds no
    /// warning or error but the browser's own line for each refused call
    /// (a 4xx answer the page turned into a sentence) and any of `expected`.
    async fn no_uncaught_errors(&self, expected: &[&str]) {
        let count = self
            .script("return document.documentElement.dataset.uncaught", vec![])
            .await;
        assert_eq!(count, json!("0"), "the page had uncaught errors");
        let session = self
            .client
            .session_id()
            .await
            .expect("a session")
            .expect("a session id");
        let url = format!("{}/session/{session}/se/log", self.driver);
        let log: Value = ureq::post(&url)
            .send_json(json!({"type": "browser"}))
            .expect("chromedriver's browser log")
            .into_json()
            .expect("a JSON log");
        let refused = regex_automata::meta::Regex::new(
            r"Failed to load resource: the server responded with a status of 4[0-9][0-9]",
        )
        .expect("a pattern");
        let entries = log["value"].as_array().cloned().unwrap_or_default();
        let unexpected: Vec<&Value> = entries
            .iter()
            .filter(|entry| entry["level"] == "SEVERE" || entry["level"] == "WARNING")
            .filter(|entry| {
                let message = entry["message"].as_str().unwrap_or_default();
                !refused.is_match(message) && !expected.iter().any(|text| message.contains(text))
            })
            .collect();
        assert!(unexpected.is_empty(), "the console says: {unexpected:?}");
    }

    async fn close(self) {
        self.client.close().await.expect("the session ends");
    }
}

#[test]
#[ignore = "needs chromium and chromedriver on PATH"]
fn a_customer_buys_seats_from_film_to_qr_code() {
    run("customer_flow", &[], None, |stage| async move {
        let (film, show) = seat_map_show(&stage, "The Long Night");
        // Someone else has C5 already.
        stage.create(
            "/v1/bookings",
            &json!({"showId": show, "seats": ["C5"], "userName": "Bo", "phoneNumber": "5550000001"}),
        );
        let kiosk = stage.browser().await;
        kiosk.open(&stage.url("/kiosk")).await;
        kiosk.view("start").await;
        kiosk
            .until(
                "the film",
                "return !!document.querySelector('button.film')",
                vec![],
            )
            .await;
        kiosk.fit_for_fingers(20.0).await;
        stage.shot(&kiosk, "films").await;
        kiosk.click(&format!("button[data-film='{film}']")).await;
        kiosk.view("shows").await;
        kiosk.fit_for_fingers(20.0).await;
        stage.shot(&kiosk, "shows").await;
        kiosk.click(&format!("button[data-show='{show}']")).await;
        kiosk.view("seats").await;
        // The room as it is: 40 places, one aisle per row, the wheelchair
        // place marked, the sold seat and the blocked one not for sale.
        assert_eq!(kiosk.count("button.seat").await, 40);
        assert_eq!(kiosk.count(".row .aisle").await, 5);
        assert_eq!(kiosk.count("button.seat.wheelchair").await, 1);
        assert!(
            !kiosk.enabled("#seat-C5").await,
            "a sold seat is not for sale"
        );
        assert!(
            !kiosk.enabled("#seat-E8").await,
            "a blocked seat is not for sale"
        );
        assert!(
            !kiosk.enabled("#hold").await,
            "nothing picked, nothing to hold"
        );
        kiosk.click("#seat-C3").await;
        kiosk.click("#seat-C4").await;
        assert_eq!(kiosk.text("#seats-summary").await, "Your seats: C3, C4");
        kiosk.fit_for_fingers(20.0).await;
        stage.shot(&kiosk, "seats").await;
        kiosk.click("#hold").await;
        kiosk.view("details").await;
        let countdown = kiosk.text("#countdown").await;
        assert!(
            countdown.starts_with("Your seats are held for 9:") || countdown.ends_with("10:00"),
            "{countdown}"
        );
        let (_, held) = stage.api("GET", &format!("/v1/shows/{show}"), None);
        assert_eq!(held["held"], 2, "{held}");
        // A name alone is not enough.
        kiosk.type_into("#user-name", "Ada Lovelace").await;
        kiosk.click("#confirm").await;
        assert!(kiosk.text("#details-error").await.contains("phone"));
        kiosk.type_into("#phone", "+44 20 7946 0958").await;
        kiosk.fit_for_fingers(20.0).await;
        stage.shot(&kiosk, "details").await;
        kiosk.click("#confirm").await;
        kiosk.view("done").await;
        kiosk
            .until(
                "the QR code",
                "const img = document.getElementById('qr'); return !!img && img.complete && img.naturalWidth > 100",
                vec![],
            )
            .await;
        let id = kiosk.text("#done-id").await;
        assert_eq!(kiosk.text("#done-film").await, "The Long Night");
        assert_eq!(kiosk.text("#done-screen").await, "Screen 1");
        assert_eq!(kiosk.text("#done-seats").await, "C3, C4");
        assert!(
            kiosk.text("#done-time").await.starts_with("Today")
                || kiosk.text("#done-time").await.starts_with("Tomorrow")
        );
        kiosk.fit_for_fingers(20.0).await;
        stage.shot(&kiosk, "booked").await;
        let (status, booking) = stage.api("GET", &format!("/v1/bookings/{id}"), None);
        assert_eq!(status, 200, "{booking}");
        assert_eq!(booking["seats"], json!(["C3", "C4"]));
        assert_eq!(booking["userName"], "Ada Lovelace");
        kiosk.no_uncaught_errors(&[]).await;
        kiosk.click("#done").await;
        kiosk.view("start").await;
        kiosk.close().await;
    });
}

#[test]
#[ignore = "needs chromium and chromedriver on PATH"]
fn a_hold_that_runs_out_says_so_and_lets_the_customer_pick_again() {
    let env = [("ROCKET_HOLD_FOR", "4s")];
    run("hold_runs_out", &env, None, |stage| async move {
        let (film, show) = seat_map_show(&stage, "Short Fuse");
        let kiosk = stage.browser().await;
        kiosk.seats_of(&stage.url("/kiosk"), &film, &show).await;
        kiosk.click("#seat-D4").await;
        kiosk.click("#hold").await;
        kiosk.view("details").await;
        stage.shot(&kiosk, "held").await;
        kiosk.type_into("#user-name", "Slow Sam").await;
        kiosk.view("problem").await;
        assert_eq!(kiosk.text("#problem-title").await, "Time ran out");
        assert!(kiosk.text("#problem-text").await.contains("let go"));
        stage.shot(&kiosk, "ran-out").await;
        kiosk.click("#problem-actions button.primary").await;
        kiosk.view("seats").await;
        // The seat is free again and still picked for this customer.
        assert!(kiosk.enabled("#seat-D4").await);
        assert_eq!(kiosk.text("#seats-summary").await, "Your seats: D4");
        stage.shot(&kiosk, "pick-again").await;
        kiosk.no_uncaught_errors(&[]).await;
        kiosk.close().await;
    });
}

#[test]
#[ignore = "needs chromium and chromedriver on PATH"]
fn two_kiosks_want_one_seat_and_the_second_is_told_to_pick_again() {
    run("two_kiosks", &[], None, |stage| async move {
        let (film, show) = seat_map_show(&stage, "Duel");
        let first = stage.browser().await;
        let second = stage.browser().await;
        for kiosk in [&first, &second] {
            kiosk.seats_of(&stage.url("/kiosk"), &film, &show).await;
            kiosk.view("seats").await;
            kiosk.click("#seat-B5").await;
        }
        first.click("#hold").await;
        first.view("details").await;
        second.click("#hold").await;
        second.view("problem").await;
        assert_eq!(
            second.text("#problem-text").await,
            "Seat B5 was taken by someone else a moment ago. Please pick again."
        );
        stage.shot(&second, "second-told").await;
        second.click("#problem-actions button.primary").await;
        second.view("seats").await;
        assert!(!second.enabled("#seat-B5").await, "B5 is held by the first");
        assert!(second
            .text("#seats-summary")
            .await
            .contains("Touch the seats"));
        second.click("#seat-B6").await;
        stage.shot(&second, "second-picks-again").await;
        second.click("#hold").await;
        second.view("details").await;
        first.type_into("#user-name", "First").await;
        first.type_into("#phone", "5550000002").await;
        first.click("#confirm").await;
        first.view("done").await;
        stage.shot(&first, "first-booked").await;
        second.type_into("#user-name", "Second").await;
        second.type_into("#phone", "5550000003").await;
        second.click("#confirm").await;
        second.view("done").await;
        assert_eq!(first.text("#done-seats").await, "B5");
        assert_eq!(second.text("#done-seats").await, "B6");
        stage.shot(&second, "second-booked").await;
        first.no_uncaught_errors(&[]).await;
        second.no_uncaught_errors(&[]).await;
        first.close().await;
        second.close().await;
    });
}

#[test]
#[ignore = "needs chromium and chromedriver on PATH"]
fn the_kiosk_works_with_the_keyboard_alone() {
    let env = [("ROCKET_API_TOKEN", "kiosk-token")];
    run(
        "keyboard_only",
        &env,
        Some("kiosk-token"),
        |stage| async move {
            let screen = stage.create("/v1/screens", &json!({"name": "Hall", "capacity": 50}));
            let film = stage.create(
                "/v1/films",
                &json!({"title": "Open Air", "runtimeMinutes": 90}),
            );
            let show = stage.create(
                "/v1/shows",
                &json!({"screenId": screen, "filmId": film, "start": hours_from_now(5)}),
            );
            let kiosk = stage.browser().await;
            kiosk.open(&stage.url("/kiosk")).await;
            // The token, asked once.
            kiosk
                .until(
                    "the token prompt",
                    "return document.getElementById('token-dialog').open",
                    vec![],
                )
                .await;
            stage.shot(&kiosk, "token").await;
            kiosk.press("kiosk-token").await;
            kiosk.enter().await;
            kiosk.view("start").await;
            kiosk
                .until(
                    "the film",
                    "return !!document.querySelector('button.film')",
                    vec![],
                )
                .await;
            kiosk
                .tab_to(&format!("button[data-film='{film}']"), 10)
                .await;
            stage.shot(&kiosk, "film-focused").await;
            kiosk.enter().await;
            kiosk.view("shows").await;
            kiosk
                .tab_to(&format!("button[data-show='{show}']"), 10)
                .await;
            kiosk.enter().await;
            kiosk.view("seats").await;
            // General admission: a count, not a map.
            assert_eq!(kiosk.count("button.seat").await, 0);
            kiosk.tab_to("button.more", 10).await;
            kiosk.enter().await;
            kiosk.enter().await;
            assert_eq!(kiosk.text("output.type-count").await, "3");
            stage.shot(&kiosk, "count").await;
            kiosk.tab_to("#hold", 10).await;
            kiosk.enter().await;
            kiosk.view("details").await;
            kiosk.press("Kay Board").await;
            kiosk.press(&char::from(Key::Tab).to_string()).await;
            kiosk.press("5550001234").await;
            stage.shot(&kiosk, "details").await;
            kiosk.enter().await;
            kiosk.view("done").await;
            assert_eq!(kiosk.text("#done-seats").await, "3 (free seating)");
            kiosk
            .until("the QR code", "const img = document.getElementById('qr'); return !!img && img.complete && img.naturalWidth > 100", vec![])
            .await;
            stage.shot(&kiosk, "booked").await;
            // The token was kept: a new visit does not ask again.
            kiosk.open(&stage.url("/kiosk")).await;
            kiosk
                .until(
                    "the film",
                    "return !!document.querySelector('button.film')",
                    vec![],
                )
                .await;
            let asked = kiosk
                .script(
                    "return document.getElementById('token-dialog').open",
                    vec![],
                )
                .await;
            assert_eq!(asked, json!(false));
            kiosk.no_uncaught_errors(&[]).await;
            kiosk.close().await;
        },
    );
}

#[test]
#[ignore = "needs chromium and chromedriver on PATH"]
fn an_idle_kiosk_lets_the_hold_go_and_starts_again() {
    run("idle_reset", &[], None, |stage| async move {
        let (film, show) = seat_map_show(&stage, "Wait For It");
        let kiosk = stage.browser().await;
        kiosk
            .seats_of(&stage.url("/kiosk?idle=3"), &film, &show)
            .await;
        kiosk.click("#seat-C4").await;
        kiosk.click("#hold").await;
        kiosk.view("details").await;
        kiosk.type_into("#user-name", "Forget Me").await;
        stage.shot(&kiosk, "walked-away").await;
        let (_, before) = stage.api("GET", &format!("/v1/shows/{show}"), None);
        assert_eq!(before["held"], 1, "{before}");
        kiosk.view("start").await;
        stage.shot(&kiosk, "started-again").await;
        let name = kiosk
            .script("return document.getElementById('user-name').value", vec![])
            .await;
        assert_eq!(name, json!(""), "the customer is forgotten");
        let started = Instant::now();
        loop {
            let (_, after) = stage.api("GET", &format!("/v1/shows/{show}"), None);
            if after["held"] == 0 {
                break;
            }
            assert!(
                started.elapsed() < PATIENCE,
                "the hold was not let go: {after}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        kiosk.no_uncaught_errors(&[]).await;
        kiosk.close().await;
    });
}

#[test]
#[ignore = "needs chromium and chromedriver on PATH"]
fn the_counter_sets_up_a_show_and_finds_moves_and_cancels_bookings() {
    let env = [
        ("ROCKET_API_TOKEN", "clerk"),
        ("ROCKET_ADMIN_TOKEN", "boss"),
    ];
    run("counter", &env, Some("boss"), |stage| async move {
        let counter = stage.browser().await;
        counter.open(&stage.url("/counter")).await;
        counter
            .until(
                "the token prompt",
                "return document.getElementById('token-dialog').open",
                vec![],
            )
            .await;
        counter.type_into("#token", "boss").await;
        counter.click("#token-dialog button[type=submit]").await;
        counter
            .until(
                "the day",
                "return document.getElementById('day-status').textContent.startsWith('No shows')",
                vec![],
            )
            .await;

        // A film.
        counter.type_into("#film-title", "Metropolis").await;
        counter.type_into("#film-runtime", "153").await;
        counter.type_into("#film-rating", "PG").await;
        counter.click("#film-form button[type=submit]").await;
        counter
            .until(
                "the film",
                "return document.getElementById('film-status').textContent.includes('Metropolis')",
                vec![],
            )
            .await;

        // A screen from a pasted layout, with aisles, a wheelchair place and
        // a seat not for sale; then one seat changed in the preview.
        counter.type_into("#screen-name", "Studio").await;
        counter
            .type_into(
                "#screen-layout",
                "A: 1w 2c | 3 4\nB: 1 2 | 3 4x\nC: 1 2 3 4",
            )
            .await;
        stage.shot(&counter, "layout").await;
        assert_eq!(
            counter.count("#layout-preview button.seat").await,
            12,
            "{}",
            counter.text("#layout-status").await
        );
        assert_eq!(counter.count("#layout-preview .aisle").await, 2);
        counter.click("#layout-preview [data-seat='C4']").await;
        assert!(counter
            .text("#layout-status")
            .await
            .starts_with("3 rows, 11 seats"));
        stage.shot(&counter, "screen-editor").await;
        counter.click("#screen-form button[type=submit]").await;
        counter
            .until("the screen", "return document.getElementById('screen-status').textContent.startsWith('Added Studio')", vec![])
            .await;
        let (_, screens) = stage.api("GET", "/v1/screens", None);
        let studio = screens["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|screen| screen["name"] == "Studio")
            .expect("the screen was made")
            .clone();
        assert_eq!(studio["capacity"], 11, "{studio}");
        assert_eq!(studio["rows"][0]["seats"][0]["kind"], "wheelchair");
        assert_eq!(studio["rows"][0]["seats"][1]["aisleAfter"], true);
        assert_eq!(studio["rows"][1]["seats"][3]["blocked"], true);
        assert_eq!(studio["rows"][2]["seats"][3]["kind"], "premium");

        // A show tomorrow at 20:15, venue time.
        let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1))
            .format("%Y-%m-%d")
            .to_string();
        counter
            .script(
                "const input = document.getElementById('show-start'); input.value = arguments[0]; input.dispatchEvent(new Event('input'));",
                vec![json!(format!("{tomorrow}T20:15"))],
            )
            .await;
        counter.click("#show-form button[type=submit]").await;
        counter
            .until(
                "the show",
                "return document.getElementById('show-status').textContent.startsWith('Created')",
                vec![],
            )
            .await;
        // The day table stays on its day; the clerk goes to tomorrow.
        let today = counter
            .script("return document.getElementById('day-date').value", vec![])
            .await;
        assert_ne!(today, json!(tomorrow), "creating a show jumped the day");
        counter
            .script(
                "document.getElementById('day-date').value = arguments[0]; return true",
                vec![json!(tomorrow)],
            )
            .await;
        counter.click("#day-form button[type=submit]").await;
        counter
            .until(
                "the day's list",
                "return document.querySelectorAll('#day-table tbody tr').length === 1",
                vec![],
            )
            .await;
        let (_, shows) = stage.api("GET", "/v1/shows", None);
        let show = shows["items"][0]["id"]
            .as_str()
            .expect("the show")
            .to_owned();
        // The new show is there to sell at once.
        counter
            .waiting_for(&format!("#sell-shows [data-show='{show}']"))
            .await;
        assert_eq!(
            shows["items"][0]["start"].as_str().unwrap()[..16],
            format!("{tomorrow}T20:15")
        );

        // A customer books two seats; the day shows them sold.
        let booking = stage.create(
            "/v1/bookings",
            &json!({"showId": show, "seats": ["B1", "B2"], "userName": "Fritz", "phoneNumber": "+49 30 1234567"}),
        );
        counter.click("#day-form button[type=submit]").await;
        counter
            .until(
                "the sale",
                "return document.querySelector('#day-table td.sold').textContent === '2'",
                vec![],
            )
            .await;
        assert_eq!(counter.text("#day-table td.available").await, "9");
        counter.fit_for_fingers(16.0).await;
        counter.script("window.scrollTo(0, 0)", vec![]).await;
        stage.shot(&counter, "day").await;

        // Found by phone (never in a URL), moved to other seats, cancelled.
        counter.type_into("#find-query", "+49 30 1234567").await;
        counter.click("#find-form button[type=submit]").await;
        counter
            .until(
                "the booking",
                &format!("return !!document.querySelector(\"#found [data-booking='{booking}']\")"),
                vec![],
            )
            .await;
        counter.click("#found .move").await;
        counter.type_into("#found .move-seats", "C1 C2").await;
        counter.click("#found form button[type=submit]").await;
        counter
            .until(
                "the move",
                "return document.getElementById('found').textContent.includes('Moved.')",
                vec![],
            )
            .await;
        let (_, moved) = stage.api("GET", &format!("/v1/bookings/{booking}"), None);
        assert_eq!(moved["seats"], json!(["C1", "C2"]), "{moved}");
        // Seats another booking has: the counter says so and nothing changes.
        stage.create(
            "/v1/bookings",
            &json!({"showId": show, "seats": ["A3"], "userName": "Maria", "phoneNumber": "5550009999"}),
        );
        counter.click("#found .move").await;
        counter.type_into("#found .move-seats", "A3").await;
        counter.click("#found form button[type=submit]").await;
        counter
            .until(
                "the refusal",
                "return document.querySelector('#found p.error') !== null",
                vec![],
            )
            .await;
        assert!(counter.text("#found p.error").await.contains("A3"));
        stage.shot(&counter, "found").await;
        counter.click("#found .cancel").await;
        counter.click("#found .confirm-cancel").await;
        counter
            .until(
                "the cancellation",
                "return document.querySelector('#found .cancelled') !== null",
                vec![],
            )
            .await;
        stage.shot(&counter, "cancelled").await;
        let (status, _) = stage.api("GET", &format!("/v1/bookings/{booking}"), None);
        assert_eq!(status, 404);
        counter
            .until(
                "the seats back",
                "return document.querySelector('#day-table td.sold').textContent === '1'",
                vec![],
            )
            .await;
        counter.no_uncaught_errors(&[]).await;
        counter.close().await;
    });
}

/// The problem view says the service cannot be reached and offers both ways on.
async fn says_unreachable(kiosk: &Browser) {
    assert_eq!(
        kiosk.text("#problem-text").await,
        "The box office cannot be reached just now. Please check the connection and try again."
    );
    let actions = kiosk.text("#problem-actions").await;
    assert!(
        actions.contains("Try again") && actions.contains("Start over"),
        "{actions}"
    );
}

#[test]
#[ignore = "needs chromium and chromedriver on PATH"]
fn a_lost_connection_is_a_sentence_with_a_way_back() {
    run("connection_lost", &[], None, |stage| async move {
        let (film, show) = seat_map_show(&stage, "Blackout");
        let kiosk = stage.browser().await;
        kiosk.seats_of(&stage.url("/kiosk"), &film, &show).await;
        kiosk.click("#seat-B2").await;
        // The service goes away under the kiosk.
        let killed = Command::new("kill")
            .args(["-KILL", &stage.server.pid().to_string()])
            .status()
            .expect("kill runs");
        assert!(killed.success());
        kiosk.click("#hold").await;
        kiosk.view("problem").await;
        says_unreachable(&kiosk).await;
        stage.shot(&kiosk, "unreachable").await;
        // Trying again asks the (still absent) service for the show afresh,
        // so the problem view is drawn anew: the old buttons are replaced.
        kiosk
            .script(
                "window.oldTryAgain = document.querySelector('#problem-actions button.primary'); return true",
                vec![],
            )
            .await;
        kiosk.click("#problem-actions button.primary").await;
        kiosk
            .until(
                "the problem view drawn again after trying again",
                "return window.oldTryAgain instanceof Element \
                     && !document.contains(window.oldTryAgain) \
                     && document.body.dataset.step === 'problem' \
                     && document.querySelector('#problem-actions button.primary') !== null",
                vec![],
            )
            .await;
        assert_eq!(kiosk.text("#problem-title").await, "Sorry");
        says_unreachable(&kiosk).await;
        kiosk
            .no_uncaught_errors(&["net::ERR_CONNECTION_REFUSED"])
            .await;
        kiosk.close().await;
    });
}

/// Rows A to H of sixteen seats, aisles after seats 4 and 12: A1 is a
/// wheelchair place with its companion seat A2, row H is premium, C8 is
/// not for sale. Wider than a phone.
fn wide_room() -> Value {
    let rows: Vec<Value> = ["A", "B", "C", "D", "E", "F", "G", "H"]
        .iter()
        .map(|label| {
            let seats: Vec<Value> = (1..=16)
                .map(|number| {
                    let mut seat = json!({"number": number.to_string()});
                    if number == 4 || number == 12 {
                        seat["aisleAfter"] = json!(true);
                    }
                    match (*label, number) {
                        ("A", 1) => seat["kind"] = json!("wheelchair"),
                        ("A", 2) => seat["kind"] = json!("companion"),
                        ("C", 8) => seat["blocked"] = json!(true),
                        ("H", _) => seat["kind"] = json!("premium"),
                        _ => {}
                    }
                    seat
                })
                .collect();
            json!({"label": label, "seats": seats})
        })
        .collect();
    json!({"name": "Big One", "rows": rows})
}

/// The number of seats held on `show` now.
fn held(stage: &Stage, show: &str) -> Value {
    stage.api("GET", &format!("/v1/shows/{show}"), None).1["held"].clone()
}

#[test]
#[ignore = "needs chromium and chromedriver on PATH"]
fn on_a_phone_every_seat_is_reachable_and_the_hold_button_stays_in_view() {
    // The customer goes Back and holds the seats Back released: no cooldown
    // here (the limits have tests of their own).
    let env = [("ROCKET_HOLD_COOLDOWN", "0s")];
    run("phone", &env, None, |stage| async move {
        let screen = stage.create("/v1/screens", &wide_room());
        let film = stage.create(
            "/v1/films",
            &json!({"title": "A Very Long Title For A Small Screen", "runtimeMinutes": 100}),
        );
        let show = stage.create(
            "/v1/shows",
            &json!({"screenId": screen, "filmId": film, "start": hours_from_now(3)}),
        );
        let kiosk = stage.browser().await;
        kiosk.viewport(390, 844).await;
        kiosk.seats_of(&stage.url("/kiosk"), &film, &show).await;
        kiosk.view("seats").await;
        assert_eq!(kiosk.count("button.seat").await, 128);
        // The steps say where the customer is.
        assert_eq!(kiosk.text("#steps [aria-current=step]").await, "Seats");
        // Every seat, the left ones (A1, A2) too, can be reached and touched.
        assert_eq!(kiosk.unreachable_seats("#seat-area").await, json!([]));
        assert!(kiosk.fits_sideways().await, "the page scrolls sideways");
        // The legend names every kind and state, and the limit is said.
        let legend = kiosk.text(".legend").await;
        for word in [
            "Free",
            "Yours",
            "Held",
            "Taken",
            "Premium",
            "Wheelchair place",
            "Companion seat",
            "Not for sale",
        ] {
            assert!(legend.contains(word), "{word} missing from {legend}");
        }
        assert!(kiosk.text("#pick-bar").await.contains("Up to 10 seats"));
        kiosk.fit_for_fingers(20.0).await;
        stage.shot(&kiosk, "phone-seats").await;
        // The wheelchair place offers its companion seat.
        kiosk.click("#seat-A1").await;
        kiosk
            .until(
                "the companion prompt",
                "return document.getElementById('companion-dialog').open",
                vec![],
            )
            .await;
        assert!(kiosk.text("#companion-text").await.contains("A2"));
        stage.shot(&kiosk, "companion").await;
        kiosk.click("#companion-add").await;
        assert_eq!(kiosk.text("#seats-summary").await, "Your seats: A1, A2");
        // Scrolled to the far right of the room, the bar is still in view.
        kiosk
            .script(
                "document.getElementById('seat-H16').scrollIntoView({block: 'center', inline: 'center'}); return true",
                vec![],
            )
            .await;
        assert!(
            kiosk.in_view("#hold").await,
            "the hold button is off screen"
        );
        assert!(kiosk.in_view("#seats-summary").await);
        // Ten seats at most, said on screen.
        for seat in ["B5", "B6", "B7", "B8", "B9", "B10", "B11", "B12"] {
            kiosk.click(&format!("#seat-{seat}")).await;
        }
        kiosk.click("#seat-B13").await;
        assert!(
            kiosk.text("#seats-summary").await.contains("at most 10"),
            "{}",
            kiosk.text("#seats-summary").await
        );
        assert_eq!(
            kiosk
                .element("#seat-B13")
                .await
                .attr("aria-pressed")
                .await
                .unwrap(),
            Some("false".into())
        );
        for seat in ["B5", "B6", "B7", "B8", "B9", "B10", "B11", "B12"] {
            kiosk.click(&format!("#seat-{seat}")).await;
        }
        stage.shot(&kiosk, "phone-picked").await;
        kiosk.click("#hold").await;
        kiosk.view("details").await;
        assert_eq!(held(&stage, &show), 2);
        // Back in the browser lets the hold go and shows the seats again.
        kiosk.client.back().await.expect("back");
        kiosk.view("seats").await;
        let started = Instant::now();
        while held(&stage, &show) != 0 {
            assert!(started.elapsed() < PATIENCE, "Back left the hold alive");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(kiosk.text("#seats-summary").await, "Your seats: A1, A2");
        kiosk.click("#hold").await;
        kiosk.view("details").await;
        kiosk.type_into("#user-name", "Pat").await;
        kiosk.type_into("#phone", "07700 900456").await;
        kiosk.click("#confirm").await;
        kiosk.view("done").await;
        // The 26-character number wraps inside its card.
        let inside = kiosk
            .script(
                "const id = document.getElementById('done-id').getBoundingClientRect(); \
                 const card = document.querySelector('#view-done .ticket').getBoundingClientRect(); \
                 return id.right <= card.right && card.right <= innerWidth",
                vec![],
            )
            .await;
        assert_eq!(inside, json!(true), "the booking number leaves its card");
        // The short reference, large, is the booking's.
        let id = kiosk.text("#done-id").await;
        let (_, booking) = stage.api("GET", &format!("/v1/bookings/{id}"), None);
        assert_eq!(
            json!(kiosk.text("#done-reference").await),
            booking["reference"]
        );
        let size = kiosk
            .script("return parseFloat(getComputedStyle(document.getElementById('done-reference')).fontSize)", vec![])
            .await;
        assert!(size.as_f64().unwrap() >= 36.0, "{size}");
        assert!(kiosk.fits_sideways().await, "the page scrolls sideways");
        stage.shot(&kiosk, "phone-booked").await;
        // The narrowest phone reaches every seat too.
        kiosk.viewport(320, 640).await;
        kiosk.seats_of(&stage.url("/kiosk"), &film, &show).await;
        kiosk.view("seats").await;
        assert_eq!(kiosk.unreachable_seats("#seat-area").await, json!([]));
        assert!(kiosk.in_view("#hold").await);
        stage.shot(&kiosk, "narrow-seats").await;
        kiosk.no_uncaught_errors(&[]).await;
        kiosk.close().await;
    });
}

/// A start `seconds` from now, to the second, as the API takes it.
fn seconds_from_now(seconds: i64) -> (String, chrono::DateTime<chrono::Utc>) {
    let start = chrono::Utc::now() + chrono::Duration::seconds(seconds);
    (start.format("%Y-%m-%dT%H:%M:%SZ").to_string(), start)
}

#[test]
#[ignore = "needs chromium and chromedriver on PATH"]
fn a_started_show_is_never_offered_and_seats_are_read_afresh() {
    run("fresh", &[], None, |stage| async move {
        let screen = stage.create("/v1/screens", &small_room());
        let film = stage.create(
            "/v1/films",
            &json!({"title": "Now Showing", "runtimeMinutes": 100}),
        );
        let (soon_start, soon_at) = seconds_from_now(12);
        let soon = stage.create(
            "/v1/shows",
            &json!({"screenId": screen, "filmId": film, "start": soon_start}),
        );
        let later = stage.create(
            "/v1/shows",
            &json!({"screenId": screen, "filmId": film, "start": hours_from_now(4)}),
        );
        let kiosk = stage.browser().await;
        kiosk.viewport(1080, 1920).await;
        kiosk
            .seats_of(&stage.url("/kiosk?refresh=1"), &film, &soon)
            .await;
        kiosk.view("seats").await;
        assert_eq!(kiosk.unreachable_seats("#seat-area").await, json!([]));
        kiosk.click("#seat-C3").await;
        assert!(kiosk.in_view("#hold").await);
        stage.shot(&kiosk, "portrait-seats").await;
        // Meanwhile the later show sells three seats.
        stage.create(
            "/v1/bookings",
            &json!({"showId": later, "count": 3, "userName": "Bo", "phoneNumber": "5550000001"}),
        );
        let wait = (soon_at - chrono::Utc::now()).to_std().unwrap_or_default();
        tokio::time::sleep(wait + Duration::from_millis(300)).await;
        // The show has started under the customer: too late, and the
        // other shows are read afresh, the started one left out.
        kiosk.view("problem").await;
        assert_eq!(kiosk.text("#problem-title").await, "Too late");
        stage.shot(&kiosk, "too-late").await;
        kiosk.click("#problem-actions button.primary").await;
        kiosk.view("shows").await;
        assert_eq!(kiosk.count(&format!("button[data-show='{soon}']")).await, 0);
        assert!(kiosk
            .text(&format!("button[data-show='{later}']"))
            .await
            .contains("36 seats left"));
        stage.shot(&kiosk, "fresh-shows").await;
        // While the map is shown it is read again: a seat sold elsewhere
        // goes grey, and a picked one is dropped with a word why.
        kiosk.viewport(1920, 1080).await;
        kiosk.click(&format!("button[data-show='{later}']")).await;
        kiosk.view("seats").await;
        kiosk.click("#seat-D5").await;
        kiosk.click("#seat-D6").await;
        assert!(
            kiosk.in_view("#hold").await,
            "the hold button is below the fold"
        );
        stage.create(
            "/v1/bookings",
            &json!({"showId": later, "seats": ["D6", "E1"], "userName": "Cy", "phoneNumber": "5550000002"}),
        );
        kiosk
            .until(
                "the seats read again",
                "return document.getElementById('seat-E1').disabled && document.getElementById('seat-D6').disabled",
                vec![],
            )
            .await;
        let summary = kiosk.text("#seats-summary").await;
        assert!(summary.contains("D6 was just taken"), "{summary}");
        assert!(summary.contains("Your seats: D5"), "{summary}");
        stage.shot(&kiosk, "landscape-fresh").await;
        kiosk.no_uncaught_errors(&[]).await;
        kiosk.close().await;
    });
}

#[test]
#[ignore = "needs chromium and chromedriver on PATH"]
fn the_kiosk_asks_before_the_hold_or_the_idle_time_runs_out() {
    let env = [("ROCKET_HOLD_FOR", "63s")];
    run("more_time", &env, None, |stage| async move {
        let (film, show) = seat_map_show(&stage, "Tick Tock");
        let kiosk = stage.browser().await;
        kiosk.viewport(1080, 1920).await;
        kiosk
            .seats_of(&stage.url("/kiosk?idle=9"), &film, &show)
            .await;
        kiosk.click("#seat-D4").await;
        kiosk.click("#hold").await;
        kiosk.view("details").await;
        assert_eq!(kiosk.text("#steps [aria-current=step]").await, "Details");
        kiosk
            .until(
                "the hold's warning",
                "return !document.getElementById('hold-warning').hidden",
                vec![],
            )
            .await;
        assert!(kiosk
            .text("#hold-warning")
            .await
            .contains("Need more time?"));
        kiosk
            .until(
                "the idle prompt",
                "return document.getElementById('idle-dialog').open",
                vec![],
            )
            .await;
        stage.shot(&kiosk, "need-more-time").await;
        kiosk.click("#idle-more").await;
        tokio::time::sleep(Duration::from_secs(4)).await;
        kiosk.view("details").await;
        assert_eq!(held(&stage, &show), 1, "the customer kept the seats");
        kiosk.no_uncaught_errors(&[]).await;
        kiosk.close().await;
    });
}

/// The counter open at 1366 × 768 with the staff token given.
async fn counter_at_a_till(stage: &Stage) -> Browser {
    let counter = stage.browser().await;
    counter.viewport(1366, 768).await;
    counter.open(&stage.url("/counter")).await;
    counter
        .until(
            "the day",
            "return document.getElementById('day-status').textContent !== ''",
            vec![],
        )
        .await;
    counter
}

/// What a person sees on each button under `scope` that its accessible
/// name does not contain (axe's label-content-name-mismatch).
async fn names_that_hide_their_text(browser: &Browser, scope: &str) -> Value {
    browser
        .script(
            r"
            const found = [];
            const visibleText = (node) => {
              if (node.nodeType === Node.TEXT_NODE) return node.textContent;
              if (node.getAttribute && node.getAttribute('aria-hidden') === 'true') return '';
              return [...node.childNodes].map(visibleText).join('');
            };
            for (const button of document.querySelectorAll(arguments[0] + ' button')) {
              const text = visibleText(button).trim().toLowerCase();
              const name = (button.getAttribute('aria-label') || button.textContent).toLowerCase();
              const words = name.split(/[^a-z0-9]+/);
              if (text && !(words.includes(text) || name.startsWith(text))) {
                found.push(`${text} / ${name}`);
              }
            }
            return found;
            ",
            vec![json!(scope)],
        )
        .await
}

#[test]
#[ignore = "needs chromium and chromedriver on PATH"]
fn the_counter_confirms_deletes_with_undo_and_sends_each_write_once() {
    run("counter_safety", &[], None, |stage| async move {
        // Six shows on one day, on six screens.
        let film = stage.create(
            "/v1/films",
            &json!({"title": "Rush Hour", "runtimeMinutes": 98}),
        );
        let start = hours_from_now(2);
        let mut shows = Vec::new();
        for number in 1..=6 {
            let body = if number == 1 {
                let mut room = small_room();
                room["name"] = json!("Hall 1");
                room
            } else {
                json!({"name": format!("Hall {number}"), "capacity": 50})
            };
            let screen = stage.create("/v1/screens", &body);
            shows.push(stage.create(
                "/v1/shows",
                &json!({"screenId": screen, "filmId": film, "start": start}),
            ));
        }
        let booking = stage.create(
            "/v1/bookings",
            &json!({"showId": shows[0], "seats": ["B1", "B2"], "userName": "Fritz", "phoneNumber": "07700 900456"}),
        );
        let counter = counter_at_a_till(&stage).await;
        counter
            .script(
                "document.getElementById('day-date').value = arguments[0]; return true",
                vec![json!(&start[..10])],
            )
            .await;
        counter.click("#day-form button[type=submit]").await;
        counter
            .until(
                "the six shows",
                "return document.querySelectorAll('#day-table tbody tr').length === 6",
                vec![],
            )
            .await;
        // At 768 px, from the Day link, every show of the day and its
        // buttons are in view.
        counter.click("header a[href='#day']").await;
        for show in &shows {
            assert!(
                counter
                    .in_view(&format!("#day-table tr[data-show='{show}'] button.delete"))
                    .await,
                "{show} is below the fold"
            );
        }
        counter.fit_for_fingers(16.0).await;
        stage.shot(&counter, "day").await;
        // Bookings takes the clerk to the list.
        counter
            .click(&format!(
                "#day-table tr[data-show='{}'] button.bookings",
                shows[0]
            ))
            .await;
        counter
            .until(
                "the list in focus",
                "return document.activeElement && document.activeElement.id === 'show-bookings-title'",
                vec![],
            )
            .await;
        assert!(counter.in_view("#show-bookings-title").await);
        stage.shot(&counter, "bookings").await;
        // Delete: asked, then held back behind Undo; undone, nothing is sent.
        counter
            .script("window.scrollTo(0, 0); return true", vec![])
            .await;
        let row = format!("#day-table tr[data-show='{}']", shows[5]);
        counter.click(&format!("{row} button.delete")).await;
        counter.click(&format!("{row} button.confirm-delete")).await;
        counter.waiting_for("#undo-bar:not([hidden])").await;
        assert!(counter.text("#undo-text").await.starts_with("Deleting"));
        stage.shot(&counter, "undo").await;
        counter.click("#undo").await;
        tokio::time::sleep(Duration::from_secs(6)).await;
        let (status, _) = stage.api("GET", &format!("/v1/shows/{}", shows[5]), None);
        assert_eq!(status, 200, "an undone delete was sent");
        // Confirmed and let be, it is sent after the bar has gone.
        counter.click(&format!("{row} button.delete")).await;
        counter.click(&format!("{row} button.confirm-delete")).await;
        let asked = Instant::now();
        tokio::time::sleep(Duration::from_secs(3)).await;
        let (status, _) = stage.api("GET", &format!("/v1/shows/{}", shows[5]), None);
        assert_eq!(status, 200, "the delete did not wait for its Undo");
        counter
            .until(
                "the show gone",
                "return document.querySelectorAll('#day-table tbody tr').length === 5",
                vec![],
            )
            .await;
        assert!(asked.elapsed() >= Duration::from_secs(5));
        let (status, _) = stage.api("GET", &format!("/v1/shows/{}", shows[5]), None);
        assert_eq!(status, 404);

        // A double press of Add film adds one film; the same title again
        // is questioned first.
        counter.type_into("#film-title", "Twice Told").await;
        counter.type_into("#film-runtime", "90").await;
        counter
            .script(
                "const button = document.querySelector('#film-form button[type=submit]'); \
                 button.click(); button.click(); \
                 document.getElementById('film-form').requestSubmit(); return true",
                vec![],
            )
            .await;
        counter
            .until(
                "the film",
                "return document.getElementById('film-status').textContent.startsWith('Added')",
                vec![],
            )
            .await;
        let titled = |stage: &Stage, title: &str| {
            let (_, films) = stage.api("GET", "/v1/films", None);
            films["items"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|film| film["title"] == title)
                .count()
        };
        assert_eq!(titled(&stage, "Twice Told"), 1);
        counter.type_into("#film-title", "twice told").await;
        counter.type_into("#film-runtime", "90").await;
        counter.click("#film-form button[type=submit]").await;
        counter
            .until(
                "the question",
                "return document.getElementById('film-status').textContent.includes('already a film')",
                vec![],
            )
            .await;
        assert_eq!(titled(&stage, "Twice Told"), 1);

        // Found by phone with the country code, moved on the map.
        counter.type_into("#find-query", "+44 7700 900456").await;
        counter.click("#find-form button[type=submit]").await;
        counter
            .waiting_for(&format!("#found [data-booking='{booking}']"))
            .await;
        counter.click("#found .move").await;
        counter.waiting_for("#found .move-map button.seat").await;
        assert_eq!(counter.count("#found .move-map button.seat").await, 40);
        assert_eq!(
            names_that_hide_their_text(&counter, "#found .move-map").await,
            json!([])
        );
        counter.type_into("#found .move-seats", "").await;
        counter.click("#found .move-map [data-seat='D1']").await;
        counter.click("#found .move-map [data-seat='D2']").await;
        assert_eq!(
            counter
                .script(
                    "return document.querySelector('#found .move-seats').value",
                    vec![]
                )
                .await,
            json!("D1 D2")
        );
        stage.shot(&counter, "move-map").await;
        counter.click("#found form button[type=submit]").await;
        counter
            .until(
                "the move",
                "return document.getElementById('found').textContent.includes('Moved.')",
                vec![],
            )
            .await;
        let (_, moved) = stage.api("GET", &format!("/v1/bookings/{booking}"), None);
        assert_eq!(moved["seats"], json!(["D1", "D2"]), "{moved}");

        // The layout preview's buttons are named for what they show.
        counter
            .type_into("#screen-layout", "A: 1w 2c | 3 4p\nB: 1 2 3x 4")
            .await;
        assert_eq!(
            names_that_hide_their_text(&counter, "#layout-preview").await,
            json!([])
        );
        counter.no_uncaught_errors(&[]).await;
        counter.close().await;
    });
}

#[test]
#[ignore = "needs chromium and chromedriver on PATH"]
fn the_counter_sells_to_a_walk_up_from_the_keyboard_and_prints_the_booking() {
    run("walk_up", &[], None, |stage| async move {
        let (_film, show) = seat_map_show(&stage, "Walk This Way");
        let hall = stage.create("/v1/screens", &json!({"name": "Hall", "capacity": 30}));
        let later_film = stage.create(
            "/v1/films",
            &json!({"title": "Later On", "runtimeMinutes": 90}),
        );
        let later = stage.create(
            "/v1/shows",
            &json!({"screenId": hall, "filmId": later_film, "start": hours_from_now(5)}),
        );
        let counter = counter_at_a_till(&stage).await;
        counter.waiting_for("#sell-shows button").await;
        // The next show is at the top; the keys are said on screen.
        let first = counter
            .script(
                "return document.querySelector('#sell-shows button').dataset.show",
                vec![],
            )
            .await;
        assert_eq!(first, json!(show));
        assert!(counter.text("#shortcuts").await.contains("sell"));
        counter
            .script(
                "document.getElementById('find-query').focus(); return true",
                vec![],
            )
            .await;
        let alt = |key: char| {
            KeyActions::new("keyboard".into())
                .then(KeyAction::Down {
                    value: Key::Alt.into(),
                })
                .then(KeyAction::Down { value: key })
                .then(KeyAction::Up { value: key })
                .then(KeyAction::Up {
                    value: Key::Alt.into(),
                })
        };
        counter
            .client
            .perform_actions(alt('s'))
            .await
            .expect("Alt+S");
        counter
            .until(
                "the first show in focus",
                "return document.activeElement && document.activeElement.dataset.show === arguments[0]",
                vec![json!(show)],
            )
            .await;
        counter.enter().await;
        counter
            .until(
                "a seat in focus",
                "return document.activeElement && document.activeElement.matches('#sell-seats button.seat')",
                vec![],
            )
            .await;
        counter.click("#sell-seats [data-seat='C3']").await;
        counter.click("#sell-seats [data-seat='C4']").await;
        stage.shot(&counter, "sell-seats").await;
        // No name, no phone: a walk-up.
        counter.click("#sell-submit").await;
        counter.waiting_for("#sell-done:not([hidden])").await;
        counter
            .until(
                "Print in focus",
                "return document.activeElement && document.activeElement.id === 'sell-print'",
                vec![],
            )
            .await;
        counter
            .until(
                "the QR code",
                "const img = document.getElementById('receipt-qr-image'); return !!img && img.complete && img.naturalWidth > 100",
                vec![],
            )
            .await;
        // The 26-character number stays inside the receipt.
        let inside = counter
            .script(
                "const id = document.getElementById('receipt-id').getBoundingClientRect(); \
                 const card = document.getElementById('receipt').getBoundingClientRect(); \
                 return id.right <= card.right && card.right <= innerWidth",
                vec![],
            )
            .await;
        assert_eq!(inside, json!(true), "the booking number leaves the receipt");
        let id = counter.text("#receipt-id").await;
        let (_, booking) = stage.api("GET", &format!("/v1/bookings/{id}"), None);
        assert_eq!(booking["seats"], json!(["C3", "C4"]), "{booking}");
        assert_eq!(booking["userName"], Value::Null, "{booking}");
        assert_eq!(booking["phoneNumber"], Value::Null, "{booking}");
        assert_eq!(
            json!(counter.text("#receipt-reference").await),
            booking["reference"]
        );
        assert_eq!(counter.text("#receipt-name").await, "Walk-up");
        let (_, details) = stage.api("GET", &format!("/api/user-details?ticketId={id}"), None);
        assert_eq!(
            details["userDetails"],
            json!({"userName": "Walk-up", "phoneNumber": ""})
        );
        stage.shot(&counter, "receipt").await;
        // The print view: the receipt alone, at most 80 mm wide.
        let session = counter.client.session_id().await.unwrap().unwrap();
        ureq::post(&format!(
            "{}/session/{session}/goog/cdp/execute",
            counter.driver
        ))
        .send_json(json!({"cmd": "Emulation.setEmulatedMedia", "params": {"media": "print"}}))
        .expect("print media");
        let printed = counter
            .script(
                "const receipt = document.getElementById('receipt').getBoundingClientRect(); \
                 const shown = (id) => document.getElementById(id).getClientRects().length > 0; \
                 return [receipt.width, shown('day'), shown('sell-print'), \
                         getComputedStyle(document.querySelector('header.bar')).display]",
                vec![],
            )
            .await;
        assert!(
            printed[0].as_f64().unwrap() <= 80.0 * 96.0 / 25.4,
            "{printed}"
        );
        assert_eq!(printed[1], json!(false), "{printed}");
        assert_eq!(printed[2], json!(false), "{printed}");
        assert_eq!(printed[3], json!("none"), "{printed}");
        stage.shot(&counter, "print-view").await;
        ureq::post(&format!(
            "{}/session/{session}/goog/cdp/execute",
            counter.driver
        ))
        .send_json(json!({"cmd": "Emulation.setEmulatedMedia", "params": {"media": ""}}))
        .expect("screen media");
        // Next sale by key: a count on free seating, with a name and phone.
        counter
            .client
            .perform_actions(alt('n'))
            .await
            .expect("Alt+N");
        // The list is read again, then its first show has the focus.
        counter
            .until(
                "the shows read again",
                "return !!document.activeElement && !!document.activeElement.closest('#sell-shows')",
                vec![],
            )
            .await;
        counter
            .click(&format!("#sell-shows [data-show='{later}']"))
            .await;
        counter
            .until(
                "the count in focus",
                "return document.activeElement && document.activeElement.matches('#sell-types input.type-count')",
                vec![],
            )
            .await;
        counter.type_into("#sell-types input.type-count", "3").await;
        counter.type_into("#sell-name", "Dana").await;
        counter.type_into("#sell-phone", "+44 7700 900123").await;
        counter.click("#sell-submit").await;
        counter.waiting_for("#sell-done:not([hidden])").await;
        assert_eq!(counter.text("#receipt-seats").await, "3 (free seating)");
        let reference = counter.text("#receipt-reference").await;
        // One box finds by reference (any case), number or phone.
        counter
            .client
            .perform_actions(alt('f'))
            .await
            .expect("Alt+F");
        counter
            .until(
                "the search box in focus",
                "return document.activeElement && document.activeElement.id === 'find-query'",
                vec![],
            )
            .await;
        counter.press(&reference.to_lowercase()).await;
        counter.enter().await;
        counter
            .until(
                "the booking found by its reference",
                "return document.getElementById('find-status').textContent === 'Found 1 booking.'",
                vec![],
            )
            .await;
        assert!(counter.text("#found").await.contains("Dana"));
        counter.type_into("#find-query", &id).await;
        counter.enter().await;
        counter
            .waiting_for(&format!("#found [data-booking='{id}']"))
            .await;
        assert!(counter.text("#found").await.contains("Walk-up"));
        counter.type_into("#find-query", "07700 900123").await;
        counter.enter().await;
        counter
            .until(
                "the booking found by phone",
                "return document.getElementById('found').textContent.includes('Dana')",
                vec![],
            )
            .await;
        counter.fit_for_fingers(16.0).await;
        counter.no_uncaught_errors(&[]).await;
        counter.close().await;
    });
}

/// axe-core finds nothing serious or critical on either page, in its main
/// states, at the viewports the pages are used at.
#[test]
#[ignore = "needs chromium, chromedriver and axe-core (npm ci --prefix scripts/a11y)"]
fn the_pages_have_no_serious_accessibility_problems() {
    run("accessibility", &[], None, |stage| async move {
        let (film, show) = seat_map_show(&stage, "Clear View");
        let booking = stage.create(
            "/v1/bookings",
            &json!({"showId": show, "seats": ["E1"], "userName": "Ida", "phoneNumber": "5550003333"}),
        );
        let mut problems = Vec::new();
        let kiosk = stage.browser().await;
        kiosk.viewport(1080, 1920).await;
        let mut check = |state: &str, found: Value| {
            if found != json!([]) {
                problems.push(format!("{state}: {found}"));
            }
        };
        kiosk.open(&stage.url("/kiosk")).await;
        kiosk.waiting_for("button.film").await;
        check("kiosk films", kiosk.accessibility_problems().await);
        kiosk.click(&format!("button[data-film='{film}']")).await;
        kiosk.view("shows").await;
        check("kiosk shows", kiosk.accessibility_problems().await);
        kiosk.click(&format!("button[data-show='{show}']")).await;
        kiosk.view("seats").await;
        kiosk.click("#seat-C3").await;
        check("kiosk seats", kiosk.accessibility_problems().await);
        kiosk.click("#hold").await;
        kiosk.view("details").await;
        check("kiosk details", kiosk.accessibility_problems().await);
        kiosk.type_into("#user-name", "Ada").await;
        kiosk.type_into("#phone", "5550004444").await;
        kiosk.click("#confirm").await;
        kiosk.view("done").await;
        check("kiosk booked", kiosk.accessibility_problems().await);
        kiosk.close().await;

        let counter = counter_at_a_till(&stage).await;
        counter.waiting_for("#sell-shows button").await;
        // The day of the show, whatever the hour now.
        let (_, one) = stage.api("GET", &format!("/v1/shows/{show}"), None);
        let day = one["start"].as_str().expect("a start")[..10].to_owned();
        counter
            .script(
                "document.getElementById('day-date').value = arguments[0]; return true",
                vec![json!(day)],
            )
            .await;
        counter.click("#day-form button[type=submit]").await;
        counter.waiting_for("#day-table tbody tr").await;
        check("counter day", counter.accessibility_problems().await);
        counter
            .click(&format!("#sell-shows [data-show='{show}']"))
            .await;
        counter.waiting_for("#sell-seats button.seat").await;
        check("counter sale seats", counter.accessibility_problems().await);
        counter.click("#sell-seats [data-seat='D4']").await;
        counter.click("#sell-submit").await;
        counter.waiting_for("#sell-done:not([hidden])").await;
        check("counter receipt", counter.accessibility_problems().await);
        counter.type_into("#find-query", &booking).await;
        counter.click("#find-form button[type=submit]").await;
        counter
            .waiting_for(&format!("#found [data-booking='{booking}']"))
            .await;
        counter.click("#found .move").await;
        counter.waiting_for("#found .move-map button.seat").await;
        counter
            .type_into("#screen-layout", "A: 1w 2c | 3 4p\nB: 1 2 3x 4")
            .await;
        check(
            "counter booking, move and layout",
            counter.accessibility_problems().await,
        );
        counter.click("#card-new").await;
        counter.waiting_for("#card-prices input.price").await;
        counter
            .script(
                "document.getElementById('preview-show').value = arguments[0]; return true",
                vec![json!(show)],
            )
            .await;
        counter.click("#preview-form button[type=submit]").await;
        counter.waiting_for("#preview-why").await;
        check(
            "counter price card and a show's prices",
            counter.accessibility_problems().await,
        );
        counter.close().await;
        assert!(problems.is_empty(), "{problems:#?}");
    });
}

/// Lighthouse scores accessibility 100 on both pages in every main state
/// (kiosk: films, seat map, details, done, on the panel and on a phone;
/// counter: the day, a walk-up sale, its receipt, a booking and its move,
/// a price card and a show's prices),
/// in a small cinema `scripts/a11y/lighthouse.mjs` fills itself. Without
/// node or Lighthouse (`npm ci --prefix scripts/a11y`) it fails.
#[test]
#[ignore = "needs chromium, chromedriver, node and Lighthouse (npm ci --prefix scripts/a11y)"]
fn lighthouse_scores_both_pages_100_for_accessibility() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let script = root.join("scripts/a11y/lighthouse.mjs");
    let node = find_program(&["node", "nodejs"]);
    let installed = root
        .join("scripts/a11y/node_modules/lighthouse/package.json")
        .is_file();
    let Some(node) = node.filter(|_| installed) else {
        panic!("node and Lighthouse are needed (npm ci --prefix scripts/a11y)");
    };
    run("lighthouse", &[], None, |stage| async move {
        let base = stage.url("");
        let output = Command::new(node)
            .arg(&script)
            .arg("accessibility")
            .arg(base.trim_end_matches('/'))
            .env("CHROME_PATH", &stage.chromium)
            .env("LIGHTHOUSE_FAILURE_SHOT", stage.shots.join("failure.png"))
            .stdin(Stdio::null())
            .output()
            .expect("node runs");
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        eprintln!("{said}");
        assert!(
            output.status.success(),
            "Lighthouse accessibility is below 100 or could not run:\n{said}"
        );
        assert!(said.contains("100 in every state"), "{said}");
    });
}

#[test]
fn the_counter_signs_in_with_a_password_shows_who_and_signs_out() {
    let env = [("ROCKET_ADMIN_TOKEN", "boss")];
    run("counter-sign-in", &env, Some("boss"), |stage| async move {
        let (status, made) = stage.api(
            "POST",
            "/v1/staff",
            Some(&json!({"login": "asha", "displayName": "Asha", "role": "admin", "password": "correct horse battery"})),
        );
        assert_eq!(status, 201, "{made}");
        let counter = stage.browser().await;
        counter.open(&stage.url("/counter")).await;
        counter
            .until(
                "the sign-in prompt",
                "return document.getElementById('token-dialog').open",
                vec![],
            )
            .await;
        counter.type_into("#login", "asha").await;
        counter.type_into("#password", "wrong password").await;
        counter.click("#token-dialog button[type=submit]").await;
        counter
            .until(
                "a refusal",
                "return document.querySelector('#token-dialog .token-note').textContent.includes('do not match')",
                vec![],
            )
            .await;
        // The wrong password made the next try wait a second.
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        counter
            .type_into("#password", "correct horse battery")
            .await;
        counter.click("#token-dialog button[type=submit]").await;
        counter
            .until(
                "who is signed in",
                "return document.getElementById('who').textContent === 'Signed in as asha (admin)'",
                vec![],
            )
            .await;
        stage.shot(&counter, "signed-in").await;
        let cookie_seen = counter
            .script(
                "return document.cookie.includes('boxoffice_session')",
                vec![],
            )
            .await;
        assert_eq!(cookie_seen, json!(false), "the session cookie is HttpOnly");
        // A write signed by the cookie (and its CSRF token).
        counter.type_into("#film-title", "Metropolis").await;
        counter.type_into("#film-runtime", "153").await;
        counter.click("#film-form button[type=submit]").await;
        counter
            .until(
                "the film",
                "return document.getElementById('film-status').textContent.includes('Metropolis')",
                vec![],
            )
            .await;
        let (_, trail) = stage.api("GET", "/v1/audit?action=session.open", None);
        assert_eq!(trail["items"][0]["actor"], "asha", "{trail}");
        counter.click("#sign-out").await;
        counter
            .until(
                "the sign-in prompt again",
                "return document.getElementById('token-dialog').open",
                vec![],
            )
            .await;
        let (_, trail) = stage.api("GET", "/v1/audit?action=session.close", None);
        assert_eq!(trail["items"][0]["actor"], "asha", "{trail}");
        counter.no_uncaught_errors(&[]).await;
        counter.close().await;
    });
}

#[test]
fn a_kiosk_set_up_with_its_key_in_the_address_keeps_it_and_may_only_sell() {
    let env = [("ROCKET_ADMIN_TOKEN", "boss")];
    run("kiosk-key", &env, Some("boss"), |stage| async move {
        let (status, made) = stage.api(
            "POST",
            "/v1/keys",
            Some(&json!({"name": "kiosk-lobby", "role": "kiosk"})),
        );
        assert_eq!(status, 201, "{made}");
        let key = made["key"].as_str().unwrap().to_owned();
        let kiosk = stage.browser().await;
        kiosk.open(&stage.url(&format!("/kiosk#key={key}"))).await;
        kiosk
            .until(
                "the key kept, out of the address",
                "return localStorage.getItem('boxoffice.kiosk.token') === arguments[0] && location.hash === ''",
                vec![json!(key)],
            )
            .await;
        let asked = kiosk
            .script(
                "return document.getElementById('token-dialog').open",
                vec![],
            )
            .await;
        assert_eq!(asked, json!(false), "no prompt: the key is taken");
        // What the key may not do, the page cannot do either.
        kiosk
            .script(
                "window.refusedWith = null; fetch('/v1/films', {method: 'POST', headers: {'Content-Type': 'application/json', Authorization: 'Bearer ' + localStorage.getItem('boxoffice.kiosk.token')}, body: JSON.stringify({title: 'X', runtimeMinutes: 90})}).then((r) => { window.refusedWith = r.status; }); return true;",
                vec![],
            )
            .await;
        kiosk
            .until("a 403", "return window.refusedWith === 403", vec![])
            .await;
        kiosk.no_uncaught_errors(&[]).await;
        let (_, films) = stage.api("GET", "/v1/films", None);
        assert_eq!(films["items"], json!([]), "a kiosk key made no film");
        kiosk.close().await;
    });
}

/// Presses the button `id` twice in one go, as a hasty finger does.
async fn press_twice(browser: &Browser, id: &str) {
    browser
        .script(
            "const button = document.getElementById(arguments[0]); \
             button.click(); button.click(); return true",
            vec![json!(id)],
        )
        .await;
}

/// On a phone, before a hold runs out, the kiosk offers "More time"; it
/// gets the hold's first length again from now, so the seats are still
/// held after the first expiry and the booking goes through. A double
/// press of Hold, More time or Confirm sends it once, with its key.
#[test]
#[ignore = "needs chromium and chromedriver on PATH"]
fn on_a_phone_more_time_keeps_the_hold() {
    let env = [("ROCKET_HOLD_FOR", "20s")];
    run("more_time_phone", &env, None, |stage| async move {
        let (film, show) = seat_map_show(&stage, "Extra Time");
        let kiosk = stage.browser().await;
        kiosk.viewport(390, 844).await;
        kiosk
            .seats_of(&stage.url("/kiosk?idle=600"), &film, &show)
            .await;
        kiosk.click("#seat-D4").await;
        // Every write the page sends from here on is noted with its key.
        kiosk
            .script(
                "window.sent = []; const original = window.fetch; \
                 window.fetch = (url, init = {}) => { \
                   const method = init.method || 'GET'; \
                   if (method !== 'GET') sent.push([method, String(url), (init.headers || {})['Idempotency-Key'] || null]); \
                   return original(url, init); }; return true",
                vec![],
            )
            .await;
        // A double press holds once.
        press_twice(&kiosk, "hold").await;
        let first = Instant::now();
        kiosk.view("details").await;
        assert_eq!(held(&stage, &show), 1);
        kiosk.type_into("#user-name", "Tia Long").await;
        kiosk.type_into("#phone", "5550007777").await;
        kiosk
            .until(
                "the hold's warning",
                "return !document.getElementById('hold-warning').hidden",
                vec![],
            )
            .await;
        assert!(kiosk
            .text("#hold-warning")
            .await
            .starts_with("Need more time?"));
        assert!(kiosk.in_view("#more-time").await, "More time is off screen");
        stage.shot(&kiosk, "warned").await;
        // Five seconds on, more time: the hold's first 20 s again.
        tokio::time::sleep(Duration::from_secs(5)).await;
        press_twice(&kiosk, "more-time").await;
        kiosk
            .until(
                "the warning gone",
                "return document.getElementById('hold-warning').hidden",
                vec![],
            )
            .await;
        stage.shot(&kiosk, "more-time").await;
        // Past the first expiry, the seat is still held for this customer.
        let past = Duration::from_secs(21).saturating_sub(first.elapsed());
        tokio::time::sleep(past).await;
        assert_eq!(held(&stage, &show), 1, "the hold was kept");
        assert_eq!(kiosk.text("#steps [aria-current=step]").await, "Details");
        press_twice(&kiosk, "confirm").await;
        kiosk.view("done").await;
        assert_eq!(kiosk.text("#done-seats").await, "D4");
        stage.shot(&kiosk, "booked").await;
        // One hold, one more time, one booking: each sent once, with a key.
        let (_, bookings) = stage.api("GET", &format!("/v1/shows/{show}/bookings"), None);
        assert_eq!(
            bookings["items"].as_array().map(Vec::len),
            Some(1),
            "{bookings}"
        );
        let sent = kiosk.script("return window.sent", vec![]).await;
        let sent = sent.as_array().expect("the writes");
        let kinds: Vec<String> = sent
            .iter()
            .map(|write| {
                let path = write[1].as_str().unwrap_or_default();
                let last = path.rsplit('/').next().unwrap_or_default();
                format!(
                    "{} {}",
                    write[0].as_str().unwrap_or_default(),
                    if last == "holds" || last == "confirm" {
                        last
                    } else {
                        "one"
                    }
                )
            })
            .collect();
        assert_eq!(
            kinds,
            ["POST holds", "PATCH one", "POST confirm"],
            "{sent:?}"
        );
        assert!(
            sent.iter()
                .all(|write| write[2].as_str().is_some_and(|key| !key.is_empty())),
            "a write without an Idempotency-Key: {sent:?}"
        );
        kiosk.no_uncaught_errors(&[]).await;
        kiosk.close().await;
    });
}

/// Rows A (standard) and B (premium) of four seats.
fn priced_room() -> Value {
    let row = |label: &str, kind: &str| {
        let seats: Vec<Value> = (1..=4)
            .map(|number| json!({"number": number.to_string(), "kind": kind}))
            .collect();
        json!({"label": label, "seats": seats})
    };
    json!({"name": "Screen 2", "rows": [row("A", "standard"), row("B", "premium")]})
}

/// Signs in on the counter's dialog as `login` (an account made with
/// `PASSWORD`), once the dialog asks.
async fn sign_in_at_counter(counter: &Browser, login: &str) {
    counter
        .until(
            "the sign-in prompt",
            "return document.getElementById('token-dialog').open",
            vec![],
        )
        .await;
    counter.type_into("#login", login).await;
    counter.type_into("#password", PASSWORD).await;
    counter.click("#token-dialog button[type=submit]").await;
    counter
        .until(
            "who is signed in",
            "return document.getElementById('who').textContent.startsWith('Signed in as ' + arguments[0])",
            vec![json!(login)],
        )
        .await;
    counter
        .until(
            "the counter's lists",
            "return !('loading' in document.body.dataset)",
            vec![],
        )
        .await;
}

const PASSWORD: &str = "correct horse battery";

/// Makes a staff account with the test's token.
fn add_account(stage: &Stage, login: &str, role: &str) {
    let (status, made) = stage.api(
        "POST",
        "/v1/staff",
        Some(&json!({"login": login, "displayName": login, "role": role, "password": PASSWORD})),
    );
    assert_eq!(status, 201, "{made}");
}

/// The id of the ticket type or card called `name`, by the API.
fn id_named(stage: &Stage, path: &str, name: &str) -> String {
    let (_, list) = stage.api("GET", path, None);
    list["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|item| item["name"] == name)
        .unwrap_or_else(|| panic!("no {name} in {list}"))["id"]
        .as_str()
        .expect("an id")
        .to_owned()
}

#[test]
#[ignore = "needs chromium and chromedriver on PATH"]
fn a_manager_prices_a_premium_seat_and_the_preview_names_the_card_and_why() {
    let env = [("ROCKET_ADMIN_TOKEN", "boss")];
    run("prices_manager", &env, Some("boss"), |stage| async move {
        let screen = stage.create("/v1/screens", &priced_room());
        let film = stage.create(
            "/v1/films",
            &json!({"title": "Night Train", "runtimeMinutes": 100}),
        );
        let show = stage.create(
            "/v1/shows",
            &json!({"screenId": screen, "filmId": film, "start": hours_from_now(3)}),
        );
        add_account(&stage, "mia", "admin");
        add_account(&stage, "cal", "cashier");
        let counter = stage.browser().await;
        counter.viewport(1366, 900).await;
        counter.open(&stage.url("/counter")).await;
        sign_in_at_counter(&counter, "mia").await;
        counter.waiting_for("#type-form:not([hidden])").await;
        // A tax of three decimals is refused before anything is sent.
        counter.type_into("#type-name", "Adult").await;
        counter.type_into("#type-tax", "7.125").await;
        counter.click("#type-submit").await;
        counter
            .until(
                "the tax refused",
                "return document.getElementById('type-status').textContent.includes('percentage')",
                vec![],
            )
            .await;
        counter.type_into("#type-tax", "7").await;
        counter.click("#type-submit").await;
        counter
            .until(
                "Adult added",
                "return document.getElementById('type-status').textContent.startsWith('Added Adult')",
                vec![],
            )
            .await;
        let adult = id_named(&stage, "/v1/ticket-types", "Adult");
        let (_, made) = stage.api("GET", &format!("/v1/ticket-types/{adult}"), None);
        assert_eq!(made["taxRate"], 700, "7 % is 700 basis points: {made}");
        assert_eq!(made["channels"], json!(["counter", "kiosk", "api"]));
        counter.type_into("#type-name", "Child").await;
        counter.type_into("#type-tax", "7").await;
        for channel in ["kiosk", "api"] {
            counter
                .click(&format!("input[name=type-channel][value={channel}]"))
                .await;
        }
        counter.type_into("#type-proof", "a pass under 12").await;
        counter.click("#type-submit").await;
        counter
            .until(
                "Child added",
                "return document.getElementById('type-status').textContent.startsWith('Added Child')",
                vec![],
            )
            .await;
        let child = id_named(&stage, "/v1/ticket-types", "Child");
        let (_, made) = stage.api("GET", &format!("/v1/ticket-types/{child}"), None);
        assert_eq!(made["channels"], json!(["counter"]), "{made}");
        assert_eq!(made["proof"], "a pass under 12");
        // A card for this film, with a premium price.
        counter.click("#card-new").await;
        counter.waiting_for("#card-form:not([hidden])").await;
        counter.type_into("#card-name", "Night Train card").await;
        counter.type_into("#card-priority", "5").await;
        counter
            .click(&format!("input[name=card-film][value='{film}']"))
            .await;
        let cell = |kind: &str, type_id: &str| {
            format!("#card-prices input[data-type='{type_id}'][data-kind='{kind}']")
        };
        counter.type_into(&cell("any", &adult), "12.50").await;
        counter.type_into(&cell("premium", &adult), "15").await;
        counter.type_into(&cell("any", &child), "8,5").await;
        // Dates that end before they start: the service's refusal is shown
        // beside the form, and no card is made.
        counter
            .script(
                "document.getElementById('card-date-from').value = '2030-01-02'; document.getElementById('card-date-to').value = '2030-01-01'; return true",
                vec![],
            )
            .await;
        counter.click("#card-submit").await;
        counter
            .until(
                "the dates refused",
                "return document.getElementById('card-status').className === 'error' && document.getElementById('card-status').textContent.includes('dates')",
                vec![],
            )
            .await;
        let (_, cards) = stage.api("GET", "/v1/price-cards", None);
        assert_eq!(
            cards["items"].as_array().expect("cards").len(),
            1,
            "{cards}"
        );
        // An amount of three decimals is refused on the page.
        counter
            .script(
                "document.getElementById('card-date-from').value = ''; document.getElementById('card-date-to').value = ''; return true",
                vec![],
            )
            .await;
        counter.type_into(&cell("standard", &child), "7.505").await;
        counter.click("#card-submit").await;
        counter
            .until(
                "the amount refused",
                "return document.getElementById('card-status').textContent.includes('7.505')",
                vec![],
            )
            .await;
        counter.type_into(&cell("standard", &child), "").await;
        counter.click("#card-submit").await;
        counter
            .until(
                "the card saved",
                "return document.getElementById('card-status').textContent === 'Saved Night Train card.'",
                vec![],
            )
            .await;
        stage.shot(&counter, "card").await;
        let card = id_named(&stage, "/v1/price-cards", "Night Train card");
        let (_, saved) = stage.api("GET", &format!("/v1/price-cards/{card}"), None);
        assert_eq!(saved["priority"], 5);
        assert_eq!(saved["rules"]["films"], json!([film]));
        assert_eq!(saved["rules"]["dates"], Value::Null);
        assert_eq!(
            saved["prices"],
            json!([
                {"type": adult, "seatKind": null, "amount": 1250},
                {"type": adult, "seatKind": "premium", "amount": 1500},
                {"type": child, "seatKind": null, "amount": 850},
            ]),
            "{saved}"
        );
        // The preview: this card, by its rules.
        counter
            .waiting_for(&format!("#preview-show option[value='{show}']"))
            .await;
        counter
            .element("#preview-show")
            .await
            .select_by_value(&show)
            .await
            .expect("the show chosen");
        counter.click("#preview-form button[type=submit]").await;
        counter
            .until(
                "the card and why",
                "const why = document.getElementById('preview-why'); return !!why && why.dataset.card === arguments[0]",
                vec![json!(card)],
            )
            .await;
        let why = counter.text("#preview-why").await;
        assert!(why.contains("Night Train card"), "{why}");
        assert!(why.contains("its rules match this show"), "{why}");
        let premium = counter
            .script(
                "return [...document.querySelectorAll('#preview-table thead th')].map((th) => th.textContent)",
                vec![],
            )
            .await;
        assert_eq!(
            premium,
            json!(["Ticket type", "Sold at", "Standard", "Premium"])
        );
        let adult_row = counter
            .text(&format!("#preview-table tr[data-type='{adult}']"))
            .await;
        assert!(
            adult_row.contains("EUR 12.50") && adult_row.contains("EUR 15.00"),
            "{adult_row}"
        );
        let child_row = counter
            .text(&format!("#preview-table tr[data-type='{child}']"))
            .await;
        assert!(
            child_row.contains("EUR 8.50") && child_row.contains("Counter"),
            "{child_row}"
        );
        // Pinned to the default card, the show names it.
        let default = id_named(&stage, "/v1/price-cards", "default");
        counter
            .element("#pin-card")
            .await
            .select_by_value(&default)
            .await
            .expect("the default chosen");
        counter.click("#pin-form button[type=submit]").await;
        counter
            .until(
                "the pinned card",
                "const why = document.getElementById('preview-why'); return !!why && why.dataset.card === arguments[0] && why.dataset.why === 'named'",
                vec![json!(default)],
            )
            .await;
        let (_, pinned) = stage.api("GET", &format!("/v1/shows/{show}"), None);
        assert_eq!(pinned["priceCardId"], default.as_str(), "{pinned}");
        stage.shot(&counter, "preview").await;
        counter.no_uncaught_errors(&[]).await;
        // A cashier reads the prices but is offered no change.
        counter.click("#sign-out").await;
        sign_in_at_counter(&counter, "cal").await;
        counter
            .until(
                "the prices read",
                "return !!document.querySelector('#type-table tbody tr') && document.getElementById('prices-note').textContent.includes('Only an admin')",
                vec![],
            )
            .await;
        let offered = counter
            .script(
                "return [document.getElementById('type-form').hidden, document.getElementById('card-new').closest('.actions').hidden, document.querySelectorAll('#prices .edit-type, #prices .delete-card').length]",
                vec![],
            )
            .await;
        assert_eq!(offered, json!([true, true, 0]));
        counter.no_uncaught_errors(&[]).await;
        counter.close().await;
    });
}

#[test]
#[ignore = "needs chromium and chromedriver on PATH"]
fn a_walk_up_buys_two_adults_and_a_child_and_the_receipt_has_the_booking_s_lines() {
    let env = [("ROCKET_ADMIN_TOKEN", "boss")];
    run("prices_walk_up", &env, Some("boss"), |stage| async move {
        let adult = stage.create(
            "/v1/ticket-types",
            &json!({"name": "Adult", "taxRate": 700}),
        );
        let child = stage.create(
            "/v1/ticket-types",
            &json!({"name": "Child", "taxRate": 700, "channels": ["counter", "kiosk"]}),
        );
        let saver = stage.create(
            "/v1/ticket-types",
            &json!({"name": "Saver", "channels": ["kiosk"]}),
        );
        let prices = |child_price: Option<u64>| {
            let mut prices = vec![
                json!({"type": adult, "amount": 1250}),
                json!({"type": saver, "amount": 700}),
            ];
            if let Some(amount) = child_price {
                prices.push(json!({"type": child, "amount": amount}));
            }
            json!({"prices": prices})
        };
        // The venue's one card, priced anew.
        let card = id_named(&stage, "/v1/price-cards", "default");
        let (status, _) = stage.api(
            "PATCH",
            &format!("/v1/price-cards/{card}"),
            Some(&prices(Some(800))),
        );
        assert_eq!(status, 200);
        let hall = stage.create("/v1/screens", &json!({"name": "Hall", "capacity": 30}));
        let film = stage.create(
            "/v1/films",
            &json!({"title": "Family Day", "runtimeMinutes": 90}),
        );
        let show = stage.create(
            "/v1/shows",
            &json!({"screenId": hall, "filmId": film, "start": hours_from_now(2)}),
        );
        add_account(&stage, "cal", "cashier");
        let counter = stage.browser().await;
        counter.viewport(1366, 900).await;
        counter.open(&stage.url("/counter")).await;
        sign_in_at_counter(&counter, "cal").await;
        counter
            .click(&format!("#sell-shows [data-show='{show}']"))
            .await;
        counter.waiting_for("#sell-types input.type-count").await;
        // The counter sells Adult and Child; Saver is the kiosk's.
        let offered = counter
            .script(
                "return [...document.querySelectorAll('#sell-types input.type-count')].map((input) => input.dataset.type)",
                vec![],
            )
            .await;
        assert_eq!(offered, json!([adult, child]));
        counter
            .type_into(&format!("#sell-count-{adult}"), "2")
            .await;
        counter
            .type_into(&format!("#sell-count-{child}"), "1")
            .await;
        counter
            .until(
                "the running total",
                "return document.getElementById('sell-total').textContent === 'Adult ×2, Child ×1 · Total EUR 33.00'",
                vec![],
            )
            .await;
        stage.shot(&counter, "types").await;
        // Child loses its price meanwhile: the sale is refused in a
        // sentence and nothing is sold.
        let (status, _) = stage.api(
            "PATCH",
            &format!("/v1/price-cards/{card}"),
            Some(&prices(None)),
        );
        assert_eq!(status, 200);
        counter.click("#sell-submit").await;
        counter
            .until(
                "the refusal",
                "return document.getElementById('sell-status').textContent.includes('nothing was sold')",
                vec![],
            )
            .await;
        let (_, after) = stage.api("GET", &format!("/v1/shows/{show}"), None);
        assert_eq!(after["sold"], 0, "{after}");
        let (status, _) = stage.api(
            "PATCH",
            &format!("/v1/price-cards/{card}"),
            Some(&prices(Some(800))),
        );
        assert_eq!(status, 200);
        counter.click("#sell-submit").await;
        counter.waiting_for("#sell-done:not([hidden])").await;
        assert_eq!(counter.text("#receipt-total").await, "EUR 33.00");
        let id = counter.text("#receipt-id").await;
        let (_, booking) = stage.api("GET", &format!("/v1/bookings/{id}"), None);
        assert_eq!(booking["total"], 3300, "{booking}");
        assert_eq!(booking["currency"], "EUR");
        let lines = booking["lines"].as_array().expect("lines");
        let sold: Vec<(Value, Value)> = lines
            .iter()
            .map(|line| (line["type"].clone(), line["price"].clone()))
            .collect();
        assert_eq!(
            sold,
            vec![
                (json!(adult), json!(1250)),
                (json!(adult), json!(1250)),
                (json!(child), json!(800)),
            ]
        );
        let receipt = counter
            .script(
                "return [...document.querySelectorAll('#receipt-lines tbody tr')].map((row) => [row.dataset.type, row.cells[1].textContent, row.cells[2].textContent, row.cells[3].textContent])",
                vec![],
            )
            .await;
        let expected: Vec<Value> = lines
            .iter()
            .map(|line| {
                let name = if line["type"] == json!(adult) {
                    "Adult"
                } else {
                    "Child"
                };
                let money = |minor: &Value| {
                    let minor = minor.as_u64().expect("an amount");
                    format!("EUR {}.{:02}", minor / 100, minor % 100)
                };
                json!([
                    line["type"],
                    name,
                    money(&line["price"]),
                    money(&line["tax"])
                ])
            })
            .collect();
        assert_eq!(receipt, json!(expected));
        stage.shot(&counter, "receipt").await;
        counter.no_uncaught_errors(&[]).await;
        counter.close().await;
    });
}

#[test]
#[ignore = "needs chromium and chromedriver on PATH"]
fn the_kiosk_offers_only_kiosk_types_and_its_total_is_the_hold_s() {
    let env = [("ROCKET_ADMIN_TOKEN", "boss")];
    run("prices_kiosk", &env, Some("boss"), |stage| async move {
        let adult = stage.create(
            "/v1/ticket-types",
            &json!({"name": "Adult", "taxRate": 700}),
        );
        let child = stage.create(
            "/v1/ticket-types",
            &json!({"name": "Child", "taxRate": 700, "channels": ["counter"]}),
        );
        let saver = stage.create(
            "/v1/ticket-types",
            &json!({"name": "Saver", "taxRate": 700, "channels": ["kiosk"]}),
        );
        let card = id_named(&stage, "/v1/price-cards", "default");
        let (status, _) = stage.api(
            "PATCH",
            &format!("/v1/price-cards/{card}"),
            Some(&json!({"prices": [
                {"type": adult, "amount": 1250},
                {"type": adult, "seatKind": "premium", "amount": 1500},
                {"type": child, "amount": 800},
                {"type": saver, "seatKind": "standard", "amount": 700},
            ]})),
        );
        assert_eq!(status, 200);
        let screen = stage.create("/v1/screens", &priced_room());
        let film = stage.create(
            "/v1/films",
            &json!({"title": "Cheap Seats", "runtimeMinutes": 95}),
        );
        let show = stage.create(
            "/v1/shows",
            &json!({"screenId": screen, "filmId": film, "start": hours_from_now(2)}),
        );
        let (status, made) = stage.api(
            "POST",
            "/v1/keys",
            Some(&json!({"name": "kiosk-lobby", "role": "kiosk"})),
        );
        assert_eq!(status, 201, "{made}");
        let key = made["key"].as_str().expect("the key").to_owned();
        let kiosk = stage.browser().await;
        kiosk
            .seats_of(&stage.url(&format!("/kiosk#key={key}")), &film, &show)
            .await;
        kiosk.view("seats").await;
        kiosk.click("#seat-A1").await;
        kiosk.click("#seat-B2").await;
        kiosk.waiting_for("#type-B2").await;
        // Adult and Saver are sold at the kiosk; Saver not on premium.
        let choices = kiosk
            .script(
                "return ['A1', 'B2'].map((seat) => [...document.getElementById('type-' + seat).options].map((option) => [option.value, option.disabled]))",
                vec![],
            )
            .await;
        assert_eq!(
            choices,
            json!([
                [[adult, false], [saver, false]],
                [[adult, false], [saver, true]]
            ])
        );
        kiosk
            .element("#type-A1")
            .await
            .select_by_value(&saver)
            .await
            .expect("Saver chosen");
        kiosk
            .until(
                "the running total",
                "return document.getElementById('seats-total').textContent === 'Saver ×1, Adult ×1 · Total EUR 22.00'",
                vec![],
            )
            .await;
        stage.shot(&kiosk, "types").await;
        kiosk.click("#hold").await;
        kiosk.view("details").await;
        let hold_id = kiosk
            .script(
                "return document.getElementById('details-lines').dataset.hold",
                vec![],
            )
            .await;
        let (_, held) = stage.api(
            "GET",
            &format!("/v1/holds/{}", hold_id.as_str().expect("a hold id")),
            None,
        );
        assert_eq!(held["total"], 2200, "{held}");
        let shown = kiosk
            .script(
                "return Number(document.querySelector('#details-lines .total').dataset.total)",
                vec![],
            )
            .await;
        assert_eq!(shown, held["total"]);
        let types: Vec<Value> = held["lines"]
            .as_array()
            .expect("lines")
            .iter()
            .map(|line| json!([line["seat"], line["type"], line["price"]]))
            .collect();
        assert_eq!(
            types,
            vec![json!(["A1", saver, 700]), json!(["B2", adult, 1500])]
        );
        kiosk.type_into("#user-name", "Ada").await;
        kiosk.type_into("#phone", "5550001234").await;
        kiosk.click("#confirm").await;
        kiosk.view("done").await;
        assert!(kiosk.text("#done-lines").await.contains("EUR 22.00"));
        stage.shot(&kiosk, "done").await;
        kiosk.no_uncaught_errors(&[]).await;
        kiosk.close().await;
    });
}
