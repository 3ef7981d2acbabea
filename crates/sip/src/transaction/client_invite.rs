//! INVITE client transaction (RFC 3261 17.1.1, Figure 5, with RFC 6026's Accepted state).

use std::time::{Duration, Instant};

use super::{Action, TimerConfig};
use crate::message::{HeaderAccess, HeaderName, Headers, Method, Request, Response};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum State {
    Calling,
    Proceeding,
    Completed,
    Accepted,
    Terminated,
}

#[derive(Debug)]
pub(crate) struct ClientInvite {
    pub(crate) state: State,
    cfg: TimerConfig,
    reliable: bool,
    request: Request,
    bytes: Vec<u8>,
    ack: Option<Vec<u8>>,
    timer_a: Option<(Instant, Duration)>,
    timer_b: Option<Instant>,
    timer_d: Option<Instant>,
    timer_m: Option<Instant>,
}

impl ClientInvite {
    pub(crate) fn start(
        now: Instant,
        cfg: TimerConfig,
        reliable: bool,
        request: Request,
    ) -> (Self, Vec<Action>) {
        let bytes = request.to_bytes();
        let tx = ClientInvite {
            state: State::Calling,
            cfg,
            reliable,
            request,
            bytes: bytes.clone(),
            ack: None,
            timer_a: (!reliable).then(|| (now + cfg.t1, cfg.t1)),
            timer_b: Some(now + cfg.t64()),
            timer_d: None,
            timer_m: None,
        };
        (tx, vec![Action::Transmit(bytes)])
    }

    pub(crate) fn request(&self) -> &Request {
        &self.request
    }

    pub(crate) fn next_timeout(&self) -> Option<Instant> {
        [
            self.timer_a.map(|(t, _)| t),
            self.timer_b,
            self.timer_d,
            self.timer_m,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    pub(crate) fn on_response(&mut self, now: Instant, resp: Response) -> Vec<Action> {
        let mut out = Vec::new();
        match (self.state, resp.status) {
            (State::Calling | State::Proceeding, 100..=199) => {
                self.state = State::Proceeding;
                self.timer_a = None;
                self.timer_b = None;
                out.push(Action::Response(resp));
            }
            (State::Calling | State::Proceeding, 200..=299) => {
                // RFC 6026: stay to absorb 2xx retransmissions, which go to the TU
                self.state = State::Accepted;
                self.timer_a = None;
                self.timer_b = None;
                self.timer_m = Some(now + self.cfg.t64());
                out.push(Action::Response(resp));
            }
            (State::Calling | State::Proceeding, _) => {
                self.state = State::Completed;
                self.timer_a = None;
                self.timer_b = None;
                let ack = self.build_ack(&resp).to_bytes();
                out.push(Action::Transmit(ack.clone()));
                self.ack = Some(ack);
                out.push(Action::Response(resp));
                let d = self.cfg.timer_d(self.reliable);
                if d.is_zero() {
                    self.state = State::Terminated;
                    out.push(Action::Terminated);
                } else {
                    self.timer_d = Some(now + d);
                }
            }
            (State::Completed, 300..=699) => {
                if let Some(ack) = &self.ack {
                    out.push(Action::Transmit(ack.clone()));
                }
            }
            (State::Accepted, 200..=299) => out.push(Action::Response(resp)),
            _ => {}
        }
        out
    }

    pub(crate) fn on_timeout(&mut self, now: Instant) -> Vec<Action> {
        let mut out = Vec::new();
        if let Some((at, interval)) = self.timer_a {
            if now >= at && self.state == State::Calling {
                out.push(Action::Transmit(self.bytes.clone()));
                let next = interval * 2;
                self.timer_a = Some((at + next, next));
            }
        }
        if self.timer_b.is_some_and(|t| now >= t) && self.state == State::Calling {
            self.timer_a = None;
            self.timer_b = None;
            self.state = State::Terminated;
            out.push(Action::Timeout);
            out.push(Action::Terminated);
        }
        if self.timer_d.is_some_and(|t| now >= t) || self.timer_m.is_some_and(|t| now >= t) {
            self.timer_d = None;
            self.timer_m = None;
            self.state = State::Terminated;
            out.push(Action::Terminated);
        }
        out
    }

    /// The transport failed: nothing more can happen.
    pub(crate) fn on_transport_error(&mut self) -> Vec<Action> {
        if self.state == State::Terminated {
            return Vec::new();
        }
        self.state = State::Terminated;
        vec![Action::Timeout, Action::Terminated]
    }

    /// ACK for a non-2xx final response (17.1.1.3): same Request-URI, top Via,
    /// From, Call-ID and CSeq number, To from the response, Route copied.
    fn build_ack(&self, resp: &Response) -> Request {
        let req = &self.request;
        let mut headers = Headers::new();
        if let Some(via) = req
            .headers
            .get_values(&HeaderName::Via)
            .and_then(|v| v.first().map(|s| s.to_string()))
        {
            headers.push(HeaderName::Via, via);
        }
        headers.push(HeaderName::MaxForwards, "70");
        if let Some(v) = req.headers.get(&HeaderName::From) {
            headers.push(HeaderName::From, v);
        }
        if let Some(v) = resp.headers.get(&HeaderName::To) {
            headers.push(HeaderName::To, v);
        }
        if let Some(v) = req.headers.get(&HeaderName::CallId) {
            headers.push(HeaderName::CallId, v);
        }
        let seq = req.cseq().map(|c| c.seq).unwrap_or(1);
        headers.push(HeaderName::CSeq, format!("{seq} ACK"));
        for r in req.headers.get_lines(&HeaderName::Route) {
            headers.push(HeaderName::Route, r);
        }
        Request {
            method: Method::Ack,
            uri: req.uri.clone(),
            headers,
            body: Vec::new(),
        }
    }
}
