//! Connections: a byte stream (TCP or TLS) framed into SIP messages, or a
//! WebSocket carrying one message per frame, split into a reader task and a
//! writer shared by senders.

use std::io;
use std::net::SocketAddr;

use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use handset_sip::framing::{Frame, StreamFramer};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadHalf, WriteHalf};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use crate::kind::{FlowId, TransportEvent, TransportKind};

/// Anything a connection can run over.
pub trait Io: AsyncRead + AsyncWrite + Unpin + Send + 'static {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + 'static> Io for T {}

/// A boxed connection (plain TCP or TLS).
pub type BoxIo = Box<dyn Io>;

/// The sending half of a connection.
pub enum Writer {
    /// TCP or TLS.
    Stream(WriteHalf<BoxIo>),
    /// WebSocket.
    Ws(SplitSink<WebSocketStream<BoxIo>, Message>),
}

impl Writer {
    /// Sends one SIP message.
    pub async fn send(&mut self, data: &[u8]) -> io::Result<()> {
        match self {
            Writer::Stream(w) => {
                w.write_all(data).await?;
                w.flush().await
            }
            Writer::Ws(w) => {
                // RFC 7118: text frames for UTF-8 messages, binary otherwise
                let msg = match std::str::from_utf8(data) {
                    Ok(s) => Message::text(s),
                    Err(_) => Message::binary(data.to_vec()),
                };
                w.send(msg).await.map_err(io::Error::other)
            }
        }
    }

    /// Sends a keep-alive ping (RFC 5626 CRLFCRLF, or a WebSocket ping).
    pub async fn ping(&mut self) -> io::Result<()> {
        match self {
            Writer::Stream(_) => self.send(b"\r\n\r\n").await,
            Writer::Ws(w) => w
                .send(Message::Ping(Vec::new().into()))
                .await
                .map_err(io::Error::other),
        }
    }

    /// Answers a ping.
    pub async fn pong(&mut self) -> io::Result<()> {
        match self {
            Writer::Stream(_) => self.send(b"\r\n").await,
            Writer::Ws(_) => Ok(()),
        }
    }

    /// Closes the sending side.
    pub async fn close(&mut self) {
        match self {
            Writer::Stream(w) => {
                let _ = w.shutdown().await;
            }
            Writer::Ws(w) => {
                let _ = w.close().await;
            }
        }
    }
}

/// Where a reader sends what it finds and how it asks for a pong.
pub struct ReaderCtx {
    /// The flow.
    pub flow: FlowId,
    /// Protocol.
    pub kind: TransportKind,
    /// Our address.
    pub local: SocketAddr,
    /// The peer.
    pub remote: SocketAddr,
    /// Largest message.
    pub max: usize,
    /// Events out.
    pub events: tokio::sync::mpsc::Sender<TransportEvent>,
}

/// What made a reader stop.
pub enum ReadEnd {
    /// Closed by the peer.
    Eof,
    /// An error.
    Error(String),
}

/// Reads a TCP/TLS stream until it ends, delivering framed messages.
pub async fn read_stream(mut r: ReadHalf<BoxIo>, ctx: &ReaderCtx, pong: impl Fn()) -> ReadEnd {
    let mut framer = StreamFramer::new(ctx.max);
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = match r.read(&mut buf).await {
            Ok(0) => return ReadEnd::Eof,
            Ok(n) => n,
            Err(e) => return ReadEnd::Error(e.to_string()),
        };
        framer.push(&buf[..n]);
        loop {
            match framer.next_frame() {
                Ok(Some(Frame::Message(data))) => {
                    let ev = TransportEvent::Message {
                        kind: ctx.kind,
                        flow: ctx.flow,
                        local: ctx.local,
                        remote: ctx.remote,
                        data,
                    };
                    if ctx.events.send(ev).await.is_err() {
                        return ReadEnd::Eof;
                    }
                }
                Ok(Some(Frame::Ping)) => pong(),
                Ok(Some(Frame::Pong)) => {
                    let _ = ctx
                        .events
                        .send(TransportEvent::Pong { flow: ctx.flow })
                        .await;
                }
                Ok(None) => break,
                // the stream cannot be framed any more: the connection is useless
                Err(e) => return ReadEnd::Error(e.to_string()),
            }
        }
    }
}

/// Reads a WebSocket until it closes, one SIP message per data frame.
pub async fn read_ws(mut r: SplitStream<WebSocketStream<BoxIo>>, ctx: &ReaderCtx) -> ReadEnd {
    while let Some(msg) = r.next().await {
        let data = match msg {
            Ok(Message::Text(t)) => t.as_bytes().to_vec(),
            Ok(Message::Binary(b)) => b.to_vec(),
            Ok(Message::Pong(_)) => {
                let _ = ctx
                    .events
                    .send(TransportEvent::Pong { flow: ctx.flow })
                    .await;
                continue;
            }
            Ok(Message::Close(_)) => return ReadEnd::Eof,
            Ok(_) => continue,
            Err(e) => return ReadEnd::Error(e.to_string()),
        };
        if data.iter().all(|b| *b == b'\r' || *b == b'\n') || data.len() > ctx.max {
            continue;
        }
        let ev = TransportEvent::Message {
            kind: ctx.kind,
            flow: ctx.flow,
            local: ctx.local,
            remote: ctx.remote,
            data,
        };
        if ctx.events.send(ev).await.is_err() {
            return ReadEnd::Eof;
        }
    }
    ReadEnd::Eof
}
