//! Non-INVITE server transaction (RFC 3261 17.2.2, Figure 8).

use std::time::Instant;

use super::{Action, TimerConfig};
use crate::message::Response;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum State {
    Trying,
    Proceeding,
    Completed,
    Terminated,
}

#[derive(Debug)]
pub(crate) struct ServerNonInvite {
    pub(crate) state: State,
    cfg: TimerConfig,
    reliable: bool,
    last_response: Option<Vec<u8>>,
    timer_j: Option<Instant>,
    /// A TU that never answers must not leak the transaction: after 64*T1 the
    /// client has given up anyway (its Timer F).
    abandon: Option<Instant>,
}

impl ServerNonInvite {
    pub(crate) fn new(now: Instant, cfg: TimerConfig, reliable: bool) -> Self {
        ServerNonInvite {
            state: State::Trying,
            cfg,
            reliable,
            last_response: None,
            timer_j: None,
            abandon: Some(now + cfg.t64()),
        }
    }

    pub(crate) fn next_timeout(&self) -> Option<Instant> {
        [self.timer_j, self.abandon].into_iter().flatten().min()
    }

    pub(crate) fn on_request_retransmission(&mut self) -> Vec<Action> {
        match self.state {
            State::Proceeding | State::Completed => self
                .last_response
                .clone()
                .map(Action::Transmit)
                .into_iter()
                .collect(),
            _ => Vec::new(),
        }
    }

    pub(crate) fn send_response(&mut self, now: Instant, resp: &Response) -> Vec<Action> {
        if !matches!(self.state, State::Trying | State::Proceeding) {
            return Vec::new();
        }
        let bytes = resp.to_bytes();
        self.last_response = Some(bytes.clone());
        let mut out = vec![Action::Transmit(bytes)];
        if resp.status < 200 {
            self.state = State::Proceeding;
        } else {
            self.state = State::Completed;
            self.abandon = None;
            let j = self.cfg.timer_j(self.reliable);
            if j.is_zero() {
                self.state = State::Terminated;
                out.push(Action::Terminated);
            } else {
                self.timer_j = Some(now + j);
            }
        }
        out
    }

    pub(crate) fn on_timeout(&mut self, now: Instant) -> Vec<Action> {
        if self.abandon.is_some_and(|t| now >= t) {
            self.abandon = None;
            self.state = State::Terminated;
            return vec![Action::Terminated];
        }
        if self.timer_j.is_some_and(|t| now >= t) {
            self.timer_j = None;
            self.state = State::Terminated;
            return vec![Action::Terminated];
        }
        Vec::new()
    }

    pub(crate) fn on_transport_error(&mut self) -> Vec<Action> {
        if self.state == State::Terminated {
            return Vec::new();
        }
        self.state = State::Terminated;
        vec![Action::Terminated]
    }
}
