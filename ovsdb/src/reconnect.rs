//! Reconnection with exponential backoff, ported from the behaviour of OVS `lib/reconnect.c`
//! (the inactivity probe half of that FSM lives in [`crate::Session`], which sees the traffic).
//!
//! Rules kept from OVS: the first attempt is immediate; a failed attempt (or a connection that
//! dropped before it saw activity for at least the current backoff) waits `min_backoff`, then
//! doubles up to `max_backoff`; a connection that was active for at least the backoff resets it
//! to `min_backoff`; a connection attempt times out after `max(1 s, backoff)`.

use std::time::{Duration, Instant};

/// What the driver should do now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Start connecting (to the next remote).
    Connect,
    /// Give up on the connection attempt in progress.
    Disconnect,
}

/// Connection state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Not trying to connect.
    Void,
    /// Waiting before the next attempt.
    Backoff,
    /// An attempt is in progress.
    Connecting,
    /// Connected.
    Active,
}

/// The reconnect FSM (sans-IO: time passed in).
#[derive(Debug, Clone)]
pub struct Reconnect {
    state: State,
    entered: Instant,
    backoff: Duration,
    min_backoff: Duration,
    max_backoff: Duration,
    last_activity: Instant,
    last_connected: Option<Instant>,
    max_tries: Option<u32>,
    tries: u32,
}

impl Reconnect {
    /// OVS defaults: 1 s minimum, 8 s maximum backoff; enabled (the first connect is immediate).
    pub fn new(now: Instant) -> Reconnect {
        Reconnect {
            state: State::Backoff,
            entered: now,
            backoff: Duration::ZERO,
            min_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(8),
            last_activity: now,
            last_connected: None,
            max_tries: None,
            tries: 0,
        }
    }

    /// Sets the backoff bounds.
    pub fn set_backoff(&mut self, min: Duration, max: Duration) {
        self.min_backoff = min;
        self.max_backoff = max.max(min);
        if self.state == State::Backoff && self.backoff > self.max_backoff {
            self.backoff = self.max_backoff;
        }
    }

    /// Limits the number of connection attempts (then the FSM goes `Void`).
    pub fn set_max_tries(&mut self, n: Option<u32>) {
        self.max_tries = n;
    }

    /// Current state.
    pub fn state(&self) -> State {
        self.state
    }

    /// Current backoff.
    pub fn backoff(&self) -> Duration {
        self.backoff
    }

    /// Whether connected.
    pub fn is_connected(&self) -> bool {
        self.state == State::Active
    }

    fn transition(&mut self, now: Instant, s: State) {
        self.state = s;
        self.entered = now;
    }

    /// When [`Reconnect::run`] next has something to do.
    pub fn timeout(&self) -> Option<Instant> {
        match self.state {
            State::Void | State::Active => None,
            State::Backoff => Some(self.entered + self.backoff),
            State::Connecting => Some(self.entered + self.backoff.max(Duration::from_secs(1))),
        }
    }

    /// The action due at `now`, if any.
    pub fn run(&mut self, now: Instant) -> Option<Action> {
        let due = self.timeout().is_some_and(|t| now >= t);
        match self.state {
            State::Backoff if due => Some(Action::Connect),
            State::Connecting if due => Some(Action::Disconnect),
            _ => None,
        }
    }

    /// An attempt started.
    pub fn connecting(&mut self, now: Instant) {
        self.tries = self.tries.saturating_add(1);
        self.transition(now, State::Connecting);
    }

    /// The attempt succeeded.
    pub fn connected(&mut self, now: Instant) {
        self.last_connected = Some(now);
        self.last_activity = now;
        self.tries = 0;
        self.transition(now, State::Active);
    }

    /// Data arrived (resets the backoff once the connection has lived long enough).
    pub fn activity(&mut self, now: Instant) {
        self.last_activity = now;
    }

    /// The attempt failed or the connection dropped.
    pub fn disconnected(&mut self, now: Instant) {
        if matches!(self.state, State::Void | State::Backoff) {
            return;
        }
        if self.max_tries.is_some_and(|m| self.tries >= m) && self.state != State::Active {
            self.transition(now, State::Void);
            return;
        }
        let lived = self
            .last_connected
            .map(|c| self.last_activity.saturating_duration_since(c));
        let lived_long = self.state == State::Active && lived.is_some_and(|l| l >= self.backoff);
        if lived_long || self.backoff < self.min_backoff {
            self.backoff = self.min_backoff;
        } else if self.backoff < self.max_backoff / 2 {
            self.backoff *= 2;
        } else {
            self.backoff = self.max_backoff;
        }
        self.transition(now, State::Backoff);
    }

    /// Stops connecting.
    pub fn disable(&mut self, now: Instant) {
        self.transition(now, State::Void);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Duration = Duration::from_secs(1);

    // Transcript in the style of OVS tests/reconnect.at "connection attempts fail with backoff".
    #[test]
    fn backoff_doubles_to_max_then_resets() {
        let t0 = Instant::now();
        let mut r = Reconnect::new(t0);
        assert_eq!(r.run(t0), Some(Action::Connect));
        let mut now = t0;
        let mut waits = Vec::new();
        for _ in 0..6 {
            r.connecting(now);
            r.disconnected(now);
            waits.push(r.backoff().as_secs());
            assert_eq!(r.run(now), None);
            now += r.backoff();
            assert_eq!(r.run(now), Some(Action::Connect));
        }
        assert_eq!(waits, [1, 2, 4, 8, 8, 8]);
        // A connection that lives (with activity) longer than the backoff resets it.
        r.connecting(now);
        r.connected(now);
        r.activity(now + 9 * S);
        r.disconnected(now + 10 * S);
        assert_eq!(r.backoff(), S);
        // One that dies at once keeps backing off.
        let now = now + 11 * S;
        r.connecting(now);
        r.connected(now);
        r.disconnected(now);
        assert_eq!(r.backoff(), 2 * S);
    }

    #[test]
    fn connect_timeout_and_max_tries() {
        let t0 = Instant::now();
        let mut r = Reconnect::new(t0);
        r.set_max_tries(Some(2));
        r.connecting(t0);
        assert_eq!(r.run(t0 + S / 2), None);
        assert_eq!(r.run(t0 + S), Some(Action::Disconnect));
        r.disconnected(t0 + S);
        r.connecting(t0 + 2 * S);
        r.disconnected(t0 + 2 * S);
        assert_eq!(r.state(), State::Void);
        assert_eq!(r.timeout(), None);
    }
}
