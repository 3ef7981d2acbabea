//! Noticing that the machine's network changed (Wi-Fi switched, VPN up, cable
//! pulled), so registrations can be renewed at once instead of at expiry.

use std::collections::BTreeSet;
use std::net::IpAddr;
use std::time::Duration;

use tokio::sync::mpsc;

use crate::kind::TransportEvent;

/// The machine's non-loopback addresses.
pub fn local_addresses() -> BTreeSet<IpAddr> {
    if_addrs::get_if_addrs()
        .map(|v| {
            v.into_iter()
                .filter(|i| !i.is_loopback())
                .map(|i| i.ip())
                .collect()
        })
        .unwrap_or_default()
}

/// True when the set of addresses differs in a way that breaks SIP flows.
pub fn addresses_changed(old: &BTreeSet<IpAddr>, new: &BTreeSet<IpAddr>) -> bool {
    // a new IPv6 temporary address alone does not break anything
    let stable = |s: &BTreeSet<IpAddr>| -> BTreeSet<IpAddr> {
        s.iter()
            .filter(|a| a.is_ipv4() || !is_temporary_v6(a))
            .copied()
            .collect()
    };
    stable(old) != stable(new)
}

fn is_temporary_v6(a: &IpAddr) -> bool {
    match a {
        // link-local addresses come and go with interfaces that carry no SIP
        IpAddr::V6(v6) => (v6.segments()[0] & 0xffc0) == 0xfe80,
        IpAddr::V4(_) => false,
    }
}

/// Polls the addresses every `every` and reports changes.
pub async fn watch(every: Duration, events: mpsc::Sender<TransportEvent>) {
    let mut last = local_addresses();
    loop {
        tokio::time::sleep(every).await;
        let now = local_addresses();
        if addresses_changed(&last, &now) {
            tracing::info!(?last, ?now, "network changed");
            if events.send(TransportEvent::NetworkChanged).await.is_err() {
                return;
            }
        }
        last = now;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diffing() {
        let a: BTreeSet<IpAddr> = ["192.168.1.5".parse().unwrap()].into();
        let b: BTreeSet<IpAddr> = ["10.0.0.7".parse().unwrap()].into();
        assert!(addresses_changed(&a, &b));
        let mut c = a.clone();
        c.insert("fe80::1".parse().unwrap());
        assert!(
            !addresses_changed(&a, &c),
            "a link-local address does not matter"
        );
        assert!(!addresses_changed(&a, &a.clone()));
    }
}
