//! `handset-cli register`: register one account, print the binding, and
//! unregister on exit.

use std::time::Duration;

use clap::Args;
use handset_engine::Event;

use super::account::{host_of, AccountArgs, MediaArgs};

/// Flags of `register`.
#[derive(Args, Debug)]
pub struct RegisterArgs {
    #[command(flatten)]
    pub account: AccountArgs,
    /// Stay registered this many seconds (refreshing, re-registering after
    /// failures, printing every state change), then unregister.
    #[arg(long, default_value_t = 0)]
    pub duration: u64,
    /// Leave the binding in place on exit instead of unregistering.
    #[arg(long)]
    pub no_unregister: bool,
    /// Print state changes as JSON lines.
    #[arg(long)]
    pub json: bool,
    /// Answer every incoming call while registered (with --echo: an echo test peer).
    #[arg(long)]
    pub auto_answer: bool,
    #[command(flatten)]
    pub media: MediaArgs,
}

/// Runs the command; returns the exit code.
pub async fn run(args: RegisterArgs) -> i32 {
    let media = match args.media.settings() {
        Ok(m) => m,
        Err(e) => {
            eprintln!("{e}");
            return 2;
        }
    };
    let started = match args.account.start(media, true, !args.auto_answer).await {
        Ok(s) => s,
        Err((code, e)) => {
            eprintln!("{e}");
            return code;
        }
    };
    let engine = started.engine;
    let id = started.account;
    let server_host = host_of(args.account.server.as_deref().unwrap_or_default());
    let domain = args.account.domain.clone().unwrap_or(server_host.clone());
    let mut events = started.events;
    if args.auto_answer {
        let e = engine.clone();
        let mut rx = engine.subscribe();
        tokio::spawn(async move {
            while let Ok(ev) = rx.recv().await {
                if let Event::IncomingCall { info } = ev {
                    if let Err(err) = e.answer(info.id).await {
                        eprintln!("answer: {err}");
                    }
                }
            }
        });
    }

    let deadline = tokio::time::Instant::now() + Duration::from_secs(args.account.timeout);
    let mut registered = false;
    let mut last_transport_error: Option<String> = None;
    let code = loop {
        let ev = tokio::select! {
            ev = events.recv() => ev,
            _ = tokio::time::sleep_until(deadline), if !registered => {
                let why = last_transport_error.clone().unwrap_or_else(|| "no answer from the registrar".into());
                eprintln!("registration timed out after {} s: {why}", args.account.timeout);
                break 1;
            }
            _ = tokio::time::sleep(Duration::from_secs(args.duration)), if registered => break 0,
            _ = tokio::signal::ctrl_c() => break if registered { 0 } else { 1 },
        };
        let Ok(ev) = ev else { continue };
        if args.json {
            println!("{}", serde_json::to_string(&ev).unwrap_or_default());
        }
        match ev {
            Event::Registration { account, info } if account == id => match info.state.as_str() {
                "registered" => {
                    if !args.json {
                        println!(
                            "registered {}@{} contact {} expires {} s via {}",
                            args.account.user,
                            domain,
                            info.contact.as_deref().unwrap_or("?"),
                            info.expires.unwrap_or(0),
                            info.server.as_deref().unwrap_or("?"),
                        );
                    }
                    if !registered && args.duration == 0 {
                        break 0;
                    }
                    registered = true;
                }
                "failed" => {
                    eprintln!(
                        "{}",
                        info.reason.unwrap_or_else(|| "registration failed".into())
                    );
                    break 1;
                }
                other => {
                    if !args.json && registered {
                        println!(
                            "{other}{}",
                            info.reason.map(|r| format!(": {r}")).unwrap_or_default()
                        );
                    }
                }
            },
            Event::TransportError { target, reason } => {
                if reason.contains("certificate") || reason.contains("TLS") {
                    eprintln!("{reason}");
                    if !registered {
                        break 1;
                    }
                }
                last_transport_error = Some(format!("{target}: {reason}"));
            }
            _ => {}
        }
    };
    if !args.no_unregister {
        let _ = engine.shutdown().await;
    }
    code
}
