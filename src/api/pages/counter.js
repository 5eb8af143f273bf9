"use strict";
// The counter: the day's shows with their sales, bookings found by number or
// phone (moved or cancelled), and new films, screens (seat maps from a row
// layout) and shows. Every call is /v1 with the staff token. A submit button
// is disabled while its request is in flight; a destructive action is
// confirmed, then waits 5 s behind an Undo bar before it is sent.

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

  // A form's submit runs `work` once at a time: its button is disabled
  // until the answer is in.
  function onSubmit(form, statusId, work) {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const button = form.querySelector("button[type=submit]");
      Box.busy(button, () => guarded(statusId, work));
    });
  }

  // ---- Undo: a destructive action waits UNDO_MS behind a bar with an
  // Undo button; only then is it sent. A second one sends the first at once.

  const UNDO_MS = 5000;
  let pending = null;

  function afterUndo(text, run, undone) {
    sendPending();
    const bar = $("undo-bar");
    const deadline = Date.now() + UNDO_MS;
    const draw = () => {
      const left = Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
      const line = `${text} in ${left} s.`;
      if ($("undo-text").textContent !== line) {
        $("undo-text").textContent = line;
      }
    };
    draw();
    bar.hidden = false;
    const mine = {
      run,
      undone,
      ticker: setInterval(draw, 250),
      timer: setTimeout(() => sendPending(), UNDO_MS),
    };
    pending = mine;
    $("undo").focus();
  }

  function endPending() {
    const was = pending;
    pending = null;
    if (was) {
      clearInterval(was.ticker);
      clearTimeout(was.timer);
      $("undo-bar").hidden = true;
    }
    return was;
  }

  function sendPending() {
    const was = endPending();
    if (was) {
      was.run();
    }
  }

  $("undo").addEventListener("click", () => {
    const was = endPending();
    if (was && was.undone) {
      was.undone();
    }
  });

  // "Yes / Keep it" in place of `buttons` inside `box`; `yes` runs on Yes.
  function confirmIn(box, question, yesLabel, yesClass, yes) {
    const kept = [...box.childNodes];
    const sure = el("button", { type: "button", class: `danger ${yesClass}` }, yesLabel);
    const keep = el("button", { type: "button", class: "keep" }, "Keep it");
    const restore = () => {
      box.replaceChildren(...kept);
      const first = box.querySelector("button");
      if (first) {
        first.focus();
      }
    };
    keep.addEventListener("click", restore);
    sure.addEventListener("click", () => yes(restore));
    box.replaceChildren(el("span", { class: "question" }, question, " "), sure, " ", keep);
    sure.focus();
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

  // A title that is already in the list is added only when pressed again:
  // two films may share a title (a remake), but rarely on purpose.
  let sameTitleAgain = null;

  onSubmit($("film-form"), "film-status", async () => {
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
    const same = [...films.values()].find((film) => film.title.toLowerCase() === title.toLowerCase());
    if (same && sameTitleAgain !== title.toLowerCase()) {
      sameTitleAgain = title.toLowerCase();
      say("film-status", `There is already a film called “${same.title}” (${same.runtimeMinutes} min). Press Add film again to add another one of that title.`, true);
      return;
    }
    sameTitleAgain = null;
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
      const cells = [el("span", { class: "row-label", "aria-hidden": "true" }, row.label)];
      row.seats.forEach((seat, seatIndex) => {
        const kind = seat.kind || "standard";
        const mark = kind === "wheelchair" ? "♿" : kind === "companion" ? "+" : null;
        // The name starts with what the button shows (its number), so a
        // person who says what they see names it.
        cells.push(
          el(
            "button",
            {
              type: "button",
              class: `seat ${kind} ${seat.blocked ? "blocked" : "free"}`,
              "data-seat": `${row.label}${seat.number}`,
              "aria-label": `${seat.number}, row ${row.label}: ${kind}${seat.blocked ? ", not for sale" : ""}. Press to change.`,
              onclick: () => cycleSeat(rowIndex, seatIndex),
            },
            mark ? el("span", { class: "mark", "aria-hidden": "true" }, mark) : seat.number,
          ),
        );
        if (seat.aisleAfter) {
          cells.push(el("span", { class: "aisle" }));
        }
      });
      return el("div", { class: "row" }, cells);
    });
    $("layout-preview").replaceChildren(
      el("div", { class: "room-rows" }, el("div", { class: "screen-bar", "aria-hidden": "true" }, "Screen"), ...lines),
    );
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

  onSubmit($("screen-form"), "screen-status", async () => {
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

  // ---- Shows.

  onSubmit($("show-form"), "show-status", async () => {
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
    // The day table stays on its day; it gains the show if it is that day's.
    if (Box.venueDate(show.start) === $("day-date").value) {
      await loadDay();
    }
    refreshSellQuietly();
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
            { class: "row-actions" },
            el("button", { type: "button", class: "bookings", onclick: (event) => Box.busy(event.currentTarget, () => guarded("day-status", () => showBookings(show))) }, "Bookings"),
            " ",
            el("button", { type: "button", class: "danger delete", onclick: (event) => askDeleteShow(show, event.currentTarget.parentElement) }, "Delete"),
          ),
        ),
      ),
    );
    $("day-table").hidden = shows.length === 0;
    say("day-status", shows.length ? `${shows.length} ${shows.length === 1 ? "show" : "shows"} on ${day}.` : `No shows on ${day}.`);
  }

  function askDeleteShow(show, cell) {
    const what = `the ${Box.venueTime(show.start)} show of ${filmTitle(show.filmId)}`;
    confirmIn(cell, "Delete it?", "Yes, delete", "confirm-delete", (restore) => {
      restore();
      cell.closest("tr").classList.add("pending");
      afterUndo(
        `Deleting ${what}`,
        () =>
          guarded("day-status", async () => {
            try {
              await send("DELETE", `/v1/shows/${show.id}`);
              say("day-status", `Deleted ${what}.`);
            } finally {
              await loadDay().catch(() => {});
            }
          }),
        () => {
          cell.closest("tr").classList.remove("pending");
          say("day-status", `Kept ${what}.`);
          const button = cell.querySelector("button.delete");
          if (button) {
            button.focus();
          }
        },
      );
    });
  }

  async function showBookings(show) {
    const bookings = await list(`/v1/shows/${show.id}/bookings?limit=500`);
    const title = `${filmTitle(show.filmId)}, ${Box.venueDate(show.start)} ${Box.venueTime(show.start)}: ${bookings.length} ${bookings.length === 1 ? "booking" : "bookings"}`;
    const heading = el("h3", { tabindex: "-1", id: "show-bookings-title" }, title);
    $("show-bookings").replaceChildren(heading, ...bookings.map((booking) => bookingCard(booking, show)));
    // The list is below the table: take the clerk there.
    heading.scrollIntoView({ block: "start" });
    heading.focus({ preventScroll: true });
  }

  onSubmit($("day-form"), "day-status", loadDay);

  // ---- Bookings: found, moved, cancelled.

  // A show's seats as buttons, the screen at the top: `own` seats (the
  // booking's being moved) count as free; `toggle(name)` answers whether
  // the seat is now picked.
  function seatPicker(states, own, isPicked, toggle) {
    const rows = [];
    for (const seat of states) {
      if (!rows.length || rows[rows.length - 1].label !== seat.row) {
        rows.push({ label: seat.row, seats: [] });
      }
      rows[rows.length - 1].seats.push(seat);
    }
    const lines = rows.map((row) => {
      const cells = [el("span", { class: "row-label", "aria-hidden": "true" }, row.label)];
      for (const seat of row.seats) {
        const free = seat.state === "free" || own.has(seat.seat);
        const state = free ? "free" : seat.state;
        const mark = seat.kind === "wheelchair" ? "♿" : seat.kind === "companion" ? "+" : null;
        const button = el(
          "button",
          {
            type: "button",
            class: `seat ${seat.kind} ${state}`,
            "data-seat": seat.seat,
            "aria-pressed": free ? String(isPicked(seat.seat)) : null,
            "aria-label": `${seat.number}, row ${seat.row}${seat.kind === "standard" ? "" : `, ${seat.kind}`}, ${own.has(seat.seat) ? "this booking's" : state}`,
            disabled: !free,
          },
          mark ? el("span", { class: "mark", "aria-hidden": "true" }, mark) : seat.number,
        );
        button.addEventListener("click", () => {
          button.setAttribute("aria-pressed", String(toggle(seat.seat)));
        });
        cells.push(button);
        if (seat.aisleAfter) {
          cells.push(el("span", { class: "aisle", "aria-hidden": "true" }));
        }
      }
      return el("div", { class: "row" }, cells);
    });
    return el("div", { class: "room-rows" }, el("div", { class: "screen-bar", "aria-hidden": "true" }, "Screen"), lines);
  }

  function bookingCard(booking, show) {
    const status = el("p", { role: "status" });
    const where = show
      ? `${filmTitle(show.filmId)} · ${screenName(show.screenId)} · ${Box.venueDate(show.start)} ${Box.venueTime(show.start)}`
      : booking.showId;
    const card = el(
      "article",
      { class: "notice", "data-booking": booking.id },
      el("p", { class: "reference-line" }, "Reference ", el("strong", { class: "reference" }, booking.reference || "")),
      el("p", {}, "Booking ", el("span", { class: "booking-id" }, booking.id)),
      el("p", {}, where),
      el("p", {}, `${booking.userName || "Walk-up"}${booking.phoneNumber === null ? "" : `, ${booking.phoneNumber}`} · ${booking.seats.length ? `seats ${booking.seats.join(", ")}` : `${booking.count} ${booking.count === 1 ? "seat" : "seats"}`}`),
    );
    const actions = el("div", { class: "actions" });
    const moveBox = el("div", { hidden: true });
    const cancel = el("button", { type: "button", class: "danger cancel" }, "Cancel booking");
    const move = el("button", { type: "button", class: "move" }, "Move…");
    cancel.addEventListener("click", () => {
      confirmIn(actions, "Cancel this booking?", "Yes, cancel it", "confirm-cancel", (restore) => {
        restore();
        actions.hidden = true;
        status.textContent = "Cancelling…";
        status.className = "";
        afterUndo(
          `Cancelling booking ${booking.id}`,
          async () => {
            try {
              await send("DELETE", `/v1/bookings/${booking.id}`);
              actions.replaceChildren();
              moveBox.hidden = true;
              status.textContent = "Cancelled; its seats are free again.";
              status.className = "cancelled";
              refreshDayQuietly();
            } catch (error) {
              actions.hidden = false;
              status.textContent = sentence(error);
              status.className = "error";
            }
          },
          () => {
            actions.hidden = false;
            status.textContent = "Kept.";
            cancel.focus();
          },
        );
      });
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
    const map = el("div", { class: "move-map room", role: "group", "aria-label": "Seats of the chosen show, the screen at the top" });
    const form = el(
      "form",
      { class: "move-form" },
      field("Show", select),
      field("Seats, like A7 A8 (seat maps)", seats),
      field("Or a number of seats", count),
      go,
    );
    // The chosen show's seats: pressing one adds it to (or takes it from)
    // the seats field; the booking's own seats count as free.
    async function drawMap() {
      const showId = select.value;
      let states;
      try {
        states = await get(`/v1/shows/${showId}/seats`);
      } catch (error) {
        map.replaceChildren(el("p", { class: "error" }, sentence(error)));
        return;
      }
      if (select.value !== showId) {
        return;
      }
      if (states.length === 0) {
        map.replaceChildren(el("p", { class: "muted" }, "Free seating: give a number of seats, or none to keep the count."));
        return;
      }
      const own = new Set(showId === booking.showId ? booking.seats : []);
      const picked = () => new Set(seats.value.toUpperCase().split(/[\s,]+/).filter(Boolean));
      map.replaceChildren(
        seatPicker(states, own, (name) => picked().has(name), (name) => {
          const now = picked();
          if (now.has(name)) {
            now.delete(name);
          } else {
            now.add(name);
          }
          seats.value = states.map((one) => one.seat).filter((one) => now.has(one)).join(" ");
          return now.has(name);
        }),
      );
    }
    select.addEventListener("change", () => {
      seats.value = "";
      drawMap();
    });
    seats.addEventListener("change", () => drawMap());
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      Box.busy(go, () => submitMove());
    });
    async function submitMove() {
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
        // What was refused is drawn as it is now.
        drawMap();
      }
    }
    box.replaceChildren(form, map);
    box.hidden = false;
    await drawMap();
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

  // One box for a booking number (26 characters), a short reference (6)
  // or a phone number (7 to 15 digits; it travels in a body, never a URL).
  const REFERENCE = /^[2-9A-HJKMNP-TV-Z]{6}$/;
  onSubmit($("find-form"), "find-status", async () => {
    const typed = $("find-query").value.trim();
    const compact = typed.replace(/[\s-]/g, "").toUpperCase();
    $("found").replaceChildren();
    if (!typed) {
      say("find-status", "Type a booking number, a reference or a phone number.", true);
      return;
    }
    let found;
    if (/^[0-9A-Z]{26}$/.test(compact) || /^[0-9A-F]{24}$/.test(compact)) {
      try {
        found = [await get(`/v1/bookings/${encodeURIComponent(compact)}`)];
      } catch (error) {
        if (!(error instanceof Box.ApiError && error.status === 404)) {
          throw error;
        }
        found = [];
      }
    } else if (REFERENCE.test(compact)) {
      found = (await get(`/v1/bookings?reference=${encodeURIComponent(compact)}`)).items;
    } else if (Box.phoneLooksRight(typed)) {
      found = (await send("POST", "/v1/bookings/search", { phoneNumber: typed })).items;
    } else {
      say("find-status", "That is neither a booking number (26 characters), a reference (6) nor a phone number (7 to 15 digits).", true);
      return;
    }
    const count = found.length;
    say("find-status", count ? `Found ${count} ${count === 1 ? "booking" : "bookings"}.` : `No booking matches ${typed}.`, count === 0);
    await showFound(found);
    const first = $("found").querySelector("button");
    if (first) {
      first.focus();
    }
  });

  // ---- A walk-up sale: a show (the next first), seats or a count, a name
  // and a phone if the customer gives them, then the booking to print.

  let sale = null;

  async function loadSellShows() {
    const from = new Date();
    const to = new Date(from.getTime() + 7 * 86400000);
    const shows = (await list(`/v1/shows?from=${encodeURIComponent(from.toISOString())}&to=${encodeURIComponent(to.toISOString())}&limit=500`))
      .filter((show) => show.filmId && Date.parse(show.start) > Date.now())
      .slice(0, 24);
    $("sell-note").textContent = shows.length
      ? "The next shows, the soonest first. Pick one to sell."
      : "No shows in the next seven days: add one below.";
    $("sell-shows").replaceChildren(
      ...shows.map((show) =>
        el(
          "li",
          {},
          el(
            "button",
            { type: "button", class: "sell-show-button", "data-show": show.id, disabled: show.available <= 0, onclick: () => guarded("sell-note", () => pickSellShow(show.id)) },
            el("span", { class: "title" }, `${Box.dayLabel(show.start)} ${Box.venueTime(show.start)} · ${filmTitle(show.filmId)}`),
            el("span", { class: "detail" }, `${screenName(show.screenId)} · ${show.available > 0 ? `${show.available} free` : "sold out"}`),
          ),
        ),
      ),
    );
  }

  function sellStep(step) {
    $("sell-pick").hidden = step !== "pick";
    $("sell-order").hidden = step !== "order";
    $("sell-done").hidden = step !== "done";
    document.body.dataset.sell = step;
  }

  async function pickSellShow(showId) {
    const [show, states] = await Promise.all([get(`/v1/shows/${showId}`), get(`/v1/shows/${showId}/seats`)]);
    sale = { show, states, picked: new Set() };
    $("sell-show").textContent = `${filmTitle(show.filmId)} · ${screenName(show.screenId)} · ${Box.dayLabel(show.start)} ${Box.venueTime(show.start)} · ${show.available} free`;
    $("sell-status").textContent = "";
    $("sell-count-field").hidden = states.length > 0;
    $("sell-count").value = "1";
    $("sell-count").max = String(Math.max(show.available, 1));
    drawSellSeats();
    sellStep("order");
    const first = $("sell-seats").querySelector("button.seat:not([disabled])") || $("sell-count");
    first.focus();
  }

  function drawSellSeats() {
    if (sale.states.length === 0) {
      $("sell-seats").replaceChildren();
      return;
    }
    $("sell-seats").replaceChildren(
      el(
        "div",
        { class: "room", role: "group", "aria-label": "Seats, the screen at the top" },
        seatPicker(sale.states, new Set(), (name) => sale.picked.has(name), (name) => {
          if (sale.picked.has(name)) {
            sale.picked.delete(name);
          } else {
            sale.picked.add(name);
          }
          $("sell-status").textContent = sale.picked.size ? `Seats: ${pickedSellSeats().join(", ")}` : "";
          $("sell-status").className = "";
          return sale.picked.has(name);
        }),
      ),
    );
  }

  function pickedSellSeats() {
    return sale.states.map((seat) => seat.seat).filter((name) => sale.picked.has(name));
  }

  onSubmit($("sell-form"), "sell-status", async () => {
    if (!sale) {
      return;
    }
    const body = { showId: sale.show.id };
    if (sale.states.length) {
      if (sale.picked.size === 0) {
        say("sell-status", "Pick the seats on the map.", true);
        return;
      }
      body.seats = pickedSellSeats();
    } else {
      const count = Number($("sell-count").value);
      if (!Number.isInteger(count) || count < 1) {
        say("sell-status", "How many seats? A whole number, 1 or more.", true);
        $("sell-count").focus();
        return;
      }
      body.count = count;
    }
    const userName = $("sell-name").value.trim();
    const phoneNumber = $("sell-phone").value.trim();
    if (userName) {
      body.userName = userName;
    }
    if (phoneNumber) {
      if (!Box.phoneLooksRight(phoneNumber)) {
        say("sell-status", "A phone number has 7 to 15 digits; or leave it empty.", true);
        $("sell-phone").focus();
        return;
      }
      body.phoneNumber = phoneNumber;
    }
    let booking;
    try {
      booking = await send("POST", "/v1/bookings", body);
    } catch (error) {
      // The seats as they are now, so the clerk can pick again.
      const states = await get(`/v1/shows/${sale.show.id}/seats`).catch(() => sale.states);
      sale.states = states;
      sale.picked = new Set([...sale.picked].filter((name) => states.some((seat) => seat.seat === name && seat.state === "free")));
      drawSellSeats();
      throw error;
    }
    showReceipt(booking, sale.show);
    refreshDayQuietly();
  });

  function showReceipt(booking, show) {
    $("receipt-reference").textContent = booking.reference;
    $("receipt-film").textContent = filmTitle(show.filmId);
    $("receipt-screen").textContent = screenName(show.screenId);
    $("receipt-time").textContent = `${Box.venueDate(show.start)} ${Box.venueTime(show.start)}`;
    $("receipt-seats").textContent = booking.seats.length ? booking.seats.join(", ") : `${booking.count} (free seating)`;
    $("receipt-name").textContent = booking.userName || "Walk-up";
    $("receipt-id").textContent = booking.id;
    const qr = $("receipt-qr");
    const old = qr.querySelector("img");
    if (old) {
      URL.revokeObjectURL(old.src);
    }
    qr.replaceChildren();
    sellStep("done");
    $("sell-print").focus();
    call("GET", `/v1/bookings/${booking.id}/qr.svg`, undefined, { ...staff, blob: true })
      .then((blob) => {
        qr.replaceChildren(el("img", { id: "receipt-qr-image", src: URL.createObjectURL(blob), alt: `QR code of booking ${booking.reference}`, width: 200, height: 200 }));
      })
      .catch(() => qr.replaceChildren(el("p", {}, "The code could not be loaded; the reference is enough.")));
  }

  async function nextSale() {
    sale = null;
    $("sell-name").value = "";
    $("sell-phone").value = "";
    sellStep("pick");
    await guarded("sell-note", loadSellShows);
    const first = $("sell-shows").querySelector("button:not([disabled])");
    (first || $("sell-title")).focus();
  }

  // The list of shows to sell is read again every 20 s while it is shown
  // (unless the clerk is in it), and after a show is created.
  function refreshSellQuietly() {
    if (document.body.dataset.sell === "pick" && !$("sell-pick").contains(document.activeElement)) {
      loadSellShows().catch(() => {});
    }
  }
  setInterval(refreshSellQuietly, 20000);

  $("sell-back").addEventListener("click", nextSale);
  $("sell-next").addEventListener("click", nextSale);
  $("sell-print").addEventListener("click", () => window.print());

  // Keyboard shortcuts, shown at the top of the page.
  const SHORTCUTS = {
    s: () => {
      if (document.body.dataset.sell !== "pick") {
        nextSale();
      } else {
        const first = $("sell-shows").querySelector("button:not([disabled])");
        (first || $("sell-title")).focus();
      }
    },
    f: () => $("find-query").focus(),
    d: () => $("day-date").focus(),
    p: () => {
      if (document.body.dataset.sell === "done") {
        window.print();
      }
    },
    n: () => nextSale(),
  };
  document.addEventListener("keydown", (event) => {
    const action = event.altKey && !event.ctrlKey && !event.metaKey && SHORTCUTS[event.key.toLowerCase()];
    if (action) {
      event.preventDefault();
      action();
    }
  });

  // ---- Start.

  $("day-date").value = localDate(new Date());
  sellStep("pick");
  // The panels below the sale come out once the shows to sell and the day
  // are in, together, so nothing on screen moves as the lists fill.
  guarded("day-status", async () => {
    await loadCatalogue();
    await guarded("sell-note", loadSellShows);
    await loadDay();
  }).finally(() => {
    delete document.body.dataset.loading;
  });
})();
