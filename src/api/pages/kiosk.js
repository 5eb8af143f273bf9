"use strict";
// The kiosk: film → show → seats (or a count) → a hold with its countdown →
// name and phone → the booking with its QR code. Idle for `?idle=` seconds
// (default 60), it asks whether the customer needs more time, then releases
// any hold and starts again, forgetting the customer. Shows and seat maps
// are read afresh on every step, after every refusal and every `?refresh=`
// seconds (default 20) while a map is shown; a show that has started is
// never offered.

(() => {
  const { call, all, sentence, el, ApiError, NetworkError } = Box;
  const $ = (id) => document.getElementById(id);

  const MOST_SEATS = 10;
  const DAYS_AHEAD = 7;
  // `?name=SECONDS` (1 to 3600), else `fallback` seconds; in milliseconds.
  function secondsParameter(name, fallback) {
    const value = Number(new URLSearchParams(location.search).get(name));
    return (Number.isFinite(value) && value >= 1 && value <= 3600 ? value : fallback) * 1000;
  }
  const IDLE_MS = secondsParameter("idle", 60);
  const REFRESH_MS = secondsParameter("refresh", 20);
  // The "need more time?" prompt comes this long before the idle reset.
  const IDLE_WARNING_MS = Math.min(15000, IDLE_MS / 3);
  // And the hold's warning, with its "More time", when this little of it is
  // left (a short hold: 3 s after it was made).
  const HOLD_WARNING_SECONDS = 60;
  const warnAt = (length) => Math.max(1, Math.min(HOLD_WARNING_SECONDS, length - 3));

  // Everything about the current customer; `forget()` drops it all.
  let customer = null;
  function forget() {
    customer = { film: null, show: null, seats: [], picked: new Set(), count: 1, hold: null, prices: null, offered: [], seatTypes: new Map(), counts: new Map() };
  }
  let catalogue = { films: new Map(), screens: new Map(), shows: [] };
  let countdownTimer = null;
  let refreshTimer = null;
  let lastTouch = Date.now();
  // Answers that arrive after a reset belong to nobody.
  let generation = 0;

  const STEPS = ["start", "shows", "seats", "details", "done"];

  function view(name) {
    for (const section of document.querySelectorAll("[data-view]")) {
      section.hidden = section.id !== `view-${name}`;
    }
    $("restart").hidden = name === "start";
    document.body.dataset.step = name;
    if (name !== "seats") {
      stopRefresh();
    }
    // The progress steps: those before the current one are done.
    const at = STEPS.indexOf(name);
    if (at >= 0) {
      for (const item of document.querySelectorAll("#steps li")) {
        const index = STEPS.indexOf(item.dataset.step);
        item.classList.toggle("done", index < at);
        if (index === at) {
          item.setAttribute("aria-current", "step");
        } else {
          item.removeAttribute("aria-current");
        }
      }
    }
    // Each step is a page of the browser's history, so Back goes one step
    // back (and lets a hold go, see `popstate` below).
    if (!history.state || history.state.step !== name) {
      history.pushState({ step: name }, "");
    }
    const heading = document.querySelector(`#view-${name} h2`);
    heading.focus();
  }

  // Shows that have not started, by the kiosk's clock.
  function upcoming(shows) {
    const now = Date.now();
    return shows.filter((show) => Date.parse(show.start) > now);
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

  // The films, screens and shows as they are now; false when the answer
  // came for a forgotten customer.
  async function loadCatalogue(stale) {
    const from = new Date();
    const to = new Date(from.getTime() + DAYS_AHEAD * 86400000);
    const query = `from=${encodeURIComponent(from.toISOString())}&to=${encodeURIComponent(to.toISOString())}&limit=500`;
    const [films, screens, shows] = await Promise.all([
      all("/v1/films?limit=500"),
      all("/v1/screens?limit=500"),
      all(`/v1/shows?${query}`),
    ]);
    if (stale()) {
      return false;
    }
    const known = new Set(films.map((film) => film.id));
    catalogue = {
      films: new Map(films.map((film) => [film.id, film])),
      screens: new Map(screens.map((screen) => [screen.id, screen])),
      shows: shows.filter((show) => show.filmId && known.has(show.filmId)),
    };
    return true;
  }

  async function loadStart() {
    view("start");
    $("start-note").textContent = "Loading today's and the next days' shows…";
    $("films").replaceChildren();
    await guarded(async (stale) => {
      if (await loadCatalogue(stale)) {
        renderFilms();
      }
    }, loadStart);
  }

  function renderFilms() {
    const byFilm = new Map();
    for (const show of upcoming(catalogue.shows)) {
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
    showsAgain();
  }

  // The film's shows, read afresh: on this step and after every refusal.
  async function showsAgain() {
    stopCountdown();
    await guarded(async (stale) => {
      if (await loadCatalogue(stale)) {
        customer.film = catalogue.films.get(customer.film.id) || customer.film;
        renderShows();
      }
    }, showsAgain);
  }

  function renderShows() {
    const film = customer.film;
    $("shows-title").textContent = film.title;
    const days = new Map();
    const shows = upcoming(catalogue.shows).filter((show) => show.filmId === film.id);
    for (const show of shows) {
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
    const none = el("p", { class: "notice" }, "This film has no more shows in the next days. Please choose another film.");
    $("show-days").replaceChildren(...(shows.length ? blocks.flat() : [none]));
    view("shows");
  }

  // ---- Seats: the room as it is now, or a count.

  async function chooseShow(showId, keep = []) {
    await guarded(async (stale) => {
      const [show, seats, prices, who] = await Promise.all([
        call("GET", `/v1/shows/${showId}`),
        call("GET", `/v1/shows/${showId}/seats`),
        call("GET", `/v1/shows/${showId}/prices`),
        Box.me(),
      ]);
      if (stale()) {
        return;
      }
      // Only the types sold where this kiosk sells, with a price here.
      customer.prices = prices;
      customer.offered = prices.types.filter((type) => type.channels.includes(who.channel) && type.prices.length > 0);
      if (customer.show === null || customer.show.id !== showId) {
        customer.seatTypes = new Map();
        customer.counts = new Map(customer.offered.length ? [[customer.offered[0].id, 1]] : []);
      }
      if (Date.parse(show.start) <= Date.now()) {
        tooLate();
        return;
      }
      customer.show = show;
      customer.seats = seats;
      const free = new Set(seats.filter((seat) => seat.state === "free").map((seat) => seat.seat));
      customer.picked = new Set(keep.filter((name) => free.has(name)));
      renderSeats();
      startRefresh();
    }, () => chooseShow(showId, keep));
  }

  // While the seats are shown, they are read again every REFRESH_MS: seats
  // others took go grey, a picked one that was taken is dropped.
  function startRefresh() {
    stopRefresh();
    refreshTimer = setInterval(refreshSeats, REFRESH_MS);
  }

  function stopRefresh() {
    if (refreshTimer) {
      clearInterval(refreshTimer);
      refreshTimer = null;
    }
  }

  async function refreshSeats() {
    const mine = generation;
    const shown = customer.show;
    if (!shown || document.body.dataset.step !== "seats") {
      stopRefresh();
      return;
    }
    if (Date.parse(shown.start) <= Date.now()) {
      tooLate();
      return;
    }
    let show;
    let seats;
    try {
      [show, seats] = await Promise.all([
        call("GET", `/v1/shows/${shown.id}`),
        call("GET", `/v1/shows/${shown.id}/seats`),
      ]);
    } catch (_error) {
      // The next round tries again; a hold says what is wrong, if anything.
      return;
    }
    if (mine !== generation || customer.show !== shown || document.body.dataset.step !== "seats") {
      return;
    }
    customer.show = show;
    customer.seats = seats;
    const lost = [];
    for (const seat of seats) {
      if (customer.picked.has(seat.seat) && seat.state !== "free") {
        customer.picked.delete(seat.seat);
        lost.push(seat.seat);
      }
      const button = document.getElementById(`seat-${seat.seat}`);
      if (button) {
        drawSeatState(button, seat);
      }
    }
    updateSummary();
    if (lost.length) {
      $("seats-summary").textContent = `${lost.join(", ")} ${lost.length === 1 ? "was" : "were"} just taken by someone else. ${$("seats-summary").textContent}`;
    }
  }

  function tooLate() {
    problem("Too late", "This show has started, so it can no longer be booked. Please choose another show.", [
      ["Choose another show", showsAgain],
      ["Start over", restart],
    ]);
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

  // Free seating: how many of each ticket type, with − and + buttons.
  function renderCount() {
    const currency = customer.prices.currency;
    const most = Math.min(MOST_SEATS, customer.show.available);
    const rows = customer.offered.map((type) => {
      const price = priceOn(type, null);
      const output = el("output", { id: `count-${type.id}`, class: "type-count", "data-type": type.id, "aria-live": "polite" }, String(customer.counts.get(type.id) || 0));
      const change = (step) => {
        const now = customer.counts.get(type.id) || 0;
        const others = ticketCount() - now;
        const next = Math.min(Math.max(now + step, 0), most - others);
        customer.counts.set(type.id, Math.max(next, 0));
        output.textContent = String(customer.counts.get(type.id));
        updateSummary();
      };
      return el(
        "li",
        { class: "type-row" },
        el("span", { class: "type-name", id: `type-name-${type.id}` }, `${type.name} · ${Box.money(price, currency)}`),
        el(
          "div",
          { class: "counter-picker" },
          el("button", { type: "button", class: "fewer", "aria-label": `One ${type.name} fewer`, onclick: () => change(-1) }, "−"),
          output,
          el("button", { type: "button", class: "more", "aria-label": `One ${type.name} more`, onclick: () => change(1) }, "+"),
        ),
      );
    });
    $("seat-area").replaceChildren(
      el("p", {}, "Free seating: choose how many tickets of each kind."),
      el("ul", { class: "type-counts", "aria-label": "Tickets" }, rows),
    );
  }

  // What one ticket of `type` costs on a seat of `kind` (null: free
  // seating), or null when it is not sold there.
  function priceOn(type, kind) {
    const price = type.prices.find((one) => one.seatKind === kind);
    return price ? price.price : null;
  }

  function ticketCount() {
    return [...customer.counts.values()].reduce((sum, count) => sum + count, 0);
  }

  // The tickets as /v1 takes them, what they cost together and in words.
  function chosenTickets() {
    const byId = new Map(customer.offered.map((type) => [type.id, type]));
    const counts = new Map();
    let total = 0;
    let tickets;
    if (customer.seats.length) {
      const kinds = new Map(customer.seats.map((seat) => [seat.seat, seat.kind]));
      tickets = pickedInOrder().map((seat) => ({ seat, type: customer.seatTypes.get(seat) }));
      for (const ticket of tickets) {
        total += priceOn(byId.get(ticket.type), kinds.get(ticket.seat)) || 0;
        counts.set(ticket.type, (counts.get(ticket.type) || 0) + 1);
      }
    } else {
      tickets = customer.offered.filter((type) => customer.counts.get(type.id) > 0).map((type) => ({ type: type.id, count: customer.counts.get(type.id) }));
      for (const ticket of tickets) {
        total += (priceOn(byId.get(ticket.type), null) || 0) * ticket.count;
        counts.set(ticket.type, ticket.count);
      }
    }
    const what = [...counts].map(([type, count]) => `${byId.get(type).name} ×${count}`).join(", ");
    return { tickets, total, what };
  }

  // On a seat map: a ticket type for each picked seat, the first one sold
  // on its kind unless the customer chooses another.
  function drawSeatTickets() {
    const box = $("seat-tickets");
    if (customer.seats.length === 0 || !customer.prices || customer.offered.length === 0) {
      box.replaceChildren();
      return;
    }
    const currency = customer.prices.currency;
    const kinds = new Map(customer.seats.map((seat) => [seat.seat, seat.kind]));
    const picked = pickedInOrder();
    for (const seat of picked) {
      if (!customer.seatTypes.has(seat)) {
        const first = customer.offered.find((type) => priceOn(type, kinds.get(seat)) !== null) || customer.offered[0];
        customer.seatTypes.set(seat, first.id);
      }
    }
    // Drawn again only when the seats change, so a choice in focus stays.
    const drawn = `${customer.show.id} ${picked.join(" ")}`;
    if (box.dataset.drawn === drawn && box.childNodes.length) {
      return;
    }
    box.dataset.drawn = drawn;
    if (picked.length === 0) {
      box.replaceChildren();
      return;
    }
    box.replaceChildren(
      el("h3", {}, "Tickets"),
      el(
        "ul",
        { class: "type-counts" },
        picked.map((seat) => {
          const select = el(
            "select",
            { id: `type-${seat}`, class: "seat-type", "data-seat": seat },
            customer.offered.map((type) => {
              const price = priceOn(type, kinds.get(seat));
              return el("option", { value: type.id, disabled: price === null }, `${type.name} · ${price === null ? "not for this seat" : Box.money(price, currency)}`);
            }),
          );
          select.value = customer.seatTypes.get(seat);
          select.addEventListener("change", () => {
            customer.seatTypes.set(seat, select.value);
            updateSummary();
          });
          return el("li", { class: "type-row" }, el("label", { for: select.id }, `Seat ${seat}${KIND_WORDS[kinds.get(seat)] || ""}`), select);
        }),
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
        const mark = seat.kind === "wheelchair" ? "♿" : seat.kind === "companion" ? "+" : null;
        const button = el(
          "button",
          {
            type: "button",
            id: `seat-${seat.seat}`,
            "data-seat": seat.seat,
            onclick: (event) => toggleSeat(seat.seat, event.currentTarget),
          },
          mark ? el("span", { class: "mark", "aria-hidden": "true" }, mark) : null,
          mark ? null : seat.number,
        );
        drawSeatState(button, seat);
        cells.push(button);
        if (seat.aisleAfter) {
          cells.push(el("span", { class: "aisle", "aria-hidden": "true" }));
        }
      }
      cells.push(el("span", { class: "row-label", "aria-hidden": "true" }, row.label));
      return el("div", { class: "row" }, cells);
    });
    // The rows sit in a box as wide as the widest row, centred while it
    // fits and scrolled from its left edge when it does not, so every seat
    // can be reached on a narrow screen.
    $("seat-area").replaceChildren(
      el(
        "div",
        { class: "room", role: "group", "aria-label": "Seats, the screen at the top" },
        el("div", { class: "room-rows" }, el("div", { class: "screen-bar", "aria-hidden": "true" }, "Screen"), lines),
      ),
      legend(),
    );
  }

  // Every kind of seat and every state a seat can be in.
  function legend() {
    const item = (swatch, text, mark) =>
      el("li", {}, el("span", { class: `swatch ${swatch}`, "aria-hidden": "true" }, mark || ""), text);
    return el(
      "ul",
      { class: "legend", "aria-label": "What the seats show" },
      item("", "Free"),
      item("picked", "Yours"),
      item("held", "Held by someone"),
      item("taken", "Taken"),
      item("premium", "Premium"),
      item("access", "Wheelchair place", "♿"),
      item("access", "Companion seat", "+"),
      item("blocked", "Not for sale"),
    );
  }

  // A seat button as `seat` now is: its kind, its state, picked or not.
  function drawSeatState(button, seat) {
    const picked = customer.picked.has(seat.seat);
    button.className = `seat ${seat.kind} ${seat.state}`;
    button.disabled = seat.state !== "free";
    if (seat.state === "free") {
      button.setAttribute("aria-pressed", String(picked));
    } else {
      button.removeAttribute("aria-pressed");
    }
    button.setAttribute(
      "aria-label",
      `Row ${seat.row} seat ${seat.number}${KIND_WORDS[seat.kind] || ""}, ${STATE_WORDS[seat.state] || seat.state}`,
    );
  }

  function toggleSeat(name, button) {
    if (customer.picked.has(name)) {
      customer.picked.delete(name);
    } else if (customer.picked.size >= MOST_SEATS) {
      updateSummary();
      $("seats-summary").textContent = `You can take at most ${MOST_SEATS} seats at a time. ${$("seats-summary").textContent}`;
      $("seats-limit").classList.add("error");
      return;
    } else {
      customer.picked.add(name);
    }
    button.setAttribute("aria-pressed", String(customer.picked.has(name)));
    updateSummary();
    const seat = customer.seats.find((one) => one.seat === name);
    if (seat && seat.kind === "wheelchair" && customer.picked.has(name)) {
      offerCompanion(seat);
    }
  }

  // The free companion seat beside a wheelchair place (not across an
  // aisle), if there is one.
  function companionOf(seat) {
    const row = customer.seats.filter((one) => one.row === seat.row);
    const at = row.findIndex((one) => one.seat === seat.seat);
    const beside = [];
    if (at > 0 && !row[at - 1].aisleAfter) {
      beside.push(row[at - 1]);
    }
    if (at + 1 < row.length && !seat.aisleAfter) {
      beside.push(row[at + 1]);
    }
    return beside.find((one) => one.kind === "companion" && one.state === "free" && !customer.picked.has(one.seat)) || null;
  }

  // A wheelchair place has room for a wheelchair, not a seat: say so, and
  // offer the companion seat beside it.
  function offerCompanion(seat) {
    const companion = companionOf(seat);
    const dialog = $("companion-dialog");
    const add = $("companion-add");
    if (companion) {
      $("companion-text").textContent = `${seat.seat} has room for a wheelchair instead of a seat. The companion seat ${companion.seat} beside it is free: add it for the person with you?`;
      add.hidden = false;
      add.textContent = `Add seat ${companion.seat}`;
      add.onclick = () => {
        dialog.close();
        const button = document.getElementById(`seat-${companion.seat}`);
        if (button && !customer.picked.has(companion.seat)) {
          toggleSeat(companion.seat, button);
        }
      };
      $("companion-no").textContent = "No, thank you";
    } else {
      $("companion-text").textContent = `${seat.seat} has room for a wheelchair instead of a seat. Its companion seat is not free just now.`;
      add.hidden = true;
      $("companion-no").textContent = "Keep this place";
    }
    dialog.showModal();
    (companion ? add : $("companion-no")).focus();
  }

  function pickedInOrder() {
    return customer.seats.map((seat) => seat.seat).filter((name) => customer.picked.has(name));
  }

  function updateSummary() {
    const general = customer.seats.length === 0;
    const count = general ? ticketCount() : customer.picked.size;
    const unpriced = !customer.prices || !customer.prices.card || customer.offered.length === 0;
    $("hold").disabled = count === 0 || unpriced;
    $("seats-limit").textContent = `Up to ${MOST_SEATS} seats.`;
    $("seats-limit").classList.remove("error");
    if (!general) {
      drawSeatTickets();
    }
    if (unpriced) {
      $("seats-summary").textContent = customer.prices && customer.prices.card
        ? "No tickets for this show are sold here. Please ask at the counter."
        : sentence(new ApiError(409, { type: "urn:boxoffice:no-price-card" }));
      $("seats-total").textContent = "";
      return;
    }
    if (general) {
      $("seats-summary").textContent = `${count} ${count === 1 ? "ticket" : "tickets"}`;
    } else {
      $("seats-summary").textContent =
        count === 0 ? "Touch the seats you want." : `Your seats: ${pickedInOrder().join(", ")}`;
    }
    const { total, what } = chosenTickets();
    $("seats-total").textContent = count === 0 ? "" : `${what} · Total ${Box.money(total, customer.prices.currency)}`;
    $("seats-total").dataset.total = String(total);
  }

  // ---- The hold and its countdown.

  async function hold() {
    const show = customer.show;
    const request = { showId: show.id, tickets: chosenTickets().tickets };
    const mine = generation;
    await Box.busy($("hold"), async () => {
      try {
        const held = await call("POST", "/v1/holds", request);
        if (mine !== generation) {
          call("DELETE", `/v1/holds/${held.id}`).catch(() => {});
          return;
        }
        // `length`: what each "More time" asks for again.
        customer.hold = { ...held, deadline: Date.now() + held.secondsLeft * 1000, length: held.secondsLeft, warned: false, longest: false };
        showDetails();
      } catch (error) {
        if (mine === generation) {
          holdRefused(error);
        }
      }
    });
  }

  function holdRefused(error) {
    const again = () => chooseShow(customer.show.id, pickedInOrder());
    const otherShow = ["Choose another show", showsAgain];
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
      tooLate();
    } else {
      problem("Sorry", sentence(error), [["Try again", again], ["Start over", restart]]);
    }
  }

  function showDetails() {
    const held = customer.hold;
    const what = held.seats.length ? `Seats ${held.seats.join(", ")}` : `${held.count} ${held.count === 1 ? "seat" : "seats"}`;
    $("details-summary").textContent = `${customer.film.title}, ${Box.showWhen(customer.show.start)}, ${screenName(customer.show)}. ${what}.`;
    drawLines($("details-lines"), held);
    $("details-lines").dataset.hold = held.id;
    $("details-error").textContent = "";
    $("hold-warning").hidden = true;
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
    // Said once for each stretch of time, before it runs out, while there
    // is time to act: more time, until the longest a hold may last.
    if (!held.warned && left > 0 && left <= warnAt(held.length)) {
      held.warned = true;
      $("hold-warning-text").textContent = held.longest
        ? "Your seats cannot be held any longer: please confirm now to keep them, or they are let go."
        : `Need more time? Your seats are held for less than ${left > 59 ? "a minute" : `${left} seconds`} more: press More time, or confirm now.`;
      $("more-time").hidden = held.longest;
      $("hold-warning").hidden = false;
    }
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

  // Asks for the hold's first length again, from now. The answer says how
  // long it got: less than asked means this is the longest it may last.
  async function moreTime() {
    const held = customer.hold;
    if (!held) {
      return;
    }
    const mine = generation;
    await Box.busy($("more-time"), async () => {
      try {
        const answer = await call("PATCH", `/v1/holds/${held.id}`, { holdForSeconds: held.length });
        if (mine !== generation || customer.hold !== held) {
          return;
        }
        held.deadline = Date.now() + answer.secondsLeft * 1000;
        held.longest = answer.secondsLeft < held.length - 1;
        held.warned = false;
        $("hold-warning").hidden = true;
        $("details-error").textContent = "";
        tick();
        const empty = [...document.querySelectorAll("#details-form input")].find((input) => !input.value.trim());
        (empty || $("confirm")).focus();
      } catch (error) {
        if (mine !== generation) {
          return;
        }
        if (error instanceof ApiError && (error.slug === "hold-expired" || error.status === 404)) {
          holdRanOut();
        } else {
          $("details-error").textContent = error instanceof NetworkError
            ? "The box office cannot be reached just now. Please confirm as soon as you can."
            : sentence(error);
        }
      }
    });
  }

  async function releaseHold() {
    const held = customer.hold;
    customer.hold = null;
    stopCountdown();
    if (held) {
      // Best effort: a hold left behind runs out by itself. `keepalive`:
      // also when the page is being left.
      await call("DELETE", `/v1/holds/${held.id}`, undefined, { keepalive: true }).catch(() => {});
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
    const mine = generation;
    await Box.busy($("confirm"), async () => {
      try {
        const booking = await call("POST", `/v1/holds/${held.id}/confirm`, { userName, phoneNumber });
        if (mine !== generation) {
          return;
        }
        stopCountdown();
        customer.hold = null;
        showBooking(booking);
      } catch (error) {
        if (mine === generation) {
          confirmRefused(error, say);
        }
      }
    });
  }

  function confirmRefused(error, say) {
    if (error instanceof ApiError && (error.slug === "hold-expired" || error.status === 404)) {
      holdRanOut();
    } else if (error instanceof NetworkError) {
      say("The box office cannot be reached just now. Your seats are still held: please try again.");
    } else {
      say(sentence(error));
    }
  }

  // ---- The booking.

  function showBooking(booking) {
    const show = customer.show;
    $("done-reference").textContent = booking.reference || "";
    $("done-id").textContent = booking.id;
    $("done-film").textContent = customer.film.title;
    $("done-screen").textContent = screenName(show);
    $("done-time").textContent = Box.showWhen(show.start);
    $("done-seats").textContent = booking.seats.length
      ? booking.seats.join(", ")
      : `${booking.count} (free seating)`;
    $("done-name").textContent = booking.userName;
    drawLines($("done-lines"), booking);
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

  // A hold's or booking's lines and total, as a table inside `box`.
  function drawLines(box, sale) {
    const currency = sale.currency;
    const names = new Map((customer.prices ? customer.prices.types : []).map((type) => [type.id, type.name]));
    box.replaceChildren(
      el(
        "table",
        { class: "lines" },
        el("caption", {}, "Your tickets, tax included"),
        el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "Seat"), el("th", { scope: "col" }, "Ticket"), el("th", { scope: "col", class: "num" }, "Price"))),
        el(
          "tbody",
          {},
          sale.lines.map((line) =>
            el("tr", { "data-type": line.type }, el("td", {}, line.seat || "Free seating"), el("td", {}, names.get(line.type) || "Ticket"), el("td", { class: "num" }, Box.money(line.price, currency))),
          ),
        ),
        el("tfoot", {}, el("tr", {}, el("th", { scope: "row", colspan: 2 }, "Total"), el("td", { class: "num total", "data-total": sale.total }, Box.money(sale.total, currency)))),
      ),
    );
  }

  // ---- Start over, by hand or when idle.

  async function restart() {
    generation += 1;
    for (const dialog of document.querySelectorAll("dialog[open]:not(#token-dialog)")) {
      dialog.close();
    }
    await releaseHold();
    forget();
    for (const input of document.querySelectorAll("#details-form input")) {
      input.value = "";
    }
    const img = document.querySelector("#done-qr img");
    if (img) {
      URL.revokeObjectURL(img.src);
    }
    for (const id of ["done-reference", "done-id", "done-film", "done-screen", "done-time", "done-seats", "done-name", "details-summary"]) {
      $(id).textContent = "";
    }
    $("done-qr").replaceChildren();
    $("seat-area").replaceChildren();
    for (const id of ["seat-tickets", "details-lines", "done-lines"]) {
      $(id).replaceChildren();
    }
    await loadStart();
  }

  function touched() {
    lastTouch = Date.now();
    if ($("idle-dialog").open) {
      $("idle-dialog").close();
    }
  }
  for (const type of ["pointerdown", "keydown", "input", "touchstart", "wheel"]) {
    document.addEventListener(type, touched, { capture: true, passive: true });
  }
  setInterval(() => {
    const idle = Date.now() - lastTouch;
    if ($("token-dialog").open) {
      return;
    }
    if (idle >= IDLE_MS) {
      touched();
      restart();
    } else if (idle >= IDLE_MS - IDLE_WARNING_MS && document.body.dataset.step !== "start" && !$("idle-dialog").open) {
      // Nothing to forget on the first screen; elsewhere, ask first.
      for (const dialog of document.querySelectorAll("dialog[open]:not(#token-dialog)")) {
        dialog.close();
      }
      $("idle-dialog").showModal();
      $("idle-more").focus();
    }
  }, 250);

  // Back in the browser goes one step back; from the details it lets the
  // hold go, as "Back to seats" does.
  window.addEventListener("popstate", (event) => {
    const to = event.state && event.state.step;
    const from = document.body.dataset.step;
    if (from === "details") {
      backToSeats();
    } else if (from === "seats" && customer.film) {
      showsAgain();
    } else if (from === "shows" || to === "start" || from === "done" || from === "problem") {
      restart();
    } else if (!to) {
      history.pushState({ step: from }, "");
    }
  });
  // Leaving the page lets the hold go at once rather than when it runs out.
  window.addEventListener("pagehide", () => {
    releaseHold();
  });

  async function backToSeats() {
    const held = await releaseHold();
    if (customer.show) {
      chooseShow(customer.show.id, held ? held.seats : []);
    } else {
      restart();
    }
  }

  $("restart").addEventListener("click", restart);
  $("shows-back").addEventListener("click", () => loadStart());
  $("seats-back").addEventListener("click", showsAgain);
  $("hold").addEventListener("click", hold);
  $("details-back").addEventListener("click", backToSeats);
  $("more-time").addEventListener("click", moreTime);
  $("companion-no").addEventListener("click", () => $("companion-dialog").close());
  $("idle-more").addEventListener("click", () => {
    touched();
  });
  $("details-form").addEventListener("submit", confirm);
  $("details-form").addEventListener("input", () => {
    $("details-error").textContent = "";
  });
  $("done").addEventListener("click", restart);

  forget();
  loadStart();
})();
