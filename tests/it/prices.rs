//! Prices on both backends: the book every database starts with, ticket
//! types and price cards through the use-case interface, the card a show
//! takes, and a currency the database keeps. `pg` runs the same scenario.

use std::sync::Arc;

use boxoffice::clock::ManualClock;
use boxoffice::domain::currency::Currency;
use boxoffice::domain::prices::{
    CardChoice, CardRules, Channel, Channels, Price, TicketType, TimeWindow, Weekdays,
};
use boxoffice::domain::seating::SeatKind;
use boxoffice::domain::{InUse, Refusal, Rules, TicketTypeId};
use boxoffice::usecases::cinema::{NewFilm, NewScreen, NewShow};
use boxoffice::usecases::prices::{NewPriceCard, NewTicketType, PriceCardPatch, TicketTypePatch};
use boxoffice::usecases::{Backend, Error, PageRequest, Written};
use chrono::TimeZone;
use serde_json::json;

use crate::cinema_model::{CinemaBackend, RedbCinema};
use crate::support::local;

/// 2030-06-07, a Friday, 12:00 UTC.
const FRIDAY_NOON: i64 = 1_907_323_200_000;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
}

#[track_caller]
fn fresh<T>(written: Result<Written<T>, Error>) -> T {
    written
        .and_then(Written::fresh)
        .unwrap_or_else(|error| panic!("{error}"))
}

#[track_caller]
fn refused<T: std::fmt::Debug>(written: Result<Written<T>, Error>) -> Refusal {
    match written {
        Err(Error::Refused(refusal)) => refusal,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

const ALL: PageRequest = PageRequest {
    after: None,
    limit: 500,
};

async fn scenario(backend: &dyn Backend) {
    // Every database starts with Admission on the default card at 0.
    let types = backend.ticket_types(ALL).await.unwrap().items;
    assert_eq!(types.len(), 1, "{types:?}");
    let admission = types[0].clone();
    assert_eq!(admission.name, TicketType::ADMISSION);
    assert_eq!((admission.tax_rate, admission.channels), (0, Channels::ALL));
    let cards = backend.price_cards(ALL).await.unwrap().items;
    assert_eq!(cards.len(), 1, "{cards:?}");
    let default = cards[0].clone();
    assert!(default.default);
    assert_eq!(default.name, "default");
    assert_eq!(
        default.price(admission.id, Some(SeatKind::Premium)),
        Some(0)
    );

    let adult = fresh(
        backend
            .create_ticket_type(
                NewTicketType {
                    name: "Adult".into(),
                    tax_rate: 700,
                    channels: Channels::ALL,
                    proof: None,
                },
                None,
            )
            .await,
    );
    let student = fresh(
        backend
            .create_ticket_type(
                NewTicketType {
                    name: "Student".into(),
                    tax_rate: 700,
                    channels: [Channel::Counter].into_iter().collect(),
                    proof: Some("student card".into()),
                },
                None,
            )
            .await,
    );
    assert_eq!(
        backend.ticket_type(student.id).await.unwrap(),
        Some(student.clone())
    );
    let renamed = fresh(
        backend
            .update_ticket_type(
                student.id,
                TicketTypePatch {
                    proof: Some(None),
                    tax_rate: Some(1_900),
                    ..TicketTypePatch::default()
                },
                None,
            )
            .await,
    );
    assert_eq!((renamed.tax_rate, renamed.proof), (1_900, None));

    // A card may price only types there are.
    let stranger = TicketTypeId::from_u128(1 << 100);
    let price = |ticket_type, seat_kind, amount| Price {
        ticket_type,
        seat_kind,
        amount,
    };
    let weekend = NewPriceCard {
        name: "Weekend nights".into(),
        priority: 10,
        default: false,
        rules: CardRules {
            weekdays: Weekdays::parse(["fri", "sat"]),
            window: TimeWindow::new(18 * 60, 2 * 60),
            ..CardRules::default()
        },
        prices: vec![price(stranger, None, 100)],
    };
    assert_eq!(
        refused(backend.create_price_card(weekend.clone(), None).await),
        Refusal::Pricing(boxoffice::domain::prices::PricingRefusal::UnknownType(
            stranger
        ))
    );
    let weekend = fresh(
        backend
            .create_price_card(
                NewPriceCard {
                    prices: vec![
                        price(adult.id, None, 1_250),
                        price(adult.id, Some(SeatKind::Premium), 1_500),
                        price(student.id, None, 900),
                    ],
                    ..weekend
                },
                None,
            )
            .await,
    );
    assert_eq!(
        refused(backend.delete_ticket_type(adult.id, None).await),
        Refusal::InUse(InUse::TicketTypeOnCard)
    );

    // A show takes the card whose rules match it, else the default.
    let screen = fresh(
        backend
            .create_screen(
                NewScreen {
                    name: "One".into(),
                    layout: boxoffice::domain::cinema::Layout::General { capacity: 50 },
                },
                None,
            )
            .await,
    );
    let film = fresh(
        backend
            .create_film(
                NewFilm {
                    title: "Rope".into(),
                    runtime_minutes: 80,
                    rating: None,
                },
                None,
            )
            .await,
    );
    let show_at = |hours: i64| NewShow {
        screen: screen.id,
        film: film.id,
        starts_at: FRIDAY_NOON + hours * 3_600_000,
    };
    let friday_night = fresh(backend.create_show(show_at(9), None).await).show;
    let friday_noon = fresh(backend.create_show(show_at(0), None).await).show;
    let saturday_small_hours = fresh(backend.create_show(show_at(13), None).await).show;
    let card_of = |prices: boxoffice::usecases::prices::ShowPrices| {
        prices.card.map(|(card, why)| (card.id, why))
    };
    let prices = backend.show_prices(friday_night.id).await.unwrap().unwrap();
    assert_eq!(
        prices.types.iter().map(|t| t.id).collect::<Vec<_>>(),
        [adult.id, student.id]
    );
    assert_eq!(card_of(prices), Some((weekend.id, CardChoice::Rules)));
    assert_eq!(
        card_of(
            backend
                .show_prices(saturday_small_hours.id)
                .await
                .unwrap()
                .unwrap()
        ),
        Some((weekend.id, CardChoice::Rules)),
        "01:00 on Saturday is Friday night"
    );
    assert_eq!(
        card_of(backend.show_prices(friday_noon.id).await.unwrap().unwrap()),
        Some((default.id, CardChoice::Default))
    );

    // Marking a card the default takes the mark from the other.
    fresh(
        backend
            .update_price_card(
                weekend.id,
                PriceCardPatch {
                    default: Some(true),
                    rules: Some(CardRules {
                        weekdays: Weekdays::parse(["sun"]),
                        ..CardRules::default()
                    }),
                    ..PriceCardPatch::default()
                },
                None,
            )
            .await,
    );
    let cards = backend.price_cards(ALL).await.unwrap().items;
    assert_eq!(
        cards.iter().map(|card| card.default).collect::<Vec<_>>(),
        [false, true]
    );
    assert_eq!(
        card_of(backend.show_prices(friday_noon.id).await.unwrap().unwrap()),
        Some((weekend.id, CardChoice::Default))
    );
    // Without any card, a show has none.
    for card in cards {
        fresh(backend.delete_price_card(card.id, None).await);
    }
    assert_eq!(
        card_of(backend.show_prices(friday_noon.id).await.unwrap().unwrap()),
        None
    );
    assert_eq!(
        refused(backend.delete_price_card(weekend.id, None).await),
        Refusal::PriceCardNotFound
    );
    fresh(backend.delete_ticket_type(adult.id, None).await);
    let left = backend.ticket_types(ALL).await.unwrap().items;
    assert_eq!(
        left.iter().map(|t| t.id).collect::<Vec<_>>(),
        [admission.id, student.id]
    );
    // Pages go on where the last one stopped.
    let first = backend
        .ticket_types(PageRequest {
            after: None,
            limit: 1,
        })
        .await
        .unwrap();
    let second = backend
        .ticket_types(PageRequest {
            after: first.next,
            limit: 1,
        })
        .await
        .unwrap();
    assert_eq!(second.items, [left[1].clone()]);
    assert_eq!(second.next, None);
}

fn post(
    service: &crate::support::Local,
    uri: &str,
    body: &serde_json::Value,
) -> crate::support::Received {
    service.request("POST", uri, Some(&body.to_string()), &[])
}

/// The scenario, then the same data opened in another currency: refused.
pub fn prices_on(backend: &mut dyn CinemaBackend) {
    let rules = Rules::new(20, 8 * 3_600_000);
    let clock = Arc::new(ManualClock::new(FRIDAY_NOON - 86_400_000));
    let open = backend.open(rules, clock.clone()).expect("opens");
    runtime().block_on(scenario(open.as_ref()));
    drop(open);
    backend.close();
    let yen = Rules {
        currency: Currency::from_code("JPY").unwrap(),
        ..rules
    };
    let refused = backend.open(yen, clock.clone()).err().expect("refused");
    assert!(
        refused.contains("EUR") && refused.contains("JPY") && !refused.contains('\n'),
        "{refused}"
    );
    let open = backend
        .open(rules, clock)
        .expect("opens again in its currency");
    drop(open);
    backend.close();
}

#[test]
fn redb_prices_ticket_types_and_cards() {
    let dir = tempfile::tempdir().unwrap();
    prices_on(&mut RedbCinema::new(&dir.path().join("prices.redb")));
}

#[test]
fn a_week_of_card_rules_is_read_in_the_venue_zone() {
    // 01:00 Saturday in Kolkata is Friday 19:30 UTC: the zone decides the day.
    let zone = chrono_tz::Asia::Kolkata;
    let start = zone
        .with_ymd_and_hms(2030, 6, 8, 1, 0, 0)
        .unwrap()
        .timestamp_millis();
    let facts = boxoffice::domain::prices::ShowFacts::new(
        start,
        zone,
        None,
        boxoffice::domain::ScreenId::DEFAULT,
    );
    let late_friday = CardRules {
        weekdays: Weekdays::parse(["fri"]),
        window: TimeWindow::new(22 * 60, 3 * 60),
        ..CardRules::default()
    };
    assert!(late_friday.matches(&facts));
}

#[test]
fn prices_are_served_on_v1() {
    let service = local();
    let (status, types) = service.get("/v1/ticket-types");
    assert_eq!(status.code, 200, "{types}");
    assert_eq!(types["items"][0]["name"], "Admission");
    assert_eq!(
        types["items"][0]["channels"],
        json!(["counter", "kiosk", "api"])
    );
    let admission = types["items"][0]["id"].as_str().unwrap().to_owned();
    let adult = post(
        &service,
        "/v1/ticket-types",
        &json!({"name": "Adult", "taxRate": 700, "channels": ["counter", "api"]}),
    );
    assert_eq!(adult.status.code, 201, "{}", adult.text);
    let adult = adult.body["id"].as_str().unwrap().to_owned();
    for (body, field) in [
        (json!({"name": "X", "taxRate": 10_001}), "taxRate"),
        (json!({"name": "X", "channels": ["web"]}), "channels"),
        (json!({"taxRate": 0}), "name"),
    ] {
        let answer = post(&service, "/v1/ticket-types", &body);
        assert_eq!(answer.status.code, 422, "{body}: {}", answer.text);
        assert!(
            answer.body["detail"].as_str().unwrap().contains(field),
            "{}",
            answer.text
        );
    }
    let card = post(
        &service,
        "/v1/price-cards",
        &json!({
            "name": "Evenings",
            "priority": -3,
            "rules": {"weekdays": ["sat", "fri"], "times": {"from": "18:00", "to": "01:30"},
                      "dates": {"from": "2030-01-01", "to": "2030-12-31"}},
            "prices": [{"type": adult, "amount": 1250},
                       {"type": adult, "seatKind": "premium", "amount": 1500}]
        }),
    );
    assert_eq!(card.status.code, 201, "{}", card.text);
    assert_eq!(card.body["currency"], "EUR");
    assert_eq!(card.body["priority"], -3);
    assert_eq!(card.body["rules"]["weekdays"], json!(["fri", "sat"]));
    assert_eq!(
        card.body["rules"]["times"],
        json!({"from": "18:00", "to": "01:30"})
    );
    assert_eq!(card.body["prices"][1]["seatKind"], "premium");
    let card_id = card.body["id"].as_str().unwrap().to_owned();
    let unknown = post(
        &service,
        "/v1/price-cards",
        &json!({"name": "Bad", "prices": [{"type": "01JD0000000000000000000000", "amount": 1}]}),
    );
    assert_eq!(unknown.status.code, 422, "{}", unknown.text);
    assert_eq!(unknown.body["type"], "urn:boxoffice:unknown-ticket-type");
    let twice = post(
        &service,
        "/v1/price-cards",
        &json!({"name": "Twice", "prices": [{"type": adult, "amount": 1}, {"type": adult, "amount": 2}]}),
    );
    assert_eq!(twice.status.code, 422, "{}", twice.text);
    let in_use = service.request("DELETE", &format!("/v1/ticket-types/{adult}"), None, &[]);
    assert_eq!(in_use.status.code, 409, "{}", in_use.text);
    assert_eq!(in_use.body["type"], "urn:boxoffice:in-use");
    let patched = service.request(
        "PATCH",
        &format!("/v1/price-cards/{card_id}"),
        Some(&json!({"rules": null}).to_string()),
        &[],
    );
    assert_eq!(patched.status.code, 200, "{}", patched.text);
    assert_eq!(patched.body["rules"]["weekdays"], json!(null));
    let (status, one) = service.get(&format!("/v1/price-cards/{card_id}"));
    assert_eq!(status.code, 200);
    assert_eq!(one, patched.body);
    // An /api show: general admission, the card with no rules matches it.
    let booked = post(
        &service,
        "/api/book-ticket",
        &json!({"userName": "Asha", "phoneNumber": "9876543210", "ticketCount": 1,
                "showTime": "2030-06-01 18:30"}),
    );
    assert_eq!(booked.status.code, 200, "{}", booked.text);
    let show = booked.body["data"]["movieId"].as_str().unwrap();
    let (status, prices) = service.get(&format!("/v1/shows/{show}/prices"));
    assert_eq!(status.code, 200, "{prices}");
    assert_eq!(prices["card"]["id"], card_id.as_str());
    assert_eq!(prices["card"]["why"], "rules");
    assert_eq!(prices["currency"], "EUR");
    assert_eq!(prices["types"][0]["id"], adult.as_str());
    assert_eq!(
        prices["types"][0]["prices"],
        json!([{"seatKind": null, "price": 1250, "tax": 82}])
    );
    let _ = admission;
    let (status, missing) = service.get("/v1/shows/01JD0000000000000000000000/prices");
    assert_eq!(status.code, 404, "{missing}");
    let (status, _) = service.get("/v1/price-cards/not-an-id");
    assert_eq!(status.code, 404);
}
