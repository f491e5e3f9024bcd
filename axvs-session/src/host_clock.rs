//! This host's clock as the kernel keeps it (`ntp_adjtime`, read only): whether a time daemon (chrony,
//! ntpd, linuxptp's phc2sys) disciplines it, and how well it says it does. axvs never sets the clock.
//! `axvs check` shows it; the `read_host_clock` tool gives it with its receive and send times, for an
//! NTP-style offset measurement between hosts.

use serde::{Deserialize, Serialize};

/// The kernel's `STA_UNSYNC` status bit: no daemon has set the clock as synchronised.
const STA_UNSYNC: i32 = 0x0040;
/// The clock state `TIME_ERROR`.
const TIME_ERROR: i32 = 5;

/// This host's clock, read once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct HostClock {
    /// UTC when read, ns since the UNIX epoch.
    pub utc_ns: u64,
    /// Whether a time daemon keeps the clock synchronised (state not `TIME_ERROR`, `STA_UNSYNC` clear).
    pub synchronized: bool,
    /// The estimated error the daemon last gave, µs.
    pub estimated_error_us: i64,
    /// The maximum error, µs (it grows while no daemon updates it).
    pub max_error_us: i64,
    /// The kernel's clock state: `ok`, `insert_leap`, `delete_leap`, `leap_in_progress`, `leap_occurred` or
    /// `error` (not synchronised).
    pub state: String,
    /// The kernel's status bits (`STA_*`).
    pub status: i32,
}

impl HostClock {
    /// One line: `synchronized (estimated error 12 µs, max error 340 µs)`, or why not.
    pub fn summary(&self) -> String {
        if self.synchronized {
            format!(
                "synchronized (estimated error {} µs, max error {} µs)",
                self.estimated_error_us, self.max_error_us
            )
        } else {
            format!(
                "not synchronized (state {}): no NTP or PTP daemon disciplines this clock, so its times may \
                 differ from other machines' by any amount",
                self.state
            )
        }
    }
}

/// UTC now, ns since the UNIX epoch.
pub fn utc_now_ns() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

/// Reads this host's clock state.
pub fn read() -> std::io::Result<HostClock> {
    // SAFETY: `timex` is plain data; zeroed, its `modes` 0 asks the kernel to change nothing.
    let mut tx: libc::timex = unsafe { std::mem::zeroed() };
    // SAFETY: a valid, writable `timex`.
    let state = unsafe { libc::ntp_adjtime(&mut tx) };
    if state < 0 {
        return Err(std::io::Error::last_os_error());
    }
    let utc_ns = utc_now_ns();
    let name = match state {
        0 => "ok",
        1 => "insert_leap",
        2 => "delete_leap",
        3 => "leap_in_progress",
        4 => "leap_occurred",
        _ => "error",
    };
    Ok(HostClock {
        utc_ns,
        synchronized: state != TIME_ERROR && tx.status & STA_UNSYNC == 0,
        estimated_error_us: tx.esterror,
        max_error_us: tx.maxerror,
        state: name.into(),
        status: tx.status,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clock_reads_with_a_state_that_agrees_with_its_status_bits() {
        let clock = read().expect("ntp_adjtime");
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("after 1970")
            .as_nanos() as u64;
        assert!(clock.utc_ns <= now && now - clock.utc_ns < 1_000_000_000, "{clock:?}");
        assert_eq!(
            clock.synchronized,
            clock.state != "error" && clock.status & STA_UNSYNC == 0
        );
        assert!(clock.max_error_us >= 0 && clock.estimated_error_us >= 0, "{clock:?}");
        let line = clock.summary();
        assert!(line.starts_with(if clock.synchronized {
            "synchronized"
        } else {
            "not synchronized"
        }));
    }
}
