//! A certificate authority made at test time (rcgen), and server certificates from it.
//!
//! ```no_run
//! let ca = handset_harness::TestCa::new();
//! let server = ca.issue_files(&["127.0.0.1", "localhost"]);
//! // give ca.ca_path() to the client as its only trust anchor,
//! // server.cert_path/key_path to the server
//! let wrong = ca.issue_wrong_host();          // valid chain, SAN wrong.example only
//! let rogue = handset_harness::TestCa::self_signed(&["127.0.0.1"]); // not from the CA
//! ```
//! Keys are ECDSA P-256 (PKCS#8 PEM), which OpenSSL (Kamailio, baresip) and rustls accept.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use tempfile::TempDir;

/// The SAN of certificates made by [`TestCa::issue_wrong_host`].
pub const WRONG_HOST: &str = "wrong.example";

/// A certificate and its private key, as PEM text and as files.
#[derive(Clone, Debug)]
pub struct IssuedCert {
    /// The certificate, PEM.
    pub cert_pem: String,
    /// The private key (PKCS#8), PEM.
    pub key_pem: String,
    /// File holding `cert_pem`.
    pub cert_path: PathBuf,
    /// File holding `key_pem`.
    pub key_path: PathBuf,
    /// Certificate followed by the CA certificate (empty CA part for self-signed), for
    /// servers that want the chain in one file.
    pub chain_path: PathBuf,
    /// Keeps the temp dir of a self-signed certificate alive.
    _dir: Option<std::sync::Arc<TempDir>>,
}

/// A CA created for one test run; its files live in a temp dir removed on drop.
pub struct TestCa {
    dir: TempDir,
    issuer: CertifiedIssuer<'static, KeyPair>,
    ca_pem: String,
    ca_path: PathBuf,
    counter: AtomicU32,
}

impl std::fmt::Debug for TestCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestCa")
            .field("ca_path", &self.ca_path)
            .finish()
    }
}

impl Default for TestCa {
    fn default() -> Self {
        Self::new()
    }
}

fn server_params(names: &[&str]) -> CertificateParams {
    let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    let mut params = CertificateParams::new(names.clone()).expect("valid SAN names");
    params.distinguished_name.push(
        DnType::CommonName,
        names.first().cloned().unwrap_or_default(),
    );
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    params.extended_key_usages = vec![
        ExtendedKeyUsagePurpose::ServerAuth,
        ExtendedKeyUsagePurpose::ClientAuth,
    ];
    params.not_before = rcgen::date_time_ymd(2020, 1, 1);
    params.not_after = rcgen::date_time_ymd(2099, 1, 1);
    params
}

fn write(dir: &Path, stem: &str, cert_pem: String, key_pem: String, ca_pem: &str) -> IssuedCert {
    let cert_path = dir.join(format!("{stem}.crt"));
    let key_path = dir.join(format!("{stem}.key"));
    let chain_path = dir.join(format!("{stem}-chain.crt"));
    fs::write(&cert_path, &cert_pem).expect("write cert");
    fs::write(&key_path, &key_pem).expect("write key");
    fs::write(&chain_path, format!("{cert_pem}{ca_pem}")).expect("write chain");
    IssuedCert {
        cert_pem,
        key_pem,
        cert_path,
        key_path,
        chain_path,
        _dir: None,
    }
}

impl TestCa {
    /// Makes a new CA ("Handset Test CA") and writes `ca.crt` into a new temp dir.
    pub fn new() -> TestCa {
        let dir = tempfile::Builder::new()
            .prefix("handset-ca-")
            .tempdir()
            .expect("temp dir for the test CA");
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        params
            .distinguished_name
            .push(DnType::CommonName, "Handset Test CA");
        params
            .distinguished_name
            .push(DnType::OrganizationName, "Handset tests");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        params.not_before = rcgen::date_time_ymd(2020, 1, 1);
        params.not_after = rcgen::date_time_ymd(2099, 1, 1);
        let key = KeyPair::generate().expect("CA key");
        let issuer = CertifiedIssuer::self_signed(params, key).expect("self-sign the CA");
        let ca_pem = issuer.pem();
        let ca_path = dir.path().join("ca.crt");
        fs::write(&ca_path, &ca_pem).expect("write ca.crt");
        TestCa {
            dir,
            issuer,
            ca_pem,
            ca_path,
            counter: AtomicU32::new(0),
        }
    }

    /// The CA certificate, PEM.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// The CA certificate, DER.
    pub fn ca_der(&self) -> Vec<u8> {
        self.issuer.der().to_vec()
    }

    /// Path of the CA certificate file (PEM).
    pub fn ca_path(&self) -> &Path {
        &self.ca_path
    }

    /// The temp dir holding the CA and issued files.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// A server certificate signed by this CA for `names` (IP addresses become IP SANs, the
    /// rest DNS SANs; the first is also the CN). Returns `(cert_pem, key_pem)`.
    pub fn issue(&self, names: &[&str]) -> (String, String) {
        let key = KeyPair::generate().expect("server key");
        let cert = server_params(names)
            .signed_by(&key, &self.issuer)
            .expect("sign server cert");
        (cert.pem(), key.serialize_pem())
    }

    /// Like [`issue`](Self::issue), also writing `server-N.crt`/`.key`/`-chain.crt` into
    /// [`dir`](Self::dir).
    pub fn issue_files(&self, names: &[&str]) -> IssuedCert {
        let (cert, key) = self.issue(names);
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        write(self.dir(), &format!("server-{n}"), cert, key, &self.ca_pem)
    }

    /// A certificate from this CA whose only SAN is [`WRONG_HOST`] ("wrong.example"): a
    /// client connecting to 127.0.0.1 or localhost must refuse it.
    pub fn issue_wrong_host(&self) -> IssuedCert {
        self.issue_files(&[WRONG_HOST])
    }

    /// A certificate from this CA for `names` that expired in 2001.
    pub fn issue_expired(&self, names: &[&str]) -> IssuedCert {
        let key = KeyPair::generate().expect("server key");
        let mut params = server_params(names);
        params.not_before = rcgen::date_time_ymd(2000, 1, 1);
        params.not_after = rcgen::date_time_ymd(2001, 1, 1);
        let cert = params.signed_by(&key, &self.issuer).expect("sign");
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        write(
            self.dir(),
            &format!("expired-{n}"),
            cert.pem(),
            key.serialize_pem(),
            &self.ca_pem,
        )
    }

    /// A self-signed certificate for `names`, not from any test CA (a client trusting only the
    /// test CA must refuse it). Its files live in a temp dir removed when the last clone of the
    /// returned value is dropped.
    pub fn self_signed(names: &[&str]) -> IssuedCert {
        let key = KeyPair::generate().expect("key");
        let cert = server_params(names).self_signed(&key).expect("self-sign");
        let dir = tempfile::Builder::new()
            .prefix("handset-selfsigned-")
            .tempdir()
            .expect("temp dir");
        let mut issued = write(
            dir.path(),
            "self-signed",
            cert.pem(),
            key.serialize_pem(),
            "",
        );
        issued._dir = Some(std::sync::Arc::new(dir));
        issued
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issues_pem_files() {
        let ca = TestCa::new();
        assert!(ca.ca_pem().starts_with("-----BEGIN CERTIFICATE-----"));
        let (cert, key) = ca.issue(&["127.0.0.1", "localhost"]);
        assert!(cert.contains("BEGIN CERTIFICATE"));
        assert!(key.contains("PRIVATE KEY"));
        let files = ca.issue_files(&["127.0.0.1"]);
        assert!(files.cert_path.exists() && files.key_path.exists());
        let chain = std::fs::read_to_string(&files.chain_path).unwrap();
        assert_eq!(chain.matches("BEGIN CERTIFICATE").count(), 2);
        let wrong = ca.issue_wrong_host();
        assert!(wrong.cert_path.exists());
        let ss = TestCa::self_signed(&["127.0.0.1"]);
        assert!(ss.cert_path.exists());
    }
}
