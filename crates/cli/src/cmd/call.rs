//! `handset-cli call <target>`: place one call, follow the script, hang up,
//! print what happened.

use std::time::Duration;

use clap::Args;
use handset_engine::{CallPhase, CallRequest, Event};

use super::account::{AccountArgs, MediaArgs};
use super::calling::{drive, Printer, ScriptArgs};

/// Flags of `call`.
#[derive(Args, Debug)]
pub struct CallArgs {
    /// Who to call: an extension, a number, user@host, or a sip:/tel: URI.
    pub target: String,
    #[command(flatten)]
    pub account: AccountArgs,
    /// Call directly without registering (the target's host, or --server as
    /// outbound proxy, receives the INVITE).
    #[arg(long)]
    pub no_register: bool,
    /// Give up if nobody answers within this many seconds.
    #[arg(long, default_value_t = 60)]
    pub ring_timeout: u64,
    #[command(flatten)]
    pub media: MediaArgs,
    #[command(flatten)]
    pub script: ScriptArgs,
}

/// Runs the command; returns the exit code.
pub async fn run(args: CallArgs) -> i32 {
    let media = match args.media.settings() {
        Ok(m) => m,
        Err(e) => {
            eprintln!("{e}");
            return 2;
        }
    };
    let printer = Printer {
        json: args.script.json,
    };
    let started = match args
        .account
        .start_ready(media, !args.no_register, true, None, &printer)
        .await
    {
        Ok(s) => s,
        Err(code) => return code,
    };
    let engine = started.engine;
    let mut events = started.events;
    let call = match engine
        .call(CallRequest {
            account: started.account,
            target: args.target.clone(),
        })
        .await
    {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            let _ = engine.shutdown().await;
            return 2;
        }
    };
    let first = engine
        .calls()
        .await
        .ok()
        .and_then(|l| l.into_iter().find(|c| c.id == call));
    if let Some(info) = &first {
        if printer.json {
            printer.event(&Event::Call { info: info.clone() });
        } else {
            println!("calling {}", info.remote_uri);
        }
    }
    let ring = Some(Duration::from_secs(args.ring_timeout.max(1)));
    let out = drive(
        &engine,
        &mut events,
        call,
        &args.script,
        &printer,
        first.filter(|i| i.phase != CallPhase::Ended),
        ring,
    )
    .await;
    let _ = engine.shutdown().await;
    if !out.dtmf.is_empty() && !printer.json {
        println!("dtmf received: {}", out.dtmf);
    }
    out.exit_code()
}
