//! RFC 3263: from a SIP URI to the ordered list of transports, addresses and
//! ports to try, through NAPTR, SRV and A/AAAA records.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use handset_sip::message::{Host, SipScheme, SipUri};
use hickory_resolver::config::{NameServerConfig, ResolverConfig as HickoryConfig, ResolverOpts};
use hickory_resolver::name_server::TokioConnectionProvider;
use hickory_resolver::proto::rr::{RData, RecordType};
use hickory_resolver::proto::xfer::Protocol;
use hickory_resolver::TokioResolver;
use rand::Rng;

use crate::kind::{Target, TransportKind};

/// Resolver settings.
#[derive(Debug, Clone)]
pub struct ResolverConfig {
    /// Servers to ask instead of the system's (`/etc/resolv.conf`).
    pub nameservers: Option<Vec<SocketAddr>>,
    /// Per-query timeout.
    pub timeout: Duration,
}

impl Default for ResolverConfig {
    fn default() -> Self {
        ResolverConfig {
            nameservers: None,
            timeout: Duration::from_secs(3),
        }
    }
}

/// Why no target was found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    /// The name does not exist or has no usable records.
    #[error("'{0}' does not resolve to any address")]
    NotFound(String),
    /// The DNS servers could not be asked.
    #[error("DNS lookup of '{name}' failed: {reason}")]
    Lookup {
        /// Name looked up.
        name: String,
        /// Why.
        reason: String,
    },
    /// The resolver could not be set up.
    #[error("DNS resolver unavailable: {0}")]
    Setup(String),
}

/// One SRV record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SrvRecord {
    /// Lower is tried first.
    pub priority: u16,
    /// Relative share among equal priorities.
    pub weight: u16,
    /// Port.
    pub port: u16,
    /// Host name.
    pub target: String,
}

/// Orders SRV records as RFC 2782 says: by priority, and within a priority by
/// a weighted random draw (`draw(total)` returns a number in `0..=total`).
pub fn order_srv(mut records: Vec<SrvRecord>, mut draw: impl FnMut(u32) -> u32) -> Vec<SrvRecord> {
    records.retain(|r| r.target != "." && !r.target.is_empty());
    records.sort_by_key(|r| r.priority);
    let mut out = Vec::with_capacity(records.len());
    while !records.is_empty() {
        let prio = records[0].priority;
        let mut group: Vec<SrvRecord> = Vec::new();
        while records.first().is_some_and(|r| r.priority == prio) {
            group.push(records.remove(0));
        }
        // zero weights first, so they have a small chance when others exist (RFC 2782)
        group.sort_by_key(|r| r.weight != 0);
        while !group.is_empty() {
            let total: u32 = group.iter().map(|r| r.weight as u32).sum();
            let pick = draw(total);
            let mut running = 0u32;
            let idx = group
                .iter()
                .position(|r| {
                    running += r.weight as u32;
                    running >= pick
                })
                .unwrap_or(0);
            out.push(group.remove(idx));
        }
    }
    out
}

fn srv_name(kind: TransportKind, host: &str) -> String {
    let svc = match kind {
        TransportKind::Udp => "_sip._udp",
        TransportKind::Tcp => "_sip._tcp",
        TransportKind::Tls => "_sips._tcp",
        TransportKind::Ws => "_sip._ws",
        TransportKind::Wss => "_sips._ws",
    };
    format!("{svc}.{host}")
}

fn naptr_kind(service: &str) -> Option<TransportKind> {
    Some(match service.to_ascii_uppercase().as_str() {
        "SIP+D2U" => TransportKind::Udp,
        "SIP+D2T" => TransportKind::Tcp,
        "SIPS+D2T" => TransportKind::Tls,
        "SIP+D2W" => TransportKind::Ws,
        "SIPS+D2W" => TransportKind::Wss,
        _ => return None,
    })
}

/// The transport a URI names: `;transport=`, and `sips:` meaning TLS.
pub fn uri_transport(uri: &SipUri) -> Option<TransportKind> {
    let secure = uri.scheme == SipScheme::Sips;
    match uri.transport().as_deref() {
        Some("udp") => Some(TransportKind::Udp),
        Some("tcp") if secure => Some(TransportKind::Tls),
        Some("tcp") => Some(TransportKind::Tcp),
        Some("tls") => Some(TransportKind::Tls),
        Some("ws") if secure => Some(TransportKind::Wss),
        Some("ws") => Some(TransportKind::Ws),
        Some("wss") => Some(TransportKind::Wss),
        _ if secure => Some(TransportKind::Tls),
        _ => None,
    }
}

/// An RFC 3263 resolver.
pub struct Resolver {
    inner: TokioResolver,
}

impl Resolver {
    /// A resolver using the given servers, or the system's.
    pub fn new(cfg: ResolverConfig) -> Result<Resolver, ResolveError> {
        let mut opts = ResolverOpts::default();
        opts.timeout = cfg.timeout;
        opts.attempts = 2;
        let builder = match &cfg.nameservers {
            Some(servers) => {
                let mut hc = HickoryConfig::new();
                for s in servers {
                    hc.add_name_server(NameServerConfig::new(*s, Protocol::Udp));
                    hc.add_name_server(NameServerConfig::new(*s, Protocol::Tcp));
                }
                TokioResolver::builder_with_config(hc, TokioConnectionProvider::default())
            }
            None => {
                TokioResolver::builder_tokio().map_err(|e| ResolveError::Setup(e.to_string()))?
            }
        };
        let mut builder = builder;
        *builder.options_mut() = opts;
        Ok(Resolver {
            inner: builder.build(),
        })
    }

    /// Targets for `uri` in the order to try them. `preferred` is the
    /// transport the account asked for when the URI names none.
    pub async fn resolve(
        &self,
        uri: &SipUri,
        preferred: Option<TransportKind>,
    ) -> Result<Vec<Target>, ResolveError> {
        let kind = uri_transport(uri).or(preferred);
        let domain = match &uri.host {
            Host::Name(n) => n.trim_end_matches('.').to_string(),
            h => h.to_string(),
        };
        let with_name = |t: Vec<(TransportKind, SocketAddr)>| -> Vec<Target> {
            t.into_iter()
                .map(|(k, a)| Target {
                    kind: k,
                    addr: a,
                    server_name: Some(domain.clone()),
                    ws_path: None,
                })
                .collect()
        };
        if let Some(ip) = uri.host.ip() {
            let k = kind.unwrap_or(TransportKind::Udp);
            return Ok(with_name(vec![(
                k,
                SocketAddr::new(ip, uri.port.unwrap_or(k.default_port())),
            )]));
        }
        if let Some(port) = uri.port {
            let k = kind.unwrap_or(TransportKind::Udp);
            let ips = self.addresses(&domain).await?;
            return Ok(with_name(
                ips.into_iter()
                    .map(|ip| (k, SocketAddr::new(ip, port)))
                    .collect(),
            ));
        }
        // which transports, and which SRV names, to try
        let mut plan: Vec<(TransportKind, String)> = Vec::new();
        if kind.is_none() {
            plan = self.naptr(&domain, uri.scheme == SipScheme::Sips).await?;
        }
        if plan.is_empty() {
            let kinds = match kind {
                Some(k) => vec![k],
                None => vec![TransportKind::Udp, TransportKind::Tcp, TransportKind::Tls],
            };
            plan = kinds
                .into_iter()
                .map(|k| (k, srv_name(k, &domain)))
                .collect();
        }
        let mut out = Vec::new();
        for (k, name) in &plan {
            for srv in self.srv(name).await? {
                match self.addresses(&srv.target).await {
                    Ok(ips) => out.extend(
                        ips.into_iter()
                            .map(|ip| (*k, SocketAddr::new(ip, srv.port))),
                    ),
                    Err(e) => {
                        tracing::debug!(target = %srv.target, error = %e, "SRV target does not resolve")
                    }
                }
            }
        }
        if out.is_empty() {
            // no SRV: the host itself on the default port (RFC 3263 4.2)
            let k = kind.unwrap_or(TransportKind::Udp);
            let ips = self.addresses(&domain).await?;
            out = ips
                .into_iter()
                .map(|ip| (k, SocketAddr::new(ip, k.default_port())))
                .collect();
        }
        if out.is_empty() {
            return Err(ResolveError::NotFound(domain));
        }
        Ok(with_name(out))
    }

    async fn naptr(
        &self,
        domain: &str,
        secure: bool,
    ) -> Result<Vec<(TransportKind, String)>, ResolveError> {
        let lookup = match self
            .inner
            .lookup(format!("{domain}."), RecordType::NAPTR)
            .await
        {
            Ok(l) => l,
            Err(e) if e.is_no_records_found() || e.is_nx_domain() => return Ok(Vec::new()),
            Err(e) => {
                return Err(ResolveError::Lookup {
                    name: domain.into(),
                    reason: e.to_string(),
                })
            }
        };
        let mut recs: Vec<(u16, u16, TransportKind, String)> = lookup
            .iter()
            .filter_map(|r| match r {
                RData::NAPTR(n) => {
                    let flags = String::from_utf8_lossy(n.flags()).to_ascii_lowercase();
                    let kind = naptr_kind(&String::from_utf8_lossy(n.services()))?;
                    (flags == "s" && (!secure || kind.is_secure())).then(|| {
                        (
                            n.order(),
                            n.preference(),
                            kind,
                            n.replacement()
                                .to_string()
                                .trim_end_matches('.')
                                .to_string(),
                        )
                    })
                }
                _ => None,
            })
            .collect();
        recs.sort_by_key(|r| (r.0, r.1));
        Ok(recs.into_iter().map(|r| (r.2, r.3)).collect())
    }

    async fn srv(&self, name: &str) -> Result<Vec<SrvRecord>, ResolveError> {
        let lookup = match self.inner.srv_lookup(format!("{name}.")).await {
            Ok(l) => l,
            Err(e) if e.is_no_records_found() || e.is_nx_domain() => return Ok(Vec::new()),
            Err(e) => {
                return Err(ResolveError::Lookup {
                    name: name.into(),
                    reason: e.to_string(),
                })
            }
        };
        let recs = lookup
            .iter()
            .map(|s| SrvRecord {
                priority: s.priority(),
                weight: s.weight(),
                port: s.port(),
                target: s.target().to_string().trim_end_matches('.').to_string(),
            })
            .collect();
        let mut rng = rand::rng();
        Ok(order_srv(recs, |total| {
            if total == 0 {
                0
            } else {
                rng.random_range(0..=total)
            }
        }))
    }

    async fn addresses(&self, host: &str) -> Result<Vec<IpAddr>, ResolveError> {
        if let Ok(ip) = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
        {
            return Ok(vec![ip]);
        }
        match self.inner.lookup_ip(format!("{host}.")).await {
            Ok(l) => {
                let v: Vec<IpAddr> = l.iter().collect();
                if v.is_empty() {
                    Err(ResolveError::NotFound(host.into()))
                } else {
                    Ok(v)
                }
            }
            Err(e) if e.is_no_records_found() || e.is_nx_domain() => {
                Err(ResolveError::NotFound(host.into()))
            }
            Err(e) => Err(ResolveError::Lookup {
                name: host.into(),
                reason: e.to_string(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(p: u16, w: u16, t: &str) -> SrvRecord {
        SrvRecord {
            priority: p,
            weight: w,
            port: 5060,
            target: t.into(),
        }
    }

    #[test]
    fn priority_first_then_weight() {
        let recs = vec![
            rec(20, 0, "c"),
            rec(10, 60, "a"),
            rec(10, 40, "b"),
            rec(30, 0, "."),
        ];
        // draw the maximum: the last of the running sum wins first
        let out = order_srv(recs.clone(), |total| total);
        let names: Vec<&str> = out.iter().map(|r| r.target.as_str()).collect();
        assert_eq!(names, vec!["b", "a", "c"], "'.' means no service");
        let out = order_srv(recs, |_| 1);
        assert_eq!(out[0].target, "a");
    }

    #[test]
    fn weights_share_draws() {
        let mut rng = rand::rng();
        let mut first_a = 0;
        for _ in 0..2000 {
            let out = order_srv(vec![rec(10, 90, "a"), rec(10, 10, "b")], |t| {
                rng.random_range(0..=t)
            });
            if out[0].target == "a" {
                first_a += 1;
            }
        }
        assert!((1650..=1950).contains(&first_a), "about 90 %: {first_a}");
    }

    #[test]
    fn transports_named_by_uri() {
        let u = |s: &str| match handset_sip::message::Uri::parse(s).unwrap() {
            handset_sip::message::Uri::Sip(u) => u,
            _ => unreachable!(),
        };
        assert_eq!(uri_transport(&u("sip:a.example")), None);
        assert_eq!(
            uri_transport(&u("sips:a.example")),
            Some(TransportKind::Tls)
        );
        assert_eq!(
            uri_transport(&u("sip:a.example;transport=TCP")),
            Some(TransportKind::Tcp)
        );
        assert_eq!(
            uri_transport(&u("sips:a.example;transport=ws")),
            Some(TransportKind::Wss)
        );
        assert_eq!(naptr_kind("SIPS+D2T"), Some(TransportKind::Tls));
        assert_eq!(naptr_kind("E2U+sip"), None);
    }
}
