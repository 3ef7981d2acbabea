//! Typed views of the common attributes: rtpmap, fmtp, ptime, direction, rtcp,
//! rtcp-mux, fingerprint, setup, mid, msid, ssrc, rtcp-fb, extmap, group,
//! label. SDES crypto and ICE candidates have their own modules.
//!
//! Each type parses from and displays as the attribute's value (what follows
//! `a=name:`). The list accessors skip values that do not parse: a peer's odd
//! extension attribute should cost that attribute, not the call.

use std::fmt;
use std::str::FromStr;

use super::model::{Attributes, Connection, Media, Sdp};
use super::parse::{parse_connection, SdpError};
use super::payload::static_payload;

/// `a=rtpmap`: what a dynamic (or static) payload type number means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rtpmap {
    /// Payload type, 0..=127.
    pub payload_type: u8,
    /// Encoding name as written (`opus`, `PCMU`, `telephone-event`).
    pub encoding: String,
    /// RTP clock rate.
    pub clock_rate: u32,
    /// Audio channels; 1 when the rtpmap does not say.
    pub channels: u16,
}

impl Rtpmap {
    /// Builds an rtpmap.
    pub fn new(payload_type: u8, encoding: &str, clock_rate: u32, channels: u16) -> Self {
        Rtpmap {
            payload_type,
            encoding: encoding.to_string(),
            clock_rate,
            channels,
        }
    }

    /// Whether the encoding name is this one (case-insensitively, as RFC 4855 has it).
    pub fn is(&self, encoding: &str) -> bool {
        self.encoding.eq_ignore_ascii_case(encoding)
    }

    /// Whether this is RFC 4733 `telephone-event`.
    pub fn is_telephone_event(&self) -> bool {
        self.is("telephone-event")
    }
}

impl FromStr for Rtpmap {
    type Err = SdpError;

    fn from_str(s: &str) -> Result<Self, SdpError> {
        let bad = || SdpError::invalid(format!("bad rtpmap `{s}`"));
        let (pt, rest) = s.trim().split_once(char::is_whitespace).ok_or_else(bad)?;
        let payload_type = pt
            .parse::<u8>()
            .ok()
            .filter(|pt| *pt <= 127)
            .ok_or_else(bad)?;
        let mut parts = rest.trim().split('/');
        let encoding = parts.next().filter(|e| !e.is_empty()).ok_or_else(bad)?;
        let clock_rate = parts
            .next()
            .and_then(|r| r.parse::<u32>().ok())
            .filter(|r| *r > 0)
            .ok_or_else(bad)?;
        let channels = match parts.next() {
            None | Some("") => 1,
            Some(ch) => ch.parse::<u16>().ok().filter(|c| *c > 0).ok_or_else(bad)?,
        };
        Ok(Rtpmap {
            payload_type,
            encoding: encoding.to_string(),
            clock_rate,
            channels,
        })
    }
}

impl fmt::Display for Rtpmap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}/{}",
            self.payload_type, self.encoding, self.clock_rate
        )?;
        if self.channels != 1 {
            write!(f, "/{}", self.channels)?;
        }
        Ok(())
    }
}

/// `a=fmtp`: format parameters for one format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fmtp {
    /// The format (a payload type number for RTP).
    pub format: String,
    /// The parameter string verbatim: usually `k=v;k=v`, but telephone-event
    /// (`0-16`) and red (`111/111`) have their own syntax.
    pub params: String,
}

impl Fmtp {
    /// Builds an fmtp for a payload type.
    pub fn new(payload_type: u8, params: &str) -> Self {
        Fmtp {
            format: payload_type.to_string(),
            params: params.to_string(),
        }
    }

    /// The format as a payload type.
    pub fn payload_type(&self) -> Option<u8> {
        self.format.parse().ok()
    }

    /// The `name=value` pairs (a bare `name` has no value), split on `;`.
    pub fn pairs(&self) -> impl Iterator<Item = (&str, Option<&str>)> {
        self.params
            .split(';')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| match p.split_once('=') {
                Some((k, v)) => (k.trim(), Some(v.trim())),
                None => (p, None),
            })
    }

    /// A parameter's value by name, case-insensitively.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .and_then(|(_, v)| v)
    }
}

impl FromStr for Fmtp {
    type Err = SdpError;

    fn from_str(s: &str) -> Result<Self, SdpError> {
        let s = s.trim();
        let (format, params) = s.split_once(char::is_whitespace).unwrap_or((s, ""));
        if format.is_empty() {
            return Err(SdpError::invalid(format!("bad fmtp `{s}`")));
        }
        Ok(Fmtp {
            format: format.to_string(),
            params: params.trim().to_string(),
        })
    }
}

impl fmt::Display for Fmtp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.params.is_empty() {
            f.write_str(&self.format)
        } else {
            write!(f, "{} {}", self.format, self.params)
        }
    }
}

/// The stream direction attributes (RFC 3264 5.1). Seen from whoever wrote
/// the description: `SendOnly` in a peer's SDP means the peer only sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Direction {
    /// `a=sendrecv`, the default.
    #[default]
    SendRecv,
    /// `a=sendonly`.
    SendOnly,
    /// `a=recvonly`.
    RecvOnly,
    /// `a=inactive`.
    Inactive,
}

impl Direction {
    /// Every direction, for lookups.
    pub const ALL: [Direction; 4] = [
        Direction::SendRecv,
        Direction::SendOnly,
        Direction::RecvOnly,
        Direction::Inactive,
    ];

    /// The attribute name.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::SendRecv => "sendrecv",
            Direction::SendOnly => "sendonly",
            Direction::RecvOnly => "recvonly",
            Direction::Inactive => "inactive",
        }
    }

    /// Maps an attribute name.
    pub fn from_name(name: &str) -> Option<Direction> {
        Direction::ALL
            .into_iter()
            .find(|d| d.as_str().eq_ignore_ascii_case(name))
    }

    /// The direction allowing exactly these.
    pub fn from_flags(send: bool, recv: bool) -> Direction {
        match (send, recv) {
            (true, true) => Direction::SendRecv,
            (true, false) => Direction::SendOnly,
            (false, true) => Direction::RecvOnly,
            (false, false) => Direction::Inactive,
        }
    }

    /// Whether the writer sends.
    pub fn can_send(self) -> bool {
        matches!(self, Direction::SendRecv | Direction::SendOnly)
    }

    /// Whether the writer receives.
    pub fn can_recv(self) -> bool {
        matches!(self, Direction::SendRecv | Direction::RecvOnly)
    }

    /// The same stream seen from the other end: sendonly ↔ recvonly.
    pub fn reversed(self) -> Direction {
        Direction::from_flags(self.can_recv(), self.can_send())
    }

    /// What both allow.
    pub fn intersect(self, other: Direction) -> Direction {
        Direction::from_flags(
            self.can_send() && other.can_send(),
            self.can_recv() && other.can_recv(),
        )
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `a=rtcp` (RFC 3605): where RTCP goes when it is not RTP port + 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtcpAttr {
    /// RTCP port.
    pub port: u16,
    /// RTCP address when it differs from the `c=` one.
    pub connection: Option<Connection>,
}

impl FromStr for RtcpAttr {
    type Err = SdpError;

    fn from_str(s: &str) -> Result<Self, SdpError> {
        let s = s.trim();
        let bad = || SdpError::invalid(format!("bad rtcp attribute `{s}`"));
        let (port, rest) = s.split_once(char::is_whitespace).unwrap_or((s, ""));
        let port = port.parse::<u16>().map_err(|_| bad())?;
        let connection = if rest.trim().is_empty() {
            None
        } else {
            Some(parse_connection(rest).map_err(|_| bad())?)
        };
        Ok(RtcpAttr { port, connection })
    }
}

impl fmt::Display for RtcpAttr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.port)?;
        if let Some(c) = &self.connection {
            write!(f, " {c}")?;
        }
        Ok(())
    }
}

/// `a=fingerprint` (RFC 8122): the hash of the DTLS certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint {
    /// Hash function name, lower-cased (`sha-256`).
    pub hash: String,
    /// Digest bytes.
    pub value: Vec<u8>,
}

impl Fingerprint {
    /// Builds a fingerprint.
    pub fn new(hash: &str, value: Vec<u8>) -> Self {
        Fingerprint {
            hash: hash.to_ascii_lowercase(),
            value,
        }
    }
}

impl FromStr for Fingerprint {
    type Err = SdpError;

    fn from_str(s: &str) -> Result<Self, SdpError> {
        let s = s.trim();
        let bad = || SdpError::invalid(format!("bad fingerprint `{s}`"));
        let (hash, hex_value) = s.split_once(char::is_whitespace).ok_or_else(bad)?;
        let value = hex_value
            .trim()
            .split(':')
            .map(|byte| {
                // from_str_radix would take a sign, which a fingerprint never has.
                if byte.len() != 2 || !byte.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(bad());
                }
                u8::from_str_radix(byte, 16).map_err(|_| bad())
            })
            .collect::<Result<Vec<u8>, _>>()?;
        if hash.is_empty() || value.is_empty() {
            return Err(bad());
        }
        Ok(Fingerprint::new(hash, value))
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.hash)?;
        for (i, b) in self.value.iter().enumerate() {
            let sep = if i == 0 { ' ' } else { ':' };
            write!(f, "{sep}{b:02X}")?;
        }
        Ok(())
    }
}

/// `a=setup` (RFC 4145, RFC 5763): which end opens the DTLS connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Setup {
    /// Either; what an offerer must say.
    Actpass,
    /// We connect (DTLS client).
    Active,
    /// We accept (DTLS server).
    Passive,
    /// Hold the connection.
    Holdconn,
}

impl Setup {
    /// The attribute value.
    pub fn as_str(self) -> &'static str {
        match self {
            Setup::Actpass => "actpass",
            Setup::Active => "active",
            Setup::Passive => "passive",
            Setup::Holdconn => "holdconn",
        }
    }

    /// What an answerer says to this offered role (RFC 5763 5: be active when free to choose).
    pub fn answer_to(self) -> Setup {
        match self {
            Setup::Actpass | Setup::Passive => Setup::Active,
            Setup::Active => Setup::Passive,
            Setup::Holdconn => Setup::Holdconn,
        }
    }
}

impl FromStr for Setup {
    type Err = SdpError;

    fn from_str(s: &str) -> Result<Self, SdpError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "actpass" => Ok(Setup::Actpass),
            "active" => Ok(Setup::Active),
            "passive" => Ok(Setup::Passive),
            "holdconn" => Ok(Setup::Holdconn),
            _ => Err(SdpError::invalid(format!("bad setup `{s}`"))),
        }
    }
}

impl fmt::Display for Setup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `a=rtcp-fb` (RFC 4585): a feedback message a receiver understands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtcpFb {
    /// Payload type, or `*` for all.
    pub format: String,
    /// Feedback type (`nack`, `ccm`, `trr-int`, `goog-remb`, `transport-cc`).
    pub kind: String,
    /// The rest (`pli`, `fir`, `100`).
    pub param: Option<String>,
}

impl RtcpFb {
    /// Whether it applies to this payload type.
    pub fn applies_to(&self, payload_type: u8) -> bool {
        self.format == "*" || self.format.parse::<u8>() == Ok(payload_type)
    }

    /// Type and parameter as one string (`nack pli`), for comparisons.
    pub fn feedback(&self) -> String {
        match &self.param {
            Some(p) => format!("{} {p}", self.kind),
            None => self.kind.clone(),
        }
    }
}

impl FromStr for RtcpFb {
    type Err = SdpError;

    fn from_str(s: &str) -> Result<Self, SdpError> {
        let s = s.trim();
        let (format, rest) = s
            .split_once(char::is_whitespace)
            .ok_or_else(|| SdpError::invalid(format!("bad rtcp-fb `{s}`")))?;
        let rest = rest.trim();
        let (kind, param) = match rest.split_once(char::is_whitespace) {
            Some((k, p)) => (k, Some(p.trim().to_string())),
            None => (rest, None),
        };
        Ok(RtcpFb {
            format: format.to_string(),
            kind: kind.to_string(),
            param,
        })
    }
}

impl fmt::Display for RtcpFb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.format, self.feedback())
    }
}

/// `a=extmap` (RFC 8285): an RTP header extension id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extmap {
    /// Local identifier, 1..=255 (4095 with the mixed form).
    pub id: u16,
    /// Direction restriction (`1/sendonly`).
    pub direction: Option<Direction>,
    /// Extension URI.
    pub uri: String,
    /// Extension attributes after the URI.
    pub attributes: Option<String>,
}

impl FromStr for Extmap {
    type Err = SdpError;

    fn from_str(s: &str) -> Result<Self, SdpError> {
        let s = s.trim();
        let bad = || SdpError::invalid(format!("bad extmap `{s}`"));
        let mut fields = s.splitn(3, char::is_whitespace);
        let id_dir = fields.next().ok_or_else(bad)?;
        let uri = fields.next().filter(|u| !u.is_empty()).ok_or_else(bad)?;
        let attributes = fields
            .next()
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .map(str::to_string);
        let (id, direction) = match id_dir.split_once('/') {
            Some((id, dir)) => (id, Some(Direction::from_name(dir).ok_or_else(bad)?)),
            None => (id_dir, None),
        };
        Ok(Extmap {
            id: id.parse().map_err(|_| bad())?,
            direction,
            uri: uri.to_string(),
            attributes,
        })
    }
}

impl fmt::Display for Extmap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.id)?;
        if let Some(d) = self.direction {
            write!(f, "/{d}")?;
        }
        write!(f, " {}", self.uri)?;
        if let Some(a) = &self.attributes {
            write!(f, " {a}")?;
        }
        Ok(())
    }
}

/// `a=ssrc` (RFC 5576): a source attribute (`cname:…`, `msid:…`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ssrc {
    /// The SSRC.
    pub ssrc: u32,
    /// Source attribute name.
    pub attribute: String,
    /// Source attribute value.
    pub value: Option<String>,
}

impl FromStr for Ssrc {
    type Err = SdpError;

    fn from_str(s: &str) -> Result<Self, SdpError> {
        let s = s.trim();
        let bad = || SdpError::invalid(format!("bad ssrc `{s}`"));
        let (ssrc, rest) = s.split_once(char::is_whitespace).ok_or_else(bad)?;
        let rest = rest.trim();
        let (attribute, value) = match rest.split_once(':') {
            Some((a, v)) => (a, Some(v.to_string())),
            None => (rest, None),
        };
        if attribute.is_empty() {
            return Err(bad());
        }
        Ok(Ssrc {
            ssrc: ssrc.parse().map_err(|_| bad())?,
            attribute: attribute.to_string(),
            value,
        })
    }
}

impl fmt::Display for Ssrc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.ssrc, self.attribute)?;
        if let Some(v) = &self.value {
            write!(f, ":{v}")?;
        }
        Ok(())
    }
}

/// `a=msid` (RFC 8830): the media stream and track a source belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Msid {
    /// Stream id.
    pub id: String,
    /// Track id ("appdata").
    pub appdata: Option<String>,
}

impl FromStr for Msid {
    type Err = SdpError;

    fn from_str(s: &str) -> Result<Self, SdpError> {
        let mut fields = s.split_whitespace();
        let id = fields
            .next()
            .ok_or_else(|| SdpError::invalid("empty msid"))?;
        Ok(Msid {
            id: id.to_string(),
            appdata: fields.next().map(str::to_string),
        })
    }
}

impl fmt::Display for Msid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.id)?;
        if let Some(a) = &self.appdata {
            write!(f, " {a}")?;
        }
        Ok(())
    }
}

/// `a=group` (RFC 5888), e.g. `BUNDLE 0 1`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// Semantics (`BUNDLE`, `LS`, `FID`).
    pub semantics: String,
    /// The mids grouped.
    pub mids: Vec<String>,
}

impl FromStr for Group {
    type Err = SdpError;

    fn from_str(s: &str) -> Result<Self, SdpError> {
        let mut fields = s.split_whitespace();
        let semantics = fields
            .next()
            .ok_or_else(|| SdpError::invalid("empty group"))?;
        Ok(Group {
            semantics: semantics.to_string(),
            mids: fields.map(str::to_string).collect(),
        })
    }
}

impl fmt::Display for Group {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.semantics)?;
        for m in &self.mids {
            write!(f, " {m}")?;
        }
        Ok(())
    }
}

fn parse_all<'a, T: FromStr>(values: impl Iterator<Item = &'a str>) -> Vec<T> {
    values.filter_map(|v| v.parse().ok()).collect()
}

fn parse_millis(v: &str) -> Option<u32> {
    // some stacks write `20.0`; the fraction is meaningless for packetization
    v.trim().split('.').next()?.parse().ok()
}

impl Attributes {
    /// The `a=rtpmap` lines that parse.
    pub fn rtpmaps(&self) -> Vec<Rtpmap> {
        parse_all(self.values("rtpmap"))
    }

    /// The `a=rtpmap` for a payload type, if written.
    pub fn rtpmap(&self, payload_type: u8) -> Option<Rtpmap> {
        self.rtpmaps()
            .into_iter()
            .find(|r| r.payload_type == payload_type)
    }

    /// The `a=fmtp` lines that parse.
    pub fn fmtps(&self) -> Vec<Fmtp> {
        parse_all(self.values("fmtp"))
    }

    /// The `a=fmtp` for a payload type.
    pub fn fmtp(&self, payload_type: u8) -> Option<Fmtp> {
        self.fmtps()
            .into_iter()
            .find(|f| f.payload_type() == Some(payload_type))
    }

    /// `a=ptime`, milliseconds.
    pub fn ptime(&self) -> Option<u32> {
        self.value("ptime").and_then(parse_millis)
    }

    /// `a=maxptime`, milliseconds.
    pub fn maxptime(&self) -> Option<u32> {
        self.value("maxptime").and_then(parse_millis)
    }

    /// The direction attribute written at this level, if any.
    pub fn direction(&self) -> Option<Direction> {
        self.iter()
            .filter(|a| a.value.is_none())
            .find_map(|a| Direction::from_name(&a.name))
    }

    /// Replaces any direction attribute with this one.
    pub fn set_direction(&mut self, direction: Direction) {
        for d in Direction::ALL {
            self.remove(d.as_str());
        }
        self.push_flag(direction.as_str());
    }

    /// `a=rtcp`.
    pub fn rtcp(&self) -> Option<RtcpAttr> {
        self.value("rtcp").and_then(|v| v.parse().ok())
    }

    /// Whether `a=rtcp-mux` (RFC 5761) is present.
    pub fn rtcp_mux(&self) -> bool {
        self.has("rtcp-mux")
    }

    /// The `a=fingerprint` lines that parse.
    pub fn fingerprints(&self) -> Vec<Fingerprint> {
        parse_all(self.values("fingerprint"))
    }

    /// `a=setup`.
    pub fn setup(&self) -> Option<Setup> {
        self.value("setup").and_then(|v| v.parse().ok())
    }

    /// `a=ice-ufrag`.
    pub fn ice_ufrag(&self) -> Option<&str> {
        self.value("ice-ufrag").map(str::trim)
    }

    /// `a=ice-pwd`.
    pub fn ice_pwd(&self) -> Option<&str> {
        self.value("ice-pwd").map(str::trim)
    }

    /// `a=ice-options` tokens (`trickle`, `ice2`).
    pub fn ice_options(&self) -> Vec<String> {
        self.values("ice-options")
            .flat_map(str::split_whitespace)
            .map(str::to_string)
            .collect()
    }

    /// Whether `a=end-of-candidates` (RFC 8840) is present.
    pub fn end_of_candidates(&self) -> bool {
        self.has("end-of-candidates")
    }

    /// `a=mid` (RFC 5888).
    pub fn mid(&self) -> Option<&str> {
        self.value("mid").map(str::trim)
    }

    /// `a=msid`.
    pub fn msid(&self) -> Option<Msid> {
        self.value("msid").and_then(|v| v.parse().ok())
    }

    /// The `a=ssrc` lines that parse.
    pub fn ssrcs(&self) -> Vec<Ssrc> {
        parse_all(self.values("ssrc"))
    }

    /// The `a=rtcp-fb` lines that parse.
    pub fn rtcp_fbs(&self) -> Vec<RtcpFb> {
        parse_all(self.values("rtcp-fb"))
    }

    /// The `a=extmap` lines that parse.
    pub fn extmaps(&self) -> Vec<Extmap> {
        parse_all(self.values("extmap"))
    }

    /// The `a=group` lines that parse.
    pub fn groups(&self) -> Vec<Group> {
        parse_all(self.values("group"))
    }

    /// `a=label` (RFC 4574).
    pub fn label(&self) -> Option<&str> {
        self.value("label")
    }
}

impl Media {
    /// What a payload type means here: its `a=rtpmap`, or for a static
    /// payload type without one, the RFC 3551 assignment.
    pub fn rtpmap(&self, payload_type: u8) -> Option<Rtpmap> {
        self.attributes
            .rtpmap(payload_type)
            .or_else(|| static_payload(payload_type))
    }

    /// The `a=fmtp` for a payload type.
    pub fn fmtp(&self, payload_type: u8) -> Option<Fmtp> {
        self.attributes.fmtp(payload_type)
    }
}

impl Sdp {
    /// A media section's direction: its own attribute, else the session-level
    /// one, else sendrecv (RFC 3264 5.1).
    pub fn direction_of(&self, media: &Media) -> Direction {
        media
            .attributes
            .direction()
            .or_else(|| self.attributes.direction())
            .unwrap_or_default()
    }

    /// A media section's connection: its first `c=`, else the session-level one.
    pub fn connection_of<'a>(&'a self, media: &'a Media) -> Option<&'a Connection> {
        media.connections.first().or(self.connection.as_ref())
    }

    /// A media section's DTLS fingerprints, falling back to session level.
    pub fn fingerprints_of(&self, media: &Media) -> Vec<Fingerprint> {
        let own = media.attributes.fingerprints();
        if own.is_empty() {
            self.attributes.fingerprints()
        } else {
            own
        }
    }

    /// A media section's `a=setup`, falling back to session level.
    pub fn setup_of(&self, media: &Media) -> Option<Setup> {
        media.attributes.setup().or_else(|| self.attributes.setup())
    }

    /// A media section's `a=ice-ufrag`, falling back to session level.
    pub fn ice_ufrag_of<'a>(&'a self, media: &'a Media) -> Option<&'a str> {
        media
            .attributes
            .ice_ufrag()
            .or_else(|| self.attributes.ice_ufrag())
    }

    /// A media section's `a=ice-pwd`, falling back to session level.
    pub fn ice_pwd_of<'a>(&'a self, media: &'a Media) -> Option<&'a str> {
        media
            .attributes
            .ice_pwd()
            .or_else(|| self.attributes.ice_pwd())
    }

    /// A media section's `a=ice-options`, falling back to session level.
    pub fn ice_options_of(&self, media: &Media) -> Vec<String> {
        let own = media.attributes.ice_options();
        if own.is_empty() {
            self.attributes.ice_options()
        } else {
            own
        }
    }

    /// A media section's `a=ptime`, falling back to session level (a common deviation).
    pub fn ptime_of(&self, media: &Media) -> Option<u32> {
        media.attributes.ptime().or_else(|| self.attributes.ptime())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rtpmap_forms() {
        let r: Rtpmap = "96 opus/48000/2".parse().unwrap();
        assert_eq!((r.payload_type, r.clock_rate, r.channels), (96, 48000, 2));
        assert_eq!(r.to_string(), "96 opus/48000/2");
        let r: Rtpmap = "0 PCMU/8000".parse().unwrap();
        assert_eq!(r.channels, 1);
        assert_eq!(r.to_string(), "0 PCMU/8000");
        for bad in [
            "",
            "96",
            "96 opus",
            "96 opus/x",
            "200 x/8000",
            "96 /8000",
            "96 a/0",
        ] {
            assert!(bad.parse::<Rtpmap>().is_err(), "{bad}");
        }
    }

    #[test]
    fn fmtp_pairs() {
        let f: Fmtp = "96 minptime=10; useinbandfec=1;stereo".parse().unwrap();
        assert_eq!(f.payload_type(), Some(96));
        assert_eq!(f.get("USEINBANDFEC"), Some("1"));
        assert_eq!(f.get("stereo"), None);
        assert_eq!(f.pairs().count(), 3);
        let f: Fmtp = "101 0-16".parse().unwrap();
        assert_eq!(f.params, "0-16");
    }

    #[test]
    fn directions() {
        assert_eq!(Direction::SendOnly.reversed(), Direction::RecvOnly);
        assert_eq!(Direction::Inactive.reversed(), Direction::Inactive);
        assert_eq!(
            Direction::SendRecv.intersect(Direction::RecvOnly),
            Direction::RecvOnly
        );
        assert_eq!(Direction::from_name("SENDONLY"), Some(Direction::SendOnly));
    }

    #[test]
    fn fingerprint_hex() {
        let f: Fingerprint = "SHA-256 4A:AD:b9".parse().unwrap();
        assert_eq!(f.hash, "sha-256");
        assert_eq!(f.value, vec![0x4a, 0xad, 0xb9]);
        assert_eq!(f.to_string(), "sha-256 4A:AD:B9");
        for bad in [
            "sha-256",
            "sha-256 4A:A",
            "sha-256 4A::AD",
            "sha-256 ZZ",
            "sha-1 +1",
        ] {
            assert!(bad.parse::<Fingerprint>().is_err(), "{bad}");
        }
    }

    #[test]
    fn small_attributes() {
        let r: RtcpAttr = "53020 IN IP4 126.16.64.4".parse().unwrap();
        assert_eq!(r.port, 53020);
        assert_eq!(r.to_string(), "53020 IN IP4 126.16.64.4");
        assert!("x".parse::<RtcpAttr>().is_err());
        let e: Extmap = "1/sendonly urn:ietf:params:rtp-hdrext:ssrc-audio-level vad=on"
            .parse()
            .unwrap();
        assert_eq!(e.direction, Some(Direction::SendOnly));
        assert_eq!(e.attributes.as_deref(), Some("vad=on"));
        let s: Ssrc = "3735928559 cname:4TOk42mSjXCkVIa6".parse().unwrap();
        assert_eq!(s.value.as_deref(), Some("4TOk42mSjXCkVIa6"));
        let fb: RtcpFb = "96 nack pli".parse().unwrap();
        assert!(fb.applies_to(96) && !fb.applies_to(97));
        assert_eq!(fb.feedback(), "nack pli");
        assert_eq!(Setup::Actpass.answer_to(), Setup::Active);
        assert_eq!(Setup::Active.answer_to(), Setup::Passive);
    }
}
