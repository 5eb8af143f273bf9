"use strict";
// Shared by the kiosk and the counter: calls to /v1 with the token and an
// Idempotency-Key, refusals as sentences, DOM building without innerHTML,
// and the venue's dates as the API writes them.

const Box = (() => {
  // Anything that escapes the pages' own handling is counted here (the
  // browser tests insist it stays 0) and shown as a sentence, not lost.
  let uncaught = 0;
  function noteUncaught(what) {
    uncaught += 1;
    document.documentElement.dataset.uncaught = String(uncaught);
    document.documentElement.dataset.lastError = String(what);
    const banner = document.getElementById("fatal");
    if (banner) {
      banner.hidden = false;
    }
    return what;
  }
  window.addEventListener("error", (event) => {
    noteUncaught(event.message);
    event.preventDefault();
  });
  window.addEventListener("unhandledrejection", (event) => {
    noteUncaught(String(event.reason));
    event.preventDefault();
  });
  document.documentElement.dataset.uncaught = "0";

  class NetworkError extends Error {}
  class ApiError extends Error {
    constructor(status, problem) {
      super((problem && problem.detail) || `HTTP ${status}`);
      this.status = status;
      this.problem = problem || {};
    }
    get slug() {
      const type = this.problem.type || "";
      return type.startsWith("urn:boxoffice:") ? type.slice("urn:boxoffice:".length) : "";
    }
  }

  function tokenKey() {
    return `boxoffice.${document.body.dataset.page}.token`;
  }

  // A device set up with `/kiosk#key=<key>` keeps the key in this browser
  // from its first load on; the address bar then no longer shows it.
  const given = /^#key=([A-Za-z0-9_]+)$/.exec(location.hash);
  if (given) {
    localStorage.setItem(tokenKey(), given[1]);
    history.replaceState(null, "", location.pathname + location.search);
  }

  // The signed-in session's CSRF token: every write the cookie signs sends it.
  let csrf = null;

  // Signs in with a login and password: the session comes back as a cookie
  // (HttpOnly, so never in reach of this script) and its CSRF token.
  async function signIn(login, password) {
    let response;
    try {
      response = await fetch("/v1/sessions", {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ login, password }),
        cache: "no-store",
      });
    } catch (_error) {
      return "The box office cannot be reached. Try again.";
    }
    if (response.status === 201) {
      const session = await response.json();
      csrf = session.csrfToken;
      localStorage.removeItem(tokenKey());
      return null;
    }
    if (response.status === 429) {
      const wait = response.headers.get("Retry-After") || "a few";
      return `Too many wrong passwords: try again in ${wait} seconds.`;
    }
    return "That login and password do not match.";
  }

  function newKey() {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
  }

  // One prompt at a time, however many calls were refused meanwhile.
  let asking = null;
  function askToken(refused) {
    if (asking) {
      return asking;
    }
    const dialog = document.getElementById("token-dialog");
    const form = dialog.querySelector("form");
    const input = document.getElementById("token");
    const login = document.getElementById("login");
    const password = document.getElementById("password");
    const note = dialog.querySelector(".token-note");
    note.textContent = refused
      ? "You may not do this. Sign in as someone who may, or enter a key that may."
      : login
        ? "Sign in, or enter a key. This browser keeps a key, never a password."
        : "This box office needs a key. Enter it once; this browser keeps it.";
    input.value = "";
    if (password) {
      password.value = "";
    }
    asking = new Promise((resolve) => {
      form.onsubmit = async (event) => {
        event.preventDefault();
        if (login && login.value.trim() && password && password.value) {
          const failed = await signIn(login.value.trim(), password.value);
          password.value = "";
          if (failed) {
            note.textContent = failed;
            return;
          }
        } else {
          const token = input.value.trim();
          if (!token) {
            return;
          }
          localStorage.setItem(tokenKey(), token);
        }
        dialog.close();
        asking = null;
        resolve();
        showWho();
      };
    });
    dialog.showModal();
    (login || input).focus();
    return asking;
  }

  // The Idempotency-Key of a write that has no definite answer yet: the
  // same write sent again (a double press, a retry after a lost answer)
  // goes under the same key, so the service does it once.
  const openKeys = new Map();
  function keyFor(method, path, body) {
    const what = `${method} ${path} ${JSON.stringify(body === undefined ? null : body)}`;
    if (!openKeys.has(what)) {
      openKeys.set(what, newKey());
    }
    return [what, openKeys.get(what)];
  }

  // A call to /v1: resolves to the parsed answer (a Blob with `blob`), or
  // rejects with NetworkError or ApiError. A 401 (or, for staff calls, a
  // 403) asks for the token and tries again. `keepalive` lets a release
  // outlive the page.
  async function call(method, path, body, options = {}) {
    const [what, key] = method === "GET" ? [null, null] : keyFor(method, path, body);
    for (let attempt = 0; ; attempt += 1) {
      const headers = { Accept: options.blob ? "image/svg+xml" : "application/json" };
      const token = localStorage.getItem(tokenKey());
      if (token) {
        headers.Authorization = `Bearer ${token}`;
      }
      if (body !== undefined) {
        headers["Content-Type"] = "application/json";
      }
      if (method !== "GET") {
        headers["Idempotency-Key"] = key;
        if (csrf) {
          headers["X-CSRF-Token"] = csrf;
        }
      }
      let response;
      let text = "";
      let blob = null;
      try {
        response = await fetch(path, {
          method,
          headers,
          body: body === undefined ? undefined : JSON.stringify(body),
          cache: "no-store",
          keepalive: Boolean(options.keepalive),
        });
        if (options.blob && response.ok) {
          blob = await response.blob();
        } else {
          text = await response.text();
        }
      } catch (_error) {
        throw new NetworkError("network");
      }
      // Answered for good: the next such write is a new one. A 503 or an
      // in-flight 409 may be retried under the same key.
      const settled = response.status !== 503 && !(response.status === 409 && response.headers.get("Retry-After"));
      if (what && settled) {
        openKeys.delete(what);
      }
      const refused = response.status === 401 || (response.status === 403 && options.staff);
      if (refused && attempt < 3) {
        await askToken(response.status === 403);
        continue;
      }
      if (blob) {
        return blob;
      }
      let data = null;
      if (text) {
        try {
          data = JSON.parse(text);
        } catch (_error) {
          data = null;
        }
      }
      if (response.ok) {
        return data;
      }
      throw new ApiError(response.status, data);
    }
  }

  // Every item of a paged list; `options` go to every `call` (e.g. staff).
  async function all(path, options = {}) {
    const items = [];
    let cursor = null;
    for (let page = 0; page < 50; page += 1) {
      const separator = path.includes("?") ? "&" : "?";
      const url = cursor ? `${path}${separator}cursor=${encodeURIComponent(cursor)}` : path;
      const answer = await call("GET", url, undefined, options);
      items.push(...answer.items);
      cursor = answer.nextCursor;
      if (!cursor) {
        break;
      }
    }
    return items;
  }

  // Runs `work` with `button` disabled (and marked busy) until it ends, so
  // a second press cannot send the request again; a press while busy is
  // ignored.
  async function busy(button, work) {
    if (button.dataset.busy === "true") {
      return undefined;
    }
    button.dataset.busy = "true";
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    try {
      return await work();
    } finally {
      delete button.dataset.busy;
      button.disabled = false;
      button.removeAttribute("aria-busy");
    }
  }

  // Why a sale could not be priced, as the person at the page needs it.
  const PRICE_REFUSALS = {
    "no-price-card": "This show has no price card, so nothing can be sold for it yet. A manager can give it one (or mark a card as the default).",
    "not-on-channel": "One of these ticket types is not sold here. Please choose another type; nothing was sold.",
    "not-priced": "One of these ticket types has no price on the seat it was chosen for. Please choose another type or other seats; nothing was sold.",
    "unknown-ticket-type": "One of these ticket types no longer exists. Please choose the types again; nothing was sold.",
  };

  // A refusal or a failure as a sentence for the person in front of the page.
  function sentence(error) {
    if (error instanceof NetworkError) {
      return "The box office cannot be reached just now. Please check the connection and try again.";
    }
    if (error instanceof ApiError) {
      if (error.status === 401 || error.status === 403) {
        return "The token was not accepted, so this cannot be done here.";
      }
      if (PRICE_REFUSALS[error.slug]) {
        return PRICE_REFUSALS[error.slug];
      }
      if (error.status === 503) {
        return "The box office is very busy just now; nothing was changed. Please try again in a moment.";
      }
      if (error.problem.detail) {
        return error.problem.detail;
      }
      return `The box office refused this (${error.status}).`;
    }
    noteUncaught(String(error));
    return "Something went wrong on this page. Please start again.";
  }

  // el("p", {class: "x", onclick: f}, "text", child, ...): a DOM element.
  function el(tag, attributes = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) {
      if (value === undefined || value === null || value === false) {
        continue;
      }
      if (name.startsWith("on")) {
        node.addEventListener(name.slice(2), value);
      } else if (name === "class") {
        node.className = value;
      } else if (value === true) {
        node.setAttribute(name, "");
      } else {
        node.setAttribute(name, String(value));
      }
    }
    for (const child of children.flat()) {
      if (child !== null && child !== undefined && child !== false) {
        node.append(child instanceof Node ? child : String(child));
      }
    }
    return node;
  }

  // ---- Money: integers in the currency's minor unit, never floating point.

  // Decimal places of a currency's minor unit where it is not 2 (ISO 4217,
  // as the service knows them; a test keeps the two lists alike).
  const MINOR_DIGITS = { BHD: 3, BIF: 0, CLF: 4, CLP: 0, DJF: 0, GNF: 0, IQD: 3, ISK: 0, JOD: 3, JPY: 0, KMF: 0, KRW: 0, KWD: 3, LYD: 3, OMR: 3, PYG: 0, RWF: 0, TND: 3, UGX: 0, UYI: 0, UYW: 4, VND: 0, VUV: 0, XAF: 0, XOF: 0, XPF: 0 };
  function minorDigits(currency) {
    return Object.hasOwn(MINOR_DIGITS, currency) ? MINOR_DIGITS[currency] : 2;
  }

  // An integer count of `digits`-place units as a decimal: (1250, 2) → "12.50".
  function decimal(units, digits) {
    const text = String(units).padStart(digits + 1, "0");
    return digits === 0 ? text : `${text.slice(0, -digits)}.${text.slice(-digits)}`;
  }

  // "12.50" (or "12,50", "12", "12.5") → 1250 units of `digits` places,
  // read from the digits themselves; null when it is not such a number or
  // has more places than `digits`.
  function parseDecimal(text, digits) {
    const match = /^\s*([0-9]{1,12})(?:[.,]([0-9]*))?\s*$/.exec(text);
    if (!match || (match[2] || "").length > digits) {
      return null;
    }
    return Number(match[1] + (match[2] || "").padEnd(digits, "0"));
  }

  // 1250, "EUR" → "EUR 12.50"; 1250, "JPY" → "JPY 1250".
  function money(amount, currency) {
    return `${currency} ${decimal(amount, minorDigits(currency))}`;
  }
  // 1250 → "12.50" in EUR: what a price field shows.
  function moneyField(amount, currency) {
    return decimal(amount, minorDigits(currency));
  }
  // A typed price in major units → minor units, or null.
  function parseMoney(text, currency) {
    return parseDecimal(text, minorDigits(currency));
  }
  // Basis points as a percentage: 700 → "7", 750 → "7.5".
  function percent(basisPoints) {
    return decimal(basisPoints, 2).replace(/\.?0+$/, "");
  }

  // Who is asking, read once: `{login, role, kind, channel}`.
  let whoPromise = null;
  function whoAmI() {
    if (!whoPromise) {
      whoPromise = call("GET", "/v1/sessions/current").catch((error) => {
        whoPromise = null;
        throw error;
      });
    }
    return whoPromise;
  }

  // "2030-01-02T18:30:00+01:00" → the venue's date and time, as written.
  function venueDate(instant) {
    return instant.slice(0, 10);
  }
  function venueTime(instant) {
    return instant.slice(11, 16);
  }
  function offsetMinutes(instant) {
    const match = /([+-])(\d\d):(\d\d)$/.exec(instant);
    if (!match) {
      return 0;
    }
    const minutes = Number(match[2]) * 60 + Number(match[3]);
    return match[1] === "-" ? -minutes : minutes;
  }
  // The venue's date `days` from now, at the offset `instant` is written in.
  function venueToday(instant, days = 0) {
    const shifted = new Date(Date.now() + (offsetMinutes(instant) + days * 1440) * 60000);
    return shifted.toISOString().slice(0, 10);
  }
  const WEEKDAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
  const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  function dayLabel(instant) {
    const date = venueDate(instant);
    if (date === venueToday(instant)) {
      return "Today";
    }
    if (date === venueToday(instant, 1)) {
      return "Tomorrow";
    }
    const [year, month, day] = date.split("-").map(Number);
    const weekday = new Date(Date.UTC(year, month - 1, day)).getUTCDay();
    return `${WEEKDAYS[weekday]} ${day} ${MONTHS[month - 1]}`;
  }
  function showWhen(instant) {
    return `${dayLabel(instant)}, ${venueTime(instant)}`;
  }

  // A phone number as /v1 takes it: 7 to 15 digits, a leading + allowed.
  function phoneLooksRight(text) {
    const digits = text.replace(/[^0-9]/g, "");
    return /^\s*\+?[0-9 -]+\s*$/.test(text) && digits.length >= 7 && digits.length <= 15;
  }

  // Who is signed in, in the page's header (where it has one), with a way
  // to sign out; an open box office says so, with how to close it.
  async function showWho() {
    const who = document.getElementById("who");
    if (!who) {
      return;
    }
    let me;
    try {
      whoPromise = null;
      me = await whoAmI();
    } catch (_error) {
      return;
    }
    if (me.csrfToken) {
      csrf = me.csrfToken;
    }
    const signOut = document.getElementById("sign-out");
    signOut.hidden = me.kind !== "session" && me.kind !== "key";
    who.textContent =
      me.kind === "open"
        ? "Open to anyone: close it with boxoffice staff add LOGIN --role admin"
        : me.kind === "session"
          ? `Signed in as ${me.login} (${me.role})`
          : `Using ${me.login} (${me.role})`;
    signOut.onclick = async () => {
      if (me.kind === "session") {
        try {
          await call("DELETE", "/v1/sessions/current");
        } catch (_error) {
          // Signed out already.
        }
      }
      csrf = null;
      localStorage.removeItem(tokenKey());
      location.reload();
    };
  }
  document.addEventListener("DOMContentLoaded", showWho);

  return {
    call,
    busy,
    all,
    sentence,
    el,
    ApiError,
    NetworkError,
    venueDate,
    venueTime,
    venueToday,
    dayLabel,
    showWhen,
    phoneLooksRight,
    me: whoAmI,
    money,
    moneyField,
    parseMoney,
    parseDecimal,
    percent,
  };
})();
