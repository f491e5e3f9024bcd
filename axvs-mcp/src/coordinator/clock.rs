//! A host's clock against the coordinator's: the NTP-style four-timestamp exchange over the control
//! connection (`read_host_clock`), several rounds, the round with the shortest round trip kept. axvs sets
//! no clock: each host's own daemon (chrony, linuxptp) keeps it; this measures how well they agree.

use serde::Serialize;

use axvs_session::host_clock::{utc_now_ns, HostClock};

use super::remote::Remote;
use super::CoordinatorError;
use crate::tools::HostClockRead;

/// Rounds of the exchange.
pub const ROUNDS: usize = 8;

/// A host's clock against the coordinator's, as measured.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ClockOffset {
    /// The host's clock minus the coordinator's, ns (its error is at most half the round trip).
    pub offset_ns: i64,
    /// The round trip of the best round, less the host's own time in it, ns.
    pub round_trip_ns: u64,
    /// When measured, by the coordinator's clock (UTC, ns).
    pub at_utc_ns: u64,
    /// The host's clock state then (synchronised, the error its daemon gives).
    pub host: HostClock,
}

/// Measures `remote`'s offset.
pub(super) async fn measure(remote: &Remote) -> Result<ClockOffset, CoordinatorError> {
    let mut best: Option<ClockOffset> = None;
    for _ in 0..ROUNDS {
        let t1 = utc_now_ns();
        let read: HostClockRead = remote.call("read_host_clock", serde_json::json!({})).await?;
        let t4 = utc_now_ns();
        let (t1, t2, t3, t4) = (
            t1 as i128,
            read.received_utc_ns as i128,
            read.clock.utc_ns as i128,
            t4 as i128,
        );
        let round_trip = ((t4 - t1) - (t3 - t2)).max(0) as u64;
        let offset = (((t2 - t1) + (t3 - t4)) / 2) as i64;
        if best.as_ref().is_none_or(|b| round_trip < b.round_trip_ns) {
            best = Some(ClockOffset {
                offset_ns: offset,
                round_trip_ns: round_trip,
                at_utc_ns: t4 as u64,
                host: read.clock,
            });
        }
    }
    best.ok_or_else(|| CoordinatorError::Tool {
        host: remote.spec.name.clone(),
        tool: "read_host_clock",
        reason: "no round".into(),
    })
}
