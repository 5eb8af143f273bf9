//! Three real boxoffice processes on one PostgreSQL database, on loopback
//! ports: races across processes, a key retried on another process, one
//! process killed under load, and a database that goes away and comes back.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::{database, execute, TestDatabase};
use crate::races::{answered, booking, race, seat_states, seated_show, send};
use crate::support::{agent, booking as api_booking, try_call, Server};

/// `count` processes on `database`, each with a folder of its own.
fn processes(
    database: &TestDatabase,
    count: usize,
    env: &[(&str, &str)],
) -> (tempfile::TempDir, Vec<Server>) {
    let dir = tempfile::tempdir().unwrap();
    // Debug builds are slow; every process needs connections for its share.
    let mut all = vec![
        ("ROCKET_LOG_LEVEL", "critical"),
        ("ROCKET_DATABASE_URL", database.url.as_str()),
        ("ROCKET_DATABASE_POOL", "8"),
    ];
    all.extend_from_slice(env);
    let servers = (0..count)
        .map(|number| {
            let folder = dir.path().join(format!("process-{number}"));
            std::fs::create_dir_all(&folder).unwrap();
            Server::start(&folder.join("unused.redb"), &all)
        })
        .collect();
    (dir, servers)
}

/// A show time two days ahead, as `/api` writes it.
fn api_show_time() -> String {
    (chrono::Utc::now() + chrono::Duration::days(2))
        .format("%Y-%m-%d 18:30")
        .to_string()
}

#[test]
#[ignore = "needs PostgreSQL: set BOXOFFICE_TEST_DATABASE_URL (scripts/pg-test-cluster start)"]
fn two_hundred_clients_on_three_processes_for_one_seat_one_wins() {
    let database = database("two_hundred_clients_on_three_processes_for_one_seat_one_wins");
    let (_dir, servers) = processes(&database, 3, &[]);
    let show = seated_show(&servers[0], 5, 10);
    let urls: Vec<String> = servers.iter().map(|s| s.url("/v1/bookings")).collect();
    let outcomes = race(200, {
        let show = show.clone();
        move |client, agent| {
            send(
                agent,
                "POST",
                &urls[client % urls.len()],
                &[],
                Some(&booking(&show, json!(["C5"]), client)),
            )
        }
    });
    let won = answered(&outcomes, 201).len();
    let lost = answered(&outcomes, 409);
    assert_eq!((won, lost.len()), (1, 199), "every client got 201 or 409");
    for body in lost {
        assert_eq!(body["type"], "urn:boxoffice:seats-taken", "{body}");
        assert_eq!(body["seats"], json!(["C5"]));
    }
    for server in &servers {
        let sold: Vec<String> = seat_states(server, &show)
            .into_iter()
            .filter(|(_, state)| state == "sold")
            .map(|(seat, _)| seat)
            .collect();
        assert_eq!(sold, ["C5"], "every process sees the one sale");
    }
}

#[test]
#[ignore = "needs PostgreSQL: set BOXOFFICE_TEST_DATABASE_URL (scripts/pg-test-cluster start)"]
fn a_hundred_clients_on_three_processes_sell_exactly_twenty_seats() {
    let database = database("a_hundred_clients_on_three_processes_sell_exactly_twenty_seats");
    let (_dir, servers) = processes(&database, 3, &[("ROCKET_CAPACITY", "20")]);
    let show_time = api_show_time();
    let urls: Vec<String> = servers.iter().map(|s| s.url("/api/book-ticket")).collect();
    let outcomes = race(100, {
        let show_time = show_time.clone();
        move |client, agent| {
            send(
                agent,
                "POST",
                &urls[client % urls.len()],
                &[],
                Some(&api_booking(&format!("racer {client}"), 1, &show_time)),
            )
        }
    });
    let sold = answered(&outcomes, 200).len();
    for (status, _, body) in &outcomes {
        match status {
            200 => {}
            406 => assert_eq!(body["message"], "Ticket limit exceeded.", "{body}"),
            other => panic!("{other}: {body}"),
        }
    }
    assert_eq!(sold, 20, "exactly the capacity was sold");
    // The first bookings created the show on three processes at once: one show.
    for server in &servers {
        let (status, _, view) = send(
            &agent(),
            "GET",
            &server.url(&format!(
                "/api/view-all-tickets?showTime={}",
                crate::support::encode(&show_time)
            )),
            &[],
            None,
        );
        assert_eq!(status, 200, "{view}");
        assert_eq!(view["ticketCount"], 20);
        assert_eq!(view["available"], 0);
        assert_eq!(view["allTickets"].as_array().unwrap().len(), 20);
    }
}

#[test]
#[ignore = "needs PostgreSQL: set BOXOFFICE_TEST_DATABASE_URL (scripts/pg-test-cluster start)"]
fn a_key_retried_on_another_process_replays_the_first_answer() {
    let database = database("a_key_retried_on_another_process_replays_the_first_answer");
    let (_dir, servers) = processes(&database, 3, &[]);
    let show = seated_show(&servers[0], 5, 10);
    let key = [("Idempotency-Key", "counter-3-order-77")];
    let body = booking(&show, json!(3), 1);
    let (status, replayed, first) = send(
        &agent(),
        "POST",
        &servers[0].url("/v1/bookings"),
        &key,
        Some(&body),
    );
    assert_eq!((status, replayed.as_deref()), (201, None), "{first}");
    let (status, replayed, again) = send(
        &agent(),
        "POST",
        &servers[1].url("/v1/bookings"),
        &key,
        Some(&body),
    );
    assert_eq!(
        (status, replayed.as_deref()),
        (201, Some("true")),
        "{again}"
    );
    assert_eq!(again, first, "the same answer, byte for byte as JSON");
    let (status, _, other) = send(
        &agent(),
        "POST",
        &servers[2].url("/v1/bookings"),
        &key,
        Some(&booking(&show, json!(4), 1)),
    );
    assert_eq!(status, 422, "{other}");
    assert_eq!(other["type"], "urn:boxoffice:idempotency-mismatch");
    let (status, _, bookings) = send(
        &agent(),
        "GET",
        &servers[2].url(&format!("/v1/shows/{show}/bookings")),
        &[],
        None,
    );
    assert_eq!(status, 200);
    assert_eq!(
        bookings["items"].as_array().unwrap().len(),
        1,
        "booked once"
    );

    // Fifty clients with one key, spread over the three: one booking.
    let urls: Vec<String> = servers.iter().map(|s| s.url("/v1/bookings")).collect();
    let outcomes = race(50, {
        let show = show.clone();
        move |client, agent| {
            send(
                agent,
                "POST",
                &urls[client % urls.len()],
                &[("Idempotency-Key", "kiosk-9-order-5")],
                Some(&booking(&show, json!(2), 0)),
            )
        }
    });
    let ids: Vec<&Value> = outcomes
        .iter()
        .map(|(status, _, body)| {
            assert_eq!(*status, 201, "{body}");
            &body["id"]
        })
        .collect();
    assert!(
        ids.iter().all(|id| *id == ids[0]),
        "one booking for one key"
    );
    let replays = outcomes
        .iter()
        .filter(|(_, replayed, _)| replayed.as_deref() == Some("true"))
        .count();
    assert_eq!(replays, 49, "all but the first answer are replays");
    let (_, _, view) = send(
        &agent(),
        "GET",
        &servers[0].url(&format!("/v1/shows/{show}")),
        &[],
        None,
    );
    assert_eq!(view["sold"], 5, "3 seats, then 2 for the fifty");
}

#[test]
#[ignore = "needs PostgreSQL: set BOXOFFICE_TEST_DATABASE_URL (scripts/pg-test-cluster start)"]
fn killing_one_of_three_processes_under_load_loses_no_acknowledged_booking() {
    let database =
        database("killing_one_of_three_processes_under_load_loses_no_acknowledged_booking");
    let (_dir, mut servers) = processes(&database, 3, &[("ROCKET_CAPACITY", "100000")]);
    let show_time = api_show_time();
    let urls: Vec<String> = servers.iter().map(|s| s.url("/api/book-ticket")).collect();
    let acknowledged = Arc::new(Mutex::new(Vec::<(usize, String)>::new()));
    let killed = Arc::new(AtomicBool::new(false));
    let after_kill = Arc::new(Mutex::new(0usize));
    let stop = Instant::now() + Duration::from_secs(4);
    let clients: Vec<_> = (0..12)
        .map(|client| {
            let (urls, show_time) = (urls.clone(), show_time.clone());
            let (acknowledged, killed, after_kill) = (
                Arc::clone(&acknowledged),
                Arc::clone(&killed),
                Arc::clone(&after_kill),
            );
            std::thread::spawn(move || {
                let agent = agent();
                let mut sent = 0usize;
                while Instant::now() < stop {
                    let target = (client + sent) % urls.len();
                    sent += 1;
                    let was_killed = killed.load(Ordering::SeqCst);
                    let body = api_booking(&format!("client {client}"), 1, &show_time);
                    // No answer (the process died): not acknowledged.
                    let Some((status, answer)) =
                        try_call(&agent, "POST", &urls[target], Some(&body))
                    else {
                        continue;
                    };
                    assert_eq!(status, 200, "{answer}");
                    let id = answer["data"]["ticketId"].as_str().unwrap().to_owned();
                    acknowledged.lock().unwrap().push((target, id));
                    if was_killed && target != 0 {
                        *after_kill.lock().unwrap() += 1;
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(1500));
    servers.remove(0).kill();
    killed.store(true, Ordering::SeqCst);
    for client in clients {
        client.join().unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    let by_killed = acknowledged
        .iter()
        .filter(|(target, _)| *target == 0)
        .count();
    assert!(
        by_killed > 0,
        "the killed process took bookings before it died"
    );
    assert!(
        *after_kill.lock().unwrap() > 0,
        "the others went on booking after the kill"
    );
    let survivor = &servers[0];
    let agent = agent();
    for (_, id) in &acknowledged {
        let (status, body) = crate::support::call(
            &agent,
            "GET",
            &survivor.url(&format!("/api/user-details?ticketId={id}")),
            None,
        );
        assert_eq!(status, 200, "acknowledged booking {id} is gone: {body}");
    }
    let (status, view) = crate::support::call(
        &agent,
        "GET",
        &survivor.url(&format!(
            "/api/view-all-tickets?showTime={}",
            crate::support::encode(&show_time)
        )),
        None,
    );
    assert_eq!(status, 200, "{view}");
    let tickets = view["allTickets"].as_array().unwrap();
    // A booking whose answer was lost with the process may be there too.
    assert!(tickets.len() >= acknowledged.len());
    assert_eq!(view["ticketCount"], tickets.len(), "one seat per ticket");
    eprintln!(
        "{} bookings acknowledged ({by_killed} by the killed process), {} stored",
        acknowledged.len(),
        tickets.len()
    );
}

/// Polls `/readyz` until it answers `status` (or panics after 20 s).
#[track_caller]
fn wait_for_readiness(server: &Server, status: u16) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (got, _, body) = send(&agent(), "GET", &server.url("/readyz"), &[], None);
        if got == status {
            return body;
        }
        assert!(Instant::now() < deadline, "readiness stayed {got}: {body}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
#[ignore = "needs PostgreSQL: set BOXOFFICE_TEST_DATABASE_URL (scripts/pg-test-cluster start)"]
fn a_database_that_refuses_connections_gives_503_and_comes_back() {
    let database = database("a_database_that_refuses_connections_gives_503_and_comes_back");
    let (_dir, servers) = processes(&database, 1, &[]);
    let server = &servers[0];
    let show_time = api_show_time();
    let book = || {
        send(
            &agent(),
            "POST",
            &server.url("/api/book-ticket"),
            &[],
            Some(&api_booking("Asha", 1, &show_time)),
        )
    };
    assert_eq!(book().0, 200);
    wait_for_readiness(server, 200);
    let name = database.url.rsplit('/').next().unwrap().to_owned();
    let admin = super::admin_url(&database);
    execute(
        &admin,
        &format!(
            "ALTER DATABASE {name} ALLOW_CONNECTIONS false;
             SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
        ),
    );
    let body = wait_for_readiness(server, 503);
    assert_eq!(body["status"], "fail", "{body}");
    let (status, _, refused) = book();
    assert_eq!(status, 503, "{refused}");
    assert_eq!(refused["success"], false);
    let (status, _, problem) = send(
        &agent(),
        "POST",
        &server.url("/v1/screens"),
        &[],
        Some(&json!({"name": "Screen 9", "capacity": 10})),
    );
    assert_eq!(status, 503, "{problem}");
    assert_eq!(problem["type"], "urn:boxoffice:storage-unavailable");
    execute(
        &admin,
        &format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true"),
    );
    wait_for_readiness(server, 200);
    assert_eq!(book().0, 200, "writes come back by themselves");
}

#[test]
#[ignore = "needs PostgreSQL: set BOXOFFICE_TEST_DATABASE_URL (scripts/pg-test-cluster start)"]
fn the_pages_and_a_booking_s_qr_code_are_served_on_postgres_too() {
    let database = database("the_pages_and_a_booking_s_qr_code_are_served_on_postgres_too");
    let (_dir, servers) = processes(&database, 1, &[]);
    let server = &servers[0];
    let agent = agent();
    for page in ["/kiosk", "/counter"] {
        let answer = agent.get(&server.url(page)).call().unwrap();
        assert_eq!(answer.status(), 200, "{page}");
        assert!(answer.content_type().starts_with("text/html"), "{page}");
    }
    let show = seated_show(server, 2, 4);
    let (status, _, booked) = send(
        &agent,
        "POST",
        &server.url("/v1/bookings"),
        &[],
        Some(&booking(&show, json!(["B2"]), 0)),
    );
    assert_eq!(status, 201, "{booked}");
    let id = booked["id"].as_str().unwrap();
    let qr = agent
        .get(&server.url(&format!("/v1/bookings/{id}/qr.svg")))
        .call()
        .unwrap();
    assert_eq!(qr.content_type(), "image/svg+xml");
    let svg = qr.into_string().unwrap();
    assert!(svg.contains("<svg") && svg.contains("</svg>"), "{svg}");
}

#[test]
#[ignore = "needs PostgreSQL: set BOXOFFICE_TEST_DATABASE_URL (scripts/pg-test-cluster start)"]
fn a_phone_search_matches_the_last_nine_digits_on_postgres_too() {
    let database = database("a_phone_search_matches_the_last_nine_digits_on_postgres_too");
    let (_dir, servers) = processes(&database, 1, &[]);
    crate::find::phone_search_matches_the_last_nine_digits(&servers[0]);
}

#[test]
#[ignore = "needs PostgreSQL: set BOXOFFICE_TEST_DATABASE_URL (scripts/pg-test-cluster start)"]
fn a_booking_is_found_by_its_short_reference_on_postgres_too() {
    let database = database("a_booking_is_found_by_its_short_reference_on_postgres_too");
    let (_dir, servers) = processes(&database, 1, &[]);
    crate::find::a_booking_is_found_by_its_short_reference(&servers[0]);
}

#[test]
#[ignore = "needs PostgreSQL: set BOXOFFICE_TEST_DATABASE_URL (scripts/pg-test-cluster start)"]
fn a_walk_up_is_sold_without_a_name_or_a_phone_on_postgres_too() {
    let database = database("a_walk_up_is_sold_without_a_name_or_a_phone_on_postgres_too");
    let (_dir, servers) = processes(&database, 1, &[]);
    crate::find::a_walk_up_is_sold_without_a_name_or_a_phone(&servers[0]);
}
