//! One module per subcommand, and the pieces they share.

pub mod account;
pub mod answer;
pub mod call;
pub mod calling;
pub mod chat;
pub mod parse;
pub mod phone;
pub mod register;
