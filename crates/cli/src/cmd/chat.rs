//! `handset-cli chat`: send and receive chat messages through the engine's
//! outbox, kept in a database file so nothing is lost across restarts.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Subcommand};
use handset_engine::Event;
use handset_store::Store;
use tokio::time::Instant;

use super::account::{AccountArgs, MediaArgs};
use super::calling::Printer;

/// Flags of `chat`.
#[derive(Args, Debug)]
pub struct ChatArgs {
    #[command(flatten)]
    pub account: AccountArgs,
    /// The database file holding conversations and the outbox (created if missing).
    #[arg(long)]
    pub db: PathBuf,
    /// Give up after this many seconds (0: no limit).
    #[arg(long, default_value_t = 30)]
    pub wait: u64,
    #[command(subcommand)]
    pub action: ChatAction,
}

/// What `chat` does.
#[derive(Subcommand, Debug)]
pub enum ChatAction {
    /// Send TEXT to TO (an extension, number or SIP address); with --repeat N,
    /// N messages "TEXT 1" … "TEXT N". Exits when all were accepted by the network.
    Send {
        /// Recipient.
        to: String,
        /// Text.
        text: String,
        /// Send this many numbered messages.
        #[arg(long, default_value_t = 1)]
        repeat: u32,
    },
    /// Send what is still in the outbox (after a crash), then exit.
    Flush,
    /// Print received messages as JSON lines; exit after --count of them (0: never).
    Listen {
        /// How many messages to wait for.
        #[arg(long, default_value_t = 1)]
        count: u32,
    },
}

/// Runs the command; returns the exit code.
pub async fn run(args: ChatArgs) -> i32 {
    let store = match Store::open(&args.db) {
        Ok(s) => Arc::new(s),
        Err(e) => {
            eprintln!("cannot open {}: {e}", args.db.display());
            return 1;
        }
    };
    let printer = Printer { json: true };
    let started = match args
        .account
        .start_ready(
            MediaArgs::default().settings().unwrap_or_default(),
            true,
            true,
            Some(store.clone()),
            &printer,
        )
        .await
    {
        Ok(s) => s,
        Err(code) => return code,
    };
    let engine = started.engine;
    let mut events = started.events;
    let deadline = (args.wait > 0).then(|| Instant::now() + Duration::from_secs(args.wait));
    let mut waiting: std::collections::HashSet<String> = Default::default();
    let mut want_received = 0u32;
    match &args.action {
        ChatAction::Send { to, text, repeat } => {
            for i in 1..=*repeat {
                let body = if *repeat == 1 {
                    text.clone()
                } else {
                    format!("{text} {i}")
                };
                match engine.send_message(started.account, to, &body).await {
                    Ok(m) => {
                        waiting.insert(m.message_id);
                    }
                    Err(e) => {
                        eprintln!("{e}");
                        let _ = engine.shutdown().await;
                        return 2;
                    }
                }
            }
            // every message is on disk from here on
            println!("{}", serde_json::json!({"type": "queued", "count": repeat}));
        }
        ChatAction::Flush => match store.due_outbox(i64::MAX, 1_000_000) {
            Ok(pending) => waiting.extend(pending.into_iter().map(|m| m.message_id)),
            Err(e) => {
                eprintln!("{e}");
                return 1;
            }
        },
        ChatAction::Listen { count } => want_received = *count,
    }
    let mut received = 0u32;
    let code = loop {
        let listening = matches!(args.action, ChatAction::Listen { .. });
        if !listening && waiting.is_empty() {
            break 0;
        }
        if listening && want_received > 0 && received >= want_received {
            break 0;
        }
        let ev = tokio::select! {
            ev = events.recv() => ev,
            _ = async { match deadline { Some(d) => tokio::time::sleep_until(d).await, None => std::future::pending().await } } => {
                eprintln!("timed out: {} message(s) still pending", waiting.len());
                break 3;
            }
        };
        let Ok(ev) = ev else { continue };
        match &ev {
            Event::MessageReceived { message } => {
                received += 1;
                printer.event(&ev);
                let _ = message;
            }
            Event::MessageStatus {
                message_id,
                status,
                reason,
            } => {
                if status == "failed" {
                    eprintln!(
                        "message {message_id} failed: {}",
                        reason.as_deref().unwrap_or("?")
                    );
                }
                if status != "pending" {
                    waiting.remove(message_id);
                }
            }
            _ => {}
        }
    };
    let _ = engine.shutdown().await;
    code
}
