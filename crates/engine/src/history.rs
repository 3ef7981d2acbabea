//! The call history: every call the engine reports is written to the store
//! as it starts, is answered and ends, so a crash mid-call still leaves a row.

use std::collections::HashMap;

use handset_store::{CallDirection as StoredDirection, NewCall};
use handset_store::{Store, StoreError};

use crate::calls::{CallDirection, CallId, CallPhase};
use crate::event::Event;

/// Follows [`Event`]s and keeps the `calls` table in step.
#[derive(Default)]
pub struct CallLog {
    rows: HashMap<CallId, i64>,
    mos: HashMap<CallId, f64>,
}

impl CallLog {
    /// A log with no calls in progress.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records what `event` says about a call. `accounts` maps engine account
    /// ids to stored account ids.
    pub fn on_event(
        &mut self,
        store: &Store,
        event: &Event,
        account_row: impl Fn(u32) -> Option<i64>,
    ) -> Result<(), StoreError> {
        match event {
            Event::IncomingCall { info } | Event::Call { info } => {
                let row = match self.rows.get(&info.id) {
                    Some(r) => *r,
                    None => {
                        let r = store.start_call(&NewCall {
                            account_id: info.account.and_then(&account_row),
                            direction: match info.direction {
                                CallDirection::Incoming => StoredDirection::Incoming,
                                CallDirection::Outgoing => StoredDirection::Outgoing,
                            },
                            remote_uri: info.remote_uri.clone(),
                            remote_name: info.remote_name.clone(),
                            started_at: info.started_ms as i64,
                            video: false,
                            sip_call_id: None,
                        })?;
                        self.rows.insert(info.id, r);
                        r
                    }
                };
                if let Some(at) = info.answered_ms {
                    store.call_answered(row, at as i64)?;
                }
                if info.phase == CallPhase::Ended {
                    let reason = info.end_reason.as_deref().unwrap_or("ended");
                    store.call_ended(
                        row,
                        crate::calls::unix_ms() as i64,
                        reason,
                        self.mos.remove(&info.id),
                    )?;
                    self.rows.remove(&info.id);
                }
            }
            // a call that never heard anything has no quality worth averaging
            Event::CallQuality { call, quality } if quality.packets_received > 0 => {
                self.mos.insert(*call, quality.mos);
            }
            _ => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calls::CallInfo;

    fn info(id: CallId, direction: CallDirection, phase: CallPhase) -> CallInfo {
        CallInfo {
            id,
            account: Some(1),
            direction,
            phase,
            remote_uri: "sip:201@pbx".into(),
            remote_name: Some("Bob".into()),
            held: false,
            remote_held: false,
            muted: false,
            codec: None,
            secure: false,
            started_ms: 1_000,
            answered_ms: None,
            end_reason: None,
            end_status: None,
        }
    }

    #[test]
    fn answered_and_missed_calls_land_in_history() {
        let store = Store::in_memory().unwrap();
        let mut log = CallLog::new();
        let acc = |_| None;
        let mut a = info(1, CallDirection::Outgoing, CallPhase::Dialing);
        log.on_event(&store, &Event::Call { info: a.clone() }, acc)
            .unwrap();
        a.phase = CallPhase::Active;
        a.answered_ms = Some(2_000);
        log.on_event(&store, &Event::Call { info: a.clone() }, acc)
            .unwrap();
        a.phase = CallPhase::Ended;
        a.end_reason = Some("hung up".into());
        log.on_event(&store, &Event::Call { info: a }, acc).unwrap();

        let mut m = info(2, CallDirection::Incoming, CallPhase::Incoming);
        log.on_event(&store, &Event::IncomingCall { info: m.clone() }, acc)
            .unwrap();
        m.phase = CallPhase::Ended;
        m.end_reason = Some("missed".into());
        log.on_event(&store, &Event::Call { info: m }, acc).unwrap();

        let all = store.call_history(false, 10).unwrap();
        assert_eq!(all.len(), 2);
        let missed = store.call_history(true, 10).unwrap();
        assert_eq!(missed.len(), 1);
        assert_eq!(missed[0].remote_name.as_deref(), Some("Bob"));
        assert_eq!(store.unseen_missed().unwrap(), 1);
        let answered = all.iter().find(|c| c.answered_at.is_some()).unwrap();
        assert_eq!(answered.end_reason.as_deref(), Some("hung up"));
    }
}
