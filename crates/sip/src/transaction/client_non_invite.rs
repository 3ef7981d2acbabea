//! Non-INVITE client transaction (RFC 3261 17.1.2, Figure 6).

use std::time::{Duration, Instant};

use super::{Action, TimerConfig};
use crate::message::{Request, Response};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum State {
    Trying,
    Proceeding,
    Completed,
    Terminated,
}

#[derive(Debug)]
pub(crate) struct ClientNonInvite {
    pub(crate) state: State,
    cfg: TimerConfig,
    reliable: bool,
    request: Request,
    bytes: Vec<u8>,
    timer_e: Option<(Instant, Duration)>,
    timer_f: Option<Instant>,
    timer_k: Option<Instant>,
}

impl ClientNonInvite {
    pub(crate) fn start(
        now: Instant,
        cfg: TimerConfig,
        reliable: bool,
        request: Request,
        timeout: Option<Duration>,
    ) -> (Self, Vec<Action>) {
        let bytes = request.to_bytes();
        let tx = ClientNonInvite {
            state: State::Trying,
            cfg,
            reliable,
            request,
            bytes: bytes.clone(),
            timer_e: (!reliable).then(|| (now + cfg.t1, cfg.t1)),
            timer_f: Some(now + timeout.unwrap_or(cfg.t64())),
            timer_k: None,
        };
        (tx, vec![Action::Transmit(bytes)])
    }

    pub(crate) fn request(&self) -> &Request {
        &self.request
    }

    pub(crate) fn next_timeout(&self) -> Option<Instant> {
        [self.timer_e.map(|(t, _)| t), self.timer_f, self.timer_k]
            .into_iter()
            .flatten()
            .min()
    }

    pub(crate) fn on_response(&mut self, now: Instant, resp: Response) -> Vec<Action> {
        let mut out = Vec::new();
        match self.state {
            State::Trying | State::Proceeding if resp.status < 200 => {
                self.state = State::Proceeding;
                out.push(Action::Response(resp));
            }
            State::Trying | State::Proceeding => {
                self.state = State::Completed;
                self.timer_e = None;
                self.timer_f = None;
                out.push(Action::Response(resp));
                let k = self.cfg.timer_t4(self.reliable);
                if k.is_zero() {
                    self.state = State::Terminated;
                    out.push(Action::Terminated);
                } else {
                    self.timer_k = Some(now + k);
                }
            }
            State::Completed | State::Terminated => {}
        }
        out
    }

    pub(crate) fn on_timeout(&mut self, now: Instant) -> Vec<Action> {
        let mut out = Vec::new();
        if let Some((at, interval)) = self.timer_e {
            if now >= at {
                out.push(Action::Transmit(self.bytes.clone()));
                // in Proceeding the interval stays at T2 (17.1.2.2)
                let next = if self.state == State::Proceeding {
                    self.cfg.t2
                } else {
                    (interval * 2).min(self.cfg.t2)
                };
                self.timer_e = Some((at + next, next));
            }
        }
        if self.timer_f.is_some_and(|t| now >= t) {
            self.timer_e = None;
            self.timer_f = None;
            self.state = State::Terminated;
            out.push(Action::Timeout);
            out.push(Action::Terminated);
        }
        if self.timer_k.is_some_and(|t| now >= t) {
            self.timer_k = None;
            self.state = State::Terminated;
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
