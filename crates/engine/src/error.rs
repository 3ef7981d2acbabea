//! Engine errors.

/// What can go wrong when asking the engine for something.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    /// A setting is wrong; the text says which and how to fix it.
    #[error("invalid setting: {0}")]
    InvalidConfig(String),
    /// No such account.
    #[error("no account {0}")]
    NoAccount(u32),
    /// A socket could not be opened.
    #[error("cannot open transport: {0}")]
    Transport(String),
    /// What was dialled is not a number or SIP address.
    #[error("cannot call: {0}")]
    InvalidTarget(String),
    /// The account has no registrar binding to call through.
    #[error("account {0} is not registered")]
    NotRegistered(u32),
    /// No such call.
    #[error("no call {0}")]
    NoCall(u64),
    /// The call is not in a state that allows this.
    #[error("{0}")]
    CallState(String),
    /// Media could not be set up.
    #[error("media: {0}")]
    Media(String),
    /// The database refused.
    #[error("storage: {0}")]
    Store(String),
    /// The engine task is gone.
    #[error("the engine has stopped")]
    Stopped,
}
