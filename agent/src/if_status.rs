//! When a port may be reported up, and when `nb_cfg` may be acknowledged (if-status.c,
//! ofctrl-seqno.c).
//!
//! A claimed port is `up` (Port_Binding.up, OVS `Interface external_ids:ovn-installed`) only
//! once the flows computed with it are installed: the install that carried them is tagged with a
//! sequence number, and a barrier reply after it acknowledges that number. The same mechanism
//! delays the `Chassis_Private.nb_cfg` ack, so `ovn-nbctl --wait=hv` returns only when the state
//! it waited for is in the switch.
//!
//! Pure state machines: the agent calls the `handle_*` methods as things happen and performs what
//! `poll_writes` returns.

use std::collections::BTreeMap;

/// Install sequence numbers (strictly increasing per agent run).
pub type Seqno = u64;

/// Where a port is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Claimed; its flows have not been computed into an install yet.
    Claimed,
    /// Its flows went out with install `Seqno`; waiting for the barrier.
    InstallFlows(Seqno),
    /// Flows are in: `up`/`ovn-installed` must be written.
    MarkUp,
    /// Reported up.
    Installed,
    /// Released: `up=false` must be written, and `ovn-installed` removed.
    MarkDown,
}

/// A write the agent must perform for a port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortWrite {
    /// The logical port.
    pub logical_port: String,
    /// The OVS interface name (when the port has one).
    pub iface: Option<String>,
    /// True: set `up=true` and `ovn-installed=true`; false: `up=false`, remove `ovn-installed`.
    pub up: bool,
}

/// Port states, by logical port.
#[derive(Debug, Default, Clone)]
pub struct IfStatus {
    ports: BTreeMap<String, (State, Option<String>)>,
}

impl IfStatus {
    /// No ports.
    pub fn new() -> Self {
        Self::default()
    }

    /// A port became resident here (or its interface changed): it must wait for its flows.
    pub fn handle_claimed(&mut self, logical_port: &str, iface: Option<&str>) {
        let iface = iface.map(str::to_owned);
        match self.ports.get_mut(logical_port) {
            Some((State::Installed | State::MarkUp | State::InstallFlows(_), i)) if *i == iface => {
            }
            Some(entry) => *entry = (State::Claimed, iface),
            None => {
                self.ports
                    .insert(logical_port.to_owned(), (State::Claimed, iface));
            }
        }
    }

    /// A port is no longer resident here.
    pub fn handle_released(&mut self, logical_port: &str) {
        if let Some(entry) = self.ports.get_mut(logical_port) {
            entry.0 = State::MarkDown;
        }
    }

    /// An install including every port claimed so far was sent with `seqno`.
    pub fn handle_install_sent(&mut self, seqno: Seqno) {
        for (state, _) in self.ports.values_mut() {
            if *state == State::Claimed {
                *state = State::InstallFlows(seqno);
            }
        }
    }

    /// The barrier after install `seqno` came back.
    pub fn handle_acked(&mut self, acked: Seqno) {
        for (state, _) in self.ports.values_mut() {
            if let State::InstallFlows(s) = *state
                && s <= acked
            {
                *state = State::MarkUp;
            }
        }
    }

    /// The switch lost its flows (reconnect): ports not yet up must wait for a new install.
    pub fn handle_flows_lost(&mut self) {
        for (state, _) in self.ports.values_mut() {
            if matches!(state, State::InstallFlows(_)) {
                *state = State::Claimed;
            }
        }
    }

    /// The writes due now. Call `handle_written` once they are committed.
    pub fn poll_writes(&self) -> Vec<PortWrite> {
        self.ports
            .iter()
            .filter_map(|(lp, (state, iface))| match state {
                State::MarkUp => Some(PortWrite {
                    logical_port: lp.clone(),
                    iface: iface.clone(),
                    up: true,
                }),
                State::MarkDown => Some(PortWrite {
                    logical_port: lp.clone(),
                    iface: iface.clone(),
                    up: false,
                }),
                _ => None,
            })
            .collect()
    }

    /// `writes` were committed to the databases.
    pub fn handle_written(&mut self, writes: &[PortWrite]) {
        for w in writes {
            match self.ports.get(&w.logical_port).map(|(s, _)| *s) {
                Some(State::MarkUp) if w.up => {
                    if let Some(e) = self.ports.get_mut(&w.logical_port) {
                        e.0 = State::Installed;
                    }
                }
                Some(State::MarkDown) if !w.up => {
                    self.ports.remove(&w.logical_port);
                }
                _ => {}
            }
        }
    }

    /// Whether some port waits for an install to be sent.
    pub fn has_waiting(&self) -> bool {
        self.ports.values().any(|(s, _)| *s == State::Claimed)
    }

    /// Whether a port is reported up.
    pub fn is_installed(&self, logical_port: &str) -> bool {
        matches!(self.ports.get(logical_port), Some((State::Installed, _)))
    }
}

/// The `nb_cfg` acknowledgement: the value seen in `SB_Global.nb_cfg` when an install was sent
/// is acknowledged once that install's barrier returns.
#[derive(Debug, Default, Clone)]
pub struct NbCfg {
    pending: Vec<(Seqno, i64)>,
    acked: Option<i64>,
}

impl NbCfg {
    /// Nothing pending.
    pub fn new() -> Self {
        Self::default()
    }

    /// An install computed from a state with `SB_Global.nb_cfg = nb_cfg` went out as `seqno`.
    pub fn handle_install_sent(&mut self, seqno: Seqno, nb_cfg: i64) {
        if self.pending.last().is_none_or(|(_, n)| *n != nb_cfg) {
            self.pending.push((seqno, nb_cfg));
        }
    }

    /// The barrier after `acked` came back. Returns the new value to write to
    /// `Chassis_Private.nb_cfg`, if it advanced.
    pub fn handle_acked(&mut self, acked: Seqno) -> Option<i64> {
        let mut newest = None;
        self.pending.retain(|(s, n)| {
            if *s <= acked {
                newest = Some(*n);
                false
            } else {
                true
            }
        });
        match newest {
            Some(n) if self.acked != Some(n) => {
                self.acked = Some(n);
                Some(n)
            }
            _ => None,
        }
    }

    /// Whether `nb_cfg` is neither acknowledged nor waiting for an install's barrier.
    pub fn wants(&self, nb_cfg: i64) -> bool {
        self.acked != Some(nb_cfg) && self.pending.last().is_none_or(|(_, n)| *n != nb_cfg)
    }

    /// The last acknowledged value.
    pub fn acked(&self) -> Option<i64> {
        self.acked
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_port_is_up_only_after_its_install_is_acked_and_written() {
        let mut s = IfStatus::new();
        s.handle_claimed("p1", Some("v-p1"));
        assert!(s.poll_writes().is_empty());
        s.handle_install_sent(1);
        s.handle_claimed("p2", Some("v-p2"));
        s.handle_acked(1);
        let w = s.poll_writes();
        assert_eq!(
            w,
            vec![PortWrite {
                logical_port: "p1".into(),
                iface: Some("v-p1".into()),
                up: true
            }]
        );
        s.handle_written(&w);
        assert!(s.is_installed("p1") && !s.is_installed("p2"));
        // p2 was claimed after install 1 went out: it waits for install 2.
        s.handle_install_sent(2);
        s.handle_acked(2);
        assert_eq!(s.poll_writes().len(), 1);
    }

    #[test]
    fn release_and_reconnect() {
        let mut s = IfStatus::new();
        s.handle_claimed("p1", None);
        s.handle_install_sent(1);
        s.handle_flows_lost();
        s.handle_acked(1);
        assert!(
            s.poll_writes().is_empty(),
            "the install was lost with the connection"
        );
        s.handle_install_sent(2);
        s.handle_acked(2);
        let w = s.poll_writes();
        s.handle_written(&w);
        s.handle_released("p1");
        let w = s.poll_writes();
        assert_eq!(
            w,
            vec![PortWrite {
                logical_port: "p1".into(),
                iface: None,
                up: false
            }]
        );
        s.handle_written(&w);
        assert!(s.poll_writes().is_empty());
    }

    #[test]
    fn nb_cfg_is_acked_in_order_once_each() {
        let mut n = NbCfg::new();
        n.handle_install_sent(1, 5);
        n.handle_install_sent(2, 6);
        assert_eq!(n.handle_acked(1), Some(5));
        assert_eq!(n.handle_acked(1), None);
        n.handle_install_sent(3, 6);
        assert_eq!(n.handle_acked(3), Some(6));
        assert_eq!(n.acked(), Some(6));
    }
}
