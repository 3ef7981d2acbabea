//! `handset-cli phone`: an interactive softphone on stdin/stdout for scripts
//! and test harnesses. Commands come one per line on stdin; every engine
//! event goes to stdout as one JSON line; refused commands are reported on
//! stderr as `error: <command>: <reason>` and as a JSON `commandError` line.

use clap::Args;
use handset_engine::{CallId, CallPhase, CallRequest, Engine, Event};
use tokio::io::{AsyncBufReadExt, BufReader};

use super::account::{AccountArgs, MediaArgs};

/// Flags of `phone`.
#[derive(Args, Debug)]
pub struct PhoneArgs {
    #[command(flatten)]
    pub account: AccountArgs,
    /// Don't register: take calls sent straight to --bind and call directly.
    #[arg(long)]
    pub no_register: bool,
    /// Answer incoming calls at once.
    #[arg(long)]
    pub auto_answer: bool,
    #[command(flatten)]
    pub media: MediaArgs,
}

/// The commands `phone` reads, for --help and error messages.
pub const COMMANDS: &str = "dial <target> | answer | decline [status] | hangup | hold | resume | mute | unmute | dtmf <digits> | quit";

/// Runs the command; returns the exit code.
pub async fn run(args: PhoneArgs) -> i32 {
    let media = match args.media.settings() {
        Ok(m) => m,
        Err(e) => {
            eprintln!("{e}");
            return 2;
        }
    };
    let started = match args.account.start(media, !args.no_register, true).await {
        Ok(s) => s,
        Err((code, e)) => {
            eprintln!("{e}");
            return code;
        }
    };
    let engine = started.engine;
    let mut events = started.events;
    println!(
        "{}",
        serde_json::json!({"type": "ready", "aor": started.aor, "sip": engine.sip_addr().map(|a| a.to_string())})
    );
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    let mut current: Option<CallId> = None;
    loop {
        tokio::select! {
            ev = events.recv() => {
                let Ok(ev) = ev else { continue };
                println!("{}", serde_json::to_string(&ev).unwrap_or_default());
                match &ev {
                    Event::IncomingCall { info } => {
                        current = Some(info.id);
                        if args.auto_answer {
                            if let Err(e) = engine.answer(info.id).await {
                                refuse("answer", &e.to_string());
                            }
                        }
                    }
                    Event::Call { info } if info.phase == CallPhase::Ended && current == Some(info.id) => {
                        current = None;
                    }
                    _ => {}
                }
            }
            line = lines.next_line() => {
                let line = match line {
                    Ok(Some(l)) => l,
                    // stdin closed: the driver is gone
                    Ok(None) | Err(_) => break,
                };
                match command(&engine, started.account, &mut current, line.trim()).await {
                    Ok(true) => break,
                    Ok(false) => {}
                    Err(e) => refuse(line.trim(), &e),
                }
            }
            _ = tokio::signal::ctrl_c() => break,
        }
    }
    let _ = engine.shutdown().await;
    0
}

fn refuse(command: &str, reason: &str) {
    eprintln!("error: {command}: {reason}");
    println!(
        "{}",
        serde_json::json!({"type": "commandError", "command": command, "reason": reason})
    );
}

/// Carries out one line; `Ok(true)` means quit.
async fn command(
    engine: &Engine,
    account: u32,
    current: &mut Option<CallId>,
    line: &str,
) -> Result<bool, String> {
    let (word, rest) = line.split_once(' ').unwrap_or((line, ""));
    let rest = rest.trim();
    let call = || current.ok_or_else(|| "no call".to_string());
    let e = |r: Result<(), handset_engine::EngineError>| r.map_err(|e| e.to_string());
    match word {
        "" => {}
        "quit" | "exit" => return Ok(true),
        "dial" | "call" => {
            if rest.is_empty() {
                return Err("dial needs a target".into());
            }
            let id = engine
                .call(CallRequest {
                    account,
                    target: rest.to_string(),
                })
                .await
                .map_err(|e| e.to_string())?;
            *current = Some(id);
        }
        "answer" => e(engine.answer(call()?).await)?,
        "decline" => {
            let status = if rest.is_empty() {
                603
            } else {
                rest.parse()
                    .map_err(|_| format!("'{rest}' is not a status"))?
            };
            e(engine.decline(call()?, status).await)?
        }
        "hangup" => e(engine.hangup(call()?).await)?,
        "hold" => e(engine.hold(call()?, true).await)?,
        "resume" => e(engine.hold(call()?, false).await)?,
        "mute" => e(engine.mute(call()?, true).await)?,
        "unmute" => e(engine.mute(call()?, false).await)?,
        "dtmf" => e(engine.send_dtmf(call()?, rest).await)?,
        other => return Err(format!("unknown command '{other}'; use {COMMANDS}")),
    }
    Ok(false)
}
