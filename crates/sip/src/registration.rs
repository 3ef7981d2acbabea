//! Registration of one account (RFC 3261 10, RFC 3263 failover, RFC 8760 digest),
//! sans-io.
//!
//! The machine builds REGISTER requests (without Via: the [`crate::ua`] layer
//! adds it), digests the responses and timeouts it is handed, and says when it
//! wants to be woken. It refreshes before expiry, retries with backoff, fails
//! over to the next resolved target on timeout or 503, stops for good on a
//! wrong password, and checks that the registrar still holds its binding with
//! a probe OPTIONS sent to its own address of record.

use std::time::{Duration, Instant};

use rand::Rng;

use crate::auth::{AuthError, AuthSession, Credentials};
use crate::message::{
    new_call_id, new_tag, HeaderAccess, HeaderName, Host, Method, NameAddr, Request,
    RequestBuilder, Response, SipUri, Uri,
};
use crate::transaction::{Peer, Transport};

/// Methods this UA accepts, advertised in Allow.
pub const ALLOW: &str =
    "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE, PRACK, REFER, NOTIFY, SUBSCRIBE, MESSAGE";

/// How this UA appears on one transport (Via sent-by, Contact host and port).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalAddr {
    /// Host (an address, or a `.invalid` name for WebSocket, RFC 7118).
    pub host: Host,
    /// Port, absent for WebSocket.
    pub port: Option<u16>,
}

/// Settings of one registration.
#[derive(Debug, Clone)]
pub struct RegistrationConfig {
    /// Address of record (From and To).
    pub aor: SipUri,
    /// Request-URI: the registrar's domain.
    pub registrar: Uri,
    /// Credentials for digest authentication.
    pub credentials: Credentials,
    /// Requested binding lifetime in seconds.
    pub expires: u32,
    /// Resolved destinations in RFC 3263 order; the first that answers is used.
    pub targets: Vec<Peer>,
    /// Route set to preload (an outbound proxy), may be empty.
    pub route: Vec<NameAddr>,
    /// `+sip.instance` URN (RFC 5626), identifying this device across restarts.
    pub instance_id: Option<String>,
    /// How often to check the binding while registered (also a NAT keep-alive).
    pub keepalive: Option<Duration>,
    /// How long a probe may go unanswered before the flow counts as dead.
    pub probe_timeout: Duration,
    /// First retry delay after a failure; doubles up to `retry_max`.
    pub retry_min: Duration,
    /// Longest retry delay.
    pub retry_max: Duration,
    /// User-Agent header value.
    pub user_agent: String,
}

impl RegistrationConfig {
    /// Defaults: 600 s bindings, keep-alive every 30 s, retries from 1 s to 60 s.
    pub fn new(aor: SipUri, credentials: Credentials, targets: Vec<Peer>) -> Self {
        let registrar = Uri::Sip(SipUri {
            user: None,
            password: None,
            params: Default::default(),
            headers: Vec::new(),
            ..aor.clone()
        });
        RegistrationConfig {
            aor,
            registrar,
            credentials,
            expires: 600,
            targets,
            route: Vec::new(),
            instance_id: None,
            keepalive: Some(Duration::from_secs(30)),
            probe_timeout: Duration::from_secs(4),
            retry_min: Duration::from_secs(1),
            retry_max: Duration::from_secs(60),
            user_agent: concat!("Handset/", env!("CARGO_PKG_VERSION")).to_string(),
        }
    }
}

/// Why a registration stopped trying.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegFailure {
    /// Credentials refused (wrong user or password). Not retried.
    AuthenticationFailed {
        /// User part of the AOR.
        user: String,
        /// Domain of the AOR.
        domain: String,
    },
    /// The server refused for good (403, 404, 3xx…). Not retried.
    Refused {
        /// Status.
        status: u16,
        /// Reason phrase.
        reason: String,
    },
    /// The server's challenge cannot be answered (unsupported algorithm).
    UnsupportedAuth(String),
}

impl std::fmt::Display for RegFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RegFailure::AuthenticationFailed { user, domain } => {
                write!(f, "authentication failed for {user}@{domain}")
            }
            RegFailure::Refused { status, reason } => {
                write!(f, "registration refused: {status} {reason}")
            }
            RegFailure::UnsupportedAuth(s) => write!(f, "cannot authenticate: {s}"),
        }
    }
}

/// The state reported to the application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegState {
    /// Not registered and not trying.
    Unregistered,
    /// A REGISTER is on its way.
    Registering,
    /// The registrar holds our binding.
    Registered {
        /// Granted lifetime in seconds.
        expires: u32,
        /// The Contact bound.
        contact: String,
        /// Which target answered.
        server: Peer,
    },
    /// A temporary failure; another attempt follows.
    Retrying {
        /// What went wrong.
        reason: String,
        /// Delay before the next attempt.
        retry_in: Duration,
    },
    /// Stopped for good until reconfigured.
    Failed(RegFailure),
}

/// What a request is for, so responses find their handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegPurpose {
    /// A REGISTER adding or refreshing the binding.
    Register,
    /// A REGISTER with expires 0.
    Unregister,
    /// The OPTIONS binding probe.
    Probe,
}

/// Something to send.
#[derive(Debug, Clone)]
pub struct RegSend {
    /// The request, without Via.
    pub request: Request,
    /// Where.
    pub peer: Peer,
    /// What for.
    pub purpose: RegPurpose,
    /// A shorter transaction timeout (probes).
    pub timeout: Option<Duration>,
}

/// One account's registration machine.
#[derive(Debug)]
pub struct Registration {
    cfg: RegistrationConfig,
    state: RegState,
    auth: AuthSession,
    call_id: String,
    from_tag: String,
    line: String,
    cseq: u32,
    pending: Option<(RegPurpose, u32)>,
    auth_retries: u32,
    target_index: usize,
    failures: u32,
    expires: u32,
    refresh_at: Option<Instant>,
    retry_at: Option<Instant>,
    probe_at: Option<Instant>,
    probe_call_id: String,
    probe_cseq: u32,
    probe_pending: bool,
    /// Set once a probe came back to us through the registrar: only then does a
    /// 404 to a probe prove the binding is gone (some PBXs never forward OPTIONS).
    probe_loops: bool,
    /// Set after a 404 to a probe that had never looped led to re-registering:
    /// a second 404 without a loop means this PBX does not forward OPTIONS.
    probe_doubted: bool,
    /// Attempts left in recovery: after the binding or the flow was found lost,
    /// REGISTER goes out as short-lived transactions tried back to back, so the
    /// registrar is found again within about a keep-alive interval of its return
    /// instead of after Timer E has backed off to 4 s.
    recovering: u32,
    /// When the current REGISTER attempt went out (paces recovery retries).
    attempt_at: Option<Instant>,
    contact: Option<SipUri>,
    /// The Contact the registrar last confirmed; removed (expires=0) in the
    /// same REGISTER when the Contact changes, so no stale binding lingers.
    bound_contact: Option<SipUri>,
    sends: Vec<RegSend>,
    events: Vec<RegState>,
}

impl Registration {
    /// A machine in the Unregistered state; call [`Registration::start`].
    pub fn new(cfg: RegistrationConfig) -> Self {
        let mut rng = rand::rng();
        Registration {
            auth: AuthSession::new(cfg.credentials.clone()),
            expires: cfg.expires,
            cfg,
            state: RegState::Unregistered,
            call_id: new_call_id(),
            from_tag: new_tag(),
            line: format!("{:08x}", rng.random::<u32>()),
            cseq: 0,
            pending: None,
            auth_retries: 0,
            target_index: 0,
            failures: 0,
            refresh_at: None,
            retry_at: None,
            probe_at: None,
            probe_call_id: new_call_id(),
            probe_cseq: 0,
            probe_pending: false,
            probe_loops: false,
            probe_doubted: false,
            recovering: 0,
            attempt_at: None,
            contact: None,
            bound_contact: None,
            sends: Vec::new(),
            events: Vec::new(),
        }
    }

    /// Current state.
    pub fn state(&self) -> &RegState {
        &self.state
    }

    /// The settings.
    pub fn config(&self) -> &RegistrationConfig {
        &self.cfg
    }

    /// The `line` parameter of our Contact: incoming requests carrying it are for this account.
    pub fn line(&self) -> &str {
        &self.line
    }

    /// The Call-ID of binding probes, so the UA can recognise one coming back.
    pub fn probe_call_id(&self) -> &str {
        &self.probe_call_id
    }

    /// The peer currently used.
    pub fn current_target(&self) -> Option<Peer> {
        self.cfg.targets.get(self.target_index).copied()
    }

    /// Replaces the resolved targets (after a new DNS lookup).
    pub fn set_targets(&mut self, targets: Vec<Peer>) {
        self.cfg.targets = targets;
        self.target_index = 0;
    }

    /// Takes the requests to send.
    pub fn drain_sends(&mut self) -> Vec<RegSend> {
        std::mem::take(&mut self.sends)
    }

    /// Takes the state changes to report.
    pub fn drain_events(&mut self) -> Vec<RegState> {
        std::mem::take(&mut self.events)
    }

    /// When to call [`Registration::handle_timeout`].
    pub fn poll_timeout(&self) -> Option<Instant> {
        [self.refresh_at, self.retry_at, self.probe_at]
            .into_iter()
            .flatten()
            .min()
    }

    fn set_state(&mut self, s: RegState) {
        if self.state != s {
            self.state = s.clone();
            self.events.push(s);
        }
    }

    /// Starts (or restarts) registering now.
    pub fn start(&mut self, now: Instant, local: &dyn Fn(&Peer) -> Option<LocalAddr>) {
        self.failures = 0;
        self.auth_retries = 0;
        self.refresh_at = None;
        self.probe_at = None;
        // the binding is in doubt from here until the registrar confirms it
        self.set_state(RegState::Registering);
        self.send_register(now, local, RegPurpose::Register);
    }

    /// Removes the binding (on exit or when the account is disabled).
    pub fn stop(&mut self, now: Instant, local: &dyn Fn(&Peer) -> Option<LocalAddr>) {
        self.refresh_at = None;
        self.retry_at = None;
        self.probe_at = None;
        if matches!(self.state, RegState::Registered { .. }) {
            self.send_register(now, local, RegPurpose::Unregister);
        } else {
            self.pending = None;
            self.set_state(RegState::Unregistered);
        }
    }

    /// The network changed or the flow broke: forget the old binding's
    /// assumptions and register again at once.
    pub fn restart(&mut self, now: Instant, local: &dyn Fn(&Peer) -> Option<LocalAddr>) {
        if matches!(self.state, RegState::Failed(_)) {
            return;
        }
        self.contact = None;
        self.recover(now, local);
    }

    fn contact_for(
        &mut self,
        peer: &Peer,
        local: &dyn Fn(&Peer) -> Option<LocalAddr>,
    ) -> Option<SipUri> {
        let transport = peer.transport;
        let l = local(peer)?;
        let mut c = SipUri::new(l.host);
        if let Some(u) = &self.cfg.aor.user {
            c.user = Some(u.clone());
        }
        c.port = l.port;
        if transport != Transport::Udp {
            c.params.set(
                "transport",
                Some(&transport.via_token().to_ascii_lowercase()),
            );
        }
        c.params.set("line", Some(&self.line));
        Some(c)
    }

    fn contact_header(&self, contact: &SipUri, expires: u32) -> String {
        let mut v = format!("<{contact}>;expires={expires}");
        if let Some(inst) = &self.cfg.instance_id {
            v.push_str(&format!(";+sip.instance=\"<{inst}>\""));
        }
        v
    }

    fn send_register(
        &mut self,
        now: Instant,
        local: &dyn Fn(&Peer) -> Option<LocalAddr>,
        purpose: RegPurpose,
    ) {
        let Some(peer) = self.current_target() else {
            self.fail_temporarily(now, "no server address to register with".into());
            return;
        };
        let contact = match (&self.contact, purpose) {
            (Some(c), RegPurpose::Unregister) => c.clone(),
            _ => match self.contact_for(&peer, local) {
                Some(c) => c,
                None => {
                    self.fail_temporarily(now, format!("no local {} address", peer.transport));
                    return;
                }
            },
        };
        let expires = if purpose == RegPurpose::Unregister {
            0
        } else {
            self.expires
        };
        self.cseq += 1;
        let mut from = NameAddr::new(Uri::Sip(self.cfg.aor.clone()));
        from.set_tag(&self.from_tag);
        let to = NameAddr::new(Uri::Sip(self.cfg.aor.clone()));
        let mut b = RequestBuilder::new(
            Method::Register,
            self.cfg.registrar.clone(),
            from,
            to,
            &self.call_id,
            self.cseq,
        );
        for r in &self.cfg.route {
            b = b.header(HeaderName::Route, r.to_string());
        }
        b = b.header(HeaderName::Contact, self.contact_header(&contact, expires));
        if let Some(old) = &self.bound_contact {
            if purpose == RegPurpose::Register && !old.equivalent(&contact) {
                b = b.header(HeaderName::Contact, format!("<{old}>;expires=0"));
            }
        }
        b = b
            .header(HeaderName::Expires, expires.to_string())
            .header(HeaderName::Allow, ALLOW)
            .header(HeaderName::Supported, "path, replaces, timer, 100rel")
            .header(HeaderName::UserAgent, self.cfg.user_agent.clone());
        let mut request = b.build();
        self.auth.authorize(&mut request);
        self.contact = Some(contact);
        self.pending = Some((purpose, self.cseq));
        self.retry_at = None;
        self.attempt_at = Some(now);
        if purpose == RegPurpose::Register && !matches!(self.state, RegState::Registered { .. }) {
            self.set_state(RegState::Registering);
        }
        self.sends.push(RegSend {
            request,
            peer,
            purpose,
            timeout: (self.recovering > 0 && purpose == RegPurpose::Register)
                .then(|| self.recovery_timeout()),
        });
    }

    fn send_probe(&mut self, now: Instant) {
        let Some(peer) = self.current_target() else {
            return;
        };
        self.probe_cseq += 1;
        let aor = Uri::Sip(self.cfg.aor.clone());
        let mut from = NameAddr::new(aor.clone());
        from.set_tag(&self.from_tag);
        let mut b = RequestBuilder::new(
            Method::Options,
            aor.clone(),
            from,
            NameAddr::new(aor),
            &self.probe_call_id,
            self.probe_cseq,
        );
        for r in &self.cfg.route {
            b = b.header(HeaderName::Route, r.to_string());
        }
        let mut request = b
            .header(HeaderName::Accept, "application/sdp")
            .header(HeaderName::UserAgent, self.cfg.user_agent.clone())
            .build();
        self.auth.authorize(&mut request);
        self.probe_pending = true;
        self.probe_at = None;
        let _ = now;
        self.sends.push(RegSend {
            request,
            peer,
            purpose: RegPurpose::Probe,
            timeout: Some(self.cfg.probe_timeout),
        });
    }

    fn recovery_timeout(&self) -> Duration {
        self.cfg
            .keepalive
            .unwrap_or(Duration::from_secs(2))
            .clamp(Duration::from_secs(1), Duration::from_secs(4))
    }

    fn recover(&mut self, now: Instant, local: &dyn Fn(&Peer) -> Option<LocalAddr>) {
        // about a minute of back-to-back attempts, then the normal backoff
        self.recovering = (60 / self.recovery_timeout().as_secs().max(1)) as u32;
        self.start(now, local);
    }

    /// Our own probe arrived back through the registrar: binding checks are meaningful here.
    pub fn on_probe_looped(&mut self) {
        self.probe_loops = true;
    }

    fn backoff(&mut self) -> Duration {
        let exp = self.failures.min(16);
        let d = self.cfg.retry_min.saturating_mul(1u32 << exp.min(10));
        self.failures += 1;
        d.min(self.cfg.retry_max)
    }

    fn fail_temporarily(&mut self, now: Instant, reason: String) {
        self.pending = None;
        self.refresh_at = None;
        self.probe_at = None;
        let retry_in = self.backoff();
        self.retry_at = Some(now + retry_in);
        self.set_state(RegState::Retrying { reason, retry_in });
    }

    fn fail_for_good(&mut self, f: RegFailure) {
        self.pending = None;
        self.refresh_at = None;
        self.retry_at = None;
        self.probe_at = None;
        self.set_state(RegState::Failed(f));
    }

    /// Moves to the next target; true if there was one.
    fn failover(&mut self) -> bool {
        if self.target_index + 1 < self.cfg.targets.len() {
            self.target_index += 1;
            true
        } else {
            self.target_index = 0;
            false
        }
    }

    /// A response to one of our requests.
    pub fn on_response(
        &mut self,
        now: Instant,
        purpose: RegPurpose,
        resp: &Response,
        local: &dyn Fn(&Peer) -> Option<LocalAddr>,
    ) {
        if purpose == RegPurpose::Probe {
            self.on_probe_response(now, resp, local);
            return;
        }
        let seq = resp.cseq().map(|c| c.seq);
        if self.pending.map(|(_, s)| s) != seq {
            return; // an answer to an attempt we have given up on
        }
        if resp.status < 200 {
            return;
        }
        self.pending = None;
        match resp.status {
            200..=299 => {
                self.auth.on_success();
                self.auth_retries = 0;
                self.failures = 0;
                self.recovering = 0;
                if purpose == RegPurpose::Unregister {
                    self.bound_contact = None;
                    self.set_state(RegState::Unregistered);
                    return;
                }
                self.bound_contact = self.contact.clone();
                let granted = self.granted_expires(resp).unwrap_or(self.expires);
                if granted == 0 {
                    self.fail_temporarily(now, "registrar granted no binding".into());
                    return;
                }
                let refresh = refresh_delay(granted);
                self.refresh_at = Some(now + refresh);
                if let Some(k) = self.cfg.keepalive {
                    if k < refresh {
                        self.probe_at = Some(now + k);
                    }
                }
                let server = self.current_target().expect("target in use");
                let contact = self
                    .contact
                    .as_ref()
                    .map(|c| c.to_string())
                    .unwrap_or_default();
                self.set_state(RegState::Registered {
                    expires: granted,
                    contact,
                    server,
                });
            }
            401 | 407 => {
                self.auth_retries += 1;
                match self.auth.on_challenge(resp) {
                    Err(AuthError::Rejected { .. }) => {
                        self.fail_for_good(RegFailure::AuthenticationFailed {
                            user: self.cfg.credentials.username.clone(),
                            domain: self.cfg.aor.host.to_string(),
                        })
                    }
                    Err(e) => self.fail_for_good(RegFailure::UnsupportedAuth(e.to_string())),
                    Ok(()) if self.auth_retries > 3 => {
                        self.fail_for_good(RegFailure::AuthenticationFailed {
                            user: self.cfg.credentials.username.clone(),
                            domain: self.cfg.aor.host.to_string(),
                        })
                    }
                    Ok(()) => self.send_register(now, local, purpose),
                }
            }
            423 => {
                let min = resp
                    .headers
                    .get(&HeaderName::MinExpires)
                    .and_then(crate::message::parse_delta_seconds);
                match min {
                    Some(m) if m > self.expires => {
                        self.expires = m;
                        self.send_register(now, local, purpose);
                    }
                    _ => self.fail_for_good(RegFailure::Refused {
                        status: 423,
                        reason: resp.reason.clone(),
                    }),
                }
            }
            503 => {
                let reason = format!(
                    "{} {} from {}",
                    resp.status,
                    resp.reason,
                    self.current_target()
                        .map(|p| p.to_string())
                        .unwrap_or_default()
                );
                if purpose == RegPurpose::Register && self.failover() {
                    self.send_register(now, local, purpose);
                } else if purpose == RegPurpose::Register {
                    self.fail_temporarily(now, reason);
                } else {
                    self.set_state(RegState::Unregistered);
                }
            }
            300..=399 | 403 | 404 | 405 | 603 | 604 => {
                if purpose == RegPurpose::Unregister {
                    self.set_state(RegState::Unregistered);
                } else {
                    self.fail_for_good(RegFailure::Refused {
                        status: resp.status,
                        reason: resp.reason.clone(),
                    });
                }
            }
            _ => {
                if purpose == RegPurpose::Unregister {
                    self.set_state(RegState::Unregistered);
                } else {
                    self.fail_temporarily(now, format!("{} {}", resp.status, resp.reason));
                }
            }
        }
    }

    fn granted_expires(&self, resp: &Response) -> Option<u32> {
        let ours = self.contact.as_ref()?;
        for c in resp.contacts() {
            if let Uri::Sip(u) = &c.uri {
                // the line parameter is shared with a contact being removed, so
                // match the exact URI first
                if u.equivalent(ours) {
                    if let Some(e) = c
                        .params
                        .get("expires")
                        .and_then(crate::message::parse_delta_seconds)
                    {
                        return Some(e);
                    }
                }
            }
        }
        for c in resp.contacts() {
            if let Uri::Sip(u) = &c.uri {
                let same_line = u.params.get("line") == Some(self.line.as_str());
                if same_line {
                    if let Some(e) = c
                        .params
                        .get("expires")
                        .and_then(crate::message::parse_delta_seconds)
                    {
                        return Some(e);
                    }
                }
            }
        }
        resp.expires()
    }

    fn on_probe_response(
        &mut self,
        now: Instant,
        resp: &Response,
        local: &dyn Fn(&Peer) -> Option<LocalAddr>,
    ) {
        if resp.status < 200 || !self.probe_pending {
            return;
        }
        self.probe_pending = false;
        let registered = matches!(self.state, RegState::Registered { .. });
        if !matches!(resp.status, 401 | 407) {
            // the server took our credentials for this probe
            self.auth.on_success();
        }
        match resp.status {
            401 | 407 => match self.auth.on_challenge(resp) {
                Ok(()) => self.send_probe(now),
                // credentials that worked a moment ago refused: the server was
                // replaced or restarted; registering again settles it either way
                Err(_) if registered => self.recover(now, local),
                Err(_) => {}
            },
            404 | 410 | 480 if registered && (self.probe_loops || !self.probe_doubted) => {
                // the registrar answers for our AOR without reaching us: it lost
                // the binding. Before any probe has looped this may also be a PBX
                // that never forwards OPTIONS; one re-registration tells which.
                if !self.probe_loops {
                    self.probe_doubted = true;
                }
                self.auth.reset();
                self.recover(now, local);
            }
            _ => {
                if registered {
                    self.probe_at = self.cfg.keepalive.map(|k| now + k);
                }
            }
        }
    }

    /// A transaction of ours failed: Timer F/B, or the transport refused it.
    pub fn on_transaction_timeout(
        &mut self,
        now: Instant,
        purpose: RegPurpose,
        local: &dyn Fn(&Peer) -> Option<LocalAddr>,
    ) {
        match purpose {
            RegPurpose::Probe => {
                if !self.probe_pending {
                    return;
                }
                self.probe_pending = false;
                // no answer at all: the flow to the registrar is dead
                self.recover(now, local);
            }
            RegPurpose::Unregister => {
                self.pending = None;
                self.set_state(RegState::Unregistered);
            }
            RegPurpose::Register => {
                let server = self
                    .current_target()
                    .map(|p| p.to_string())
                    .unwrap_or_default();
                if self.failover() {
                    self.send_register(now, local, purpose);
                } else if self.recovering > 0 {
                    self.recovering -= 1;
                    // a refused connection fails at once: keep the attempts a
                    // recovery interval apart rather than looping
                    let next = self
                        .attempt_at
                        .map(|t| t + self.recovery_timeout())
                        .filter(|t| *t > now);
                    match next {
                        Some(t) => {
                            self.pending = None;
                            self.retry_at = Some(t);
                        }
                        None => self.send_register(now, local, purpose),
                    }
                } else {
                    self.fail_temporarily(now, format!("no answer from {server}"));
                }
            }
        }
    }

    /// Timers: refresh, retry, probe.
    pub fn handle_timeout(&mut self, now: Instant, local: &dyn Fn(&Peer) -> Option<LocalAddr>) {
        if self.retry_at.is_some_and(|t| now >= t) {
            self.retry_at = None;
            self.send_register(now, local, RegPurpose::Register);
        }
        if self.refresh_at.is_some_and(|t| now >= t) {
            self.refresh_at = None;
            self.probe_at = None;
            self.send_register(now, local, RegPurpose::Register);
        }
        if self.probe_at.is_some_and(|t| now >= t) && self.pending.is_none() {
            self.send_probe(now);
        }
    }
}

/// When to refresh a binding granted for `granted` seconds: well before it
/// lapses, leaving time for a retransmission or two.
pub fn refresh_delay(granted: u32) -> Duration {
    let g = granted as u64;
    let margin = if g > 60 {
        (g / 10).clamp(5, 300)
    } else {
        g / 2
    };
    Duration::from_secs(g.saturating_sub(margin).max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresh_margins() {
        assert_eq!(refresh_delay(3600), Duration::from_secs(3300));
        assert_eq!(refresh_delay(600), Duration::from_secs(540));
        assert_eq!(refresh_delay(60), Duration::from_secs(30));
        assert_eq!(refresh_delay(1), Duration::from_secs(1));
    }
}
