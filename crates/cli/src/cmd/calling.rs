//! Driving a call from the command line: what happens when (DTMF, hold,
//! resume, hang-up), what gets printed, and what the exit code says.

use std::time::Duration;

use clap::Args;
use handset_engine::{CallId, CallInfo, CallPhase, CallQuality, Engine, Event};
use tokio::sync::broadcast;
use tokio::time::Instant;

/// Exit code: the call never connected (busy, declined, no answer, not found, no call came).
pub const EXIT_NOT_CONNECTED: i32 = 3;
/// Exit code: the call connected but no audio arrived from the other side.
pub const EXIT_NO_AUDIO: i32 = 4;

/// What to do during a connected call. Times count from the answer.
#[derive(Args, Debug, Clone)]
pub struct ScriptArgs {
    /// Hang up this many seconds after the answer (0: wait for the other side to hang up).
    #[arg(long, default_value_t = 10.0)]
    pub duration: f64,
    /// DTMF digits to send (0-9, *, #, A-D).
    #[arg(long)]
    pub dtmf: Option<String>,
    /// Seconds after the answer to send the DTMF digits.
    #[arg(long, default_value_t = 1.0)]
    pub dtmf_after: f64,
    /// Put the call on hold this many seconds after the answer.
    #[arg(long)]
    pub hold_after: Option<f64>,
    /// Resume a held call this many seconds after the answer.
    #[arg(long)]
    pub resume_after: Option<f64>,
    /// Mute the microphone this many seconds after the answer.
    #[arg(long)]
    pub mute_after: Option<f64>,
    /// Print every engine event as one JSON line instead of the short lines.
    #[arg(long)]
    pub json: bool,
}

fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s.clamp(0.0, 86_400.0))
}

/// How one call went.
#[derive(Debug, Default)]
pub struct Outcome {
    /// It was answered.
    pub connected: bool,
    /// Why it ended.
    pub end_reason: Option<String>,
    /// The status that ended it.
    pub end_status: Option<u16>,
    /// Last quality figures.
    pub quality: Option<CallQuality>,
    /// DTMF digits received.
    pub dtmf: String,
}

impl Outcome {
    /// The exit code for this outcome.
    pub fn exit_code(&self) -> i32 {
        if !self.connected {
            EXIT_NOT_CONNECTED
        } else if self
            .quality
            .as_ref()
            .is_some_and(|q| q.packets_received == 0)
        {
            EXIT_NO_AUDIO
        } else {
            0
        }
    }
}

/// Prints events as the user asked.
pub struct Printer {
    /// JSON lines.
    pub json: bool,
}

impl Printer {
    /// Prints one event for `call` (events of other calls are not shown).
    pub fn event(&self, ev: &Event) {
        if self.json {
            println!("{}", serde_json::to_string(ev).unwrap_or_default());
            return;
        }
        match ev {
            Event::IncomingCall { info } => {
                println!("incoming call from {}{}", info.remote_uri, name(info))
            }
            Event::Dtmf { digit, method, .. } => println!("dtmf {digit} ({method})"),
            Event::MediaProblem { reason, .. } => eprintln!("media: {reason}"),
            _ => {}
        }
    }

    /// Prints a change of a call.
    pub fn change(&self, before: Option<&CallInfo>, info: &CallInfo) {
        if self.json {
            return;
        }
        let was = |f: fn(&CallInfo) -> bool| before.map(f).unwrap_or(false);
        match info.phase {
            CallPhase::Ringing if before.map(|b| b.phase) != Some(CallPhase::Ringing) => {
                println!("ringing")
            }
            CallPhase::Active if before.map(|b| b.phase) != Some(CallPhase::Active) => println!(
                "connected codec {} srtp {}",
                info.codec.as_deref().unwrap_or("?"),
                if info.secure { "yes" } else { "no" }
            ),
            CallPhase::Ended => println!(
                "ended: {}{}",
                info.end_reason.as_deref().unwrap_or("?"),
                info.end_status
                    .map(|s| format!(" ({s})"))
                    .unwrap_or_default()
            ),
            _ => {}
        }
        if info.phase == CallPhase::Active {
            if info.remote_held != was(|b| b.remote_held) {
                println!(
                    "{}",
                    if info.remote_held {
                        "held by peer"
                    } else {
                        "resumed by peer"
                    }
                );
            }
            if info.held != was(|b| b.held) {
                println!("{}", if info.held { "on hold" } else { "resumed" });
            }
        }
    }

    /// Prints the final figures.
    pub fn quality(&self, q: &CallQuality) {
        if !self.json {
            println!(
                "stats codec {} sent {} received {} loss {:.1}% jitter {:.1} ms rtt {} mos {:.2}",
                q.codec,
                q.packets_sent,
                q.packets_received,
                q.loss_percent,
                q.jitter_ms,
                q.rtt_ms
                    .map(|r| format!("{r:.1} ms"))
                    .unwrap_or_else(|| "-".into()),
                q.mos
            );
        }
    }
}

fn name(info: &CallInfo) -> String {
    info.remote_name
        .as_ref()
        .map(|n| format!(" ({n})"))
        .unwrap_or_default()
}

/// Follows `call` until it ends, carrying out the script once it connects.
/// `ring_timeout` cancels an outgoing call nobody answers.
pub async fn drive(
    engine: &Engine,
    events: &mut broadcast::Receiver<Event>,
    call: CallId,
    script: &ScriptArgs,
    printer: &Printer,
    mut last: Option<CallInfo>,
    ring_timeout: Option<Duration>,
) -> Outcome {
    let mut out = Outcome::default();
    let ring_deadline = ring_timeout.map(|t| Instant::now() + t);
    let mut answered_at: Option<Instant> = None;
    if last.as_ref().is_some_and(|i| i.phase == CallPhase::Active) {
        answered_at = Some(Instant::now());
        out.connected = true;
    }
    let mut done_dtmf = script.dtmf.is_none();
    let mut done_hold = script.hold_after.is_none();
    let mut done_resume = script.resume_after.is_none();
    let mut done_mute = script.mute_after.is_none();
    let mut hung_up = false;
    loop {
        // the next scripted moment
        let next = answered_at.and_then(|t0| {
            let mut times = Vec::new();
            if !done_dtmf {
                times.push(t0 + secs(script.dtmf_after));
            }
            if !done_hold {
                times.push(t0 + secs(script.hold_after.unwrap_or(0.0)));
            }
            if !done_resume {
                times.push(t0 + secs(script.resume_after.unwrap_or(0.0)));
            }
            if !done_mute {
                times.push(t0 + secs(script.mute_after.unwrap_or(0.0)));
            }
            if script.duration > 0.0 && !hung_up {
                times.push(t0 + secs(script.duration));
            }
            times.into_iter().min()
        });
        let wake = match (next, ring_deadline, answered_at) {
            (Some(n), _, _) => Some(n),
            (None, Some(d), None) if !hung_up => Some(d),
            _ => None,
        };
        let ev = tokio::select! {
            ev = events.recv() => ev,
            _ = sleep_until(wake) => {
                let now = Instant::now();
                match answered_at {
                    None => {
                        if !hung_up {
                            hung_up = true;
                            let _ = engine.hangup(call).await;
                        }
                    }
                    Some(t0) => {
                        let due = |s: f64| now >= t0 + secs(s);
                        if !done_dtmf && due(script.dtmf_after) {
                            done_dtmf = true;
                            if let Err(e) = engine.send_dtmf(call, script.dtmf.as_deref().unwrap_or("")).await {
                                eprintln!("dtmf: {e}");
                            }
                        }
                        if !done_hold && due(script.hold_after.unwrap_or(0.0)) {
                            done_hold = true;
                            if let Err(e) = engine.hold(call, true).await {
                                eprintln!("hold: {e}");
                            }
                        }
                        if !done_resume && due(script.resume_after.unwrap_or(0.0)) {
                            done_resume = true;
                            if let Err(e) = engine.hold(call, false).await {
                                eprintln!("resume: {e}");
                            }
                        }
                        if !done_mute && due(script.mute_after.unwrap_or(0.0)) {
                            done_mute = true;
                            let _ = engine.mute(call, true).await;
                        }
                        if script.duration > 0.0 && !hung_up && due(script.duration) {
                            hung_up = true;
                            let _ = engine.hangup(call).await;
                        }
                    }
                }
                continue;
            }
        };
        let ev = match ev {
            Ok(ev) => ev,
            Err(broadcast::error::RecvError::Lagged(_)) => continue,
            Err(broadcast::error::RecvError::Closed) => return out,
        };
        match &ev {
            Event::Call { info } if info.id == call => {
                printer.event(&ev);
                printer.change(last.as_ref(), info);
                if info.phase == CallPhase::Active && answered_at.is_none() {
                    answered_at = Some(Instant::now());
                    out.connected = true;
                }
                if info.phase == CallPhase::Ended {
                    out.end_reason = info.end_reason.clone();
                    out.end_status = info.end_status;
                    if let Some(q) = &out.quality {
                        printer.quality(q);
                    }
                    return out;
                }
                last = Some(info.clone());
            }
            Event::Dtmf { call: c, digit, .. } if *c == call => {
                printer.event(&ev);
                out.dtmf.push_str(digit);
            }
            Event::CallQuality { call: c, quality } if *c == call => {
                printer.event(&ev);
                out.quality = Some(quality.clone());
            }
            Event::MediaProblem { call: c, .. } if *c == call => printer.event(&ev),
            Event::Registration { .. } | Event::TransportError { .. } if printer.json => {
                printer.event(&ev)
            }
            _ => {}
        }
    }
}

async fn sleep_until(t: Option<Instant>) {
    match t {
        Some(t) => tokio::time::sleep_until(t).await,
        None => std::future::pending().await,
    }
}

/// Waits until the account is registered; Err is (exit code, reason).
pub async fn wait_registered(
    events: &mut broadcast::Receiver<Event>,
    account: u32,
    timeout: Duration,
    printer: &Printer,
) -> Result<(), (i32, String)> {
    let deadline = Instant::now() + timeout;
    let mut last_error: Option<String> = None;
    loop {
        let ev = tokio::select! {
            ev = events.recv() => ev,
            _ = tokio::time::sleep_until(deadline) => {
                let why = last_error.unwrap_or_else(|| "no answer from the registrar".into());
                return Err((1, format!("registration timed out after {} s: {why}", timeout.as_secs())));
            }
        };
        let Ok(ev) = ev else { continue };
        if printer.json {
            printer.event(&ev);
        }
        match ev {
            Event::Registration { account: a, info } if a == account => match info.state.as_str() {
                "registered" => return Ok(()),
                "failed" => {
                    return Err((
                        1,
                        info.reason.unwrap_or_else(|| "registration failed".into()),
                    ))
                }
                _ => {}
            },
            Event::TransportError { target, reason } => {
                if reason.contains("certificate") || reason.contains("TLS") {
                    return Err((1, reason));
                }
                last_error = Some(format!("{target}: {reason}"));
            }
            _ => {}
        }
    }
}
