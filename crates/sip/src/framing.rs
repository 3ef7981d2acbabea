//! Splits a stream transport's bytes into SIP messages (RFC 3261 18.3) and
//! recognises RFC 5626 keep-alives (CRLFCRLF ping, CRLF pong).

use thiserror::Error;

use crate::message::HeaderName;

/// Why a stream can no longer be framed; the connection must be closed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FramingError {
    /// Content-Length is missing a number or is not one.
    #[error("invalid Content-Length in stream: {0}")]
    ContentLength(String),
    /// The header section or body exceeds the limit.
    #[error("message exceeds {0} bytes")]
    TooLarge(usize),
}

/// One unit taken off a stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// A complete message (header section and body), ready for [`crate::message::parse`].
    Message(Vec<u8>),
    /// A keep-alive ping (CRLFCRLF) that asks for a pong.
    Ping,
    /// A keep-alive pong (CRLF).
    Pong,
}

/// Accumulates bytes and yields frames.
#[derive(Debug)]
pub struct StreamFramer {
    buf: Vec<u8>,
    max: usize,
}

impl StreamFramer {
    /// A framer refusing messages larger than `max` bytes.
    pub fn new(max: usize) -> Self {
        StreamFramer {
            buf: Vec::new(),
            max,
        }
    }

    /// Appends received bytes.
    pub fn push(&mut self, data: &[u8]) {
        self.buf.extend_from_slice(data);
    }

    /// Bytes buffered and not yet framed.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// Takes the next complete frame, `Ok(None)` when more bytes are needed.
    pub fn next_frame(&mut self) -> Result<Option<Frame>, FramingError> {
        if self.buf.starts_with(b"\r\n\r\n") {
            self.buf.drain(..4);
            return Ok(Some(Frame::Ping));
        }
        if self.buf.starts_with(b"\r\n") {
            // a lone CRLF is a pong; as a prefix of a message it is ignored the
            // same way (RFC 3261 7.5), so consuming it is right in both cases
            self.buf.drain(..2);
            return Ok(Some(Frame::Pong));
        }
        if self.buf.starts_with(b"\r") || self.buf.is_empty() {
            return Ok(None);
        }
        let Some(end) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") else {
            if self.buf.len() > self.max {
                return Err(FramingError::TooLarge(self.max));
            }
            return Ok(None);
        };
        let head_len = end + 4;
        let head = String::from_utf8_lossy(&self.buf[..end]);
        let mut content_length = 0usize;
        for line in head.split("\r\n").skip(1) {
            let Some((name, value)) = line.split_once(':') else {
                continue;
            };
            if line.starts_with([' ', '\t']) {
                continue;
            }
            if HeaderName::parse(name.trim_end()) == HeaderName::ContentLength {
                let v = value.trim();
                content_length = v
                    .parse()
                    .map_err(|_| FramingError::ContentLength(v.to_string()))?;
            }
        }
        if head_len + content_length > self.max {
            return Err(FramingError::TooLarge(self.max));
        }
        if self.buf.len() < head_len + content_length {
            return Ok(None);
        }
        let msg: Vec<u8> = self.buf.drain(..head_len + content_length).collect();
        Ok(Some(Frame::Message(msg)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_split_across_reads_and_keepalives() {
        let mut f = StreamFramer::new(1 << 16);
        let msg = b"OPTIONS sip:a@b SIP/2.0\r\nl: 3\r\n\r\nabc";
        f.push(b"\r\n\r\n");
        f.push(&msg[..10]);
        assert_eq!(f.next_frame().unwrap(), Some(Frame::Ping));
        assert_eq!(f.next_frame().unwrap(), None);
        f.push(&msg[10..]);
        f.push(b"\r\n");
        assert_eq!(f.next_frame().unwrap(), Some(Frame::Message(msg.to_vec())));
        assert_eq!(f.next_frame().unwrap(), Some(Frame::Pong));
        assert_eq!(f.next_frame().unwrap(), None);
    }

    #[test]
    fn bad_length_and_size() {
        let mut f = StreamFramer::new(64);
        f.push(b"OPTIONS sip:a@b SIP/2.0\r\nContent-Length: x\r\n\r\n");
        assert!(f.next_frame().is_err());
        let mut f = StreamFramer::new(64);
        f.push(&[b'a'; 100]);
        assert!(f.next_frame().is_err());
    }
}
