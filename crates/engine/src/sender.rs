//! One queue and task per destination, so a slow TCP or TLS connect to one
//! server never holds up what goes to another, while messages to the same
//! destination keep their order.

use std::collections::HashMap;
use std::net::SocketAddr;

use handset_sip::transaction::{Peer, TransactionId, Transport};
use handset_transport::{FlowId, Target, TransportLayer};
use tokio::sync::mpsc;

use crate::runtime::Cmd;
use crate::targets::to_kind;

/// One message to send.
pub struct Job {
    /// Serialized SIP message.
    pub data: Vec<u8>,
    /// The transaction sending it, to report a failure to.
    pub tx: Option<TransactionId>,
    /// The connection it must go out on (a response), when known.
    pub flow: Option<FlowId>,
    /// TLS server name / WebSocket host.
    pub server_name: Option<String>,
}

/// The per-destination queues.
pub struct Senders {
    layer: TransportLayer,
    cmds: mpsc::UnboundedSender<Cmd>,
    queues: HashMap<(Transport, SocketAddr), mpsc::UnboundedSender<Job>>,
}

impl Senders {
    /// Queues feeding `layer`, reporting outcomes on `cmds`.
    pub fn new(layer: TransportLayer, cmds: mpsc::UnboundedSender<Cmd>) -> Self {
        Senders {
            layer,
            cmds,
            queues: HashMap::new(),
        }
    }

    /// Queues a message for `peer`.
    pub fn send(&mut self, peer: Peer, job: Job) {
        let key = (peer.transport, peer.addr);
        let q = self.queues.entry(key).or_insert_with(|| {
            let (tx, rx) = mpsc::unbounded_channel();
            tokio::spawn(worker(self.layer.clone(), peer, rx, self.cmds.clone()));
            tx
        });
        if let Err(mpsc::error::SendError(job)) = q.send(job) {
            // the worker ended (it never does by itself); start a fresh one
            let (tx, rx) = mpsc::unbounded_channel();
            tokio::spawn(worker(self.layer.clone(), peer, rx, self.cmds.clone()));
            let _ = tx.send(job);
            self.queues.insert(key, tx);
        }
    }
}

async fn worker(
    layer: TransportLayer,
    peer: Peer,
    mut rx: mpsc::UnboundedReceiver<Job>,
    cmds: mpsc::UnboundedSender<Cmd>,
) {
    let mut last_local: Option<SocketAddr> = None;
    while let Some(job) = rx.recv().await {
        let target = Target {
            kind: to_kind(peer.transport),
            addr: peer.addr,
            server_name: job.server_name.clone(),
            ws_path: None,
        };
        let result = match job.flow {
            Some(flow) => match layer.send_on_flow(flow, &job.data).await {
                Ok(()) => Ok(None),
                // the connection is gone: RFC 3261 18.2.2 says try a new one
                Err(_) => layer.send(&target, &job.data).await.map(Some),
            },
            None => layer.send(&target, &job.data).await.map(Some),
        };
        match result {
            Ok(Some(sent)) => {
                if peer.transport.is_reliable() && last_local != Some(sent.local) {
                    last_local = Some(sent.local);
                    let _ = cmds.send(Cmd::Connected {
                        peer,
                        local: sent.local,
                    });
                }
            }
            Ok(None) => {}
            Err(e) => {
                let _ = cmds.send(Cmd::SendFailed {
                    tx: job.tx,
                    target: peer.to_string(),
                    reason: e.to_string(),
                });
            }
        }
    }
}
