//! The engine against a real Kamailio: several accounts at once, and
//! re-registration when the platform reports a network change.

use std::time::Duration;

use handset_engine::{AccountConfig, Engine, EngineConfig, Event};
use handset_harness::{Kamailio, KamailioOptions};
use tokio::sync::broadcast::Receiver;

async fn wait_state(
    rx: &mut Receiver<Event>,
    account: u32,
    state: &str,
) -> handset_engine::RegistrationInfo {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let ev = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .expect("state in time")
            .expect("events");
        if let Event::Registration { account: a, info } = ev {
            if a == account && info.state == state {
                return info;
            }
        }
    }
}

/// Waits until every `(account, state)` pair has been seen, in any order:
/// the accounts register concurrently, so their events interleave.
async fn wait_states(
    rx: &mut Receiver<Event>,
    wanted: &[(u32, &str)],
) -> Vec<handset_engine::RegistrationInfo> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    let mut found: Vec<Option<handset_engine::RegistrationInfo>> = vec![None; wanted.len()];
    while found.iter().any(Option::is_none) {
        let ev = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .unwrap_or_else(|_| panic!("states in time; still missing {wanted:?} / {found:?}"))
            .expect("events");
        if let Event::Registration { account, info } = ev {
            for (i, (a, state)) in wanted.iter().enumerate() {
                if *a == account && info.state == *state && found[i].is_none() {
                    found[i] = Some(info.clone());
                }
            }
        }
    }
    found.into_iter().map(Option::unwrap).collect()
}

fn account(user: &str, kam: &Kamailio) -> AccountConfig {
    let mut a = AccountConfig::new(user, "127.0.0.1");
    a.server = Some(kam.udp_addr().to_string());
    a
}

fn local_engine() -> EngineConfig {
    EngineConfig {
        bind: "127.0.0.1:0".parse().unwrap(),
        ..EngineConfig::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_accounts_register_at_once_and_unregister_on_shutdown() {
    let kam = Kamailio::start(KamailioOptions::default());
    let engine = Engine::start(local_engine()).await.unwrap();
    let mut rx = engine.subscribe();
    let a = engine
        .add_account(account("101", &kam), "pw101".into())
        .await
        .unwrap();
    let b = engine
        .add_account(account("102", &kam), "pw102".into())
        .await
        .unwrap();
    let c = engine
        .add_account(account("103", &kam), "wrong".into())
        .await
        .unwrap();
    let states = wait_states(
        &mut rx,
        &[(a, "registered"), (b, "registered"), (c, "failed")],
    )
    .await;
    let failed = &states[2];
    assert_eq!(
        failed.reason.as_deref(),
        Some("authentication failed for 103@127.0.0.1")
    );
    assert_eq!(kam.bindings_of("101").len(), 1);
    assert_eq!(kam.bindings_of("102").len(), 1);
    assert_eq!(
        engine.registration(a).await.unwrap().unwrap().state,
        "registered"
    );
    engine.shutdown().await.unwrap();
    assert!(kam.wait_unregistered("101", Duration::from_secs(3)));
    assert!(kam.wait_unregistered("102", Duration::from_secs(3)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn network_change_registers_again() {
    let kam = Kamailio::start(KamailioOptions::default());
    let engine = Engine::start(local_engine()).await.unwrap();
    let mut rx = engine.subscribe();
    let a = engine
        .add_account(account("101", &kam), "pw101".into())
        .await
        .unwrap();
    wait_state(&mut rx, a, "registered").await;
    let before = kam.bindings_of("101");
    engine.network_changed();
    wait_state(&mut rx, a, "registering").await;
    wait_state(&mut rx, a, "registered").await;
    let after = kam.bindings_of("101");
    assert_eq!(
        after.len(),
        1,
        "the binding was replaced, not duplicated: {after:?}"
    );
    assert_eq!(
        before[0].call_id, after[0].call_id,
        "same registration, refreshed"
    );
    engine.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_settings_are_refused_with_a_reason() {
    let engine = Engine::start(local_engine()).await.unwrap();
    let mut bad = AccountConfig::new("10 1", "127.0.0.1");
    let e = engine
        .add_account(bad.clone(), "x".into())
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("user '10 1'"), "{e}");
    bad.user = "101".into();
    bad.expires = 5;
    let e = engine
        .add_account(bad, "x".into())
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("expires"), "{e}");
}
