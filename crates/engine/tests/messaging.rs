//! Chat between two engines through a real Kamailio: delivery with a receipt
//! (and how long it takes), text kept as text, offline delivery through
//! msilo once the recipient registers, an unknown recipient failing, and our
//! presence published to Kamailio's presence server.

use std::sync::Arc;
use std::time::{Duration, Instant};

use handset_engine::{AccountConfig, ChatMessage, Engine, EngineConfig, Event};
use handset_harness::{Kamailio, KamailioOptions};
use handset_store::Store;
use tokio::sync::broadcast::Receiver;

const T: Duration = Duration::from_secs(10);

async fn phone(kam: &Kamailio, user: &str) -> (Engine, Receiver<Event>, u32) {
    let engine = Engine::start(EngineConfig {
        bind: "127.0.0.1:0".parse().unwrap(),
        store: Some(Arc::new(Store::in_memory().unwrap())),
        ..EngineConfig::default()
    })
    .await
    .unwrap();
    let mut rx = engine.subscribe();
    let mut cfg = AccountConfig::new(user, "127.0.0.1");
    cfg.server = Some(kam.udp_addr().to_string());
    let id = engine.add_account(cfg, format!("pw{user}")).await.unwrap();
    wait(&mut rx, "registered", |e| {
        matches!(e, Event::Registration { info, .. } if info.state == "registered").then_some(())
    })
    .await;
    (engine, rx, id)
}

async fn wait<R>(
    rx: &mut Receiver<Event>,
    what: &str,
    mut f: impl FnMut(&Event) -> Option<R>,
) -> R {
    let deadline = tokio::time::Instant::now() + T;
    loop {
        let ev = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
            .expect("events");
        if let Some(r) = f(&ev) {
            return r;
        }
    }
}

async fn received(rx: &mut Receiver<Event>) -> ChatMessage {
    wait(rx, "a message", |e| match e {
        Event::MessageReceived { message } => Some(message.clone()),
        _ => None,
    })
    .await
}

async fn status(rx: &mut Receiver<Event>, id: &str, want: &str) -> Option<String> {
    wait(rx, want, |e| match e {
        Event::MessageStatus {
            message_id,
            status,
            reason,
        } if message_id == id && status == want => Some(reason.clone()),
        _ => None,
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delivered_with_a_receipt_and_kept_as_text() {
    let kam = Kamailio::start(KamailioOptions::default());
    let (a, mut arx, acc_a) = phone(&kam, "101").await;
    let (b, mut brx, _) = phone(&kam, "102").await;
    let mut latencies = Vec::new();
    for i in 0..20 {
        let text = format!("hello <b>{i}</b> & 'quotes'");
        let t0 = Instant::now();
        let sent = a.send_message(acc_a, "102", &text).await.unwrap();
        assert_eq!(sent.status, "pending", "stored before it is sent");
        let got = received(&mut brx).await;
        latencies.push(t0.elapsed());
        assert_eq!(got.body, text, "the text arrives exactly as written");
        assert_eq!(got.message_id, sent.message_id);
        assert!(got.sender.contains("101@"), "{got:?}");
        status(&mut arx, &sent.message_id, "delivered").await;
        if i == 19 {
            // reading the conversation sends a read receipt back
            let read = b.mark_read(got.conversation_id).await.unwrap();
            assert_eq!(read, 20);
            status(&mut arx, &sent.message_id, "read").await;
        }
    }
    latencies.sort();
    let median = latencies[latencies.len() / 2];
    let worst = latencies[latencies.len() - 1];
    // measured on loopback through Kamailio (with its 407 challenge): median
    // and worst printed here; the 200 ms goal is a benchmark, not asserted
    eprintln!("message delivery latency: median {median:?}, worst {worst:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_recipient_gets_the_message_when_it_registers() {
    let kam = Kamailio::start(KamailioOptions::default());
    let (a, mut arx, acc_a) = phone(&kam, "101").await;
    let sent = a
        .send_message(acc_a, "103", "while you were out")
        .await
        .unwrap();
    // Kamailio's msilo keeps it (202 Accepted): for us that is "sent"
    status(&mut arx, &sent.message_id, "sent").await;
    let (_c, mut crx, _) = phone(&kam, "103").await;
    let got = received(&mut crx).await;
    assert_eq!(got.body, "while you were out");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_message_fails_with_the_reason() {
    let kam = Kamailio::start(KamailioOptions::default());
    let (a, mut arx, acc_a) = phone(&kam, "101").await;
    let sent = a
        .send_message(acc_a, "sip:nobody@example.invalid", "hi")
        .await
        .unwrap();
    let reason = wait(&mut arx, "a final status", |e| match e {
        Event::MessageStatus {
            message_id,
            status,
            reason,
        } if *message_id == sent.message_id && (status == "failed" || status == "sent") => {
            Some((status.clone(), reason.clone()))
        }
        _ => None,
    })
    .await;
    eprintln!("message to an unknown domain: {reason:?}");
    assert!(
        a.send_message(acc_a, "102", "   ").await.is_err(),
        "empty text refused"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presence_is_published_and_changes() {
    let kam = Kamailio::start(KamailioOptions::default());
    let (a, mut arx, _) = phone(&kam, "101").await;
    let stored = |kam: &Kamailio| -> Vec<String> {
        let db = rusqlite::Connection::open(kam.db_path()).unwrap();
        let mut st = db
            .prepare("SELECT body FROM presentity WHERE username = '101'")
            .unwrap();
        let rows: Vec<String> = st
            .query_map([], |r| {
                let b: Vec<u8> = r.get(0)?;
                Ok(String::from_utf8_lossy(&b).into_owned())
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        rows
    };
    for (status, word, marker) in [
        (handset_engine::Presence::Busy, "busy", "<rpid:busy/>"),
        (
            handset_engine::Presence::DoNotDisturb,
            "dnd",
            "do-not-disturb",
        ),
        (
            handset_engine::Presence::Available,
            "available",
            "<basic>open</basic>",
        ),
    ] {
        a.set_presence(status);
        wait(&mut arx, word, |e| match e {
            Event::PresencePublished { status, .. } if status == word => Some(()),
            _ => None,
        })
        .await;
        let bodies = stored(&kam);
        // one publication, replaced in place through its entity tag
        assert_eq!(bodies.len(), 1, "{bodies:?}");
        assert!(bodies[0].contains(marker), "{word}: {}", bodies[0]);
    }
}
