//! One INVITE session (a call), sans-io: RFC 3261 13–15 call setup and
//! teardown, CANCEL, re-INVITE and UPDATE (RFC 3311) offer/answer exchanges
//! with glare handling, reliable provisional responses (RFC 3262 PRACK), and
//! session timers (RFC 4028).
//!
//! Session descriptions are opaque bytes here: the engine negotiates them with
//! the media layer. A [`Call`] is driven like the other machines of this
//! crate: feed it responses, requests and time; drain [`CallSend`]s and
//! [`CallEvent`]s; sleep until [`Call::poll_timeout`]. The [`crate::ua`]
//! layer owns the transactions and routes everything to the right call.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use rand::Rng;

use crate::auth::{AuthSession, Credentials};
use crate::dialog::{Dialog, DialogId, DialogState};
use crate::message::{
    new_call_id, new_tag, HeaderAccess, HeaderName, Method, NameAddr, RAck, Request,
    RequestBuilder, Response, SipUri, Uri,
};
use crate::registration::ALLOW;
use crate::transaction::{Peer, TransactionId, Transport};

/// The media type of session descriptions.
pub const SDP: &str = "application/sdp";

/// Default session interval we ask for (RFC 4028 recommends 1800 s).
pub const SESSION_EXPIRES: u32 = 1800;
/// Smallest session interval we accept (RFC 4028 minimum is 90 s).
pub const MIN_SE: u32 = 90;

/// What a client transaction of a call is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CallTx {
    /// The initial INVITE.
    Invite,
    /// A re-INVITE.
    ReInvite,
    /// An UPDATE.
    Update,
    /// BYE.
    Bye,
    /// CANCEL.
    Cancel,
    /// PRACK.
    Prack,
    /// INFO.
    Info,
    /// REFER.
    Refer,
    /// NOTIFY (REFER progress).
    Notify,
}

/// Something the call wants sent.
#[derive(Debug, Clone)]
pub enum CallSend {
    /// A request in a new client transaction (the UA adds the Via).
    Request {
        /// The request.
        request: Request,
        /// Next hop.
        peer: Peer,
        /// What it is for.
        purpose: CallTx,
    },
    /// An ACK for a 2xx, outside any transaction (the UA adds the Via).
    Ack {
        /// The ACK.
        request: Request,
        /// Next hop.
        peer: Peer,
    },
    /// A response on a server transaction.
    Response {
        /// The server transaction.
        tx: TransactionId,
        /// The response.
        response: Response,
    },
}

/// Why a call ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EndReason {
    /// We hung up (BYE or CANCEL sent).
    LocalHangup,
    /// The other side hung up (BYE received).
    RemoteHangup,
    /// The caller gave up before we answered (CANCEL received): a missed call.
    CancelledByCaller,
    /// We declined the incoming call.
    Declined(u16),
    /// The callee or the network refused the call.
    Rejected {
        /// Final status.
        status: u16,
        /// Reason phrase.
        reason: String,
    },
    /// No answer from the network (Timer B) or the transport failed.
    Timeout,
    /// The session timer ran out without a refresh (RFC 4028).
    SessionExpired,
    /// The 2xx we sent was never acknowledged.
    NoAck,
    /// Answered elsewhere (another device picked up; CANCEL with Reason 200).
    AnsweredElsewhere,
}

/// What the application learns about a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallEvent {
    /// A provisional response (180 Ringing, 183 Session Progress), maybe with early media SDP.
    Progress {
        /// Status.
        status: u16,
        /// Reason phrase.
        reason: String,
        /// Early-media session description.
        sdp: Option<Vec<u8>>,
    },
    /// The call was answered (UAC): the 2xx's body is the answer (or an offer
    /// if our INVITE had none; then call [`Call::send_late_answer`]).
    Answered {
        /// Session description in the 2xx.
        sdp: Option<Vec<u8>>,
    },
    /// The ACK arrived (UAS); it carries the answer when our 2xx held the offer.
    Confirmed {
        /// Session description in the ACK.
        sdp: Option<Vec<u8>>,
    },
    /// The peer made a new offer (re-INVITE or UPDATE): answer it with
    /// [`Call::answer_offer`] or refuse with [`Call::reject_offer`].
    RemoteOffer {
        /// The offer.
        sdp: Vec<u8>,
        /// INVITE or UPDATE.
        method: Method,
    },
    /// The peer answered our re-INVITE or UPDATE.
    OfferAnswered {
        /// The answer.
        sdp: Option<Vec<u8>>,
    },
    /// The peer refused our re-INVITE or UPDATE; the session is unchanged.
    OfferRejected {
        /// Status.
        status: u16,
    },
    /// An INFO arrived (DTMF relay and such); already answered 200.
    Info {
        /// Content-Type.
        content_type: Option<String>,
        /// Body.
        body: Vec<u8>,
    },
    /// The call is over.
    Ended {
        /// Why.
        reason: EndReason,
    },
}

/// Which side created the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// We sent the INVITE.
    Caller,
    /// We received it.
    Callee,
}

/// Coarse call state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallState {
    /// INVITE sent or received, no final response yet.
    Early,
    /// 2xx sent/received (ACK may still be pending).
    Confirmed,
    /// BYE or CANCEL sent, waiting to finish.
    Terminating,
    /// Over.
    Terminated,
}

/// Settings for an outgoing call.
#[derive(Debug, Clone)]
pub struct OutgoingCall {
    /// Our address of record (From).
    pub from: NameAddr,
    /// Who we call (Request-URI and To).
    pub target: Uri,
    /// First hop.
    pub peer: Peer,
    /// Preloaded route (outbound proxy), may be empty.
    pub route: Vec<NameAddr>,
    /// Our Contact.
    pub contact: SipUri,
    /// Credentials for 401/407.
    pub credentials: Option<Credentials>,
    /// SDP offer (None: a late-offer INVITE).
    pub offer: Option<Vec<u8>>,
    /// User-Agent.
    pub user_agent: String,
    /// Extra headers (Alert-Info, Replaces, Referred-By…).
    pub extra_headers: Vec<(HeaderName, String)>,
}

#[derive(Debug, Clone)]
struct PendingOffer {
    server_tx: Option<TransactionId>,
}

#[derive(Debug, Clone)]
struct ReliableProvisional {
    rseq: u32,
    response: Response,
    next: Instant,
    interval: Duration,
    give_up: Instant,
}

/// One call. See the [module docs](self).
#[derive(Debug)]
pub struct Call {
    role: Role,
    state: CallState,
    call_id: String,
    local_tag: String,
    /// The INVITE as sent (caller) or received (callee).
    invite: Request,
    invite_tx: Option<TransactionId>,
    invite_seq: u32,
    peer: Peer,
    contact: SipUri,
    user_agent: String,
    dialog: Option<Dialog>,
    auth: Option<AuthSession>,
    auth_tries: u32,
    provisional_seen: bool,
    cancel_wanted: bool,
    local_sdp: Option<Vec<u8>>,
    offer_in_invite: bool,
    pending_local: Option<(CallTx, Vec<u8>)>,
    pending_remote: Option<PendingOffer>,
    glare_retry: Option<(Instant, CallTx, Vec<u8>)>,
    remote_allows_update: bool,
    peer_supports_100rel: bool,
    peer_requires_100rel: bool,
    next_rseq: u32,
    reliable: Option<ReliableProvisional>,
    last_rack: Option<u32>,
    session_interval: Option<u32>,
    we_refresh: bool,
    refresh_at: Option<Instant>,
    expire_at: Option<Instant>,
    /// The re-INVITE or UPDATE whose offer awaits our answer.
    remote_offer_req: Option<Request>,
    /// The ACK held back until the application supplies a late answer.
    pending_late_ack: Option<Request>,
    confirmed_once: bool,
    sends: Vec<CallSend>,
    events: VecDeque<CallEvent>,
}

impl Call {
    /// Starts an outgoing call: builds and queues the INVITE.
    pub fn outgoing(now: Instant, setup: OutgoingCall) -> Call {
        let mut from = setup.from.clone();
        let local_tag = from.tag().map(str::to_string).unwrap_or_else(new_tag);
        from.set_tag(&local_tag);
        let call_id = new_call_id();
        let mut b = RequestBuilder::new(
            Method::Invite,
            setup.target.clone(),
            from,
            NameAddr::new(setup.target.clone()),
            &call_id,
            1,
        );
        for r in &setup.route {
            b = b.header(HeaderName::Route, r.to_string());
        }
        b = b
            .header(HeaderName::Contact, format!("<{}>", setup.contact))
            .header(HeaderName::Allow, ALLOW)
            .header(HeaderName::Supported, "100rel, timer, replaces, norefersub")
            .header(HeaderName::SessionExpires, SESSION_EXPIRES.to_string())
            .header(HeaderName::MinSe, MIN_SE.to_string())
            .header(HeaderName::UserAgent, setup.user_agent.clone());
        for (n, v) in &setup.extra_headers {
            b = b.header(n.clone(), v.clone());
        }
        if let Some(offer) = &setup.offer {
            b = b.body(SDP, offer.clone());
        }
        let invite = b.build();
        let mut call = Call {
            role: Role::Caller,
            state: CallState::Early,
            call_id,
            local_tag,
            invite: invite.clone(),
            invite_tx: None,
            invite_seq: 1,
            peer: setup.peer,
            contact: setup.contact,
            user_agent: setup.user_agent,
            dialog: None,
            auth: setup.credentials.map(AuthSession::new),
            auth_tries: 0,
            provisional_seen: false,
            cancel_wanted: false,
            local_sdp: setup.offer.clone(),
            offer_in_invite: setup.offer.is_some(),
            pending_local: None,
            pending_remote: None,
            glare_retry: None,
            remote_allows_update: false,
            peer_supports_100rel: false,
            peer_requires_100rel: false,
            next_rseq: 1,
            reliable: None,
            last_rack: None,
            session_interval: None,
            we_refresh: false,
            refresh_at: None,
            expire_at: None,
            remote_offer_req: None,
            pending_late_ack: None,
            confirmed_once: false,
            sends: Vec::new(),
            events: VecDeque::new(),
        };
        let _ = now;
        call.sends.push(CallSend::Request {
            request: invite,
            peer: call.peer,
            purpose: CallTx::Invite,
        });
        call
    }

    /// Takes in an incoming INVITE (no To tag). The application decides what
    /// to do: [`Call::ring`], [`Call::answer`] or [`Call::decline`].
    pub fn incoming(
        tx: TransactionId,
        invite: Request,
        source: Peer,
        contact: SipUri,
        user_agent: String,
    ) -> Call {
        let local_tag = new_tag();
        let supported = invite.option_tags(&HeaderName::Supported);
        let required = invite.option_tags(&HeaderName::Require);
        let allows_update = invite
            .headers
            .get_values(&HeaderName::Allow)
            .unwrap_or_default()
            .iter()
            .any(|m| m.trim().eq_ignore_ascii_case("UPDATE"));
        let dialog = Dialog::from_uas(&invite, &local_tag);
        let offer_in_invite = !invite.body.is_empty();
        Call {
            role: Role::Callee,
            state: CallState::Early,
            call_id: invite.call_id().unwrap_or_default().to_string(),
            local_tag,
            invite_seq: invite.cseq().map(|c| c.seq).unwrap_or(1),
            invite_tx: Some(tx),
            peer: source,
            contact,
            user_agent,
            dialog,
            auth: None,
            auth_tries: 0,
            provisional_seen: true,
            cancel_wanted: false,
            local_sdp: None,
            offer_in_invite,
            pending_local: None,
            pending_remote: None,
            glare_retry: None,
            remote_allows_update: allows_update,
            peer_supports_100rel: supported.iter().any(|t| t == "100rel"),
            peer_requires_100rel: required.iter().any(|t| t == "100rel"),
            next_rseq: rand::rng().random_range(1..100_000),
            reliable: None,
            last_rack: None,
            session_interval: None,
            we_refresh: false,
            refresh_at: None,
            expire_at: None,
            remote_offer_req: None,
            pending_late_ack: None,
            confirmed_once: false,
            invite,
            sends: Vec::new(),
            events: VecDeque::new(),
        }
    }

    /// Caller or callee.
    pub fn role(&self) -> Role {
        self.role
    }

    /// Coarse state.
    pub fn state(&self) -> CallState {
        self.state
    }

    /// Call-ID.
    pub fn call_id(&self) -> &str {
        &self.call_id
    }

    /// The dialog id, once there is a dialog.
    pub fn dialog_id(&self) -> Option<&DialogId> {
        self.dialog.as_ref().map(|d| &d.id)
    }

    /// The dialog, once there is one.
    pub fn dialog(&self) -> Option<&Dialog> {
        self.dialog.as_ref()
    }

    /// The initial INVITE (as sent or received).
    pub fn invite(&self) -> &Request {
        &self.invite
    }

    /// The remote party (To for a caller, From for a callee).
    pub fn remote_party(&self) -> Option<NameAddr> {
        match self.role {
            Role::Caller => self.invite.to_header(),
            Role::Callee => self.invite.from_header(),
        }
    }

    /// The server transaction of an incoming INVITE (to match CANCEL).
    pub fn invite_server_tx(&self) -> Option<TransactionId> {
        (self.role == Role::Callee)
            .then_some(self.invite_tx)
            .flatten()
    }

    /// The negotiated session-timer interval, if any.
    pub fn session_interval(&self) -> Option<u32> {
        self.session_interval
    }

    /// Takes the messages to send.
    pub fn drain_sends(&mut self) -> Vec<CallSend> {
        std::mem::take(&mut self.sends)
    }

    /// Takes the next event.
    pub fn poll_event(&mut self) -> Option<CallEvent> {
        self.events.pop_front()
    }

    /// Records the client transaction of the initial INVITE (the UA knows it).
    pub fn set_invite_tx(&mut self, tx: TransactionId) {
        if self.role == Role::Caller {
            self.invite_tx = Some(tx);
        }
    }

    /// When to call [`Call::handle_timeout`].
    pub fn poll_timeout(&self) -> Option<Instant> {
        [
            self.refresh_at,
            self.expire_at,
            self.glare_retry.as_ref().map(|g| g.0),
            self.reliable.as_ref().map(|r| r.next.min(r.give_up)),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    fn end(&mut self, reason: EndReason) {
        if self.state == CallState::Terminated {
            return;
        }
        self.state = CallState::Terminated;
        self.refresh_at = None;
        self.expire_at = None;
        self.glare_retry = None;
        self.reliable = None;
        self.events.push_back(CallEvent::Ended { reason });
    }

    /// Where in-dialog requests go: the first route or the remote target when
    /// it is an address, otherwise the peer the call was set up through (which
    /// keeps TCP/TLS flows and NAT bindings in use).
    fn next_hop(&self) -> Peer {
        let Some(d) = &self.dialog else {
            return self.peer;
        };
        let uri = d
            .route_set
            .first()
            .map(|r| &r.uri)
            .unwrap_or(&d.remote_target);
        let Some(sip) = uri.as_sip() else {
            return self.peer;
        };
        let Some(ip) = sip.host.ip() else {
            return self.peer;
        };
        let transport = sip
            .transport()
            .and_then(|t| Transport::from_token(&t))
            .unwrap_or(self.peer.transport);
        let port = sip.port.unwrap_or(match transport {
            Transport::Tls | Transport::Wss => 5061,
            _ => 5060,
        });
        let addr = std::net::SocketAddr::new(ip, port);
        if addr == self.peer.addr && transport == self.peer.transport {
            self.peer
        } else if transport.is_reliable() || matches!(transport, Transport::Ws | Transport::Wss) {
            // a new connection to a Contact behind NAT rarely works: keep the flow
            self.peer
        } else {
            Peer::new(transport, addr)
        }
    }

    fn in_dialog(&mut self, method: Method) -> Option<Request> {
        let d = self.dialog.as_mut()?;
        let mut req = d.create_request(method);
        req.headers
            .push(HeaderName::Contact, format!("<{}>", self.contact));
        req.headers
            .push(HeaderName::UserAgent, self.user_agent.clone());
        if let Some(a) = self.auth.as_mut() {
            if a.has_challenge() {
                a.authorize(&mut req);
            }
        }
        Some(req)
    }

    fn response_to(&self, req: &Request, status: u16) -> Response {
        let mut r = Response::for_request(req, status, Some(&self.local_tag));
        if (101..300).contains(&status)
            && (req.method == Method::Invite || req.method == Method::Update)
        {
            r.headers
                .push(HeaderName::Contact, format!("<{}>", self.contact));
        }
        r.headers.push(HeaderName::Server, self.user_agent.clone());
        r
    }

    // ---- callee-side commands ----

    /// Sends 180 Ringing (or 183 with early media when `early_sdp` is given).
    /// Reliable (RFC 3262) when the caller requires it.
    pub fn ring(&mut self, now: Instant, early_sdp: Option<Vec<u8>>) {
        if self.role != Role::Callee || self.state != CallState::Early {
            return;
        }
        let Some(tx) = self.invite_tx else { return };
        let status = if early_sdp.is_some() { 183 } else { 180 };
        let mut resp = self.response_to(&self.invite.clone(), status);
        resp.headers.push(HeaderName::Allow, ALLOW);
        // early media must be reliable to be safe, and a caller that requires it gets it
        let reliable =
            self.peer_requires_100rel || (early_sdp.is_some() && self.peer_supports_100rel);
        if let Some(sdp) = &early_sdp {
            resp = resp.with_body(SDP, sdp.clone());
            self.local_sdp = Some(sdp.clone());
        }
        if reliable {
            let rseq = self.next_rseq;
            self.next_rseq += 1;
            resp.headers.push(HeaderName::Require, "100rel");
            resp.headers.push(HeaderName::RSeq, rseq.to_string());
            let t1 = Duration::from_millis(500);
            self.reliable = Some(ReliableProvisional {
                rseq,
                response: resp.clone(),
                next: now + t1,
                interval: t1,
                give_up: now + t1 * 64,
            });
        }
        self.sends.push(CallSend::Response { tx, response: resp });
    }

    /// Answers an incoming call with 200 OK carrying `sdp` (the answer to the
    /// INVITE's offer, or our offer when the INVITE had none).
    pub fn answer(&mut self, now: Instant, sdp: Vec<u8>) {
        if self.role != Role::Callee || self.state != CallState::Early {
            return;
        }
        let Some(tx) = self.invite_tx else { return };
        let mut resp = self.response_to(&self.invite.clone(), 200);
        resp.headers.push(HeaderName::Allow, ALLOW);
        resp.headers
            .push(HeaderName::Supported, "replaces, timer, 100rel");
        self.apply_uas_session_timer(now, &mut resp);
        resp = resp.with_body(SDP, sdp.clone());
        self.local_sdp = Some(sdp);
        self.reliable = None;
        self.state = CallState::Confirmed;
        self.sends.push(CallSend::Response { tx, response: resp });
    }

    /// Declines an incoming call (486 Busy Here, 603 Decline, 480…).
    pub fn decline(&mut self, status: u16) {
        if self.role != Role::Callee || self.state != CallState::Early {
            return;
        }
        let Some(tx) = self.invite_tx else { return };
        let resp = self.response_to(&self.invite.clone(), status);
        self.sends.push(CallSend::Response { tx, response: resp });
        self.end(EndReason::Declined(status));
    }

    /// Declines an incoming call with a Warning header (RFC 3261 20.43), e.g.
    /// 488 with `305 handset "none of the offered codecs is supported"`.
    pub fn decline_with_warning(&mut self, status: u16, warning: &str) {
        if self.role != Role::Callee || self.state != CallState::Early {
            return;
        }
        let Some(tx) = self.invite_tx else { return };
        let resp = self
            .response_to(&self.invite.clone(), status)
            .with_header(HeaderName::Warning, warning.to_string());
        self.sends.push(CallSend::Response { tx, response: resp });
        self.end(EndReason::Declined(status));
    }

    /// The caller cancelled (the UA already answered the CANCEL).
    pub fn on_cancelled(&mut self, cancel: &Request) {
        if self.role != Role::Callee || self.state != CallState::Early {
            return;
        }
        if let Some(tx) = self.invite_tx {
            let resp = self.response_to(&self.invite.clone(), 487);
            self.sends.push(CallSend::Response { tx, response: resp });
        }
        // RFC 3326: "Reason: SIP;cause=200" means another device answered
        let elsewhere = cancel
            .headers
            .get(&HeaderName::Reason)
            .is_some_and(|r| r.to_ascii_lowercase().contains("cause=200"));
        self.end(if elsewhere {
            EndReason::AnsweredElsewhere
        } else {
            EndReason::CancelledByCaller
        });
    }

    fn apply_uas_session_timer(&mut self, now: Instant, resp: &mut Response) {
        let Some(se) = self.invite.token_params(&HeaderName::SessionExpires) else {
            return;
        };
        let Ok(interval) = se.value.parse::<u32>() else {
            return;
        };
        let interval = interval.max(MIN_SE);
        // the caller refreshes unless it said otherwise or cannot (no timer support)
        let caller_timer = self
            .invite
            .option_tags(&HeaderName::Supported)
            .iter()
            .any(|t| t == "timer");
        let refresher = match se.params.get("refresher") {
            Some(r) if r.eq_ignore_ascii_case("uas") => "uas",
            Some(_) => "uac",
            None if caller_timer => "uac",
            None => "uas",
        };
        resp.headers.push(
            HeaderName::SessionExpires,
            format!("{interval};refresher={refresher}"),
        );
        if caller_timer {
            resp.headers.push(HeaderName::Require, "timer");
        }
        self.set_session_timer(now, interval, refresher == "uas");
    }

    fn set_session_timer(&mut self, now: Instant, interval: u32, we_refresh: bool) {
        self.session_interval = Some(interval);
        self.we_refresh = we_refresh;
        let i = Duration::from_secs(interval as u64);
        if we_refresh {
            self.refresh_at = Some(now + i / 2);
            self.expire_at = None;
        } else {
            self.refresh_at = None;
            // RFC 4028 10: BYE if no refresh by interval - min(32, interval/3)
            self.expire_at = Some(now + i - Duration::from_secs((interval as u64 / 3).min(32)));
        }
    }

    // ---- commands for both sides ----

    /// Hangs up: CANCEL before the answer (caller), 480 to an unanswered
    /// incoming call, BYE once confirmed.
    pub fn hangup(&mut self, now: Instant) {
        match (self.role, self.state) {
            (_, CallState::Terminated | CallState::Terminating) => {}
            (Role::Callee, CallState::Early) => self.decline(480),
            (Role::Caller, CallState::Early) => {
                if self.provisional_seen {
                    self.send_cancel();
                } else {
                    // RFC 3261 9.1: CANCEL only after a provisional response
                    self.cancel_wanted = true;
                }
                self.state = CallState::Terminating;
            }
            (_, CallState::Confirmed) => {
                self.send_bye();
                let _ = now;
                self.end(EndReason::LocalHangup);
            }
        }
    }

    fn send_cancel(&mut self) {
        let inv = &self.invite;
        let mut headers = crate::message::Headers::new();
        headers.push(HeaderName::MaxForwards, "70");
        for name in [HeaderName::From, HeaderName::To, HeaderName::CallId] {
            if let Some(v) = inv.headers.get(&name) {
                headers.push(name, v);
            }
        }
        headers.push(HeaderName::CSeq, format!("{} CANCEL", self.invite_seq));
        for r in inv.headers.get_lines(&HeaderName::Route) {
            headers.push(HeaderName::Route, r);
        }
        let cancel = Request {
            method: Method::Cancel,
            uri: inv.uri.clone(),
            headers,
            body: Vec::new(),
        };
        // the UA must reuse the INVITE's branch: it finds the Via by CallTx::Cancel
        self.sends.push(CallSend::Request {
            request: cancel,
            peer: self.peer,
            purpose: CallTx::Cancel,
        });
    }

    fn send_bye(&mut self) {
        if let Some(bye) = self.in_dialog(Method::Bye) {
            let peer = self.next_hop();
            self.sends.push(CallSend::Request {
                request: bye,
                peer,
                purpose: CallTx::Bye,
            });
        }
    }

    /// Sends a new offer in the confirmed call (hold, resume, codec change,
    /// adding video): UPDATE when `prefer_update` and the peer allows it,
    /// otherwise re-INVITE. Refused while another offer is outstanding.
    pub fn reoffer(&mut self, now: Instant, sdp: Vec<u8>, prefer_update: bool) -> bool {
        if self.state != CallState::Confirmed
            || self.pending_local.is_some()
            || self.pending_remote.is_some()
        {
            return false;
        }
        let purpose = if prefer_update && self.remote_allows_update {
            CallTx::Update
        } else {
            CallTx::ReInvite
        };
        self.send_offer(now, purpose, sdp);
        true
    }

    fn send_offer(&mut self, now: Instant, purpose: CallTx, sdp: Vec<u8>) {
        let method = if purpose == CallTx::Update {
            Method::Update
        } else {
            Method::Invite
        };
        let Some(mut req) = self.in_dialog(method) else {
            return;
        };
        req.headers.push(HeaderName::Allow, ALLOW);
        req.headers
            .push(HeaderName::Supported, "timer, 100rel, replaces");
        if let Some(i) = self.session_interval {
            let who = if self.we_refresh {
                self.my_refresher_name()
            } else {
                self.their_refresher_name()
            };
            req.headers
                .push(HeaderName::SessionExpires, format!("{i};refresher={who}"));
        }
        req = with_body(req, SDP, sdp.clone());
        if purpose == CallTx::ReInvite {
            self.invite_seq = req.cseq().map(|c| c.seq).unwrap_or(self.invite_seq);
        }
        self.pending_local = Some((purpose, sdp));
        let peer = self.next_hop();
        let _ = now;
        self.sends.push(CallSend::Request {
            request: req,
            peer,
            purpose,
        });
    }

    fn my_refresher_name(&self) -> &'static str {
        match self.role {
            Role::Caller => "uac",
            Role::Callee => "uas",
        }
    }

    fn their_refresher_name(&self) -> &'static str {
        match self.role {
            Role::Caller => "uas",
            Role::Callee => "uac",
        }
    }

    /// Answers the peer's re-INVITE or UPDATE offer.
    pub fn answer_offer(&mut self, sdp: Vec<u8>) {
        let Some(p) = self.pending_remote.take() else {
            return;
        };
        let Some(tx) = p.server_tx else { return };
        let mut resp = self.response_to(&self.last_remote_offer_request(&p), 200);
        if let Some(i) = self.session_interval {
            let who = if self.we_refresh {
                self.my_refresher_name()
            } else {
                self.their_refresher_name()
            };
            resp.headers
                .push(HeaderName::SessionExpires, format!("{i};refresher={who}"));
        }
        resp = resp.with_body(SDP, sdp.clone());
        self.local_sdp = Some(sdp);
        self.sends.push(CallSend::Response { tx, response: resp });
    }

    /// Refuses the peer's offer (488 Not Acceptable Here, with a Warning
    /// `399 handset "<warning>"`).
    pub fn reject_offer(&mut self, status: u16, warning: &str) {
        self.reject_offer_with(
            status,
            &format!("399 handset \"{}\"", warning.replace('"', "'")),
        );
    }

    /// Refuses the peer's offer with a complete Warning header value.
    pub fn reject_offer_with(&mut self, status: u16, warning_header: &str) {
        let Some(p) = self.pending_remote.take() else {
            return;
        };
        let Some(tx) = p.server_tx else { return };
        let resp = self
            .response_to(&self.last_remote_offer_request(&p), status)
            .with_header(HeaderName::Warning, warning_header.to_string());
        self.sends.push(CallSend::Response { tx, response: resp });
    }

    fn last_remote_offer_request(&self, _p: &PendingOffer) -> Request {
        self.remote_offer_req
            .clone()
            .unwrap_or_else(|| self.invite.clone())
    }

    /// Sends the answer in the ACK after a late-offer call (our INVITE had no SDP).
    pub fn send_late_answer(&mut self, sdp: Vec<u8>) {
        if let Some(ack) = self.pending_late_ack.take() {
            let req = with_body(ack, SDP, sdp.clone());
            self.local_sdp = Some(sdp);
            let peer = self.next_hop();
            self.sends.push(CallSend::Ack { request: req, peer });
        }
    }

    /// Sends an INFO (DTMF relay, RFC 6086).
    pub fn info(&mut self, content_type: &str, body: Vec<u8>) {
        if self.state != CallState::Confirmed {
            return;
        }
        if let Some(req) = self.in_dialog(Method::Info) {
            let req = with_body(req, content_type, body);
            let peer = self.next_hop();
            self.sends.push(CallSend::Request {
                request: req,
                peer,
                purpose: CallTx::Info,
            });
        }
    }

    /// Builds an in-dialog request the application fills (REFER, NOTIFY).
    pub fn request_in_dialog(
        &mut self,
        method: Method,
        purpose: CallTx,
        headers: Vec<(HeaderName, String)>,
        body: Option<(&str, Vec<u8>)>,
    ) -> bool {
        if self.state != CallState::Confirmed {
            return false;
        }
        let Some(mut req) = self.in_dialog(method) else {
            return false;
        };
        for (n, v) in headers {
            req.headers.push(n, v);
        }
        if let Some((ct, b)) = body {
            req = with_body(req, ct, b);
        }
        let peer = self.next_hop();
        self.sends.push(CallSend::Request {
            request: req,
            peer,
            purpose,
        });
        true
    }

    /// Time passed.
    pub fn handle_timeout(&mut self, now: Instant) {
        if let Some(r) = self.reliable.as_mut() {
            if now >= r.give_up {
                // RFC 3262 3: no PRACK for 64*T1: reject the call
                self.reliable = None;
                if let Some(tx) = self.invite_tx {
                    let resp = self.response_to(&self.invite.clone(), 504);
                    self.sends.push(CallSend::Response { tx, response: resp });
                }
                self.end(EndReason::Timeout);
                return;
            } else if now >= r.next {
                r.interval = (r.interval * 2).min(Duration::from_secs(4));
                r.next = now + r.interval;
                if let Some(tx) = self.invite_tx {
                    let response = r.response.clone();
                    self.sends.push(CallSend::Response { tx, response });
                }
            }
        }
        if let Some((at, purpose, sdp)) = self.glare_retry.clone() {
            if now >= at {
                self.glare_retry = None;
                if self.state == CallState::Confirmed {
                    self.send_offer(now, purpose, sdp);
                }
            }
        }
        if self.refresh_at.is_some_and(|t| now >= t) {
            self.refresh_at = None;
            self.refresh_session(now);
        }
        if self.expire_at.is_some_and(|t| now >= t) {
            self.expire_at = None;
            self.send_bye();
            self.end(EndReason::SessionExpired);
        }
    }

    fn refresh_session(&mut self, now: Instant) {
        if self.state != CallState::Confirmed {
            return;
        }
        if self.pending_local.is_some() || self.pending_remote.is_some() {
            // an exchange in flight refreshes the session itself; check back soon
            self.refresh_at = Some(now + Duration::from_secs(5));
            return;
        }
        if self.remote_allows_update {
            // an UPDATE without a body refreshes without touching media
            if let Some(mut req) = self.in_dialog(Method::Update) {
                if let Some(i) = self.session_interval {
                    req.headers.push(
                        HeaderName::SessionExpires,
                        format!("{i};refresher={}", self.my_refresher_name()),
                    );
                }
                let peer = self.next_hop();
                self.pending_local = Some((CallTx::Update, Vec::new()));
                self.sends.push(CallSend::Request {
                    request: req,
                    peer,
                    purpose: CallTx::Update,
                });
            }
        } else if let Some(sdp) = self.local_sdp.clone() {
            // same SDP, same version: "no change" (RFC 3264 8)
            self.send_offer(now, CallTx::ReInvite, sdp);
        }
    }

    // ---- responses to our requests ----

    /// A response to one of our client transactions.
    pub fn on_response(&mut self, now: Instant, purpose: CallTx, resp: &Response) {
        match purpose {
            CallTx::Invite => self.on_invite_response(now, resp),
            CallTx::ReInvite | CallTx::Update => self.on_offer_response(now, purpose, resp),
            CallTx::Bye
            | CallTx::Cancel
            | CallTx::Prack
            | CallTx::Info
            | CallTx::Refer
            | CallTx::Notify => {
                if matches!(resp.status, 401 | 407) && purpose != CallTx::Cancel {
                    self.retry_with_auth_in_dialog(resp, purpose);
                } else if matches!(resp.status, 408 | 481)
                    && purpose != CallTx::Bye
                    && self.state == CallState::Confirmed
                {
                    // RFC 3261 12.2.1.2: the dialog is gone
                    self.end(EndReason::Timeout);
                }
            }
        }
    }

    fn retry_with_auth_in_dialog(&mut self, resp: &Response, purpose: CallTx) {
        let Some(auth) = self.auth.as_mut() else {
            return;
        };
        if auth.on_challenge(resp).is_err() || self.auth_tries > 3 {
            return;
        }
        self.auth_tries += 1;
        let method = match purpose {
            CallTx::Bye => Method::Bye,
            CallTx::Info => Method::Info,
            CallTx::Refer => Method::Refer,
            CallTx::Notify => Method::Notify,
            CallTx::Prack => Method::Prack,
            _ => return,
        };
        if let Some(req) = self.in_dialog(method) {
            let peer = self.next_hop();
            self.sends.push(CallSend::Request {
                request: req,
                peer,
                purpose,
            });
        }
    }

    fn on_invite_response(&mut self, now: Instant, resp: &Response) {
        if resp.cseq().map(|c| c.seq) != Some(self.invite_seq) {
            return;
        }
        match resp.status {
            100 => {
                self.provisional_seen = true;
                if self.cancel_wanted {
                    self.cancel_wanted = false;
                    self.send_cancel();
                }
            }
            101..=199 => {
                self.provisional_seen = true;
                if self.cancel_wanted {
                    self.cancel_wanted = false;
                    self.send_cancel();
                    return;
                }
                if resp
                    .to_header()
                    .and_then(|t| t.tag().map(str::to_string))
                    .is_some()
                    && self.dialog.is_none()
                {
                    self.dialog = Dialog::from_uac(&self.invite, resp);
                }
                if resp
                    .option_tags(&HeaderName::Require)
                    .iter()
                    .any(|t| t == "100rel")
                {
                    self.send_prack(resp);
                }
                if self.state == CallState::Early {
                    self.events.push_back(CallEvent::Progress {
                        status: resp.status,
                        reason: resp.reason.clone(),
                        sdp: (!resp.body.is_empty()).then(|| resp.body.clone()),
                    });
                }
            }
            200..=299 => self.on_invite_2xx(now, resp),
            401 | 407 => {
                let ok = self
                    .auth
                    .as_mut()
                    .map(|a| a.on_challenge(resp).is_ok())
                    .unwrap_or(false);
                if !ok || self.auth_tries >= 3 || self.state != CallState::Early {
                    self.end(EndReason::Rejected {
                        status: resp.status,
                        reason: resp.reason.clone(),
                    });
                    return;
                }
                self.auth_tries += 1;
                self.resend_invite(|_| {});
            }
            422 => {
                let min = resp
                    .headers
                    .get(&HeaderName::MinSe)
                    .and_then(crate::message::parse_delta_seconds);
                match min {
                    Some(m) if self.auth_tries < 3 && self.state == CallState::Early => {
                        self.auth_tries += 1;
                        self.resend_invite(|req| {
                            req.headers.set(HeaderName::SessionExpires, m.to_string());
                            req.headers.set(HeaderName::MinSe, m.to_string());
                        });
                    }
                    _ => self.end(EndReason::Rejected {
                        status: 422,
                        reason: resp.reason.clone(),
                    }),
                }
            }
            _ => {
                let reason = if self.state == CallState::Terminating {
                    EndReason::LocalHangup
                } else {
                    EndReason::Rejected {
                        status: resp.status,
                        reason: resp.reason.clone(),
                    }
                };
                self.end(reason);
            }
        }
    }

    fn resend_invite(&mut self, tweak: impl FnOnce(&mut Request)) {
        let mut req = self.invite.clone();
        req.headers.remove(&HeaderName::Via);
        self.invite_seq += 1;
        req.headers
            .set(HeaderName::CSeq, format!("{} INVITE", self.invite_seq));
        tweak(&mut req);
        if let Some(a) = self.auth.as_mut() {
            a.authorize(&mut req);
        }
        self.invite = req.clone();
        self.provisional_seen = false;
        self.sends.push(CallSend::Request {
            request: req,
            peer: self.peer,
            purpose: CallTx::Invite,
        });
    }

    fn send_prack(&mut self, resp: &Response) {
        let Some(rseq) = resp
            .headers
            .get(&HeaderName::RSeq)
            .and_then(|v| v.trim().parse::<u32>().ok())
        else {
            return;
        };
        if self.last_rack.is_some_and(|r| rseq <= r) {
            return; // a retransmission we already acknowledged
        }
        self.last_rack = Some(rseq);
        let cseq = resp.cseq().map(|c| c.seq).unwrap_or(self.invite_seq);
        if let Some(mut req) = self.in_dialog(Method::Prack) {
            req.headers.push(
                HeaderName::RAck,
                RAck {
                    rseq,
                    cseq,
                    method: Method::Invite,
                }
                .to_string(),
            );
            let peer = self.next_hop();
            self.sends.push(CallSend::Request {
                request: req,
                peer,
                purpose: CallTx::Prack,
            });
        }
    }

    fn on_invite_2xx(&mut self, now: Instant, resp: &Response) {
        let Some(id) = Dialog::id_of_response(resp) else {
            return;
        };
        let same_dialog = self
            .dialog
            .as_ref()
            .is_some_and(|d| d.id == id && d.state == DialogState::Confirmed);
        if self.state == CallState::Terminated
            || (self.state == CallState::Confirmed && !same_dialog)
        {
            // a 2xx from a second fork, or after we gave up: ACK it and hang it up
            if let Some(mut d) = Dialog::from_uac(&self.invite, resp) {
                let ack = d.create_ack(self.invite_seq);
                let bye = d.create_request(Method::Bye);
                self.sends.push(CallSend::Ack {
                    request: ack,
                    peer: self.peer,
                });
                self.sends.push(CallSend::Request {
                    request: bye,
                    peer: self.peer,
                    purpose: CallTx::Bye,
                });
            }
            return;
        }
        match self.dialog.as_mut() {
            Some(d) if d.id == id => d.on_response(&Method::Invite, resp),
            _ => self.dialog = Dialog::from_uac(&self.invite, resp),
        }
        let Some(d) = self.dialog.as_ref() else {
            return;
        };
        let mut ack = d.create_ack(self.invite_seq);
        if let Some(a) = self.auth.as_mut() {
            if a.has_challenge() {
                a.authorize(&mut ack);
            }
            a.on_success();
        }
        let terminating = self.state == CallState::Terminating;
        self.remote_allows_update = resp
            .headers
            .get_values(&HeaderName::Allow)
            .unwrap_or_default()
            .iter()
            .any(|m| m.trim().eq_ignore_ascii_case("UPDATE"));
        if let Some(se) = resp.token_params(&HeaderName::SessionExpires) {
            if let Ok(i) = se.value.parse::<u32>() {
                let we = !se
                    .params
                    .get("refresher")
                    .is_some_and(|r| r.eq_ignore_ascii_case("uas"));
                self.set_session_timer(now, i.max(MIN_SE), we);
            }
        }
        let sdp = (!resp.body.is_empty()).then(|| resp.body.clone());
        if !self.offer_in_invite && sdp.is_some() && !terminating {
            // late offer: the answer goes in the ACK, which the app supplies
            self.pending_late_ack = Some(ack);
        } else {
            let peer = self.next_hop();
            self.sends.push(CallSend::Ack { request: ack, peer });
        }
        if terminating {
            // we hung up while it was being answered: finish it properly
            self.state = CallState::Confirmed;
            self.send_bye();
            self.end(EndReason::LocalHangup);
            return;
        }
        if self.state == CallState::Early {
            self.state = CallState::Confirmed;
            self.events.push_back(CallEvent::Answered { sdp });
        }
    }

    fn on_offer_response(&mut self, now: Instant, purpose: CallTx, resp: &Response) {
        if resp.status < 200 {
            return;
        }
        let Some((_, sdp)) = self.pending_local.clone() else {
            return;
        };
        if resp.is_success() {
            self.pending_local = None;
            if purpose == CallTx::ReInvite {
                if let Some(d) = self.dialog.as_mut() {
                    d.on_response(&Method::Invite, resp);
                    let ack = d.create_ack(resp.cseq().map(|c| c.seq).unwrap_or(self.invite_seq));
                    let peer = self.next_hop();
                    self.sends.push(CallSend::Ack { request: ack, peer });
                }
            }
            if let Some(se) = resp.token_params(&HeaderName::SessionExpires) {
                if let Ok(i) = se.value.parse::<u32>() {
                    let mine = self.my_refresher_name();
                    let we = se
                        .params
                        .get("refresher")
                        .is_none_or(|r| r.eq_ignore_ascii_case(mine));
                    self.set_session_timer(now, i.max(MIN_SE), we);
                }
            } else if let Some(i) = self.session_interval {
                let we = self.we_refresh;
                self.set_session_timer(now, i, we);
            }
            if !sdp.is_empty() {
                self.local_sdp = Some(sdp);
                self.events.push_back(CallEvent::OfferAnswered {
                    sdp: (!resp.body.is_empty()).then(|| resp.body.clone()),
                });
            }
            return;
        }
        match resp.status {
            401 | 407 => {
                let ok = self
                    .auth
                    .as_mut()
                    .map(|a| a.on_challenge(resp).is_ok())
                    .unwrap_or(false);
                self.pending_local = None;
                if ok && self.auth_tries < 3 {
                    self.auth_tries += 1;
                    self.send_offer(now, purpose, sdp);
                } else {
                    self.events.push_back(CallEvent::OfferRejected {
                        status: resp.status,
                    });
                }
            }
            491 => {
                // RFC 3261 14.1: glare; the Call-ID owner waits 2.1-4 s, the other 0-2 s
                self.pending_local = None;
                let ms = match self.role {
                    Role::Caller => rand::rng().random_range(2100..4000),
                    Role::Callee => rand::rng().random_range(0..2000),
                };
                self.glare_retry = Some((now + Duration::from_millis(ms), purpose, sdp));
            }
            408 | 481 => {
                self.pending_local = None;
                self.send_bye();
                self.end(EndReason::Timeout);
            }
            status => {
                self.pending_local = None;
                if !sdp.is_empty() {
                    self.events.push_back(CallEvent::OfferRejected { status });
                }
            }
        }
    }

    /// A client transaction of this call timed out or could not be sent.
    pub fn on_transaction_timeout(&mut self, purpose: CallTx) {
        match purpose {
            CallTx::Invite => self.end(if self.state == CallState::Terminating {
                EndReason::LocalHangup
            } else {
                EndReason::Timeout
            }),
            CallTx::ReInvite | CallTx::Update => {
                // RFC 3261 14.1 / 12.2.1.2: a timeout means the peer is gone
                self.pending_local = None;
                self.send_bye();
                self.end(EndReason::Timeout);
            }
            CallTx::Bye | CallTx::Cancel if self.state == CallState::Terminating => {
                self.end(EndReason::LocalHangup);
            }
            _ => {}
        }
    }

    /// Our 2xx to the INVITE was never ACKed.
    pub fn on_ack_timeout(&mut self) {
        if self.state == CallState::Confirmed && self.role == Role::Callee {
            self.send_bye();
            self.end(EndReason::NoAck);
        }
    }

    // ---- requests from the peer inside the dialog ----

    /// An in-dialog request (or the ACK) from the peer.
    pub fn on_request(&mut self, now: Instant, tx: Option<TransactionId>, req: &Request) {
        if req.method == Method::Ack {
            if self.role == Role::Callee && self.state == CallState::Confirmed {
                let sdp = (!req.body.is_empty()).then(|| req.body.clone());
                if req.cseq().map(|c| c.seq) == Some(self.invite_seq) && !self.confirmed_once {
                    self.confirmed_once = true;
                    self.events.push_back(CallEvent::Confirmed { sdp });
                } else if let Some(sdp) = sdp {
                    self.events
                        .push_back(CallEvent::OfferAnswered { sdp: Some(sdp) });
                }
            }
            return;
        }
        let Some(tx) = tx else { return };
        if let Some(d) = self.dialog.as_mut() {
            if d.on_request(req) == Err(crate::dialog::DialogError::CSeqOutOfOrder) {
                let resp = self.response_to(req, 500);
                self.sends.push(CallSend::Response { tx, response: resp });
                return;
            }
        }
        match req.method {
            Method::Bye => {
                let resp = self.response_to(req, 200);
                self.sends.push(CallSend::Response { tx, response: resp });
                if self.role == Role::Callee && self.state == CallState::Early {
                    // RFC 3261 15.2: a BYE in an early dialog ends the INVITE with 487
                    if let Some(itx) = self.invite_tx {
                        let r = self.response_to(&self.invite.clone(), 487);
                        self.sends.push(CallSend::Response {
                            tx: itx,
                            response: r,
                        });
                    }
                }
                self.end(EndReason::RemoteHangup);
            }
            Method::Invite | Method::Update => self.on_remote_offer(now, tx, req),
            Method::Prack => {
                let matches = RAck::parse(req.headers.get(&HeaderName::RAck).unwrap_or(""))
                    .is_some_and(|r| self.reliable.as_ref().is_some_and(|p| p.rseq == r.rseq));
                let status = if matches || self.reliable.is_none() {
                    200
                } else {
                    481
                };
                if matches {
                    self.reliable = None;
                }
                let resp = self.response_to(req, status);
                self.sends.push(CallSend::Response { tx, response: resp });
            }
            Method::Info => {
                let resp = self.response_to(req, 200);
                self.sends.push(CallSend::Response { tx, response: resp });
                self.events.push_back(CallEvent::Info {
                    content_type: req.content_type().map(|c| c.essence()),
                    body: req.body.clone(),
                });
            }
            Method::Options => {
                let resp = self
                    .response_to(req, 200)
                    .with_header(HeaderName::Allow, ALLOW);
                self.sends.push(CallSend::Response { tx, response: resp });
            }
            _ => {
                // REFER and NOTIFY are routed to the PBX-feature layer by the UA;
                // anything else in a dialog is refused
                let resp = self
                    .response_to(req, 501)
                    .with_header(HeaderName::Allow, ALLOW);
                self.sends.push(CallSend::Response { tx, response: resp });
            }
        }
    }

    fn on_remote_offer(&mut self, now: Instant, tx: TransactionId, req: &Request) {
        if self.state != CallState::Confirmed && req.method == Method::Invite {
            let resp = self.response_to(req, 491);
            self.sends.push(CallSend::Response { tx, response: resp });
            return;
        }
        if self.pending_local.is_some() || self.pending_remote.is_some() {
            // glare (RFC 3261 14.2, RFC 3311 5.2)
            let resp = self
                .response_to(req, 491)
                .with_header(HeaderName::RetryAfter, "1");
            self.sends.push(CallSend::Response { tx, response: resp });
            return;
        }
        if let Some(se) = req.token_params(&HeaderName::SessionExpires) {
            if let Ok(i) = se.value.parse::<u32>() {
                let mine = self.my_refresher_name();
                let we = se
                    .params
                    .get("refresher")
                    .is_some_and(|r| r.eq_ignore_ascii_case(mine));
                self.set_session_timer(now, i.max(MIN_SE), we);
            }
        } else if let Some(i) = self.session_interval {
            // any re-INVITE/UPDATE refreshes the session
            let we = self.we_refresh;
            self.set_session_timer(now, i, we);
        }
        if req.body.is_empty() {
            if req.method == Method::Update {
                // a pure session refresh
                let mut resp = self.response_to(req, 200);
                if let Some(i) = self.session_interval {
                    let who = if self.we_refresh {
                        self.my_refresher_name()
                    } else {
                        self.their_refresher_name()
                    };
                    resp.headers
                        .push(HeaderName::SessionExpires, format!("{i};refresher={who}"));
                }
                self.sends.push(CallSend::Response { tx, response: resp });
            } else if let Some(sdp) = self.local_sdp.clone() {
                // an offer-less re-INVITE: our 200 offers the current session again
                self.remote_offer_req = Some(req.clone());
                self.pending_remote = Some(PendingOffer {
                    server_tx: Some(tx),
                });
                self.answer_offer(sdp);
            }
            return;
        }
        self.remote_offer_req = Some(req.clone());
        self.pending_remote = Some(PendingOffer {
            server_tx: Some(tx),
        });
        self.events.push_back(CallEvent::RemoteOffer {
            sdp: req.body.clone(),
            method: req.method.clone(),
        });
    }
}

fn with_body(mut req: Request, content_type: &str, body: Vec<u8>) -> Request {
    req.headers.set(HeaderName::ContentType, content_type);
    req.body = body;
    req
}
