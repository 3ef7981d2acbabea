//! ICE candidates in SDP (RFC 8839 5.1).

use std::fmt;
use std::str::FromStr;

use super::model::Attributes;
use super::parse::SdpError;

/// A candidate type.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CandidateType {
    /// `host`.
    Host,
    /// `srflx`: server reflexive (STUN).
    Srflx,
    /// `prflx`: peer reflexive.
    Prflx,
    /// `relay`: TURN.
    Relay,
    /// Anything else, verbatim.
    Other(String),
}

impl CandidateType {
    /// The SDP token.
    pub fn as_str(&self) -> &str {
        match self {
            CandidateType::Host => "host",
            CandidateType::Srflx => "srflx",
            CandidateType::Prflx => "prflx",
            CandidateType::Relay => "relay",
            CandidateType::Other(s) => s,
        }
    }

    /// Maps a token.
    pub fn from_token(s: &str) -> Self {
        match s.to_ascii_lowercase().as_str() {
            "host" => CandidateType::Host,
            "srflx" => CandidateType::Srflx,
            "prflx" => CandidateType::Prflx,
            "relay" => CandidateType::Relay,
            _ => CandidateType::Other(s.to_string()),
        }
    }
}

/// An `a=candidate` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// Foundation.
    pub foundation: String,
    /// Component: 1 for RTP, 2 for RTCP.
    pub component: u16,
    /// Transport as written (`UDP`, `udp`, `TCP`).
    pub transport: String,
    /// Priority.
    pub priority: u32,
    /// Connection address: an IP literal, or an mDNS `.local` name.
    pub address: String,
    /// Port.
    pub port: u16,
    /// Type.
    pub kind: CandidateType,
    /// Related address (`raddr`).
    pub related_address: Option<String>,
    /// Related port (`rport`).
    pub related_port: Option<u16>,
    /// Extension attributes (`generation 0`, `tcptype passive`…) in order.
    pub extensions: Vec<(String, String)>,
}

impl Candidate {
    /// A host candidate for component `component`.
    pub fn host(
        foundation: &str,
        component: u16,
        priority: u32,
        address: std::net::IpAddr,
        port: u16,
    ) -> Self {
        Candidate {
            foundation: foundation.to_string(),
            component,
            transport: "UDP".to_string(),
            priority,
            address: address.to_string(),
            port,
            kind: CandidateType::Host,
            related_address: None,
            related_port: None,
            extensions: Vec::new(),
        }
    }
}

impl FromStr for Candidate {
    type Err = SdpError;

    fn from_str(s: &str) -> Result<Self, SdpError> {
        let bad = |why: &str| SdpError::invalid(format!("bad candidate: {why}"));
        // trickle ICE bodies and some stacks repeat the attribute name
        let s = s.trim();
        let s = s
            .get(..10)
            .filter(|p| p.eq_ignore_ascii_case("candidate:"))
            .and_then(|_| s.get(10..))
            .unwrap_or(s);
        let fields: Vec<&str> = s.split_whitespace().collect();
        let [foundation, component, transport, priority, address, port, typ, kind, rest @ ..] =
            fields.as_slice()
        else {
            return Err(bad("needs 8 fields"));
        };
        if !typ.eq_ignore_ascii_case("typ") {
            return Err(bad("missing `typ`"));
        }
        let mut c = Candidate {
            foundation: (*foundation).to_string(),
            component: component
                .parse()
                .ok()
                .filter(|c| *c > 0)
                .ok_or_else(|| bad("component"))?,
            transport: (*transport).to_string(),
            priority: priority.parse().map_err(|_| bad("priority"))?,
            address: (*address).to_string(),
            port: port.parse().map_err(|_| bad("port"))?,
            kind: CandidateType::from_token(kind),
            related_address: None,
            related_port: None,
            extensions: Vec::new(),
        };
        // a dangling name at the end carries no value; ignore it rather than
        // the whole candidate
        for pair in rest.chunks_exact(2) {
            let [name, value] = pair else { continue };
            match *name {
                "raddr" => c.related_address = Some((*value).to_string()),
                "rport" => c.related_port = Some(value.parse().map_err(|_| bad("rport"))?),
                _ => c
                    .extensions
                    .push(((*name).to_string(), (*value).to_string())),
            }
        }
        Ok(c)
    }
}

impl fmt::Display for Candidate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {} {} {} {} typ {}",
            self.foundation,
            self.component,
            self.transport,
            self.priority,
            self.address,
            self.port,
            self.kind.as_str()
        )?;
        if let Some(a) = &self.related_address {
            write!(f, " raddr {a}")?;
        }
        if let Some(p) = self.related_port {
            write!(f, " rport {p}")?;
        }
        for (k, v) in &self.extensions {
            write!(f, " {k} {v}")?;
        }
        Ok(())
    }
}

impl Attributes {
    /// The `a=candidate` lines that parse.
    pub fn candidates(&self) -> Vec<Candidate> {
        self.values("candidate")
            .filter_map(|v| v.parse().ok())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc8839_examples() {
        let line = "1 1 UDP 2130706431 10.0.1.1 8998 typ host";
        let c: Candidate = line.parse().unwrap();
        assert_eq!(c.kind, CandidateType::Host);
        assert_eq!(c.to_string(), line);
        let line =
            "2 1 UDP 1694498815 192.0.2.3 45664 typ srflx raddr 10.0.1.1 rport 8998 generation 0";
        let c: Candidate = line.parse().unwrap();
        assert_eq!(c.related_address.as_deref(), Some("10.0.1.1"));
        assert_eq!(c.related_port, Some(8998));
        assert_eq!(c.extensions, vec![("generation".into(), "0".into())]);
        assert_eq!(c.to_string(), line);
    }

    #[test]
    fn refusals() {
        for bad in [
            "",
            "1 1 UDP 1 10.0.0.1 9 host",
            "1 1 UDP x 10.0.0.1 9 typ host",
            "1 0 UDP 1 10.0.0.1 9 typ host",
            "1 1 UDP 1 10.0.0.1 99999 typ host",
            "1 1 UDP 1 10.0.0.1 9 typ srflx rport x",
        ] {
            assert!(bad.parse::<Candidate>().is_err(), "{bad}");
        }
        let c: Candidate = "candidate:1 1 udp 1 a.local 9 typ host generation"
            .parse()
            .unwrap();
        assert_eq!(c.address, "a.local");
    }
}
