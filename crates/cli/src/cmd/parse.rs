//! `handset-cli parse`: one SIP message from stdin to one JSON line.

use std::io::Read;

use handset_sip::message::{parse_exact, HeaderAccess, HeaderName, Message};
use serde_json::{json, Value};

/// Largest input read; anything longer is not one SIP message.
const MAX_INPUT: u64 = 1 << 20;

/// Runs the command; returns the process exit code.
pub fn run() -> i32 {
    let mut data = Vec::new();
    if let Err(e) = std::io::stdin().take(MAX_INPUT + 1).read_to_end(&mut data) {
        eprintln!("cannot read stdin: {e}");
        return 1;
    }
    if data.len() as u64 > MAX_INPUT {
        eprintln!("input larger than {MAX_INPUT} bytes is not one SIP message");
        return 1;
    }
    // the parser never panics by design; this only keeps a bug from turning
    // into a crash with a backtrace instead of the documented exit code
    let result = std::panic::catch_unwind(|| describe(&data));
    match result {
        Ok(Ok(v)) => {
            println!("{v}");
            0
        }
        Ok(Err(reason)) => {
            eprintln!("{}", reason.replace(['\r', '\n'], " "));
            1
        }
        Err(_) => {
            eprintln!("internal error while parsing");
            1
        }
    }
}

/// Parses `data` and builds the JSON description.
pub fn describe(data: &[u8]) -> Result<Value, String> {
    let msg = parse_exact(data).map_err(|e| e.to_string())?;
    msg.check_mandatory().map_err(|e| e.to_string())?;
    let h = msg.headers();
    let from = msg.from_header();
    let to = msg.to_header();
    let cseq = msg.cseq();
    let vias: Vec<Value> = msg
        .vias()
        .iter()
        .map(|v| {
            json!({
                "transport": v.transport,
                "sent_by": v.sent_by(),
                "branch": v.branch(),
                "received": v.received(),
                "rport": v.params.get("rport"),
            })
        })
        .collect();
    let mut out = json!({
        "call_id": msg.call_id(),
        "from": h.get(&HeaderName::From),
        "from_uri": from.as_ref().map(|f| f.uri.to_string()),
        "from_tag": from.as_ref().and_then(|f| f.tag().map(str::to_string)),
        "to": h.get(&HeaderName::To),
        "to_uri": to.as_ref().map(|t| t.uri.to_string()),
        "to_tag": to.as_ref().and_then(|t| t.tag().map(str::to_string)),
        "cseq": h.get(&HeaderName::CSeq),
        "cseq_seq": cseq.as_ref().map(|c| c.seq),
        "cseq_method": cseq.as_ref().map(|c| c.method.to_string()),
        "via": vias,
        "contact": msg.contacts().iter().map(|c| c.uri.to_string()).collect::<Vec<_>>(),
        "max_forwards": msg.max_forwards(),
        "content_type": msg.content_type().map(|c| c.to_string()),
        "content_length": msg.body().len(),
        "headers": h.len(),
    });
    let obj = out.as_object_mut().expect("object");
    match &msg {
        Message::Request(r) => {
            obj.insert("kind".into(), json!("request"));
            obj.insert("method".into(), json!(r.method.to_string()));
            obj.insert("request_uri".into(), json!(r.uri.to_string()));
        }
        Message::Response(r) => {
            obj.insert("kind".into(), json!("response"));
            obj.insert("status".into(), json!(r.status));
            obj.insert("reason".into(), json!(r.reason));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_fields() {
        let m = "INVITE sip:bob@biloxi.example SIP/2.0\r\nv: SIP/2.0/UDP h;branch=z9hG4bK1\r\nf: <sip:a@b>;tag=1\r\nt: <sip:bob@biloxi.example>\r\ni: x@y\r\nCSeq: 7 INVITE\r\nl: 0\r\n\r\n";
        let v = describe(m.as_bytes()).unwrap();
        assert_eq!(v["kind"], "request");
        assert_eq!(v["method"], "INVITE");
        assert_eq!(v["call_id"], "x@y");
        assert_eq!(v["cseq"], "7 INVITE");
        assert_eq!(v["from_tag"], "1");
    }

    #[test]
    fn invalid_inputs() {
        assert!(describe(b"").is_err());
        assert!(describe(&[0xde, 0xad, 0xbe, 0xef, 0, 1, 2]).is_err());
        assert!(describe(b"OPTIONS sip:a@b SIP/3.0\r\nv: SIP/3.0/UDP h;branch=z9hG4bK1\r\nf: <sip:a@b>;tag=1\r\nt: <sip:b@c>\r\ni: x\r\nCSeq: 1 OPTIONS\r\nl: 0\r\n\r\n").unwrap_err().contains("version"));
        assert!(describe(b"OPTIONS sip:a@b SIP/2.0\r\nv: SIP/2.0/UDP h;branch=z9hG4bK1\r\nf: <sip:a@b>;tag=1\r\nt: <sip:b@c>\r\ni: x\r\nCSeq: 1 OPTIONS\r\nl: 10\r\n\r\nabc").unwrap_err().contains("Content-Length"));
    }
}
