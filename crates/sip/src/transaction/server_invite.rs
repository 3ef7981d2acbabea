//! INVITE server transaction (RFC 3261 17.2.1, Figure 7, with RFC 6026's Accepted state).
//!
//! Unlike bare RFC 6026, the Accepted state here also retransmits the 2xx until
//! the ACK arrives (RFC 3261 13.3.1.4 puts that in the UAS core); keeping it
//! next to the other retransmission timers leaves the dialog layer timer-free.

use std::time::{Duration, Instant};

use super::{Action, TimerConfig};
use crate::message::Response;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum State {
    Proceeding,
    Completed,
    Confirmed,
    Accepted,
    Terminated,
}

#[derive(Debug)]
pub(crate) struct ServerInvite {
    pub(crate) state: State,
    cfg: TimerConfig,
    reliable: bool,
    last_response: Option<Vec<u8>>,
    pub(crate) last_status: u16,
    timer_g: Option<(Instant, Duration)>,
    timer_h: Option<Instant>,
    timer_i: Option<Instant>,
    timer_l: Option<Instant>,
}

impl ServerInvite {
    pub(crate) fn new(cfg: TimerConfig, reliable: bool) -> Self {
        ServerInvite {
            state: State::Proceeding,
            cfg,
            reliable,
            last_response: None,
            last_status: 0,
            timer_g: None,
            timer_h: None,
            timer_i: None,
            timer_l: None,
        }
    }

    pub(crate) fn next_timeout(&self) -> Option<Instant> {
        [
            self.timer_g.map(|(t, _)| t),
            self.timer_h,
            self.timer_i,
            self.timer_l,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// The INVITE was retransmitted.
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

    /// The TU sends a response.
    pub(crate) fn send_response(&mut self, now: Instant, resp: &Response) -> Vec<Action> {
        if self.state != State::Proceeding {
            // a 2xx retransmitted by the TU while Accepted is still sent
            if self.state == State::Accepted && resp.is_success() {
                return vec![Action::Transmit(resp.to_bytes())];
            }
            return Vec::new();
        }
        let bytes = resp.to_bytes();
        self.last_response = Some(bytes.clone());
        self.last_status = resp.status;
        let mut out = vec![Action::Transmit(bytes)];
        match resp.status {
            100..=199 => {}
            200..=299 => {
                self.state = State::Accepted;
                self.timer_l = Some(now + self.cfg.t64());
                if !self.reliable {
                    self.timer_g = Some((now + self.cfg.t1, self.cfg.t1));
                }
            }
            _ => {
                self.state = State::Completed;
                if !self.reliable {
                    self.timer_g = Some((now + self.cfg.t1, self.cfg.t1));
                }
                self.timer_h = Some(now + self.cfg.t64());
            }
        }
        out.shrink_to_fit();
        out
    }

    /// An ACK matched this transaction (non-2xx) or its dialog (2xx).
    pub(crate) fn on_ack(&mut self, now: Instant) -> Vec<Action> {
        match self.state {
            State::Completed => {
                self.state = State::Confirmed;
                self.timer_g = None;
                self.timer_h = None;
                let i = self.cfg.timer_t4(self.reliable);
                if i.is_zero() {
                    self.state = State::Terminated;
                    vec![Action::Terminated]
                } else {
                    self.timer_i = Some(now + i);
                    Vec::new()
                }
            }
            State::Accepted => {
                // the ACK for 2xx stops retransmission; Timer L still absorbs INVITE copies
                self.timer_g = None;
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    pub(crate) fn on_timeout(&mut self, now: Instant) -> Vec<Action> {
        let mut out = Vec::new();
        if let Some((at, interval)) = self.timer_g {
            if now >= at {
                if let Some(r) = &self.last_response {
                    out.push(Action::Transmit(r.clone()));
                }
                let next = (interval * 2).min(self.cfg.t2);
                self.timer_g = Some((at + next, next));
            }
        }
        if self.timer_h.is_some_and(|t| now >= t) {
            // no ACK ever came
            self.timer_g = None;
            self.timer_h = None;
            self.state = State::Terminated;
            out.push(Action::Timeout);
            out.push(Action::Terminated);
        }
        if self.timer_i.is_some_and(|t| now >= t) {
            self.timer_i = None;
            self.state = State::Terminated;
            out.push(Action::Terminated);
        }
        if self.timer_l.is_some_and(|t| now >= t) {
            let unacked = self.timer_g.is_some();
            self.timer_g = None;
            self.timer_l = None;
            self.state = State::Terminated;
            if unacked {
                out.push(Action::Timeout);
            }
            out.push(Action::Terminated);
        }
        out
    }

    pub(crate) fn on_transport_error(&mut self) -> Vec<Action> {
        if self.state == State::Terminated {
            return Vec::new();
        }
        self.state = State::Terminated;
        vec![Action::Timeout, Action::Terminated]
    }
}
