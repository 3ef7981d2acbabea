//! Handset's engine: the only place where SIP, media, storage and providers
//! meet. One command/event API serves the desktop app, the CLI and tests.
//!
//! [`Engine::start`] spawns the engine task on the current tokio runtime. It
//! drives the sans-io SIP core (`handset-sip`) with the sockets of
//! `handset-transport`; commands go in through [`Engine`]'s methods and
//! [`Event`]s come out on a broadcast channel.

mod calls;
mod config;
mod error;
mod event;
pub mod history;
mod runtime;
mod sender;
mod targets;

pub use calls::{CallDirection, CallId, CallInfo, CallPhase, CallQuality, CallRequest};
pub use config::{AccountConfig, EngineConfig, MediaSettings, TransportChoice};
pub use error::EngineError;
pub use event::{AccountId, Event, RegistrationInfo};
pub use handset_sip::body::pidf::Presence;
pub use handset_sip::sdp::SrtpPolicy;
pub use runtime::messaging::ChatMessage;

use std::net::SocketAddr;

use tokio::sync::{broadcast, mpsc, oneshot};

use runtime::{CallAction, Cmd};

/// A handle on the running engine. Cloning it gives another handle on the same engine.
#[derive(Clone)]
pub struct Engine {
    cmds: mpsc::UnboundedSender<Cmd>,
    events: broadcast::Sender<Event>,
    udp_addr: Option<SocketAddr>,
}

impl Engine {
    /// Binds the transports and starts the engine task.
    pub async fn start(cfg: EngineConfig) -> Result<Engine, EngineError> {
        cfg.media.validate().map_err(EngineError::InvalidConfig)?;
        let (events, _) = broadcast::channel(1024);
        let (cmds, udp_addr) = runtime::spawn(cfg, events.clone()).await?;
        Ok(Engine {
            cmds,
            events,
            udp_addr,
        })
    }

    /// The local UDP address SIP listens on (TCP shares its port).
    pub fn sip_addr(&self) -> Option<SocketAddr> {
        self.udp_addr
    }

    /// A receiver of every event from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.events.subscribe()
    }

    async fn ask<T>(&self, make: impl FnOnce(oneshot::Sender<T>) -> Cmd) -> Result<T, EngineError> {
        let (tx, rx) = oneshot::channel();
        self.cmds.send(make(tx)).map_err(|_| EngineError::Stopped)?;
        rx.await.map_err(|_| EngineError::Stopped)
    }

    /// Adds an account and starts registering it (if its config says so).
    pub async fn add_account(
        &self,
        cfg: AccountConfig,
        password: String,
    ) -> Result<AccountId, EngineError> {
        cfg.validate().map_err(EngineError::InvalidConfig)?;
        self.ask(|reply| Cmd::AddAccount {
            cfg,
            password,
            reply,
        })
        .await?
    }

    /// Unregisters and removes an account.
    pub async fn remove_account(&self, id: AccountId) -> Result<(), EngineError> {
        self.ask(|reply| Cmd::RemoveAccount { id, reply }).await?
    }

    /// The current registration state of an account.
    pub async fn registration(
        &self,
        id: AccountId,
    ) -> Result<Option<RegistrationInfo>, EngineError> {
        self.ask(|reply| Cmd::Registration { id, reply }).await
    }

    /// Tells the engine the network changed (the platform noticed it first).
    pub fn network_changed(&self) {
        let _ = self.cmds.send(Cmd::NetworkChanged);
    }

    /// Places a call; the returned id names it in later [`Event::Call`]s.
    pub async fn call(&self, req: CallRequest) -> Result<CallId, EngineError> {
        self.ask(|reply| Cmd::PlaceCall { req, reply }).await?
    }

    async fn act(&self, call: CallId, action: CallAction) -> Result<(), EngineError> {
        self.ask(|reply| Cmd::CallAction {
            call,
            action,
            reply,
        })
        .await?
    }

    /// Answers a ringing incoming call; other connected calls go on hold.
    pub async fn answer(&self, call: CallId) -> Result<(), EngineError> {
        self.act(call, CallAction::Answer).await
    }

    /// Rejects a ringing incoming call: 486 Busy Here, 603 Decline…
    pub async fn decline(&self, call: CallId, status: u16) -> Result<(), EngineError> {
        self.act(call, CallAction::Decline(status)).await
    }

    /// Ends a call (or cancels it while it rings).
    pub async fn hangup(&self, call: CallId) -> Result<(), EngineError> {
        self.act(call, CallAction::Hangup).await
    }

    /// Puts a call on hold or resumes it.
    pub async fn hold(&self, call: CallId, on: bool) -> Result<(), EngineError> {
        self.act(call, CallAction::Hold(on)).await
    }

    /// Mutes or unmutes our microphone in a call.
    pub async fn mute(&self, call: CallId, on: bool) -> Result<(), EngineError> {
        self.act(call, CallAction::Mute(on)).await
    }

    /// Sends DTMF digits (RFC 4733, or SIP INFO when the peer has no telephone-event).
    pub async fn send_dtmf(&self, call: CallId, digits: &str) -> Result<(), EngineError> {
        self.act(call, CallAction::Dtmf(digits.to_string())).await
    }

    /// Sends a chat message from `account` to `to` (an extension, a number or a
    /// SIP address). It is stored before this returns and retried until the
    /// network takes it; [`Event::MessageStatus`] follows its progress.
    pub async fn send_message(
        &self,
        account: AccountId,
        to: &str,
        text: &str,
    ) -> Result<ChatMessage, EngineError> {
        let (to, text) = (to.to_string(), text.to_string());
        self.ask(|reply| Cmd::SendMessage {
            account,
            to,
            text,
            reply,
        })
        .await?
    }

    /// Do Not Disturb: incoming calls are declined with 486 Busy Here and
    /// land in the history as missed.
    pub fn set_do_not_disturb(&self, on: bool) {
        let _ = self.cmds.send(Cmd::SetDnd(on));
    }

    /// Publishes our presence (Available, Busy, Do Not Disturb…) on every
    /// registered account, and on accounts as they register.
    pub fn set_presence(&self, status: Presence) {
        let _ = self.cmds.send(Cmd::SetPresence(status));
    }

    /// Marks a conversation read; the senders get read receipts (IMDN
    /// "displayed"). Returns how many messages were newly read.
    pub async fn mark_read(&self, conversation: i64) -> Result<u32, EngineError> {
        self.ask(|reply| Cmd::MarkRead {
            conversation,
            reply,
        })
        .await?
    }

    /// The calls in progress.
    pub async fn calls(&self) -> Result<Vec<CallInfo>, EngineError> {
        self.ask(|reply| Cmd::Calls { reply }).await
    }

    /// Unregisters every account (waiting up to a few seconds for the
    /// registrars) and stops the engine.
    pub async fn shutdown(&self) -> Result<(), EngineError> {
        self.ask(|reply| Cmd::Shutdown { reply }).await
    }
}
