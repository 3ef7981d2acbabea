//! Handset's engine: the only place where SIP, media, storage and providers
//! meet. One command/event API serves the desktop app, the CLI and tests.
//!
//! [`Engine::start`] spawns the engine task on the current tokio runtime. It
//! drives the sans-io SIP core (`handset-sip`) with the sockets of
//! `handset-transport`; commands go in through [`Engine`]'s methods and
//! [`Event`]s come out on a broadcast channel.

mod config;
mod error;
mod event;
mod runtime;
mod sender;
mod targets;

pub use config::{AccountConfig, EngineConfig, TransportChoice};
pub use error::EngineError;
pub use event::{AccountId, Event, RegistrationInfo};

use tokio::sync::{broadcast, mpsc, oneshot};

use runtime::Cmd;

/// A handle on the running engine. Cloning it gives another handle on the same engine.
#[derive(Clone)]
pub struct Engine {
    cmds: mpsc::UnboundedSender<Cmd>,
    events: broadcast::Sender<Event>,
}

impl Engine {
    /// Binds the transports and starts the engine task.
    pub async fn start(cfg: EngineConfig) -> Result<Engine, EngineError> {
        let (events, _) = broadcast::channel(1024);
        let cmds = runtime::spawn(cfg, events.clone()).await?;
        Ok(Engine { cmds, events })
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

    /// Unregisters every account (waiting up to a few seconds for the
    /// registrars) and stops the engine.
    pub async fn shutdown(&self) -> Result<(), EngineError> {
        self.ask(|reply| Cmd::Shutdown { reply }).await
    }
}
