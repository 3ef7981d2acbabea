//! `handset-cli register`: register one account, print the binding, and
//! unregister on exit.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use handset_engine::{AccountConfig, Engine, EngineConfig, Event, TransportChoice};

/// Flags of `register`.
#[derive(Args, Debug)]
pub struct RegisterArgs {
    /// Extension / user part of the address of record.
    #[arg(long)]
    pub user: String,
    /// Domain of the address of record (defaults to the server's host).
    #[arg(long)]
    pub domain: Option<String>,
    /// Registrar or outbound proxy, host[:port]. Without a port, DNS (NAPTR/SRV) picks it.
    #[arg(long)]
    pub server: String,
    /// Authentication user name if it differs from --user.
    #[arg(long)]
    pub auth_user: Option<String>,
    /// Name of the environment variable holding the password (never a flag:
    /// flags show up in process lists).
    #[arg(long, default_value = "HANDSET_PASSWORD")]
    pub password_env: String,
    /// udp, tcp, tls, ws or wss.
    #[arg(long, default_value = "udp")]
    pub transport: String,
    /// Requested binding lifetime in seconds.
    #[arg(long, default_value_t = 600)]
    pub expires: u32,
    /// Extra CA certificate (PEM) trusted for TLS, besides the system roots.
    #[arg(long)]
    pub ca_file: Vec<PathBuf>,
    /// DNS server to ask instead of the system's, ip:port.
    #[arg(long)]
    pub dns_server: Option<SocketAddr>,
    /// Local address to bind, ip:port (port 0: any).
    #[arg(long, default_value = "0.0.0.0:0")]
    pub bind: SocketAddr,
    /// Give up after this many seconds without a registration.
    #[arg(long, default_value_t = 20)]
    pub timeout: u64,
    /// Stay registered this many seconds (refreshing, re-registering after
    /// failures, printing every state change), then unregister.
    #[arg(long, default_value_t = 0)]
    pub duration: u64,
    /// Seconds between binding checks while registered.
    #[arg(long, default_value_t = 30)]
    pub keepalive: u32,
    /// Leave the binding in place on exit instead of unregistering.
    #[arg(long)]
    pub no_unregister: bool,
    /// Print state changes as JSON lines.
    #[arg(long)]
    pub json: bool,
    /// RFC 3261 T1 in milliseconds (retransmission base; Timer F is 64*T1).
    /// Lower it only on networks known to be fast.
    #[arg(long, default_value_t = 500)]
    pub t1: u64,
}

/// Runs the command; returns the exit code.
pub async fn run(args: RegisterArgs) -> i32 {
    let Some(transport) = TransportChoice::parse(&args.transport) else {
        eprintln!(
            "unknown transport '{}': use udp, tcp, tls, ws or wss",
            args.transport
        );
        return 2;
    };
    let password = match std::env::var(&args.password_env) {
        Ok(p) => p,
        Err(_) => {
            eprintln!(
                "set the password in the environment variable {}",
                args.password_env
            );
            return 2;
        }
    };
    let host = args
        .server
        .rsplit_once(':')
        .filter(|(h, p)| !h.ends_with(']') || p.parse::<u16>().is_ok());
    let server_host = match host {
        Some((h, p)) if p.parse::<u16>().is_ok() => h.to_string(),
        _ => args.server.clone(),
    };
    let mut cfg = AccountConfig::new(&args.user, args.domain.as_deref().unwrap_or(&server_host));
    cfg.server = Some(args.server.clone());
    cfg.auth_user = args.auth_user.clone();
    cfg.transport = transport;
    cfg.expires = args.expires;
    cfg.keepalive_secs = args.keepalive;

    let engine = match Engine::start(EngineConfig {
        bind: args.bind,
        extra_ca: args.ca_file.clone(),
        dns_servers: args.dns_server.map(|d| vec![d]),
        t1: Duration::from_millis(args.t1.clamp(50, 5000)),
        ..EngineConfig::default()
    })
    .await
    {
        Ok(e) => e,
        Err(e) => {
            eprintln!("{e}");
            return 1;
        }
    };
    let mut events = engine.subscribe();
    let id = match engine.add_account(cfg, password).await {
        Ok(id) => id,
        Err(e) => {
            eprintln!("{e}");
            return 2;
        }
    };

    let deadline = tokio::time::Instant::now() + Duration::from_secs(args.timeout);
    let mut registered = false;
    let mut last_transport_error: Option<String> = None;
    let code = loop {
        let ev = tokio::select! {
            ev = events.recv() => ev,
            _ = tokio::time::sleep_until(deadline), if !registered => {
                let why = last_transport_error.clone().unwrap_or_else(|| "no answer from the registrar".into());
                eprintln!("registration timed out after {} s: {why}", args.timeout);
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
                            args.user,
                            args.domain.as_deref().unwrap_or(&server_host),
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
