//! The SDP data model (RFC 8866): what [`super::parse`] builds and
//! [`super::write`] serializes.
//!
//! The model keeps every line it understands and every attribute in order, so
//! a description can be parsed, edited and written back without losing what a
//! peer put there. Typed views of individual attributes live in
//! [`super::attrs`], [`super::crypto`] and [`super::ice`].

use std::net::IpAddr;

/// A session description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sdp {
    /// `o=`: who made the description and which version of it this is.
    pub origin: Origin,
    /// `s=`; parsed as `-` when the line is missing.
    pub session_name: String,
    /// `i=` at session level.
    pub information: Option<String>,
    /// `u=`.
    pub uri: Option<String>,
    /// `e=` lines.
    pub emails: Vec<String>,
    /// `p=` lines.
    pub phones: Vec<String>,
    /// Session-level `c=`, the default for media sections without their own.
    pub connection: Option<Connection>,
    /// Session-level `b=` lines.
    pub bandwidths: Vec<Bandwidth>,
    /// `t=` lines with their `r=` lines; parsed as one `t=0 0` when missing.
    pub timings: Vec<Timing>,
    /// `z=` adjustments.
    pub time_zones: Vec<TimeZoneAdjustment>,
    /// Session-level `k=` (obsolete, kept verbatim).
    pub key: Option<String>,
    /// Session-level `a=` lines in order.
    pub attributes: Attributes,
    /// `m=` sections in order.
    pub media: Vec<Media>,
}

impl Sdp {
    /// A minimal description: origin, `s=-`, `t=0 0`, nothing else.
    pub fn new(origin: Origin) -> Self {
        Sdp {
            origin,
            session_name: "-".to_string(),
            information: None,
            uri: None,
            emails: Vec::new(),
            phones: Vec::new(),
            connection: None,
            bandwidths: Vec::new(),
            timings: vec![Timing::default()],
            time_zones: Vec::new(),
            key: None,
            attributes: Attributes::default(),
            media: Vec::new(),
        }
    }
}

/// The `o=` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// User name, `-` when there is none.
    pub username: String,
    /// Session id. Kept as text: peers send ids longer than 64 bits.
    pub session_id: String,
    /// Session version; RFC 3264 8 wants it bumped by one for every changed description.
    pub session_version: u64,
    /// Network type, `IN`.
    pub net_type: String,
    /// Address type.
    pub addr_type: AddrType,
    /// Address or host name of the originator.
    pub address: String,
}

impl Origin {
    /// An `IN` origin for an IP address.
    pub fn new(username: &str, session_id: u64, session_version: u64, ip: IpAddr) -> Self {
        Origin {
            username: username.to_string(),
            session_id: session_id.to_string(),
            session_version,
            net_type: "IN".to_string(),
            addr_type: AddrType::of(ip),
            address: ip.to_string(),
        }
    }
}

/// An address type (`IP4`, `IP6`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddrType {
    /// `IP4`.
    Ip4,
    /// `IP6`.
    Ip6,
    /// Anything else, verbatim.
    Other(String),
}

impl AddrType {
    /// The type matching an address.
    pub fn of(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(_) => AddrType::Ip4,
            IpAddr::V6(_) => AddrType::Ip6,
        }
    }

    /// The SDP token.
    pub fn as_str(&self) -> &str {
        match self {
            AddrType::Ip4 => "IP4",
            AddrType::Ip6 => "IP6",
            AddrType::Other(s) => s,
        }
    }

    /// Maps a token, case-insensitively for the known ones.
    pub fn from_token(s: &str) -> Self {
        if s.eq_ignore_ascii_case("IP4") {
            AddrType::Ip4
        } else if s.eq_ignore_ascii_case("IP6") {
            AddrType::Ip6
        } else {
            AddrType::Other(s.to_string())
        }
    }
}

/// A `c=` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    /// Network type, `IN`.
    pub net_type: String,
    /// Address type.
    pub addr_type: AddrType,
    /// Address (or host name) without the multicast suffixes.
    pub address: String,
    /// IPv4 multicast TTL (`/ttl`).
    pub ttl: Option<u8>,
    /// Number of multicast addresses (`/n`).
    pub count: Option<u32>,
}

impl Connection {
    /// A unicast `IN` connection for an IP address.
    pub fn new(ip: IpAddr) -> Self {
        Connection {
            net_type: "IN".to_string(),
            addr_type: AddrType::of(ip),
            address: ip.to_string(),
            ttl: None,
            count: None,
        }
    }

    /// The address as an IP literal; `None` for host names.
    pub fn ip(&self) -> Option<IpAddr> {
        self.address.parse().ok()
    }

    /// Whether this is the RFC 2543 hold address `0.0.0.0` (or `::`).
    pub fn is_unspecified(&self) -> bool {
        self.ip().is_some_and(|ip| ip.is_unspecified())
    }
}

/// A `b=` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bandwidth {
    /// Modifier.
    pub kind: BandwidthType,
    /// Value (kbit/s for AS and CT, bit/s for TIAS).
    pub value: u64,
}

/// A bandwidth modifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BandwidthType {
    /// `AS`, application specific maximum, kbit/s.
    As,
    /// `CT`, conference total, kbit/s.
    Ct,
    /// `TIAS` (RFC 3890), bit/s without IP/UDP/RTP overhead.
    Tias,
    /// `RR` (RFC 3556), RTCP bandwidth for receivers.
    Rr,
    /// `RS` (RFC 3556), RTCP bandwidth for senders.
    Rs,
    /// Anything else, verbatim.
    Other(String),
}

impl BandwidthType {
    /// The SDP token.
    pub fn as_str(&self) -> &str {
        match self {
            BandwidthType::As => "AS",
            BandwidthType::Ct => "CT",
            BandwidthType::Tias => "TIAS",
            BandwidthType::Rr => "RR",
            BandwidthType::Rs => "RS",
            BandwidthType::Other(s) => s,
        }
    }

    /// Maps a token.
    pub fn from_token(s: &str) -> Self {
        match s.to_ascii_uppercase().as_str() {
            "AS" => BandwidthType::As,
            "CT" => BandwidthType::Ct,
            "TIAS" => BandwidthType::Tias,
            "RR" => BandwidthType::Rr,
            "RS" => BandwidthType::Rs,
            _ => BandwidthType::Other(s.to_string()),
        }
    }
}

/// A `t=` line and the `r=` lines under it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Timing {
    /// Start (NTP seconds, 0 for unbounded).
    pub start: u64,
    /// Stop (NTP seconds, 0 for unbounded).
    pub stop: u64,
    /// `r=` lines.
    pub repeats: Vec<Repeat>,
}

/// An `r=` line, all values in seconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repeat {
    /// Repeat interval.
    pub interval: u64,
    /// Active duration.
    pub duration: u64,
    /// Offsets from the start time.
    pub offsets: Vec<u64>,
}

/// One adjustment of a `z=` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeZoneAdjustment {
    /// When the adjustment takes effect (NTP seconds).
    pub time: u64,
    /// Offset in seconds.
    pub offset: i64,
}

/// An `m=` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Media {
    /// Media type.
    pub kind: MediaKind,
    /// Transport port; 0 disables the stream (RFC 3264 5.1, 8.2).
    pub port: u16,
    /// Number of ports (`port/n`).
    pub num_ports: Option<u16>,
    /// Transport protocol.
    pub proto: Proto,
    /// Format list: RTP payload type numbers for the RTP protocols.
    pub formats: Vec<String>,
    /// Media-level `i=`.
    pub information: Option<String>,
    /// Media-level `c=` lines.
    pub connections: Vec<Connection>,
    /// Media-level `b=` lines.
    pub bandwidths: Vec<Bandwidth>,
    /// Media-level `k=`.
    pub key: Option<String>,
    /// Media-level `a=` lines in order.
    pub attributes: Attributes,
}

impl Media {
    /// A section without attributes.
    pub fn new(kind: MediaKind, port: u16, proto: Proto, formats: Vec<String>) -> Self {
        Media {
            kind,
            port,
            num_ports: None,
            proto,
            formats,
            information: None,
            connections: Vec::new(),
            bandwidths: Vec::new(),
            key: None,
            attributes: Attributes::default(),
        }
    }

    /// The format list read as RTP payload types (entries that are not a
    /// number up to 127 are skipped).
    pub fn payload_types(&self) -> Vec<u8> {
        self.formats
            .iter()
            .filter_map(|f| f.parse::<u8>().ok())
            .filter(|pt| *pt <= 127)
            .collect()
    }

    /// Whether the port is 0: the stream is rejected or disabled.
    pub fn is_disabled(&self) -> bool {
        self.port == 0
    }

    /// A bandwidth value by modifier.
    pub fn bandwidth(&self, kind: &BandwidthType) -> Option<u64> {
        self.bandwidths
            .iter()
            .find(|b| &b.kind == kind)
            .map(|b| b.value)
    }
}

/// A media type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaKind {
    /// `audio`.
    Audio,
    /// `video`.
    Video,
    /// `application`.
    Application,
    /// `text` (RFC 4103 real-time text).
    Text,
    /// `message` (MSRP).
    Message,
    /// `image` (T.38).
    Image,
    /// Anything else, verbatim.
    Other(String),
}

impl MediaKind {
    /// The SDP token.
    pub fn as_str(&self) -> &str {
        match self {
            MediaKind::Audio => "audio",
            MediaKind::Video => "video",
            MediaKind::Application => "application",
            MediaKind::Text => "text",
            MediaKind::Message => "message",
            MediaKind::Image => "image",
            MediaKind::Other(s) => s,
        }
    }

    /// Maps a token.
    pub fn from_token(s: &str) -> Self {
        match s.to_ascii_lowercase().as_str() {
            "audio" => MediaKind::Audio,
            "video" => MediaKind::Video,
            "application" => MediaKind::Application,
            "text" => MediaKind::Text,
            "message" => MediaKind::Message,
            "image" => MediaKind::Image,
            _ => MediaKind::Other(s.to_string()),
        }
    }
}

/// A media transport protocol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Proto {
    /// `RTP/AVP` (RFC 3551).
    RtpAvp,
    /// `RTP/AVPF` (RFC 4585).
    RtpAvpf,
    /// `RTP/SAVP` (RFC 3711).
    RtpSavp,
    /// `RTP/SAVPF` (RFC 5124).
    RtpSavpf,
    /// `UDP/TLS/RTP/SAVP` (RFC 5764, DTLS-SRTP).
    UdpTlsRtpSavp,
    /// `UDP/TLS/RTP/SAVPF` (RFC 5764, DTLS-SRTP with feedback).
    UdpTlsRtpSavpf,
    /// `udp`.
    Udp,
    /// Anything else (`UDP/DTLS/SCTP`, `TCP/MSRP`, `udptl`…), verbatim.
    Other(String),
}

impl Proto {
    /// The SDP token.
    pub fn as_str(&self) -> &str {
        match self {
            Proto::RtpAvp => "RTP/AVP",
            Proto::RtpAvpf => "RTP/AVPF",
            Proto::RtpSavp => "RTP/SAVP",
            Proto::RtpSavpf => "RTP/SAVPF",
            Proto::UdpTlsRtpSavp => "UDP/TLS/RTP/SAVP",
            Proto::UdpTlsRtpSavpf => "UDP/TLS/RTP/SAVPF",
            Proto::Udp => "udp",
            Proto::Other(s) => s,
        }
    }

    /// Maps a token, case-insensitively for the known ones.
    pub fn from_token(s: &str) -> Self {
        match s.to_ascii_uppercase().as_str() {
            "RTP/AVP" => Proto::RtpAvp,
            "RTP/AVPF" => Proto::RtpAvpf,
            "RTP/SAVP" => Proto::RtpSavp,
            "RTP/SAVPF" => Proto::RtpSavpf,
            "UDP/TLS/RTP/SAVP" => Proto::UdpTlsRtpSavp,
            "UDP/TLS/RTP/SAVPF" => Proto::UdpTlsRtpSavpf,
            "UDP" => Proto::Udp,
            _ => Proto::Other(s.to_string()),
        }
    }

    /// Whether the stream carries RTP.
    pub fn is_rtp(&self) -> bool {
        !matches!(self, Proto::Udp | Proto::Other(_))
    }

    /// Whether the profile itself requires SRTP (SDES or DTLS keyed).
    pub fn is_secure(&self) -> bool {
        matches!(
            self,
            Proto::RtpSavp | Proto::RtpSavpf | Proto::UdpTlsRtpSavp | Proto::UdpTlsRtpSavpf
        )
    }

    /// Whether keys come from a DTLS handshake.
    pub fn is_dtls(&self) -> bool {
        matches!(self, Proto::UdpTlsRtpSavp | Proto::UdpTlsRtpSavpf)
    }

    /// Whether the profile is a feedback one (RFC 4585).
    pub fn is_feedback(&self) -> bool {
        matches!(
            self,
            Proto::RtpAvpf | Proto::RtpSavpf | Proto::UdpTlsRtpSavpf
        )
    }
}

/// One `a=` line: a flag (`a=rtcp-mux`) or a name with a value (`a=ptime:20`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    /// Name.
    pub name: String,
    /// Value after the first colon; `None` for flags.
    pub value: Option<String>,
}

impl Attribute {
    /// A flag attribute.
    pub fn flag(name: &str) -> Self {
        Attribute {
            name: name.to_string(),
            value: None,
        }
    }

    /// A valued attribute.
    pub fn new(name: &str, value: impl Into<String>) -> Self {
        Attribute {
            name: name.to_string(),
            value: Some(value.into()),
        }
    }
}

/// The `a=` lines of one level, in order. Lookups by name are
/// case-insensitive; unknown attributes are kept and written back untouched.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Attributes(pub Vec<Attribute>);

impl Attributes {
    /// All attributes in order.
    pub fn iter(&self) -> std::slice::Iter<'_, Attribute> {
        self.0.iter()
    }

    /// Number of attributes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Appends an attribute.
    pub fn push(&mut self, attr: Attribute) {
        self.0.push(attr);
    }

    /// Appends a flag.
    pub fn push_flag(&mut self, name: &str) {
        self.0.push(Attribute::flag(name));
    }

    /// Appends a valued attribute.
    pub fn push_value(&mut self, name: &str, value: impl Into<String>) {
        self.0.push(Attribute::new(name, value));
    }

    /// Removes every attribute with this name.
    pub fn remove(&mut self, name: &str) {
        self.0.retain(|a| !a.name.eq_ignore_ascii_case(name));
    }

    /// Whether an attribute (flag or valued) with this name is present.
    pub fn has(&self, name: &str) -> bool {
        self.0.iter().any(|a| a.name.eq_ignore_ascii_case(name))
    }

    /// The value of the first valued attribute with this name.
    pub fn value(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .filter(|a| a.name.eq_ignore_ascii_case(name))
            .find_map(|a| a.value.as_deref())
    }

    /// The values of every valued attribute with this name, in order.
    pub fn values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |a| a.name.eq_ignore_ascii_case(name))
            .filter_map(|a| a.value.as_deref())
    }
}

impl FromIterator<Attribute> for Attributes {
    fn from_iter<I: IntoIterator<Item = Attribute>>(iter: I) -> Self {
        Attributes(iter.into_iter().collect())
    }
}

impl<'a> IntoIterator for &'a Attributes {
    type Item = &'a Attribute;
    type IntoIter = std::slice::Iter<'a, Attribute>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}
