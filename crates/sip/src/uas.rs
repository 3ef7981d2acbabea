//! The checks a UAS makes before processing a request (RFC 3261 8.2): method,
//! URI scheme, required extensions, and the content it is asked to understand.

use crate::message::{HeaderAccess, HeaderName, Method, Request, Response};

/// What this UA understands.
#[derive(Debug, Clone)]
pub struct UasPolicy {
    /// Methods answered (others known to SIP get 405, unknown ones 501).
    pub methods: Vec<Method>,
    /// Request-URI schemes accepted.
    pub schemes: Vec<&'static str>,
    /// Option tags understood in Require.
    pub extensions: Vec<&'static str>,
    /// Body types understood.
    pub content_types: Vec<&'static str>,
}

impl Default for UasPolicy {
    fn default() -> Self {
        UasPolicy {
            methods: vec![
                Method::Invite,
                Method::Ack,
                Method::Cancel,
                Method::Bye,
                Method::Options,
                Method::Info,
                Method::Update,
                Method::Prack,
                Method::Refer,
                Method::Notify,
                Method::Subscribe,
                Method::Message,
            ],
            schemes: vec!["sip", "sips", "tel"],
            extensions: vec![
                "replaces",
                "timer",
                "100rel",
                "norefersub",
                "path",
                "outbound",
                "gruu",
            ],
            content_types: vec![
                "application/sdp",
                "message/cpim",
                "message/sipfrag",
                "text/plain",
                "text/html",
                "application/dtmf-relay",
                "application/dtmf",
                "application/pidf+xml",
                "application/dialog-info+xml",
                "application/simple-message-summary",
                "application/im-iscomposing+xml",
                "application/imdn+xml",
                "application/vnd.handset.park+json",
                "application/vnd.handset.group+json",
                "multipart/mixed",
                "multipart/alternative",
            ],
        }
    }
}

/// The response a request gets before any processing, if it must be refused.
pub fn check_request(req: &Request, policy: &UasPolicy) -> Option<Response> {
    if req.method == Method::Ack || req.method == Method::Cancel {
        return None;
    }
    let tag = crate::message::new_tag();
    if !policy.methods.contains(&req.method) {
        let status = if matches!(req.method, Method::Extension(_)) {
            501
        } else {
            405
        };
        let allow: Vec<String> = policy.methods.iter().map(|m| m.to_string()).collect();
        return Some(
            Response::for_request(req, status, Some(&tag))
                .with_header(HeaderName::Allow, allow.join(", ")),
        );
    }
    if !policy.schemes.contains(&req.uri.scheme()) {
        return Some(Response::for_request(req, 416, Some(&tag)));
    }
    let unsupported: Vec<String> = req
        .option_tags(&HeaderName::Require)
        .into_iter()
        .filter(|t| !policy.extensions.contains(&t.as_str()))
        .collect();
    if !unsupported.is_empty() {
        return Some(
            Response::for_request(req, 420, Some(&tag))
                .with_header(HeaderName::Unsupported, unsupported.join(", ")),
        );
    }
    if !req.body.is_empty() {
        let understood = req
            .content_type()
            .is_some_and(|ct| policy.content_types.iter().any(|t| ct.is(t)));
        let encoded = req
            .headers
            .get_values(&HeaderName::ContentEncoding)
            .unwrap_or_default()
            .iter()
            .any(|e| !e.eq_ignore_ascii_case("identity"));
        if !understood || encoded {
            return Some(
                Response::for_request(req, 415, Some(&tag))
                    .with_header(HeaderName::Accept, policy.content_types.join(", "))
                    .with_header(HeaderName::AcceptEncoding, "identity"),
            );
        }
    }
    // our answer to an INVITE carries SDP: the peer must accept it
    if req.method == Method::Invite {
        if let Some(accept) = req.headers.get_values(&HeaderName::Accept) {
            let sdp_ok = accept.iter().any(|a| {
                let a = a
                    .split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase();
                a == "application/sdp" || a == "application/*" || a == "*/*"
            });
            if !sdp_ok && !accept.is_empty() {
                return Some(
                    Response::for_request(req, 406, Some(&tag))
                        .with_header(HeaderName::Accept, "application/sdp"),
                );
            }
        }
    }
    None
}
