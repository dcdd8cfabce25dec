//! Handlers and runners for the job tests.

use std::{
    collections::HashSet,
    future::Future,
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use async_trait::async_trait;
use chrono::{TimeZone, Utc};
use gatehouse_domain::{
    Clock, ManualClock,
    jobs::CronSchedule,
    store::{Job, Store},
};
use gatehouse_jobs::{JobError, JobHandler, QueueConfig, Runner, RunnerConfig};
use uuid::Uuid;

/// A clock at a fixed start.
pub fn clock() -> ManualClock {
    ManualClock::new(Utc.with_ymd_and_hms(2026, 6, 1, 9, 0, 30).unwrap())
}

/// A runner of `handlers` on queue `default`.
pub fn runner(
    store: Arc<dyn Store>,
    clock: &ManualClock,
    name: &str,
    concurrency: usize,
    handlers: Vec<Arc<dyn JobHandler>>,
    schedules: Vec<CronSchedule>,
) -> Runner {
    let config = RunnerConfig {
        worker_id: name.to_owned(),
        queues: vec![QueueConfig {
            name: "default".to_owned(),
            concurrency,
        }],
        lease: chrono::Duration::seconds(30),
        poll_interval: Duration::from_millis(20),
        shutdown_grace: Duration::from_secs(5),
        schedules,
    };
    let clock: Arc<dyn Clock> = Arc::new(clock.clone());
    Runner::new(store, clock, handlers, config)
}

/// Polls `condition` every 20 ms for up to 10 s.
pub async fn eventually<F, Fut>(what: &str, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    for _ in 0..500 {
        if condition().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("timed out waiting until {what}");
}

/// Counts runs per job and notices two runs of one job at the same time.
#[derive(Default)]
pub struct Recorder {
    /// Every run, in order.
    pub runs: Mutex<Vec<Uuid>>,
    active: Mutex<HashSet<Uuid>>,
    /// Runs that started while the same job was already running.
    pub overlaps: AtomicUsize,
}

/// A handler of kind `work` that takes `pause` and succeeds, or fails as `failure` says.
pub struct Work {
    /// What it saw.
    pub recorder: Arc<Recorder>,
    /// How long each run takes.
    pub pause: Duration,
    /// The error to return, if any.
    pub failure: Option<JobError>,
}

#[async_trait]
impl JobHandler for Work {
    fn kind(&self) -> &'static str {
        "work"
    }

    async fn run(&self, job: &Job) -> Result<(), JobError> {
        if !self.recorder.active.lock().unwrap().insert(job.id) {
            self.recorder.overlaps.fetch_add(1, Ordering::SeqCst);
        }
        self.recorder.runs.lock().unwrap().push(job.id);
        tokio::time::sleep(self.pause).await;
        self.recorder.active.lock().unwrap().remove(&job.id);
        self.failure.clone().map_or(Ok(()), Err)
    }
}
