//! TLS settings with rustls: the system's roots plus configured CAs, and
//! certificate failures explained in words.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{CertificateError, ClientConfig, RootCertStore, ServerConfig};

use crate::TransportError;

/// Client-side TLS settings.
#[derive(Debug, Clone)]
pub struct TlsClientConfig {
    /// PEM files of extra CAs to trust (a company CA, a test CA).
    pub extra_ca_pem: Vec<PathBuf>,
    /// Trust the operating system's roots too.
    pub use_system_roots: bool,
}

impl Default for TlsClientConfig {
    fn default() -> Self {
        TlsClientConfig {
            extra_ca_pem: Vec::new(),
            use_system_roots: true,
        }
    }
}

/// A server certificate and key, for the optional TLS listener.
#[derive(Debug, Clone)]
pub struct TlsServerConfig {
    /// PEM certificate chain.
    pub cert_pem: PathBuf,
    /// PEM private key.
    pub key_pem: PathBuf,
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn read_certs(path: &PathBuf) -> Result<Vec<CertificateDer<'static>>, TransportError> {
    let data = std::fs::read(path).map_err(|e| {
        TransportError::Config(format!("cannot read CA file {}: {e}", path.display()))
    })?;
    let certs: Result<Vec<_>, _> = rustls_pemfile::certs(&mut data.as_slice()).collect();
    let certs =
        certs.map_err(|e| TransportError::Config(format!("{} is not PEM: {e}", path.display())))?;
    if certs.is_empty() {
        return Err(TransportError::Config(format!(
            "{} holds no certificate",
            path.display()
        )));
    }
    Ok(certs)
}

/// Builds the rustls client configuration.
pub fn client_config(cfg: &TlsClientConfig) -> Result<Arc<ClientConfig>, TransportError> {
    let mut roots = RootCertStore::empty();
    if cfg.use_system_roots {
        let native = rustls_native_certs::load_native_certs();
        for cert in native.certs {
            let _ = roots.add(cert);
        }
    }
    for path in &cfg.extra_ca_pem {
        for cert in read_certs(path)? {
            roots.add(cert).map_err(|e| {
                TransportError::Config(format!("CA in {} refused: {e}", path.display()))
            })?;
        }
    }
    let config = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| TransportError::Config(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// Builds the rustls server configuration for a listener.
pub fn server_config(cfg: &TlsServerConfig) -> Result<Arc<ServerConfig>, TransportError> {
    let certs = read_certs(&cfg.cert_pem)?;
    let key_data = std::fs::read(&cfg.key_pem).map_err(|e| {
        TransportError::Config(format!("cannot read key {}: {e}", cfg.key_pem.display()))
    })?;
    let key: PrivateKeyDer<'static> = rustls_pemfile::private_key(&mut key_data.as_slice())
        .map_err(|e| TransportError::Config(e.to_string()))?
        .ok_or_else(|| {
            TransportError::Config(format!("no private key in {}", cfg.key_pem.display()))
        })?;
    let config = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| TransportError::Config(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| TransportError::Config(e.to_string()))?;
    Ok(Arc::new(config))
}

/// The name to check the certificate against.
pub fn server_name(
    name: Option<&str>,
    addr: SocketAddr,
) -> Result<ServerName<'static>, TransportError> {
    match name {
        Some(n) => {
            let n = n.trim_start_matches('[').trim_end_matches(']');
            if let Ok(ip) = n.parse::<IpAddr>() {
                return Ok(ServerName::IpAddress(ip.into()));
            }
            ServerName::try_from(n.to_string()).map_err(|_| {
                TransportError::Config(format!("'{n}' is not a valid TLS server name"))
            })
        }
        None => Ok(ServerName::IpAddress(addr.ip().into())),
    }
}

/// Explains a handshake failure: certificate problems in plain words.
pub fn explain(addr: SocketAddr, name: &str, err: &std::io::Error) -> TransportError {
    let inner = err
        .get_ref()
        .and_then(|e| e.downcast_ref::<rustls::Error>());
    let reason = match inner {
        Some(rustls::Error::InvalidCertificate(c)) => match c {
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                format!("the server's TLS certificate is not valid for '{name}' (it was issued for another host)")
            }
            // a certificate whose signature does not verify against a trusted CA
            // of the same name is, to the user, signed by an unknown authority too
            CertificateError::UnknownIssuer | CertificateError::BadSignature => {
                "the server's TLS certificate is signed by an unknown authority (self-signed or a private CA that is not trusted; add its CA certificate)".into()
            }
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => "the server's TLS certificate has expired".into(),
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                "the server's TLS certificate is not valid yet (check the computer's clock)".into()
            }
            CertificateError::Revoked => "the server's TLS certificate has been revoked".into(),
            other => format!("the server's TLS certificate was refused ({other:?})"),
        },
        Some(other) => format!("{other}"),
        None => err.to_string(),
    };
    TransportError::Tls { addr, reason }
}
