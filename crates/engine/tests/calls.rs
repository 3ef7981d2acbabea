//! Calls between two engines on loopback, without a server: call, ring,
//! answer, DTMF, hold and resume, hang-up, decline, cancel, codec mismatch,
//! a second call holding the first, and the audio itself.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use handset_engine::{
    AccountConfig, CallId, CallInfo, CallPhase, CallQuality, CallRequest, Engine, EngineConfig,
    Event, MediaSettings, SrtpPolicy,
};
use handset_media::device::WavBackend;
use tokio::sync::broadcast::Receiver;

const T: Duration = Duration::from_secs(10);

struct Phone {
    engine: Engine,
    events: Receiver<Event>,
    account: u32,
}

impl Phone {
    async fn start(user: &str, media: MediaSettings) -> Phone {
        let engine = Engine::start(EngineConfig {
            bind: "127.0.0.1:0".parse().unwrap(),
            media,
            ..EngineConfig::default()
        })
        .await
        .unwrap();
        let events = engine.subscribe();
        let mut cfg = AccountConfig::new(user, "127.0.0.1");
        cfg.register = false;
        let account = engine.add_account(cfg, String::new()).await.unwrap();
        Phone {
            engine,
            events,
            account,
        }
    }

    fn uri(&self, user: &str) -> String {
        format!("sip:{user}@{}", self.engine.sip_addr().unwrap())
    }

    async fn call(&self, target: String) -> CallId {
        self.engine
            .call(CallRequest {
                account: self.account,
                target,
            })
            .await
            .unwrap()
    }

    /// Waits for an event that `pick` accepts.
    async fn wait<R>(&mut self, what: &str, mut pick: impl FnMut(&Event) -> Option<R>) -> R {
        let deadline = tokio::time::Instant::now() + T;
        loop {
            let ev = tokio::time::timeout_at(deadline, self.events.recv())
                .await
                .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
                .expect("engine events");
            if std::env::var_os("HANDSET_TEST_EVENTS").is_some() {
                eprintln!("{ev:?}");
            }
            if let Some(r) = pick(&ev) {
                return r;
            }
        }
    }

    /// Waits for the end of `call`, keeping the last quality figures seen
    /// (the final ones come just before the ended state).
    async fn until_end(&mut self, call: CallId) -> (CallInfo, Option<CallQuality>) {
        let mut quality = None;
        let info = self
            .wait("the end of the call", |e| match e {
                Event::CallQuality {
                    call: c,
                    quality: q,
                } if *c == call => {
                    quality = Some(q.clone());
                    None
                }
                Event::Call { info } if info.id == call && info.phase == CallPhase::Ended => {
                    Some(info.clone())
                }
                _ => None,
            })
            .await;
        (info, quality)
    }

    async fn incoming(&mut self) -> CallInfo {
        self.wait("an incoming call", |e| match e {
            Event::IncomingCall { info } => Some(info.clone()),
            _ => None,
        })
        .await
    }

    async fn until(
        &mut self,
        call: CallId,
        what: &str,
        test: impl Fn(&CallInfo) -> bool,
    ) -> CallInfo {
        self.wait(what, |e| match e {
            Event::Call { info } if info.id == call && test(info) => Some(info.clone()),
            _ => None,
        })
        .await
    }
}

fn media(codecs: &[&str]) -> MediaSettings {
    MediaSettings {
        codecs: codecs.iter().map(|c| c.to_string()).collect(),
        srtp: SrtpPolicy::Off,
        ..MediaSettings::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn call_answer_dtmf_hold_resume_hangup() {
    let mut alice = Phone::start("alice", media(&["opus", "pcmu"])).await;
    let mut bob = Phone::start("bob", media(&["opus", "pcmu"])).await;
    let call = alice.call(bob.uri("bob")).await;
    let inc = bob.incoming().await;
    assert!(inc.remote_uri.contains("alice@"), "{inc:?}");
    alice
        .until(call, "ringing", |i| i.phase == CallPhase::Ringing)
        .await;
    bob.engine.answer(inc.id).await.unwrap();
    let a = alice
        .until(call, "connected", |i| i.phase == CallPhase::Active)
        .await;
    assert_eq!(a.codec.as_deref(), Some("opus"));

    alice.engine.send_dtmf(call, "12#").await.unwrap();
    let mut got = String::new();
    while got.len() < 3 {
        let d = bob
            .wait("dtmf", |e| match e {
                Event::Dtmf {
                    call,
                    digit,
                    method,
                } if *call == inc.id => {
                    assert_eq!(method, "rfc4733");
                    Some(digit.clone())
                }
                _ => None,
            })
            .await;
        got.push_str(&d);
    }
    assert_eq!(got, "12#");

    alice.engine.hold(call, true).await.unwrap();
    bob.until(inc.id, "held by alice", |i| i.remote_held).await;
    alice.until(call, "hold confirmed", |i| i.held).await;
    alice.engine.hold(call, false).await.unwrap();
    bob.until(inc.id, "resumed", |i| !i.remote_held).await;

    // let RTP flow a moment so both sides have figures
    tokio::time::sleep(Duration::from_millis(500)).await;
    bob.engine.hangup(inc.id).await.unwrap();
    let (end, q) = alice.until_end(call).await;
    assert_eq!(end.end_reason.as_deref(), Some("the other side hung up"));
    let q = q.expect("final quality figures");
    assert!(q.packets_received > 10, "{q:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn busy_decline_and_cancel() {
    let mut alice = Phone::start("alice", media(&["pcmu"])).await;
    let mut bob = Phone::start("bob", media(&["pcmu"])).await;

    let call = alice.call(bob.uri("bob")).await;
    let inc = bob.incoming().await;
    bob.engine.decline(inc.id, 486).await.unwrap();
    let end = alice
        .until(call, "ended", |i| i.phase == CallPhase::Ended)
        .await;
    assert_eq!(
        (end.end_reason.as_deref(), end.end_status),
        (Some("busy"), Some(486))
    );

    let call = alice.call(bob.uri("bob")).await;
    let inc = bob.incoming().await;
    alice
        .until(call, "ringing", |i| i.phase == CallPhase::Ringing)
        .await;
    alice.engine.hangup(call).await.unwrap();
    let missed = bob
        .until(inc.id, "missed", |i| i.phase == CallPhase::Ended)
        .await;
    assert_eq!(missed.end_reason.as_deref(), Some("missed"));
    alice
        .until(call, "cancelled", |i| i.phase == CallPhase::Ended)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_common_codec_is_refused_before_ringing() {
    let mut alice = Phone::start("alice", media(&["pcmu"])).await;
    let bob = Phone::start("bob", media(&["opus"])).await;
    let call = alice.call(bob.uri("bob")).await;
    let end = alice
        .until(call, "ended", |i| i.phase == CallPhase::Ended)
        .await;
    assert_eq!(end.end_status, Some(488), "{end:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answering_a_second_call_holds_the_first() {
    let mut alice = Phone::start("alice", media(&["pcmu"])).await;
    let mut carol = Phone::start("carol", media(&["pcmu"])).await;
    let mut bob = Phone::start("bob", media(&["pcmu"])).await;
    let a = alice.call(bob.uri("bob")).await;
    let first = bob.incoming().await;
    bob.engine.answer(first.id).await.unwrap();
    alice
        .until(a, "connected", |i| i.phase == CallPhase::Active)
        .await;

    let c = carol.call(bob.uri("bob")).await;
    let second = bob.incoming().await;
    bob.engine.answer(second.id).await.unwrap();
    carol
        .until(c, "connected", |i| i.phase == CallPhase::Active)
        .await;
    alice.until(a, "held by bob", |i| i.remote_held).await;
    let calls = bob.engine.calls().await.unwrap();
    let held: Vec<bool> = calls.iter().map(|c| c.held).collect();
    assert_eq!(calls.len(), 2);
    assert!(held.contains(&true) && held.contains(&false), "{calls:?}");
}

fn write_tone(path: &Path, freq: f64, secs: f64) {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 16000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for n in 0..(secs * 16000.0) as usize {
        let t = n as f64 / 16000.0;
        w.write_sample((8000.0 * (2.0 * std::f64::consts::PI * freq * t).sin()) as i16)
            .unwrap();
    }
    w.finalize().unwrap();
}

/// Relative power at `freq` (Goertzel), normalised by the signal's energy.
fn tone_share(samples: &[i16], rate: f64, freq: f64) -> f64 {
    let w = 2.0 * std::f64::consts::PI * freq / rate;
    let (mut s1, mut s2) = (0.0f64, 0.0f64);
    let mut energy = 0.0;
    for &x in samples {
        let x = x as f64;
        energy += x * x;
        let s0 = x + 2.0 * w.cos() * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    let power = s1 * s1 + s2 * s2 - 2.0 * w.cos() * s1 * s2;
    if energy == 0.0 {
        return 0.0;
    }
    // a pure tone gives N/2 · energy; 1.0 means all energy at `freq`
    power / (energy * samples.len() as f64 / 2.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tone_played_at_one_end_is_recorded_at_the_other() {
    for codec in ["pcmu", "g722", "opus"] {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("tone.wav");
        let rec = dir.path().join("received.wav");
        write_tone(&src, 1000.0, 5.0);
        let mut alice = Phone::start(
            "alice",
            MediaSettings {
                backend: Arc::new(WavBackend::new(Some(src.clone()), None)),
                ..media(&[codec])
            },
        )
        .await;
        let mut bob = Phone::start(
            "bob",
            MediaSettings {
                backend: Arc::new(WavBackend::new(None, Some(rec.clone()))),
                ..media(&[codec])
            },
        )
        .await;
        let call = alice.call(bob.uri("bob")).await;
        let inc = bob.incoming().await;
        bob.engine.answer(inc.id).await.unwrap();
        alice
            .until(call, "connected", |i| i.phase == CallPhase::Active)
            .await;
        tokio::time::sleep(Duration::from_millis(1500)).await;
        alice.engine.hangup(call).await.unwrap();
        bob.until(inc.id, "ended", |i| i.phase == CallPhase::Ended)
            .await;

        let mut r = hound::WavReader::open(&rec).unwrap();
        let rate = r.spec().sample_rate as f64;
        let samples: Vec<i16> = r.samples::<i16>().map(|s| s.unwrap()).collect();
        // from 100 ms after the tone starts arriving (jitter buffer settled), 600 ms
        let onset = samples
            .iter()
            .position(|x| x.unsigned_abs() > 1000)
            .unwrap_or_else(|| panic!("{codec}: nothing but silence arrived"));
        let start = onset + (0.1 * rate) as usize;
        let end = start + (0.6 * rate) as usize;
        assert!(
            end <= samples.len(),
            "{codec}: recording too short ({} samples)",
            samples.len()
        );
        let share = tone_share(&samples[start..end], rate, 1000.0);
        eprintln!("{codec}: 1 kHz share of the received signal {share:.3}");
        // measured on loopback: 1.000 for PCMU, G722 and opus (three runs);
        // a broken codec path gives noise or silence, far below 0.8
        assert!(share > 0.8, "{codec}: 1 kHz share {share:.3}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn default_settings_encrypt_media_with_sdes() {
    let mut alice = Phone::start("alice", MediaSettings::default()).await;
    let mut bob = Phone::start("bob", MediaSettings::default()).await;
    let call = alice.call(bob.uri("bob")).await;
    let inc = bob.incoming().await;
    bob.engine.answer(inc.id).await.unwrap();
    let a = alice
        .until(call, "connected", |i| i.phase == CallPhase::Active)
        .await;
    assert!(a.secure, "both sides offer SDES keys by default: {a:?}");
    tokio::time::sleep(Duration::from_millis(600)).await;
    alice.engine.hangup(call).await.unwrap();
    let (_, q) = bob.until_end(inc.id).await;
    let q = q.expect("final figures");
    // packets that failed SRTP authentication would not count as received;
    // opus DTX sends few packets of silence (10 seen in 600 ms)
    assert!(q.packets_received >= 5, "{q:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn do_not_disturb_answers_busy_and_counts_as_missed() {
    let mut alice = Phone::start("alice", media(&["pcmu"])).await;
    let mut bob = Phone::start("bob", media(&["pcmu"])).await;
    bob.engine.set_do_not_disturb(true);
    let call = alice.call(bob.uri("bob")).await;
    let end = alice
        .until(call, "ended", |i| i.phase == CallPhase::Ended)
        .await;
    assert_eq!(
        (end.end_reason.as_deref(), end.end_status),
        (Some("busy"), Some(486))
    );
    let missed = bob
        .wait("the missed call", |e| match e {
            Event::Call { info } if info.phase == CallPhase::Ended => Some(info.clone()),
            _ => None,
        })
        .await;
    assert_eq!(
        missed.end_reason.as_deref(),
        Some("missed (Do Not Disturb)")
    );
    // and off again: calls ring
    bob.engine.set_do_not_disturb(false);
    alice.call(bob.uri("bob")).await;
    bob.incoming().await;
}
