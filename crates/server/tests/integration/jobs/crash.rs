//! A worker that dies in the middle of a job: its lease runs out, another worker runs the job
//! again, and the job's database effect still happens once.

use std::sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
};

use async_trait::async_trait;
use gatehouse_domain::{
    Clock, ManualClock,
    audit::{Actor, AuditEvent, record},
    jobs::{enqueue, new_job},
    secrets::{Keyring, MasterKey, MasterKeys},
    store::{AuditFilter, Job, JobState, Store},
};
use gatehouse_jobs::{JobError, JobHandler};
use tokio::sync::watch;

use super::support::{clock, eventually, runner};
use crate::support::TestDatabase;

/// Records one audit event per job, guarded by an idempotency key committed with it; on its
/// first attempt it then hangs, like a worker killed before it could report completion.
struct Effect {
    store: Arc<dyn Store>,
    keyring: Arc<Keyring>,
    clock: ManualClock,
    committed: Arc<AtomicBool>,
}

#[async_trait]
impl JobHandler for Effect {
    fn kind(&self) -> &'static str {
        "effect"
    }

    async fn run(&self, job: &Job) -> Result<(), JobError> {
        let fail = |error: gatehouse_domain::DomainError| JobError::Retry(error.to_string());
        let mut transaction = self.store.begin().await.map_err(|e| fail(e.into()))?;
        let key = format!("effect:{}", job.id);
        if transaction
            .use_idempotency_key(&key, self.clock.now())
            .await
            .map_err(|e| fail(e.into()))?
        {
            let event = AuditEvent::new(Actor::System, "test.effect");
            record(&mut *transaction, &self.keyring, self.clock.now(), event)
                .await
                .map_err(fail)?;
        }
        transaction.commit().await.map_err(|e| fail(e.into()))?;
        self.committed.store(true, Ordering::SeqCst);
        if job.attempt == 1 {
            std::future::pending::<()>().await;
        }
        Ok(())
    }
}

#[tokio::test]
async fn a_crashed_workers_job_runs_again_after_its_lease_and_its_effect_happens_once() {
    let database = TestDatabase::new().await;
    let store = database.database.store();
    let clock = clock();
    let shared: Arc<dyn Clock> = Arc::new(clock.clone());
    let keyring = Arc::new(Keyring::new(
        store.clone(),
        MasterKeys::single(MasterKey::generate().unwrap()),
        shared,
    ));
    let committed = Arc::new(AtomicBool::new(false));
    let handler = || -> Vec<Arc<dyn JobHandler>> {
        vec![Arc::new(Effect {
            store: store.clone(),
            keyring: keyring.clone(),
            clock: clock.clone(),
            committed: committed.clone(),
        })]
    };
    let job = new_job("effect", "default", serde_json::json!({}), clock.now());
    enqueue(&*store, &job).await.unwrap();

    let (_stop_first, first_signal) = watch::channel(false);
    let first = runner(store.clone(), &clock, "doomed", 1, handler(), vec![]).spawn(first_signal);
    eventually("the first attempt committed its effect", || async {
        committed.load(Ordering::SeqCst)
    })
    .await;
    first.abort();
    assert!(first.await.unwrap_err().is_cancelled());
    let held = store.jobs().get(job.id).await.unwrap().unwrap();
    assert_eq!(
        (held.state, held.locked_by.as_deref()),
        (JobState::Running, Some("doomed"))
    );

    let other = database.another_node().await.store();
    let (stop, signal) = watch::channel(false);
    let second = runner(other, &clock, "survivor", 1, handler(), vec![]).spawn(signal);
    tokio::time::sleep(std::time::Duration::from_millis(150)).await;
    assert_eq!(
        store
            .jobs()
            .get(job.id)
            .await
            .unwrap()
            .unwrap()
            .locked_by
            .as_deref(),
        Some("doomed"),
        "the lease still holds"
    );

    clock.advance(chrono::Duration::seconds(31));
    eventually("the job completed on the surviving worker", || async {
        let current = store.jobs().get(job.id).await.unwrap().unwrap();
        current.state == JobState::Completed && current.attempt == 2
    })
    .await;
    stop.send_replace(true);
    second.await.unwrap();
    let filter = AuditFilter {
        action: Some("test.effect".to_owned()),
        ..AuditFilter::default()
    };
    assert_eq!(
        store
            .audit()
            .list(&filter, None, 10)
            .await
            .unwrap()
            .rows
            .len(),
        1,
        "the effect happened once"
    );
}
