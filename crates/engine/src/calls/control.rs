//! Call control inside the engine task: places and answers calls, runs the
//! offer/answer exchanges, and starts, updates and stops each call's media.
//!
//! Media start and stop are asynchronous (sockets, device threads), so they
//! run in spawned tasks that report back as commands; in between, a call
//! remembers the latest parameters and applies them once media is up.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use handset_media::runner::{MediaHandle, MediaSocket};
use handset_media::{MediaEvent, MediaParams, MediaStats};
use handset_sip::call::{CallEvent, EndReason, OutgoingCall, SDP};
use handset_sip::message::{HeaderAccess, Host, NameAddr, Request, SipUri, Uri};
use handset_sip::sdp::{self, AudioCaps, Direction, LocalMedia, Negotiated, Origin, Sdp};
use handset_sip::transaction::Peer;
use tokio::sync::oneshot;
use tracing::{debug, info, warn};

use super::{Cmd, Runtime};
use crate::calls::dial::target_uri;
use crate::calls::media::{params_for, quality_of};
use crate::calls::{unix_ms, CallDirection, CallId, CallInfo, CallPhase, CallRequest};
use crate::error::EngineError;
use crate::event::{AccountId, Event};
use crate::targets::{kind_of, peer_of, server_uri};

/// How often the in-call quality figures are sent.
const QUALITY_EVERY: Duration = Duration::from_secs(2);

/// Media of one call.
pub(crate) enum MediaSlot {
    /// No socket yet (it is being bound).
    Unbound,
    /// Bound, not started.
    Bound(MediaSocket),
    /// Being started; the latest parameters wait here.
    Starting(Option<MediaParams>),
    /// Running.
    Running(MediaHandle),
    /// Stopped or being stopped.
    Gone,
}

/// The engine's state for one call.
pub(crate) struct CallSlot {
    pub(crate) info: CallInfo,
    session_id: u64,
    sdp_version: u64,
    local: Option<LocalMedia>,
    media: MediaSlot,
    caps: AudioCaps,
    /// Our offer awaiting an answer.
    our_offer: Option<Sdp>,
    /// The INVITE's offer, answered when the user answers.
    remote_offer: Option<Sdp>,
    negotiated: Option<Negotiated>,
    /// The user answered before the media socket was ready.
    answer_wanted: bool,
    /// Hangup is under way; media stop reports the end.
    ended: bool,
    /// Digits asked for while media was still starting.
    pending_dtmf: String,
    /// A hold or resume asked for while another offer was in flight.
    queued_hold: Option<bool>,
}

impl CallSlot {
    fn new(info: CallInfo, caps: AudioCaps) -> Self {
        CallSlot {
            info,
            session_id: rand::random::<u32>() as u64,
            sdp_version: 0,
            local: None,
            media: MediaSlot::Unbound,
            caps,
            our_offer: None,
            remote_offer: None,
            negotiated: None,
            answer_wanted: false,
            ended: false,
            pending_dtmf: String::new(),
            queued_hold: None,
        }
    }

    fn next_origin(&mut self) -> Origin {
        self.sdp_version += 1;
        let ip = self
            .local
            .map(|l| l.ip)
            .unwrap_or(IpAddr::from([127, 0, 0, 1]));
        Origin::new("handset", self.session_id, self.sdp_version, ip)
    }

    /// The direction we want given our hold state.
    fn wanted_direction(&self) -> Direction {
        if self.info.held {
            Direction::SendOnly
        } else {
            Direction::SendRecv
        }
    }
}

/// Where an outgoing call goes once its socket is bound.
pub(crate) struct Prepared {
    pub(crate) account: AccountId,
    pub(crate) uri: Uri,
    pub(crate) display: Option<String>,
    pub(crate) direct_peer: Option<Result<Peer, String>>,
    pub(crate) ip: IpAddr,
    pub(crate) socket: std::io::Result<MediaSocket>,
    pub(crate) reply: oneshot::Sender<Result<CallId, EngineError>>,
}

impl Runtime {
    // ---- commands from the application ----

    pub(crate) fn place_call(
        &mut self,
        req: CallRequest,
        reply: oneshot::Sender<Result<CallId, EngineError>>,
    ) {
        let Some(acc) = self.accounts.get(&req.account) else {
            let _ = reply.send(Err(EngineError::NoAccount(req.account)));
            return;
        };
        let uri = match target_uri(&req.target, &acc.cfg) {
            Ok(u) => u,
            Err(e) => {
                let _ = reply.send(Err(EngineError::InvalidTarget(e)));
                return;
            }
        };
        let cfg = acc.cfg.clone();
        let registered = self
            .ua
            .registration(req.account)
            .and_then(|r| r.current_target());
        let towards = match &registered {
            Some(p) => Some(p.addr.ip()),
            None => match &uri {
                Uri::Sip(u) => match &u.host {
                    Host::V4(ip) => Some(IpAddr::V4(*ip)),
                    Host::V6(ip) => Some(IpAddr::V6(*ip)),
                    Host::Name(_) => None,
                },
                Uri::Other { .. } => None,
            },
        };
        let ip = towards
            .map(|t| self.layer.local_ip_towards(t))
            .unwrap_or(IpAddr::from([127, 0, 0, 1]));
        let resolver = self.resolver.clone();
        let cmds = self.cmds.clone();
        let ports = self.cfg.media.rtp_ports.clone();
        let account = req.account;
        let direct = registered.is_none();
        let display = cfg.display_name.clone();
        tokio::spawn(async move {
            let socket = MediaSocket::bind(ip, ports).await;
            let direct_peer = if direct {
                Some(resolve_direct(&resolver, &cfg, &uri).await)
            } else {
                None
            };
            let _ = cmds.send(Cmd::CallPrepared(Box::new(Prepared {
                account,
                uri,
                display,
                direct_peer,
                ip,
                socket,
                reply,
            })));
        });
    }

    pub(crate) fn on_call_prepared(&mut self, now: Instant, p: Box<Prepared>) {
        let Prepared {
            account,
            uri,
            display,
            direct_peer,
            ip,
            socket,
            reply,
        } = *p;
        let socket = match socket {
            Ok(s) => s,
            Err(e) => {
                let _ = reply.send(Err(EngineError::Media(format!(
                    "cannot open a media port: {e}"
                ))));
                return;
            }
        };
        let local = LocalMedia {
            ip,
            rtp_port: socket.rtp_port(),
            rtcp_port: socket.rtcp_port(),
        };
        let caps = self.cfg.media.caps(Direction::SendRecv);
        let info = CallInfo::starting(
            0,
            Some(account),
            CallDirection::Outgoing,
            CallPhase::Dialing,
            uri.to_string(),
            None,
        );
        let mut slot = CallSlot::new(info, caps);
        slot.local = Some(local);
        let origin = slot.next_origin();
        let offer = sdp::offer(origin, &local, &slot.caps);
        let body = offer.to_bytes();
        slot.our_offer = Some(offer);
        slot.media = MediaSlot::Bound(socket);

        let id = match direct_peer {
            None => self
                .ua
                .call_via_account(now, account, uri, Some(body), display, Vec::new()),
            Some(Err(e)) => {
                let _ = reply.send(Err(EngineError::InvalidTarget(e)));
                return;
            }
            Some(Ok(peer)) => {
                let Some(acc) = self.accounts.get(&account) else {
                    let _ = reply.send(Err(EngineError::NoAccount(account)));
                    return;
                };
                let aor = match crate::targets::aor(&acc.cfg) {
                    Ok(a) => a,
                    Err(e) => {
                        let _ = reply.send(Err(EngineError::InvalidConfig(e)));
                        return;
                    }
                };
                let mut from = NameAddr::new(Uri::Sip(aor));
                from.display = display;
                let mut contact = self.ua.contact_for(&peer, None);
                contact.user = Some(acc.cfg.user.clone());
                contact.host = self.layer.local_ip_towards(peer.addr.ip()).into();
                let credentials = Some(handset_sip::auth::Credentials {
                    username: acc
                        .cfg
                        .auth_user
                        .clone()
                        .unwrap_or_else(|| acc.cfg.user.clone()),
                    password: acc.password.clone(),
                });
                Some(self.ua.place_call(
                    now,
                    OutgoingCall {
                        from,
                        target: uri,
                        peer,
                        route: Vec::new(),
                        contact,
                        credentials,
                        offer: Some(body),
                        user_agent: self.cfg.user_agent.clone(),
                        extra_headers: Vec::new(),
                    },
                ))
            }
        };
        let Some(id) = id else {
            let _ = reply.send(Err(EngineError::NotRegistered(account)));
            return;
        };
        slot.info.id = id;
        let info = slot.info.clone();
        self.calls.insert(id, slot);
        let _ = reply.send(Ok(id));
        info!(call = id, remote = %info.remote_uri, "calling");
        self.emit(Event::Call { info });
    }

    pub(crate) fn answer_call(&mut self, now: Instant, id: CallId) -> Result<(), EngineError> {
        let slot = self.calls.get_mut(&id).ok_or(EngineError::NoCall(id))?;
        if slot.info.phase != CallPhase::Incoming {
            return Err(EngineError::CallState(format!(
                "call {id} is not ringing here"
            )));
        }
        if matches!(slot.media, MediaSlot::Unbound) {
            slot.answer_wanted = true;
            return Ok(());
        }
        // answering one call puts the others on hold, as on a desk phone
        let others: Vec<CallId> = self
            .calls
            .iter()
            .filter(|(k, s)| {
                self.cfg.hold_others_on_answer
                    && **k != id
                    && s.info.phase == CallPhase::Active
                    && !s.info.held
            })
            .map(|(k, _)| *k)
            .collect();
        for other in others {
            if let Err(e) = self.hold_call(now, other, true) {
                warn!(call = other, error = %e, "could not hold the other call");
            }
        }
        let slot = self.calls.get_mut(&id).ok_or(EngineError::NoCall(id))?;
        let local = slot.local.expect("bound before answering");
        let origin = slot.next_origin();
        let body = match slot.remote_offer.take() {
            Some(offer) => match sdp::answer(&offer, origin, &local, &slot.caps) {
                Ok((answer, n)) => {
                    slot.negotiated = Some(n);
                    answer.to_bytes()
                }
                Err(rej) => {
                    // checked when the call arrived; settings may have changed since
                    let warning = rej.warning_header("handset");
                    self.ua
                        .with_call(now, id, |c, _| c.decline_with_warning(rej.status, &warning));
                    return Err(EngineError::Media(rej.text));
                }
            },
            None => {
                let offer = sdp::offer(origin, &local, &slot.caps);
                let body = offer.to_bytes();
                slot.our_offer = Some(offer);
                body
            }
        };
        slot.info.phase = CallPhase::Active;
        slot.info.answered_ms = Some(unix_ms());
        self.ua.with_call(now, id, |c, now| c.answer(now, body));
        if let Some(n) = self.calls.get(&id).and_then(|s| s.negotiated.clone()) {
            self.apply_negotiated(id, n, false);
        }
        self.emit_call(id);
        Ok(())
    }

    pub(crate) fn decline_call(
        &mut self,
        now: Instant,
        id: CallId,
        status: u16,
    ) -> Result<(), EngineError> {
        let slot = self.calls.get(&id).ok_or(EngineError::NoCall(id))?;
        if slot.info.phase != CallPhase::Incoming {
            return Err(EngineError::CallState(format!(
                "call {id} is not ringing here"
            )));
        }
        if !(400..=699).contains(&status) {
            return Err(EngineError::CallState(format!(
                "{status} is not a rejection status (486 busy, 603 decline…)"
            )));
        }
        self.ua.with_call(now, id, |c, _| c.decline(status));
        Ok(())
    }

    pub(crate) fn hangup_call(&mut self, now: Instant, id: CallId) -> Result<(), EngineError> {
        if !self.calls.contains_key(&id) {
            return Err(EngineError::NoCall(id));
        }
        let incoming = self
            .calls
            .get(&id)
            .is_some_and(|s| s.info.phase == CallPhase::Incoming);
        if incoming {
            self.ua.with_call(now, id, |c, _| c.decline(603));
        } else {
            self.ua.with_call(now, id, |c, now| c.hangup(now));
        }
        Ok(())
    }

    pub(crate) fn hold_call(
        &mut self,
        now: Instant,
        id: CallId,
        on: bool,
    ) -> Result<(), EngineError> {
        let slot = self.calls.get_mut(&id).ok_or(EngineError::NoCall(id))?;
        if slot.info.phase != CallPhase::Active {
            return Err(EngineError::CallState(format!(
                "call {id} is not connected"
            )));
        }
        if slot.info.held == on {
            return Ok(());
        }
        let Some(local) = slot.local else {
            return Err(EngineError::CallState("media not ready".into()));
        };
        slot.info.held = on;
        let mut caps = slot.caps.clone();
        caps.direction = if on && slot.info.remote_held {
            Direction::Inactive
        } else {
            slot.wanted_direction()
        };
        let origin = slot.next_origin();
        let offer = sdp::offer(origin, &local, &caps);
        let body = offer.to_bytes();
        slot.our_offer = Some(offer);
        let mut sent = false;
        self.ua
            .with_call(now, id, |c, now| sent = c.reoffer(now, body, false));
        if !sent {
            // an exchange is in flight (ours or the peer's): do it right after
            if let Some(s) = self.calls.get_mut(&id) {
                s.info.held = !on;
                s.sdp_version -= 1;
                s.queued_hold = Some(on);
            }
            return Ok(());
        }
        // stop sending at once rather than when the answer comes back
        if on {
            if let Some(n) = self.calls.get(&id).and_then(|s| s.negotiated.clone()) {
                self.apply_negotiated(id, n, false);
            }
        }
        self.emit_call(id);
        Ok(())
    }

    pub(crate) fn mute_call(&mut self, id: CallId, on: bool) -> Result<(), EngineError> {
        let slot = self.calls.get_mut(&id).ok_or(EngineError::NoCall(id))?;
        slot.info.muted = on;
        if let MediaSlot::Running(h) = &slot.media {
            h.set_mute(on);
        }
        self.emit_call(id);
        Ok(())
    }

    pub(crate) fn send_dtmf(
        &mut self,
        now: Instant,
        id: CallId,
        digits: &str,
    ) -> Result<(), EngineError> {
        let digits: String = digits
            .chars()
            .map(|c| c.to_ascii_uppercase())
            .filter(|c| !c.is_whitespace())
            .collect();
        if let Some(bad) = digits
            .chars()
            .find(|c| !matches!(c, '0'..='9' | '*' | '#' | 'A'..='D'))
        {
            return Err(EngineError::CallState(format!(
                "'{bad}' is not a DTMF digit (0-9, *, #, A-D)"
            )));
        }
        let slot = self.calls.get(&id).ok_or(EngineError::NoCall(id))?;
        if slot.info.phase != CallPhase::Active {
            return Err(EngineError::CallState(format!(
                "call {id} is not connected"
            )));
        }
        let rfc4733 = slot
            .negotiated
            .as_ref()
            .is_some_and(|n| n.telephone_event.is_some());
        match (&slot.media, rfc4733) {
            (MediaSlot::Running(h), true) => h.send_dtmf(&digits),
            (MediaSlot::Starting(_) | MediaSlot::Bound(_), true) => {
                // RTP is seconds from flowing at most: keep the digits for it
                if let Some(s) = self.calls.get_mut(&id) {
                    s.pending_dtmf.push_str(&digits);
                }
            }
            _ => {
                // SIP INFO (application/dtmf-relay) for peers without telephone-event
                for d in digits.chars() {
                    let body = format!("Signal={d}\r\nDuration=160\r\n").into_bytes();
                    self.ua
                        .with_call(now, id, |c, _| c.info("application/dtmf-relay", body));
                }
            }
        }
        Ok(())
    }

    pub(crate) fn call_list(&self) -> Vec<CallInfo> {
        self.calls.values().map(|s| s.info.clone()).collect()
    }

    // ---- the SIP side ----

    pub(crate) fn on_incoming_call(
        &mut self,
        now: Instant,
        id: CallId,
        account: Option<AccountId>,
        request: Request,
        source: Peer,
    ) {
        if self.dnd {
            // Do Not Disturb: busy for the caller (as PortSIP's *78 does), a
            // missed call in our history
            let from = request.from_header();
            let mut info = CallInfo::starting(
                id,
                account,
                CallDirection::Incoming,
                CallPhase::Ended,
                from.as_ref().map(|f| f.uri.to_string()).unwrap_or_default(),
                from.and_then(|f| f.display),
            );
            info.end_reason = Some("missed (Do Not Disturb)".into());
            info.end_status = Some(486);
            self.ua.with_call(now, id, |c, _| c.decline(486));
            info!(call = id, "Do Not Disturb: declined with 486");
            self.emit(Event::Call { info });
            return;
        }
        let offer = if request.body.is_empty() {
            None
        } else {
            let is_sdp = request
                .content_type()
                .map(|m| format!("{}/{}", m.kind, m.subtype) == SDP)
                .unwrap_or(true);
            if !is_sdp {
                self.ua.with_call(now, id, |c, _| {
                    c.decline_with_warning(415, "399 handset \"only application/sdp bodies\"")
                });
                return;
            }
            match Sdp::parse(&request.body) {
                Ok(s) => Some(s),
                Err(e) => {
                    warn!(call = id, error = %e, "malformed SDP in INVITE");
                    let w = format!(
                        "399 handset \"malformed SDP: {}\"",
                        e.to_string().replace('"', "'")
                    );
                    self.ua
                        .with_call(now, id, |c, _| c.decline_with_warning(488, &w));
                    self.emit(Event::MalformedInput {
                        source: source.addr.to_string(),
                        reason: format!("SDP: {e}"),
                    });
                    return;
                }
            }
        };
        let caps = self.cfg.media.caps(Direction::SendRecv);
        if let Some(o) = &offer {
            // refuse before ringing when we could never answer
            let probe = LocalMedia {
                ip: IpAddr::from([127, 0, 0, 1]),
                rtp_port: 9,
                rtcp_port: 10,
            };
            if let Err(rej) = sdp::answer(o, Origin::new("-", 0, 0, probe.ip), &probe, &caps) {
                info!(call = id, reason = %rej.text, "refusing the call's media");
                let w = rej.warning_header("handset");
                self.ua
                    .with_call(now, id, |c, _| c.decline_with_warning(rej.status, &w));
                return;
            }
        }
        let from = request.from_header();
        let info = CallInfo::starting(
            id,
            account,
            CallDirection::Incoming,
            CallPhase::Incoming,
            from.as_ref().map(|f| f.uri.to_string()).unwrap_or_default(),
            from.and_then(|f| f.display),
        );
        let mut slot = CallSlot::new(info.clone(), caps);
        slot.remote_offer = offer;
        self.calls.insert(id, slot);
        let ip = self.layer.local_ip_towards(source.addr.ip());
        let ports = self.cfg.media.rtp_ports.clone();
        let cmds = self.cmds.clone();
        tokio::spawn(async move {
            let socket = MediaSocket::bind(ip, ports).await;
            let _ = cmds.send(Cmd::IncomingPrepared {
                call: id,
                ip,
                socket,
            });
        });
        self.ua.with_call(now, id, |c, now| c.ring(now, None));
        info!(call = id, from = %info.remote_uri, "incoming call");
        self.emit(Event::IncomingCall { info });
    }

    pub(crate) fn on_incoming_prepared(
        &mut self,
        now: Instant,
        id: CallId,
        ip: IpAddr,
        socket: std::io::Result<MediaSocket>,
    ) {
        let Some(slot) = self.calls.get_mut(&id) else {
            return;
        };
        match socket {
            Ok(s) => {
                slot.local = Some(LocalMedia {
                    ip,
                    rtp_port: s.rtp_port(),
                    rtcp_port: s.rtcp_port(),
                });
                slot.media = MediaSlot::Bound(s);
                if slot.answer_wanted {
                    if let Err(e) = self.answer_call(now, id) {
                        warn!(call = id, error = %e, "answer failed");
                    }
                }
            }
            Err(e) => {
                warn!(call = id, error = %e, "no media port for the incoming call");
                self.ua.with_call(now, id, |c, _| {
                    c.decline_with_warning(500, "399 handset \"no media port available\"")
                });
            }
        }
    }

    pub(crate) fn on_call_event(&mut self, now: Instant, id: CallId, event: CallEvent) {
        if !self.calls.contains_key(&id) {
            return;
        }
        match event {
            CallEvent::Progress { status, sdp, .. } => {
                if let Some(s) = self.calls.get_mut(&id) {
                    if s.info.phase == CallPhase::Dialing && (180..=183).contains(&status) {
                        s.info.phase = CallPhase::Ringing;
                    }
                }
                if let Some(body) = sdp {
                    self.on_remote_answer(now, id, &body, true);
                }
                self.emit_call(id);
            }
            CallEvent::Answered { sdp } => {
                if let Some(s) = self.calls.get_mut(&id) {
                    s.info.phase = CallPhase::Active;
                    s.info.answered_ms = Some(unix_ms());
                }
                match sdp {
                    Some(body) => self.on_remote_answer(now, id, &body, false),
                    None => {
                        // the answer came early (reliable 183); now we may talk
                        if let Some(n) = self.calls.get(&id).and_then(|s| s.negotiated.clone()) {
                            self.apply_negotiated(id, n, false);
                        }
                    }
                }
                info!(call = id, "answered");
                self.emit_call(id);
            }
            CallEvent::Confirmed { sdp } => {
                if let Some(body) = sdp {
                    self.on_remote_answer(now, id, &body, false);
                }
                self.run_queued_hold(now, id);
            }
            CallEvent::RemoteOffer { sdp, .. } => self.on_remote_offer(now, id, &sdp),
            CallEvent::OfferAnswered { sdp } => {
                match sdp {
                    Some(body) => {
                        self.on_remote_answer(now, id, &body, false);
                        self.emit_call(id);
                    }
                    None => warn!(call = id, "re-offer answered without SDP"),
                }
                self.run_queued_hold(now, id);
            }
            CallEvent::OfferRejected { status } => {
                if let Some(s) = self.calls.get_mut(&id) {
                    // the session is unchanged: so is the hold state
                    s.info.held = !s.info.held;
                    s.our_offer = None;
                    warn!(call = id, status, "the peer refused our new offer");
                }
                self.emit_call(id);
                self.run_queued_hold(now, id);
            }
            CallEvent::Info { content_type, body } => {
                if let Some(d) = dtmf_from_info(content_type.as_deref(), &body) {
                    self.emit(Event::Dtmf {
                        call: id,
                        digit: d.to_string(),
                        method: "info".into(),
                    });
                }
            }
            CallEvent::Ended { reason } => self.on_call_ended(id, reason),
        }
    }

    fn on_remote_answer(&mut self, now: Instant, id: CallId, body: &[u8], early: bool) {
        let Some(slot) = self.calls.get_mut(&id) else {
            return;
        };
        let Some(our) = slot.our_offer.clone() else {
            debug!(
                call = id,
                "SDP without an offer of ours outstanding; ignored"
            );
            return;
        };
        let parsed = Sdp::parse(body).map_err(|e| format!("malformed SDP: {e}"));
        let result =
            parsed.and_then(|ans| sdp::accept_answer(&our, &ans, &slot.caps).map_err(|r| r.text));
        match result {
            Ok(n) => {
                if !early {
                    slot.our_offer = None;
                }
                slot.info.remote_held = n.held_by_peer();
                self.apply_negotiated(id, n, early);
            }
            Err(reason) => {
                warn!(call = id, %reason, "unusable answer");
                self.emit(Event::MediaProblem {
                    call: id,
                    reason: reason.clone(),
                });
                if !early {
                    // RFC 3264 leaves us no session to speak in: end the call
                    self.ua.with_call(now, id, |c, now| c.hangup(now));
                }
            }
        }
    }

    fn on_remote_offer(&mut self, now: Instant, id: CallId, body: &[u8]) {
        let Some(slot) = self.calls.get_mut(&id) else {
            return;
        };
        let Some(local) = slot.local else {
            self.ua.with_call(now, id, |c, _| {
                c.reject_offer_with(500, "399 handset \"media not ready\"")
            });
            return;
        };
        let offer = match Sdp::parse(body) {
            Ok(o) => o,
            Err(e) => {
                let w = format!(
                    "399 handset \"malformed SDP: {}\"",
                    e.to_string().replace('"', "'")
                );
                self.ua
                    .with_call(now, id, |c, _| c.reject_offer_with(488, &w));
                return;
            }
        };
        let mut caps = slot.caps.clone();
        caps.direction = slot.wanted_direction();
        let origin = slot.next_origin();
        match sdp::answer(&offer, origin, &local, &caps) {
            Ok((answer, n)) => {
                let was_held = slot.info.remote_held;
                slot.info.remote_held = n.held_by_peer();
                if was_held != slot.info.remote_held {
                    info!(
                        call = id,
                        held = slot.info.remote_held,
                        "the peer changed hold"
                    );
                }
                let body = answer.to_bytes();
                self.ua.with_call(now, id, |c, _| c.answer_offer(body));
                self.apply_negotiated(id, n, false);
                self.emit_call(id);
            }
            Err(rej) => {
                let w = rej.warning_header("handset");
                self.ua
                    .with_call(now, id, |c, _| c.reject_offer_with(rej.status, &w));
            }
        }
    }

    fn run_queued_hold(&mut self, now: Instant, id: CallId) {
        let Some(on) = self.calls.get_mut(&id).and_then(|s| s.queued_hold.take()) else {
            return;
        };
        if let Err(e) = self.hold_call(now, id, on) {
            warn!(call = id, error = %e, "queued hold change failed");
        }
    }

    /// Starts or updates media for a negotiated session.
    fn apply_negotiated(&mut self, id: CallId, n: Negotiated, early: bool) {
        let Some(slot) = self.calls.get_mut(&id) else {
            return;
        };
        slot.info.codec = Some(n.codec.encoding.clone());
        slot.info.secure = n.srtp.is_some();
        let params = params_for(&n, slot.info.held, early);
        slot.negotiated = Some(n);
        match std::mem::replace(&mut slot.media, MediaSlot::Gone) {
            MediaSlot::Bound(socket) => {
                slot.media = MediaSlot::Starting(None);
                let io = self.cfg.media.audio_io();
                let cmds = self.cmds.clone();
                tokio::spawn(async move {
                    let result = MediaHandle::start(socket, params, io)
                        .await
                        .map_err(|e| e.to_string());
                    let _ = cmds.send(Cmd::MediaStarted { call: id, result });
                });
            }
            MediaSlot::Starting(_) => slot.media = MediaSlot::Starting(Some(params)),
            MediaSlot::Running(h) => {
                h.update(params);
                slot.media = MediaSlot::Running(h);
            }
            other => slot.media = other,
        }
    }

    pub(crate) fn on_media_started(&mut self, id: CallId, result: Result<MediaHandle, String>) {
        let Some(slot) = self.calls.get_mut(&id) else {
            if let Ok(h) = result {
                tokio::spawn(h.stop());
            }
            return;
        };
        match result {
            Ok(mut h) => {
                if let MediaSlot::Starting(Some(latest)) = &slot.media {
                    h.update(latest.clone());
                }
                if slot.info.muted {
                    h.set_mute(true);
                }
                if !slot.pending_dtmf.is_empty() {
                    h.send_dtmf(&std::mem::take(&mut slot.pending_dtmf));
                }
                if let Some(mut rx) = h.events() {
                    let cmds = self.cmds.clone();
                    tokio::spawn(async move {
                        let mut tick = tokio::time::interval(QUALITY_EVERY);
                        tick.tick().await;
                        loop {
                            tokio::select! {
                                ev = rx.recv() => match ev {
                                    Some(ev) => {
                                        if cmds.send(Cmd::MediaEvent { call: id, event: ev }).is_err() {
                                            return;
                                        }
                                    }
                                    None => return,
                                },
                                _ = tick.tick() => {
                                    if cmds.send(Cmd::MediaTick { call: id }).is_err() {
                                        return;
                                    }
                                }
                            }
                        }
                    });
                }
                if slot.ended {
                    slot.media = MediaSlot::Gone;
                    self.stop_media(id, h);
                } else {
                    slot.media = MediaSlot::Running(h);
                }
            }
            Err(e) => {
                warn!(call = id, error = %e, "media did not start");
                slot.media = MediaSlot::Gone;
                let ended = slot.ended;
                self.emit(Event::MediaProblem {
                    call: id,
                    reason: format!("audio could not start: {e}"),
                });
                if ended {
                    self.finish_call(id, None);
                }
            }
        }
    }

    pub(crate) fn on_media_event(&mut self, id: CallId, event: MediaEvent) {
        match event {
            MediaEvent::Dtmf(d) => self.emit(Event::Dtmf {
                call: id,
                digit: d.to_string(),
                method: "rfc4733".into(),
            }),
            MediaEvent::RemoteAddressLearned(addr) => {
                debug!(call = id, %addr, "symmetric RTP: sending where the peer sends from")
            }
            MediaEvent::RemoteBye => debug!(call = id, "the peer sent RTCP BYE"),
            MediaEvent::DeviceFellBackToDefault { from, to } => self.emit(Event::MediaProblem {
                call: id,
                reason: format!("audio device {from} was lost; now using {to}"),
            }),
            MediaEvent::DeviceError(e) => self.emit(Event::MediaProblem {
                call: id,
                reason: format!("audio device: {e}"),
            }),
        }
    }

    pub(crate) fn on_media_tick(&mut self, id: CallId) {
        if let Some(MediaSlot::Running(h)) = self.calls.get(&id).map(|s| &s.media) {
            let quality = quality_of(&h.stats());
            self.emit(Event::CallQuality { call: id, quality });
        }
    }

    fn on_call_ended(&mut self, id: CallId, reason: EndReason) {
        let Some(slot) = self.calls.get_mut(&id) else {
            return;
        };
        let (text, status) = describe_end(&reason, slot.info.direction);
        slot.info.phase = CallPhase::Ended;
        slot.info.end_reason = Some(text);
        slot.info.end_status = status;
        slot.ended = true;
        info!(call = id, reason = ?reason, "call ended");
        match std::mem::replace(&mut slot.media, MediaSlot::Gone) {
            MediaSlot::Running(h) => self.stop_media(id, h),
            // media will be stopped as soon as it has started
            MediaSlot::Starting(_) => {}
            _ => self.finish_call(id, None),
        }
    }

    fn stop_media(&mut self, id: CallId, h: MediaHandle) {
        let cmds = self.cmds.clone();
        tokio::spawn(async move {
            let stats = h.stop().await;
            let _ = cmds.send(Cmd::MediaStopped { call: id, stats });
        });
    }

    /// The call's last word: final quality, then the ended state, then it is forgotten.
    pub(crate) fn finish_call(&mut self, id: CallId, stats: Option<MediaStats>) {
        if let Some(s) = stats {
            self.emit(Event::CallQuality {
                call: id,
                quality: quality_of(&s),
            });
        }
        if let Some(slot) = self.calls.remove(&id) {
            self.emit(Event::Call { info: slot.info });
        }
    }

    /// Hangs up every call (on shutdown).
    pub(crate) fn hangup_all(&mut self, now: Instant) {
        let ids: Vec<CallId> = self.calls.keys().copied().collect();
        for id in ids {
            let _ = self.hangup_call(now, id);
        }
    }

    fn emit_call(&self, id: CallId) {
        if let Some(s) = self.calls.get(&id) {
            self.emit(Event::Call {
                info: s.info.clone(),
            });
        }
    }
}

/// Finds the peer for a call made without a registrar: the account's server
/// (an outbound proxy) when set, else the target's own host.
async fn resolve_direct(
    resolver: &handset_transport::Resolver,
    cfg: &crate::config::AccountConfig,
    uri: &Uri,
) -> Result<Peer, String> {
    let via: SipUri = if cfg.server.is_some() {
        server_uri(cfg)?
    } else {
        match uri {
            Uri::Sip(u) => {
                let mut u = u.clone();
                u.user = None;
                u
            }
            Uri::Other { .. } => return Err(format!("cannot call {uri} without a server")),
        }
    };
    let targets = resolver
        .resolve(&via, Some(kind_of(cfg.transport)))
        .await
        .map_err(|e| format!("cannot find {via}: {e}"))?;
    targets
        .first()
        .map(peer_of)
        .ok_or_else(|| format!("no address for {via}"))
}

/// Words and status for why a call ended.
fn describe_end(reason: &EndReason, direction: CallDirection) -> (String, Option<u16>) {
    match reason {
        EndReason::LocalHangup => ("hung up".into(), None),
        EndReason::RemoteHangup => ("the other side hung up".into(), None),
        EndReason::CancelledByCaller => (
            match direction {
                CallDirection::Incoming => "missed".into(),
                CallDirection::Outgoing => "cancelled".into(),
            },
            Some(487),
        ),
        EndReason::Declined(s) => ("declined".into(), Some(*s)),
        EndReason::Rejected { status, reason } => {
            let words = match status {
                486 | 600 => "busy".to_string(),
                603 | 607 => "declined".to_string(),
                404 | 604 => "not found".to_string(),
                408 | 480 => "no answer".to_string(),
                487 => "cancelled".to_string(),
                488 | 606 => format!("incompatible media ({reason})"),
                401 | 407 | 403 => format!("not allowed ({reason})"),
                _ => reason.clone(),
            };
            (words, Some(*status))
        }
        EndReason::Timeout => ("no response from the network".into(), Some(408)),
        EndReason::SessionExpired => ("the session expired".into(), None),
        EndReason::NoAck => ("the other side never confirmed the answer".into(), None),
        EndReason::AnsweredElsewhere => ("answered elsewhere".into(), Some(200)),
    }
}

/// A DTMF digit from an INFO body: `application/dtmf-relay` (`Signal=5`) or
/// `application/dtmf` (`5`).
fn dtmf_from_info(content_type: Option<&str>, body: &[u8]) -> Option<char> {
    let text = std::str::from_utf8(body).ok()?;
    let ct = content_type.unwrap_or("").to_ascii_lowercase();
    let raw = if ct.contains("dtmf-relay") {
        text.lines().find_map(|l| {
            let (k, v) = l.split_once('=')?;
            k.trim().eq_ignore_ascii_case("signal").then(|| v.trim())
        })?
    } else if ct.contains("application/dtmf") {
        text.trim()
    } else {
        return None;
    };
    let c = raw.chars().next()?.to_ascii_uppercase();
    match raw {
        "10" => Some('*'),
        "11" => Some('#'),
        _ if raw.len() == 1 && matches!(c, '0'..='9' | '*' | '#' | 'A'..='D') => Some(c),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn info_bodies_give_digits() {
        assert_eq!(
            dtmf_from_info(
                Some("application/dtmf-relay"),
                b"Signal=5\r\nDuration=160\r\n"
            ),
            Some('5')
        );
        assert_eq!(
            dtmf_from_info(Some("application/dtmf-relay"), b"Signal= #\r\n"),
            Some('#')
        );
        assert_eq!(dtmf_from_info(Some("application/dtmf"), b"11"), Some('#'));
        assert_eq!(dtmf_from_info(Some("text/plain"), b"5"), None);
        assert_eq!(
            dtmf_from_info(Some("application/dtmf-relay"), b"Signal=XY"),
            None
        );
    }

    #[test]
    fn end_reasons_in_words() {
        let busy = EndReason::Rejected {
            status: 486,
            reason: "Busy Here".into(),
        };
        assert_eq!(
            describe_end(&busy, CallDirection::Outgoing),
            ("busy".into(), Some(486))
        );
        assert_eq!(
            describe_end(&EndReason::CancelledByCaller, CallDirection::Incoming).0,
            "missed"
        );
    }
}
