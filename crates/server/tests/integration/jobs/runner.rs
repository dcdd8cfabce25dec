//! Retries, dead jobs, cron, concurrency and shutdown.

use std::{
    collections::HashSet,
    sync::{Arc, atomic::Ordering},
    time::Duration,
};

use gatehouse_domain::{
    Clock,
    jobs::{CronSchedule, enqueue, new_job},
    store::{JobFilter, JobState, NewJob, Store},
};
use gatehouse_jobs::{JobError, JobHandler};
use tokio::sync::watch;

use super::support::{Recorder, Work, clock, eventually, runner};
use crate::support::TestDatabase;

fn work(
    recorder: &Arc<Recorder>,
    pause_ms: u64,
    failure: Option<JobError>,
) -> Vec<Arc<dyn JobHandler>> {
    vec![Arc::new(Work {
        recorder: recorder.clone(),
        pause: Duration::from_millis(pause_ms),
        failure,
    })]
}

async fn job_state(store: &Arc<dyn Store>, job: &NewJob) -> (JobState, i32) {
    let stored = store.jobs().get(job.id).await.unwrap().unwrap();
    (stored.state, stored.attempt)
}

#[tokio::test]
async fn failing_job_is_retried_with_backoff_then_dead_and_can_be_retried_by_hand() {
    let database = TestDatabase::new().await;
    let store = database.database.store();
    let clock = clock();
    let job = NewJob {
        max_attempts: 2,
        ..new_job("work", "default", serde_json::json!({}), clock.now())
    };
    enqueue(&*store, &job).await.unwrap();
    let recorder = Arc::new(Recorder::default());
    let failure = Some(JobError::Retry("upstream down".to_owned()));
    let (stop, signal) = watch::channel(false);
    let task = runner(
        store.clone(),
        &clock,
        "w1",
        2,
        work(&recorder, 0, failure),
        vec![],
    )
    .spawn(signal);

    eventually("the first attempt failed", || async {
        job_state(&store, &job).await == (JobState::Available, 1)
    })
    .await;
    let waiting = store.jobs().get(job.id).await.unwrap().unwrap();
    let delay = waiting.run_at - clock.now();
    assert!(
        delay >= chrono::Duration::seconds(9) && delay <= chrono::Duration::seconds(11),
        "{delay}"
    );
    assert_eq!(waiting.last_error.as_deref(), Some("upstream down"));
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        recorder.runs.lock().unwrap().len(),
        1,
        "not retried before its time"
    );

    clock.advance(chrono::Duration::seconds(12));
    eventually("the job is dead", || async {
        job_state(&store, &job).await == (JobState::Dead, 2)
    })
    .await;

    assert!(store.jobs().retry_dead(job.id, clock.now()).await.unwrap());
    eventually("the retried job ran", || async {
        recorder.runs.lock().unwrap().len() == 3
    })
    .await;
    stop.send_replace(true);
    task.await.unwrap();
}

#[tokio::test]
async fn fatal_error_kills_the_job_at_once() {
    let database = TestDatabase::new().await;
    let store = database.database.store();
    let clock = clock();
    let job = new_job("work", "default", serde_json::json!({}), clock.now());
    enqueue(&*store, &job).await.unwrap();
    let orphan = new_job(
        "no_such_kind",
        "default",
        serde_json::json!({}),
        clock.now(),
    );
    enqueue(&*store, &orphan).await.unwrap();
    let recorder = Arc::new(Recorder::default());
    let (stop, signal) = watch::channel(false);
    let failure = Some(JobError::Fatal("malformed payload".to_owned()));
    let task = runner(
        store.clone(),
        &clock,
        "w1",
        2,
        work(&recorder, 0, failure),
        vec![],
    )
    .spawn(signal);
    eventually("both jobs are dead", || async {
        job_state(&store, &job).await == (JobState::Dead, 1)
            && job_state(&store, &orphan).await.0 == JobState::Dead
    })
    .await;
    let orphan = store.jobs().get(orphan.id).await.unwrap().unwrap();
    assert!(orphan.last_error.unwrap().contains("no handler"));
    stop.send_replace(true);
    task.await.unwrap();
}

#[tokio::test]
async fn cron_job_is_enqueued_once_per_tick_however_many_nodes_run() {
    let database = TestDatabase::new().await;
    let store = database.database.store();
    let clock = clock();
    let schedule = || vec![CronSchedule::new("minutely", "* * * * *", "work", "default").unwrap()];
    let recorder = Arc::new(Recorder::default());
    let (stop, signal) = watch::channel(false);
    let other = database.another_node().await.store();
    let first = runner(
        store.clone(),
        &clock,
        "w1",
        1,
        work(&recorder, 0, None),
        schedule(),
    )
    .spawn(signal.clone());
    let second = runner(other, &clock, "w2", 1, work(&recorder, 0, None), schedule()).spawn(signal);

    eventually("the first tick ran", || async {
        recorder.runs.lock().unwrap().len() == 1
    })
    .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(recorder.runs.lock().unwrap().len(), 1, "one job per tick");
    clock.advance(chrono::Duration::minutes(1));
    eventually("the second tick ran", || async {
        recorder.runs.lock().unwrap().len() == 2
    })
    .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(recorder.runs.lock().unwrap().len(), 2);
    let jobs = store
        .jobs()
        .list(
            &JobFilter {
                kind: Some("work".to_owned()),
                ..JobFilter::default()
            },
            10,
        )
        .await
        .unwrap();
    assert!(jobs.iter().all(|job| job.state == JobState::Completed));
    stop.send_replace(true);
    first.await.unwrap();
    second.await.unwrap();
}

#[tokio::test]
async fn two_nodes_run_every_job_exactly_once_and_never_one_job_concurrently() {
    let database = TestDatabase::new().await;
    let store = database.database.store();
    let clock = clock();
    let mut all = HashSet::new();
    for _ in 0..30 {
        let job = new_job("work", "default", serde_json::json!({}), clock.now());
        all.insert(job.id);
        enqueue(&*store, &job).await.unwrap();
    }
    let recorder = Arc::new(Recorder::default());
    let (stop, signal) = watch::channel(false);
    let other = database.another_node().await.store();
    let first = runner(
        store.clone(),
        &clock,
        "w1",
        3,
        work(&recorder, 15, None),
        vec![],
    )
    .spawn(signal.clone());
    let second = runner(other, &clock, "w2", 3, work(&recorder, 15, None), vec![]).spawn(signal);
    eventually("every job ran", || async {
        recorder.runs.lock().unwrap().len() >= 30
    })
    .await;
    eventually("every job completed", || async {
        let filter = JobFilter {
            state: Some(JobState::Completed),
            ..JobFilter::default()
        };
        store.jobs().list(&filter, 100).await.unwrap().len() == 30
    })
    .await;
    stop.send_replace(true);
    first.await.unwrap();
    second.await.unwrap();
    let runs = recorder.runs.lock().unwrap().clone();
    assert_eq!(runs.len(), 30, "no job ran twice");
    assert_eq!(runs.into_iter().collect::<HashSet<_>>(), all);
    assert_eq!(recorder.overlaps.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn shutdown_stops_claiming_and_lets_the_running_job_finish() {
    let database = TestDatabase::new().await;
    let store = database.database.store();
    let clock = clock();
    let running = new_job("work", "default", serde_json::json!({}), clock.now());
    enqueue(&*store, &running).await.unwrap();
    let recorder = Arc::new(Recorder::default());
    let (stop, signal) = watch::channel(false);
    let task = runner(
        store.clone(),
        &clock,
        "w1",
        1,
        work(&recorder, 400, None),
        vec![],
    )
    .spawn(signal);
    eventually("the job started", || async {
        !recorder.runs.lock().unwrap().is_empty()
    })
    .await;
    let waiting = new_job("work", "default", serde_json::json!({}), clock.now());
    enqueue(&*store, &waiting).await.unwrap();
    stop.send_replace(true);
    task.await.unwrap();
    assert_eq!(job_state(&store, &running).await, (JobState::Completed, 1));
    assert_eq!(job_state(&store, &waiting).await, (JobState::Available, 0));
}
