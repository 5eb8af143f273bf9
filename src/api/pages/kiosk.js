"use strict";
// The kiosk: film → show → seats (or a count) → a hold with its countdown →
// name and phone → the booking with its QR code. Idle for `?idle=` seconds
// (default 60), it releases any hold and starts again, forgetting the
// customer.

(() => {
  const { call, all, sentence, el, ApiError, NetworkError } = Box;
  const $ = (id) => document.getElementById(id);

  const MOST_SEATS = 10;
  const DAYS_AHEAD = 7;
  const idleParameter = Number(new URLSearchParams(location.search).get("idle"));
  const IDLE_MS =
    Number.isFinite(idleParameter) && idleParameter >= 1 && idleParameter <= 3600
      ? idleParameter * 1000
      : 60000;

  // Everything about the current customer; `forget()` drops it all.
  let customer = null;
  function forget() {
    customer = { film: null, show: null, seats: [], picked: new Set(), count: 1, hold: null };
  }
  let catalogue = { films: new Map(), screens: new Map(), shows: [] };
  let countdownTimer = null;
  let lastTouch = Date.now();
  // Answers that arrive after a reset belong to nobody.
  let generation = 0;

  function view(name) {
    for (const section of document.querySelectorAll("[data-view]")) {
      section.hidden = section.id !== `view-${name}`;
    }
    $("restart").hidden = name === "start";
    document.body.dataset.step = name;
    const heading = document.querySelector(`#view-${name} h2`);
    heading.focus();
  }

  function problem(title, text, actions) {
    stopCountdown();
    $("problem-title").textContent = title;
    $("problem-text").textContent = text;
    const box = $("problem-actions");
    box.replaceChildren(
      ...actions.map(([label, action], index) =>
        el("button", { type: "button", class: index === 0 ? "primary" : "", onclick: action }, label),
      ),
    );
    view("problem");
  }

  // Runs `work`; a failure becomes a sentence with a way back. Answers of
  // a customer who has since been forgotten are dropped.
  async function guarded(work, retry) {
    const mine = generation;
    try {
      await work(() => mine !== generation);
    } catch (error) {
      if (mine !== generation) {
        return;
      }
      const actions = [];
      if (retry) {
        actions.push(["Try again", retry]);
      }
      actions.push(["Start over", restart]);
      problem("Sorry", sentence(error), actions);
    }
  }

  // ---- Start: the films with shows today and in the next days.

  async function loadStart() {
    view("start");
    $("start-note").textContent = "Loading today's and the next days' shows…";
    $("films").replaceChildren();
    await guarded(async (stale) => {
      const from = new Date();
      const to = new Date(from.getTime() + DAYS_AHEAD * 86400000);
      const query = `from=${encodeURIComponent(from.toISOString())}&to=${encodeURIComponent(to.toISOString())}&limit=500`;
      const [films, screens, shows] = await Promise.all([
        all("/v1/films?limit=500"),
        all("/v1/screens?limit=500"),
        all(`/v1/shows?${query}`),
      ]);
      if (stale()) {
        return;
      }
      const known = new Set(films.map((film) => film.id));
      catalogue = {
        films: new Map(films.map((film) => [film.id, film])),
        screens: new Map(screens.map((screen) => [screen.id, screen])),
        shows: shows.filter((show) => show.filmId && known.has(show.filmId)),
      };
      renderFilms();
    }, loadStart);
  }

  function renderFilms() {
    const byFilm = new Map();
    for (const show of catalogue.shows) {
      if (!byFilm.has(show.filmId)) {
        byFilm.set(show.filmId, []);
      }
      byFilm.get(show.filmId).push(show);
    }
    if (byFilm.size === 0) {
      $("start-note").textContent = "There are no shows today or in the next days. Please ask at the counter.";
      return;
    }
    $("start-note").textContent = "Today and the next days. Touch a film to see its shows.";
    const items = [...byFilm.entries()].map(([filmId, shows]) => {
      const film = catalogue.films.get(filmId);
      const next = shows.find((show) => show.available > 0);
      const facts = [film.rating, `${film.runtimeMinutes} min`].filter(Boolean).join(" · ");
      return el(
        "li",
        {},
        el(
          "button",
          { type: "button", class: "film", "data-film": filmId, onclick: () => chooseFilm(filmId) },
          el("span", { class: "title" }, film.title),
          el("span", { class: "detail" }, facts),
          el("span", { class: "detail" }, next ? `Next: ${Box.showWhen(next.start)}` : "Sold out"),
        ),
      );
    });
    $("films").replaceChildren(...items);
  }

  // ---- A film's shows, by day.

  function chooseFilm(filmId) {
    customer.film = catalogue.films.get(filmId);
    customer.show = null;
    renderShows();
  }

  function renderShows() {
    const film = customer.film;
    $("shows-title").textContent = film.title;
    const days = new Map();
    for (const show of catalogue.shows.filter((show) => show.filmId === film.id)) {
      const day = Box.dayLabel(show.start);
      if (!days.has(day)) {
        days.set(day, []);
      }
      days.get(day).push(show);
    }
    const blocks = [...days.entries()].map(([day, shows]) => [
      el("h3", {}, day),
      el(
        "ul",
        { class: "choices" },
        shows.map((show) => {
          const screen = catalogue.screens.get(show.screenId);
          const left = show.available > 0 ? `${show.available} seats left` : "Sold out";
          return el(
            "li",
            {},
            el(
              "button",
              {
                type: "button",
                class: "show",
                "data-show": show.id,
                disabled: show.available <= 0,
                onclick: () => chooseShow(show.id),
              },
              el("span", { class: "title" }, Box.venueTime(show.start)),
              el("span", { class: "detail" }, screen ? screen.name : "Screen"),
              el("span", { class: "detail" }, left),
            ),
          );
        }),
      ),
    ]);
    $("show-days").replaceChildren(...blocks.flat());
    view("shows");
  }

  // ---- Seats: the room as it is now, or a count.

  async function chooseShow(showId, keep = []) {
    await guarded(async (stale) => {
      const [show, seats] = await Promise.all([
        call("GET", `/v1/shows/${showId}`),
        call("GET", `/v1/shows/${showId}/seats`),
      ]);
      if (stale()) {
        return;
      }
      customer.show = show;
      customer.seats = seats;
      const free = new Set(seats.filter((seat) => seat.state === "free").map((seat) => seat.seat));
      customer.picked = new Set(keep.filter((name) => free.has(name)));
      customer.count = Math.min(Math.max(customer.count, 1), Math.max(show.available, 1));
      renderSeats();
    }, () => chooseShow(showId, keep));
  }

  function screenName(show) {
    const screen = catalogue.screens.get(show.screenId);
    return screen ? screen.name : "";
  }

  function renderSeats() {
    const show = customer.show;
    $("seats-title").textContent = customer.film.title;
    $("seats-show").textContent = `${Box.showWhen(show.start)} · ${screenName(show)}`;
    if (customer.seats.length === 0) {
      renderCount();
    } else {
      renderRoom();
    }
    updateSummary();
    view("seats");
  }

  function renderCount() {
    const most = Math.min(MOST_SEATS, customer.show.available);
    const output = el("output", { id: "count", "aria-live": "polite" }, String(customer.count));
    const change = (step) => {
      customer.count = Math.min(Math.max(customer.count + step, 1), most);
      output.textContent = String(customer.count);
      updateSummary();
    };
    $("seat-area").replaceChildren(
      el("p", {}, "Free seating: choose how many seats."),
      el(
        "div",
        { class: "counter-picker" },
        el("button", { type: "button", id: "fewer", "aria-label": "One seat fewer", onclick: () => change(-1) }, "−"),
        output,
        el("button", { type: "button", id: "more", "aria-label": "One seat more", onclick: () => change(1) }, "+"),
      ),
    );
  }

  const KIND_WORDS = {
    standard: "",
    premium: ", premium",
    wheelchair: ", wheelchair place",
    companion: ", companion seat",
  };
  const STATE_WORDS = { free: "free", held: "held by someone", sold: "taken", blocked: "not for sale" };

  function renderRoom() {
    const rows = [];
    let current = null;
    for (const seat of customer.seats) {
      if (!current || current.label !== seat.row) {
        current = { label: seat.row, seats: [] };
        rows.push(current);
      }
      current.seats.push(seat);
    }
    const lines = rows.map((row) => {
      const cells = [el("span", { class: "row-label", "aria-hidden": "true" }, row.label)];
      for (const seat of row.seats) {
        const picked = customer.picked.has(seat.seat);
        const mark = seat.kind === "wheelchair" ? "♿" : seat.kind === "companion" ? "+" : null;
        cells.push(
          el(
            "button",
            {
              type: "button",
              class: `seat ${seat.kind} ${seat.state}`,
              id: `seat-${seat.seat}`,
              "data-seat": seat.seat,
              "aria-pressed": seat.state === "free" ? String(picked) : null,
              "aria-label": `Row ${seat.row} seat ${seat.number}${KIND_WORDS[seat.kind] || ""}, ${STATE_WORDS[seat.state] || seat.state}`,
              disabled: seat.state !== "free",
              onclick: (event) => toggleSeat(seat.seat, event.currentTarget),
            },
            mark ? el("span", { class: "mark", "aria-hidden": "true" }, mark) : null,
            mark ? null : seat.number,
          ),
        );
        if (seat.aisleAfter) {
          cells.push(el("span", { class: "aisle", "aria-hidden": "true" }));
        }
      }
      cells.push(el("span", { class: "row-label", "aria-hidden": "true" }, row.label));
      return el("div", { class: "row" }, cells);
    });
    $("seat-area").replaceChildren(
      el(
        "div",
        { class: "room", role: "group", "aria-label": "Seats, the screen at the top" },
        el("div", { class: "screen-bar", "aria-hidden": "true" }, "Screen"),
        lines,
      ),
      el(
        "ul",
        { class: "legend" },
        el("li", {}, el("span", { class: "swatch" }), "Free"),
        el("li", {}, el("span", { class: "swatch picked" }), "Yours"),
        el("li", {}, el("span", { class: "swatch held" }), "Held"),
        el("li", {}, el("span", { class: "swatch taken" }), "Taken"),
        el("li", {}, el("span", { class: "swatch access" }), "♿ wheelchair, + companion"),
      ),
    );
  }

  function toggleSeat(name, button) {
    if (customer.picked.has(name)) {
      customer.picked.delete(name);
    } else if (customer.picked.size >= MOST_SEATS) {
      $("seats-summary").textContent = `At most ${MOST_SEATS} seats at a time.`;
      return;
    } else {
      customer.picked.add(name);
    }
    button.setAttribute("aria-pressed", String(customer.picked.has(name)));
    updateSummary();
  }

  function pickedInOrder() {
    return customer.seats.map((seat) => seat.seat).filter((name) => customer.picked.has(name));
  }

  function updateSummary() {
    const general = customer.seats.length === 0;
    const count = general ? customer.count : customer.picked.size;
    $("hold").disabled = count === 0;
    if (general) {
      $("seats-summary").textContent = `${count} ${count === 1 ? "seat" : "seats"}`;
    } else {
      $("seats-summary").textContent =
        count === 0 ? "Touch the seats you want." : `Your seats: ${pickedInOrder().join(", ")}`;
    }
  }

  // ---- The hold and its countdown.

  async function hold() {
    const show = customer.show;
    const request = customer.seats.length === 0
      ? { showId: show.id, count: customer.count }
      : { showId: show.id, seats: pickedInOrder() };
    $("hold").disabled = true;
    const mine = generation;
    try {
      const held = await call("POST", "/v1/holds", request);
      if (mine !== generation) {
        call("DELETE", `/v1/holds/${held.id}`).catch(() => {});
        return;
      }
      customer.hold = { ...held, deadline: Date.now() + held.secondsLeft * 1000 };
      showDetails();
    } catch (error) {
      if (mine === generation) {
        holdRefused(error);
      }
    }
  }

  function holdRefused(error) {
    const again = () => chooseShow(customer.show.id, pickedInOrder());
    const otherShow = ["Choose another show", () => renderShows()];
    if (error instanceof ApiError && error.slug === "seats-taken") {
      const taken = error.problem.seats || [];
      const which = taken.length === 1 ? `Seat ${taken[0]} was` : `Seats ${taken.join(", ")} were`;
      problem(
        "Just taken",
        `${which} taken by someone else a moment ago. Please pick again.`,
        [["Pick seats again", again], otherShow, ["Start over", restart]],
      );
    } else if (error instanceof ApiError && error.slug === "not-enough-seats") {
      problem(
        "Not enough seats",
        "There are not that many seats left together for this show. Please choose fewer, or another show.",
        [["Pick seats again", again], otherShow, ["Start over", restart]],
      );
    } else if (error instanceof ApiError && (error.slug === "show-started" || error.slug === "expired")) {
      problem("Too late", "This show has started, so it can no longer be booked. Please choose another show.", [
        otherShow,
        ["Start over", restart],
      ]);
    } else {
      problem("Sorry", sentence(error), [["Try again", again], ["Start over", restart]]);
    }
  }

  function showDetails() {
    const held = customer.hold;
    const what = held.seats.length ? `Seats ${held.seats.join(", ")}` : `${held.count} ${held.count === 1 ? "seat" : "seats"}`;
    $("details-summary").textContent = `${customer.film.title}, ${Box.showWhen(customer.show.start)}, ${screenName(customer.show)}. ${what}.`;
    $("details-error").textContent = "";
    $("confirm").disabled = false;
    view("details");
    $("user-name").focus();
    tick();
    countdownTimer = setInterval(tick, 250);
  }

  function stopCountdown() {
    if (countdownTimer) {
      clearInterval(countdownTimer);
      countdownTimer = null;
    }
  }

  function tick() {
    const held = customer.hold;
    if (!held) {
      stopCountdown();
      return;
    }
    const left = Math.max(0, Math.ceil((held.deadline - Date.now()) / 1000));
    const minutes = Math.floor(left / 60);
    const seconds = String(left % 60).padStart(2, "0");
    const box = $("countdown");
    box.textContent = `Your seats are held for ${minutes}:${seconds}`;
    box.classList.toggle("low", left <= 30);
    if (left === 0) {
      holdRanOut();
    }
  }

  function holdRanOut() {
    stopCountdown();
    const held = customer.hold;
    customer.hold = null;
    const keep = held ? held.seats : [];
    problem(
      "Time ran out",
      "The time to confirm ran out, so your seats were let go. Please choose your seats again.",
      [["Choose seats again", () => chooseShow(customer.show.id, keep)], ["Start over", restart]],
    );
  }

  async function releaseHold() {
    const held = customer.hold;
    customer.hold = null;
    stopCountdown();
    if (held) {
      // Best effort: a hold left behind runs out by itself.
      await call("DELETE", `/v1/holds/${held.id}`).catch(() => {});
    }
    return held;
  }

  // ---- Confirm.

  async function confirm(event) {
    event.preventDefault();
    const held = customer.hold;
    if (!held) {
      return;
    }
    const userName = $("user-name").value.trim();
    const phoneNumber = $("phone").value.trim();
    const say = (text, field) => {
      $("details-error").textContent = text;
      if (field) {
        $(field).focus();
      }
    };
    if (!userName) {
      say("Please type your name.", "user-name");
      return;
    }
    if (!Box.phoneLooksRight(phoneNumber)) {
      say("Please type your phone number: 7 to 15 digits, a + in front if you like.", "phone");
      return;
    }
    say("");
    $("confirm").disabled = true;
    const mine = generation;
    try {
      const booking = await call("POST", `/v1/holds/${held.id}/confirm`, { userName, phoneNumber });
      if (mine !== generation) {
        return;
      }
      stopCountdown();
      customer.hold = null;
      showBooking(booking);
    } catch (error) {
      if (mine !== generation) {
        return;
      }
      $("confirm").disabled = false;
      if (error instanceof ApiError && (error.slug === "hold-expired" || error.status === 404)) {
        holdRanOut();
      } else if (error instanceof NetworkError) {
        say("The box office cannot be reached just now. Your seats are still held: please try again.");
      } else {
        say(sentence(error));
      }
    }
  }

  // ---- The booking.

  function showBooking(booking) {
    const show = customer.show;
    $("done-id").textContent = booking.id;
    $("done-film").textContent = customer.film.title;
    $("done-screen").textContent = screenName(show);
    $("done-time").textContent = Box.showWhen(show.start);
    $("done-seats").textContent = booking.seats.length
      ? booking.seats.join(", ")
      : `${booking.count} (free seating)`;
    $("done-name").textContent = booking.userName;
    const qr = $("done-qr");
    qr.replaceChildren(el("p", { class: "muted" }, "Loading the code…"));
    view("done");
    const mine = generation;
    call("GET", `/v1/bookings/${booking.id}/qr.svg`, undefined, { blob: true })
      .then((blob) => {
        if (mine !== generation) {
          return;
        }
        const url = URL.createObjectURL(blob);
        qr.replaceChildren(el("img", { id: "qr", src: url, alt: `QR code of booking ${booking.id}`, width: 240, height: 240 }));
      })
      .catch(() => {
        if (mine === generation) {
          qr.replaceChildren(el("p", {}, "The code could not be loaded; the booking number above is enough."));
        }
      });
  }

  // ---- Start over, by hand or when idle.

  async function restart() {
    generation += 1;
    await releaseHold();
    forget();
    for (const input of document.querySelectorAll("#details-form input")) {
      input.value = "";
    }
    const img = document.querySelector("#done-qr img");
    if (img) {
      URL.revokeObjectURL(img.src);
    }
    for (const id of ["done-id", "done-film", "done-screen", "done-time", "done-seats", "done-name", "details-summary"]) {
      $(id).textContent = "";
    }
    $("done-qr").replaceChildren();
    $("seat-area").replaceChildren();
    await loadStart();
  }

  function touched() {
    lastTouch = Date.now();
  }
  for (const type of ["pointerdown", "keydown", "input", "touchstart", "wheel"]) {
    document.addEventListener(type, touched, { capture: true, passive: true });
  }
  setInterval(() => {
    if (Date.now() - lastTouch < IDLE_MS) {
      return;
    }
    touched();
    if (!$("token-dialog").open) {
      restart();
    }
  }, 500);

  $("restart").addEventListener("click", restart);
  $("shows-back").addEventListener("click", () => loadStart());
  $("seats-back").addEventListener("click", () => renderShows());
  $("hold").addEventListener("click", hold);
  $("details-back").addEventListener("click", async () => {
    const held = await releaseHold();
    chooseShow(customer.show.id, held ? held.seats : []);
  });
  $("details-form").addEventListener("submit", confirm);
  $("details-form").addEventListener("input", () => {
    $("details-error").textContent = "";
  });
  $("done").addEventListener("click", restart);

  forget();
  loadStart();
})();
