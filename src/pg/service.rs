//! The use-case interfaces on PostgreSQL: each write one READ COMMITTED
//! transaction (run again after a deadlock), each read one REPEATABLE READ
//! snapshot; answers as the redb backend gives them.

use std::sync::Arc;
use std::time::Instant;

use tokio_postgres::IsolationLevel;

use super::error::{PgError, CLOCK_UNUSABLE};
use super::records::Db;
use super::writes::{Outcome, Sold};
use super::PgBackend;
use crate::domain::cinema::{Film, Screen};
use crate::domain::holds::HeldNow;
use crate::domain::limits::ClientId;
use crate::domain::price_book::PriceBook;
use crate::domain::prices::{PriceCard, TicketType};
use crate::domain::staff::{Account, Actor, ApiKey, Audit, AuditEntry, Login, Session, Throttle};
use crate::domain::Reference;
use crate::domain::{
    FilmId, HoldId, Millis, Phone, Refusal, ScreenId, Show, ShowId, Ticket, TicketId,
};
use crate::domain::{PriceCardId, TicketTypeId};
use crate::store::service::{booking_view, hold_view, show_seats, show_view};
use crate::usecases::audit;
use crate::usecases::cinema::{
    Booking, BookingMove, Cinema, FilmPatch, NewFilm, NewScreen, NewSeatBooking, NewShow,
    ScreenPatch, ShowFilter, ShowSeats, ShowView,
};
use crate::usecases::holds::{Confirmation, HoldView, Holds, NewHold};
use crate::usecases::prices::{
    changes, page_of, NewPriceCard, NewTicketType, PriceCardPatch, Prices, ShowPrices,
    TicketTypePatch,
};
use crate::usecases::staff::{AccountPatch, AuditFilter, NewAccount, NewKey, SignInState, Staff};
use crate::usecases::{
    Booked, Bookings, Error, Keyed, NewBooking, Once, Page, PageRequest, PurgeReport, Readiness,
    Render, Replay, ShowKey, ShowTickets, Written,
};

/// A use case's future, borrowing its transaction and input.
type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

/// Runs of one use case before a deadlock or a moved row is an error.
const ATTEMPTS: u32 = 8;

/// What the `answers` table says about a key, once its row is ours.
enum Claim {
    /// First use: our placeholder row holds the key until we commit.
    New,
    /// Its answer is past its time: the key counts as new.
    Expired,
    Replay(Replay),
    Mismatch,
}

impl Db<'_> {
    /// Claims `key` for this transaction: a new key gets a placeholder row
    /// (the same key on another connection waits on it, then replays what
    /// we stored); a known key's row is locked and judged.
    async fn claim(
        &self,
        key: &[u8],
        fingerprint: &[u8; 32],
        client: Option<ClientId>,
    ) -> Result<Claim, PgError> {
        let client = client.map(|client| client.as_bytes().to_vec());
        let inserted = self
            .exec(
                "INSERT INTO answers (key, fingerprint, stored_at, client) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (key) DO NOTHING",
                &[&key, &fingerprint.as_slice(), &self.now, &client],
            )
            .await?;
        if inserted == 1 {
            return Ok(Claim::New);
        }
        let Some(row) = self
            .row(
                "SELECT fingerprint, stored_at, status, body FROM answers WHERE key = $1 FOR UPDATE",
                &[&key],
            )
            .await?
        else {
            // Purged between the two statements.
            return Err(PgError::Retry);
        };
        let stored_at: i64 = row.try_get(1)?;
        if self.now >= stored_at.saturating_add(self.rules.idempotency_ttl_ms) {
            return Ok(Claim::Expired);
        }
        let stored: &[u8] = row.try_get(0)?;
        if stored != fingerprint.as_slice() {
            return Ok(Claim::Mismatch);
        }
        let status: Option<i32> = row.try_get(2)?;
        let body: Option<Vec<u8>> = row.try_get(3)?;
        match (status.and_then(|status| u16::try_from(status).ok()), body) {
            (Some(status), Some(body)) => Ok(Claim::Replay(Replay { status, body })),
            _ => Err(PgError::Corrupt(
                "a stored answer without a status or body".into(),
            )),
        }
    }

    async fn remember(
        &self,
        key: &[u8],
        fingerprint: &[u8; 32],
        answer: &Replay,
        client: Option<ClientId>,
    ) -> Result<(), PgError> {
        let client = client.map(|client| client.as_bytes().to_vec());
        self.exec(
            "UPDATE answers SET fingerprint = $2, stored_at = $3, status = $4, body = $5,
                 client = $6
             WHERE key = $1",
            &[
                &key,
                &fingerprint.as_slice(),
                &self.now,
                &i32::from(answer.status),
                &answer.body,
                &client,
            ],
        )
        .await?;
        Ok(())
    }

    /// A refusal when `client` keeps as many live answers (other than
    /// `key`'s) as it may: a new key of it is not run. It may retry once
    /// its oldest answer ends. The caller holds the client's lock.
    async fn answers_full(&self, client: ClientId, key: &[u8]) -> Result<Option<Refusal>, PgError> {
        let cap = i64::from(self.rules.limits.idempotency_per_client);
        let ttl = self.rules.idempotency_ttl_ms;
        let row = self
            .rows(
                "SELECT count(*), min(stored_at) FROM (
                     SELECT stored_at FROM answers
                     WHERE client = $1 AND stored_at > $2 AND key <> $3 AND status IS NOT NULL
                     ORDER BY stored_at LIMIT $4) AS live",
                &[
                    &client.as_bytes().as_slice(),
                    &self.now.saturating_sub(ttl),
                    &key,
                    &cap,
                ],
            )
            .await?;
        let row = row
            .first()
            .ok_or_else(|| PgError::Corrupt("count gave no row".into()))?;
        let live: i64 = row.try_get(0)?;
        if live < cap {
            return Ok(None);
        }
        let oldest: Option<i64> = row.try_get(1)?;
        let ends = oldest.unwrap_or(self.now).saturating_add(ttl);
        let seconds = u64::try_from(ends.saturating_sub(self.now).max(1))
            .unwrap_or(1)
            .div_ceil(1_000);
        Ok(Some(Refusal::TooManyKeys {
            retry_after_seconds: seconds.max(1),
        }))
    }
}

/// Counts a use case's answer in the metrics when it ran now.
fn count<T>(
    written: Result<Written<T>, Error>,
    counted: impl FnOnce(),
) -> Result<Written<T>, Error> {
    if let Ok(Written::Fresh(_)) = &written {
        counted();
    }
    written
}

fn sold_view(Sold { ticket, screen }: Sold) -> Booking {
    booking_view(ticket, &screen)
}

/// A use case's answer mapped, refusals kept.
fn map<T, U>(outcome: Outcome<T>, f: impl FnOnce(T) -> U) -> Outcome<U> {
    outcome.map(|answer| answer.map(f))
}

/// A use case's outcome, its audit entry written in the same transaction
/// when it made its change.
async fn audited<T: Send>(
    db: &Db<'_>,
    done: Outcome<T>,
    audit: impl FnOnce(&T) -> Audit + Send,
) -> Outcome<T> {
    let done = done?;
    if let Ok(value) = &done {
        db.audit(audit(value)).await?;
    }
    Ok(done)
}

impl PgBackend {
    /// A change of the price book (`change` gets a fresh id), audited in its
    /// transaction as `action` on the record `subject` names.
    async fn change_price_book<T, C, S>(
        &self,
        actor: &Actor,
        action: &'static str,
        change: C,
        subject: S,
        once: Once<T>,
    ) -> Result<Written<T>, Error>
    where
        T: Send,
        C: Fn(&mut PriceBook, u128) -> Result<T, Refusal> + Send + Sync,
        S: Fn(&T) -> String + Send + Sync,
    {
        self.write(
            (actor.clone(), change, subject),
            |db, (actor, change, subject)| {
                Box::pin(async move {
                    let done = db.change_prices(change).await;
                    audited(db, done, |made| audit::record(actor, action, subject(made))).await
                })
            },
            once,
        )
        .await
    }
}

impl PgBackend {
    /// Runs `work` on `input` in one READ COMMITTED transaction with the key's
    /// answer stored in it; again from the start after a deadlock.
    async fn write<I, T, W>(&self, input: I, work: W, once: Once<T>) -> Result<Written<T>, Error>
    where
        I: Send + Sync,
        T: Send,
        W: for<'a> Fn(&'a Db<'a>, &'a I) -> BoxFuture<'a, Outcome<T>> + Send + Sync,
    {
        let now = self.clock.now().map_err(|unusable| Error::Unavailable {
            cause: CLOCK_UNUSABLE,
            source: Box::new(unusable),
        })?;
        let (keyed, mut render) = match once {
            Some(Keyed {
                key,
                fingerprint,
                render,
                client,
            }) => (Some((key, fingerprint, client)), Some(render)),
            None => (None, None),
        };
        let began = Instant::now();
        let mut attempt = 1;
        loop {
            let result = self
                .attempt(now, &input, &work, keyed.as_ref(), &mut render)
                .await;
            match result {
                Err(error)
                    if error.is_transient()
                        && attempt < ATTEMPTS
                        && (keyed.is_none() || render.is_some()) =>
                {
                    attempt += 1;
                }
                Err(error) => {
                    rocket::error!("a write failed: {}", crate::error_chain(&error));
                    self.observe(Err(&error));
                    return Err(error.into());
                }
                Ok(answer) => {
                    self.observe(Ok(()));
                    self.metrics.commit(1, began.elapsed().as_secs_f64());
                    return answer;
                }
            }
        }
    }

    async fn attempt<I, T, W>(
        &self,
        now: Millis,
        input: &I,
        work: &W,
        keyed: Option<&(Vec<u8>, [u8; 32], Option<ClientId>)>,
        render: &mut Option<Render<T>>,
    ) -> Result<Result<Written<T>, Error>, PgError>
    where
        I: Send + Sync,
        T: Send,
        W: for<'a> Fn(&'a Db<'a>, &'a I) -> BoxFuture<'a, Outcome<T>> + Send + Sync,
    {
        let mut client = self.pool.get().await?;
        let tx = client
            .build_transaction()
            .isolation_level(IsolationLevel::ReadCommitted)
            .start()
            .await?;
        let db = Db {
            tx: &tx,
            rules: self.rules,
            now,
            ids: &self.ids,
        };
        let mut placeholder = false;
        if let Some((key, fingerprint, client)) = keyed {
            if let Some(client) = client {
                // Its count and its new answer, one at a time per client.
                db.lock_client(*client).await?;
            }
            let claim = db.claim(key, fingerprint, *client).await?;
            if let (Claim::New | Claim::Expired, Some(client)) = (&claim, client) {
                if let Some(refusal) = db.answers_full(*client, key).await? {
                    // Nothing was written: the transaction rolls back.
                    return Ok(Err(Error::Refused(refusal)));
                }
            }
            match claim {
                Claim::New => placeholder = true,
                Claim::Expired => {}
                Claim::Replay(replay) => {
                    tx.commit().await?;
                    return Ok(Ok(Written::Replayed(replay)));
                }
                // Nothing was written: the transaction rolls back.
                Claim::Mismatch => return Ok(Err(Error::Refused(Refusal::IdempotencyMismatch))),
            }
        }
        let answer = work(&db, input).await?;
        if let Some((key, fingerprint, client)) = keyed {
            let render = render
                .take()
                .ok_or_else(|| PgError::Corrupt("an answer was rendered twice".into()))?;
            match render(&answer) {
                Some(replay) => db.remember(key, fingerprint, &replay, *client).await?,
                None if placeholder => {
                    db.exec("DELETE FROM answers WHERE key = $1", &[key])
                        .await?;
                }
                None => {}
            }
        }
        tx.commit().await?;
        Ok(match answer {
            Ok(done) => Ok(Written::Fresh(done)),
            Err(refusal) => Err(Error::Refused(refusal)),
        })
    }

    /// Runs `work` on `input` in one read-only REPEATABLE READ snapshot.
    async fn read<I, T, W>(&self, input: I, work: W) -> Result<T, Error>
    where
        I: Send + Sync,
        T: Send,
        W: for<'a> Fn(&'a Db<'a>, &'a I) -> BoxFuture<'a, Result<T, PgError>> + Send + Sync,
    {
        let now = self.clock.now_or_last();
        let result = async {
            let mut client = self.pool.get().await?;
            let tx = client
                .build_transaction()
                .isolation_level(IsolationLevel::RepeatableRead)
                .read_only(true)
                .start()
                .await?;
            let db = Db {
                tx: &tx,
                rules: self.rules,
                now,
                ids: &self.ids,
            };
            let found = work(&db, &input).await?;
            tx.commit().await?;
            Ok::<T, PgError>(found)
        }
        .await;
        result.map_err(|error| {
            if error.unavailability().is_some() {
                self.observe(Err(&error));
            } else {
                rocket::error!("a read failed: {}", crate::error_chain(&error));
            }
            error.into()
        })
    }
}

#[async_trait::async_trait]
impl Bookings for PgBackend {
    async fn book(
        &self,
        booking: NewBooking,
        actor: &Actor,
        once: Once<Booked>,
    ) -> Result<Written<Booked>, Error> {
        let written = self
            .write(
                (booking, actor.clone()),
                |db, (booking, actor)| {
                    Box::pin(async move {
                        audited(db, db.book(booking).await, |booked| {
                            audit::sale(actor, audit::BOOKING_CREATE, &booked.ticket)
                        })
                        .await
                    })
                },
                once,
            )
            .await;
        count(written, || self.metrics.booked())
    }

    async fn move_ticket(
        &self,
        ticket: TicketId,
        starts_at: Millis,
        actor: &Actor,
        once: Once<Booked>,
    ) -> Result<Written<Booked>, Error> {
        self.write(
            (ticket, starts_at, actor.clone()),
            |db, (ticket, starts_at, actor)| {
                Box::pin(async move {
                    let done = db.move_ticket(*ticket, *starts_at).await;
                    audited(db, done, |booked| {
                        audit::sale(actor, audit::BOOKING_MOVE, &booked.ticket)
                    })
                    .await
                })
            },
            once,
        )
        .await
    }

    async fn delete_ticket(
        &self,
        ticket: TicketId,
        actor: &Actor,
        once: Once<()>,
    ) -> Result<Written<()>, Error> {
        let written = self
            .write(
                (ticket, actor.clone()),
                |db, (ticket, actor)| {
                    Box::pin(async move {
                        let done = db.delete_ticket(*ticket).await;
                        audited(db, done, |()| audit::cancelled(actor, *ticket)).await
                    })
                },
                once,
            )
            .await;
        count(written, || self.metrics.cancelled())
    }

    async fn purge_expired(&self, budget: usize) -> Result<PurgeReport, Error> {
        // An unusable clock deletes nothing (and the write is refused anyway).
        let at = self.clock.purge_now().unwrap_or(Millis::MIN);
        let report = self
            .write(
                (budget, at),
                |db, (budget, at)| Box::pin(async move { db.purge(*budget, *at).await.map(Ok) }),
                None,
            )
            .await?
            .fresh()?;
        self.metrics.purged(&report);
        Ok(report)
    }

    async fn ticket(&self, ticket: TicketId) -> Result<Option<Booked>, Error> {
        let found = self
            .read(ticket, |db, ticket| Box::pin(db.ticket_and_show(*ticket)))
            .await?;
        Ok(found.map(|(ticket, show)| Booked { ticket, show }))
    }

    async fn ticket_alone(&self, ticket: TicketId) -> Result<Option<Ticket>, Error> {
        self.read(ticket, |db, ticket| Box::pin(db.ticket(*ticket)))
            .await
    }

    async fn show(&self, key: ShowKey) -> Result<Option<ShowTickets>, Error> {
        let found = self
            .read(key, |db, key| Box::pin(db.show_with_tickets(*key)))
            .await?;
        let expire_after = self.rules.expire_after_ms;
        let now = self.clock.now_or_last();
        Ok(found.map(|(show, tickets, holds)| {
            ShowTickets::at(show, tickets, holds.count, expire_after, now)
        }))
    }

    async fn all_shows(&self) -> Result<Vec<(Show, Vec<Ticket>)>, Error> {
        self.read((), |db, ()| Box::pin(db.all_shows())).await
    }

    fn readiness(&self) -> Readiness {
        PgBackend::readiness(self)
    }

    fn warnings(&self) -> Vec<String> {
        self.clock.warnings()
    }

    async fn take_clock_trust(&self) -> Result<(), Error> {
        let started = self.started_at();
        let said = self
            .read((), |db, ()| Box::pin(db.clock_trusted_at()))
            .await?;
        if said.is_some_and(|at| at >= started) {
            self.clock.trust();
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl Cinema for PgBackend {
    async fn create_screen(
        &self,
        screen: NewScreen,
        actor: &Actor,
        once: Once<Screen>,
    ) -> Result<Written<Screen>, Error> {
        self.write(
            (screen, actor.clone()),
            |db, (screen, actor)| {
                Box::pin(async move {
                    audited(db, db.create_screen(screen).await, |screen| {
                        audit::record(actor, audit::SCREEN_CREATE, screen.id)
                    })
                    .await
                })
            },
            once,
        )
        .await
    }

    async fn screen(&self, id: ScreenId) -> Result<Option<Screen>, Error> {
        self.read(id, |db, id| Box::pin(db.screen(*id, false)))
            .await
    }

    async fn screens(&self, page: PageRequest) -> Result<Page<Screen>, Error> {
        self.read(page, |db, page| Box::pin(db.screens(*page)))
            .await
    }

    async fn update_screen(
        &self,
        id: ScreenId,
        patch: ScreenPatch,
        actor: &Actor,
        once: Once<Screen>,
    ) -> Result<Written<Screen>, Error> {
        self.write(
            (id, patch, actor.clone()),
            |db, (id, patch, actor)| {
                Box::pin(async move {
                    audited(db, db.update_screen(*id, patch).await, |_| {
                        audit::record(actor, audit::screen_update(patch), *id)
                    })
                    .await
                })
            },
            once,
        )
        .await
    }

    async fn delete_screen(
        &self,
        id: ScreenId,
        actor: &Actor,
        once: Once<()>,
    ) -> Result<Written<()>, Error> {
        self.write(
            (id, actor.clone()),
            |db, (id, actor)| {
                Box::pin(async move {
                    audited(db, db.delete_screen(*id).await, |()| {
                        audit::record(actor, audit::SCREEN_DELETE, *id)
                    })
                    .await
                })
            },
            once,
        )
        .await
    }

    async fn create_film(
        &self,
        film: NewFilm,
        actor: &Actor,
        once: Once<Film>,
    ) -> Result<Written<Film>, Error> {
        self.write(
            (film, actor.clone()),
            |db, (film, actor)| {
                Box::pin(async move {
                    audited(db, db.create_film(film).await, |film| {
                        audit::record(actor, audit::FILM_CREATE, film.id)
                    })
                    .await
                })
            },
            once,
        )
        .await
    }

    async fn film(&self, id: FilmId) -> Result<Option<Film>, Error> {
        self.read(id, |db, id| Box::pin(db.film_by_id(*id))).await
    }

    async fn films(&self, page: PageRequest) -> Result<Page<Film>, Error> {
        self.read(page, |db, page| Box::pin(db.films(*page))).await
    }

    async fn update_film(
        &self,
        id: FilmId,
        patch: FilmPatch,
        actor: &Actor,
        once: Once<Film>,
    ) -> Result<Written<Film>, Error> {
        self.write(
            (id, patch, actor.clone()),
            |db, (id, patch, actor)| {
                Box::pin(async move {
                    audited(db, db.update_film(*id, patch).await, |_| {
                        audit::record(actor, audit::FILM_UPDATE, *id)
                    })
                    .await
                })
            },
            once,
        )
        .await
    }

    async fn delete_film(
        &self,
        id: FilmId,
        actor: &Actor,
        once: Once<()>,
    ) -> Result<Written<()>, Error> {
        self.write(
            (id, actor.clone()),
            |db, (id, actor)| {
                Box::pin(async move {
                    audited(db, db.delete_film(*id).await, |()| {
                        audit::record(actor, audit::FILM_DELETE, *id)
                    })
                    .await
                })
            },
            once,
        )
        .await
    }

    async fn create_show(
        &self,
        show: NewShow,
        actor: &Actor,
        once: Once<ShowView>,
    ) -> Result<Written<ShowView>, Error> {
        self.write(
            (show, actor.clone()),
            |db, (show, actor)| {
                Box::pin(async move {
                    let done = db.create_show(show).await;
                    Ok(audited(db, done, |show| {
                        audit::record(actor, audit::SHOW_CREATE, show.id)
                    })
                    .await?
                    .map(|show| show_view(show, &HeldNow::nothing())))
                })
            },
            once,
        )
        .await
    }

    async fn show_view(&self, id: ShowId) -> Result<Option<ShowView>, Error> {
        let found = self
            .read(id, |db, id| Box::pin(db.show_and_holds(*id)))
            .await?;
        Ok(found.map(|(show, held)| show_view(show, &held)))
    }

    async fn shows(&self, filter: ShowFilter, page: PageRequest) -> Result<Page<ShowView>, Error> {
        let found = self
            .read((filter, page), |db, (filter, page)| {
                Box::pin(db.shows(*filter, *page))
            })
            .await?;
        Ok(found.map(|(show, held)| show_view(show, &held)))
    }

    async fn delete_show(
        &self,
        id: ShowId,
        actor: &Actor,
        once: Once<()>,
    ) -> Result<Written<()>, Error> {
        self.write(
            (id, actor.clone()),
            |db, (id, actor)| {
                Box::pin(async move {
                    audited(db, db.delete_show_if_unsold(*id).await, |()| {
                        audit::record(actor, audit::SHOW_DELETE, *id)
                    })
                    .await
                })
            },
            once,
        )
        .await
    }

    async fn set_show_card(
        &self,
        id: ShowId,
        card: Option<PriceCardId>,
        actor: &Actor,
        once: Once<ShowView>,
    ) -> Result<Written<ShowView>, Error> {
        self.write(
            (id, card, actor.clone()),
            |db, (id, card, actor)| {
                Box::pin(async move {
                    let done = db.set_show_card(*id, *card).await;
                    Ok(audited(db, done, |_| audit::show_card(actor, *id, *card))
                        .await?
                        .map(|(show, held)| show_view(show, &held)))
                })
            },
            once,
        )
        .await
    }

    async fn seats(&self, show: ShowId) -> Result<Option<ShowSeats>, Error> {
        let found = self
            .read(show, |db, show| Box::pin(db.show_on_screen(*show)))
            .await?;
        Ok(found.map(|(show, screen, held)| show_seats(&show, Arc::new(screen), &held)))
    }

    async fn show_bookings(
        &self,
        show: ShowId,
        page: PageRequest,
    ) -> Result<Option<Page<Booking>>, Error> {
        let found = self
            .read((show, page), |db, (show, page)| {
                Box::pin(db.show_tickets(*show, *page))
            })
            .await?;
        Ok(found.map(|(screen, page)| page.map(|ticket| booking_view(ticket, &screen))))
    }

    async fn create_booking(
        &self,
        booking: NewSeatBooking,
        actor: &Actor,
        once: Once<Booking>,
    ) -> Result<Written<Booking>, Error> {
        let written = self
            .write(
                (booking, actor.clone()),
                |db, (booking, actor)| {
                    Box::pin(async move {
                        let done = db.create_booking(booking).await;
                        let done = audited(db, done, |sold| {
                            audit::sale(actor, audit::BOOKING_CREATE, &sold.ticket)
                        });
                        map(done.await, sold_view)
                    })
                },
                once,
            )
            .await;
        count(written, || self.metrics.booked())
    }

    async fn booking(&self, id: TicketId) -> Result<Option<Booking>, Error> {
        let found = self
            .read(id, |db, id| Box::pin(db.ticket_on_screen(*id)))
            .await?;
        Ok(found.map(|(ticket, screen)| booking_view(ticket, &screen)))
    }

    async fn move_booking(
        &self,
        id: TicketId,
        to: BookingMove,
        actor: &Actor,
        once: Once<Booking>,
    ) -> Result<Written<Booking>, Error> {
        self.write(
            (id, to, actor.clone()),
            |db, (id, to, actor)| {
                Box::pin(async move {
                    let done = db.move_booking(*id, to).await;
                    let done = audited(db, done, |sold| {
                        audit::sale(actor, audit::BOOKING_MOVE, &sold.ticket)
                    });
                    map(done.await, sold_view)
                })
            },
            once,
        )
        .await
    }

    async fn cancel_booking(
        &self,
        id: TicketId,
        actor: &Actor,
        once: Once<()>,
    ) -> Result<Written<()>, Error> {
        let written = self
            .write(
                (id, actor.clone()),
                |db, (id, actor)| {
                    Box::pin(async move {
                        let done = db.cancel_booking(*id).await;
                        audited(db, done, |()| audit::cancelled(actor, *id)).await
                    })
                },
                once,
            )
            .await;
        count(written, || self.metrics.cancelled())
    }

    async fn search_bookings(&self, phone: Phone) -> Result<Vec<Booking>, Error> {
        let found = self
            .read(phone, |db, phone| Box::pin(db.tickets_with_phone(phone)))
            .await?;
        Ok(found
            .into_iter()
            .map(|(ticket, screen)| booking_view(ticket, &screen))
            .collect())
    }

    async fn booking_with_reference(&self, reference: Reference) -> Result<Option<Booking>, Error> {
        let found = self
            .read(reference, |db, reference| {
                Box::pin(db.ticket_with_reference_on_screen(*reference))
            })
            .await?;
        Ok(found.map(|(ticket, screen)| booking_view(ticket, &screen)))
    }
}

#[async_trait::async_trait]
impl Holds for PgBackend {
    async fn create_hold(
        &self,
        hold: NewHold,
        once: Once<HoldView>,
    ) -> Result<Written<HoldView>, Error> {
        let written = self
            .write(
                hold,
                |db, hold| {
                    Box::pin(async move {
                        let now = db.now;
                        map(db.create_hold(hold).await, |(hold, screen)| {
                            hold_view(&hold, &screen, now)
                        })
                    })
                },
                once,
            )
            .await;
        count(written, || self.metrics.held())
    }

    async fn hold(&self, id: HoldId) -> Result<Option<HoldView>, Error> {
        let found = self
            .read(id, |db, id| Box::pin(db.hold_on_screen(*id)))
            .await?;
        let now = self.clock.now_or_last();
        Ok(found.map(|(hold, screen)| hold_view(&hold, &screen, now)))
    }

    async fn release_hold(&self, id: HoldId, once: Once<()>) -> Result<Written<()>, Error> {
        self.write(id, |db, id| Box::pin(db.release_hold(*id)), once)
            .await
    }

    async fn extend_hold(
        &self,
        id: HoldId,
        hold_for_ms: i64,
        once: Once<HoldView>,
    ) -> Result<Written<HoldView>, Error> {
        self.write(
            (id, hold_for_ms),
            |db, (id, hold_for_ms)| {
                Box::pin(async move {
                    let now = db.now;
                    map(db.extend_hold(*id, *hold_for_ms).await, |(hold, screen)| {
                        hold_view(&hold, &screen, now)
                    })
                })
            },
            once,
        )
        .await
    }

    async fn confirm_hold(
        &self,
        id: HoldId,
        confirmation: Confirmation,
        actor: &Actor,
        once: Once<Booking>,
    ) -> Result<Written<Booking>, Error> {
        let written = self
            .write(
                (id, confirmation, actor.clone()),
                |db, (id, confirmation, actor)| {
                    Box::pin(async move {
                        let done = db.confirm_hold(*id, confirmation).await;
                        let done =
                            audited(db, done, |sold| audit::confirmed(actor, *id, &sold.ticket));
                        map(done.await, sold_view)
                    })
                },
                once,
            )
            .await;
        count(written, || self.metrics.booked())
    }
}

#[async_trait::async_trait]
impl Prices for PgBackend {
    async fn create_ticket_type(
        &self,
        ticket_type: NewTicketType,
        actor: &Actor,
        once: Once<TicketType>,
    ) -> Result<Written<TicketType>, Error> {
        self.change_price_book(
            actor,
            audit::TICKET_TYPE_CREATE,
            move |book, id| {
                changes::create_type(book, TicketTypeId::from_u128(id), ticket_type.clone())
            },
            |made| made.id.to_string(),
            once,
        )
        .await
    }

    async fn ticket_type(&self, id: TicketTypeId) -> Result<Option<TicketType>, Error> {
        self.read(id, |db, id| {
            Box::pin(async move { Ok(db.price_book(false).await?.ticket_type(*id).cloned()) })
        })
        .await
    }

    async fn ticket_types(&self, page: PageRequest) -> Result<Page<TicketType>, Error> {
        self.read(page, |db, page| {
            Box::pin(async move {
                let book = db.price_book(false).await?;
                Ok(page_of(&book.types, |t| t.id.as_u128(), *page))
            })
        })
        .await
    }

    async fn update_ticket_type(
        &self,
        id: TicketTypeId,
        patch: TicketTypePatch,
        actor: &Actor,
        once: Once<TicketType>,
    ) -> Result<Written<TicketType>, Error> {
        self.change_price_book(
            actor,
            audit::TICKET_TYPE_UPDATE,
            move |book, _| changes::update_type(book, id, patch.clone()),
            move |_| id.to_string(),
            once,
        )
        .await
    }

    async fn delete_ticket_type(
        &self,
        id: TicketTypeId,
        actor: &Actor,
        once: Once<()>,
    ) -> Result<Written<()>, Error> {
        self.change_price_book(
            actor,
            audit::TICKET_TYPE_DELETE,
            move |book, _| book.remove_type(id),
            move |()| id.to_string(),
            once,
        )
        .await
    }

    async fn create_price_card(
        &self,
        card: NewPriceCard,
        actor: &Actor,
        once: Once<PriceCard>,
    ) -> Result<Written<PriceCard>, Error> {
        self.change_price_book(
            actor,
            audit::PRICE_CARD_CREATE,
            move |book, id| changes::create_card(book, PriceCardId::from_u128(id), card.clone()),
            |made| made.id.to_string(),
            once,
        )
        .await
    }

    async fn price_card(&self, id: PriceCardId) -> Result<Option<PriceCard>, Error> {
        self.read(id, |db, id| {
            Box::pin(async move { Ok(db.price_book(false).await?.card(*id).cloned()) })
        })
        .await
    }

    async fn price_cards(&self, page: PageRequest) -> Result<Page<PriceCard>, Error> {
        self.read(page, |db, page| {
            Box::pin(async move {
                let book = db.price_book(false).await?;
                Ok(page_of(&book.cards, |c| c.id.as_u128(), *page))
            })
        })
        .await
    }

    async fn update_price_card(
        &self,
        id: PriceCardId,
        patch: PriceCardPatch,
        actor: &Actor,
        once: Once<PriceCard>,
    ) -> Result<Written<PriceCard>, Error> {
        self.change_price_book(
            actor,
            audit::PRICE_CARD_UPDATE,
            move |book, _| changes::update_card(book, id, patch.clone()),
            move |_| id.to_string(),
            once,
        )
        .await
    }

    async fn delete_price_card(
        &self,
        id: PriceCardId,
        actor: &Actor,
        once: Once<()>,
    ) -> Result<Written<()>, Error> {
        self.change_price_book(
            actor,
            audit::PRICE_CARD_DELETE,
            move |book, _| book.remove_card(id),
            move |()| id.to_string(),
            once,
        )
        .await
    }

    async fn show_prices(&self, show: ShowId) -> Result<Option<ShowPrices>, Error> {
        self.read(show, |db, show| Box::pin(db.show_prices(*show)))
            .await
    }
}

#[async_trait::async_trait]
impl Staff for PgBackend {
    async fn staff_configured(&self) -> Result<bool, Error> {
        self.read((), |db, ()| Box::pin(db.staff_configured()))
            .await
    }

    async fn create_account(
        &self,
        account: NewAccount,
        actor: &Actor,
        once: Once<Account>,
    ) -> Result<Written<Account>, Error> {
        self.write(
            (account, actor.clone()),
            |db, (account, actor)| Box::pin(db.create_account(account, actor)),
            once,
        )
        .await
    }

    async fn account(&self, login: Login) -> Result<Option<Account>, Error> {
        self.read(login, |db, login| Box::pin(db.account(login, false)))
            .await
    }

    async fn accounts(&self, page: PageRequest) -> Result<Page<Account>, Error> {
        self.read(page, |db, page| Box::pin(db.accounts(*page)))
            .await
    }

    async fn update_account(
        &self,
        login: Login,
        patch: AccountPatch,
        actor: &Actor,
        once: Once<Account>,
    ) -> Result<Written<Account>, Error> {
        self.write(
            (login, patch, actor.clone()),
            |db, (login, patch, actor)| Box::pin(db.update_account(login, patch, actor)),
            once,
        )
        .await
    }

    async fn create_key(
        &self,
        key: NewKey,
        actor: &Actor,
        once: Once<ApiKey>,
    ) -> Result<Written<ApiKey>, Error> {
        self.write(
            (key, actor.clone()),
            |db, (key, actor)| Box::pin(db.create_key(key, actor)),
            once,
        )
        .await
    }

    async fn keys(&self, page: PageRequest) -> Result<Page<ApiKey>, Error> {
        self.read(page, |db, page| Box::pin(db.keys(*page))).await
    }

    async fn key_by_digest(&self, digest: [u8; 32]) -> Result<Option<ApiKey>, Error> {
        self.read(digest, |db, digest| Box::pin(db.key_by_digest(digest)))
            .await
    }

    async fn revoke_key(
        &self,
        id: u128,
        actor: &Actor,
        once: Once<()>,
    ) -> Result<Written<()>, Error> {
        self.write(
            (id, actor.clone()),
            |db, (id, actor)| Box::pin(db.revoke_key(*id, actor)),
            once,
        )
        .await
    }

    async fn sign_in_state(&self, login: Login) -> Result<SignInState, Error> {
        self.read(login, |db, login| Box::pin(db.sign_in_state(login)))
            .await
    }

    async fn sign_in_failed(&self, login: Login) -> Result<Throttle, Error> {
        self.write(login, |db, login| Box::pin(db.sign_in_failed(login)), None)
            .await?
            .fresh()
    }

    async fn open_session(
        &self,
        login: Login,
        digest: [u8; 32],
        csrf: String,
        idle_ms: Millis,
    ) -> Result<Session, Error> {
        self.write(
            (login, digest, csrf),
            move |db, (login, digest, csrf)| {
                Box::pin(db.open_session(login, *digest, csrf, idle_ms))
            },
            None,
        )
        .await?
        .fresh()
    }

    async fn session(
        &self,
        digest: [u8; 32],
        idle_ms: Millis,
    ) -> Result<Option<(Session, Account)>, Error> {
        let now = self.clock.now_or_last();
        let found = self
            .read(digest, |db, digest| Box::pin(db.session(digest)))
            .await?;
        if let Some((session, _)) = &found {
            if session.needs_touch(now, idle_ms) {
                self.write(
                    digest,
                    move |db, digest| Box::pin(db.touch_session(*digest, idle_ms)),
                    None,
                )
                .await?
                .fresh()?;
            }
        }
        Ok(found)
    }

    async fn end_session(&self, digest: [u8; 32], actor: &Actor) -> Result<bool, Error> {
        self.write(
            (digest, actor.clone()),
            |db, (digest, actor)| Box::pin(db.end_session(*digest, actor)),
            None,
        )
        .await?
        .fresh()
    }

    async fn audit(
        &self,
        filter: AuditFilter,
        page: PageRequest,
    ) -> Result<Page<AuditEntry>, Error> {
        self.read((filter, page), |db, (filter, page)| {
            Box::pin(db.audit_entries(filter, *page))
        })
        .await
    }
}
