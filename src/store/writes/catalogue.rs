//! Screens, films and shows: the catalogue a cinema sells from.

use std::sync::Arc;

use redb::{ReadableMultimapTable, ReadableTable};

use super::{outcome, Batch, Failure, Outcome, Tables};
use crate::domain::cinema::{show_end, Film, Layout, Screen, MAX_RUNTIME_MINUTES};
use crate::domain::seating::{occupies, overlaps, SeatSet};
use crate::domain::{FilmId, InUse, Millis, PriceCardId, Refusal, ScreenId, Show, ShowId};
use crate::store::codec::{decode_film, encode_film, encode_screen};
use crate::store::error::StoreError;
use crate::usecases::cinema::{FilmPatch, NewFilm, NewScreen, NewShow, ScreenPatch, ShowView};

impl Tables<'_> {
    fn film(&self, id: FilmId) -> Result<Film, Failure> {
        match self.films.get(id.as_u128())? {
            Some(bytes) => Ok(decode_film(id.as_u128(), bytes.value())?),
            None => Err(Refusal::FilmNotFound.into()),
        }
    }

    /// Whether any show, past or future, is still stored on `screen`.
    fn screen_has_shows(&self, screen: ScreenId) -> Result<bool, StoreError> {
        let id = screen.as_u128();
        Ok(self
            .screen_starts
            .range((id, i64::MIN)..=(id, i64::MAX))?
            .next()
            .is_some())
    }

    /// The first show on `screen` (other than `except`) whose time overlaps
    /// [start, until); each show keeps its screen for its runtime plus
    /// `turnaround_ms`.
    fn clash(
        &self,
        screen: ScreenId,
        (start, until): (Millis, Millis),
        turnaround_ms: i64,
        except: Option<ShowId>,
    ) -> Result<Option<Show>, StoreError> {
        let longest = i64::from(MAX_RUNTIME_MINUTES) * 60_000 + turnaround_ms.max(0);
        let id = screen.as_u128();
        let from = (id, start.saturating_sub(longest));
        for entry in self.screen_starts.range(from..(id, until))? {
            let show_id = ShowId::from_u128(entry?.1.value());
            if Some(show_id) == except {
                continue;
            }
            let Some(show) = self.stored_show(show_id)? else {
                continue;
            };
            let end = show.ends_at.unwrap_or(show.starts_at);
            let theirs = (show.starts_at, end.saturating_add(turnaround_ms.max(0)));
            if overlaps((start, until), theirs) {
                return Ok(Some(show));
            }
        }
        Ok(None)
    }
}

struct ShowPlan {
    show: Show,
}

impl Batch<'_, '_> {
    pub fn create_screen(&mut self, screen: &NewScreen) -> Outcome<Screen> {
        use redb::ReadableTableMetadata;
        let max = self.rules.limits.max_screens;
        if self.tables.screens.len()? >= u64::from(max) {
            return Ok(Err(Refusal::TooManyScreens { max }));
        }
        let screen = Screen {
            id: ScreenId::from_u128(self.ids.next(self.now)?),
            name: screen.name.clone(),
            layout: screen.layout.clone(),
        };
        self.tables
            .screens
            .insert(screen.id.as_u128(), encode_screen(&screen).as_slice())?;
        Ok(Ok(screen))
    }

    pub fn update_screen(&mut self, id: ScreenId, patch: &ScreenPatch) -> Outcome<Screen> {
        let plan = (|| -> Result<Screen, Failure> {
            if id.is_default() {
                return Err(Refusal::InUse(InUse::DefaultScreen).into());
            }
            let mut screen = self
                .tables
                .screen(id, self.rules)?
                .map(Arc::unwrap_or_clone)
                .ok_or(Refusal::ScreenNotFound)?;
            if let Some(layout) = &patch.layout {
                // Bookings of its shows name seats of the map they were sold on.
                if *layout != screen.layout && self.tables.screen_has_shows(id)? {
                    return Err(Refusal::InUse(InUse::ScreenHasShows).into());
                }
                screen.layout = layout.clone();
            }
            if let Some(name) = &patch.name {
                screen.name.clone_from(name);
            }
            Ok(screen)
        })();
        outcome(plan, |screen| {
            self.tables
                .screens
                .insert(screen.id.as_u128(), encode_screen(&screen).as_slice())?;
            Ok(screen)
        })
    }

    pub fn delete_screen(&mut self, id: ScreenId) -> Outcome<()> {
        let plan = (|| -> Result<(), Failure> {
            if id.is_default() {
                return Err(Refusal::InUse(InUse::DefaultScreen).into());
            }
            self.tables
                .screen(id, self.rules)?
                .ok_or(Refusal::ScreenNotFound)?;
            if self.tables.screen_has_shows(id)? {
                return Err(Refusal::InUse(InUse::ScreenHasShows).into());
            }
            Ok(())
        })();
        outcome(plan, |()| {
            self.tables.screens.remove(id.as_u128())?;
            Ok(())
        })
    }

    pub fn create_film(&mut self, film: &NewFilm) -> Outcome<Film> {
        let film = Film {
            id: FilmId::from_u128(self.ids.next(self.now)?),
            title: film.title.clone(),
            runtime_minutes: film.runtime_minutes,
            rating: film.rating.clone(),
        };
        self.tables
            .films
            .insert(film.id.as_u128(), encode_film(&film).as_slice())?;
        Ok(Ok(film))
    }

    pub fn update_film(&mut self, id: FilmId, patch: &FilmPatch) -> Outcome<Film> {
        let turnaround = self.rules.turnaround_ms;
        let plan = (|| -> Result<(Film, Vec<Show>), Failure> {
            let mut film = self.tables.film(id)?;
            let mut shows = Vec::new();
            if let Some(runtime) = patch.runtime_minutes {
                if runtime != film.runtime_minutes {
                    for show in self.tables.film_shows.get(id.as_u128())? {
                        let show_id = ShowId::from_u128(show?.value());
                        let Some(mut show) = self.tables.stored_show(show_id)? else {
                            continue;
                        };
                        let time = occupies(show.starts_at, runtime, turnaround);
                        if self
                            .tables
                            .clash(show.screen, time, turnaround, Some(show.id))?
                            .is_some()
                        {
                            return Err(Refusal::ScreenBusy.into());
                        }
                        show.ends_at = Some(show_end(show.starts_at, runtime));
                        shows.push(show);
                    }
                    film.runtime_minutes = runtime;
                }
            }
            if let Some(title) = &patch.title {
                film.title.clone_from(title);
            }
            if let Some(rating) = &patch.rating {
                film.rating.clone_from(rating);
            }
            Ok((film, shows))
        })();
        outcome(plan, |(film, shows)| {
            self.tables
                .films
                .insert(film.id.as_u128(), encode_film(&film).as_slice())?;
            for show in &shows {
                self.tables.put_show(show)?;
            }
            Ok(film)
        })
    }

    pub fn delete_film(&mut self, id: FilmId) -> Outcome<()> {
        let plan = (|| -> Result<(), Failure> {
            self.tables.film(id)?;
            if self.tables.film_shows.get(id.as_u128())?.next().is_some() {
                return Err(Refusal::InUse(InUse::FilmHasShows).into());
            }
            Ok(())
        })();
        outcome(plan, |()| {
            self.tables.films.remove(id.as_u128())?;
            Ok(())
        })
    }

    pub fn create_show(&mut self, new: &NewShow) -> Outcome<Show> {
        let plan = self.plan_show(new);
        outcome(plan, |ShowPlan { show }| {
            self.tables.put_show(&show)?;
            Ok(show)
        })
    }

    fn plan_show(&mut self, new: &NewShow) -> Result<ShowPlan, Failure> {
        if new.screen.is_default() {
            return Err(Refusal::DefaultScreen.into());
        }
        let screen = self
            .tables
            .screen(new.screen, self.rules)?
            .ok_or(Refusal::ScreenNotFound)?;
        let film = self.tables.film(new.film)?;
        if new.starts_at <= self.now {
            return Err(Refusal::StartInPast.into());
        }
        let turnaround = self.rules.turnaround_ms;
        let time = occupies(new.starts_at, film.runtime_minutes, turnaround);
        if self
            .tables
            .clash(screen.id, time, turnaround, None)?
            .is_some()
        {
            return Err(Refusal::ScreenBusy.into());
        }
        let sold_seats = match &screen.layout {
            Layout::General { .. } => None,
            Layout::Seated(map) => Some(SeatSet::new(map.len())),
        };
        let show = Show {
            id: ShowId::from_u128(self.ids.next(self.now)?),
            screen: screen.id,
            film: Some(film.id),
            starts_at: new.starts_at,
            ends_at: Some(show_end(new.starts_at, film.runtime_minutes)),
            capacity: screen.layout.capacity(),
            sold: 0,
            sold_seats,
            price_card: new.price_card,
        };
        if let Some(card) = new.price_card {
            if self.tables.price_book()?.card(card).is_none() {
                return Err(Refusal::PriceCardNotFound.into());
            }
        }
        Ok(ShowPlan { show })
    }

    /// Names the card a show is priced by; what was held or sold keeps its prices.
    pub fn set_show_card(&mut self, id: ShowId, card: Option<PriceCardId>) -> Outcome<ShowView> {
        let plan = (|| -> Result<ShowView, Failure> {
            let mut show = self.tables.show(id)?;
            if let Some(card) = card {
                if self.tables.price_book()?.card(card).is_none() {
                    return Err(Refusal::PriceCardNotFound.into());
                }
            }
            show.price_card = card;
            let (_, held) = self.tables.held(&show, self.now)?;
            Ok(ShowView {
                available: show.capacity.saturating_sub(show.sold).saturating_sub(held),
                held,
                show,
            })
        })();
        outcome(plan, |view| {
            self.tables.put_show(&view.show)?;
            Ok(view)
        })
    }

    pub fn delete_show(&mut self, id: ShowId) -> Outcome<()> {
        let plan = (|| -> Result<Show, Failure> {
            let show = self.tables.show(id)?;
            let (_, held) = self.tables.held(&show, self.now)?;
            if held > 0 || self.tables.show_tickets.get(id.as_u128())?.next().is_some() {
                return Err(Refusal::InUse(InUse::ShowHasBookings).into());
            }
            Ok(show)
        })();
        outcome(plan, |show| self.tables.remove_show(&show))
    }
}
