"use strict";
// The counter: the day's shows with their sales, bookings found by number or
// phone (moved or cancelled), and new films, screens (seat maps from a row
// layout) and shows. Every call is /v1 with the staff token.

(() => {
  const { call, sentence, el } = Box;
  const $ = (id) => document.getElementById(id);
  const staff = { staff: true };
  const get = (path) => call("GET", path, undefined, staff);
  const send = (method, path, body) => call(method, path, body, staff);
  const list = (path) => Box.all(path, staff);

  let films = new Map();
  let screens = new Map();

  function say(id, text, bad = false) {
    const box = $(id);
    box.textContent = text;
    box.className = bad ? "error" : "";
  }

  // Runs `work`; a failure is a sentence in `statusId`.
  async function guarded(statusId, work) {
    try {
      await work();
    } catch (error) {
      say(statusId, sentence(error), true);
    }
  }

  function localDate(date) {
    const shifted = new Date(date.getTime() - date.getTimezoneOffset() * 60000);
    return shifted.toISOString().slice(0, 10);
  }
  function nextDay(day) {
    const [year, month, date] = day.split("-").map(Number);
    return new Date(Date.UTC(year, month - 1, date + 1)).toISOString().slice(0, 10);
  }
  const filmTitle = (id) => (films.get(id) || { title: id ? "(unknown film)" : "(old API show)" }).title;
  const screenName = (id) => (screens.get(id) || { name: id }).name;

  // ---- Films and screens.

  async function loadCatalogue() {
    const [filmList, screenList] = await Promise.all([list("/v1/films?limit=500"), list("/v1/screens?limit=500")]);
    films = new Map(filmList.map((film) => [film.id, film]));
    screens = new Map(screenList.map((screen) => [screen.id, screen]));
    $("film-table").tBodies[0].replaceChildren(
      ...filmList.map((film) =>
        el("tr", {}, el("td", {}, film.title), el("td", {}, film.rating || ""), el("td", { class: "num" }, film.runtimeMinutes)),
      ),
    );
    $("screen-table").tBodies[0].replaceChildren(
      ...screenList.map((screen) =>
        el(
          "tr",
          {},
          el("td", {}, screen.name),
          el("td", { class: "num" }, screen.capacity),
          el("td", {}, screen.rows ? `seat map, ${screen.rows.length} rows` : "free seating"),
        ),
      ),
    );
    const keep = (select) => select.value;
    const filmChoice = keep($("show-film"));
    const screenChoice = keep($("show-screen"));
    $("show-film").replaceChildren(...filmList.map((film) => el("option", { value: film.id }, film.title)));
    // The default screen holds the old API's shows only.
    $("show-screen").replaceChildren(
      ...screenList
        .filter((screen) => screen.id !== "default")
        .map((screen) => el("option", { value: screen.id }, `${screen.name} (${screen.capacity} seats)`)),
    );
    if (filmChoice && films.has(filmChoice)) {
      $("show-film").value = filmChoice;
    }
    if (screenChoice && screens.has(screenChoice)) {
      $("show-screen").value = screenChoice;
    }
  }

  $("film-form").addEventListener("submit", (event) => {
    event.preventDefault();
    guarded("film-status", async () => {
      const title = $("film-title").value.trim();
      const runtimeMinutes = Number($("film-runtime").value);
      const rating = $("film-rating").value.trim();
      if (!title) {
        say("film-status", "Give the film a title.", true);
        return;
      }
      if (!Number.isInteger(runtimeMinutes) || runtimeMinutes < 1 || runtimeMinutes > 1440) {
        say("film-status", "The runtime is a whole number of minutes, 1 to 1440.", true);
        return;
      }
      const body = { title, runtimeMinutes };
      if (rating) {
        body.rating = rating;
      }
      const film = await send("POST", "/v1/films", body);
      await loadCatalogue();
      $("show-film").value = film.id;
      for (const id of ["film-title", "film-runtime", "film-rating"]) {
        $(id).value = "";
      }
      say("film-status", `Added “${film.title}”.`);
    });
  });

  // ---- Screens: a row layout as text, its preview, and a generator.

  const KIND_LETTERS = { wheelchair: "w", companion: "c", premium: "p" };
  const LETTER_KINDS = { w: "wheelchair", c: "companion", p: "premium" };
  const CYCLE = [
    ["standard", false],
    ["premium", false],
    ["wheelchair", false],
    ["companion", false],
    ["standard", true],
  ];

  // "A: 1 2 | 3 4x" lines → rows as /v1 takes them, or an error sentence.
  function parseLayout(text) {
    const rows = [];
    const lines = text.split("\n");
    for (let index = 0; index < lines.length; index += 1) {
      const line = lines[index].trim();
      if (!line) {
        continue;
      }
      const match = /^([A-Za-z]{1,3})\s*:\s*(.*)$/.exec(line);
      if (!match) {
        return { error: `Line ${index + 1}: start with the row's letters and a colon, like “A: 1 2 3”.` };
      }
      const seats = [];
      for (const token of match[2].split(/\s+/).filter(Boolean)) {
        if (token === "|") {
          if (seats.length === 0) {
            return { error: `Line ${index + 1}: an aisle (|) needs a seat before it.` };
          }
          seats[seats.length - 1].aisleAfter = true;
          continue;
        }
        const seat = /^([1-9][0-9]{0,3})([wcpxWCPX]*)$/.exec(token);
        if (!seat) {
          return { error: `Line ${index + 1}: “${token}” is not a seat (a number, then w, c, p or x).` };
        }
        const flags = seat[2].toLowerCase();
        const entry = { number: seat[1] };
        for (const letter of flags) {
          if (LETTER_KINDS[letter]) {
            entry.kind = LETTER_KINDS[letter];
          }
        }
        if (flags.includes("x")) {
          entry.blocked = true;
        }
        seats.push(entry);
      }
      if (seats.length === 0) {
        return { error: `Line ${index + 1}: row ${match[1].toUpperCase()} has no seats.` };
      }
      rows.push({ label: match[1].toUpperCase(), seats });
    }
    if (rows.length === 0) {
      return { error: "Type the layout, or fill it from rows and seats above." };
    }
    return { rows };
  }

  function formatLayout(rows) {
    return rows
      .map((row) => {
        const tokens = [];
        for (const seat of row.seats) {
          tokens.push(`${seat.number}${KIND_LETTERS[seat.kind] || ""}${seat.blocked ? "x" : ""}`);
          if (seat.aisleAfter) {
            tokens.push("|");
          }
        }
        return `${row.label}: ${tokens.join(" ")}`;
      })
      .join("\n");
  }

  function rowLabel(index) {
    let label = "";
    let rest = index;
    do {
      label = String.fromCharCode(65 + (rest % 26)) + label;
      rest = Math.floor(rest / 26) - 1;
    } while (rest >= 0);
    return label;
  }

  function preview() {
    const parsed = parseLayout($("screen-layout").value);
    if (parsed.error) {
      say("layout-status", parsed.error, true);
      $("layout-preview").replaceChildren();
      return null;
    }
    const count = parsed.rows.reduce((sum, row) => sum + row.seats.filter((seat) => !seat.blocked).length, 0);
    say("layout-status", `${parsed.rows.length} rows, ${count} seats for sale.`);
    const lines = parsed.rows.map((row, rowIndex) => {
      const cells = [el("span", { class: "row-label" }, row.label)];
      row.seats.forEach((seat, seatIndex) => {
        const kind = seat.kind || "standard";
        cells.push(
          el(
            "button",
            {
              type: "button",
              class: `seat ${kind} ${seat.blocked ? "blocked" : "free"}`,
              "data-seat": `${row.label}${seat.number}`,
              "aria-label": `${row.label}${seat.number}: ${kind}${seat.blocked ? ", not for sale" : ""}. Press to change.`,
              onclick: () => cycleSeat(rowIndex, seatIndex),
            },
            kind === "wheelchair" ? "♿" : kind === "companion" ? "+" : seat.number,
          ),
        );
        if (seat.aisleAfter) {
          cells.push(el("span", { class: "aisle" }));
        }
      });
      return el("div", { class: "row" }, cells);
    });
    $("layout-preview").replaceChildren(el("div", { class: "screen-bar" }, "Screen"), ...lines);
    return parsed.rows;
  }

  function cycleSeat(rowIndex, seatIndex) {
    const parsed = parseLayout($("screen-layout").value);
    if (parsed.error) {
      return;
    }
    const seat = parsed.rows[rowIndex].seats[seatIndex];
    const now = CYCLE.findIndex(([kind, blocked]) => kind === (seat.kind || "standard") && blocked === Boolean(seat.blocked));
    const [kind, blocked] = CYCLE[(now + 1) % CYCLE.length];
    delete seat.kind;
    delete seat.blocked;
    if (kind !== "standard") {
      seat.kind = kind;
    }
    if (blocked) {
      seat.blocked = true;
    }
    $("screen-layout").value = formatLayout(parsed.rows);
    preview();
    const again = document.querySelector(`#layout-preview [data-seat="${parsed.rows[rowIndex].label}${seat.number}"]`);
    if (again) {
      again.focus();
    }
  }

  $("gen-fill").addEventListener("click", () => {
    const rowCount = Number($("gen-rows").value);
    const seatCount = Number($("gen-seats").value);
    if (!Number.isInteger(rowCount) || rowCount < 1 || rowCount > 26 || !Number.isInteger(seatCount) || seatCount < 1 || seatCount > 60) {
      say("layout-status", "Rows: 1 to 26; seats per row: 1 to 60.", true);
      return;
    }
    const aisles = new Set($("gen-aisles").value.split(/[\s,]+/).filter(Boolean).map(Number));
    const rows = [];
    for (let index = 0; index < rowCount; index += 1) {
      const seats = [];
      for (let number = 1; number <= seatCount; number += 1) {
        const seat = { number: String(number) };
        if (aisles.has(number) && number < seatCount) {
          seat.aisleAfter = true;
        }
        seats.push(seat);
      }
      rows.push({ label: rowLabel(index), seats });
    }
    $("screen-layout").value = formatLayout(rows);
    preview();
  });
  $("screen-layout").addEventListener("input", preview);
  for (const radio of document.querySelectorAll("input[name=seating]")) {
    radio.addEventListener("change", () => {
      const free = $("seating-free").checked;
      $("free-fields").hidden = !free;
      $("map-fields").hidden = free;
    });
  }

  $("screen-form").addEventListener("submit", (event) => {
    event.preventDefault();
    guarded("screen-status", async () => {
      const name = $("screen-name").value.trim();
      if (!name) {
        say("screen-status", "Give the screen a name.", true);
        return;
      }
      let body;
      if ($("seating-free").checked) {
        const capacity = Number($("screen-capacity").value);
        if (!Number.isInteger(capacity) || capacity < 1) {
          say("screen-status", "Free seating needs a number of seats.", true);
          return;
        }
        body = { name, capacity };
      } else {
        const rows = preview();
        if (!rows) {
          say("screen-status", "Fix the layout first.", true);
          return;
        }
        body = { name, rows };
      }
      const screen = await send("POST", "/v1/screens", body);
      await loadCatalogue();
      $("show-screen").value = screen.id;
      $("screen-name").value = "";
      say("screen-status", `Added ${screen.name} with ${screen.capacity} seats.`);
    });
  });

  // ---- Shows.

  $("show-form").addEventListener("submit", (event) => {
    event.preventDefault();
    guarded("show-status", async () => {
      const filmId = $("show-film").value;
      const screenId = $("show-screen").value;
      const start = $("show-start").value;
      if (!filmId || !screenId) {
        say("show-status", "Add a film and a screen first.", true);
        return;
      }
      if (!start) {
        say("show-status", "Choose when the show starts.", true);
        return;
      }
      const show = await send("POST", "/v1/shows", { filmId, screenId, start });
      say("show-status", `Created: ${filmTitle(show.filmId)} on ${screenName(show.screenId)}, ${Box.venueDate(show.start)} ${Box.venueTime(show.start)}.`);
      $("day-date").value = Box.venueDate(show.start);
      await loadDay();
    });
  });

  // ---- The day.

  async function loadDay() {
    const day = $("day-date").value;
    if (!day) {
      say("day-status", "Choose a day.", true);
      return;
    }
    const query = `from=${encodeURIComponent(`${day}T00:00`)}&to=${encodeURIComponent(`${nextDay(day)}T00:00`)}&limit=500`;
    const shows = await list(`/v1/shows?${query}`);
    const body = $("day-table").tBodies[0];
    body.replaceChildren(
      ...shows.map((show) =>
        el(
          "tr",
          { "data-show": show.id },
          el("td", {}, Box.venueTime(show.start)),
          el("td", {}, filmTitle(show.filmId)),
          el("td", {}, screenName(show.screenId)),
          el("td", { class: "num" }, show.capacity),
          el("td", { class: "num sold" }, show.sold),
          el("td", { class: "num held" }, show.held),
          el("td", { class: "num available" }, show.available),
          el(
            "td",
            {},
            el("button", { type: "button", onclick: () => guarded("day-status", () => showBookings(show)) }, "Bookings"),
            " ",
            el("button", { type: "button", class: "danger", onclick: () => guarded("day-status", () => deleteShow(show)) }, "Delete"),
          ),
        ),
      ),
    );
    $("day-table").hidden = shows.length === 0;
    say("day-status", shows.length ? `${shows.length} ${shows.length === 1 ? "show" : "shows"} on ${day}.` : `No shows on ${day}.`);
  }

  async function deleteShow(show) {
    await send("DELETE", `/v1/shows/${show.id}`);
    await loadDay();
    say("day-status", `Deleted the ${Box.venueTime(show.start)} show of ${filmTitle(show.filmId)}.`);
  }

  async function showBookings(show) {
    const bookings = await list(`/v1/shows/${show.id}/bookings?limit=500`);
    const title = `${filmTitle(show.filmId)}, ${Box.venueDate(show.start)} ${Box.venueTime(show.start)}: ${bookings.length} ${bookings.length === 1 ? "booking" : "bookings"}`;
    $("show-bookings").replaceChildren(el("h3", {}, title), ...bookings.map((booking) => bookingCard(booking, show)));
  }

  $("day-form").addEventListener("submit", (event) => {
    event.preventDefault();
    guarded("day-status", loadDay);
  });

  // ---- Bookings: found, moved, cancelled.

  function bookingCard(booking, show) {
    const status = el("p", { role: "status" });
    const where = show
      ? `${filmTitle(show.filmId)} · ${screenName(show.screenId)} · ${Box.venueDate(show.start)} ${Box.venueTime(show.start)}`
      : booking.showId;
    const card = el(
      "article",
      { class: "notice", "data-booking": booking.id },
      el("p", {}, el("strong", {}, booking.id)),
      el("p", {}, where),
      el("p", {}, `${booking.userName}, ${booking.phoneNumber} · ${booking.seats.length ? `seats ${booking.seats.join(", ")}` : `${booking.count} ${booking.count === 1 ? "seat" : "seats"}`}`),
    );
    const actions = el("div", { class: "actions" });
    const moveBox = el("div", { hidden: true });
    const cancel = el("button", { type: "button", class: "danger cancel" }, "Cancel booking");
    const move = el("button", { type: "button", class: "move" }, "Move…");
    cancel.addEventListener("click", () => {
      const yes = el("button", { type: "button", class: "danger confirm-cancel" }, "Yes, cancel it");
      const no = el("button", { type: "button" }, "Keep it");
      no.addEventListener("click", () => {
        actions.replaceChildren(move, cancel);
        cancel.focus();
      });
      yes.addEventListener("click", async () => {
        try {
          await send("DELETE", `/v1/bookings/${booking.id}`);
          actions.replaceChildren();
          moveBox.hidden = true;
          status.textContent = "Cancelled; its seats are free again.";
          status.className = "cancelled";
          refreshDayQuietly();
        } catch (error) {
          status.textContent = sentence(error);
          status.className = "error";
        }
      });
      actions.replaceChildren(yes, no);
      yes.focus();
    });
    move.addEventListener("click", () => guarded("find-status", () => openMove(booking, moveBox, status, card)));
    actions.append(move, cancel);
    card.append(actions, moveBox, status);
    return card;
  }

  async function openMove(booking, box, status, card) {
    if (!box.hidden) {
      box.hidden = true;
      return;
    }
    const from = new Date();
    const to = new Date(from.getTime() + 30 * 86400000);
    const shows = await list(`/v1/shows?from=${encodeURIComponent(from.toISOString())}&to=${encodeURIComponent(to.toISOString())}&limit=500`);
    const select = el(
      "select",
      { class: "move-show" },
      shows.map((show) =>
        el(
          "option",
          { value: show.id, selected: show.id === booking.showId },
          `${filmTitle(show.filmId)} · ${Box.venueDate(show.start)} ${Box.venueTime(show.start)} · ${screenName(show.screenId)} · ${show.available} free`,
        ),
      ),
    );
    const seats = el("input", { class: "move-seats", id: `move-seats-${booking.id}`, spellcheck: "false" });
    const count = el("input", { class: "move-count", id: `move-count-${booking.id}`, type: "number", min: 1 });
    select.id = `move-show-${booking.id}`;
    const go = el("button", { type: "submit", class: "primary" }, "Move booking");
    const field = (label, input) => el("div", {}, el("label", { for: input.id }, label), input);
    const form = el(
      "form",
      { class: "move-form" },
      field("Show", select),
      field("Seats, like A7 A8 (seat maps)", seats),
      field("Or a number of seats", count),
      go,
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const body = {};
      if (select.value !== booking.showId) {
        body.showId = select.value;
      }
      const names = seats.value.toUpperCase().split(/[\s,]+/).filter(Boolean);
      if (names.length) {
        body.seats = names;
      } else if (count.value) {
        body.count = Number(count.value);
      }
      if (Object.keys(body).length === 0) {
        status.textContent = "Choose another show, other seats or another number of seats.";
        status.className = "error";
        return;
      }
      try {
        const moved = await send("PATCH", `/v1/bookings/${booking.id}`, body);
        const show = await get(`/v1/shows/${moved.showId}`);
        const fresh = bookingCard(moved, show);
        fresh.lastChild.textContent = "Moved.";
        card.replaceWith(fresh);
        refreshDayQuietly();
      } catch (error) {
        status.textContent = sentence(error);
        status.className = "error";
      }
    });
    box.replaceChildren(form);
    box.hidden = false;
    select.focus();
  }

  function refreshDayQuietly() {
    if ($("day-date").value) {
      loadDay().catch(() => {});
    }
  }

  async function showFound(bookings) {
    const shows = new Map();
    for (const booking of bookings) {
      if (!shows.has(booking.showId)) {
        shows.set(booking.showId, await get(`/v1/shows/${booking.showId}`).catch(() => null));
      }
    }
    $("found").replaceChildren(...bookings.map((booking) => bookingCard(booking, shows.get(booking.showId))));
  }

  $("find-by-id").addEventListener("submit", (event) => {
    event.preventDefault();
    guarded("find-status", async () => {
      const id = $("find-id").value.trim().toUpperCase();
      $("found").replaceChildren();
      if (!id) {
        say("find-status", "Type a booking number.", true);
        return;
      }
      try {
        const booking = await get(`/v1/bookings/${encodeURIComponent(id)}`);
        say("find-status", "Found 1 booking.");
        await showFound([booking]);
      } catch (error) {
        if (error instanceof Box.ApiError && error.status === 404) {
          say("find-status", `No booking has the number ${id}.`, true);
          return;
        }
        throw error;
      }
    });
  });

  $("find-by-phone").addEventListener("submit", (event) => {
    event.preventDefault();
    guarded("find-status", async () => {
      const phoneNumber = $("find-phone").value.trim();
      $("found").replaceChildren();
      if (!Box.phoneLooksRight(phoneNumber)) {
        say("find-status", "A phone number has 7 to 15 digits.", true);
        return;
      }
      // The number travels in the body, never in a URL.
      const answer = await send("POST", "/v1/bookings/search", { phoneNumber });
      const count = answer.items.length;
      say("find-status", count ? `Found ${count} ${count === 1 ? "booking" : "bookings"}.` : "No booking has that phone number.", count === 0);
      await showFound(answer.items);
    });
  });

  // ---- Start.

  $("day-date").value = localDate(new Date());
  guarded("day-status", async () => {
    await loadCatalogue();
    await loadDay();
  });
})();
