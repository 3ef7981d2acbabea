//! HTTP digest authentication for SIP (RFC 3261 22, RFC 7616 algorithms as
//! adopted for SIP by RFC 8760): MD5 and SHA-256, their `-sess` variants,
//! qop=auth and auth-int, nonce counts, and stale nonces.

use std::fmt;

use md5::{Digest, Md5};
use rand::Rng;
use sha2::Sha256;

use crate::message::{HeaderName, Method, Params, Request, Response};
use crate::text::{quote, split_top_level};

/// Digest algorithms Handset answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    /// MD5 (RFC 2617), the default when the challenge names none.
    Md5,
    /// MD5-sess
    Md5Sess,
    /// SHA-256 (RFC 7616, RFC 8760)
    Sha256,
    /// SHA-256-sess
    Sha256Sess,
}

impl Algorithm {
    /// Parses the `algorithm=` token; `None` for algorithms Handset does not do.
    pub fn parse(s: &str) -> Option<Algorithm> {
        Some(match s.to_ascii_uppercase().as_str() {
            "MD5" => Algorithm::Md5,
            "MD5-SESS" => Algorithm::Md5Sess,
            "SHA-256" => Algorithm::Sha256,
            "SHA-256-SESS" => Algorithm::Sha256Sess,
            _ => return None,
        })
    }

    fn hash(self, data: &str) -> String {
        match self {
            Algorithm::Md5 | Algorithm::Md5Sess => hex::encode(Md5::digest(data.as_bytes())),
            Algorithm::Sha256 | Algorithm::Sha256Sess => {
                hex::encode(Sha256::digest(data.as_bytes()))
            }
        }
    }

    fn hash_bytes(self, data: &[u8]) -> String {
        match self {
            Algorithm::Md5 | Algorithm::Md5Sess => hex::encode(Md5::digest(data)),
            Algorithm::Sha256 | Algorithm::Sha256Sess => hex::encode(Sha256::digest(data)),
        }
    }

    fn is_sess(self) -> bool {
        matches!(self, Algorithm::Md5Sess | Algorithm::Sha256Sess)
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Algorithm::Md5 => "MD5",
            Algorithm::Md5Sess => "MD5-sess",
            Algorithm::Sha256 => "SHA-256",
            Algorithm::Sha256Sess => "SHA-256-sess",
        })
    }
}

/// Why authentication cannot proceed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No challenge in the response uses a scheme and algorithm Handset supports.
    #[error("no supported digest challenge ({0})")]
    Unsupported(String),
    /// The server refused the credentials just computed from a fresh nonce.
    #[error("credentials refused for realm '{realm}'")]
    Rejected {
        /// The realm that refused them.
        realm: String,
    },
    /// The challenge header is malformed.
    #[error("malformed challenge: {0}")]
    Malformed(String),
}

/// One `WWW-Authenticate` or `Proxy-Authenticate` challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// Realm.
    pub realm: String,
    /// Server nonce.
    pub nonce: String,
    /// Opaque value to echo.
    pub opaque: Option<String>,
    /// Algorithm.
    pub algorithm: Algorithm,
    /// qop options offered (`auth`, `auth-int`), lower-cased.
    pub qop: Vec<String>,
    /// True when the previous nonce merely expired (credentials were right).
    pub stale: bool,
    /// True for Proxy-Authenticate (answer with Proxy-Authorization).
    pub proxy: bool,
}

impl Challenge {
    /// Parses one challenge header value.
    pub fn parse(value: &str, proxy: bool) -> Result<Challenge, AuthError> {
        let value = value.trim();
        let (scheme, rest) = value
            .split_once([' ', '\t'])
            .ok_or_else(|| AuthError::Malformed(value.to_string()))?;
        if !scheme.eq_ignore_ascii_case("Digest") {
            return Err(AuthError::Unsupported(format!("scheme {scheme}")));
        }
        let mut params = Params::new();
        for part in split_top_level(rest, ',').ok_or_else(|| AuthError::Malformed(value.into()))? {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            let (k, v) = part
                .split_once('=')
                .ok_or_else(|| AuthError::Malformed(part.to_string()))?;
            params.set(k.trim(), Some(v.trim()));
        }
        let get = |n: &str| params.get_unquoted(n);
        let realm = get("realm").ok_or_else(|| AuthError::Malformed("no realm".into()))?;
        let nonce = get("nonce").ok_or_else(|| AuthError::Malformed("no nonce".into()))?;
        let algorithm = match get("algorithm") {
            None => Algorithm::Md5,
            Some(a) => Algorithm::parse(&a)
                .ok_or_else(|| AuthError::Unsupported(format!("algorithm {a}")))?,
        };
        let qop = get("qop")
            .map(|q| {
                q.split(',')
                    .map(|s| s.trim().to_ascii_lowercase())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        Ok(Challenge {
            realm,
            nonce,
            opaque: get("opaque"),
            algorithm,
            qop,
            stale: get("stale").is_some_and(|s| s.eq_ignore_ascii_case("true")),
            proxy,
        })
    }

    /// Every supported challenge in a 401/407, in the server's order of preference.
    pub fn from_response(resp: &Response) -> Result<Vec<Challenge>, AuthError> {
        let mut out = Vec::new();
        let mut last_err = None;
        for (name, proxy) in [
            (HeaderName::WwwAuthenticate, false),
            (HeaderName::ProxyAuthenticate, true),
        ] {
            for v in resp.headers.get_lines(&name) {
                match Challenge::parse(v, proxy) {
                    Ok(c) => out.push(c),
                    Err(e) => last_err = Some(e),
                }
            }
        }
        if out.is_empty() {
            return Err(last_err.unwrap_or_else(|| AuthError::Unsupported("no challenge".into())));
        }
        Ok(out)
    }
}

/// Username and password for one account. The password never leaves this struct
/// except hashed into a response.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// Authentication user name.
    pub username: String,
    /// Password.
    pub password: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"***")
            .finish()
    }
}

/// Computes the header value answering `ch` for a request.
#[allow(clippy::too_many_arguments)]
pub fn digest_response(
    ch: &Challenge,
    creds: &Credentials,
    method: &Method,
    uri: &str,
    body: &[u8],
    nc: u32,
    cnonce: &str,
) -> String {
    let alg = ch.algorithm;
    let qop = if ch.qop.iter().any(|q| q == "auth") {
        Some("auth")
    } else if ch.qop.iter().any(|q| q == "auth-int") {
        Some("auth-int")
    } else {
        None
    };
    let mut ha1 = alg.hash(&format!(
        "{}:{}:{}",
        creds.username, ch.realm, creds.password
    ));
    if alg.is_sess() {
        ha1 = alg.hash(&format!("{ha1}:{}:{cnonce}", ch.nonce));
    }
    let ha2 = match qop {
        Some("auth-int") => alg.hash(&format!("{method}:{uri}:{}", alg.hash_bytes(body))),
        _ => alg.hash(&format!("{method}:{uri}")),
    };
    let nc_s = format!("{nc:08x}");
    let response = match qop {
        Some(q) => alg.hash(&format!("{ha1}:{}:{nc_s}:{cnonce}:{q}:{ha2}", ch.nonce)),
        None => alg.hash(&format!("{ha1}:{}:{ha2}", ch.nonce)),
    };
    let mut out = format!(
        "Digest username={}, realm={}, nonce={}, uri={}, response={}, algorithm={}",
        quote(&creds.username),
        quote(&ch.realm),
        quote(&ch.nonce),
        quote(uri),
        quote(&response),
        alg
    );
    if let Some(q) = qop {
        out.push_str(&format!(", qop={q}, nc={nc_s}, cnonce={}", quote(cnonce)));
    }
    if let Some(o) = &ch.opaque {
        out.push_str(&format!(", opaque={}", quote(o)));
    }
    out
}

#[derive(Debug, Clone)]
struct Entry {
    challenge: Challenge,
    nc: u32,
    /// Set when the challenge just arrived and has not yet led to a success:
    /// a second non-stale challenge for the realm then means wrong credentials.
    fresh: bool,
}

/// Digest state of one account towards its servers: the cached challenge per
/// realm, nonce counts, and the wrong-password decision.
#[derive(Debug, Clone)]
pub struct AuthSession {
    creds: Credentials,
    entries: Vec<Entry>,
}

impl AuthSession {
    /// A session with no challenge yet.
    pub fn new(creds: Credentials) -> Self {
        AuthSession {
            creds,
            entries: Vec::new(),
        }
    }

    /// The user name.
    pub fn username(&self) -> &str {
        &self.creds.username
    }

    /// True once a challenge is cached (requests are then authorized up front).
    pub fn has_challenge(&self) -> bool {
        !self.entries.is_empty()
    }

    /// Adds Authorization / Proxy-Authorization for every cached challenge.
    pub fn authorize(&mut self, req: &mut Request) {
        req.headers.remove(&HeaderName::Authorization);
        req.headers.remove(&HeaderName::ProxyAuthorization);
        let uri = req.uri.to_string();
        for e in &mut self.entries {
            e.nc += 1;
            let cnonce = new_cnonce();
            let value = digest_response(
                &e.challenge,
                &self.creds,
                &req.method,
                &uri,
                &req.body,
                e.nc,
                &cnonce,
            );
            let name = if e.challenge.proxy {
                HeaderName::ProxyAuthorization
            } else {
                HeaderName::Authorization
            };
            req.headers.push(name, value);
        }
    }

    /// Takes in a 401/407. `Err(Rejected)` when the credentials were refused.
    pub fn on_challenge(&mut self, resp: &Response) -> Result<(), AuthError> {
        let challenges = Challenge::from_response(resp)?;
        let mut seen_realms: Vec<String> = Vec::new();
        for ch in challenges {
            // the first supported challenge per realm is the server's preference
            if seen_realms.contains(&ch.realm) {
                continue;
            }
            seen_realms.push(ch.realm.clone());
            if let Some(e) = self
                .entries
                .iter_mut()
                .find(|e| e.challenge.realm == ch.realm && e.challenge.proxy == ch.proxy)
            {
                if e.fresh && !ch.stale {
                    return Err(AuthError::Rejected { realm: ch.realm });
                }
                *e = Entry {
                    challenge: ch,
                    nc: 0,
                    fresh: true,
                };
            } else {
                self.entries.push(Entry {
                    challenge: ch,
                    nc: 0,
                    fresh: true,
                });
            }
        }
        Ok(())
    }

    /// The request these credentials authorized succeeded.
    pub fn on_success(&mut self) {
        for e in &mut self.entries {
            e.fresh = false;
        }
    }

    /// Forgets cached challenges (after a network change or server restart).
    pub fn reset(&mut self) {
        self.entries.clear();
    }
}

fn new_cnonce() -> String {
    let mut rng = rand::rng();
    format!("{:016x}", rng.random::<u64>())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 2617 section 3.5's worked example, in SIP clothing.
    #[test]
    fn rfc2617_example() {
        let ch = Challenge::parse(
            r#"Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41""#,
            false,
        )
        .unwrap();
        let creds = Credentials {
            username: "Mufasa".into(),
            password: "Circle Of Life".into(),
        };
        let v = digest_response(
            &ch,
            &creds,
            &Method::Extension("GET".into()),
            "/dir/index.html",
            b"",
            1,
            "0a4f113b",
        );
        assert!(
            v.contains(r#"response="6629fae49393a05397450978507c4ef1""#),
            "{v}"
        );
        assert!(v.contains("qop=auth, nc=00000001"));
    }

    /// RFC 7616 section 3.9.1's SHA-256 example.
    #[test]
    fn rfc7616_sha256_example() {
        let ch = Challenge::parse(
            r#"Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=SHA-256, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS""#,
            false,
        )
        .unwrap();
        assert_eq!(ch.algorithm, Algorithm::Sha256);
        let creds = Credentials {
            username: "Mufasa".into(),
            password: "Circle of Life".into(),
        };
        let v = digest_response(
            &ch,
            &creds,
            &Method::Extension("GET".into()),
            "/dir/index.html",
            b"",
            1,
            "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
        );
        assert!(
            v.contains(
                r#"response="753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1""#
            ),
            "{v}"
        );
    }

    #[test]
    fn wrong_password_detected_stale_is_not() {
        let mut s = AuthSession::new(Credentials {
            username: "101".into(),
            password: "pw".into(),
        });
        let mut resp = Response {
            status: 401,
            reason: "Unauthorized".into(),
            headers: Default::default(),
            body: vec![],
        };
        resp.headers.push(
            HeaderName::WwwAuthenticate,
            r#"Digest realm="r", nonce="n1", qop="auth""#,
        );
        s.on_challenge(&resp).unwrap();
        s.on_success();
        // later, the nonce expired: stale=true is fine and so is a plain new challenge once
        let mut stale = resp.clone();
        stale.headers.set(
            HeaderName::WwwAuthenticate,
            r#"Digest realm="r", nonce="n2", stale=true"#,
        );
        s.on_challenge(&stale).unwrap();
        // the fresh nonce refused without stale: wrong password
        assert_eq!(
            s.on_challenge(&resp),
            Err(AuthError::Rejected { realm: "r".into() })
        );
    }
}
