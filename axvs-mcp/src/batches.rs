//! The MCP server's one processing batch: run on a thread of its own, its progress readable and its start
//! of new jobs cancellable while it runs, its outcome kept once it ends.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;

use axvs_log::process::{batch, Plan};

use super::args::{tool_error, ToolError};

/// A batch started by the server.
pub struct Running {
    /// Its jobs.
    pub plan: Arc<Plan>,
    /// Its live progress.
    pub progress: Arc<batch::Progress>,
    /// Set to stop it starting new jobs.
    pub cancel: Arc<AtomicBool>,
    thread: Option<JoinHandle<batch::Report>>,
    /// Its outcome, once it ended.
    pub report: Option<batch::Report>,
}

impl Running {
    /// True while jobs run or wait.
    pub fn active(&mut self) -> bool {
        if self.thread.as_ref().is_some_and(|t| t.is_finished()) {
            if let Some(thread) = self.thread.take() {
                self.report = thread.join().ok();
            }
        }
        self.thread.is_some()
    }
}

/// The server's batch slot, shared by every connection.
#[derive(Clone, Default)]
pub struct Batches {
    inner: Arc<Mutex<Option<Running>>>,
}

impl Batches {
    /// The slot (a panic while it was held leaves it as consistent as any step).
    pub fn lock(&self) -> MutexGuard<'_, Option<Running>> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts `plan` unless a batch is running.
    pub fn start(&self, plan: Plan, options: batch::Options) -> Result<Arc<Plan>, ToolError> {
        let mut slot = self.lock();
        if let Some(running) = slot.as_mut() {
            if running.active() {
                return Err(tool_error!(
                    "a processing batch is running ({} jobs); wait for it or cancel it first",
                    running.plan.jobs.len()
                ));
            }
        }
        let plan = Arc::new(plan);
        let progress = Arc::new(batch::Progress::new(&plan));
        let cancel = Arc::new(AtomicBool::new(false));
        let thread = {
            let (plan, progress, cancel) = (Arc::clone(&plan), Arc::clone(&progress), Arc::clone(&cancel));
            std::thread::Builder::new()
                .name("axvs-batch".into())
                .spawn(move || batch::run(&plan, &options, &progress, &cancel))
                .map_err(|e| tool_error!("cannot start the batch: {e}"))?
        };
        *slot = Some(Running {
            plan: Arc::clone(&plan),
            progress,
            cancel,
            thread: Some(thread),
            report: None,
        });
        Ok(plan)
    }

    /// Stops the running batch starting new jobs; true if one was running.
    pub fn cancel(&self) -> bool {
        let mut slot = self.lock();
        match slot.as_mut() {
            Some(running) => {
                let active = running.active();
                if active {
                    running.cancel.store(true, Ordering::Relaxed);
                }
                active
            }
            None => false,
        }
    }

    /// Waits for the running batch (the server is going away: jobs under way finish their files).
    pub fn shutdown(&self) {
        let thread = self.lock().as_mut().and_then(|r| {
            r.cancel.store(true, Ordering::Relaxed);
            r.thread.take()
        });
        if let Some(thread) = thread {
            let _ = thread.join();
        }
    }
}
