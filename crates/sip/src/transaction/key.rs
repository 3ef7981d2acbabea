//! Transaction matching keys (RFC 3261 17.1.3 and 17.2.3).

use crate::message::{HeaderAccess, Method, Request, Response};

/// What makes a message belong to a transaction.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TransactionKey {
    /// Client side: the branch we generated and the CSeq method.
    Client {
        /// Top Via branch.
        branch: String,
        /// CSeq method (CANCEL has its own transaction).
        method: Method,
    },
    /// Server side, RFC 3261 peers: branch, sent-by and method (ACK maps to INVITE).
    Server {
        /// Top Via branch.
        branch: String,
        /// Top Via sent-by.
        sent_by: String,
        /// Method, with ACK folded onto INVITE.
        method: Method,
    },
    /// Server side, RFC 2543 peers whose branch lacks the magic cookie.
    Server2543 {
        /// Request-URI as text.
        uri: String,
        /// From tag.
        from_tag: String,
        /// Call-ID.
        call_id: String,
        /// CSeq number.
        seq: u32,
        /// Method, with ACK folded onto INVITE.
        method: Method,
        /// Top Via as text.
        via: String,
    },
}

fn fold_ack(m: &Method) -> Method {
    if *m == Method::Ack {
        Method::Invite
    } else {
        m.clone()
    }
}

impl TransactionKey {
    /// Key of a client transaction sending `req`.
    pub fn for_client_request(req: &Request) -> Option<TransactionKey> {
        let via = req.top_via()?;
        Some(TransactionKey::Client {
            branch: via.branch()?.to_string(),
            method: req.method.clone(),
        })
    }

    /// Key a response matches on the client side.
    pub fn for_response(resp: &Response) -> Option<TransactionKey> {
        let via = resp.top_via()?;
        Some(TransactionKey::Client {
            branch: via.branch()?.to_string(),
            method: resp.cseq()?.method,
        })
    }

    /// Key of the server transaction a received request belongs to.
    pub fn for_server_request(req: &Request) -> Option<TransactionKey> {
        let via = req.top_via()?;
        let method = fold_ack(&req.method);
        if via.has_rfc3261_branch() {
            return Some(TransactionKey::Server {
                branch: via.branch()?.to_string(),
                sent_by: via.sent_by(),
                method,
            });
        }
        Some(TransactionKey::Server2543 {
            uri: req.uri.to_string(),
            from_tag: req.from_header()?.tag().unwrap_or("").to_string(),
            call_id: req.call_id()?.to_string(),
            seq: req.cseq()?.seq,
            method,
            via: via.to_string(),
        })
    }

    /// The key of the INVITE server transaction a CANCEL targets (same branch, method INVITE).
    pub fn invite_for_cancel(cancel: &Request) -> Option<TransactionKey> {
        match TransactionKey::for_server_request(cancel)? {
            TransactionKey::Server {
                branch, sent_by, ..
            } => Some(TransactionKey::Server {
                branch,
                sent_by,
                method: Method::Invite,
            }),
            TransactionKey::Server2543 {
                uri,
                from_tag,
                call_id,
                seq,
                via,
                ..
            } => Some(TransactionKey::Server2543 {
                uri,
                from_tag,
                call_id,
                seq,
                method: Method::Invite,
                via,
            }),
            TransactionKey::Client { .. } => None,
        }
    }
}
