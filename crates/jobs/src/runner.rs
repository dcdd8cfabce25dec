//! The job runner. Per queue it claims as many jobs as it has free slots, runs each under a
//! lease that a heartbeat renews, and records the outcome; a worker that dies stops renewing, so
//! its jobs are taken over once their leases expire. Shutdown stops claiming and lets running
//! jobs finish within a grace period.

use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, Mutex, PoisonError},
    time::Duration,
};

use async_trait::async_trait;
use gatehouse_domain::{
    Clock,
    jobs::CronSchedule,
    secrets::random_bytes,
    store::{Job, Store},
};
use tokio::{
    sync::{Semaphore, watch},
    task::{JoinHandle, JoinSet},
};
use uuid::Uuid;

mod execution;

/// Why a job failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobError {
    /// Worth another attempt (after a backoff) while attempts remain.
    Retry(String),
    /// Never worth retrying: the job is dead at once.
    Fatal(String),
}

/// Runs jobs of one kind. Handlers must be idempotent: a job runs at least once, and again if its
/// worker died after the effect but before recording completion.
#[async_trait]
pub trait JobHandler: Send + Sync {
    /// The kind this handler runs.
    fn kind(&self) -> &'static str;

    /// Runs one job.
    async fn run(&self, job: &Job) -> Result<(), JobError>;
}

/// One queue and how many of its jobs this node runs at once.
#[derive(Debug, Clone)]
pub struct QueueConfig {
    /// Queue name.
    pub name: String,
    /// Jobs run at once on this node.
    pub concurrency: usize,
}

/// How the runner behaves.
#[derive(Debug, Clone)]
pub struct RunnerConfig {
    /// This worker's unique name (node name plus a random suffix).
    pub worker_id: String,
    /// The queues to run.
    pub queues: Vec<QueueConfig>,
    /// How long a claim holds without renewal.
    pub lease: chrono::Duration,
    /// How often to look for due jobs when idle.
    pub poll_interval: Duration,
    /// How long shutdown waits for running jobs.
    pub shutdown_grace: Duration,
    /// Cron schedules this node evaluates.
    pub schedules: Vec<CronSchedule>,
}

/// The job runner of one node.
pub struct Runner {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    handlers: HashMap<&'static str, Arc<dyn JobHandler>>,
    config: RunnerConfig,
    running: Mutex<HashSet<Uuid>>,
}

impl std::fmt::Debug for Runner {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Runner")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

fn jitter() -> f64 {
    let mut byte = [0_u8; 1];
    match random_bytes(&mut byte) {
        Ok(()) => f64::from(byte[0]) / 127.5 - 1.0,
        Err(_) => 0.0,
    }
}

impl Runner {
    /// A runner with these handlers.
    pub fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        handlers: Vec<Arc<dyn JobHandler>>,
        config: RunnerConfig,
    ) -> Self {
        let handlers = handlers
            .into_iter()
            .map(|handler| (handler.kind(), handler))
            .collect();
        Self {
            store,
            clock,
            handlers,
            config,
            running: Mutex::new(HashSet::new()),
        }
    }

    /// Starts the queues, the heartbeat and the cron loop. The returned task ends after
    /// `shutdown` turns true and running jobs finished (or the grace period ran out).
    pub fn spawn(self, shutdown: watch::Receiver<bool>) -> JoinHandle<()> {
        let runner = Arc::new(self);
        tokio::spawn(async move {
            let mut loops = JoinSet::new();
            for queue in runner.config.queues.clone() {
                loops.spawn(runner.clone().run_queue(queue, shutdown.clone()));
            }
            // Held in a set so that aborting the runner (as a crash would) stops them too.
            let mut background = JoinSet::new();
            background.spawn(runner.clone().heartbeat(shutdown.clone()));
            background.spawn(runner.clone().run_cron(shutdown.clone()));
            while loops.join_next().await.is_some() {}
            background.abort_all();
            tracing::info!("job runner stopped");
        })
    }

    fn running_ids(&self) -> Vec<Uuid> {
        self.running
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .copied()
            .collect()
    }

    fn set_running(&self, id: Uuid, running: bool) {
        let mut set = self.running.lock().unwrap_or_else(PoisonError::into_inner);
        if running {
            set.insert(id);
        } else {
            set.remove(&id);
        }
    }

    async fn run_queue(self: Arc<Self>, queue: QueueConfig, mut shutdown: watch::Receiver<bool>) {
        let slots = Arc::new(Semaphore::new(queue.concurrency.max(1)));
        let mut tasks = JoinSet::new();
        while !*shutdown.borrow() {
            let free = slots.available_permits();
            let jobs = if free > 0 {
                self.claim(&queue.name, free).await
            } else {
                Vec::new()
            };
            for job in jobs {
                let Ok(permit) = slots.clone().try_acquire_owned() else {
                    break;
                };
                let runner = self.clone();
                tasks.spawn(async move {
                    runner.run_job(job).await;
                    drop(permit);
                });
            }
            tokio::select! {
                () = tokio::time::sleep(self.config.poll_interval) => {}
                _ = shutdown.changed() => {}
                Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
            }
        }
        self.drain(queue.name, tasks).await;
    }

    async fn drain(&self, queue: String, mut tasks: JoinSet<()>) {
        let waited = tokio::time::timeout(self.config.shutdown_grace, async {
            while tasks.join_next().await.is_some() {}
        })
        .await;
        if waited.is_err() {
            tracing::warn!(
                queue,
                jobs = tasks.len(),
                "shutdown grace ran out; their leases will expire and another worker will run them"
            );
            tasks.abort_all();
        }
    }
}
