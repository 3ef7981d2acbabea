//! The transaction layer: matching, dispatch, timers and malformed-input handling.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use tracing::{debug, warn};

use super::client_invite::{self, ClientInvite};
use super::client_non_invite::ClientNonInvite;
use super::server_invite::{self, ServerInvite};
use super::server_non_invite::ServerNonInvite;
use super::{Action, Peer, TimerConfig, TransactionId, TransactionKey};
use crate::message::{
    new_tag, parse, HeaderAccess, HeaderName, Message, Method, Request, Response, Via,
};

/// Endpoint settings.
#[derive(Debug, Clone, Default)]
pub struct EndpointConfig {
    /// RFC 3261 timer values.
    pub timers: TimerConfig,
    /// Text for the Warning header agent field of automatic error responses.
    pub agent: Option<String>,
}

/// Bytes to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    /// Destination (and connection, if any).
    pub peer: Peer,
    /// The serialized message.
    pub data: Vec<u8>,
    /// The transaction that sends it, so a send failure can be reported back.
    pub tx: Option<TransactionId>,
}

/// What the transaction user learns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TxEvent {
    /// A new request. `tx` is the server transaction to answer on; it is `None`
    /// for an ACK to a 2xx, which belongs to the dialog, not a transaction.
    Request {
        /// Server transaction, absent for ACK.
        tx: Option<TransactionId>,
        /// The request (top Via completed with received/rport).
        request: Request,
        /// Where it came from.
        source: Peer,
    },
    /// A response to one of our client transactions.
    Response {
        /// The client transaction.
        tx: TransactionId,
        /// The response.
        response: Response,
    },
    /// A 2xx to an INVITE whose transaction is over; the TU must ACK it again.
    StrayResponse {
        /// The response.
        response: Response,
        /// Where it came from.
        source: Peer,
    },
    /// A CANCEL matched a pending INVITE; its 200 is sent, the TU should answer 487.
    Cancelled {
        /// The INVITE server transaction.
        invite: TransactionId,
        /// The CANCEL.
        cancel: Request,
    },
    /// Timer B, F or H fired, the transport failed, or a 2xx was never ACKed.
    Timeout {
        /// The transaction.
        tx: TransactionId,
        /// Its method.
        method: Method,
    },
    /// The transaction ended and its id is no longer valid.
    Terminated {
        /// The transaction.
        tx: TransactionId,
    },
    /// Input that could not be parsed; `answered` is the status sent back, if any.
    Malformed {
        /// Sender.
        source: Peer,
        /// One-line reason.
        reason: String,
        /// Status of the automatic answer.
        answered: Option<u16>,
    },
}

/// Errors of the TU-facing calls.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndpointError {
    /// The request has no top Via with a branch.
    #[error("request has no Via branch")]
    NoBranch,
    /// A transaction with this key exists already.
    #[error("a transaction with this branch exists")]
    Duplicate,
    /// No such server transaction (it may have ended).
    #[error("no such transaction {0}")]
    NoTransaction(TransactionId),
}

#[derive(Debug)]
enum Machine {
    UacInvite(ClientInvite),
    UacOther(ClientNonInvite),
    UasInvite(ServerInvite),
    UasOther(ServerNonInvite),
}

#[derive(Debug)]
struct Entry {
    key: TransactionKey,
    peer: Peer,
    method: Method,
    machine: Machine,
    /// Call-ID, CSeq number and From tag of a server INVITE, to match the ACK of
    /// its 2xx, which carries a new branch.
    dialog_ack: Option<(String, u32, String)>,
}

impl Entry {
    fn next_timeout(&self) -> Option<Instant> {
        match &self.machine {
            Machine::UacInvite(m) => m.next_timeout(),
            Machine::UacOther(m) => m.next_timeout(),
            Machine::UasInvite(m) => m.next_timeout(),
            Machine::UasOther(m) => m.next_timeout(),
        }
    }
}

/// The transaction layer. See the [module docs](super).
#[derive(Debug)]
pub struct Endpoint {
    cfg: EndpointConfig,
    next_id: u64,
    txs: HashMap<TransactionId, Entry>,
    keys: HashMap<TransactionKey, TransactionId>,
    transmits: VecDeque<Transmit>,
    events: VecDeque<TxEvent>,
}

impl Endpoint {
    /// A new, empty endpoint.
    pub fn new(cfg: EndpointConfig) -> Self {
        Endpoint {
            cfg,
            next_id: 1,
            txs: HashMap::new(),
            keys: HashMap::new(),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
        }
    }

    /// Timer values in use.
    pub fn timers(&self) -> TimerConfig {
        self.cfg.timers
    }

    /// Number of live transactions.
    pub fn len(&self) -> usize {
        self.txs.len()
    }

    /// True when no transaction is live.
    pub fn is_empty(&self) -> bool {
        self.txs.is_empty()
    }

    /// The next message to send.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// The next event for the transaction user.
    pub fn poll_event(&mut self) -> Option<TxEvent> {
        self.events.pop_front()
    }

    /// When [`Endpoint::handle_timeout`] must next be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.txs.values().filter_map(Entry::next_timeout).min()
    }

    /// Advances every timer that is due.
    pub fn handle_timeout(&mut self, now: Instant) {
        let due: Vec<TransactionId> = self
            .txs
            .iter()
            .filter(|(_, e)| e.next_timeout().is_some_and(|t| t <= now))
            .map(|(id, _)| *id)
            .collect();
        for id in due {
            let actions = match self.txs.get_mut(&id).map(|e| &mut e.machine) {
                Some(Machine::UacInvite(m)) => m.on_timeout(now),
                Some(Machine::UacOther(m)) => m.on_timeout(now),
                Some(Machine::UasInvite(m)) => m.on_timeout(now),
                Some(Machine::UasOther(m)) => m.on_timeout(now),
                None => continue,
            };
            self.apply(id, actions);
        }
    }

    /// Sends a request in a new client transaction (an ACK is sent as is: it has
    /// no transaction of its own).
    pub fn send_request(
        &mut self,
        now: Instant,
        request: Request,
        peer: Peer,
    ) -> Result<TransactionId, EndpointError> {
        self.send_request_with_timeout(now, request, peer, None)
    }

    /// Like [`Endpoint::send_request`], with a Timer F shorter than 64*T1 for a
    /// non-INVITE probe (keep-alive OPTIONS) that should fail fast.
    pub fn send_request_with_timeout(
        &mut self,
        now: Instant,
        request: Request,
        peer: Peer,
        timeout: Option<Duration>,
    ) -> Result<TransactionId, EndpointError> {
        let key = TransactionKey::for_client_request(&request).ok_or(EndpointError::NoBranch)?;
        let id = self.alloc_id();
        if request.method == Method::Ack {
            self.transmits.push_back(Transmit {
                peer,
                data: request.to_bytes(),
                tx: None,
            });
            return Ok(id);
        }
        if self.keys.contains_key(&key) {
            return Err(EndpointError::Duplicate);
        }
        let reliable = peer.transport.is_reliable();
        let method = request.method.clone();
        let (machine, actions) = if method == Method::Invite {
            let (m, a) = ClientInvite::start(now, self.cfg.timers, reliable, request);
            (Machine::UacInvite(m), a)
        } else {
            let (m, a) = ClientNonInvite::start(now, self.cfg.timers, reliable, request, timeout);
            (Machine::UacOther(m), a)
        };
        self.keys.insert(key.clone(), id);
        self.txs.insert(
            id,
            Entry {
                key,
                peer,
                method,
                machine,
                dialog_ack: None,
            },
        );
        self.apply(id, actions);
        Ok(id)
    }

    /// The request a client transaction sent (for building CANCEL or auth retries).
    pub fn client_request(&self, tx: TransactionId) -> Option<&Request> {
        match &self.txs.get(&tx)?.machine {
            Machine::UacInvite(m) => Some(m.request()),
            Machine::UacOther(m) => Some(m.request()),
            _ => None,
        }
    }

    /// The peer a transaction talks to.
    pub fn peer(&self, tx: TransactionId) -> Option<Peer> {
        self.txs.get(&tx).map(|e| e.peer)
    }

    /// True while an INVITE client transaction has had a provisional response
    /// and no final one: the moment CANCEL is allowed (RFC 3261 9.1).
    pub fn can_cancel(&self, tx: TransactionId) -> bool {
        matches!(
            self.txs.get(&tx).map(|e| &e.machine),
            Some(Machine::UacInvite(m)) if m.state == client_invite::State::Proceeding
        )
    }

    /// Sends a response on a server transaction.
    pub fn send_response(
        &mut self,
        now: Instant,
        tx: TransactionId,
        response: Response,
    ) -> Result<(), EndpointError> {
        let actions = match self.txs.get_mut(&tx).map(|e| &mut e.machine) {
            Some(Machine::UasInvite(m)) => m.send_response(now, &response),
            Some(Machine::UasOther(m)) => m.send_response(now, &response),
            _ => return Err(EndpointError::NoTransaction(tx)),
        };
        self.apply(tx, actions);
        Ok(())
    }

    /// Sends a message outside any transaction (a stateless response, an ACK
    /// retransmission for a stray 2xx).
    pub fn send_stateless(&mut self, message: &Message, peer: Peer) {
        self.transmits.push_back(Transmit {
            peer,
            data: message.to_bytes(),
            tx: None,
        });
    }

    /// The I/O layer could not deliver a transmit of `tx` (connection refused,
    /// TLS failure): the transaction fails at once instead of waiting for its timer.
    pub fn handle_transport_error(&mut self, tx: TransactionId) {
        let actions = match self.txs.get_mut(&tx).map(|e| &mut e.machine) {
            Some(Machine::UacInvite(m)) => m.on_transport_error(),
            Some(Machine::UacOther(m)) => m.on_transport_error(),
            Some(Machine::UasInvite(m)) => m.on_transport_error(),
            Some(Machine::UasOther(m)) => m.on_transport_error(),
            None => return,
        };
        self.apply(tx, actions);
    }

    /// Feeds one received message (a datagram or a framed stream message).
    pub fn handle_input(&mut self, now: Instant, source: Peer, data: &[u8]) {
        let msg = match parse(data) {
            Ok(m) => m,
            Err(err) => {
                let reason = err.to_string();
                let status = err.status();
                let answered = err
                    .raw
                    .as_ref()
                    .filter(|raw| raw.is_request() && !raw.is_ack())
                    .and_then(|raw| self.answer_malformed(&raw.headers, source, status, &reason));
                warn!(%source, %reason, ?answered, "malformed SIP message");
                self.events.push_back(TxEvent::Malformed {
                    source,
                    reason,
                    answered,
                });
                return;
            }
        };
        if let Err(err) = msg.check_mandatory() {
            let reason = err.to_string();
            let answered = match &msg {
                Message::Request(r) if r.method != Method::Ack => {
                    self.answer_malformed(&r.headers, source, 400, &reason)
                }
                _ => None,
            };
            warn!(%source, %reason, ?answered, "SIP message lacks mandatory headers");
            self.events.push_back(TxEvent::Malformed {
                source,
                reason,
                answered,
            });
            return;
        }
        match msg {
            Message::Request(req) => self.on_request(now, source, req),
            Message::Response(resp) => self.on_response(now, source, resp),
        }
    }

    fn answer_malformed(
        &mut self,
        headers: &crate::message::Headers,
        source: Peer,
        status: u16,
        reason: &str,
    ) -> Option<u16> {
        // without a Via there is no way to route a response; the client matches
        // it by branch and CSeq, so a missing Call-ID or From does not matter
        headers.get(&HeaderName::Via)?;
        let mut resp = Response::from_headers(headers, status, Some(&new_tag()));
        let phrase = format!("{} - {}", resp.reason, reason.replace(['\r', '\n'], " "));
        resp.reason = phrase.chars().take(200).collect();
        let agent = self.cfg.agent.clone().unwrap_or_else(|| "handset".into());
        resp.headers.push(
            HeaderName::Warning,
            format!("399 {agent} \"{}\"", reason.replace(['"', '\\'], "'")),
        );
        self.transmits.push_back(Transmit {
            peer: source,
            data: resp.to_bytes(),
            tx: None,
        });
        Some(status)
    }

    fn on_request(&mut self, now: Instant, source: Peer, mut req: Request) {
        stamp_received(&mut req, source);
        let Some(key) = TransactionKey::for_server_request(&req) else {
            return;
        };

        if req.method == Method::Ack {
            if let Some(&id) = self.keys.get(&key) {
                if let Some(Entry {
                    machine: Machine::UasInvite(m),
                    ..
                }) = self.txs.get_mut(&id)
                {
                    if m.state != server_invite::State::Accepted {
                        // ACK for our non-2xx: absorbed by the transaction
                        let actions = m.on_ack(now);
                        self.apply(id, actions);
                        return;
                    }
                }
            }
            if let (Some(call_id), Some(cseq), Some(from)) =
                (req.call_id(), req.cseq(), req.from_header())
            {
                let triple = (
                    call_id.to_string(),
                    cseq.seq,
                    from.tag().unwrap_or("").to_string(),
                );
                let found = self
                    .txs
                    .iter()
                    .find(|(_, e)| e.dialog_ack.as_ref() == Some(&triple))
                    .map(|(id, _)| *id);
                if let Some(id) = found {
                    if let Some(Machine::UasInvite(m)) =
                        self.txs.get_mut(&id).map(|e| &mut e.machine)
                    {
                        let actions = m.on_ack(now);
                        self.apply(id, actions);
                    }
                }
            }
            self.events.push_back(TxEvent::Request {
                tx: None,
                request: req,
                source,
            });
            return;
        }

        if let Some(&id) = self.keys.get(&key) {
            let actions = match self.txs.get_mut(&id).map(|e| &mut e.machine) {
                Some(Machine::UasInvite(m)) => m.on_request_retransmission(),
                Some(Machine::UasOther(m)) => m.on_request_retransmission(),
                _ => Vec::new(),
            };
            debug!(%id, method = %req.method, "request retransmission absorbed");
            self.apply(id, actions);
            return;
        }

        let reliable = source.transport.is_reliable();
        let id = self.alloc_id();
        let is_invite = req.method == Method::Invite;
        let machine = if is_invite {
            Machine::UasInvite(ServerInvite::new(self.cfg.timers, reliable))
        } else {
            Machine::UasOther(ServerNonInvite::new(now, self.cfg.timers, reliable))
        };
        let dialog_ack = if is_invite {
            match (req.call_id(), req.cseq(), req.from_header()) {
                (Some(c), Some(s), Some(f)) => {
                    Some((c.to_string(), s.seq, f.tag().unwrap_or("").to_string()))
                }
                _ => None,
            }
        } else {
            None
        };
        self.keys.insert(key.clone(), id);
        self.txs.insert(
            id,
            Entry {
                key,
                peer: source,
                method: req.method.clone(),
                machine,
                dialog_ack,
            },
        );

        if req.method == Method::Cancel {
            let target =
                TransactionKey::invite_for_cancel(&req).and_then(|k| self.keys.get(&k).copied());
            match target {
                Some(invite) => {
                    let _ = self.send_response(
                        now,
                        id,
                        Response::for_request(&req, 200, Some(&new_tag())),
                    );
                    let pending = matches!(
                        self.txs.get(&invite).map(|e| &e.machine),
                        Some(Machine::UasInvite(m)) if m.state == server_invite::State::Proceeding
                    );
                    if pending {
                        self.events.push_back(TxEvent::Cancelled {
                            invite,
                            cancel: req,
                        });
                    }
                }
                None => {
                    let _ = self.send_response(
                        now,
                        id,
                        Response::for_request(&req, 481, Some(&new_tag())),
                    );
                }
            }
            return;
        }

        if is_invite {
            // 17.2.1: a 100 right away stops the client's INVITE retransmissions
            let trying = Response::for_request(&req, 100, None);
            let _ = self.send_response(now, id, trying);
        }
        self.events.push_back(TxEvent::Request {
            tx: Some(id),
            request: req,
            source,
        });
    }

    fn on_response(&mut self, now: Instant, source: Peer, resp: Response) {
        let Some(key) = TransactionKey::for_response(&resp) else {
            return;
        };
        let Some(&id) = self.keys.get(&key) else {
            let is_invite_2xx =
                resp.is_success() && resp.cseq().is_some_and(|c| c.method == Method::Invite);
            if is_invite_2xx {
                self.events.push_back(TxEvent::StrayResponse {
                    response: resp,
                    source,
                });
            } else {
                debug!(
                    status = resp.status,
                    "response matches no transaction; dropped"
                );
            }
            return;
        };
        let actions = match self.txs.get_mut(&id).map(|e| &mut e.machine) {
            Some(Machine::UacInvite(m)) => m.on_response(now, resp),
            Some(Machine::UacOther(m)) => m.on_response(now, resp),
            _ => Vec::new(),
        };
        self.apply(id, actions);
    }

    fn alloc_id(&mut self) -> TransactionId {
        let id = TransactionId(self.next_id);
        self.next_id += 1;
        id
    }

    fn apply(&mut self, id: TransactionId, actions: Vec<Action>) {
        for action in actions {
            match action {
                Action::Transmit(data) => {
                    if let Some(e) = self.txs.get(&id) {
                        self.transmits.push_back(Transmit {
                            peer: e.peer,
                            data,
                            tx: Some(id),
                        });
                    }
                }
                Action::Response(response) => self
                    .events
                    .push_back(TxEvent::Response { tx: id, response }),
                Action::Timeout => {
                    if let Some(e) = self.txs.get(&id) {
                        self.events.push_back(TxEvent::Timeout {
                            tx: id,
                            method: e.method.clone(),
                        });
                    }
                }
                Action::Terminated => {
                    if let Some(e) = self.txs.remove(&id) {
                        self.keys.remove(&e.key);
                        self.events.push_back(TxEvent::Terminated { tx: id });
                    }
                }
            }
        }
    }
}

/// RFC 3261 18.2.1 and RFC 3581: record where a request really came from in
/// its top Via, so responses find their way back through NAT.
fn stamp_received(req: &mut Request, source: Peer) {
    let Some(first) = req.headers.iter_mut().find(|h| h.name == HeaderName::Via) else {
        return;
    };
    let Some(values) = crate::text::split_top_level(&first.value, ',') else {
        return;
    };
    let Ok(mut via) = Via::parse(values[0]) else {
        return;
    };
    let src_ip = source.addr.ip();
    let wants_rport = via.params.contains("rport");
    let host_differs = via.host.ip() != Some(src_ip);
    if !host_differs && !wants_rport {
        return;
    }
    via.params.set("received", Some(&src_ip.to_string()));
    if wants_rport {
        via.params
            .set("rport", Some(&source.addr.port().to_string()));
    }
    let mut rebuilt = via.to_string();
    for v in &values[1..] {
        rebuilt.push_str(", ");
        rebuilt.push_str(v.trim());
    }
    first.value = rebuilt;
}
