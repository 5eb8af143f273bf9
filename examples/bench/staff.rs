//! The sign-in rows: how long a staff sign-in takes (its password is checked
//! with argon2id, slow on purpose, at most one check a core at a time, off
//! the async workers) and whether many sign-ins at once stall the bookings
//! beside them. The server sets `admin_token`, which makes the accounts and
//! books; the accounts sign in by password.

use std::cell::RefCell;
use std::path::PathBuf;

use serde_json::json;

use crate::load::{in_turn, request, with_header, Report};
use crate::server::{self, Server};
use crate::{run_rounds, Binaries, Bookings, Options, Output, Row};

/// Sign-ins sent at once beside the bookings.
const SIGN_INS: usize = 20;
/// Booking connections, with and without the sign-ins.
const BOOKING_CONNECTIONS: usize = 16;
/// How much slower the bookings' p99 may be while the sign-ins run.
const STALL_TARGET: f64 = 2.0;
const TOKEN: &str = "bench-admin-token-7f3c";

/// Makes the accounts with `admin_token`, signs one in to see that it
/// works, and answers a sign-in request of each.
fn accounts(at: std::net::SocketAddr) -> Result<Vec<Vec<u8>>, String> {
    let mut sign_ins = Vec::with_capacity(SIGN_INS);
    for n in 0..SIGN_INS {
        let login = format!("bench.{n:02}");
        let password = format!("bench password {n:02}");
        let account = json!({
            "login": login,
            "displayName": format!("Bench {n}"),
            "role": "cashier",
            "password": password,
        });
        let (status, body) = server::call_as(
            at,
            Some(TOKEN),
            "POST",
            "/v1/staff",
            Some(&account.to_string()),
        )?;
        if status != 201 {
            return Err(format!("creating staff account {login}: {status} {body}"));
        }
        let sign_in = json!({"login": login, "password": password}).to_string();
        sign_ins.push(request("POST", "/v1/sessions", Some(&sign_in)));
    }
    let first = json!({"login": "bench.00", "password": "bench password 00"}).to_string();
    let (status, body) = server::call(at, "POST", "/v1/sessions", Some(&first))?;
    if status != 201 {
        return Err(format!("a sign-in: {status} {body}"));
    }
    Ok(sign_ins)
}

pub fn rows(
    binaries: &Binaries,
    folder: &dyn Fn(&str) -> Result<PathBuf, String>,
    options: &Options,
    output: &mut Output,
) -> Result<(), String> {
    let dir = folder("staff")?;
    let env = [
        (
            "ROCKET_DB_PATH",
            dir.join("boxoffice.redb").display().to_string(),
        ),
        ("ROCKET_ADMIN_TOKEN", TOKEN.to_owned()),
    ];
    let server = Server::start(
        &binaries.boxoffice,
        &dir,
        &env,
        "/api/user-details?ticketId=x",
    )?;
    let (at, cpu) = (server.address, server.cpu_meter());
    eprintln!("staff sign-ins: {SIGN_INS} accounts ...");
    let sign_ins = accounts(at)?;

    let bookings = Bookings::new();
    let auth = format!("X-Auth-Token: {TOKEN}");
    let beside: RefCell<Option<Report>> = RefCell::new(None);
    let (bookings, auth, beside, sign_ins) = (&bookings, &auth, &beside, &sign_ins);
    let mut rows = vec![
        Row::new(
            "POST /api/book-ticket, max_batch=256",
            BOOKING_CONNECTIONS,
            || {
                let make = with_header(bookings.next_run(), auth);
                cpu.over(|| options.load(at, BOOKING_CONNECTIONS, make).run())
            },
        ),
        Row::new(
            format!("POST /api/book-ticket, while {SIGN_INS} sign-ins run"),
            BOOKING_CONNECTIONS,
            move || {
                let make = with_header(bookings.next_run(), auth);
                let signing_in = options.load(at, SIGN_INS, in_turn(sign_ins.clone()));
                // Both loads start together, warm up alike and measure the
                // same window; the sign-ins run on a thread of their own.
                let (booked, signed_in) = std::thread::scope(|scope| {
                    let signed_in = scope.spawn(move || signing_in.run());
                    let booked = cpu.over(|| options.load(at, BOOKING_CONNECTIONS, make).run());
                    let signed_in = signed_in
                        .join()
                        .map_err(|_| "the sign-in load panicked".to_owned())
                        .and_then(|report| report);
                    (booked, signed_in)
                });
                *beside.borrow_mut() = Some(signed_in?);
                booked
            },
        ),
        Row::new(
            format!("POST /v1/sessions, {SIGN_INS} at once beside those bookings"),
            SIGN_INS,
            move || {
                beside
                    .borrow_mut()
                    .take()
                    .ok_or_else(|| "the sign-ins beside the bookings did not run".to_owned())
            },
        ),
        Row::new("POST /v1/sessions, one at a time", 1, || {
            let make = in_turn(sign_ins.clone());
            cpu.over(|| options.load(at, 1, make).run())
        }),
    ];
    run_rounds(&mut rows)?;
    server.stop()?;

    write(&rows, output);
    Ok(())
}

/// The rows' table and figures.
fn write(rows: &[Row], output: &mut Output) {
    output.line(format!(
        "Staff sign-ins (argon2id, checked on blocking threads, at most one per core but one at \
         once), on a server with `admin_token` set: {SIGN_INS} accounts made with it by \
         `POST /v1/staff`, each signing in with its password; the bookings send the token. The \
         rows with and without the sign-ins run round-robin, the sign-ins on a thread of their \
         own over the same window as the bookings beside them (the server-CPU column of that \
         row counts both)."
    ));
    output.line("");
    output.table(rows);
    output.line("");
    let (alone, busy) = (&rows[0].report, &rows[1].report);
    let (at_once, lone) = (&rows[2].report, &rows[3].report);
    let ratio = busy.percentile_ms(0.99) / alone.percentile_ms(0.99);
    output.line("| figure | value | target | holds |");
    output.line("| --- | ---: | --- | --- |");
    output.figure(
        "staff sign-in, one at a time: p50 / p99",
        format!(
            "{:.1} / {:.1} ms",
            lone.percentile_ms(0.5),
            lone.percentile_ms(0.99)
        ),
        "",
        None,
    );
    output.figure(
        &format!("staff sign-in, {SIGN_INS} at once: p50 / p99"),
        format!(
            "{:.1} / {:.1} ms",
            at_once.percentile_ms(0.5),
            at_once.percentile_ms(0.99)
        ),
        "",
        None,
    );
    output.figure(
        &format!(
            "booking p99 at {BOOKING_CONNECTIONS} conns: with {SIGN_INS} sign-ins at once ÷ without"
        ),
        format!(
            "{ratio:.2}x ({:.2} ms / {:.2} ms)",
            busy.percentile_ms(0.99),
            alone.percentile_ms(0.99)
        ),
        &format!("<= {STALL_TARGET}x"),
        Some(ratio <= STALL_TARGET),
    );
    output.figure(
        &format!("bookings/s at {BOOKING_CONNECTIONS} conns: with {SIGN_INS} sign-ins ÷ without"),
        format!("{:.2}x", busy.ok_per_second() / alone.ok_per_second()),
        "",
        None,
    );
    output.line("");
}
