//! The user-agent core: the transaction endpoint, every account's
//! registration, Via construction, and the requests a UA answers by itself
//! (OPTIONS). Everything else reaches the application as [`UaEvent`]s.
//!
//! Sans-io like the rest of the crate: the engine feeds it datagrams and time,
//! and drains transmits, events and the next timeout.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::{Duration, Instant};

use crate::auth::Credentials;
use crate::call::{Call, CallEvent, CallSend, CallState, CallTx, OutgoingCall};
use crate::dialog::{Dialog, DialogId};
use crate::message::{
    new_branch, new_tag, HeaderAccess, HeaderName, Message, Method, NameAddr, Request, Response,
    SipUri, Uri, Via,
};
use crate::registration::{
    LocalAddr, RegPurpose, RegState, Registration, RegistrationConfig, ALLOW,
};
use crate::transaction::{
    Endpoint, EndpointConfig, EndpointError, Peer, TransactionId, Transmit, Transport, TxEvent,
};

/// Identifies an account inside the UA.
pub type AccountId = u32;

/// Identifies a call inside the UA.
pub type CallId = u64;

/// Settings of the UA core.
#[derive(Debug, Clone)]
pub struct UaConfig {
    /// Transaction layer settings.
    pub endpoint: EndpointConfig,
    /// User-Agent / Server header value.
    pub user_agent: String,
    /// What incoming requests may ask of this UA.
    pub policy: crate::uas::UasPolicy,
}

impl Default for UaConfig {
    fn default() -> Self {
        UaConfig {
            endpoint: EndpointConfig::default(),
            user_agent: concat!("Handset/", env!("CARGO_PKG_VERSION")).to_string(),
            policy: crate::uas::UasPolicy::default(),
        }
    }
}

/// What the application learns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UaEvent {
    /// An account's registration changed state.
    Registration {
        /// The account.
        account: AccountId,
        /// Its new state.
        state: RegState,
    },
    /// A request the application must handle (and answer, unless it is an ACK).
    Request {
        /// The account it is addressed to, when one matches.
        account: Option<AccountId>,
        /// The server transaction; `None` for ACK.
        tx: Option<TransactionId>,
        /// The request.
        request: Request,
        /// Sender.
        source: Peer,
    },
    /// A response to a request sent with [`UserAgent::send_request`].
    Response {
        /// Its transaction.
        tx: TransactionId,
        /// The response.
        response: Response,
    },
    /// A transaction of the application failed (timeout or transport error).
    Timeout {
        /// The transaction.
        tx: TransactionId,
    },
    /// A 2xx retransmission for an INVITE whose transaction is gone: re-ACK it.
    StrayResponse {
        /// The response.
        response: Response,
        /// Sender.
        source: Peer,
    },
    /// A CANCEL for a pending incoming INVITE that is not a call's (already answered 200).
    Cancelled {
        /// The INVITE's server transaction; answer it 487.
        invite: TransactionId,
    },
    /// A new incoming call; ring, answer or decline it through the UA.
    IncomingCall {
        /// The call.
        call: CallId,
        /// The account it is for, when one matches.
        account: Option<AccountId>,
        /// The INVITE.
        request: Request,
        /// Sender.
        source: Peer,
    },
    /// Something happened in a call.
    Call {
        /// The call.
        call: CallId,
        /// What.
        event: CallEvent,
    },
    /// A request inside a call's dialog that the call layer does not handle
    /// (REFER, NOTIFY): the application answers it on `tx`.
    DialogRequest {
        /// The call.
        call: CallId,
        /// Server transaction.
        tx: TransactionId,
        /// The request.
        request: Request,
    },
    /// A response to an application request sent inside a call (REFER, NOTIFY).
    DialogResponse {
        /// The call.
        call: CallId,
        /// What the request was.
        purpose: CallTx,
        /// The response.
        response: Response,
    },
    /// Input that could not be parsed.
    Malformed {
        /// Sender.
        source: Peer,
        /// Reason.
        reason: String,
        /// Status sent back, if any.
        answered: Option<u16>,
    },
}

#[derive(Debug, Clone, Copy)]
enum Owner {
    Registration(AccountId, RegPurpose),
    Call(CallId, CallTx),
    App,
}

/// See the [module docs](self).
#[derive(Debug)]
pub struct UserAgent {
    cfg: UaConfig,
    endpoint: Endpoint,
    locals: HashMap<Transport, LocalAddr>,
    peer_locals: HashMap<(Transport, std::net::SocketAddr), LocalAddr>,
    regs: BTreeMap<AccountId, Registration>,
    owners: HashMap<TransactionId, Owner>,
    calls: BTreeMap<CallId, Call>,
    next_call: CallId,
    dialogs: HashMap<DialogId, CallId>,
    invite_servers: HashMap<TransactionId, CallId>,
    events: VecDeque<UaEvent>,
}

impl UserAgent {
    /// A UA with no account and no transport.
    pub fn new(cfg: UaConfig) -> Self {
        UserAgent {
            endpoint: Endpoint::new(cfg.endpoint.clone()),
            cfg,
            locals: HashMap::new(),
            peer_locals: HashMap::new(),
            regs: BTreeMap::new(),
            owners: HashMap::new(),
            calls: BTreeMap::new(),
            next_call: 1,
            dialogs: HashMap::new(),
            invite_servers: HashMap::new(),
            events: VecDeque::new(),
        }
    }

    /// Declares how this UA appears on a transport.
    pub fn set_local(&mut self, transport: Transport, local: LocalAddr) {
        self.locals.insert(transport, local);
    }

    /// How this UA appears towards one peer over a connection whose local
    /// address is known (TCP, TLS): overrides the transport's default.
    pub fn set_local_for_peer(&mut self, peer: &Peer, local: LocalAddr) {
        self.peer_locals.insert((peer.transport, peer.addr), local);
    }

    /// A connection to `peer` now has a different local address (it was
    /// re-established): remember it and register again through it, replacing
    /// the Contact that pointed at the old connection.
    pub fn local_changed(&mut self, now: Instant, peer: &Peer, local: LocalAddr) {
        if self.local_for(peer).as_ref() == Some(&local) {
            return;
        }
        self.set_local_for_peer(peer, local);
        let ids: Vec<AccountId> = self
            .regs
            .iter()
            .filter(|(_, r)| {
                r.current_target()
                    .is_some_and(|p| p.transport == peer.transport && p.addr == peer.addr)
                    && !matches!(r.state(), RegState::Unregistered)
            })
            .map(|(id, _)| *id)
            .collect();
        let local = self.local_fn();
        for id in ids {
            if let Some(r) = self.regs.get_mut(&id) {
                r.restart(now, &local);
            }
            self.pump_registration(now, id);
        }
    }

    /// How this UA appears towards `peer`.
    pub fn local_for(&self, peer: &Peer) -> Option<LocalAddr> {
        self.peer_locals
            .get(&(peer.transport, peer.addr))
            .or_else(|| self.locals.get(&peer.transport))
            .cloned()
    }

    fn local_fn(&self) -> impl Fn(&Peer) -> Option<LocalAddr> {
        let locals = self.locals.clone();
        let peer_locals = self.peer_locals.clone();
        move |p: &Peer| {
            peer_locals
                .get(&(p.transport, p.addr))
                .or_else(|| locals.get(&p.transport))
                .cloned()
        }
    }

    /// Adds an account and starts registering it. Replaces an account with the same id.
    pub fn add_account(&mut self, now: Instant, id: AccountId, cfg: RegistrationConfig) {
        let mut reg = Registration::new(cfg);
        let local = self.local_fn();
        reg.start(now, &local);
        self.regs.insert(id, reg);
        self.pump_registration(now, id);
    }

    /// Unregisters an account and forgets it once the server answered (or at once).
    pub fn remove_account(&mut self, now: Instant, id: AccountId) {
        let local = self.local_fn();
        if let Some(reg) = self.regs.get_mut(&id) {
            reg.stop(now, &local);
        }
        self.pump_registration(now, id);
    }

    /// Unregisters every account (on exit).
    pub fn unregister_all(&mut self, now: Instant) {
        let ids: Vec<AccountId> = self.regs.keys().copied().collect();
        for id in ids {
            self.remove_account(now, id);
        }
    }

    /// True while some unregistration awaits its answer.
    pub fn unregistering(&self) -> bool {
        self.owners
            .values()
            .any(|o| matches!(o, Owner::Registration(_, RegPurpose::Unregister)))
    }

    /// The registration state of an account.
    pub fn registration(&self, id: AccountId) -> Option<&Registration> {
        self.regs.get(&id)
    }

    /// Local addresses changed: every account registers again.
    pub fn network_changed(&mut self, now: Instant) {
        let ids: Vec<AccountId> = self.regs.keys().copied().collect();
        let local = self.local_fn();
        for id in ids {
            if let Some(r) = self.regs.get_mut(&id) {
                r.restart(now, &local);
            }
            self.pump_registration(now, id);
        }
    }

    /// A connection closed: accounts registered through it register again
    /// (their binding points at a flow that no longer exists).
    pub fn flow_closed(&mut self, now: Instant, transport: Transport, addr: std::net::SocketAddr) {
        let ids: Vec<AccountId> = self
            .regs
            .iter()
            .filter(|(_, r)| {
                r.current_target()
                    .is_some_and(|p| p.transport == transport && p.addr == addr)
            })
            .map(|(id, _)| *id)
            .collect();
        let local = self.local_fn();
        for id in ids {
            if let Some(r) = self.regs.get_mut(&id) {
                r.restart(now, &local);
            }
            self.pump_registration(now, id);
        }
    }

    /// Sends an out-of-dialog or in-dialog request; a Via is added on top.
    pub fn send_request(
        &mut self,
        now: Instant,
        request: Request,
        peer: Peer,
    ) -> Result<TransactionId, EndpointError> {
        self.send_owned(now, request, peer, None, Owner::App)
    }

    fn send_owned(
        &mut self,
        now: Instant,
        mut request: Request,
        peer: Peer,
        timeout: Option<Duration>,
        owner: Owner,
    ) -> Result<TransactionId, EndpointError> {
        let local = self.local_for(&peer).unwrap_or(LocalAddr {
            host: crate::message::Host::Name("handset.invalid".into()),
            port: None,
        });
        let via = Via::new(
            peer.transport.via_token(),
            local.host,
            local.port,
            &new_branch(),
        );
        request.headers.push_front(HeaderName::Via, via.to_string());
        let tx = self
            .endpoint
            .send_request_with_timeout(now, request, peer, timeout)?;
        self.owners.insert(tx, owner);
        Ok(tx)
    }

    /// Answers a request the application received.
    pub fn respond(
        &mut self,
        now: Instant,
        tx: TransactionId,
        response: Response,
    ) -> Result<(), EndpointError> {
        self.endpoint.send_response(now, tx, response)
    }

    /// Sends an ACK (for a 2xx) or another message outside any transaction; an
    /// ACK gets a fresh Via.
    pub fn send_stateless(&mut self, mut message: Message, peer: Peer) {
        if let Message::Request(r) = &mut message {
            if let Some(local) = self.local_for(&peer) {
                let via = Via::new(
                    peer.transport.via_token(),
                    local.host,
                    local.port,
                    &new_branch(),
                );
                r.headers.push_front(HeaderName::Via, via.to_string());
            }
        }
        self.endpoint.send_stateless(&message, peer);
    }

    /// The I/O layer failed to send a transmit of `tx`.
    pub fn transport_error(&mut self, now: Instant, tx: TransactionId) {
        self.endpoint.handle_transport_error(tx);
        self.drain_endpoint(now);
    }

    /// The request a client transaction carries (for CANCEL or an auth retry).
    pub fn client_request(&self, tx: TransactionId) -> Option<&Request> {
        self.endpoint.client_request(tx)
    }

    /// Bytes received.
    pub fn handle_input(&mut self, now: Instant, source: Peer, data: &[u8]) {
        self.endpoint.handle_input(now, source, data);
        self.drain_endpoint(now);
    }

    /// Time passed.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.endpoint.handle_timeout(now);
        self.drain_endpoint(now);
        let ids: Vec<AccountId> = self
            .regs
            .iter()
            .filter(|(_, r)| r.poll_timeout().is_some_and(|t| t <= now))
            .map(|(id, _)| *id)
            .collect();
        let local = self.local_fn();
        for id in ids {
            if let Some(r) = self.regs.get_mut(&id) {
                r.handle_timeout(now, &local);
            }
            self.pump_registration(now, id);
        }
        let due: Vec<CallId> = self
            .calls
            .iter()
            .filter(|(_, c)| c.poll_timeout().is_some_and(|t| t <= now))
            .map(|(id, _)| *id)
            .collect();
        for id in due {
            self.with_call(now, id, |c, now| c.handle_timeout(now));
        }
    }

    /// The earliest moment something is due.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let regs = self
            .regs
            .values()
            .filter_map(Registration::poll_timeout)
            .min();
        let calls = self.calls.values().filter_map(Call::poll_timeout).min();
        [self.endpoint.poll_timeout(), regs, calls]
            .into_iter()
            .flatten()
            .min()
    }

    /// The next message to send.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.endpoint.poll_transmit()
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<UaEvent> {
        self.events.pop_front()
    }

    /// Our Contact towards `peer`, with the account's user and line when known.
    pub fn contact_for(&self, peer: &Peer, account: Option<AccountId>) -> SipUri {
        let local = self.local_for(peer).unwrap_or(LocalAddr {
            host: crate::message::Host::Name("handset.invalid".into()),
            port: None,
        });
        let mut c = SipUri::new(local.host);
        c.port = local.port;
        if let Some(r) = account.and_then(|a| self.regs.get(&a)) {
            c.user = r.config().aor.user.clone();
            c.params.set("line", Some(r.line()));
        } else {
            c.user = Some("handset".into());
        }
        if peer.transport != crate::transaction::Transport::Udp {
            c.params.set(
                "transport",
                Some(&peer.transport.via_token().to_ascii_lowercase()),
            );
        }
        c
    }

    /// Places a call through a registered account: its registrar, route,
    /// credentials and address of record are used. `None` if the account is
    /// unknown or has no server to send through.
    pub fn call_via_account(
        &mut self,
        now: Instant,
        account: AccountId,
        target: Uri,
        offer: Option<Vec<u8>>,
        display: Option<String>,
        extra_headers: Vec<(HeaderName, String)>,
    ) -> Option<CallId> {
        let reg = self.regs.get(&account)?;
        let peer = reg.current_target()?;
        let cfg = reg.config();
        let mut from = NameAddr::new(Uri::Sip(cfg.aor.clone()));
        from.display = display;
        let setup = OutgoingCall {
            from,
            target,
            peer,
            route: cfg.route.clone(),
            contact: self.contact_for(&peer, Some(account)),
            credentials: Some(cfg.credentials.clone()),
            offer,
            user_agent: self.cfg.user_agent.clone(),
            extra_headers,
        };
        Some(self.place_call(now, setup))
    }

    /// Places a call with explicit settings (direct calls without a registrar).
    pub fn place_call(&mut self, now: Instant, setup: OutgoingCall) -> CallId {
        let id = self.next_call;
        self.next_call += 1;
        let call = Call::outgoing(now, setup);
        self.calls.insert(id, call);
        self.pump_call(now, id);
        id
    }

    /// A call, to read its state.
    pub fn call(&self, id: CallId) -> Option<&Call> {
        self.calls.get(&id)
    }

    /// Ids of the calls in progress.
    pub fn call_ids(&self) -> Vec<CallId> {
        self.calls.keys().copied().collect()
    }

    /// Runs `f` on a call, then sends what it produced and reports its events.
    pub fn with_call(&mut self, now: Instant, id: CallId, f: impl FnOnce(&mut Call, Instant)) {
        if let Some(c) = self.calls.get_mut(&id) {
            f(c, now);
        }
        self.pump_call(now, id);
    }

    /// The credentials of an account (for calls the application builds itself).
    pub fn credentials(&self, account: AccountId) -> Option<Credentials> {
        self.regs
            .get(&account)
            .map(|r| r.config().credentials.clone())
    }

    fn pump_call(&mut self, now: Instant, id: CallId) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let sends = call.drain_sends();
        let mut events = Vec::new();
        while let Some(e) = call.poll_event() {
            events.push(e);
        }
        let dialog = call.dialog_id().cloned();
        let terminated = call.state() == CallState::Terminated;
        let invite_tx = call.invite().clone();
        if let Some(d) = dialog {
            self.dialogs.insert(d, id);
        }
        for send in sends {
            match send {
                CallSend::Request {
                    request,
                    peer,
                    purpose: CallTx::Cancel,
                } => {
                    // CANCEL carries the INVITE's top Via (RFC 3261 9.1)
                    let via = self
                        .owners
                        .iter()
                        .find(|(_, o)| matches!(o, Owner::Call(c, CallTx::Invite) if *c == id))
                        .and_then(|(tx, _)| self.endpoint.client_request(*tx))
                        .and_then(|r| {
                            r.headers
                                .get_values(&HeaderName::Via)
                                .and_then(|v| v.first().map(|s| s.to_string()))
                        });
                    if let Some(via) = via {
                        let mut request = request;
                        request.headers.push_front(HeaderName::Via, via);
                        match self.endpoint.send_request(now, request, peer) {
                            Ok(tx) => {
                                self.owners.insert(tx, Owner::Call(id, CallTx::Cancel));
                            }
                            Err(e) => tracing::warn!(error = %e, "CANCEL not sent"),
                        }
                    }
                }
                CallSend::Request {
                    request,
                    peer,
                    purpose,
                } => match self.send_owned(now, request, peer, None, Owner::Call(id, purpose)) {
                    Ok(tx) if purpose == CallTx::Invite => {
                        if let Some(c) = self.calls.get_mut(&id) {
                            c.set_invite_tx(tx);
                        }
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "call request not sent"),
                },
                CallSend::Ack { request, peer } => {
                    self.send_stateless(Message::Request(request), peer)
                }
                CallSend::Response { tx, response } => {
                    let _ = self.endpoint.send_response(now, tx, response);
                }
            }
        }
        let _ = invite_tx;
        for event in events {
            self.events.push_back(UaEvent::Call { call: id, event });
        }
        if terminated {
            self.calls.remove(&id);
            self.dialogs.retain(|_, c| *c != id);
        }
        self.drain_endpoint(now);
    }

    /// A 2xx retransmission after the INVITE transaction ended: ACK it again
    /// (RFC 3261 13.2.2.4), or ACK and BYE it if no call wants it.
    fn on_stray_2xx(&mut self, now: Instant, response: Response, source: Peer) {
        let call = Dialog::id_of_response(&response).and_then(|d| self.dialogs.get(&d).copied());
        if let Some(id) = call {
            if let Some(c) = self.calls.get(&id) {
                if let Some(d) = c.dialog() {
                    let seq = response.cseq().map(|c| c.seq).unwrap_or(1);
                    let ack = d.create_ack(seq);
                    self.send_stateless(Message::Request(ack), source);
                    return;
                }
            }
        }
        self.events
            .push_back(UaEvent::StrayResponse { response, source });
        let _ = now;
    }

    fn pump_registration(&mut self, now: Instant, id: AccountId) {
        let Some(reg) = self.regs.get_mut(&id) else {
            return;
        };
        let sends = reg.drain_sends();
        let states = reg.drain_events();
        let finished = matches!(reg.state(), RegState::Unregistered) && sends.is_empty();
        for s in states {
            self.events.push_back(UaEvent::Registration {
                account: id,
                state: s,
            });
        }
        for s in sends {
            let purpose = s.purpose;
            if let Err(e) = self.send_owned(
                now,
                s.request,
                s.peer,
                s.timeout,
                Owner::Registration(id, purpose),
            ) {
                tracing::warn!(account = id, error = %e, "could not send REGISTER");
            }
        }
        let _ = finished;
        self.drain_endpoint(now);
    }

    fn account_for(&self, req: &Request) -> Option<AccountId> {
        let uri = req.uri.as_sip()?;
        if let Some(line) = uri.params.get("line") {
            if let Some((id, _)) = self.regs.iter().find(|(_, r)| r.line() == line) {
                return Some(*id);
            }
        }
        let user = uri.user_decoded();
        self.regs
            .iter()
            .find(|(_, r)| r.config().aor.user_decoded() == user)
            .map(|(id, _)| *id)
    }

    fn drain_endpoint(&mut self, now: Instant) {
        while let Some(ev) = self.endpoint.poll_event() {
            match ev {
                TxEvent::Request {
                    tx,
                    request,
                    source,
                } => self.on_request(now, tx, request, source),
                TxEvent::Response { tx, response } => match self.owners.get(&tx).copied() {
                    Some(Owner::Registration(id, purpose)) => {
                        let local = self.local_fn();
                        if let Some(r) = self.regs.get_mut(&id) {
                            r.on_response(now, purpose, &response, &local);
                        }
                        self.pump_registration(now, id);
                    }
                    Some(Owner::Call(id, purpose)) => {
                        if matches!(purpose, CallTx::Refer | CallTx::Notify) {
                            self.events.push_back(UaEvent::DialogResponse {
                                call: id,
                                purpose,
                                response: response.clone(),
                            });
                        }
                        self.with_call(now, id, |c, now| c.on_response(now, purpose, &response));
                    }
                    Some(Owner::App) => self.events.push_back(UaEvent::Response { tx, response }),
                    None => {}
                },
                TxEvent::Timeout { tx, .. } => match self.owners.get(&tx).copied() {
                    Some(Owner::Registration(id, purpose)) => {
                        let local = self.local_fn();
                        if let Some(r) = self.regs.get_mut(&id) {
                            r.on_transaction_timeout(now, purpose, &local);
                        }
                        self.pump_registration(now, id);
                    }
                    Some(Owner::Call(id, purpose)) => {
                        self.with_call(now, id, |c, _| c.on_transaction_timeout(purpose));
                    }
                    Some(Owner::App) => self.events.push_back(UaEvent::Timeout { tx }),
                    None => {
                        // a server INVITE whose 2xx was never ACKed
                        if let Some(&id) = self.invite_servers.get(&tx) {
                            self.with_call(now, id, |c, _| c.on_ack_timeout());
                        }
                    }
                },
                TxEvent::Terminated { tx } => {
                    self.owners.remove(&tx);
                    self.invite_servers.remove(&tx);
                }
                TxEvent::StrayResponse { response, source } => {
                    self.on_stray_2xx(now, response, source)
                }
                TxEvent::Cancelled { invite, cancel } => {
                    match self.invite_servers.get(&invite).copied() {
                        Some(id) => self.with_call(now, id, |c, _| c.on_cancelled(&cancel)),
                        None => self.events.push_back(UaEvent::Cancelled { invite }),
                    }
                }
                TxEvent::Malformed {
                    source,
                    reason,
                    answered,
                } => self.events.push_back(UaEvent::Malformed {
                    source,
                    reason,
                    answered,
                }),
            }
        }
    }

    fn on_request(
        &mut self,
        now: Instant,
        tx: Option<TransactionId>,
        request: Request,
        source: Peer,
    ) {
        tracing::debug!(method = %request.method, %source, call_id = ?request.call_id(), "request");
        if let (Some(tx), Some(refusal)) =
            (tx, crate::uas::check_request(&request, &self.cfg.policy))
        {
            tracing::info!(method = %request.method, status = refusal.status, "request refused before processing");
            let _ = self.endpoint.send_response(now, tx, refusal);
            return;
        }
        let account = self.account_for(&request);
        let has_to_tag = request.to_header().is_some_and(|t| t.tag().is_some());
        if has_to_tag || request.method == Method::Ack {
            let call = Dialog::id_of_request(&request).and_then(|d| self.dialogs.get(&d).copied());
            match call {
                Some(id)
                    if matches!(request.method, Method::Refer | Method::Notify) && tx.is_some() =>
                {
                    if let Some(c) = self.calls.get_mut(&id) {
                        if let Some(d) = c.dialog().cloned() {
                            let mut d = d;
                            let _ = d.on_request(&request);
                        }
                    }
                    self.events.push_back(UaEvent::DialogRequest {
                        call: id,
                        tx: tx.expect("checked"),
                        request,
                    });
                    return;
                }
                Some(id) => {
                    self.with_call(now, id, |c, now| c.on_request(now, tx, &request));
                    return;
                }
                None if request.method == Method::Ack => return,
                None if matches!(
                    request.method,
                    Method::Notify | Method::Message | Method::Options
                ) =>
                {
                    // out-of-dialog-like requests with a To tag (subscriptions) go to the app
                }
                None => {
                    if let Some(tx) = tx {
                        let resp = Response::for_request(&request, 481, None);
                        let _ = self.endpoint.send_response(now, tx, resp);
                    }
                    return;
                }
            }
        }
        if request.method == Method::Invite && !has_to_tag {
            if let Some(tx) = tx {
                let id = self.next_call;
                self.next_call += 1;
                let contact = self.contact_for(&source, account);
                let call = Call::incoming(
                    tx,
                    request.clone(),
                    source,
                    contact,
                    self.cfg.user_agent.clone(),
                );
                if let Some(d) = call.dialog_id() {
                    self.dialogs.insert(d.clone(), id);
                }
                self.calls.insert(id, call);
                self.invite_servers.insert(tx, id);
                self.events.push_back(UaEvent::IncomingCall {
                    call: id,
                    account,
                    request,
                    source,
                });
                return;
            }
        }
        if request.method == Method::Options
            && request.to_header().is_some_and(|t| t.tag().is_none())
        {
            if let Some(tx) = tx {
                if let Some(call_id) = request.call_id() {
                    for r in self.regs.values_mut() {
                        if r.probe_call_id() == call_id {
                            r.on_probe_looped();
                        }
                    }
                }
                let resp = Response::for_request(&request, 200, Some(&new_tag()))
                    .with_header(HeaderName::Allow, ALLOW)
                    .with_header(
                        HeaderName::Accept,
                        "application/sdp, message/cpim, text/plain",
                    )
                    .with_header(HeaderName::Supported, "replaces, timer, 100rel")
                    .with_header(HeaderName::Server, self.cfg.user_agent.clone());
                let _ = self.endpoint.send_response(now, tx, resp);
                return;
            }
        }
        self.events.push_back(UaEvent::Request {
            account,
            tx,
            request,
            source,
        });
    }
}
