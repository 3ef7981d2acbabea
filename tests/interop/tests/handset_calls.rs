//! `handset-cli` in calls with other softphones through Kamailio: both ways
//! with baresip and with linphonec, for PCMU, G.722 and Opus, with the audio
//! checked by content (each side plays a known signal, the far end's
//! recording is aligned and compared); DTMF both ways; hold and resume seen
//! by the peer; SRTP with baresip; a 488 with a Warning for an unusable offer.
//!
//! Thresholds sit below the worst of the measured runs. Loopback runs are
//! deterministic (the same figures to four decimals run after run):
//!
//! | call | correlation / windowed median |
//! |---|---|
//! | PCMU handset → baresip / baresip → handset | 0.875 / 0.951, 0.912 / 0.960 |
//! | G.722 handset → baresip / baresip → handset | 0.981 / 0.9999, 0.883 / 0.909 |
//! | PCMU handset → linphonec / linphonec → handset | 0.62–0.87 / 0.90, 0.864 / 0.932 |
//! | SRTP PCMU handset → baresip / back | 0.836 / 0.860, 0.865 / 0.921 |
//!
//! Under load (a release build beside the tests) the same G.722 call fell to
//! 0.68 / 0.90: Handset's adaptive jitter buffer moves the delay by up to
//! 23 ms within a call, which the whole-call correlation punishes and the
//! windowed one does not. So, as for linphonec, the whole-call correlation
//! is only required to show the signal (≥ 0.3); the windowed median, every
//! tone segment, the markers and the level carry the check.
//!
//! Every tone segment and marker arrives, but Handset's figures sit below
//! baresip ↔ baresip (0.9999 for PCMU): the windowed lag moves by up to
//! 15 ms within a call on Handset's side (its jitter buffer adapting, or
//! capture pacing against the file source). That is a quality issue to fix,
//! recorded here rather than hidden by the thresholds.

use std::time::Duration;

use handset_harness::{
    Baresip, BaresipOptions, CallPeer, Handset, HandsetOptions, Kamailio, KamailioOptions,
    Linphone, LinphoneOptions, Srtp, TestSignal, Transport,
};
use handset_interop::calls::{audio_call, check, signal, timer, Expect, T};
use handset_interop::cli_path;

fn handset(kam: &Kamailio, user: &str, codecs: &[&str], source: &TestSignal) -> Handset {
    let opts = HandsetOptions::for_kamailio(&cli_path(), kam, user, &format!("pw{user}"))
        .codecs(codecs)
        .source(source)
        .auto_answer();
    Handset::start(opts).unwrap_or_else(|e| panic!("{e:#}"))
}

fn baresip(kam: &Kamailio, user: &str, codecs: &[&str], source: &TestSignal) -> Baresip {
    Baresip::start(
        BaresipOptions::for_kamailio(kam, user, &format!("pw{user}"), Transport::Udp)
            .codecs(codecs)
            .source(source),
    )
}

fn linphone(kam: &Kamailio, user: &str, codecs: &[&str], source: &TestSignal) -> Linphone {
    Linphone::start(
        LinphoneOptions::for_kamailio(kam, user, &format!("pw{user}"))
            .codecs(codecs)
            .source(source),
    )
}

/// Handset calls baresip, then baresip calls Handset; both directions of
/// both calls must carry the other side's signal.
fn with_baresip(handset_codec: &str, baresip_codec: &str, e: Expect) {
    let kam = Kamailio::start(KamailioOptions::default());
    let (sh, sb) = (signal(11), signal(12));
    let mut h = handset(&kam, "101", &[handset_codec], &sh);
    let mut b = baresip(&kam, "102", &[baresip_codec], &sb);
    let (fwd, back) = audio_call(handset_codec, &mut h, &mut b, &sh, &sb);
    check(&fwd, e, &format!("{handset_codec} handset -> baresip"));
    check(&back, e, &format!("{handset_codec} baresip -> handset"));
    drop(h);
    // and the other way round, with a fresh recording on each side
    let mut h = handset(&kam, "101", &[handset_codec], &sh);
    let (fwd, back) = audio_call(handset_codec, &mut b, &mut h, &sb, &sh);
    check(
        &fwd,
        e,
        &format!("{handset_codec} baresip -> handset (called)"),
    );
    check(
        &back,
        e,
        &format!("{handset_codec} handset (called) -> baresip"),
    );
}

#[test]
fn baresip_pcmu_both_ways() {
    let _t = timer("baresip_pcmu_both_ways");
    with_baresip(
        "pcmu",
        "PCMU",
        Expect {
            correlation: 0.3,
            windowed: 0.8,
        },
    );
}

#[test]
fn baresip_g722_both_ways() {
    let _t = timer("baresip_g722_both_ways");
    with_baresip(
        "g722",
        "G722",
        Expect {
            correlation: 0.3,
            windowed: 0.8,
        },
    );
}

#[test]
fn baresip_opus_both_ways() {
    let _t = timer("baresip_opus_both_ways");
    with_baresip(
        "opus",
        "opus",
        Expect {
            correlation: 0.3,
            windowed: 0.7,
        },
    );
}

fn with_linphone(codec: &str, linphone_codecs: &[&str], to_lin: Expect, from_lin: Expect) {
    let kam = Kamailio::start(KamailioOptions::default());
    let (sh, sl) = (signal(21), signal(22));
    let mut h = handset(&kam, "101", &[codec], &sh);
    let mut l = linphone(&kam, "103", linphone_codecs, &sl);
    let (fwd, back) = audio_call(codec, &mut h, &mut l, &sh, &sl);
    check(&fwd, to_lin, &format!("{codec} handset -> linphonec"));
    check(&back, from_lin, &format!("{codec} linphonec -> handset"));
    l.stop();
}

#[test]
fn linphone_pcmu() {
    let _t = timer("linphone_pcmu");
    // linphonec's adaptive jitter buffer moves the delay during a call (see peer_calls.rs),
    // which lowers the whole-call correlation but not the windowed one
    with_linphone(
        "pcmu",
        &["PCMU"],
        Expect {
            correlation: 0.3,
            windowed: 0.8,
        },
        Expect {
            correlation: 0.3,
            windowed: 0.85,
        },
    );
}

#[test]
fn linphone_g722() {
    let _t = timer("linphone_g722");
    with_linphone(
        "g722",
        &["G722"],
        Expect {
            correlation: 0.3,
            windowed: 0.8,
        },
        Expect {
            correlation: 0.3,
            windowed: 0.85,
        },
    );
}

#[test]
fn linphone_opus() {
    let _t = timer("linphone_opus");
    with_linphone(
        "opus",
        &["opus", "PCMU"],
        Expect {
            correlation: 0.3,
            windowed: 0.75,
        },
        Expect {
            correlation: 0.3,
            windowed: 0.7,
        },
    );
}

/// DTMF and hold/resume both ways between `a` and `b` in one call;
/// `b_paused` waits until `b` itself considers the call held.
fn dtmf_and_hold(a: &mut dyn CallPeer, b: &mut dyn CallPeer, b_paused: &dyn Fn()) {
    a.dial(&b.aor()).unwrap();
    b.wait_established(T)
        .unwrap_or_else(|e| panic!("{e:#}\n{}", a.report()));
    a.wait_established(T).unwrap();
    a.send_dtmf("159#").unwrap();
    let got = b.wait_dtmf(4, Duration::from_secs(8));
    assert_eq!(got, "159#", "{}", a.report());
    b.send_dtmf("*0").unwrap();
    let got = a.wait_dtmf(2, Duration::from_secs(8));
    assert_eq!(got, "*0", "{}", b.report());
    a.hold().unwrap();
    b.wait_held(T)
        .unwrap_or_else(|e| panic!("{e:#}\n{}", a.report()));
    // the holder's own state changes when the 200 arrives, just after the
    // held side saw the offer
    std::thread::sleep(Duration::from_millis(300));
    a.resume().unwrap();
    b.wait_resumed(T).unwrap();
    b.hold().unwrap();
    a.wait_held(T)
        .unwrap_or_else(|e| panic!("{e:#}\n{}", b.report()));
    b_paused();
    b.resume().unwrap();
    a.wait_resumed(T).unwrap();
    a.hangup().unwrap();
    b.wait_closed(T).unwrap();
}

#[test]
fn dtmf_and_hold_with_baresip() {
    let _t = timer("dtmf_and_hold_with_baresip");
    let kam = Kamailio::start(KamailioOptions::default());
    let mut h = handset(&kam, "101", &["pcmu"], &signal(31));
    let mut b = baresip(&kam, "102", &["PCMU"], &signal(32));
    dtmf_and_hold(&mut h, &mut b, &|| {
        std::thread::sleep(Duration::from_millis(300))
    });
}

#[test]
fn dtmf_and_hold_with_linphone() {
    let _t = timer("dtmf_and_hold_with_linphone");
    let kam = Kamailio::start(KamailioOptions::default());
    let mut h = handset(&kam, "101", &["pcmu"], &signal(41));
    let mut l = linphone(&kam, "103", &["PCMU"], &signal(42));
    let out = l.output().clone();
    let from = out.len();
    // linphonec refuses to resume until its pause is complete
    let paused = move || {
        let t = std::time::Instant::now();
        let seen = out.wait_for(from, T, |line| line.contains("is now paused"));
        eprintln!("linphonec paused after {:.2?}", t.elapsed());
        assert!(seen.is_some(), "linphonec never completed its pause");
    };
    dtmf_and_hold(&mut h, &mut l, &paused);
    l.stop();
}

#[test]
fn srtp_with_baresip() {
    let _t = timer("srtp_with_baresip");
    let kam = Kamailio::start(KamailioOptions::default());
    let (sh, sb) = (signal(51), signal(52));
    let opts = HandsetOptions::for_kamailio(&cli_path(), &kam, "101", "pw101")
        .codecs(&["pcmu"])
        .source(&sh)
        .srtp("mandatory")
        .auto_answer();
    let mut h = Handset::start(opts).unwrap_or_else(|e| panic!("{e:#}"));
    let mut bo = BaresipOptions::for_kamailio(&kam, "102", "pw102", Transport::Udp)
        .codecs(&["PCMU"])
        .source(&sb);
    bo.srtp = Srtp::Mandatory;
    let mut b = Baresip::start(bo);
    let from = b.log().len();
    let (fwd, back) = audio_call("SRTP", &mut h, &mut b, &sh, &sb);
    assert_eq!(b.wait_srtp(from, T).unwrap(), "AES_CM_128_HMAC_SHA1_80");
    // decrypted PCMU is PCMU
    let e = Expect {
        correlation: 0.3,
        windowed: 0.8,
    };
    check(&fwd, e, "SRTP handset -> baresip");
    check(&back, e, "SRTP baresip -> handset");

    // a plain-RTP peer is refused by an SRTP-mandatory Handset
    let mut c = baresip(&kam, "103", &["PCMU"], &sb);
    c.dial(&h.aor()).unwrap();
    let reason = c.wait_closed(T).unwrap();
    assert!(reason.contains("488"), "{reason}");
}
