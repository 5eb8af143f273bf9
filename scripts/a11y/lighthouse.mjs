// Lighthouse on /kiosk and /counter of a running boxoffice, in Debian's
// Chromium (CHROME_PATH, default /usr/bin/chromium), headless, on loopback
// only. It first fills the service with a small cinema through /v1: three
// screens, five films, twenty shows and a few bookings.
//
//   node scripts/a11y/lighthouse.mjs accessibility http://127.0.0.1:PORT
//     Each page in its main states (kiosk: films, seat map with its ticket
//     types, details, done; counter: day table, walk-up sale, a booking, a
//     price card, a show's prices), reached by clicks in one
//     Lighthouse user flow; prints each state's accessibility score and
//     exits 1 when one is below 100.
//   node scripts/a11y/lighthouse.mjs performance http://127.0.0.1:PORT
//     A cold load of each page; prints the performance score, LCP, TBT and
//     CLS. Reports only: the exit status is 0 whatever the figures.
//
// Environment: BOXOFFICE_TOKEN, sent as a Bearer token by the filling and
// saved in the pages' token store, when the service has an api_token.

import puppeteer from "puppeteer-core";
import { startFlow } from "lighthouse";

const [mode, base] = process.argv.slice(2);
if (!["accessibility", "performance"].includes(mode) || !/^http:\/\/(127\.0\.0\.1|localhost|\[::1\]):\d+$/.test(base || "")) {
  console.error("usage: lighthouse.mjs accessibility|performance http://127.0.0.1:PORT");
  process.exit(2);
}
const token = process.env.BOXOFFICE_TOKEN || "";

// ---- The small cinema.

let keys = 0;
async function api(method, path, body) {
  const headers = { "Content-Type": "application/json", "Idempotency-Key": `lighthouse-${process.pid}-${(keys += 1)}` };
  if (token) {
    headers.Authorization = `Bearer ${token}`;
  }
  const response = await fetch(base + path, { method, headers, body: body && JSON.stringify(body) });
  const text = await response.text();
  if (!response.ok) {
    throw new Error(`${method} ${path}: ${response.status} ${text}`);
  }
  return text ? JSON.parse(text) : null;
}

// Rows A..H of twelve seats, aisles after 4 and 8; A1/A2 a wheelchair place
// and its companion seat, the back row premium.
function seatMap(name, rows) {
  return {
    name,
    rows: "ABCDEFGH".slice(0, rows).split("").map((label, row) => ({
      label,
      seats: Array.from({ length: 12 }, (_, index) => {
        const number = index + 1;
        const seat = { number: String(number) };
        if (number === 4 || number === 8) seat.aisleAfter = true;
        if (label === "A" && number === 1) seat.kind = "wheelchair";
        if (label === "A" && number === 2) seat.kind = "companion";
        if (row === rows - 1) seat.kind = "premium";
        return seat;
      }),
    })),
  };
}

async function fillCinema() {
  const screens = [
    await api("POST", "/v1/screens", seatMap("Screen 1", 8)),
    await api("POST", "/v1/screens", seatMap("Screen 2", 6)),
    await api("POST", "/v1/screens", { name: "Studio", capacity: 60 }),
  ];
  const films = [];
  for (const [title, runtimeMinutes, rating] of [
    ["The Long Evening", 118, "PG-13"],
    ["Harbour Lights", 96, "PG"],
    ["Seven Bridges", 124, "12A"],
    ["Small Hours", 89, "U"],
    ["Northern Line", 105, "15"],
  ]) {
    films.push(await api("POST", "/v1/films", { title, runtimeMinutes, rating }));
  }
  // Prices: Adult and Child on the default card, premium seats dearer.
  const adult = await api("POST", "/v1/ticket-types", { name: "Adult", taxRate: 700 });
  const child = await api("POST", "/v1/ticket-types", { name: "Child", taxRate: 700, proof: "a pass under 12" });
  const cards = await api("GET", "/v1/price-cards");
  await api("PATCH", `/v1/price-cards/${cards.items[0].id}`, {
    prices: [
      { type: adult.id, amount: 1250 },
      { type: adult.id, seatKind: "premium", amount: 1500 },
      { type: child.id, amount: 800 },
    ],
  });
  // Twenty shows, the first in an hour, every three hours on each screen.
  const first = Math.ceil(Date.now() / 3600000) * 3600000 + 3600000;
  const shows = [];
  for (let index = 0; index < 20; index += 1) {
    const screen = screens[index % 3];
    const film = films[index % 5];
    const start = new Date(first + Math.floor(index / 3) * 3 * 3600000 + (index % 3) * 20 * 60000);
    shows.push(await api("POST", "/v1/shows", { screenId: screen.id, filmId: film.id, start: start.toISOString() }));
  }
  const bookings = [];
  for (const [show, seats, userName, phoneNumber] of [
    [shows[0], ["E5", "E6"], "Ida Lind", "5550001111"],
    [shows[0], ["F7"], "Omar Haddad", "5550002222"],
    [shows[1], ["C3", "C4", "C5"], "Mei Chen", "5550003333"],
  ]) {
    bookings.push(await api("POST", "/v1/bookings", { showId: show.id, seats, userName, phoneNumber }));
  }
  await api("POST", "/v1/bookings", { showId: shows[2].id, count: 4, userName: "Ravi Rao", phoneNumber: "5550004444" });
  return { screens, films, shows, bookings };
}

// ---- The browser.

async function launch() {
  return puppeteer.launch({
    executablePath: process.env.CHROME_PATH || "/usr/bin/chromium",
    headless: true,
    args: [
      "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--no-first-run",
      "--disable-extensions", "--disable-background-networking", "--disable-component-update",
      "--disable-sync", "--disable-default-apps", "--no-default-browser-check",
    ],
  });
}

// The page being driven, for a screenshot when a step fails.
let current = null;

// With LIGHTHOUSE_FAILURE_SHOT set, the page that failed is saved there.
async function failureShot() {
  const path = process.env.LIGHTHOUSE_FAILURE_SHOT;
  if (current && path) {
    await current.screenshot({ path }).catch(() => {});
    console.error(`the page as it was: ${path}`);
  }
}

// A page whose token store already holds the token, when there is one.
async function newPage(browser, width, height) {
  const page = await browser.newPage();
  current = page;
  await page.setViewport({ width, height });
  if (token) {
    await page.evaluateOnNewDocument((value) => {
      try {
        localStorage.setItem("boxoffice.kiosk.token", value);
        localStorage.setItem("boxoffice.counter.token", value);
      } catch {}
    }, token);
  }
  return page;
}

const PATIENCE = 20000;
const visible = { visible: true, timeout: PATIENCE };
async function click(page, css) {
  await page.waitForSelector(css, visible);
  await page.click(css);
}
async function typeInto(page, css, text) {
  await page.waitForSelector(css, visible);
  await page.type(css, text);
}
// Resolves when `predicate` (run in the page) is true.
async function until(page, predicate, ...args) {
  await page.waitForFunction(predicate, { timeout: PATIENCE, polling: 100 }, ...args);
}
const viewIs = (name) => document.body.dataset.step === name;

// ---- Accessibility: every main state, scored.

function accessibilityFlags(width, height) {
  return {
    onlyCategories: ["accessibility"],
    formFactor: width < 800 ? "mobile" : "desktop",
    screenEmulation: { disabled: true },
    throttlingMethod: "provided",
    disableStorageReset: true,
  };
}

async function kioskStates(browser, cinema, width, height, seats) {
  const page = await newPage(browser, width, height);
  const flow = await startFlow(page, { name: `kiosk ${width}×${height}`, flags: accessibilityFlags(width, height) });
  const film = cinema.films[0].id;
  const show = cinema.shows[0].id;
  await page.goto(`${base}/kiosk`);
  await page.waitForSelector(`button[data-film='${film}']`, visible);
  await flow.snapshot({ name: "kiosk: films" });
  await click(page, `button[data-film='${film}']`);
  await click(page, `button[data-show='${show}']`);
  for (const seat of seats) {
    await click(page, `#seat-${seat}`);
  }
  await until(page, () => !document.getElementById("hold").disabled);
  await flow.snapshot({ name: "kiosk: seat map" });
  await click(page, "#hold");
  await until(page, viewIs, "details");
  await flow.snapshot({ name: "kiosk: details" });
  await typeInto(page, "#user-name", "Ada Lovelace");
  await typeInto(page, "#phone", "5550009999");
  await click(page, "#confirm");
  await until(page, viewIs, "done");
  await page.waitForSelector("#qr", visible);
  await flow.snapshot({ name: "kiosk: done" });
  const result = await flow.createFlowResult();
  await page.close();
  return result;
}

async function counterStates(browser, cinema, width, height) {
  const page = await newPage(browser, width, height);
  const flow = await startFlow(page, { name: `counter ${width}×${height}`, flags: accessibilityFlags(width, height) });
  const show = cinema.shows[0];
  await page.goto(`${base}/counter`);
  // The day of the first show, whatever the hour now.
  await until(page, () => document.getElementById("day-status").textContent !== "");
  await page.$eval("#day-date", (input, day) => {
    input.value = day;
  }, show.start.slice(0, 10));
  await click(page, "#day-form button[type=submit]");
  await page.waitForSelector("#day-table tbody tr", visible);
  await page.waitForSelector("#sell-shows button", visible);
  await flow.snapshot({ name: "counter: day table" });
  await click(page, `#sell-shows [data-show='${show.id}']`);
  await click(page, "#sell-seats [data-seat='D4']");
  await flow.snapshot({ name: "counter: walk-up sale" });
  await click(page, "#sell-submit");
  await page.waitForSelector("#sell-done:not([hidden])", visible);
  await flow.snapshot({ name: "counter: receipt" });
  const booking = cinema.bookings[0].id;
  await typeInto(page, "#find-query", booking);
  await click(page, "#find-form button[type=submit]");
  await page.waitForSelector(`#found [data-booking='${booking}']`, visible);
  await flow.snapshot({ name: "counter: a booking" });
  await click(page, "#found .move");
  await page.waitForSelector("#found .move-map button.seat", visible);
  await flow.snapshot({ name: "counter: moving a booking" });
  await click(page, "#card-new");
  await page.waitForSelector("#card-prices input.price", visible);
  await flow.snapshot({ name: "counter: a price card" });
  await page.$eval("#preview-show", (select, id) => {
    select.value = id;
  }, show.id);
  await click(page, "#preview-form button[type=submit]");
  await page.waitForSelector("#preview-why", visible);
  await flow.snapshot({ name: "counter: a show's prices" });
  const result = await flow.createFlowResult();
  await page.close();
  return result;
}

async function accessibility() {
  const cinema = await fillCinema();
  const browser = await launch();
  const below = [];
  try {
    const flows = [
      await kioskStates(browser, cinema, 1080, 1920, ["C3", "C4"]),
      await kioskStates(browser, cinema, 390, 844, ["D5", "D6"]),
      await counterStates(browser, cinema, 1366, 768),
    ];
    for (const flow of flows) {
      for (const step of flow.steps) {
        const category = step.lhr.categories.accessibility;
        const score = category.score === null ? "n/a" : Math.round(category.score * 100);
        console.log(`${String(score).padStart(3)}  ${flow.name}: ${step.name}`);
        if (category.score !== 1) {
          for (const ref of category.auditRefs) {
            const audit = step.lhr.audits[ref.id];
            if (ref.weight > 0 && audit.score !== null && audit.score < 1) {
              const items = (audit.details && audit.details.items) || [];
              const where = items.slice(0, 3).map((item) => item.node && (item.node.selector || item.node.snippet)).filter(Boolean);
              const line = `${flow.name}: ${step.name}: ${ref.id} (${audit.title})${where.length ? ` at ${where.join(" | ")}` : ""}`;
              below.push(line);
              console.log(`       ${line}`);
            }
          }
          if (category.score === null) {
            below.push(`${flow.name}: ${step.name}: no score`);
          }
        }
      }
    }
  } catch (error) {
    await failureShot();
    throw error;
  } finally {
    await browser.close();
  }
  if (below.length > 0) {
    console.log(`Lighthouse accessibility below 100 in ${below.length} place(s).`);
    process.exit(1);
  }
  console.log("Lighthouse accessibility: 100 in every state.");
}

// ---- Performance: reported, never a failure.

async function performance() {
  await fillCinema();
  const browser = await launch();
  try {
    console.log("page     form factor  score  LCP ms   TBT ms   CLS");
    for (const [path, formFactor, width, height] of [
      ["/kiosk", "mobile", 412, 823],
      ["/kiosk", "desktop", 1080, 1920],
      ["/counter", "desktop", 1366, 768],
    ]) {
      const page = await newPage(browser, width, height);
      const flags = {
        onlyCategories: ["performance"],
        formFactor,
        screenEmulation: formFactor === "mobile"
          ? { mobile: true, width, height, deviceScaleFactor: 1.75, disabled: false }
          : { mobile: false, width, height, deviceScaleFactor: 1, disabled: false },
        disableStorageReset: true,
      };
      if (formFactor === "desktop") {
        flags.throttling = { rttMs: 40, throughputKbps: 10240, cpuSlowdownMultiplier: 1, requestLatencyMs: 0, downloadThroughputKbps: 0, uploadThroughputKbps: 0 };
      }
      const flow = await startFlow(page, { name: path, flags });
      await flow.navigate(`${base}${path}`);
      const { lhr } = (await flow.createFlowResult()).steps[0];
      const figure = (id) => lhr.audits[id].numericValue;
      console.log(
        `${path.padEnd(9)}${formFactor.padEnd(13)}${String(Math.round(lhr.categories.performance.score * 100)).padStart(5)}`
          + `${String(Math.round(figure("largest-contentful-paint"))).padStart(8)}`
          + `${String(Math.round(figure("total-blocking-time"))).padStart(9)}`
          + `   ${figure("cumulative-layout-shift").toFixed(3)}`,
      );
      // What moved, when anything did.
      const shifts = lhr.audits["layout-shifts"];
      const items = (shifts && shifts.details && shifts.details.items) || [];
      for (const item of items.filter((shift) => shift.score >= 0.0005).slice(0, 5)) {
        const node = item.node || {};
        console.log(`         shifted ${item.score.toFixed(3)}: ${node.selector || node.snippet || "?"}`);
      }
      await page.close();
    }
  } catch (error) {
    await failureShot();
    throw error;
  } finally {
    await browser.close();
  }
}

try {
  await (mode === "accessibility" ? accessibility() : performance());
} catch (error) {
  console.error(`lighthouse.mjs ${mode}: ${error.stack || error}`);

  process.exit(1);
}
