//! Serializing session descriptions: CRLF line ends and the line order of
//! RFC 8866 5 (`v o s i u e p c b t r z k a`, then per media `m i c b k a`).

use std::fmt::{self, Write as _};

use super::model::{AddrType, Origin, Timing};
use super::model::{Attribute, Bandwidth, Connection, Media, Repeat, Sdp, TimeZoneAdjustment};

impl Sdp {
    /// The description as a message body.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.to_string().into_bytes()
    }
}

impl fmt::Display for Sdp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        line(f, 'v', &"0")?;
        line(f, 'o', &self.origin)?;
        line(f, 's', &self.session_name)?;
        if let Some(i) = &self.information {
            line(f, 'i', i)?;
        }
        if let Some(u) = &self.uri {
            line(f, 'u', u)?;
        }
        for e in &self.emails {
            line(f, 'e', e)?;
        }
        for p in &self.phones {
            line(f, 'p', p)?;
        }
        if let Some(c) = &self.connection {
            line(f, 'c', c)?;
        }
        for b in &self.bandwidths {
            line(f, 'b', b)?;
        }
        if self.timings.is_empty() {
            // t= is mandatory; an unbounded session is what every UA means
            line(f, 't', &Timing::default())?;
        }
        for t in &self.timings {
            line(f, 't', t)?;
            for r in &t.repeats {
                line(f, 'r', r)?;
            }
        }
        if !self.time_zones.is_empty() {
            line(f, 'z', &Zones(&self.time_zones))?;
        }
        if let Some(k) = &self.key {
            line(f, 'k', k)?;
        }
        for a in &self.attributes {
            line(f, 'a', a)?;
        }
        for m in &self.media {
            write!(f, "{m}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Media {
    /// The whole media section, from `m=` to its last `a=`, CRLF-terminated.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut m = format!("{} {}", self.kind.as_str(), self.port);
        if let Some(n) = self.num_ports {
            let _ = write!(m, "/{n}");
        }
        let _ = write!(m, " {}", self.proto.as_str());
        for fmt in &self.formats {
            let _ = write!(m, " {fmt}");
        }
        line(f, 'm', &m)?;
        if let Some(i) = &self.information {
            line(f, 'i', i)?;
        }
        for c in &self.connections {
            line(f, 'c', c)?;
        }
        for b in &self.bandwidths {
            line(f, 'b', b)?;
        }
        if let Some(k) = &self.key {
            line(f, 'k', k)?;
        }
        for a in &self.attributes {
            line(f, 'a', a)?;
        }
        Ok(())
    }
}

fn line(f: &mut fmt::Formatter<'_>, kind: char, value: &dyn fmt::Display) -> fmt::Result {
    write!(f, "{kind}={value}\r\n")
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {} {} {} {}",
            self.username,
            self.session_id,
            self.session_version,
            self.net_type,
            self.addr_type.as_str(),
            self.address
        )
    }
}

impl fmt::Display for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {}",
            self.net_type,
            self.addr_type.as_str(),
            self.address
        )?;
        match (&self.addr_type, self.ttl, self.count) {
            (AddrType::Ip6, _, Some(n)) => write!(f, "/{n}"),
            (_, Some(ttl), Some(n)) => write!(f, "/{ttl}/{n}"),
            (_, Some(ttl), None) => write!(f, "/{ttl}"),
            _ => Ok(()),
        }
    }
}

impl fmt::Display for Bandwidth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.kind.as_str(), self.value)
    }
}

impl fmt::Display for Timing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.start, self.stop)
    }
}

impl fmt::Display for Repeat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.interval, self.duration)?;
        for o in &self.offsets {
            write!(f, " {o}")?;
        }
        Ok(())
    }
}

struct Zones<'a>(&'a [TimeZoneAdjustment]);

impl fmt::Display for Zones<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, z) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{} {}", z.time, z.offset)?;
        }
        Ok(())
    }
}

impl fmt::Display for Attribute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.value {
            Some(v) => write!(f, "{}:{v}", self.name),
            None => f.write_str(&self.name),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn multicast_connections() {
        let c = super::super::parse::parse_connection("IN IP4 224.2.1.1/127/3").unwrap();
        assert_eq!(c.to_string(), "IN IP4 224.2.1.1/127/3");
        let c = super::super::parse::parse_connection("IN IP6 ff15::101/3").unwrap();
        assert_eq!(c.to_string(), "IN IP6 ff15::101/3");
    }
}
