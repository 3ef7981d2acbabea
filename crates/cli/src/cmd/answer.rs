//! `handset-cli answer`: wait for calls and answer them (or decline them),
//! following the same script as `call`.

use std::time::Duration;

use clap::Args;
use handset_engine::{Engine, Event};
use tokio::sync::broadcast;

use super::account::{AccountArgs, MediaArgs};
use super::calling::{drive, Printer, ScriptArgs, EXIT_NOT_CONNECTED};

/// Flags of `answer`.
#[derive(Args, Debug)]
pub struct AnswerArgs {
    #[command(flatten)]
    pub account: AccountArgs,
    /// Don't register: take calls sent straight to --bind.
    #[arg(long)]
    pub no_register: bool,
    /// How many calls to take before exiting (0: keep answering until interrupted).
    #[arg(long, default_value_t = 1)]
    pub count: u32,
    /// Give up if no call arrives within this many seconds (0: wait forever).
    #[arg(long, default_value_t = 60)]
    pub wait: u64,
    /// Let it ring this many seconds before answering.
    #[arg(long, default_value_t = 0.0)]
    pub ring: f64,
    /// Reject instead of answering, with this status (486 busy, 603 decline).
    #[arg(long)]
    pub decline: Option<u16>,
    #[command(flatten)]
    pub media: MediaArgs,
    #[command(flatten)]
    pub script: ScriptArgs,
}

/// Runs the command; returns the exit code.
pub async fn run(args: AnswerArgs) -> i32 {
    let media = match args.media.settings() {
        Ok(m) => m,
        Err(e) => {
            eprintln!("{e}");
            return 2;
        }
    };
    // a server taking many calls keeps them all live rather than holding them
    let hold_others = args.count == 1;
    let printer = Printer {
        json: args.script.json,
    };
    let started = match args
        .account
        .start_ready(media, !args.no_register, hold_others, None, &printer)
        .await
    {
        Ok(s) => s,
        Err(code) => return code,
    };
    let engine = started.engine;
    let mut events = started.events;
    if !args.no_register {
        if !printer.json {
            println!("registered {}", started.aor);
        }
    } else if !printer.json {
        println!("listening as {}", started.aor);
    }
    let code = serve(&engine, &mut events, &args, &printer).await;
    let _ = engine.shutdown().await;
    code
}

/// Answers calls one after another (several at once when --count is not 1).
pub async fn serve(
    engine: &Engine,
    events: &mut broadcast::Receiver<Event>,
    args: &AnswerArgs,
    printer: &Printer,
) -> i32 {
    if args.count != 1 {
        return serve_many(engine, events, args, printer).await;
    }
    let wait = (args.wait > 0).then(|| Duration::from_secs(args.wait));
    let Some(info) = next_incoming(events, wait, printer).await else {
        eprintln!("no call arrived within {} s", args.wait);
        return EXIT_NOT_CONNECTED;
    };
    printer.event(&Event::IncomingCall { info: info.clone() });
    if args.ring > 0.0 {
        tokio::time::sleep(Duration::from_secs_f64(args.ring.min(3600.0))).await;
    }
    if let Some(status) = args.decline {
        if let Err(e) = engine.decline(info.id, status).await {
            eprintln!("{e}");
            return 1;
        }
        if !printer.json {
            println!("declined with {status}");
        }
        return 0;
    }
    if let Err(e) = engine.answer(info.id).await {
        eprintln!("answer: {e}");
        return 1;
    }
    let out = drive(
        engine,
        events,
        info.id,
        &args.script,
        printer,
        Some(info),
        None,
    )
    .await;
    if !out.dtmf.is_empty() && !printer.json {
        println!("dtmf received: {}", out.dtmf);
    }
    out.exit_code()
}

/// Keeps answering: every call is answered at once and ends when the caller hangs up
/// (or after --duration); used as an echo peer.
async fn serve_many(
    engine: &Engine,
    events: &mut broadcast::Receiver<Event>,
    args: &AnswerArgs,
    printer: &Printer,
) -> i32 {
    let mut taken = 0u32;
    loop {
        let ev = tokio::select! {
            ev = events.recv() => ev,
            _ = tokio::signal::ctrl_c() => return 0,
        };
        let ev = match ev {
            Ok(ev) => ev,
            Err(broadcast::error::RecvError::Lagged(_)) => continue,
            Err(_) => return 1,
        };
        printer.event(&ev);
        match ev {
            Event::IncomingCall { info } => {
                if let Some(status) = args.decline {
                    let _ = engine.decline(info.id, status).await;
                } else if let Err(e) = engine.answer(info.id).await {
                    eprintln!("answer: {e}");
                }
                if args.script.duration > 0.0 {
                    let e = engine.clone();
                    let after = Duration::from_secs_f64(args.script.duration.min(86_400.0));
                    tokio::spawn(async move {
                        tokio::time::sleep(after).await;
                        let _ = e.hangup(info.id).await;
                    });
                }
            }
            Event::Call { info } => {
                printer.change(None, &info);
                if info.phase == handset_engine::CallPhase::Ended {
                    taken += 1;
                    if args.count != 0 && taken >= args.count {
                        return 0;
                    }
                }
            }
            _ => {}
        }
    }
}

async fn next_incoming(
    events: &mut broadcast::Receiver<Event>,
    wait: Option<Duration>,
    printer: &Printer,
) -> Option<handset_engine::CallInfo> {
    let deadline = wait.map(|w| tokio::time::Instant::now() + w);
    loop {
        let ev = tokio::select! {
            ev = events.recv() => ev,
            _ = async {
                match deadline {
                    Some(d) => tokio::time::sleep_until(d).await,
                    None => std::future::pending().await,
                }
            } => return None,
        };
        match ev {
            Ok(Event::IncomingCall { info }) => return Some(info),
            Ok(other) if printer.json => printer.event(&other),
            Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
            Err(_) => return None,
        }
    }
}
