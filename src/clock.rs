//! Where "now" comes from: the system clock in service, a settable one in
//! tests; and the trusted clock, which judges the system's wall clock against
//! its monotonic clock so that one "now" can serve every rule.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::domain::Millis;

/// Where the service's times come from: "now" for the rules (refusals and
/// `expired` flags: the wall clock, so that a clock set right books again at
/// once), and the trusted time the purge deletes by (never ahead of the wall
/// clock, and wary of a wall clock found far ahead at start-up).
pub trait Clock: Send + Sync + 'static {
    /// Unix milliseconds, UTC; an error while the clock reads before 1970.
    fn now(&self) -> Result<Millis, ClockUnusable>;

    /// Now, or while the clock is unusable the last good reading: for reads,
    /// which judge flags such as `expired` and go on whatever the clock says.
    fn now_or_last(&self) -> Millis {
        self.now().unwrap_or(0)
    }

    /// The time the purge deletes by: never later than [`Clock::now`].
    fn purge_now(&self) -> Result<Millis, ClockUnusable> {
        self.now()
    }

    /// At start-up: `last_trusted` is the newest trusted time stored (the
    /// purge's heartbeat); `synchronised` whether the kernel reports the
    /// clock NTP-synchronised; a wall clock more than `tolerance` ahead of
    /// `last_trusted` on an unsynchronised clock is not trusted for a while.
    fn begin(&self, _last_trusted: Millis, _synchronised: bool, _tolerance: Millis) {}

    /// An operator says the wall clock is right: the purge follows it at once.
    fn trust(&self) {}

    /// What an operator should know about the clock now (for `/readyz` and
    /// the log), one sentence each.
    fn warnings(&self) -> Vec<String> {
        Vec::new()
    }
}

/// How long after a start on a clock found far ahead the purge keeps to the
/// last trusted time plus the time since start, unless told otherwise.
pub const DISTRUST_FOR: Duration = Duration::from_hours(24);

pub type SharedClock = Arc<dyn Clock>;

/// The trusted clock over the system's clocks: what the service runs on.
pub fn system() -> SharedClock {
    Arc::new(TrustedClock::new(SystemTimeSource::new()))
}

/// A clock that moves only when told to.
#[derive(Debug, Default)]
pub struct ManualClock(AtomicI64);

impl ManualClock {
    pub fn new(now: Millis) -> Self {
        Self(AtomicI64::new(now))
    }

    pub fn set(&self, now: Millis) {
        self.0.store(now, Ordering::SeqCst);
    }

    pub fn advance(&self, millis: i64) {
        self.0.fetch_add(millis, Ordering::SeqCst);
    }

    /// What it reads: a manual clock is always usable.
    pub fn now(&self) -> Millis {
        self.0.load(Ordering::SeqCst)
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Result<Millis, ClockUnusable> {
        Ok(ManualClock::now(self))
    }
}

// The trusted clock. The rules read the wall clock itself (refusals and
// `expired` flags: a clock set right books again at once); trusted time is
// what the purge deletes by, so that a wrong clock never deletes at once what
// a right one would keep. It is judged from two raw readings: the
// wall clock, which an operator or NTP may set at any moment, and a monotonic
// clock, which only runs. With `last` the previous trusted now and `elapsed`
// the monotonic time since it, in whole milliseconds, the next trusted now is
//
//     clamp(wall, last + elapsed, last + (1 + CATCH_UP) * elapsed)
//
// so that:
// - a wall clock that runs true is followed exactly;
// - trusted time never goes back and never runs slower than the monotonic
//   clock: after a backward jump it runs on from where it was, with the
//   monotonic clock, and follows the wall again once the wall reads at least
//   as late (as a rule because the wall is set right again); it does not slow
//   down to let the wall catch up, because every duration the rules measure
//   (a hold's ten minutes) would stretch with it;
// - a wall clock ahead of trusted time is caught up with at most
//   `CATCH_UP` (10) ms per real ms, on top of the real ms itself: a one-day
//   NTP correction is absorbed in 2 h 24 min, and a jump of years never
//   arrives at once;
// - a wall reading before 1970 gives no trusted time at all
//   (`ClockUnusable`) while it lasts; the next good reading is judged as
//   above, against the last trusted now;
// - at start-up (`begin`), a wall clock that the kernel does not report
//   NTP-synchronised and that reads more than the purge interval ahead of
//   the last trusted time stored (the purge's heartbeat) is not followed for
//   `DISTRUST_FOR` (24 h): trusted time runs from the heartbeat with the
//   monotonic clock alone, and the purge deletes only what it would; `trust`
//   (an operator's word) or the 24 h ending makes it follow the wall at once;
// - the purge takes the earlier of trusted time and the wall clock, so it
//   never deletes by a time the wall clock has not reached.
// A difference of more than `JUMP` between the wall and trusted time is a
// jump: it is logged once when it starts and once when it is over; smaller
// ones are made up silently.

/// How many milliseconds trusted time gains, per real millisecond, on a wall
/// clock that is ahead of it.
pub const CATCH_UP: i64 = 10;

/// A difference between the wall clock and trusted time beyond this is a
/// jump, and logged.
pub const JUMP: Millis = 1_000;

/// Raw readings of the machine's clocks, for a [`TrustedClock`] to judge.
pub trait TimeSource: Send + Sync + 'static {
    /// The wall clock in Unix milliseconds, UTC; negative before 1970.
    fn wall(&self) -> Millis;

    /// Time since an origin of the source's choosing; it never goes back and
    /// does not move when the wall clock is set.
    fn monotonic(&self) -> Duration;
}

impl<S: TimeSource + ?Sized> TimeSource for Arc<S> {
    fn wall(&self) -> Millis {
        (**self).wall()
    }

    fn monotonic(&self) -> Duration {
        (**self).monotonic()
    }
}

/// The operating system's wall clock and its monotonic clock.
#[derive(Debug)]
pub struct SystemTimeSource {
    origin: Instant,
}

impl SystemTimeSource {
    pub fn new() -> Self {
        Self {
            origin: Instant::now(),
        }
    }
}

impl Default for SystemTimeSource {
    fn default() -> Self {
        Self::new()
    }
}

impl TimeSource for SystemTimeSource {
    fn wall(&self) -> Millis {
        unix_millis(SystemTime::now())
    }

    fn monotonic(&self) -> Duration {
        self.origin.elapsed()
    }
}

/// Unix milliseconds of `time`, negative (at most -1) before 1970; unlike
/// `chrono::Utc::now`, it does not panic there.
fn unix_millis(time: SystemTime) -> Millis {
    match time.duration_since(UNIX_EPOCH) {
        Ok(since) => whole_millis(since),
        Err(before) => whole_millis(before.duration()).saturating_neg().min(-1),
    }
}

fn whole_millis(duration: Duration) -> Millis {
    Millis::try_from(duration.as_millis()).unwrap_or(Millis::MAX)
}

impl<S: TimeSource> Clock for TrustedClock<S> {
    fn now(&self) -> Result<Millis, ClockUnusable> {
        self.readings().map(|(wall, _)| wall)
    }

    fn now_or_last(&self) -> Millis {
        self.readings()
            .map_or_else(|_| self.last_wall(), |(wall, _)| wall)
    }

    fn purge_now(&self) -> Result<Millis, ClockUnusable> {
        self.readings().map(|(wall, trusted)| trusted.min(wall))
    }

    fn begin(&self, last_trusted: Millis, synchronised: bool, tolerance: Millis) {
        TrustedClock::begin(self, last_trusted, synchronised, tolerance);
    }

    fn trust(&self) {
        TrustedClock::trust(self);
    }

    fn warnings(&self) -> Vec<String> {
        TrustedClock::warnings(self)
    }
}

/// Readings that move only when told to.
#[derive(Debug, Default)]
pub struct ManualTimeSource {
    wall: AtomicI64,
    monotonic_nanos: AtomicU64,
}

impl ManualTimeSource {
    pub fn new(wall: Millis) -> Self {
        Self {
            wall: AtomicI64::new(wall),
            monotonic_nanos: AtomicU64::new(0),
        }
    }

    /// Real time passes: both clocks move on by `millis`.
    pub fn pass(&self, millis: u64) {
        // The monotonic clock first: a reader that takes the wall clock and
        // then the monotonic one, as [`TrustedClock`] does, never sees the
        // wall clock further on than the monotonic one.
        self.pass_monotonic(Duration::from_millis(millis));
        let signed = i64::try_from(millis).unwrap_or(i64::MAX);
        let _ = self
            .wall
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |wall| {
                Some(wall.saturating_add(signed))
            });
    }

    /// Only the monotonic clock moves (by less than a millisecond, say).
    pub fn pass_monotonic(&self, duration: Duration) {
        let nanos = u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX);
        let _ = self
            .monotonic_nanos
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |now| {
                Some(now.saturating_add(nanos))
            });
    }

    /// The wall clock is set to `wall`; the monotonic clock does not notice.
    pub fn set_wall(&self, wall: Millis) {
        self.wall.store(wall, Ordering::SeqCst);
    }
}

impl TimeSource for ManualTimeSource {
    fn wall(&self) -> Millis {
        self.wall.load(Ordering::SeqCst)
    }

    fn monotonic(&self) -> Duration {
        Duration::from_nanos(self.monotonic_nanos.load(Ordering::SeqCst))
    }
}

/// The wall clock reads before 1970: there is no trusted time until it is
/// right again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockUnusable {
    /// The reading, in Unix milliseconds.
    pub wall: Millis,
}

impl std::fmt::Display for ClockUnusable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the system clock reads before 1970 ({} ms from the Unix epoch)",
            self.wall
        )
    }
}

impl std::error::Error for ClockUnusable {}

/// One trusted "now" over a [`TimeSource`]; see the rules above. Cheap and
/// safe to share between threads: each reading takes one uncontended lock.
#[derive(Debug)]
pub struct TrustedClock<S = SystemTimeSource> {
    source: S,
    state: Mutex<State>,
}

impl<S: TimeSource> TrustedClock<S> {
    pub fn new(source: S) -> Self {
        Self {
            source,
            state: Mutex::new(State::default()),
        }
    }

    pub fn source(&self) -> &S {
        &self.source
    }

    /// Trusted now, in Unix milliseconds, UTC: never earlier than any earlier
    /// answer.
    pub fn now(&self) -> Result<Millis, ClockUnusable> {
        let (now, notices) = self.read();
        for notice in notices {
            notice.log();
        }
        now
    }

    /// The wall clock and trusted time, read together, with what is worth
    /// logging logged.
    fn readings(&self) -> Result<(Millis, Millis), ClockUnusable> {
        let (readings, notices) = self.read_both();
        for notice in notices {
            notice.log();
        }
        readings
    }

    /// The last usable wall reading (0 before any).
    pub fn last_wall(&self) -> Millis {
        self.lock().wall.max(0)
    }

    /// At start-up (see [`Clock::begin`]): a wall clock that the kernel does
    /// not report synchronised and that reads more than `tolerance` ahead
    /// of `last_trusted` is not followed for [`DISTRUST_FOR`]: trusted time
    /// runs on from `last_trusted` with the monotonic clock meanwhile.
    pub fn begin(&self, last_trusted: Millis, synchronised: bool, tolerance: Millis) {
        let wall = self.source.wall();
        let monotonic = self.source.monotonic();
        if synchronised || wall <= last_trusted.saturating_add(tolerance) {
            return;
        }
        let mut state = self.lock();
        state.last = Some((last_trusted, monotonic));
        state.distrust_until = Some(monotonic.saturating_add(DISTRUST_FOR));
        state.wall = wall;
        drop(state);
        for warning in self.warnings() {
            rocket::warn!("{warning}");
        }
    }

    /// An operator says the wall clock is right: trusted time follows it from
    /// the next reading on.
    pub fn trust(&self) {
        let mut state = self.lock();
        if state.distrust_until.take().is_some() {
            state.leap = true;
            state.course = Course::InStep;
            drop(state);
            rocket::warn!("the system clock is trusted again by an operator: the purge follows it");
        }
    }

    /// While the wall clock is not trusted after a start: why, and until when.
    pub fn warnings(&self) -> Vec<String> {
        let state = self.lock();
        let (Some(until), Some((trusted, taken_at))) = (state.distrust_until, state.last) else {
            return Vec::new();
        };
        let monotonic = self.source.monotonic();
        let trusted = trusted.saturating_add(whole_millis(monotonic.saturating_sub(taken_at)));
        let left = whole_millis(until.saturating_sub(monotonic));
        vec![format!(
            "the system clock reads {}, {} ahead of trusted time {}, and the kernel does not \
             report it NTP-synchronised: for {} more, unless `boxoffice clock trust` says it \
             is right, the purge deletes only what trusted time would",
            instant(state.wall),
            span(state.wall.saturating_sub(trusted)),
            instant(trusted),
            span(left)
        )]
    }

    /// Trusted now, and what is worth logging about it (logged by the caller,
    /// outside the lock).
    fn read(&self) -> (Result<Millis, ClockUnusable>, Vec<Notice>) {
        let (readings, notices) = self.read_both();
        (readings.map(|(_, trusted)| trusted), notices)
    }

    /// The wall clock and trusted time judged from it, taken under one lock.
    fn read_both(&self) -> (Result<(Millis, Millis), ClockUnusable>, Vec<Notice>) {
        let mut notices = Vec::new();
        let mut state = self.lock();
        // Read under the lock, so that readings are judged in the order taken;
        // the wall clock first, so that it never reads later than the
        // monotonic clock beside it and trusted time cannot creep ahead.
        let wall = self.source.wall();
        let monotonic = self.source.monotonic();
        let now = state.judge(wall, monotonic, &mut notices);
        (now.map(|trusted| (wall, trusted)), notices)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // The state is consistent after every statement; a panic elsewhere
        // while holding the lock leaves nothing half-done.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[derive(Debug)]
struct State {
    /// The last trusted now and the monotonic reading it was taken at.
    last: Option<(Millis, Duration)>,
    /// The last usable wall reading.
    wall: Millis,
    /// After a start on a clock found far ahead: until this monotonic
    /// reading, trusted time runs with the monotonic clock alone.
    distrust_until: Option<Duration>,
    /// The distrust just ended: the next reading follows the wall clock.
    leap: bool,
    course: Course,
    unusable: bool,
}

impl Default for State {
    fn default() -> Self {
        Self {
            last: None,
            wall: 0,
            distrust_until: None,
            leap: false,
            course: Course::InStep,
            unusable: false,
        }
    }
}

/// How trusted time stands to the wall clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Course {
    /// Equal, or less than [`JUMP`] apart.
    InStep,
    /// The wall clock is ahead; trusted time is catching up.
    CatchingUp,
    /// The wall clock is behind; trusted time runs on with the monotonic clock.
    Holding,
}

/// Something worth one log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Notice {
    Unusable {
        wall: Millis,
    },
    Usable {
        wall: Millis,
    },
    Ahead {
        wall: Millis,
        trusted: Millis,
    },
    Behind {
        wall: Millis,
        trusted: Millis,
    },
    InStep {
        trusted: Millis,
    },
    /// The time a wall clock found far ahead at start-up was distrusted for
    /// is over.
    Trusted {
        wall: Millis,
    },
}

impl State {
    fn judge(
        &mut self,
        wall: Millis,
        monotonic: Duration,
        notices: &mut Vec<Notice>,
    ) -> Result<Millis, ClockUnusable> {
        if wall < 0 {
            if !self.unusable {
                self.unusable = true;
                notices.push(Notice::Unusable { wall });
            }
            return Err(ClockUnusable { wall });
        }
        if self.unusable {
            self.unusable = false;
            notices.push(Notice::Usable { wall });
        }
        self.wall = wall;
        if self.distrust_until.is_some_and(|until| monotonic >= until) {
            self.distrust_until = None;
            self.leap = true;
            notices.push(Notice::Trusted { wall });
        }
        let distrusted = self.distrust_until.is_some();
        // Once the distrust is over, trusted time leaps to the wall clock
        // (but never back).
        let leap = std::mem::take(&mut self.leap);
        let (trusted, taken_at) = match self.last {
            None => (wall, monotonic),
            Some((last, taken_at)) => {
                let elapsed = whole_millis(monotonic.saturating_sub(taken_at));
                let slowest = last.saturating_add(elapsed);
                let fastest = if distrusted {
                    slowest
                } else if leap {
                    Millis::MAX
                } else {
                    last.saturating_add(elapsed.saturating_mul(1 + CATCH_UP))
                };
                // Not `clamp`, which panics should its bounds ever cross.
                let followed = wall.min(fastest).max(slowest);
                let trusted = followed;
                // Where trusted time was computed from the elapsed whole
                // milliseconds, the fraction left over counts towards the next
                // reading, so that frequent readings still add up.
                let carried = Duration::from_millis(u64::try_from(elapsed).unwrap_or(0));
                let new_taken_at = if trusted == followed && trusted != wall {
                    taken_at.saturating_add(carried).min(monotonic)
                } else {
                    monotonic
                };
                (trusted, new_taken_at)
            }
        };
        self.last = Some((trusted, taken_at));
        if !distrusted {
            self.steer(wall, trusted, notices);
        }
        Ok(trusted)
    }

    fn steer(&mut self, wall: Millis, trusted: Millis, notices: &mut Vec<Notice>) {
        let course = match wall.cmp(&trusted) {
            std::cmp::Ordering::Greater
                if self.course == Course::CatchingUp || wall.saturating_sub(trusted) > JUMP =>
            {
                Course::CatchingUp
            }
            std::cmp::Ordering::Less
                if self.course == Course::Holding || trusted.saturating_sub(wall) > JUMP =>
            {
                Course::Holding
            }
            _ => Course::InStep,
        };
        if course != self.course {
            self.course = course;
            notices.push(match course {
                Course::InStep => Notice::InStep { trusted },
                Course::CatchingUp => Notice::Ahead { wall, trusted },
                Course::Holding => Notice::Behind { wall, trusted },
            });
        }
    }
}

impl Notice {
    fn log(self) {
        match self {
            Self::Unusable { wall } => rocket::error!(
                "the system clock reads {}, before 1970: no trusted time until it is right again",
                instant(wall)
            ),
            Self::Usable { wall } => {
                rocket::warn!("the system clock is usable again: {}", instant(wall));
            }
            Self::Ahead { wall, trusted } => rocket::warn!(
                "the system clock jumped forward to {}, {} ahead of trusted time {}: trusted \
                 time catches up by at most {CATCH_UP} s per second",
                instant(wall),
                span(wall.saturating_sub(trusted)),
                instant(trusted)
            ),
            Self::Behind { wall, trusted } => rocket::warn!(
                "the system clock reads {}, {} behind trusted time {}: trusted time does not \
                 go back, it runs on with the monotonic clock until the system clock reads as \
                 late",
                instant(wall),
                span(trusted.saturating_sub(wall)),
                instant(trusted)
            ),
            Self::InStep { trusted } => rocket::warn!(
                "the system clock and trusted time agree again at {}",
                instant(trusted)
            ),
            Self::Trusted { wall } => rocket::warn!(
                "the system clock ({}) has been distrusted for {}: the purge follows it again",
                instant(wall),
                span(whole_millis(DISTRUST_FOR))
            ),
        }
    }
}

/// RFC 3339 where chrono can show it, else the raw milliseconds.
fn instant(millis: Millis) -> String {
    chrono::DateTime::from_timestamp_millis(millis).map_or_else(
        || format!("{millis} ms from the Unix epoch"),
        |at| at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    )
}

#[allow(clippy::cast_precision_loss)] // a span for people, rounded to a tenth
fn span(millis: Millis) -> String {
    const MINUTE: f64 = 60_000.0;
    const HOUR: f64 = 60.0 * MINUTE;
    const DAY: f64 = 24.0 * HOUR;
    let millis = millis as f64;
    if millis >= DAY {
        format!("{:.1} days", millis / DAY)
    } else if millis >= HOUR {
        format!("{:.1} h", millis / HOUR)
    } else if millis >= MINUTE {
        format!("{:.1} min", millis / MINUTE)
    } else {
        format!("{:.3} s", millis / 1000.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2030-01-01T00:00:00Z.
    const T0: Millis = 1_893_456_000_000;
    const SECOND: Millis = 1_000;
    const MINUTE: Millis = 60 * SECOND;
    const HOUR: Millis = 60 * MINUTE;
    const DAY: Millis = 24 * HOUR;

    fn clock() -> TrustedClock<ManualTimeSource> {
        TrustedClock::new(ManualTimeSource::new(T0))
    }

    /// Trusted now, which must be usable, and the notices it raised.
    #[track_caller]
    fn read(clock: &TrustedClock<ManualTimeSource>) -> (Millis, Vec<Notice>) {
        let (now, notices) = clock.read();
        (now.expect("a usable clock"), notices)
    }

    #[track_caller]
    fn now(clock: &TrustedClock<ManualTimeSource>) -> Millis {
        read(clock).0
    }

    fn pass(clock: &TrustedClock<ManualTimeSource>, millis: Millis) {
        clock.source().pass(u64::try_from(millis).unwrap());
    }

    fn wall(clock: &TrustedClock<ManualTimeSource>) -> Millis {
        clock.source().wall()
    }

    #[test]
    fn a_wall_clock_that_runs_true_is_followed_exactly_and_silently() {
        let clock = clock();
        assert_eq!(read(&clock), (T0, vec![]));
        for step in [1, 7, SECOND, HOUR, DAY] {
            pass(&clock, step);
            assert_eq!(read(&clock), (wall(&clock), vec![]));
        }
    }

    #[test]
    fn a_forward_jump_of_a_day_is_caught_up_at_ten_times_real_speed() {
        let clock = clock();
        assert_eq!(now(&clock), T0);
        clock.source().set_wall(T0 + DAY);
        let (at_jump, notices) = read(&clock);
        assert_eq!(at_jump, T0, "no real time has passed");
        assert_eq!(
            notices,
            [Notice::Ahead {
                wall: T0 + DAY,
                trusted: T0
            }]
        );
        let mut last = at_jump;
        let mut all_notices = Vec::new();
        let mut caught_up_after = None;
        for minute in 1..=180 {
            pass(&clock, MINUTE);
            let (trusted, notices) = read(&clock);
            assert!(trusted >= last + MINUTE, "never slower than real time");
            assert!(
                trusted <= last + (1 + CATCH_UP) * MINUTE,
                "at most ten minutes gained per minute"
            );
            assert!(trusted <= wall(&clock), "never ahead of the wall clock");
            last = trusted;
            all_notices.extend(notices);
            if trusted == wall(&clock) && caught_up_after.is_none() {
                caught_up_after = Some(minute);
            }
        }
        // The day closes at 10 min per minute: 144 minutes, under 2.5 h.
        assert_eq!(caught_up_after, Some(144));
        assert_eq!(
            all_notices,
            [Notice::InStep {
                trusted: T0 + 144 * MINUTE + DAY
            }],
            "the jump is logged once, and its end once"
        );
        pass(&clock, SECOND);
        assert_eq!(read(&clock), (wall(&clock), vec![]));
    }

    #[test]
    fn a_jump_of_years_never_arrives_at_once() {
        let clock = clock();
        now(&clock);
        let years = 30 * 365 * DAY;
        clock.source().set_wall(T0 + years);
        let mut notices = Vec::new();
        let mut last = T0;
        for _ in 0..3_600 {
            pass(&clock, SECOND);
            let (trusted, more) = read(&clock);
            assert!(trusted <= last + (1 + CATCH_UP) * SECOND);
            last = trusted;
            notices.extend(more);
        }
        assert_eq!(last, T0 + 11 * HOUR, "an hour later, eleven hours on");
        assert!(wall(&clock) - last > years - 11 * HOUR);
        assert_eq!(
            notices,
            [Notice::Ahead {
                wall: T0 + years + SECOND,
                trusted: T0 + 11 * SECOND
            }],
            "logged once"
        );
    }

    #[test]
    fn after_a_backward_jump_trusted_time_runs_on_until_the_wall_clock_reads_as_late() {
        let clock = clock();
        pass(&clock, MINUTE);
        assert_eq!(now(&clock), T0 + MINUTE);
        clock.source().set_wall(T0 - HOUR);
        let (trusted, notices) = read(&clock);
        assert_eq!(trusted, T0 + MINUTE, "never back");
        assert_eq!(
            notices,
            [Notice::Behind {
                wall: T0 - HOUR,
                trusted: T0 + MINUTE
            }]
        );
        for minutes in 1..=30 {
            pass(&clock, MINUTE);
            assert_eq!(
                read(&clock),
                (T0 + MINUTE + minutes * MINUTE, vec![]),
                "runs on with the monotonic clock, logged once"
            );
        }
        // Set right again: followed from there.
        let right = T0 + 31 * MINUTE + 5 * SECOND;
        clock.source().set_wall(right);
        pass(&clock, SECOND);
        assert_eq!(
            read(&clock),
            (
                right + SECOND,
                vec![Notice::InStep {
                    trusted: right + SECOND
                }]
            )
        );
        pass(&clock, SECOND);
        assert_eq!(read(&clock), (right + 2 * SECOND, vec![]));
    }

    #[test]
    fn a_wall_clock_set_back_while_being_caught_up_with_is_held_against() {
        let clock = clock();
        now(&clock);
        clock.source().set_wall(T0 + DAY);
        now(&clock);
        pass(&clock, MINUTE);
        assert_eq!(now(&clock), T0 + 11 * MINUTE);
        // NTP undoes the wrong day: the wall is now behind trusted time.
        clock.source().set_wall(T0 + MINUTE);
        let (trusted, notices) = read(&clock);
        assert_eq!(trusted, T0 + 11 * MINUTE);
        assert_eq!(
            notices,
            [Notice::Behind {
                wall: T0 + MINUTE,
                trusted: T0 + 11 * MINUTE
            }]
        );
        pass(&clock, MINUTE);
        assert_eq!(read(&clock), (T0 + 12 * MINUTE, vec![]));
    }

    #[test]
    fn differences_under_a_second_are_made_up_silently() {
        let clock = clock();
        now(&clock);
        clock.source().set_wall(T0 + 500);
        assert_eq!(read(&clock), (T0, vec![]));
        pass(&clock, 50);
        assert_eq!(
            read(&clock),
            (T0 + 550, vec![]),
            "550 ms in 50 ms: caught up"
        );
        clock.source().set_wall(T0 + 300);
        assert_eq!(read(&clock), (T0 + 550, vec![]), "never back, and quietly");
    }

    #[test]
    fn a_wall_clock_before_1970_is_unusable_until_it_is_right_again() {
        let clock = clock();
        assert_eq!(now(&clock), T0);
        clock.source().set_wall(-1);
        let (first, notices) = clock.read();
        assert_eq!(first, Err(ClockUnusable { wall: -1 }));
        assert_eq!(notices, [Notice::Unusable { wall: -1 }]);
        for _ in 0..10 {
            clock.source().pass_monotonic(Duration::from_secs(6));
            clock.source().set_wall(-DAY);
            assert_eq!(
                clock.read(),
                (Err(ClockUnusable { wall: -DAY }), vec![]),
                "unusable while it lasts, logged once"
            );
        }
        // Right again a minute later: followed at once.
        clock.source().set_wall(T0 + MINUTE);
        assert_eq!(
            read(&clock),
            (T0 + MINUTE, vec![Notice::Usable { wall: T0 + MINUTE }])
        );
        pass(&clock, SECOND);
        assert_eq!(read(&clock), (T0 + MINUTE + SECOND, vec![]));
    }

    #[test]
    fn a_clock_unusable_from_the_start_gives_no_time_until_it_is_right() {
        let clock = TrustedClock::new(ManualTimeSource::new(-DAY));
        assert_eq!(clock.now(), Err(ClockUnusable { wall: -DAY }));
        clock.source().set_wall(T0);
        assert_eq!(read(&clock), (T0, vec![Notice::Usable { wall: T0 }]));
    }

    #[test]
    fn a_clock_back_from_before_1970_at_a_wrong_time_is_judged_like_any_jump() {
        let clock = clock();
        now(&clock);
        clock.source().set_wall(-1);
        assert!(clock.now().is_err());
        pass(&clock, MINUTE);
        // 1970-01-01T00:00:59.999Z: usable, but far behind trusted time.
        let (trusted, notices) = read(&clock);
        assert_eq!(trusted, T0 + MINUTE);
        assert_eq!(
            notices,
            [
                Notice::Usable { wall: MINUTE - 1 },
                Notice::Behind {
                    wall: MINUTE - 1,
                    trusted: T0 + MINUTE
                }
            ]
        );
    }

    #[test]
    fn a_clock_far_ahead_and_unsynchronised_at_start_is_distrusted_for_a_day() {
        let clock = clock();
        // The heartbeat says two days ago; the kernel does not vouch for the
        // wall clock.
        Clock::begin(&clock, T0 - 2 * DAY, false, MINUTE);
        assert_eq!(Clock::now(&clock), Ok(T0), "the rules read the wall clock");
        assert_eq!(Clock::purge_now(&clock), Ok(T0 - 2 * DAY));
        assert_eq!(clock.warnings().len(), 1);
        pass(&clock, HOUR);
        assert_eq!(
            Clock::purge_now(&clock),
            Ok(T0 - 2 * DAY + HOUR),
            "no catching up"
        );
        pass(&clock, DAY);
        assert_eq!(
            Clock::purge_now(&clock),
            Ok(T0 + DAY + HOUR),
            "a day later it follows"
        );
        assert!(clock.warnings().is_empty());
    }

    #[test]
    fn an_operator_trusting_the_clock_ends_the_distrust_at_once() {
        let clock = clock();
        Clock::begin(&clock, T0 - 365 * DAY, false, MINUTE);
        pass(&clock, MINUTE);
        assert_eq!(Clock::purge_now(&clock), Ok(T0 - 365 * DAY + MINUTE));
        Clock::trust(&clock);
        assert_eq!(Clock::purge_now(&clock), Ok(T0 + MINUTE));
        assert!(clock.warnings().is_empty());
    }

    #[test]
    fn a_synchronised_or_nearly_right_clock_is_followed_from_the_start() {
        for (last, synchronised) in [
            (T0 - 2 * DAY, true),
            (T0 - 30 * SECOND, false),
            (T0 + DAY, false),
        ] {
            let clock = clock();
            Clock::begin(&clock, last, synchronised, MINUTE);
            assert_eq!(Clock::purge_now(&clock), Ok(T0), "{last} {synchronised}");
            assert!(clock.warnings().is_empty());
        }
    }

    #[test]
    fn the_purge_never_runs_ahead_of_the_wall_clock() {
        let clock = clock();
        now(&clock);
        // Set back an hour: trusted time runs on, the purge keeps to the wall.
        clock.source().set_wall(T0 - HOUR);
        pass(&clock, SECOND);
        assert_eq!(Clock::now(&clock), Ok(T0 - HOUR + SECOND));
        assert_eq!(Clock::purge_now(&clock), Ok(T0 - HOUR + SECOND));
        assert_eq!(
            now(&clock),
            T0 + SECOND,
            "trusted time itself never goes back"
        );
    }

    #[test]
    fn frequent_readings_under_a_millisecond_apart_still_add_up() {
        let clock = clock();
        now(&clock);
        clock.source().set_wall(T0 - HOUR);
        // Holding: trusted time runs on the monotonic clock alone.
        for _ in 0..100 {
            clock.source().pass_monotonic(Duration::from_micros(300));
            now(&clock);
        }
        assert_eq!(now(&clock), T0 + 30, "100 x 0.3 ms = 30 ms");
    }

    #[test]
    fn no_reading_makes_it_panic_or_go_back() {
        let walls = [
            Millis::MIN,
            -1,
            0,
            1,
            T0,
            T0 + 30 * 365 * DAY,
            Millis::MAX - 1,
            Millis::MAX,
        ];
        let monotonics = [
            Duration::ZERO,
            Duration::from_nanos(1),
            Duration::from_millis(1),
            Duration::from_hours(1),
            Duration::from_secs(u64::MAX / 2),
            Duration::MAX,
        ];
        for distrust_until in [None, Some(Duration::from_hours(24))] {
            let mut state = State {
                distrust_until,
                ..State::default()
            };
            let mut last = Millis::MIN;
            let mut notices = Vec::new();
            for wall in walls {
                for monotonic in monotonics.iter().chain(monotonics.iter().rev()) {
                    if let Ok(trusted) = state.judge(wall, *monotonic, &mut notices) {
                        assert!(trusted >= last, "{trusted} after {last}");
                        last = trusted;
                    }
                }
            }
        }
    }

    #[test]
    fn system_readings_before_1970_are_negative_and_never_zero() {
        assert_eq!(unix_millis(UNIX_EPOCH), 0);
        assert_eq!(
            unix_millis(UNIX_EPOCH + Duration::from_millis(1_500)),
            1_500
        );
        assert_eq!(
            unix_millis(UNIX_EPOCH - Duration::from_millis(1_500)),
            -1_500
        );
        assert_eq!(unix_millis(UNIX_EPOCH - Duration::from_micros(100)), -1);
    }

    #[test]
    fn the_system_clock_gives_a_trusted_now_near_the_wall_clock() {
        let clock = TrustedClock::new(SystemTimeSource::new());
        let before = unix_millis(SystemTime::now());
        let now = clock.now().expect("this machine's clock is after 1970");
        let again = clock.now().expect("still after 1970");
        let after = unix_millis(SystemTime::now());
        assert!(before <= now && now <= again && again <= after);
    }

    #[test]
    fn it_can_be_shared_between_threads() {
        fn shared<T: Send + Sync + 'static>() {}
        shared::<TrustedClock>();
        let clock = Arc::new(clock());
        let readers: Vec<_> = (0..4)
            .map(|_| {
                let clock = Arc::clone(&clock);
                std::thread::spawn(move || {
                    let mut last = Millis::MIN;
                    for _ in 0..1_000 {
                        clock.source().pass(1);
                        let now = clock.now().unwrap();
                        assert!(now >= last);
                        last = now;
                    }
                })
            })
            .collect();
        for reader in readers {
            reader.join().unwrap();
        }
        // A reading taken while another thread was between its two clocks
        // may have lagged a little; the next millisecond makes it up.
        clock.source().pass(1);
        assert_eq!(clock.now(), Ok(T0 + 4_001));
    }
}
