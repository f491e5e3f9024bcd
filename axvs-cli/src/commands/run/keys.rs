//! What the user asks for while recording: keys from the terminal (single keys without Enter when standard
//! input is a terminal, lines from a pipe) and Ctrl-C. Keys in the live view's window reach the session
//! directly; both mean the same ([`Key`]).

use std::io::{BufRead, IsTerminal, Read};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use axvs_view::Key;
use crossbeam_channel::Sender;
use rustix::termios::{self, LocalModes, OptionalActions, SpecialCodeIndex, Termios};

/// The terminal's settings before keys were switched to single keys, to put back at exit.
static SAVED: Mutex<Option<Termios>> = Mutex::new(None);

/// What reaches the recording from the terminal, the key reader and the signal handler.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Control {
    /// A key, or Ctrl-C's quit.
    Key(Key),
    /// A key that stands for nothing: said through the status display, which keeps its lines whole.
    Unknown(String),
}

/// The hint printed when keys come from a terminal.
const HINT: &str = "keys: w = start saving, s = stop saving, 1-9 = that camera's saving on/off, q = quit";

/// `axvs run --help`'s last part: the keys, then examples.
pub(crate) const RUN_HELP: &str = "\
Keys while recording (single keys on a terminal; a line each from a pipe):
  w      start saving                 s      stop saving
  1-9    that camera's saving on/off  q      quit (Ctrl-C and SIGTERM too: every file is finished first)

Examples:
  axvs run                                   the built-in demo rig: two synthetic cameras, until q
  axvs run rig.toml --duration 60            a rig for a minute
  axvs run rig.toml --no-save --display-fps 15   watch the cameras without recording
  axvs run rig.toml -o /data --report run.json   into /data, with the final figures as JSON";

/// Puts the terminal back as it was (no-op if it was not changed). Safe to call more than once.
pub(super) fn restore_terminal() {
    let saved = SAVED.lock().ok().and_then(|mut s| s.take());
    if let Some(saved) = saved {
        let _ = termios::tcsetattr(std::io::stdin(), OptionalActions::Now, &saved);
    }
}

/// Restores the terminal when dropped.
pub(super) struct TerminalGuard;

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore_terminal();
    }
}

/// SIGINT and SIGTERM stop the recording cleanly: files finalized, logs flushed, archives exported. A
/// second one, while a stuck camera holds up the stop, exits at once (what is on disk stays playable).
pub(super) fn install_signal_handler(tx: Sender<Control>, interrupted: Arc<AtomicBool>) {
    let signals = std::sync::atomic::AtomicU32::new(0);
    if let Err(e) = ctrlc::set_handler(move || {
        if signals.fetch_add(1, Ordering::SeqCst) > 0 {
            restore_terminal();
            errln!("axvs: second interrupt: exiting without waiting for the cameras");
            std::process::exit(130);
        }
        interrupted.store(true, Ordering::SeqCst);
        crate::relay::wake();
        let _ = tx.try_send(Control::Key(Key::Quit));
    }) {
        tracing::warn!("cannot catch Ctrl-C ({e}); stop with q or --duration");
    }
}

/// Reads keys from standard input on a thread of its own; end of input only stops reading. On a terminal,
/// each key acts at once (no Enter, not echoed; Ctrl-C still interrupts); the returned guard puts the
/// terminal back.
pub(super) fn spawn_key_reader(tx: Sender<Control>) -> Option<TerminalGuard> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() && !in_foreground() {
        // Reading (or setting) the terminal from the background would stop the whole process (SIGTTIN).
        errln!("axvs: running in the background: keys are not read; stop with Ctrl-C after fg, or kill -INT");
        return None;
    }
    let guard = stdin.is_terminal().then(single_keys).flatten();
    if stdin.is_terminal() {
        errln!("axvs: {HINT}{}", if guard.is_some() { "" } else { " (each + Enter)" });
    }
    let single = guard.is_some();
    let spawned = std::thread::Builder::new().name("axvs-keys".into()).spawn(move || {
        if single {
            for byte in stdin.lock().bytes() {
                let Ok(byte) = byte else { return };
                if !act(char::from(byte), &tx) {
                    return;
                }
            }
        } else {
            for line in stdin.lock().lines() {
                let Ok(line) = line else { return };
                let mut chars = line.trim().chars();
                let key = match (chars.next(), chars.next()) {
                    (None, _) => continue,
                    (Some(c), None) => c,
                    _ => {
                        let unknown = Control::Unknown(format!("unknown key '{}' ({HINT})", line.trim()));
                        if tx.send(unknown).is_err() {
                            return;
                        }
                        continue;
                    }
                };
                if !act(key, &tx) {
                    return;
                }
            }
        }
    });
    if let Err(e) = spawned {
        tracing::warn!("cannot read keys ({e})");
    }
    guard
}

/// Sends the key `c` stands for (or says it stands for none); false once nobody listens.
fn act(c: char, tx: &Sender<Control>) -> bool {
    match Key::from_char(c) {
        Some(key) => tx.send(Control::Key(key)).is_ok(),
        None if c.is_whitespace() => true,
        None => tx
            .send(Control::Unknown(format!(
                "unknown key '{}' ({HINT})",
                c.escape_default()
            )))
            .is_ok(),
    }
}

/// True when this process' group owns the terminal of standard input (not started with `&`).
fn in_foreground() -> bool {
    // SAFETY: plain system calls without pointers.
    unsafe { libc::tcgetpgrp(0) == libc::getpgrp() }
}

/// Switches the terminal to single keys without echo, keeping its signals (Ctrl-C) and output as they were.
fn single_keys() -> Option<TerminalGuard> {
    let stdin = std::io::stdin();
    let original = termios::tcgetattr(&stdin).ok()?;
    let mut single = original.clone();
    single.local_modes.remove(LocalModes::ICANON | LocalModes::ECHO);
    single.special_codes[SpecialCodeIndex::VMIN] = 1;
    single.special_codes[SpecialCodeIndex::VTIME] = 0;
    if let Ok(mut saved) = SAVED.lock() {
        *saved = Some(original);
    }
    if termios::tcsetattr(&stdin, OptionalActions::Now, &single).is_err() {
        restore_terminal();
        return None;
    }
    Some(TerminalGuard)
}
