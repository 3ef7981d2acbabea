//! Our own presence, published to the PBX's presence server with PUBLISH
//! (RFC 3903) and a PIDF/RPID body, kept alive by refreshes with the entity
//! tag the server gave, and sent again when the status changes.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use handset_sip::auth::AuthSession;
use handset_sip::body::pidf::{Presence, PresenceDoc, PIDF_TYPE};
use handset_sip::message::{
    new_call_id, new_tag, HeaderAccess, HeaderName, Method, NameAddr, Request, RequestBuilder,
    Response, Uri,
};
use handset_sip::transaction::{Peer, TransactionId};
use tracing::{debug, info, warn};

use super::Runtime;
use crate::event::{AccountId, Event};

/// Lifetime we ask for; refreshed at 90 % of what the server grants.
const PUBLISH_EXPIRES: u32 = 3600;

/// One account's publication.
pub(crate) struct Publication {
    etag: Option<String>,
    refresh_at: Option<Instant>,
}

/// A PUBLISH on its way.
pub(crate) struct PendingPublish {
    account: AccountId,
    request: Request,
    peer: Peer,
    auth: AuthSession,
    auth_tries: u32,
}

/// Presence state inside the runtime.
#[derive(Default)]
pub(crate) struct PresenceState {
    pub(crate) status: Option<Presence>,
    publications: HashMap<AccountId, Publication>,
    pending: HashMap<TransactionId, PendingPublish>,
}

impl PresenceState {
    /// Whether an account's presence is published (or on its way).
    pub(crate) fn is_published(&self, account: AccountId) -> bool {
        self.publications.contains_key(&account)
            || self.pending.values().any(|p| p.account == account)
    }

    /// When the next refresh is due.
    pub(crate) fn wake(&self) -> Option<Instant> {
        self.publications
            .values()
            .filter_map(|p| p.refresh_at)
            .min()
    }
}

fn status_word(p: Presence) -> &'static str {
    match p {
        Presence::Available => "available",
        Presence::Busy => "busy",
        Presence::DoNotDisturb => "dnd",
        Presence::OnThePhone => "onThePhone",
        Presence::Away => "away",
        Presence::Offline => "offline",
    }
}

impl Runtime {
    /// Sets our presence and publishes it on every registered account.
    pub(crate) fn set_presence(&mut self, now: Instant, status: Presence) {
        self.presence.status = Some(status);
        let accounts: Vec<AccountId> = self.accounts.keys().copied().collect();
        for a in accounts {
            self.publish(now, a);
        }
    }

    /// Publishes the current status for one account (if it is registered).
    pub(crate) fn publish(&mut self, now: Instant, account: AccountId) {
        let Some(status) = self.presence.status else {
            return;
        };
        let Some(peer) = self
            .ua
            .registration(account)
            .and_then(|r| r.current_target())
        else {
            return;
        };
        let Some(acc) = self.accounts.get(&account) else {
            return;
        };
        let Ok(aor) = crate::targets::aor(&acc.cfg) else {
            return;
        };
        let doc = PresenceDoc {
            entity: aor.to_string(),
            status,
            note: None,
        };
        let mut from = NameAddr::new(Uri::Sip(aor.clone()));
        from.params.set("tag", Some(&new_tag()));
        let mut builder = RequestBuilder::new(
            Method::Publish,
            Uri::Sip(aor.clone()),
            from,
            NameAddr::new(Uri::Sip(aor)),
            &new_call_id(),
            1,
        )
        .header(HeaderName::Event, "presence")
        .header(HeaderName::Expires, PUBLISH_EXPIRES.to_string());
        if let Some(etag) = self
            .presence
            .publications
            .get(&account)
            .and_then(|p| p.etag.clone())
        {
            builder = builder.header(HeaderName::from("SIP-If-Match"), etag);
        }
        let request = builder.body(PIDF_TYPE, doc.to_xml().into_bytes()).build();
        let Some(creds) = self.ua.credentials(account) else {
            return;
        };
        match self.ua.send_request(now, request.clone(), peer) {
            Ok(tx) => {
                self.presence.pending.insert(
                    tx,
                    PendingPublish {
                        account,
                        request,
                        peer,
                        auth: AuthSession::new(creds),
                        auth_tries: 0,
                    },
                );
            }
            Err(e) => warn!(account, error = %e, "PUBLISH not sent"),
        }
    }

    /// A response to one of our PUBLISHes; false if not ours.
    pub(crate) fn on_publish_response(
        &mut self,
        now: Instant,
        tx: TransactionId,
        resp: &Response,
    ) -> bool {
        let Some(mut p) = self.presence.pending.remove(&tx) else {
            return false;
        };
        match resp.status {
            100..=199 => {
                self.presence.pending.insert(tx, p);
            }
            200..=299 => {
                let granted = resp
                    .headers
                    .get(&HeaderName::Expires)
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .unwrap_or(PUBLISH_EXPIRES as u64)
                    .max(30);
                let etag = resp
                    .headers
                    .get(&HeaderName::from("SIP-ETag"))
                    .map(|v| v.trim().to_string());
                self.presence.publications.insert(
                    p.account,
                    Publication {
                        etag,
                        refresh_at: Some(now + Duration::from_secs(granted * 9 / 10)),
                    },
                );
                let status = self.presence.status.map(status_word).unwrap_or("available");
                info!(account = p.account, status, "presence published");
                self.emit(Event::PresencePublished {
                    account: p.account,
                    status: status.to_string(),
                });
            }
            401 | 407 if p.auth_tries < 2 && p.auth.on_challenge(resp).is_ok() => {
                p.auth_tries += 1;
                let mut req = p.request.clone();
                req.headers.remove(&HeaderName::Via);
                let seq = req.cseq().map(|c| c.seq + 1).unwrap_or(2);
                req.headers.set(HeaderName::CSeq, format!("{seq} PUBLISH"));
                p.auth.authorize(&mut req);
                p.request = req.clone();
                if let Ok(new_tx) = self.ua.send_request(now, req, p.peer) {
                    self.presence.pending.insert(new_tx, p);
                }
            }
            412 => {
                // the server forgot our entity tag: publish afresh
                debug!(
                    account = p.account,
                    "presence entity tag unknown; publishing anew"
                );
                self.presence.publications.remove(&p.account);
                self.publish(now, p.account);
            }
            s => warn!(account = p.account, status = s, reason = %resp.reason, "PUBLISH refused"),
        }
        true
    }

    /// A PUBLISH timed out; false if not ours. Retried at the next refresh.
    pub(crate) fn on_publish_timeout(&mut self, now: Instant, tx: TransactionId) -> bool {
        let Some(p) = self.presence.pending.remove(&tx) else {
            return false;
        };
        warn!(
            account = p.account,
            "PUBLISH timed out; trying again in a minute"
        );
        self.presence.publications.insert(
            p.account,
            Publication {
                etag: None,
                refresh_at: Some(now + Duration::from_secs(60)),
            },
        );
        true
    }

    /// Refreshes publications that are due.
    pub(crate) fn refresh_presence(&mut self, now: Instant) {
        let due: Vec<AccountId> = self
            .presence
            .publications
            .iter()
            .filter(|(_, p)| p.refresh_at.is_some_and(|t| t <= now))
            .map(|(a, _)| *a)
            .collect();
        for a in due {
            if let Some(p) = self.presence.publications.get_mut(&a) {
                p.refresh_at = None;
            }
            self.publish(now, a);
        }
    }
}
