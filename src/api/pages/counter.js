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
    loadPreviewShows().catch(() => {});
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

  // ---- Prices: ticket types, price cards and which card a show takes.
  // Everyone may read them; only the roles that may change them (admin)
  // see the forms and the edit buttons.

  const SEAT_KINDS = [
    [null, "Any seat"],
    ["standard", "Standard"],
    ["premium", "Premium"],
    ["wheelchair", "Wheelchair place"],
    ["companion", "Companion seat"],
  ];
  const kindName = (kind) => (SEAT_KINDS.find(([one]) => one === kind) || [kind, kind || "Any seat"])[1];
  const DAYS = [
    ["mon", "Monday"],
    ["tue", "Tuesday"],
    ["wed", "Wednesday"],
    ["thu", "Thursday"],
    ["fri", "Friday"],
    ["sat", "Saturday"],
    ["sun", "Sunday"],
  ];
  const CHANNEL_NAMES = { counter: "Counter", kiosk: "Kiosk", api: "Programs" };
  const EDIT_ROLES = new Set(["admin"]);
  const MAX_PRICE = 1000000000;

  const book = { types: [], cards: [], currency: null, canEdit: false };
  const typeName = (id) => (book.types.find((one) => one.id === id) || { name: "(deleted type)" }).name;
  const channelsText = (channels) => channels.map((channel) => CHANNEL_NAMES[channel] || channel).join(", ") || "nowhere";

  // The card's rules in a few words: "Fri, Sat · 17:00–02:00 · 2 films".
  function rulesText(card) {
    const rules = card.rules;
    const parts = [];
    if (rules.weekdays) {
      parts.push(rules.weekdays.map((day) => day[0].toUpperCase() + day.slice(1)).join(", "));
    }
    if (rules.times) {
      parts.push(`${rules.times.from}–${rules.times.to}${rules.times.to <= rules.times.from ? " (past midnight)" : ""}`);
    }
    if (rules.films.length) {
      parts.push(rules.films.length === 1 ? filmTitle(rules.films[0]) : `${rules.films.length} films`);
    }
    if (rules.screens.length) {
      parts.push(rules.screens.length === 1 ? screenName(rules.screens[0]) : `${rules.screens.length} screens`);
    }
    if (rules.dates) {
      parts.push(`${rules.dates.from} to ${rules.dates.to}`);
    }
    const when = parts.length ? parts.join(" · ") : "every show";
    return card.default ? `The default card; by its rules: ${when}` : when;
  }

  async function loadPrices() {
    const [who, types, cards] = await Promise.all([Box.me(), list("/v1/ticket-types?limit=100"), list("/v1/price-cards?limit=200")]);
    book.types = types;
    book.cards = cards;
    book.canEdit = EDIT_ROLES.has(who.role);
    if (cards.length) {
      book.currency = cards[0].currency;
    }
    for (const node of document.querySelectorAll("#prices .edit-only")) {
      node.hidden = !book.canEdit;
    }
    $("prices-note").textContent = book.canEdit
      ? `Prices include tax. Type amounts as on a receipt${book.currency ? `, in ${book.currency}` : ""}, like 12.50.`
      : `Prices include tax${book.currency ? `, in ${book.currency}` : ""}. Only an admin may change them; you may read them here.`;
    drawTypes();
    drawCards();
    drawPinChoices();
  }

  function drawTypes() {
    $("type-table").tBodies[0].replaceChildren(
      ...book.types.map((type) => {
        const actions = el("td", { class: "row-actions" });
        if (book.canEdit) {
          actions.append(
            el("button", { type: "button", class: "edit-type", "aria-label": `Change ${type.name}`, onclick: () => editType(type) }, "Change"),
            " ",
            el("button", { type: "button", class: "danger delete-type", "aria-label": `Delete ${type.name}`, onclick: (event) => askDelete(event.currentTarget.parentElement, `ticket type ${type.name}`, `/v1/ticket-types/${type.id}`, "type-status") }, "Delete"),
          );
        }
        return el(
          "tr",
          { "data-type": type.id },
          el("td", {}, type.name),
          el("td", { class: "num" }, `${Box.percent(type.taxRate)} %`),
          el("td", {}, channelsText(type.channels)),
          el("td", {}, type.proof || ""),
          book.canEdit ? actions : null,
        );
      }),
    );
  }

  // Deletes `path` after a confirmation and the Undo wait.
  function askDelete(cell, what, path, statusId) {
    confirmIn(cell, `Delete ${what}?`, "Yes, delete", "confirm-delete", (restore) => {
      restore();
      afterUndo(
        `Deleting ${what}`,
        () =>
          guarded(statusId, async () => {
            await send("DELETE", path);
            say(statusId, `Deleted ${what}.`);
            await loadPrices();
          }),
        () => say(statusId, `Kept ${what}.`),
      );
    });
  }

  let editingType = null;
  function editType(type) {
    editingType = type;
    $("type-name").value = type.name;
    $("type-tax").value = Box.percent(type.taxRate);
    for (const box of document.querySelectorAll("input[name=type-channel]")) {
      box.checked = type.channels.includes(box.value);
    }
    $("type-proof").value = type.proof || "";
    $("type-form-title").textContent = `Change ${type.name}`;
    $("type-submit").textContent = "Save the change";
    $("type-cancel").hidden = false;
    say("type-status", "");
    $("type-name").focus();
  }

  function resetTypeForm() {
    editingType = null;
    $("type-name").value = "";
    $("type-tax").value = "0";
    $("type-proof").value = "";
    for (const box of document.querySelectorAll("input[name=type-channel]")) {
      box.checked = true;
    }
    $("type-form-title").textContent = "Add a ticket type";
    $("type-submit").textContent = "Add ticket type";
    $("type-cancel").hidden = true;
  }
  $("type-cancel").addEventListener("click", () => {
    resetTypeForm();
    say("type-status", "");
  });

  onSubmit($("type-form"), "type-status", async () => {
    const name = $("type-name").value.trim();
    const taxRate = Box.parseDecimal($("type-tax").value, 2);
    const channels = [...document.querySelectorAll("input[name=type-channel]:checked")].map((box) => box.value);
    const proof = $("type-proof").value.trim();
    if (!name) {
      say("type-status", "Give the ticket type a name.", true);
      $("type-name").focus();
      return;
    }
    if (taxRate === null || taxRate > 10000) {
      say("type-status", "The tax is a percentage from 0 to 100, at most two decimals, like 7 or 7.5.", true);
      $("type-tax").focus();
      return;
    }
    const body = { name, taxRate, channels, proof: proof || null };
    const saved = editingType
      ? await send("PATCH", `/v1/ticket-types/${editingType.id}`, body)
      : await send("POST", "/v1/ticket-types", body);
    const changed = Boolean(editingType);
    resetTypeForm();
    await loadPrices();
    say("type-status", changed ? `Saved ${saved.name}.` : `Added ${saved.name}: give it prices on a card below.`);
  });

  function drawCards() {
    $("card-table").tBodies[0].replaceChildren(
      ...book.cards.map((card) => {
        const actions = el("td", { class: "row-actions" });
        actions.append(
          el("button", { type: "button", class: "edit-card", "aria-label": `${book.canEdit ? "Change" : "See"} ${card.name}`, onclick: () => openCard(card) }, book.canEdit ? "Change" : "See"),
        );
        if (book.canEdit) {
          actions.append(
            " ",
            el("button", { type: "button", class: "danger delete-card", "aria-label": `Delete ${card.name}`, onclick: (event) => askDelete(event.currentTarget.parentElement, `price card ${card.name}`, `/v1/price-cards/${card.id}`, "card-status") }, "Delete"),
          );
        }
        return el(
          "tr",
          { "data-card": card.id },
          el("td", {}, card.name),
          el("td", { class: "num" }, card.priority),
          el("td", {}, rulesText(card)),
          actions,
        );
      }),
    );
  }

  // Ticks one box per choice inside `fieldset` (after its legend).
  function checkboxes(fieldset, name, choices, ticked) {
    const legend = fieldset.querySelector("legend");
    fieldset.replaceChildren(
      legend,
      ...choices.map(([value, label]) =>
        el("label", {}, el("input", { type: "checkbox", name, value, checked: ticked.includes(value) }), ` ${label}`),
      ),
    );
  }
  const ticked = (name) => [...document.querySelectorAll(`input[name=${name}]:checked`)].map((box) => box.value);

  let editingCard = null;
  function openCard(card) {
    editingCard = card;
    const rules = card ? card.rules : { weekdays: null, times: null, films: [], screens: [], dates: null };
    $("card-form-title").textContent = card ? (book.canEdit ? `Change ${card.name}` : card.name) : "New price card";
    $("card-name").value = card ? card.name : "";
    $("card-priority").value = String(card ? card.priority : 0);
    $("card-default").checked = Boolean(card && card.default);
    checkboxes($("card-weekdays"), "card-day", DAYS, rules.weekdays || []);
    $("card-time-from").value = rules.times ? rules.times.from : "";
    $("card-time-to").value = rules.times ? rules.times.to : "";
    $("card-date-from").value = rules.dates ? rules.dates.from : "";
    $("card-date-to").value = rules.dates ? rules.dates.to : "";
    checkboxes($("card-films"), "card-film", [...films.values()].map((film) => [film.id, film.title]), rules.films);
    checkboxes($("card-screens"), "card-screen", [...screens.values()].map((screen) => [screen.id, screen.name]), rules.screens);
    drawPriceGrid(card);
    for (const control of $("card-form").querySelectorAll("input")) {
      control.disabled = !book.canEdit;
    }
    $("card-submit").hidden = !book.canEdit;
    $("card-cancel").textContent = book.canEdit ? "Close without saving" : "Close";
    say("card-status", "");
    $("card-form").hidden = false;
    $("card-form-title").focus();
  }

  // The card's prices: a row per ticket type, a column per seat kind and
  // one for any seat; an empty box is no price there.
  function drawPriceGrid(card) {
    const currency = book.currency || "EUR";
    $("card-prices-caption").textContent = `Prices in ${currency}, tax included; an empty box: not sold on that kind of seat`;
    const grid = $("card-prices");
    grid.tHead.replaceChildren(
      el("tr", {}, el("th", { scope: "col" }, "Ticket type"), ...SEAT_KINDS.map(([, label]) => el("th", { scope: "col", class: "num" }, label))),
    );
    const priceOf = (type, kind) => {
      const found = card && card.prices.find((price) => price.type === type && (price.seatKind || null) === kind);
      return found ? Box.moneyField(found.amount, currency) : "";
    };
    grid.tBodies[0].replaceChildren(
      ...book.types.map((type) =>
        el(
          "tr",
          {},
          el("th", { scope: "row" }, type.name),
          ...SEAT_KINDS.map(([kind, label]) =>
            el(
              "td",
              { class: "num" },
              el("input", {
                class: "price",
                inputmode: "decimal",
                autocomplete: "off",
                "data-type": type.id,
                "data-kind": kind || "any",
                "aria-label": `${type.name}, ${label}, in ${currency}`,
                value: priceOf(type.id, kind),
              }),
            ),
          ),
        ),
      ),
    );
  }

  $("card-new").addEventListener("click", () => openCard(null));
  $("card-cancel").addEventListener("click", () => {
    $("card-form").hidden = true;
    editingCard = null;
  });

  // The card form as /v1 takes it, or an error sentence and its field.
  function readCard() {
    const name = $("card-name").value.trim();
    if (!name) {
      return { error: "Give the card a name.", field: "card-name" };
    }
    const priority = Number($("card-priority").value);
    if (!Number.isInteger(priority) || Math.abs(priority) > 1000000) {
      return { error: "The priority is a whole number from -1000000 to 1000000.", field: "card-priority" };
    }
    const days = ticked("card-day");
    const [timeFrom, timeTo] = [$("card-time-from").value, $("card-time-to").value];
    if (Boolean(timeFrom) !== Boolean(timeTo)) {
      return { error: "Give the start time both a from and an until, or neither.", field: timeFrom ? "card-time-to" : "card-time-from" };
    }
    const [dateFrom, dateTo] = [$("card-date-from").value, $("card-date-to").value];
    if (Boolean(dateFrom) !== Boolean(dateTo)) {
      return { error: "Give the dates both a first and a last day, or neither.", field: dateFrom ? "card-date-to" : "card-date-from" };
    }
    const currency = book.currency || "EUR";
    const prices = [];
    for (const input of $("card-prices").querySelectorAll("input.price")) {
      const text = input.value.trim();
      if (!text) {
        continue;
      }
      const amount = Box.parseMoney(text, currency);
      if (amount === null || amount > MAX_PRICE) {
        const example = Box.moneyField(1250, currency);
        return { error: `${input.getAttribute("aria-label")}: “${text}” is not an amount (like ${example}).`, field: input };
      }
      const price = { type: input.dataset.type, amount };
      if (input.dataset.kind !== "any") {
        price.seatKind = input.dataset.kind;
      }
      prices.push(price);
    }
    return {
      body: {
        name,
        priority,
        default: $("card-default").checked,
        rules: {
          weekdays: days.length ? days : null,
          times: timeFrom ? { from: timeFrom, to: timeTo } : null,
          films: ticked("card-film"),
          screens: ticked("card-screen"),
          dates: dateFrom ? { from: dateFrom, to: dateTo } : null,
        },
        prices,
      },
    };
  }

  onSubmit($("card-form"), "card-status", async () => {
    const read = readCard();
    if (read.error) {
      say("card-status", read.error, true);
      (typeof read.field === "string" ? $(read.field) : read.field).focus();
      return;
    }
    const saved = editingCard
      ? await send("PATCH", `/v1/price-cards/${editingCard.id}`, read.body)
      : await send("POST", "/v1/price-cards", read.body);
    editingCard = saved;
    await loadPrices();
    // The amounts as the service keeps them: "8,5" reads "8.50".
    drawPriceGrid(saved);
    $("card-form-title").textContent = `Change ${saved.name}`;
    say("card-status", `Saved ${saved.name}.`);
  });

  // ---- Which card a show takes, and pinning one.

  const WHY = {
    named: "this show is pinned to it.",
    rules: "its rules match this show, and no other matching card has a higher priority.",
    default: "no other card's rules match this show, and it is the default card.",
  };

  function drawPinChoices() {
    const select = $("pin-card");
    if (!select) {
      return;
    }
    const chosen = select.value;
    select.replaceChildren(
      el("option", { value: "" }, "By the rules (pin no card)"),
      ...book.cards.map((card) => el("option", { value: card.id }, card.name)),
    );
    select.value = chosen;
  }

  async function loadPreviewShows() {
    const from = new Date();
    const to = new Date(from.getTime() + 30 * 86400000);
    const shows = await list(`/v1/shows?from=${encodeURIComponent(from.toISOString())}&to=${encodeURIComponent(to.toISOString())}&limit=500`);
    const chosen = $("preview-show").value;
    $("preview-show").replaceChildren(
      ...shows.map((show) => el("option", { value: show.id }, `${Box.venueDate(show.start)} ${Box.venueTime(show.start)} · ${filmTitle(show.filmId)} · ${screenName(show.screenId)}`)),
    );
    if (chosen && shows.some((show) => show.id === chosen)) {
      $("preview-show").value = chosen;
    }
  }

  async function previewPrices(showId) {
    const [show, prices] = await Promise.all([get(`/v1/shows/${showId}`), get(`/v1/shows/${showId}/prices`)]);
    book.currency = book.currency || prices.currency;
    const where = `${filmTitle(show.filmId)}, ${Box.venueDate(show.start)} ${Box.venueTime(show.start)}, ${screenName(show.screenId)}`;
    const parts = [];
    if (!prices.card) {
      parts.push(el("p", { class: "why error", id: "preview-why" }, `${where}: no card takes this show and no card is the default, so nothing can be sold for it.`));
    } else {
      const card = book.cards.find((one) => one.id === prices.card.id);
      const because = prices.card.why === "rules" && card ? ` (${rulesText(card)})` : "";
      parts.push(
        el("p", { class: "why", id: "preview-why", "data-card": prices.card.id, "data-why": prices.card.why }, `${where} takes the card “${prices.card.name}”: ${WHY[prices.card.why] || prices.card.why}${because}`),
      );
      const kinds = [];
      for (const type of prices.types) {
        for (const price of type.prices) {
          if (!kinds.includes(price.seatKind)) {
            kinds.push(price.seatKind);
          }
        }
      }
      parts.push(
        el(
          "table",
          { id: "preview-table" },
          el("caption", {}, `What each ticket type costs for this show, in ${prices.currency}, tax included`),
          el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "Ticket type"), el("th", { scope: "col" }, "Sold at"), ...kinds.map((kind) => el("th", { scope: "col", class: "num" }, kind ? kindName(kind) : "Any place")))),
          el(
            "tbody",
            {},
            prices.types.map((type) =>
              el(
                "tr",
                { "data-type": type.id },
                el("th", { scope: "row" }, type.name),
                el("td", {}, channelsText(type.channels)),
                ...kinds.map((kind) => {
                  const price = type.prices.find((one) => one.seatKind === kind);
                  return el("td", { class: "num" }, price ? Box.money(price.price, prices.currency) : "not sold");
                }),
              ),
            ),
          ),
        ),
      );
    }
    if (book.canEdit) {
      const select = el("select", { id: "pin-card" });
      const pin = el("form", { id: "pin-form", class: "choice-row" }, el("label", { for: "pin-card" }, "Price this show by"), select, el("button", { type: "submit", class: "primary" }, "Pin"));
      parts.push(pin);
      $("preview").replaceChildren(...parts);
      drawPinChoices();
      select.value = show.priceCardId || "";
      pin.addEventListener("submit", (event) => {
        event.preventDefault();
        Box.busy(pin.querySelector("button"), () =>
          guarded("preview-status", async () => {
            await send("PATCH", `/v1/shows/${showId}`, { priceCardId: select.value || null });
            await previewPrices(showId);
            say("preview-status", select.value ? "Pinned: the show is priced by that card." : "Unpinned: the show takes a card by the rules.");
          }),
        );
      });
    } else {
      $("preview").replaceChildren(...parts);
    }
  }

  onSubmit($("preview-form"), "preview-status", async () => {
    const showId = $("preview-show").value;
    if (!showId) {
      say("preview-status", "There are no shows in the next 30 days to look at.", true);
      return;
    }
    say("preview-status", "");
    await previewPrices(showId);
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
    const [show, states, prices, who] = await Promise.all([
      get(`/v1/shows/${showId}`),
      get(`/v1/shows/${showId}/seats`),
      get(`/v1/shows/${showId}/prices`),
      Box.me(),
    ]);
    // Only the types sold where this page sells, with a price here.
    const offered = prices.types.filter((type) => type.channels.includes(who.channel) && type.prices.length > 0);
    sale = { show, states, picked: new Set(), prices, offered, seatTypes: new Map(), counts: new Map() };
    if (states.length === 0 && offered.length) {
      sale.counts.set(offered[0].id, 1);
    }
    $("sell-show").textContent = `${filmTitle(show.filmId)} · ${screenName(show.screenId)} · ${Box.dayLabel(show.start)} ${Box.venueTime(show.start)} · ${show.available} free`;
    $("sell-status").textContent = "";
    drawSellSeats();
    drawSellTypes();
    sellStep("order");
    const first = $("sell-seats").querySelector("button.seat:not([disabled])") || $("sell-types").querySelector("input, select") || $("sell-back");
    first.focus();
  }

  // What one ticket of `type` costs on a seat of `kind` (null: general
  // admission), or null when it is not sold there.
  function priceOn(type, kind) {
    const price = type.prices.find((one) => one.seatKind === kind);
    return price ? price.price : null;
  }

  // The ticket types: one choice per picked seat on a seat map, a count
  // per type on free seating; the running total below them.
  function drawSellTypes() {
    const currency = sale.prices.currency;
    const box = $("sell-types");
    $("sell-submit").disabled = false;
    if (!sale.prices.card || sale.offered.length === 0) {
      box.replaceChildren(
        el("p", { class: "error", id: "sell-unpriced" }, sale.prices.card ? "No ticket type of this show is sold at the counter, so nothing can be sold for it here." : Box.sentence(new Box.ApiError(409, { type: "urn:boxoffice:no-price-card" }))),
      );
      $("sell-total").textContent = "";
      $("sell-submit").disabled = true;
      return;
    }
    if (sale.states.length) {
      const kinds = new Map(sale.states.map((seat) => [seat.seat, seat.kind]));
      const seats = pickedSellSeats();
      for (const seat of seats) {
        if (!sale.seatTypes.has(seat)) {
          const first = sale.offered.find((type) => priceOn(type, kinds.get(seat)) !== null) || sale.offered[0];
          sale.seatTypes.set(seat, first.id);
        }
      }
      box.replaceChildren(
        ...(seats.length ? [] : [el("p", { class: "muted" }, "Pick the seats on the map; each gets a ticket type here.")]),
        ...seats.map((seat) => {
          const select = el(
            "select",
            { id: `sell-type-${seat}`, class: "seat-type", "data-seat": seat },
            sale.offered.map((type) => {
              const price = priceOn(type, kinds.get(seat));
              return el("option", { value: type.id, disabled: price === null }, `${type.name} · ${price === null ? "not sold on this seat" : Box.money(price, currency)}`);
            }),
          );
          select.value = sale.seatTypes.get(seat);
          select.addEventListener("change", () => {
            sale.seatTypes.set(seat, select.value);
            drawSellTotal();
          });
          const kind = kinds.get(seat);
          return el("div", { class: "ticket-choice" }, el("label", { for: select.id }, `Seat ${seat}${kind === "standard" ? "" : ` (${kindName(kind).toLowerCase()})`}`), select);
        }),
      );
    } else {
      box.replaceChildren(
        ...sale.offered.map((type) => {
          const price = priceOn(type, null);
          const input = el("input", { id: `sell-count-${type.id}`, class: "type-count", type: "number", min: 0, max: sale.show.available, "data-type": type.id, value: String(sale.counts.get(type.id) || 0) });
          input.addEventListener("input", () => {
            const count = Number(input.value);
            sale.counts.set(type.id, Number.isInteger(count) && count > 0 ? count : 0);
            drawSellTotal();
          });
          return el("div", { class: "ticket-choice" }, el("label", { for: input.id }, `${type.name} · ${price === null ? "not sold" : Box.money(price, currency)}`), input);
        }),
      );
    }
    drawSellTotal();
  }

  // The tickets as /v1 takes them, with what they cost together.
  function sellTickets() {
    const currency = sale.prices.currency;
    const byId = new Map(sale.offered.map((type) => [type.id, type]));
    const counts = new Map();
    let total = 0;
    let tickets;
    if (sale.states.length) {
      const kinds = new Map(sale.states.map((seat) => [seat.seat, seat.kind]));
      tickets = pickedSellSeats().map((seat) => ({ seat, type: sale.seatTypes.get(seat) }));
      for (const ticket of tickets) {
        total += priceOn(byId.get(ticket.type), kinds.get(ticket.seat)) || 0;
        counts.set(ticket.type, (counts.get(ticket.type) || 0) + 1);
      }
    } else {
      tickets = sale.offered.filter((type) => sale.counts.get(type.id) > 0).map((type) => ({ type: type.id, count: sale.counts.get(type.id) }));
      for (const ticket of tickets) {
        total += (priceOn(byId.get(ticket.type), null) || 0) * ticket.count;
        counts.set(ticket.type, ticket.count);
      }
    }
    const what = [...counts].map(([type, count]) => `${byId.get(type).name} ×${count}`).join(", ");
    return { tickets, total, what, currency };
  }

  function drawSellTotal() {
    const { tickets, total, what, currency } = sellTickets();
    $("sell-total").textContent = tickets.length ? `${what} · Total ${Box.money(total, currency)}` : `Total ${Box.money(0, currency)}`;
    $("sell-total").dataset.total = String(total);
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
            sale.seatTypes.delete(name);
          } else {
            sale.picked.add(name);
          }
          $("sell-status").textContent = sale.picked.size ? `Seats: ${pickedSellSeats().join(", ")}` : "";
          $("sell-status").className = "";
          drawSellTypes();
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
    if (sale.states.length && sale.picked.size === 0) {
      say("sell-status", "Pick the seats on the map.", true);
      return;
    }
    const { tickets } = sellTickets();
    if (tickets.length === 0) {
      say("sell-status", "How many tickets of which type? Give at least one a count.", true);
      const first = $("sell-types").querySelector("input");
      if (first) {
        first.focus();
      }
      return;
    }
    body.tickets = tickets;
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
      drawSellTypes();
      throw error;
    }
    showReceipt(booking, sale.show, sale.prices);
    refreshDayQuietly();
  });

  function showReceipt(booking, show, prices) {
    const names = new Map(prices.types.map((type) => [type.id, type.name]));
    const currency = booking.currency;
    $("receipt-lines").tBodies[0].replaceChildren(
      ...booking.lines.map((line) =>
        el(
          "tr",
          { "data-line": line.id, "data-type": line.type },
          el("td", {}, line.seat || "Free seating"),
          el("td", {}, names.get(line.type) || typeName(line.type)),
          el("td", { class: "num" }, Box.money(line.price, currency)),
          el("td", { class: "num" }, Box.money(line.tax, currency)),
        ),
      ),
    );
    $("receipt-total").textContent = Box.money(booking.total, currency);
    $("receipt-total").dataset.total = String(booking.total);
    $("receipt-tax").textContent = Box.money(booking.lines.reduce((sum, line) => sum + line.tax, 0), currency);
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
    // The prices, at the foot of the page, fill in afterwards.
    guarded("type-status", loadPrices).then(() => guarded("preview-status", loadPreviewShows));
  });
})();
