//! Flags shared by every command that runs the engine: the account and its
//! server, the local transport, and the audio of calls.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use handset_engine::{
    AccountConfig, Engine, EngineConfig, MediaSettings, SrtpPolicy, TransportChoice,
};
use handset_media::device::{AudioBackend, NullBackend, WavBackend};

/// The account and how to reach its server.
#[derive(Args, Debug, Clone)]
pub struct AccountArgs {
    /// Extension / user part of the address of record.
    #[arg(long)]
    pub user: String,
    /// Domain of the address of record (defaults to the server's host, or
    /// the bind address without a server).
    #[arg(long)]
    pub domain: Option<String>,
    /// Registrar or outbound proxy, host[:port]. Without a port, DNS (NAPTR/SRV) picks it.
    #[arg(long)]
    pub server: Option<String>,
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
    /// Local SIP address to bind, ip:port (port 0: any).
    #[arg(long, default_value = "0.0.0.0:0")]
    pub bind: SocketAddr,
    /// Give up after this many seconds without a registration.
    #[arg(long, default_value_t = 20)]
    pub timeout: u64,
    /// Seconds between binding checks while registered.
    #[arg(long, default_value_t = 30)]
    pub keepalive: u32,
    /// RFC 3261 T1 in milliseconds (retransmission base; Timer F is 64*T1).
    /// Lower it only on networks known to be fast.
    #[arg(long, default_value_t = 500)]
    pub t1: u64,
}

/// The audio of calls.
#[derive(Args, Debug, Clone, Default)]
pub struct MediaArgs {
    /// Play this WAV file as the microphone (any rate, mono or stereo).
    #[arg(long, value_name = "WAV")]
    pub play: Option<PathBuf>,
    /// Record what the other side sends to this WAV file.
    #[arg(long, value_name = "WAV")]
    pub record: Option<PathBuf>,
    /// Send back what is received (an echo test peer).
    #[arg(long)]
    pub echo: bool,
    /// Codecs in preference order, comma-separated: opus, g722, pcmu, pcma.
    #[arg(long, value_delimiter = ',', default_value = "opus,g722,pcmu,pcma")]
    pub codec: Vec<String>,
    /// SRTP: off, optional (offer keys, accept plain RTP) or mandatory.
    #[arg(long, default_value = "optional")]
    pub srtp: String,
    /// Local RTP port range, e.g. 20000-20999.
    #[arg(long, value_name = "FROM-TO")]
    pub rtp_ports: Option<String>,
    /// Use the system's sound devices instead of files or silence.
    #[arg(long)]
    pub sound_card: bool,
    /// Noise suppression on the microphone.
    #[arg(long)]
    pub denoise: bool,
}

impl MediaArgs {
    /// The engine's media settings, or a usage error in words.
    pub fn settings(&self) -> Result<MediaSettings, String> {
        let srtp = match self.srtp.to_ascii_lowercase().as_str() {
            "off" | "no" => SrtpPolicy::Off,
            "optional" | "best-effort" => SrtpPolicy::Optional,
            "mandatory" | "required" | "on" => SrtpPolicy::Mandatory,
            other => return Err(format!("--srtp {other}: use off, optional or mandatory")),
        };
        let rtp_ports = match &self.rtp_ports {
            None => None,
            Some(r) => {
                let (a, b) = r
                    .split_once('-')
                    .ok_or_else(|| format!("--rtp-ports {r}: use FROM-TO"))?;
                let (a, b): (u16, u16) = (
                    a.trim()
                        .parse()
                        .map_err(|_| format!("--rtp-ports {r}: bad port"))?,
                    b.trim()
                        .parse()
                        .map_err(|_| format!("--rtp-ports {r}: bad port"))?,
                );
                if a > b || b - a < 1 {
                    return Err(format!(
                        "--rtp-ports {r}: need at least two ports, FROM < TO"
                    ));
                }
                Some(a..=b)
            }
        };
        if let Some(p) = &self.play {
            if !p.is_file() {
                return Err(format!("--play {}: no such file", p.display()));
            }
        }
        let backend: Arc<dyn AudioBackend> = if self.play.is_some() || self.record.is_some() {
            Arc::new(WavBackend::new(self.play.clone(), self.record.clone()))
        } else if self.sound_card {
            Arc::new(handset_media::device::CpalBackend::new())
        } else {
            Arc::new(NullBackend::new())
        };
        let s = MediaSettings {
            backend,
            input: None,
            output: None,
            echo: self.echo,
            noise_suppression: self.denoise,
            echo_cancellation: self.sound_card,
            codecs: self
                .codec
                .iter()
                .map(|c| c.trim().to_ascii_lowercase())
                .collect(),
            srtp,
            rtp_ports,
        };
        s.validate()?;
        Ok(s)
    }
}

/// An engine with one account, ready to use.
pub struct Started {
    /// The engine.
    pub engine: Engine,
    /// The account id.
    pub account: u32,
    /// `user@domain`, for messages.
    pub aor: String,
    /// Events from before the account was added, so its first registration
    /// state is never missed.
    pub events: tokio::sync::broadcast::Receiver<handset_engine::Event>,
}

impl AccountArgs {
    /// Starts an engine and adds the account (registering unless `register` is false).
    /// Errors are (exit code, message).
    pub async fn start(
        &self,
        media: MediaSettings,
        register: bool,
        hold_others_on_answer: bool,
    ) -> Result<Started, (i32, String)> {
        self.start_with_store(media, register, hold_others_on_answer, None)
            .await
    }

    /// [`AccountArgs::start`] with a database for messages.
    pub async fn start_with_store(
        &self,
        media: MediaSettings,
        register: bool,
        hold_others_on_answer: bool,
        store: Option<std::sync::Arc<handset_store::Store>>,
    ) -> Result<Started, (i32, String)> {
        let transport = TransportChoice::parse(&self.transport).ok_or_else(|| {
            (
                2,
                format!(
                    "unknown transport '{}': use udp, tcp, tls, ws or wss",
                    self.transport
                ),
            )
        })?;
        let password = match std::env::var(&self.password_env) {
            Ok(p) => p,
            Err(_) if !register => String::new(),
            Err(_) => {
                return Err((
                    2,
                    format!(
                        "set the password in the environment variable {}",
                        self.password_env
                    ),
                ))
            }
        };
        if register && self.server.is_none() {
            return Err((
                2,
                "--server is required to register (or use --no-register)".into(),
            ));
        }
        let domain = self.domain();
        let mut cfg = AccountConfig::new(&self.user, &domain);
        cfg.server = self.server.clone();
        cfg.auth_user = self.auth_user.clone();
        cfg.transport = transport;
        cfg.expires = self.expires;
        cfg.keepalive_secs = self.keepalive;
        cfg.register = register;
        let engine = Engine::start(EngineConfig {
            bind: self.bind,
            extra_ca: self.ca_file.clone(),
            dns_servers: self.dns_server.map(|d| vec![d]),
            t1: Duration::from_millis(self.t1.clamp(50, 5000)),
            media,
            hold_others_on_answer,
            store,
            ..EngineConfig::default()
        })
        .await
        .map_err(|e| (1, e.to_string()))?;
        let events = engine.subscribe();
        let account = engine
            .add_account(cfg, password)
            .await
            .map_err(|e| (2, e.to_string()))?;
        Ok(Started {
            engine,
            account,
            aor: format!("{}@{}", self.user, domain),
            events,
        })
    }

    /// [`AccountArgs::start_with_store`], then (when registering) waits for
    /// the registration. Failures are printed; `Err` is the exit code.
    pub async fn start_ready(
        &self,
        media: MediaSettings,
        register: bool,
        hold_others_on_answer: bool,
        store: Option<std::sync::Arc<handset_store::Store>>,
        printer: &super::calling::Printer,
    ) -> Result<Started, i32> {
        let mut started = self
            .start_with_store(media, register, hold_others_on_answer, store)
            .await
            .map_err(|(code, e)| {
                eprintln!("{e}");
                code
            })?;
        if register {
            let waited = super::calling::wait_registered(
                &mut started.events,
                started.account,
                Duration::from_secs(self.timeout),
                printer,
            )
            .await;
            if let Err((code, e)) = waited {
                eprintln!("{e}");
                let _ = started.engine.shutdown().await;
                return Err(code);
            }
        }
        Ok(started)
    }

    /// The account's domain as configured or implied.
    pub fn domain(&self) -> String {
        if let Some(d) = &self.domain {
            return d.clone();
        }
        match &self.server {
            Some(s) => host_of(s),
            None => match self.bind.ip() {
                ip if ip.is_unspecified() => "127.0.0.1".into(),
                ip => ip.to_string(),
            },
        }
    }
}

/// The host part of `host[:port]`, IPv6 brackets kept.
pub fn host_of(server: &str) -> String {
    match server.rsplit_once(':') {
        Some((h, p)) if p.parse::<u16>().is_ok() && (!h.contains(':') || h.ends_with(']')) => {
            h.to_string()
        }
        _ => server.to_string(),
    }
}
