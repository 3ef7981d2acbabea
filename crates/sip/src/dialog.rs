//! Dialogs (RFC 3261 section 12): identifiers, route sets, CSeq spaces and
//! remote-target refresh.

use crate::message::{
    HeaderAccess, HeaderName, Headers, Method, NameAddr, Request, Response, SipScheme, Uri,
};

/// Call-ID plus both tags.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DialogId {
    /// Call-ID.
    pub call_id: String,
    /// Our tag.
    pub local_tag: String,
    /// The peer's tag.
    pub remote_tag: String,
}

/// Early (after a 1xx with tag) or confirmed (after a 2xx).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialogState {
    /// Created by a provisional response.
    Early,
    /// Created or confirmed by a 2xx.
    Confirmed,
}

/// Why an in-dialog request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DialogError {
    /// CSeq lower than the last one seen (12.2.2): answer 500.
    #[error("CSeq out of order")]
    CSeqOutOfOrder,
    /// The request does not belong to this dialog.
    #[error("request does not match the dialog")]
    Mismatch,
}

/// One dialog's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dialog {
    /// Identifiers.
    pub id: DialogId,
    /// Early or confirmed.
    pub state: DialogState,
    /// Last CSeq we used.
    pub local_seq: u32,
    /// Last CSeq the peer used.
    pub remote_seq: Option<u32>,
    /// Our URI with tag (From of our requests).
    pub local: NameAddr,
    /// The peer's URI with tag (To of our requests).
    pub remote: NameAddr,
    /// Where in-dialog requests go (the peer's Contact).
    pub remote_target: Uri,
    /// Route set, in the order our requests carry it.
    pub route_set: Vec<NameAddr>,
    /// True when the dialog was set up over sips.
    pub secure: bool,
}

impl Dialog {
    /// A dialog on the UAC side, from the request we sent and a response that
    /// carries a To tag (12.1.2). `None` if the response has no tag.
    pub fn from_uac(req: &Request, resp: &Response) -> Option<Dialog> {
        let remote = resp.to_header()?;
        let remote_tag = remote.tag()?.to_string();
        let local = req.from_header()?;
        let local_tag = local.tag()?.to_string();
        let mut route_set = resp.record_routes();
        route_set.reverse();
        let remote_target = resp
            .contacts()
            .first()
            .map(|c| c.uri.clone())
            .unwrap_or_else(|| req.uri.clone());
        Some(Dialog {
            id: DialogId {
                call_id: req.call_id()?.to_string(),
                local_tag,
                remote_tag,
            },
            state: if resp.is_success() {
                DialogState::Confirmed
            } else {
                DialogState::Early
            },
            local_seq: req.cseq()?.seq,
            remote_seq: None,
            local,
            remote,
            remote_target,
            route_set,
            secure: req
                .uri
                .as_sip()
                .is_some_and(|u| u.scheme == SipScheme::Sips),
        })
    }

    /// A dialog on the UAS side, from the request and the tag we put in our To (12.1.1).
    pub fn from_uas(req: &Request, local_tag: &str) -> Option<Dialog> {
        let remote = req.from_header()?;
        let remote_tag = remote.tag().unwrap_or("").to_string();
        let mut local = req.to_header()?;
        local.set_tag(local_tag);
        let remote_target = req.contacts().first().map(|c| c.uri.clone())?;
        Some(Dialog {
            id: DialogId {
                call_id: req.call_id()?.to_string(),
                local_tag: local_tag.to_string(),
                remote_tag,
            },
            state: DialogState::Confirmed,
            local_seq: 0,
            remote_seq: Some(req.cseq()?.seq),
            local,
            remote,
            remote_target,
            route_set: req.record_routes(),
            secure: req
                .uri
                .as_sip()
                .is_some_and(|u| u.scheme == SipScheme::Sips),
        })
    }

    /// The dialog id a received request would belong to (our tag is its To tag).
    pub fn id_of_request(req: &Request) -> Option<DialogId> {
        Some(DialogId {
            call_id: req.call_id()?.to_string(),
            local_tag: req.to_header()?.tag()?.to_string(),
            remote_tag: req.from_header()?.tag().unwrap_or("").to_string(),
        })
    }

    /// The dialog id a received response would belong to (our tag is its From tag).
    pub fn id_of_response(resp: &Response) -> Option<DialogId> {
        Some(DialogId {
            call_id: resp.call_id()?.to_string(),
            local_tag: resp.from_header()?.tag()?.to_string(),
            remote_tag: resp.to_header()?.tag()?.to_string(),
        })
    }

    /// Builds an in-dialog request (12.2.1.1) with the next CSeq. The caller
    /// adds Via, Contact and a body. ACK and CANCEL must not use this.
    pub fn create_request(&mut self, method: Method) -> Request {
        self.local_seq += 1;
        self.build(method, self.local_seq)
    }

    /// The ACK for a 2xx to the INVITE that used `invite_seq` (13.2.2.4).
    pub fn create_ack(&self, invite_seq: u32) -> Request {
        self.build(Method::Ack, invite_seq)
    }

    fn build(&self, method: Method, seq: u32) -> Request {
        let mut headers = Headers::new();
        let (uri, routes): (Uri, Vec<String>) = match self.route_set.first() {
            // strict routing (12.2.1.1): the first route becomes the Request-URI
            Some(first) if !first.uri.as_sip().is_some_and(|u| u.params.contains("lr")) => {
                let mut routes: Vec<String> =
                    self.route_set[1..].iter().map(|r| r.to_string()).collect();
                routes.push(format!("<{}>", self.remote_target));
                (strip_uri_headers(&first.uri), routes)
            }
            _ => (
                self.remote_target.clone(),
                self.route_set.iter().map(|r| r.to_string()).collect(),
            ),
        };
        headers.push(HeaderName::MaxForwards, "70");
        headers.push(HeaderName::From, self.local.to_string());
        headers.push(HeaderName::To, self.remote.to_string());
        headers.push(HeaderName::CallId, self.id.call_id.clone());
        headers.push(HeaderName::CSeq, format!("{seq} {method}"));
        for r in routes {
            headers.push(HeaderName::Route, r);
        }
        Request {
            method,
            uri,
            headers,
            body: Vec::new(),
        }
    }

    /// Checks and records an in-dialog request from the peer (12.2.2), updating
    /// the remote target when the method refreshes it.
    pub fn on_request(&mut self, req: &Request) -> Result<(), DialogError> {
        if Dialog::id_of_request(req).as_ref() != Some(&self.id) {
            return Err(DialogError::Mismatch);
        }
        let seq = req.cseq().ok_or(DialogError::Mismatch)?.seq;
        if req.method != Method::Ack && req.method != Method::Cancel {
            if let Some(last) = self.remote_seq {
                if seq < last {
                    return Err(DialogError::CSeqOutOfOrder);
                }
            }
            self.remote_seq = Some(seq);
        }
        if is_target_refresh(&req.method) {
            if let Some(c) = req.contacts().first() {
                self.remote_target = c.uri.clone();
            }
        }
        Ok(())
    }

    /// Records a response to a request we sent in this dialog: a 2xx to a target
    /// refresh updates the remote target; a 2xx confirms an early dialog.
    pub fn on_response(&mut self, method: &Method, resp: &Response) {
        if resp.is_success() {
            if *method == Method::Invite && self.state == DialogState::Early {
                self.state = DialogState::Confirmed;
                // the 2xx's Record-Route is authoritative for the confirmed dialog
                let mut rr = resp.record_routes();
                rr.reverse();
                self.route_set = rr;
            }
            if is_target_refresh(method) {
                if let Some(c) = resp.contacts().first() {
                    self.remote_target = c.uri.clone();
                }
            }
        }
    }
}

fn is_target_refresh(m: &Method) -> bool {
    matches!(
        m,
        Method::Invite | Method::Update | Method::Subscribe | Method::Notify | Method::Refer
    )
}

fn strip_uri_headers(uri: &Uri) -> Uri {
    let mut u = uri.clone();
    if let Some(s) = u.as_sip_mut() {
        s.headers.clear();
    }
    u
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::parse;
    use crate::message::Message;

    fn msg(s: &str) -> Message {
        parse(s.replace('\n', "\r\n").as_bytes()).unwrap()
    }

    const INVITE: &str = "INVITE sip:bob@biloxi.example SIP/2.0
Via: SIP/2.0/UDP pc33.atlanta.example;branch=z9hG4bKnashds8
Max-Forwards: 70
To: Bob <sip:bob@biloxi.example>
From: Alice <sip:alice@atlanta.example>;tag=1928301774
Call-ID: a84b4c76e66710
CSeq: 314159 INVITE
Contact: <sip:alice@pc33.atlanta.example>
Record-Route: <sip:p2.example;lr>, <sip:p1.example;lr>
Content-Length: 0

";

    #[test]
    fn uac_dialog_routes_and_requests() {
        let Message::Request(req) = msg(INVITE) else {
            panic!()
        };
        let resp_s = "SIP/2.0 200 OK
Via: SIP/2.0/UDP pc33.atlanta.example;branch=z9hG4bKnashds8
To: Bob <sip:bob@biloxi.example>;tag=a6c85cf
From: Alice <sip:alice@atlanta.example>;tag=1928301774
Call-ID: a84b4c76e66710
CSeq: 314159 INVITE
Contact: <sip:bob@192.0.2.4>
Record-Route: <sip:p2.example;lr>, <sip:p1.example;lr>
Content-Length: 0

";
        let Message::Response(resp) = msg(resp_s) else {
            panic!()
        };
        let mut d = Dialog::from_uac(&req, &resp).unwrap();
        assert_eq!(d.id.remote_tag, "a6c85cf");
        assert_eq!(d.state, DialogState::Confirmed);
        let bye = d.create_request(Method::Bye);
        assert_eq!(bye.uri.to_string(), "sip:bob@192.0.2.4");
        assert_eq!(bye.cseq().unwrap().seq, 314160);
        let routes: Vec<String> = bye.routes().iter().map(|r| r.uri.to_string()).collect();
        assert_eq!(routes, vec!["sip:p1.example;lr", "sip:p2.example;lr"]);
        let ack = d.create_ack(314159);
        assert_eq!(ack.cseq().unwrap().to_string(), "314159 ACK");
    }

    #[test]
    fn uas_dialog_checks_cseq_and_refreshes_target() {
        let Message::Request(req) = msg(INVITE) else {
            panic!()
        };
        let mut d = Dialog::from_uas(&req, "mytag").unwrap();
        assert_eq!(d.route_set.len(), 2);
        let reinvite = INVITE
            .replace(
                "To: Bob <sip:bob@biloxi.example>",
                "To: Bob <sip:bob@biloxi.example>;tag=mytag",
            )
            .replace("314159 INVITE", "314160 INVITE")
            .replace("pc33.atlanta.example>", "198.51.100.9>");
        let Message::Request(re) = msg(&reinvite) else {
            panic!()
        };
        d.on_request(&re).unwrap();
        assert_eq!(d.remote_target.to_string(), "sip:alice@198.51.100.9");
        let old = reinvite.replace("314160 INVITE", "314100 INVITE");
        let Message::Request(old) = msg(&old) else {
            panic!()
        };
        assert_eq!(d.on_request(&old), Err(DialogError::CSeqOutOfOrder));
    }

    #[test]
    fn strict_route_puts_first_route_in_request_uri() {
        let Message::Request(req) = msg(&INVITE.replace(
            "Record-Route: <sip:p2.example;lr>, <sip:p1.example;lr>",
            "Record-Route: <sip:strict.example>",
        )) else {
            panic!()
        };
        let mut d = Dialog::from_uas(&req, "t").unwrap();
        let bye = d.create_request(Method::Bye);
        assert_eq!(bye.uri.to_string(), "sip:strict.example");
        assert_eq!(
            bye.routes().last().unwrap().uri.to_string(),
            "sip:alice@pc33.atlanta.example"
        );
    }
}
