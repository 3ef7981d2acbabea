//! Parsing session descriptions (RFC 8866 5).
//!
//! Strict where a mistake would change what the call does (`v=`, `o=`, `c=`,
//! `b=`, `t=`, `m=` must be well formed), lenient where real stacks deviate
//! harmlessly: LF or CRLF, trailing whitespace, blank lines, a missing `s=` or
//! `t=`, lines of unknown type (ignored, as RFC 8866 5 allows) and session-level
//! lines in a different order. Attribute values are not checked here; the typed
//! accessors skip the ones that do not parse, so one odd `a=` line cannot fail
//! a call.

use std::str::FromStr;

use super::model::{
    AddrType, Attribute, Attributes, Bandwidth, BandwidthType, Connection, Media, MediaKind,
    Origin, Proto, Repeat, Sdp, TimeZoneAdjustment, Timing,
};

/// Why a session description (or one of its attributes) was refused. The
/// message is a single line, suitable for a `Warning` header.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SdpError {
    /// A line of the description is malformed.
    #[error("SDP line {line}: {reason}")]
    Line {
        /// 1-based line number.
        line: usize,
        /// What is wrong with it.
        reason: String,
    },
    /// The description as a whole, or a typed attribute value, is malformed.
    #[error("SDP: {0}")]
    Invalid(String),
}

impl SdpError {
    pub(crate) fn invalid(reason: impl Into<String>) -> Self {
        SdpError::Invalid(reason.into())
    }

    /// The reason without the line number.
    pub fn reason(&self) -> &str {
        match self {
            SdpError::Line { reason, .. } => reason,
            SdpError::Invalid(reason) => reason,
        }
    }
}

impl Sdp {
    /// Parses a description from a message body. Never panics.
    pub fn parse(input: &[u8]) -> Result<Sdp, SdpError> {
        parse(input)
    }
}

impl FromStr for Sdp {
    type Err = SdpError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse(s.as_bytes())
    }
}

/// Parses a description from a message body. Never panics.
pub fn parse(input: &[u8]) -> Result<Sdp, SdpError> {
    // RFC 8866 makes UTF-8 the default charset; a stray Latin-1 byte in s= or
    // i= should not fail the call, so decode lossily.
    let text = String::from_utf8_lossy(input);
    let mut lines = text
        .split('\n')
        .map(str::trim_end)
        .enumerate()
        .map(|(i, l)| (i + 1, l))
        .filter(|(_, l)| !l.is_empty());

    match lines.next() {
        Some((_, "v=0")) => {}
        Some((line, l)) if l.starts_with("v=") => {
            return Err(err(line, format!("unsupported version `{}`", &l[2..])))
        }
        Some((line, _)) => return Err(err(line, "description must start with v=0")),
        None => return Err(SdpError::invalid("empty description")),
    }

    let mut b = Builder::default();
    for (line, l) in lines {
        let (kind, value) = split_line(l).ok_or_else(|| err(line, "expected `<type>=<value>`"))?;
        b.line(kind, value).map_err(|reason| err(line, reason))?;
    }
    b.finish()
}

fn err(line: usize, reason: impl Into<String>) -> SdpError {
    SdpError::Line {
        line,
        reason: reason.into(),
    }
}

fn split_line(l: &str) -> Option<(u8, &str)> {
    let bytes = l.as_bytes();
    let kind = *bytes.first()?;
    if !kind.is_ascii_lowercase() || bytes.get(1) != Some(&b'=') {
        return None;
    }
    // both leading bytes are ASCII, so index 2 is a char boundary
    Some((kind, &l[2..]))
}

#[derive(Default)]
struct Builder {
    origin: Option<Origin>,
    session_name: Option<String>,
    information: Option<String>,
    uri: Option<String>,
    emails: Vec<String>,
    phones: Vec<String>,
    connection: Option<Connection>,
    bandwidths: Vec<Bandwidth>,
    timings: Vec<Timing>,
    time_zones: Vec<TimeZoneAdjustment>,
    key: Option<String>,
    attributes: Vec<Attribute>,
    media: Vec<Media>,
}

impl Builder {
    fn line(&mut self, kind: u8, value: &str) -> Result<(), String> {
        if let Some(m) = self.media.last_mut() {
            return match kind {
                b'm' => {
                    self.media.push(parse_media(value)?);
                    Ok(())
                }
                b'i' => set_once(&mut m.information, value, "i="),
                b'c' => {
                    m.connections.push(parse_connection(value)?);
                    Ok(())
                }
                b'b' => {
                    m.bandwidths.push(parse_bandwidth(value)?);
                    Ok(())
                }
                b'k' => set_once(&mut m.key, value, "k="),
                b'a' => {
                    m.attributes.push(parse_attribute(value)?);
                    Ok(())
                }
                b'v' | b'o' | b's' | b'u' | b'e' | b'p' | b't' | b'r' | b'z' => Err(format!(
                    "{}= is not allowed in a media section",
                    kind as char
                )),
                _ => Ok(()),
            };
        }
        match kind {
            b'o' => {
                if self.origin.is_some() {
                    return Err("more than one o= line".into());
                }
                self.origin = Some(parse_origin(value)?);
            }
            b's' => set_once(&mut self.session_name, value, "s=")?,
            b'i' => set_once(&mut self.information, value, "i=")?,
            b'u' => set_once(&mut self.uri, value, "u=")?,
            b'e' => self.emails.push(value.to_string()),
            b'p' => self.phones.push(value.to_string()),
            b'c' => {
                if self.connection.is_some() {
                    return Err("more than one session-level c= line".into());
                }
                self.connection = Some(parse_connection(value)?);
            }
            b'b' => self.bandwidths.push(parse_bandwidth(value)?),
            b't' => self.timings.push(parse_timing(value)?),
            b'r' => {
                let repeat = parse_repeat(value)?;
                self.timings
                    .last_mut()
                    .ok_or("r= without a preceding t=")?
                    .repeats
                    .push(repeat);
            }
            b'z' => self.time_zones = parse_zones(value)?,
            b'k' => set_once(&mut self.key, value, "k=")?,
            b'a' => self.attributes.push(parse_attribute(value)?),
            b'm' => self.media.push(parse_media(value)?),
            b'v' => return Err("more than one v= line".into()),
            _ => {}
        }
        Ok(())
    }

    fn finish(self) -> Result<Sdp, SdpError> {
        let origin = self
            .origin
            .ok_or_else(|| SdpError::invalid("missing o= line"))?;
        let mut timings = self.timings;
        if timings.is_empty() {
            timings.push(Timing::default());
        }
        Ok(Sdp {
            origin,
            session_name: self.session_name.unwrap_or_else(|| "-".to_string()),
            information: self.information,
            uri: self.uri,
            emails: self.emails,
            phones: self.phones,
            connection: self.connection,
            bandwidths: self.bandwidths,
            timings,
            time_zones: self.time_zones,
            key: self.key,
            attributes: Attributes(self.attributes),
            media: self.media,
        })
    }
}

fn set_once(slot: &mut Option<String>, value: &str, what: &str) -> Result<(), String> {
    if slot.is_some() {
        return Err(format!("more than one {what} line"));
    }
    *slot = Some(value.to_string());
    Ok(())
}

fn parse_origin(value: &str) -> Result<Origin, String> {
    let fields: Vec<&str> = value.split_whitespace().collect();
    if fields.len() < 6 {
        return Err(
            "o= needs <username> <sess-id> <sess-version> <nettype> <addrtype> <address>".into(),
        );
    }
    // a user name with spaces in it is a common bug; keep the last five fields
    // as defined and let the rest be the user name
    let split = fields.len() - 5;
    let (user, rest) = fields.split_at(split);
    let [session_id, version, net_type, addr_type, address] = rest else {
        return Err("o= is malformed".into());
    };
    let session_version = version
        .parse::<u64>()
        .map_err(|_| format!("o= session version `{version}` is not a number"))?;
    Ok(Origin {
        username: user.join(" "),
        session_id: (*session_id).to_string(),
        session_version,
        net_type: (*net_type).to_string(),
        addr_type: AddrType::from_token(addr_type),
        address: (*address).to_string(),
    })
}

/// Parses the value of a `c=` line (`IN IP4 192.0.2.1`, `IN IP4 224.2.1.1/127/3`).
pub(crate) fn parse_connection(value: &str) -> Result<Connection, String> {
    let fields: Vec<&str> = value.split_whitespace().collect();
    let [net_type, addr_type, address] = fields.as_slice() else {
        return Err("c= needs <nettype> <addrtype> <address>".into());
    };
    let addr_type = AddrType::from_token(addr_type);
    let mut parts = address.split('/');
    let host = parts.next().unwrap_or_default();
    if host.is_empty() {
        return Err("c= address is empty".into());
    }
    let suffixes: Vec<&str> = parts.collect();
    let number = |s: &str| -> Result<u32, String> {
        s.parse::<u32>()
            .map_err(|_| format!("c= suffix `{s}` is not a number"))
    };
    let (ttl, count) = match (&addr_type, suffixes.as_slice()) {
        (_, []) => (None, None),
        (AddrType::Ip4, [ttl]) => (Some(number(ttl)?), None),
        (AddrType::Ip4, [ttl, count]) => (Some(number(ttl)?), Some(number(count)?)),
        (AddrType::Ip6, [count]) => (None, Some(number(count)?)),
        _ => return Err(format!("c= address `{address}` is malformed")),
    };
    let ttl = match ttl {
        Some(t) => Some(u8::try_from(t).map_err(|_| format!("c= TTL {t} is above 255"))?),
        None => None,
    };
    Ok(Connection {
        net_type: (*net_type).to_string(),
        addr_type,
        address: host.to_string(),
        ttl,
        count,
    })
}

fn parse_bandwidth(value: &str) -> Result<Bandwidth, String> {
    let (kind, amount) = value
        .split_once(':')
        .ok_or("b= needs <bwtype>:<bandwidth>")?;
    let kind = kind.trim();
    if kind.is_empty() {
        return Err("b= modifier is empty".into());
    }
    let value = amount
        .trim()
        .parse::<u64>()
        .map_err(|_| format!("b= value `{amount}` is not a number"))?;
    Ok(Bandwidth {
        kind: BandwidthType::from_token(kind),
        value,
    })
}

fn parse_timing(value: &str) -> Result<Timing, String> {
    let fields: Vec<&str> = value.split_whitespace().collect();
    let [start, stop] = fields.as_slice() else {
        return Err("t= needs <start> <stop>".into());
    };
    let number = |s: &str| {
        s.parse::<u64>()
            .map_err(|_| format!("t= time `{s}` is not a number"))
    };
    Ok(Timing {
        start: number(start)?,
        stop: number(stop)?,
        repeats: Vec::new(),
    })
}

/// A time with an optional unit suffix (`7d`, `1h`, `-25m`, `30s`, `3600`).
fn typed_time(s: &str) -> Option<i64> {
    let (digits, unit) = match s.as_bytes().last()? {
        b'd' => (&s[..s.len() - 1], 86_400),
        b'h' => (&s[..s.len() - 1], 3_600),
        b'm' => (&s[..s.len() - 1], 60),
        b's' => (&s[..s.len() - 1], 1),
        _ => (s, 1),
    };
    let (negative, digits) = match digits.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, digits),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n = digits.parse::<i64>().ok()?.checked_mul(unit)?;
    Some(if negative { -n } else { n })
}

fn parse_repeat(value: &str) -> Result<Repeat, String> {
    let mut times = Vec::new();
    for field in value.split_whitespace() {
        let t = typed_time(field)
            .and_then(|t| u64::try_from(t).ok())
            .ok_or_else(|| format!("r= time `{field}` is malformed"))?;
        times.push(t);
    }
    let [interval, duration, offsets @ ..] = times.as_slice() else {
        return Err("r= needs <interval> <duration> <offsets>".into());
    };
    if offsets.is_empty() {
        return Err("r= needs at least one offset".into());
    }
    Ok(Repeat {
        interval: *interval,
        duration: *duration,
        offsets: offsets.to_vec(),
    })
}

fn parse_zones(value: &str) -> Result<Vec<TimeZoneAdjustment>, String> {
    let fields: Vec<&str> = value.split_whitespace().collect();
    if fields.is_empty() || fields.len() % 2 != 0 {
        return Err("z= needs pairs of <time> <offset>".into());
    }
    fields
        .chunks(2)
        .map(|pair| {
            let [time, offset] = pair else {
                return Err("z= needs pairs of <time> <offset>".to_string());
            };
            let time = time
                .parse::<u64>()
                .map_err(|_| format!("z= time `{time}` is not a number"))?;
            let offset =
                typed_time(offset).ok_or_else(|| format!("z= offset `{offset}` is malformed"))?;
            Ok(TimeZoneAdjustment { time, offset })
        })
        .collect()
}

fn parse_attribute(value: &str) -> Result<Attribute, String> {
    let (name, value) = match value.split_once(':') {
        Some((name, value)) => (name.trim(), Some(value.to_string())),
        None => (value.trim(), None),
    };
    if name.is_empty() {
        return Err("a= attribute name is empty".into());
    }
    Ok(Attribute {
        name: name.to_string(),
        value,
    })
}

fn parse_media(value: &str) -> Result<Media, String> {
    let mut fields = value.split_whitespace();
    let kind = fields.next().ok_or("m= is empty")?;
    let port_field = fields.next().ok_or("m= needs a port")?;
    let proto = fields.next().ok_or("m= needs a transport protocol")?;
    let (port, num_ports) = match port_field.split_once('/') {
        Some((port, n)) => (port, Some(n)),
        None => (port_field, None),
    };
    let port = port
        .parse::<u16>()
        .map_err(|_| format!("m= port `{port}` is not a number below 65536"))?;
    let num_ports = match num_ports {
        Some(n) => Some(
            n.parse::<u16>()
                .map_err(|_| format!("m= number of ports `{n}` is malformed"))?,
        ),
        None => None,
    };
    let proto = Proto::from_token(proto);
    let formats: Vec<String> = fields.map(str::to_string).collect();
    if proto.is_rtp() {
        if let Some(bad) = formats
            .iter()
            .find(|f| !f.parse::<u8>().is_ok_and(|pt| pt <= 127))
        {
            return Err(format!("m= payload type `{bad}` is not a number up to 127"));
        }
    }
    let mut media = Media::new(MediaKind::from_token(kind), port, proto, formats);
    media.num_ports = num_ports;
    Ok(media)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_times() {
        assert_eq!(typed_time("7d"), Some(604_800));
        assert_eq!(typed_time("-1h"), Some(-3_600));
        assert_eq!(typed_time("90"), Some(90));
        assert_eq!(typed_time("d"), None);
        assert_eq!(typed_time("-"), None);
        assert_eq!(typed_time("99999999999999999d"), None);
    }

    #[test]
    fn connection_suffixes() {
        let c = parse_connection("IN IP4 224.2.1.1/127/3").unwrap();
        assert_eq!((c.ttl, c.count), (Some(127), Some(3)));
        let c = parse_connection("IN IP6 ff15::101/3").unwrap();
        assert_eq!((c.ttl, c.count), (None, Some(3)));
        assert!(parse_connection("IN IP6 ff15::101/3/2").is_err());
        assert!(parse_connection("IN IP4 224.2.1.1/300").is_err());
        assert!(parse_connection("IN IP4").is_err());
    }

    #[test]
    fn origin_with_spaces_in_user_name() {
        let o = parse_origin("Jane Doe 1 2 IN IP4 192.0.2.1").unwrap();
        assert_eq!(o.username, "Jane Doe");
        assert_eq!(o.session_version, 2);
        // RFC 8866 wants a number, but the id is only ever echoed back
        assert!(parse_origin("- x 2 IN IP4 a").is_ok());
        assert!(parse_origin("- 1 x IN IP4 a").is_err());
        assert!(parse_origin("- 1 2 IN IP4").is_err());
    }

    #[test]
    fn media_line() {
        let m = parse_media("audio 49170/2 RTP/AVP 0 8 101").unwrap();
        assert_eq!((m.port, m.num_ports), (49170, Some(2)));
        assert_eq!(m.payload_types(), vec![0, 8, 101]);
        assert!(parse_media("audio 70000 RTP/AVP 0").is_err());
        assert!(parse_media("audio 4000 RTP/AVP 128").is_err());
        assert!(parse_media("audio 4000 RTP/AVP opus").is_err());
        let m = parse_media("application 9 UDP/DTLS/SCTP webrtc-datachannel").unwrap();
        assert_eq!(m.formats, vec!["webrtc-datachannel"]);
    }
}
