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
    /// The engine task is gone.
    #[error("the engine has stopped")]
    Stopped,
}
