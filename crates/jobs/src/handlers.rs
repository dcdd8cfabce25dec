//! Gatehouse's job kinds.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::Duration;
use gatehouse_domain::{
    Clock,
    jobs::kind,
    store::{Job, JobState, Store},
};

use crate::{JobError, JobHandler};

fn retry(error: impl std::fmt::Display) -> JobError {
    JobError::Retry(error.to_string())
}

/// Deletes completed jobs after `completed_retention` and dead ones after `dead_retention`.
#[derive(Debug)]
pub struct PruneJobs {
    /// The store.
    pub store: Arc<dyn Store>,
    /// The clock.
    pub clock: Arc<dyn Clock>,
    /// How long completed jobs stay listed.
    pub completed_retention: Duration,
    /// How long dead jobs stay for inspection and retry.
    pub dead_retention: Duration,
}

#[async_trait]
impl JobHandler for PruneJobs {
    fn kind(&self) -> &'static str {
        kind::PRUNE_JOBS
    }

    async fn run(&self, _job: &Job) -> Result<(), JobError> {
        let now = self.clock.now();
        let jobs = self.store.jobs();
        let completed = jobs
            .prune_finished(JobState::Completed, now - self.completed_retention)
            .await
            .map_err(retry)?;
        let dead = jobs
            .prune_finished(JobState::Dead, now - self.dead_retention)
            .await
            .map_err(retry)?;
        // A key only matters while its job can still run again; dead jobs can be retried.
        let keys = jobs
            .prune_idempotency_keys(now - self.dead_retention)
            .await
            .map_err(retry)?;
        tracing::info!(
            completed,
            dead,
            idempotency_keys = keys,
            "pruned finished jobs"
        );
        Ok(())
    }
}

/// Removes data whose retention ended: the personal data sealed in audit records, sessions that
/// ended a day ago, and sign-in challenges that ended an hour ago.
#[derive(Debug)]
pub struct PruneExpired {
    /// The store.
    pub store: Arc<dyn Store>,
    /// The clock.
    pub clock: Arc<dyn Clock>,
    /// How long audit records keep personal data (IP, user agent, email typed).
    pub audit_personal_retention: Duration,
}

#[async_trait]
impl JobHandler for PruneExpired {
    fn kind(&self) -> &'static str {
        kind::PRUNE_EXPIRED
    }

    async fn run(&self, _job: &Job) -> Result<(), JobError> {
        let before = self.clock.now() - self.audit_personal_retention;
        let cleared = self
            .store
            .audit()
            .prune_personal(before)
            .await
            .map_err(retry)?;
        let now = self.clock.now();
        let sessions = self
            .store
            .sessions()
            .prune(now - chrono::Duration::days(1))
            .await
            .map_err(retry)?;
        let challenges = self
            .store
            .mfa()
            .prune_challenges(now - chrono::Duration::hours(1))
            .await
            .map_err(retry)?;
        tracing::info!(
            audit_personal = cleared,
            sessions,
            challenges,
            "pruned expired data"
        );
        Ok(())
    }
}

/// Rotates signing keys that reached their rotation age, deletes keys whose tokens have all
/// expired, and prunes OAuth codes, grants and idempotent answers a day after they ended.
#[derive(Debug)]
pub struct OAuthMaintenance {
    /// The provider.
    pub oauth: gatehouse_domain::oauth::OAuth,
}

#[async_trait]
impl JobHandler for OAuthMaintenance {
    fn kind(&self) -> &'static str {
        kind::OAUTH_MAINTENANCE
    }

    async fn run(&self, _job: &Job) -> Result<(), JobError> {
        let rotated = self.oauth.keys.rotate_due().await.map_err(retry)?;
        let keys = self.oauth.keys.prune().await.map_err(retry)?;
        let before = self.oauth.clock.now() - Duration::days(1);
        let rows = self
            .oauth
            .store
            .oauth()
            .prune(before)
            .await
            .map_err(retry)?;
        tracing::info!(
            rotated = rotated.len(),
            keys_deleted = keys,
            oauth_rows_deleted = rows,
            "OAuth maintenance done"
        );
        Ok(())
    }
}
