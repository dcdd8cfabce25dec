//! Running one claimed job and keeping leases and cron schedules moving.

use std::{sync::Arc, time::Instant};

use gatehouse_domain::store::Job;
use tokio::sync::watch;

use super::{JobError, Runner, jitter};

struct AbortOnDrop(tokio::task::AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Runner {
    pub(super) async fn claim(&self, queue: &str, free: usize) -> Vec<Job> {
        let now = self.clock.now();
        let limit = u32::try_from(free).unwrap_or(u32::MAX);
        let worker = &self.config.worker_id;
        match self
            .store
            .jobs()
            .claim(queue, worker, limit, now, now + self.config.lease)
            .await
        {
            Ok(jobs) => {
                for job in &jobs {
                    self.set_running(job.id, true);
                }
                jobs
            }
            Err(error) => {
                tracing::warn!(queue, error = %error, "claiming jobs failed");
                Vec::new()
            }
        }
    }

    pub(super) async fn run_job(self: Arc<Self>, job: Job) {
        let started = Instant::now();
        let outcome = match self.handlers.get(job.kind.as_str()).cloned() {
            None => Err(JobError::Fatal(format!(
                "no handler for job kind {:?}",
                job.kind
            ))),
            // The handler runs in its own task so a panic fails the job instead of the runner.
            Some(handler) => {
                let owned = job.clone();
                let mut task = tokio::spawn(async move { handler.run(&owned).await });
                // Aborting this future (shutdown past its grace, a crash) aborts the handler too.
                let guard = AbortOnDrop(task.abort_handle());
                let result = (&mut task)
                    .await
                    .unwrap_or_else(|_| Err(JobError::Retry("the handler panicked".to_owned())));
                drop(guard);
                result
            }
        };
        let seconds = started.elapsed().as_secs_f64();
        let labels = [("queue", job.queue.clone()), ("kind", job.kind.clone())];
        metrics::histogram!("gatehouse_job_duration_seconds", &labels).record(seconds);
        let result = self.record_outcome(&job, outcome).await;
        self.set_running(job.id, false);
        let label = match result {
            Ok(label) => label,
            Err(error) => {
                tracing::warn!(job.id = %job.id, error = %error, "recording a job outcome failed; its lease will expire and it will run again");
                "unrecorded"
            }
        };
        let labels = [
            ("queue", job.queue),
            ("kind", job.kind),
            ("outcome", label.to_owned()),
        ];
        metrics::counter!("gatehouse_jobs_finished_total", &labels).increment(1);
    }

    async fn record_outcome(
        &self,
        job: &Job,
        outcome: Result<(), JobError>,
    ) -> Result<&'static str, gatehouse_domain::StoreError> {
        let jobs = self.store.jobs();
        let worker = &self.config.worker_id;
        let now = self.clock.now();
        let recorded = match outcome {
            Ok(()) => jobs
                .complete(job.id, worker, now)
                .await
                .map(|held| (held, "completed"))?,
            Err(JobError::Retry(error)) if job.attempt < job.max_attempts => {
                tracing::info!(job.id = %job.id, job.kind = %job.kind, attempt = job.attempt, error = %error, "job failed; will retry");
                let run_at = now + gatehouse_domain::jobs::backoff(job.attempt, jitter());
                (
                    jobs.retry_later(job.id, worker, &error, run_at, now)
                        .await?,
                    "retried",
                )
            }
            Err(JobError::Retry(error) | JobError::Fatal(error)) => {
                tracing::warn!(job.id = %job.id, job.kind = %job.kind, attempt = job.attempt, error = %error, "job is dead");
                (jobs.mark_dead(job.id, worker, &error, now).await?, "dead")
            }
        };
        if !recorded.0 {
            tracing::warn!(job.id = %job.id, "lost the job's lease before recording its outcome");
            return Ok("lease_lost");
        }
        Ok(recorded.1)
    }

    pub(super) async fn heartbeat(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) {
        let every = (self.config.lease / 3)
            .to_std()
            .unwrap_or(std::time::Duration::from_secs(10));
        loop {
            tokio::select! {
                () = tokio::time::sleep(every) => {}
                _ = shutdown.changed() => {}
            }
            let ids = self.running_ids();
            if ids.is_empty() {
                if *shutdown.borrow() && self.running_ids().is_empty() {
                    return;
                }
                continue;
            }
            let until = self.clock.now() + self.config.lease;
            if let Err(error) = self
                .store
                .jobs()
                .extend_leases(&ids, &self.config.worker_id, until)
                .await
            {
                tracing::warn!(error = %error, "renewing job leases failed");
            }
        }
    }

    pub(super) async fn run_cron(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) {
        let mut due: Vec<_> = self
            .config
            .schedules
            .iter()
            .map(|schedule| schedule.latest_tick(self.clock.now()))
            .collect();
        while !*shutdown.borrow() {
            let now = self.clock.now();
            for (schedule, next) in self.config.schedules.iter().zip(due.iter_mut()) {
                if next.is_some_and(|next| next > now) {
                    continue;
                }
                match schedule.fire_if_due(&*self.store, now).await {
                    Ok(fired) => {
                        if fired {
                            tracing::debug!(schedule = %schedule.name, "cron job enqueued");
                        }
                        *next = schedule.next_tick(now);
                    }
                    Err(error) => {
                        tracing::warn!(schedule = %schedule.name, error = %error, "cron schedule failed")
                    }
                }
            }
            tokio::select! {
                () = tokio::time::sleep(self.config.poll_interval) => {}
                _ = shutdown.changed() => {}
            }
        }
    }
}
