//! Chat over SIP MESSAGE (RFC 3428) with message/cpim (RFC 3862) bodies,
//! IMDN delivery receipts (RFC 5438), and an outbox that loses nothing:
//! every message is in the database before it is sent, leaves the outbox
//! only when the network accepted it, and is retried with backoff after a
//! timeout, a 5xx or a transport error. One message per conversation is in
//! flight at a time, so each conversation arrives in order; the receiver
//! drops duplicates by message id.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use handset_sip::auth::AuthSession;
use handset_sip::body::cpim::Cpim;
use handset_sip::body::imdn::{Disposition, Imdn};
use handset_sip::message::{
    new_call_id, new_tag, HeaderAccess, HeaderName, Method, NameAddr, Request, RequestBuilder,
    Response, Uri,
};
use handset_sip::transaction::{Peer, TransactionId};
use handset_store::{Channel, Message, MessageStatus, NewIncoming, NewOutgoing};
use serde::Serialize;
use tracing::{debug, info, warn};
use ts_rs::TS;

use super::Runtime;
use crate::calls::dial::target_uri;
use crate::error::EngineError;
use crate::event::{AccountId, Event};

/// Longest wait between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(300);

/// A chat message as the UI shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export, export_to = "../../../frontend/src/api/generated/")]
pub struct ChatMessage {
    /// Row id.
    #[ts(type = "number")]
    pub id: i64,
    /// Its conversation.
    #[ts(type = "number")]
    pub conversation_id: i64,
    /// The id both ends know it by (IMDN Message-ID).
    pub message_id: String,
    /// `in` or `out`.
    pub direction: String,
    /// Who wrote it.
    pub sender: String,
    /// The text (shown as text, never as HTML).
    pub body: String,
    /// Unix ms.
    #[ts(type = "number")]
    pub created_ms: i64,
    /// `pending`, `sent`, `delivered`, `read`, `failed`, `received`.
    pub status: String,
}

impl From<&Message> for ChatMessage {
    fn from(m: &Message) -> Self {
        ChatMessage {
            id: m.id,
            conversation_id: m.conversation_id,
            message_id: m.message_id.clone(),
            direction: serde_json::to_value(m.direction)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
            sender: m.sender.clone(),
            body: m.body.clone(),
            created_ms: m.created_at,
            status: serde_json::to_value(m.status)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
        }
    }
}

/// A MESSAGE on its way.
pub(crate) struct InFlight {
    message_id: String,
    conversation_id: i64,
    account: AccountId,
    request: Request,
    peer: Peer,
    auth: AuthSession,
    auth_tries: u32,
}

/// The outbox's state inside the runtime.
#[derive(Default)]
pub(crate) struct Outbox {
    in_flight: HashMap<TransactionId, InFlight>,
    /// When to look at the outbox again.
    pub(crate) wake: Option<Instant>,
}

impl Outbox {
    fn busy(&self, conversation: i64) -> bool {
        self.in_flight
            .values()
            .any(|f| f.conversation_id == conversation)
    }
}

fn backoff(attempts: u32) -> Duration {
    // 2, 4, 8… seconds, capped: a gateway or PBX that is down is not hammered
    Duration::from_secs(2u64.saturating_pow(attempts.min(9))).min(MAX_BACKOFF)
}

fn now_ms() -> i64 {
    handset_store::now_ms()
}

impl Runtime {
    /// Stores a message in the outbox and starts sending it.
    pub(crate) fn send_message(
        &mut self,
        now: Instant,
        account: AccountId,
        to: &str,
        text: &str,
    ) -> Result<ChatMessage, EngineError> {
        if text.trim().is_empty() {
            return Err(EngineError::InvalidTarget("the message is empty".into()));
        }
        let acc = self
            .accounts
            .get(&account)
            .ok_or(EngineError::NoAccount(account))?;
        let peer_uri = target_uri(to, &acc.cfg).map_err(EngineError::InvalidTarget)?;
        let sender = format!("sip:{}@{}", acc.cfg.user, acc.cfg.domain);
        let store = self.store.clone();
        let conversation = store
            .direct_conversation(Channel::Messages, None, &peer_uri.to_string(), None)
            .map_err(store_err)?;
        let message = store
            .enqueue_outgoing(&NewOutgoing {
                conversation_id: conversation,
                message_id: new_call_id(),
                sender,
                content_type: "text/plain".into(),
                body: text.to_string(),
            })
            .map_err(store_err)?;
        self.pump_outbox(now);
        Ok(ChatMessage::from(&message))
    }

    /// Sends every conversation's next due message that is not already on its way.
    pub(crate) fn pump_outbox(&mut self, now: Instant) {
        let heads = match self.store.outbox_heads(now_ms(), 64) {
            Ok(h) => h,
            Err(e) => {
                warn!(error = %e, "outbox not readable");
                return;
            }
        };
        for m in heads {
            if self.outbox.busy(m.conversation_id) {
                continue;
            }
            if let Err(reason) = self.send_one(now, &m) {
                self.retry_later(&m.message_id, m.attempts, &reason);
            }
        }
        self.outbox.wake = match self.store.next_outbox_due() {
            Ok(Some(due)) => {
                let wait = (due - now_ms()).max(0) as u64;
                Some(now + Duration::from_millis(wait.max(50)))
            }
            _ => None,
        };
    }

    fn send_one(&mut self, now: Instant, m: &Message) -> Result<(), String> {
        let peer_uri = self
            .store
            .conversation_peer(m.conversation_id)
            .map_err(|e| e.to_string())?
            .ok_or("the conversation has no peer")?;
        // conversations are not tied to an engine account (ids change per
        // run): the first registered account sends, else one that talks to a
        // fixed server address without registering (the local echo account)
        let (account, peer) = self
            .accounts
            .keys()
            .find_map(|a| {
                self.ua
                    .registration(*a)
                    .and_then(|r| r.current_target())
                    .map(|p| (*a, p))
            })
            .or_else(|| {
                self.accounts.iter().find_map(|(id, acc)| {
                    let addr: std::net::SocketAddr = acc.cfg.server.as_deref()?.parse().ok()?;
                    (!acc.cfg.register).then(|| {
                        (
                            *id,
                            Peer::new(handset_sip::transaction::Transport::Udp, addr),
                        )
                    })
                })
            })
            .ok_or("not registered yet")?;
        let target = Uri::parse(&peer_uri).map_err(|e| e.to_string())?;
        let acc = &self.accounts[&account];
        let from_uri = crate::targets::aor(&acc.cfg)?;
        let acc_user = acc
            .cfg
            .auth_user
            .clone()
            .unwrap_or_else(|| acc.cfg.user.clone());
        let acc_password = acc.password.clone();
        let mut cpim = Cpim::text(
            &from_uri.to_string(),
            &peer_uri,
            &handset_sip::body::time::format_rfc3339(now_ms()),
            &m.message_id,
            &m.body,
        );
        cpim.push(
            Some("imdn"),
            "Disposition-Notification",
            "positive-delivery, display",
        );
        let mut from = NameAddr::new(Uri::Sip(from_uri));
        from.params.set("tag", Some(&new_tag()));
        let request = RequestBuilder::new(
            Method::Message,
            target.clone(),
            from,
            NameAddr::new(target),
            &new_call_id(),
            1,
        )
        .header(HeaderName::UserAgent, self.cfg.user_agent.clone())
        .body("message/cpim", cpim.to_bytes())
        .build();
        let creds =
            self.ua
                .credentials(account)
                .unwrap_or_else(|| handset_sip::auth::Credentials {
                    username: acc_user.clone(),
                    password: acc_password.clone(),
                });
        let auth = AuthSession::new(creds);
        let tx = self
            .ua
            .send_request(now, request.clone(), peer)
            .map_err(|e| e.to_string())?;
        debug!(message = %m.message_id, "MESSAGE sent");
        self.outbox.in_flight.insert(
            tx,
            InFlight {
                message_id: m.message_id.clone(),
                conversation_id: m.conversation_id,
                account,
                request,
                peer,
                auth,
                auth_tries: 0,
            },
        );
        Ok(())
    }

    fn retry_later(&mut self, message_id: &str, attempts: u32, reason: &str) {
        let wait = backoff(attempts + 1);
        info!(message = %message_id, %reason, retry_in = ?wait, "message kept in the outbox");
        if let Err(e) =
            self.store
                .outbox_retry(message_id, reason, now_ms() + wait.as_millis() as i64)
        {
            warn!(error = %e, "outbox retry not recorded");
        }
    }

    fn set_status(&self, message_id: &str, status: MessageStatus, reason: Option<&str>) {
        match self.store.set_outgoing_status(message_id, status, reason) {
            Ok(true) => self.emit(Event::MessageStatus {
                message_id: message_id.to_string(),
                status: serde_json::to_value(status)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
                reason: reason.map(str::to_string),
            }),
            Ok(false) => {}
            Err(e) => warn!(error = %e, "message status not stored"),
        }
    }

    /// A response to one of our MESSAGEs; false if the transaction is not ours.
    pub(crate) fn on_message_response(
        &mut self,
        now: Instant,
        tx: TransactionId,
        resp: &Response,
    ) -> bool {
        let Some(mut f) = self.outbox.in_flight.remove(&tx) else {
            return false;
        };
        let status = resp.status;
        match status {
            100..=199 => {
                self.outbox.in_flight.insert(tx, f);
                return true;
            }
            200..=299 => self.set_status(&f.message_id, MessageStatus::Sent, None),
            401 | 407 if f.auth_tries < 2 => {
                f.auth_tries += 1;
                if f.auth.on_challenge(resp).is_ok() {
                    let mut req = f.request.clone();
                    req.headers.remove(&HeaderName::Via);
                    let seq = req.cseq().map(|c| c.seq + 1).unwrap_or(2);
                    req.headers.set(HeaderName::CSeq, format!("{seq} MESSAGE"));
                    f.auth.authorize(&mut req);
                    f.request = req.clone();
                    match self.ua.send_request(now, req, f.peer) {
                        Ok(new_tx) => {
                            self.outbox.in_flight.insert(new_tx, f);
                            return true;
                        }
                        Err(e) => {
                            let attempts = self.attempts(&f.message_id);
                            self.retry_later(&f.message_id, attempts, &e.to_string());
                        }
                    }
                } else {
                    self.set_status(
                        &f.message_id,
                        MessageStatus::Failed,
                        Some("authentication failed"),
                    );
                }
            }
            401 | 407 => self.set_status(
                &f.message_id,
                MessageStatus::Failed,
                Some("authentication failed"),
            ),
            408 | 480 | 500..=599 => {
                let attempts = self.attempts(&f.message_id);
                self.retry_later(
                    &f.message_id,
                    attempts,
                    &format!("{} {}", status, resp.reason),
                );
            }
            _ => {
                let reason = format!("{} {}", status, resp.reason);
                self.set_status(&f.message_id, MessageStatus::Failed, Some(&reason));
            }
        }
        let _ = f.account;
        self.pump_outbox(now);
        true
    }

    /// A MESSAGE of ours timed out (or its transport failed); false if not ours.
    pub(crate) fn on_message_timeout(&mut self, now: Instant, tx: TransactionId) -> bool {
        let Some(f) = self.outbox.in_flight.remove(&tx) else {
            return false;
        };
        let attempts = self.attempts(&f.message_id);
        self.retry_later(&f.message_id, attempts, "no answer from the network");
        self.pump_outbox(now);
        true
    }

    fn attempts(&self, message_id: &str) -> u32 {
        self.store
            .message(message_id, handset_store::Direction::Out)
            .ok()
            .flatten()
            .map(|m| m.attempts)
            .unwrap_or(0)
    }

    /// An incoming MESSAGE: stored first (so a crash cannot lose it), then
    /// answered, then shown; receipts update our own messages.
    pub(crate) fn on_incoming_message(&mut self, now: Instant, tx: TransactionId, req: Request) {
        let ct = req
            .content_type()
            .map(|m| format!("{}/{}", m.kind, m.subtype))
            .unwrap_or_else(|| "text/plain".into());
        let sender = req
            .from_header()
            .map(|f| f.uri.to_string())
            .unwrap_or_default();
        // store-and-forward servers (Kamailio's msilo) may put a line such as
        // "[Offline message - <date>] " before the body they kept
        let raw = strip_offline_prefix(&req.body);
        let looks_cpim = raw.starts_with(b"From:") || raw.starts_with(b"NS:");
        let (message_id, body, created, wants_delivery) = if ct == "message/cpim" || looks_cpim {
            let cpim = match Cpim::parse(raw) {
                Ok(c) => c,
                Err(e) => {
                    let _ = self.ua.respond(
                        now,
                        tx,
                        Response::for_request(&req, 400, Some(&new_tag()))
                            .with_reason("Malformed CPIM"),
                    );
                    warn!(error = %e, "malformed CPIM");
                    return;
                }
            };
            let inner = cpim.content_type.to_ascii_lowercase();
            if inner.starts_with("message/imdn+xml") {
                let status = Imdn::parse(&cpim.body).ok();
                let _ =
                    self.ua
                        .respond(now, tx, Response::for_request(&req, 200, Some(&new_tag())));
                if let Some(imdn) = status {
                    let st = match imdn.disposition {
                        Disposition::Delivered => MessageStatus::Delivered,
                        Disposition::Displayed => MessageStatus::Read,
                        _ => return,
                    };
                    self.set_status(&imdn.message_id, st, None);
                }
                return;
            }
            let text = match cpim.text_body() {
                Ok(t) => t.to_string(),
                Err(_) => String::from_utf8_lossy(&cpim.body).into_owned(),
            };
            let id = cpim
                .message_id()
                .map(str::to_string)
                .unwrap_or_else(|| fallback_id(&req));
            let wants = cpim
                .disposition_notification()
                .iter()
                .any(|d| d.eq_ignore_ascii_case("positive-delivery"));
            (id, text, now_ms(), wants)
        } else if ct.starts_with("text/") {
            (
                fallback_id(&req),
                String::from_utf8_lossy(raw).into_owned(),
                now_ms(),
                false,
            )
        } else {
            let _ = self.ua.respond(
                now,
                tx,
                Response::for_request(&req, 415, Some(&new_tag()))
                    .with_header(HeaderName::Accept, "text/plain, message/cpim"),
            );
            return;
        };
        let conversation = self
            .store
            .direct_conversation(Channel::Messages, None, &sender, None);
        let stored = conversation.and_then(|c| {
            self.store.insert_incoming(&NewIncoming {
                conversation_id: c,
                message_id: message_id.clone(),
                sender: sender.clone(),
                content_type: "text/plain".into(),
                body,
                created_at: created,
            })
        });
        match stored {
            Ok(fresh) => {
                let _ =
                    self.ua
                        .respond(now, tx, Response::for_request(&req, 200, Some(&new_tag())));
                if let Some(m) = fresh {
                    self.emit(Event::MessageReceived {
                        message: ChatMessage::from(&m),
                    });
                } else {
                    debug!(message = %message_id, "duplicate message dropped");
                }
                if wants_delivery {
                    self.send_receipt(now, &req, &message_id, Disposition::Delivered);
                }
            }
            Err(e) => {
                // not stored: say so, and the sender keeps it and retries
                warn!(error = %e, "incoming message not stored");
                let _ =
                    self.ua
                        .respond(now, tx, Response::for_request(&req, 500, Some(&new_tag())));
            }
        }
    }

    /// Sends an IMDN back to the sender of `req` (best effort; a lost receipt
    /// only leaves the sender's tick at "sent").
    fn send_receipt(&mut self, now: Instant, req: &Request, message_id: &str, d: Disposition) {
        let Some(from) = req.from_header() else {
            return;
        };
        self.send_receipt_to(now, &from.uri, message_id, d);
    }

    /// Marks a conversation read and sends read receipts (IMDN "displayed")
    /// for what was unread.
    pub(crate) fn mark_read(
        &mut self,
        now: Instant,
        conversation: i64,
    ) -> Result<u32, EngineError> {
        let ids = self.store.mark_read(conversation).map_err(store_err)?;
        let peer = self
            .store
            .conversation_peer(conversation)
            .map_err(store_err)?
            .and_then(|p| Uri::parse(&p).ok());
        if let Some(peer) = peer {
            for id in &ids {
                self.send_receipt_to(now, &peer, id, Disposition::Displayed);
            }
        }
        Ok(ids.len() as u32)
    }

    fn send_receipt_to(&mut self, now: Instant, to: &Uri, message_id: &str, d: Disposition) {
        let from = NameAddr::new(to.clone());
        let Some((account, peer)) = self.accounts.keys().find_map(|a| {
            self.ua
                .registration(*a)
                .and_then(|r| r.current_target())
                .map(|p| (*a, p))
        }) else {
            return;
        };
        let Ok(our) = crate::targets::aor(&self.accounts[&account].cfg) else {
            return;
        };
        let imdn = Imdn {
            message_id: message_id.to_string(),
            datetime: Some(handset_sip::body::time::format_rfc3339(now_ms())),
            recipient: Some(our.to_string()),
            disposition: d,
        };
        let mut cpim = Cpim::text(
            &our.to_string(),
            &from.uri.to_string(),
            &handset_sip::body::time::format_rfc3339(now_ms()),
            &new_call_id(),
            "",
        );
        cpim.content_type = handset_sip::body::imdn::IMDN_TYPE.into();
        cpim.body = imdn.to_xml().into_bytes();
        let mut f = NameAddr::new(Uri::Sip(our.clone()));
        f.params.set("tag", Some(&new_tag()));
        let request = RequestBuilder::new(
            Method::Message,
            from.uri.clone(),
            f,
            NameAddr::new(from.uri.clone()),
            &new_call_id(),
            1,
        )
        .body("message/cpim", cpim.to_bytes())
        .build();
        let auth = self.ua.credentials(account).map(AuthSession::new);
        match (self.ua.send_request(now, request.clone(), peer), auth) {
            (Ok(tx), Some(auth)) => {
                // receipts ride the same machinery so a 407 is answered; they
                // are not in the database, so "failed" has nothing to update
                self.outbox.in_flight.insert(
                    tx,
                    InFlight {
                        message_id: format!("receipt:{message_id}"),
                        conversation_id: -1,
                        account,
                        request,
                        peer,
                        auth,
                        auth_tries: 0,
                    },
                );
            }
            (Err(e), _) => debug!(error = %e, "receipt not sent"),
            _ => {}
        }
    }
}

fn strip_offline_prefix(body: &[u8]) -> &[u8] {
    if body.starts_with(b"[Offline message") {
        if let Some(end) = body.iter().position(|b| *b == b']') {
            let rest = &body[end + 1..];
            let skip = rest.iter().take_while(|b| **b == b' ').count();
            return &rest[skip..];
        }
    }
    body
}

/// An id for messages without one (plain text/plain clients): the same
/// retransmitted request gives the same id, so it is stored once.
fn fallback_id(req: &Request) -> String {
    let call_id = req.call_id().unwrap_or_default();
    let seq = req.cseq().map(|c| c.seq).unwrap_or(0);
    format!("sip:{call_id}:{seq}")
}

fn store_err(e: handset_store::StoreError) -> EngineError {
    EngineError::Store(e.to_string())
}
