//! The engine task: one loop that feeds the sans-io UA with what the
//! transports deliver, the commands the application sends, and the passing of
//! time, then carries out what the UA wants sent and reports what it learned.

use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use handset_sip::auth::Credentials;
use handset_sip::message::{new_tag, Host, Method, Response};
use handset_sip::registration::{LocalAddr, RegistrationConfig};
use handset_sip::transaction::{EndpointConfig, Peer, TimerConfig, Transport};
use handset_sip::ua::{UaConfig, UaEvent, UserAgent};
use handset_transport::{
    FlowId, Resolver, ResolverConfig, Target, TlsClientConfig, TransportConfig, TransportEvent,
    TransportLayer,
};
use tokio::sync::{broadcast, mpsc, oneshot};
use tracing::{debug, info, warn};

use handset_media::runner::{MediaHandle, MediaSocket};
use handset_media::{MediaEvent, MediaStats};

use crate::calls::{CallId, CallInfo, CallRequest};
use crate::config::{AccountConfig, EngineConfig};
use crate::error::EngineError;
use crate::event::{AccountId, Event, RegistrationInfo};
use crate::sender::{Job, Senders};
use crate::targets::{aor, kind_of, peer_of, server_uri, to_sip};

#[path = "calls/control.rs"]
mod control;
#[path = "messaging.rs"]
pub(crate) mod messaging;
#[path = "presence.rs"]
mod presence;

/// How long shutdown waits for registrars to confirm unregistration.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(3);

/// Requests to the engine task.
pub enum Cmd {
    AddAccount {
        cfg: AccountConfig,
        password: String,
        reply: oneshot::Sender<Result<AccountId, EngineError>>,
    },
    Resolved {
        id: AccountId,
        result: Result<Vec<(Target, Option<SocketAddr>)>, String>,
    },
    RemoveAccount {
        id: AccountId,
        reply: oneshot::Sender<Result<(), EngineError>>,
    },
    Registration {
        id: AccountId,
        reply: oneshot::Sender<Option<RegistrationInfo>>,
    },
    NetworkChanged,
    Connected {
        peer: Peer,
        local: SocketAddr,
    },
    SendFailed {
        tx: Option<handset_sip::transaction::TransactionId>,
        target: String,
        reason: String,
    },
    Shutdown {
        reply: oneshot::Sender<()>,
    },
    PlaceCall {
        req: CallRequest,
        reply: oneshot::Sender<Result<CallId, EngineError>>,
    },
    CallPrepared(Box<control::Prepared>),
    IncomingPrepared {
        call: CallId,
        ip: IpAddr,
        socket: std::io::Result<MediaSocket>,
    },
    CallAction {
        call: CallId,
        action: CallAction,
        reply: oneshot::Sender<Result<(), EngineError>>,
    },
    Calls {
        reply: oneshot::Sender<Vec<CallInfo>>,
    },
    MediaStarted {
        call: CallId,
        result: Result<MediaHandle, String>,
    },
    MediaEvent {
        call: CallId,
        event: MediaEvent,
    },
    MediaTick {
        call: CallId,
    },
    MediaStopped {
        call: CallId,
        stats: MediaStats,
    },
    SetDnd(bool),
    MarkRead {
        conversation: i64,
        reply: oneshot::Sender<Result<u32, EngineError>>,
    },
    SetPresence(handset_sip::body::pidf::Presence),
    SendMessage {
        account: AccountId,
        to: String,
        text: String,
        reply: oneshot::Sender<Result<messaging::ChatMessage, EngineError>>,
    },
}

/// What the application asks of one call.
pub enum CallAction {
    Answer,
    Decline(u16),
    Hangup,
    Hold(bool),
    Mute(bool),
    Dtmf(String),
}

struct Account {
    cfg: AccountConfig,
    password: String,
    last_info: Option<RegistrationInfo>,
}

struct Runtime {
    ua: UserAgent,
    layer: TransportLayer,
    resolver: Arc<Resolver>,
    events: broadcast::Sender<Event>,
    cmds: mpsc::UnboundedSender<Cmd>,
    senders: Senders,
    cfg: EngineConfig,
    accounts: BTreeMap<AccountId, Account>,
    next_account: AccountId,
    flows: HashMap<u64, FlowId>,
    flow_numbers: HashMap<FlowId, u64>,
    server_names: HashMap<(Transport, SocketAddr), String>,
    shutdown: Option<(oneshot::Sender<()>, Instant)>,
    calls: BTreeMap<CallId, control::CallSlot>,
    store: Arc<handset_store::Store>,
    outbox: messaging::Outbox,
    dnd: bool,
    presence: presence::PresenceState,
}

/// Opens the transports and spawns the engine task.
pub async fn spawn(
    cfg: EngineConfig,
    events: broadcast::Sender<Event>,
) -> Result<(mpsc::UnboundedSender<Cmd>, Option<SocketAddr>), EngineError> {
    let tconf = TransportConfig {
        udp_bind: Some(cfg.bind),
        tcp_bind: Some(cfg.bind),
        tls: TlsClientConfig {
            extra_ca_pem: cfg.extra_ca.clone(),
            use_system_roots: true,
        },
        ..TransportConfig::default()
    };
    let (layer, transport_rx) = TransportLayer::new(tconf)
        .await
        .map_err(|e| EngineError::Transport(e.to_string()))?;
    let resolver = Resolver::new(ResolverConfig {
        nameservers: cfg.dns_servers.clone(),
        ..ResolverConfig::default()
    })
    .map_err(|e| EngineError::Transport(e.to_string()))?;

    let ua_cfg = UaConfig {
        endpoint: EndpointConfig {
            timers: TimerConfig {
                t1: cfg.t1,
                ..TimerConfig::default()
            },
            agent: Some("handset".into()),
        },
        user_agent: cfg.user_agent.clone(),
        ..UaConfig::default()
    };
    let mut ua = UserAgent::new(ua_cfg);
    let default_ip = match cfg.bind.ip() {
        ip if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        ip => ip,
    };
    if let Some(a) = layer.local_addr(handset_transport::TransportKind::Udp) {
        ua.set_local(
            Transport::Udp,
            LocalAddr {
                host: default_ip.into(),
                port: Some(a.port()),
            },
        );
    }
    if let Some(a) = layer.local_addr(handset_transport::TransportKind::Tcp) {
        ua.set_local(
            Transport::Tcp,
            LocalAddr {
                host: default_ip.into(),
                port: Some(a.port()),
            },
        );
        ua.set_local(
            Transport::Tls,
            LocalAddr {
                host: default_ip.into(),
                port: Some(a.port()),
            },
        );
    }
    let ws_host = Host::Name(format!("{}.invalid", new_tag()));
    ua.set_local(
        Transport::Ws,
        LocalAddr {
            host: ws_host.clone(),
            port: None,
        },
    );
    ua.set_local(
        Transport::Wss,
        LocalAddr {
            host: ws_host,
            port: None,
        },
    );

    let udp_addr = layer.local_addr(handset_transport::TransportKind::Udp);
    let store = match cfg.store.clone() {
        Some(s) => s,
        None => Arc::new(
            handset_store::Store::in_memory().map_err(|e| EngineError::Store(e.to_string()))?,
        ),
    };
    let (cmd_tx, cmd_rx) = mpsc::unbounded_channel();
    let rt = Runtime {
        ua,
        senders: Senders::new(layer.clone(), cmd_tx.clone()),
        layer,
        resolver: Arc::new(resolver),
        events,
        cmds: cmd_tx.clone(),
        cfg,
        accounts: BTreeMap::new(),
        next_account: 1,
        flows: HashMap::new(),
        flow_numbers: HashMap::new(),
        server_names: HashMap::new(),
        shutdown: None,
        calls: BTreeMap::new(),
        store,
        outbox: messaging::Outbox::default(),
        dnd: false,
        presence: presence::PresenceState::default(),
    };
    tokio::spawn(rt.run(transport_rx, cmd_rx));
    Ok((cmd_tx, udp_addr))
}

impl Runtime {
    async fn run(
        mut self,
        mut transport_rx: mpsc::Receiver<TransportEvent>,
        mut cmd_rx: mpsc::UnboundedReceiver<Cmd>,
    ) {
        loop {
            self.flush();
            if let Some((_, deadline)) = &self.shutdown {
                let done = !self.ua.unregistering() && self.calls.is_empty();
                if done || Instant::now() >= *deadline {
                    if let Some((reply, _)) = self.shutdown.take() {
                        let _ = reply.send(());
                    }
                    self.layer.shutdown().await;
                    info!("engine stopped");
                    return;
                }
            }
            let wake = [
                self.ua.poll_timeout(),
                self.shutdown.as_ref().map(|(_, d)| *d),
                self.outbox.wake,
                self.presence.wake(),
            ]
            .into_iter()
            .flatten()
            .min();
            tokio::select! {
                ev = transport_rx.recv() => match ev {
                    Some(ev) => self.on_transport(ev),
                    None => return,
                },
                cmd = cmd_rx.recv() => match cmd {
                    Some(cmd) => self.on_cmd(cmd),
                    None => return,
                },
                _ = sleep_until(wake) => {
                    let now = Instant::now();
                    self.ua.handle_timeout(now);
                    if self.outbox.wake.is_some_and(|w| w <= now) {
                        self.pump_outbox(now);
                    }
                    self.refresh_presence(now);
                }
            }
        }
    }

    fn flow_number(&mut self, flow: FlowId) -> u64 {
        if let Some(n) = self.flow_numbers.get(&flow) {
            return *n;
        }
        let n = self.flow_numbers.len() as u64 + 1;
        self.flow_numbers.insert(flow, n);
        self.flows.insert(n, flow);
        n
    }

    fn on_transport(&mut self, ev: TransportEvent) {
        let now = Instant::now();
        match ev {
            TransportEvent::Message {
                kind,
                flow,
                remote,
                data,
                ..
            } => {
                let transport = to_sip(kind);
                let flow = transport.is_reliable().then(|| self.flow_number(flow));
                let peer = Peer {
                    transport,
                    addr: remote,
                    flow,
                };
                self.ua.handle_input(now, peer, &data);
            }
            TransportEvent::FlowClosed {
                flow,
                kind,
                remote,
                reason,
            } => {
                debug!(%remote, ?kind, %reason, "flow closed");
                if let Some(n) = self.flow_numbers.remove(&flow) {
                    self.flows.remove(&n);
                }
                self.ua.flow_closed(now, to_sip(kind), remote);
            }
            TransportEvent::Pong { .. } => {}
            TransportEvent::NetworkChanged => self.ua.network_changed(now),
        }
    }

    fn on_cmd(&mut self, cmd: Cmd) {
        let now = Instant::now();
        match cmd {
            Cmd::AddAccount {
                cfg,
                password,
                reply,
            } => {
                let id = self.next_account;
                self.next_account += 1;
                let register = cfg.register;
                let resolve_for = server_uri(&cfg).and_then(|u| aor(&cfg).map(|_| u));
                let uri = match resolve_for {
                    Ok(u) => u,
                    Err(e) => {
                        let _ = reply.send(Err(EngineError::InvalidConfig(e)));
                        return;
                    }
                };
                let kind = kind_of(cfg.transport);
                self.accounts.insert(
                    id,
                    Account {
                        cfg,
                        password,
                        last_info: None,
                    },
                );
                let _ = reply.send(Ok(id));
                if register {
                    let resolver = self.resolver.clone();
                    let layer = self.layer.clone();
                    let cmds = self.cmds.clone();
                    tokio::spawn(async move {
                        let result = match resolver.resolve(&uri, Some(kind)).await {
                            Ok(targets) => {
                                let mut out = Vec::new();
                                for t in targets {
                                    let local = preconnect(&layer, &t).await;
                                    out.push((t, local));
                                }
                                Ok(out)
                            }
                            Err(e) => Err(e.to_string()),
                        };
                        let _ = cmds.send(Cmd::Resolved { id, result });
                    });
                }
            }
            Cmd::Resolved { id, result } => self.on_resolved(now, id, result),
            Cmd::RemoveAccount { id, reply } => {
                if self.accounts.remove(&id).is_some() {
                    self.ua.remove_account(now, id);
                    let _ = reply.send(Ok(()));
                } else {
                    let _ = reply.send(Err(EngineError::NoAccount(id)));
                }
            }
            Cmd::Registration { id, reply } => {
                let info = self
                    .ua
                    .registration(id)
                    .map(|r| RegistrationInfo::from(r.state()))
                    .or_else(|| self.accounts.get(&id).and_then(|a| a.last_info.clone()));
                let _ = reply.send(info);
            }
            Cmd::NetworkChanged => self.ua.network_changed(now),
            Cmd::Connected { peer, local } => {
                self.ua.local_changed(
                    now,
                    &peer,
                    LocalAddr {
                        host: local.ip().into(),
                        port: Some(local.port()),
                    },
                );
            }
            Cmd::SendFailed { tx, target, reason } => {
                warn!(%target, %reason, "send failed");
                self.emit(Event::TransportError { target, reason });
                if let Some(tx) = tx {
                    self.ua.transport_error(now, tx);
                }
            }
            Cmd::Shutdown { reply } => {
                self.hangup_all(now);
                self.ua.unregister_all(now);
                self.shutdown = Some((reply, now + SHUTDOWN_GRACE));
            }
            Cmd::PlaceCall { req, reply } => self.place_call(req, reply),
            Cmd::CallPrepared(p) => self.on_call_prepared(now, p),
            Cmd::IncomingPrepared { call, ip, socket } => {
                self.on_incoming_prepared(now, call, ip, socket)
            }
            Cmd::CallAction {
                call,
                action,
                reply,
            } => {
                let r = match action {
                    CallAction::Answer => self.answer_call(now, call),
                    CallAction::Decline(status) => self.decline_call(now, call, status),
                    CallAction::Hangup => self.hangup_call(now, call),
                    CallAction::Hold(on) => self.hold_call(now, call, on),
                    CallAction::Mute(on) => self.mute_call(call, on),
                    CallAction::Dtmf(digits) => self.send_dtmf(now, call, &digits),
                };
                let _ = reply.send(r);
            }
            Cmd::Calls { reply } => {
                let _ = reply.send(self.call_list());
            }
            Cmd::MediaStarted { call, result } => self.on_media_started(call, result),
            Cmd::MediaEvent { call, event } => self.on_media_event(call, event),
            Cmd::MediaTick { call } => self.on_media_tick(call),
            Cmd::MediaStopped { call, stats } => self.finish_call(call, Some(stats)),
            Cmd::SetPresence(p) => self.set_presence(now, p),
            Cmd::MarkRead {
                conversation,
                reply,
            } => {
                let _ = reply.send(self.mark_read(now, conversation));
            }
            Cmd::SetDnd(on) => {
                info!(on, "Do Not Disturb");
                self.dnd = on;
            }
            Cmd::SendMessage {
                account,
                to,
                text,
                reply,
            } => {
                let _ = reply.send(self.send_message(now, account, &to, &text));
            }
        }
    }

    fn on_resolved(
        &mut self,
        now: Instant,
        id: AccountId,
        result: Result<Vec<(Target, Option<SocketAddr>)>, String>,
    ) {
        let Some(acc) = self.accounts.get_mut(&id) else {
            return;
        };
        let targets = match result {
            Ok(t) if !t.is_empty() => t,
            Ok(_) | Err(_) => {
                let reason = match result {
                    Err(e) => e,
                    Ok(_) => "no server address found".into(),
                };
                let info = RegistrationInfo {
                    state: "failed".into(),
                    expires: None,
                    contact: None,
                    server: None,
                    reason: Some(format!("cannot find the server: {reason}")),
                    retry_in_ms: None,
                };
                acc.last_info = Some(info.clone());
                self.emit(Event::Registration { account: id, info });
                return;
            }
        };
        let cfg = acc.cfg.clone();
        let password = acc.password.clone();
        let mut peers = Vec::new();
        for (t, local) in &targets {
            let peer = peer_of(t);
            if let Some(name) = &t.server_name {
                self.server_names
                    .insert((peer.transport, peer.addr), name.clone());
            }
            let host: Host = self.layer.local_ip_towards(peer.addr.ip()).into();
            let local = match (peer.transport, local) {
                (Transport::Ws | Transport::Wss, _) => None,
                (_, Some(l)) => Some(LocalAddr {
                    host: l.ip().into(),
                    port: Some(l.port()),
                }),
                (t, None) => self
                    .ua
                    .local_for(&Peer::new(t, peer.addr))
                    .map(|l| LocalAddr {
                        host: host.clone(),
                        port: l.port,
                    }),
            };
            if let Some(l) = local {
                self.ua.set_local_for_peer(&peer, l);
            }
            peers.push(peer);
        }
        let aor = aor(&cfg).expect("validated when added");
        let mut reg = RegistrationConfig::new(
            aor,
            Credentials {
                username: cfg.auth_user.clone().unwrap_or_else(|| cfg.user.clone()),
                password,
            },
            peers,
        );
        reg.expires = cfg.expires;
        reg.keepalive =
            (cfg.keepalive_secs > 0).then(|| Duration::from_secs(cfg.keepalive_secs as u64));
        reg.instance_id = self.cfg.instance_id.clone();
        reg.user_agent = self.cfg.user_agent.clone();
        self.ua.add_account(now, id, reg);
    }

    fn emit(&self, ev: Event) {
        let _ = self.events.send(ev);
    }

    fn flush(&mut self) {
        let now = Instant::now();
        loop {
            let mut progressed = false;
            while let Some(t) = self.ua.poll_transmit() {
                progressed = true;
                let server_name = self
                    .server_names
                    .get(&(t.peer.transport, t.peer.addr))
                    .cloned();
                let flow = t.peer.flow.and_then(|n| self.flows.get(&n).copied());
                self.senders.send(
                    t.peer,
                    Job {
                        data: t.data,
                        tx: t.tx,
                        flow,
                        server_name,
                    },
                );
            }
            while let Some(ev) = self.ua.poll_event() {
                progressed = true;
                self.on_ua_event(now, ev);
            }
            if !progressed {
                break;
            }
        }
    }

    fn on_ua_event(&mut self, now: Instant, ev: UaEvent) {
        match ev {
            UaEvent::Registration { account, state } => {
                let info = RegistrationInfo::from(&state);
                if info.state == "registered" {
                    // messages and presence that waited for a registration can go now
                    self.pump_outbox(now);
                    if !self.presence.is_published(account) {
                        self.publish(now, account);
                    }
                }
                info!(account, state = %info.state, reason = ?info.reason, "registration");
                if let Some(a) = self.accounts.get_mut(&account) {
                    a.last_info = Some(info.clone());
                }
                self.emit(Event::Registration { account, info });
            }
            UaEvent::Request {
                tx: Some(tx),
                request,
                ..
            } if request.method == Method::Message => self.on_incoming_message(now, tx, request),
            UaEvent::Request {
                tx: Some(tx),
                request,
                ..
            } => {
                // calls, messages and subscriptions are handled by their own modules
                // as they land; until then say so honestly
                let status = match request.method {
                    Method::Subscribe => 480,
                    Method::Bye
                    | Method::Notify
                    | Method::Info
                    | Method::Update
                    | Method::Prack
                    | Method::Refer => 481,
                    _ => 501,
                };
                let _ = self.ua.respond(
                    now,
                    tx,
                    Response::for_request(&request, status, Some(&new_tag())),
                );
            }
            UaEvent::Request { tx: None, .. } => {}
            UaEvent::IncomingCall {
                call,
                account,
                request,
                source,
            } => self.on_incoming_call(now, call, account, request, source),
            UaEvent::Call { call, event } => self.on_call_event(now, call, event),
            UaEvent::DialogResponse { .. } => {}
            UaEvent::DialogRequest { tx, request, .. } => {
                let _ = self.ua.respond(
                    now,
                    tx,
                    Response::for_request(&request, 501, Some(&new_tag())),
                );
            }
            UaEvent::Response { tx, response } => {
                if !self.on_message_response(now, tx, &response) {
                    self.on_publish_response(now, tx, &response);
                }
            }
            UaEvent::Timeout { tx } => {
                if !self.on_message_timeout(now, tx) {
                    self.on_publish_timeout(now, tx);
                }
            }
            UaEvent::StrayResponse { .. } | UaEvent::Cancelled { .. } => {}
            UaEvent::Malformed { source, reason, .. } => {
                self.emit(Event::MalformedInput {
                    source: source.to_string(),
                    reason,
                });
            }
        }
    }
}

/// Opens the connection to a reliable target before the first REGISTER, so
/// its Via and Contact can carry the connection's own address, and so a TLS
/// certificate problem shows up at once. A keep-alive ping does it.
async fn preconnect(layer: &TransportLayer, target: &Target) -> Option<SocketAddr> {
    use handset_transport::TransportKind;
    if !matches!(target.kind, TransportKind::Tcp | TransportKind::Tls) {
        return None;
    }
    match layer.send(target, b"\r\n\r\n").await {
        Ok(sent) => Some(sent.local),
        Err(e) => {
            debug!(addr = %target.addr, error = %e, "pre-connect failed");
            None
        }
    }
}

async fn sleep_until(t: Option<Instant>) {
    match t {
        Some(t) => tokio::time::sleep_until(tokio::time::Instant::from_std(t)).await,
        None => std::future::pending().await,
    }
}
