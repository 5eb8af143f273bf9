//! The price rows: the `/v1` booking rows on shows whose card prices three
//! taxed ticket types (premium seats apart), each booking naming a type for
//! each place, beside the same bookings on shows of the default card at 0.

use std::path::PathBuf;
use std::sync::Arc;

use crate::cinema::{Cinema, Pricing};
use crate::server::Server;
use crate::{run_rounds, Binaries, Options, Output, Row, V1_BOOKING_CONNECTIONS};

/// What a priced booking must keep of the rate without prices.
const PRICE_TARGET: f64 = 0.9;

pub fn rows(
    binaries: &Binaries,
    folder: &dyn Fn(&str) -> Result<PathBuf, String>,
    options: &Options,
    output: &mut Output,
) -> Result<(), String> {
    let dir = folder("prices")?;
    let env = [(
        "ROCKET_DB_PATH",
        dir.join("boxoffice.redb").display().to_string(),
    )];
    let server = Server::start(&binaries.boxoffice, &dir, &env, "/v1/screens")?;
    let (at, cpu) = (server.address, server.cpu_meter());
    eprintln!("prices: two 168-seat screens with premium rows, 12,000 shows ...");
    let at_zero = Arc::new(Cinema::set_up(at, Pricing::AtZero)?);
    let priced = Arc::new(Cinema::set_up(at, Pricing::Priced)?);
    let zero_sample = at_zero.sample_booking(at)?;
    let priced_sample = priced.sample_booking(at)?;
    if zero_sample.total != 0 || priced_sample.total == 0 || priced_sample.types < 2 {
        return Err(format!(
            "the sample bookings are not priced as meant: at 0 {zero_sample:?}, priced {priced_sample:?}"
        ));
    }

    let connections = V1_BOOKING_CONNECTIONS;
    let (at_zero, priced) = (&at_zero, &priced);
    let mut rows = vec![
        Row::new(
            "POST /v1/bookings, 2 seats by name, default card at 0",
            connections,
            || {
                let make = at_zero.named_bookings();
                cpu.over(|| options.load(at, connections, make).run())
            },
        ),
        Row::new(
            "POST /v1/bookings, 2 seats by name, priced, `tickets` by seat",
            connections,
            || {
                let make = priced.named_bookings();
                cpu.over(|| options.load(at, connections, make).run())
            },
        ),
        Row::new(
            "POST /v1/bookings, count 2, default card at 0",
            connections,
            || {
                let make = at_zero.counted_bookings();
                cpu.over(|| options.load(at, connections, make).run())
            },
        ),
        Row::new(
            "POST /v1/bookings, priced, `tickets` by count (1 + 1)",
            connections,
            || {
                let make = priced.counted_bookings();
                cpu.over(|| options.load(at, connections, make).run())
            },
        ),
    ];
    run_rounds(&mut rows)?;
    server.stop()?;

    output.line(format!(
        "Prices: two screens of the same 168-seat map with 3 premium rows, on one server. One \
         screen's shows take the default card (each place `Admission` at 0) and its bookings \
         name no type; the other's take a card of three types (Adult, Child at 7 %, Senior at \
         19 % tax), each priced on any seat and apart on premium seats, and each booking names \
         a type for each of its two places (two of the three in turn). A sample booking by \
         count answered a total of {} on the priced shows ({} types) and {} on the others.",
        priced_sample.total, priced_sample.types, zero_sample.total
    ));
    output.line("");
    output.table(&rows);
    output.line("");
    output.line("| figure | value | target | holds |");
    output.line("| --- | ---: | --- | --- |");
    for (zero, with_prices, what) in [(0, 1, "by seat"), (2, 3, "by count")] {
        let (zero, with_prices) = (
            rows[zero].report.ok_per_second(),
            rows[with_prices].report.ok_per_second(),
        );
        let ratio = with_prices / zero;
        output.figure(
            &format!("/v1 bookings priced, `tickets` {what} ÷ at 0, {connections} conns"),
            format!("{ratio:.2}x ({with_prices:.0} / {zero:.0})"),
            &format!(">= {PRICE_TARGET}x"),
            Some(ratio >= PRICE_TARGET),
        );
    }
    output.line("");
    Ok(())
}
