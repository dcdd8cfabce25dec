//! `TestApp`: the real application on a random port, a fresh database, a controllable clock.

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use gatehouse::{
    app::{self, RunningServer, Services},
    config::{Config, Secret},
};
use gatehouse_domain::{
    Clock, ManualClock,
    secrets::{Keyring, MasterKey, MasterKeys},
};
use gatehouse_mail::testing::SmtpCapture;
use tokio::net::TcpListener;

use super::TestDatabase;

/// A running Gatehouse.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`
    pub base_url: String,
    /// A client without redirects.
    pub client: reqwest::Client,
    /// The SMTP listener the app's mail goes to.
    pub mail: SmtpCapture,
    /// The app's store, keyring, clock, mailer and account deps.
    pub services: Services,
    /// The app's clock; tests move it.
    pub clock: ManualClock,
    running: Option<RunningServer>,
    master_key: MasterKey,
    /// Kept alive for the test's duration.
    _database: TestDatabase,
}

impl TestApp {
    /// Starts an app with the default configuration (jobs off: job tests drive runners
    /// themselves).
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    /// Starts an app after `configure` adjusted its configuration.
    pub async fn spawn_with(configure: impl FnOnce(&mut Config)) -> Self {
        Self::spawn_on(TestDatabase::new().await, configure).await
    }

    /// Starts an app on `database`.
    pub async fn spawn_on(database: TestDatabase, configure: impl FnOnce(&mut Config)) -> Self {
        Self::spawn_node(database, MasterKey::generate().unwrap(), configure).await
    }

    /// A second node on this app's PostgreSQL database with the same master key, as a cluster
    /// member would be; `None` on SQLite (single-node).
    pub async fn second_node(&self) -> Option<Self> {
        let url = self._database.url.clone()?;
        Some(
            Self::spawn_node(
                TestDatabase::postgres(&url).await,
                self.master_key.clone(),
                |_| {},
            )
            .await,
        )
    }

    async fn spawn_node(
        database: TestDatabase,
        master_key: MasterKey,
        configure: impl FnOnce(&mut Config),
    ) -> Self {
        let mail = SmtpCapture::start().await.unwrap();
        let mut config = Config::default();
        config.jobs.poll_interval_ms = 20;
        config.database.url = database.url.clone().map(Secret::new);
        config.email = mail.settings();
        // Tests use cheap hashing parameters; the benchmark measures the real ones.
        config.passwords.memory_kib = 64;
        config.passwords.iterations = 1;
        // Administrators must have a second factor by default; tests about other things sign
        // administrators in with a password alone, and the MFA tests turn the rule back on.
        config.mfa.require_for_admins = false;
        configure(&mut config);
        let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 6, 1, 9, 0, 0).unwrap());
        let shared_clock: Arc<dyn Clock> = Arc::new(clock.clone());
        let store = database.database.store();
        let keys = MasterKeys::single(master_key.clone());
        let keyring = Arc::new(Keyring::new(store.clone(), keys, shared_clock.clone()));
        keyring
            .prepare(gatehouse_domain::secrets::purpose::ALL)
            .await
            .unwrap();
        let services =
            Services::new(&config, store, keyring, shared_clock, database.dir.path()).unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let running = app::start(&config, &services, listener).unwrap();
        let clock_handle = clock;
        let base_url = format!("http://{}", running.address);
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Self {
            base_url,
            client,
            mail,
            services,
            clock: clock_handle,
            running: Some(running),
            master_key,
            _database: database,
        }
    }

    /// The absolute URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// GET `path`.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    /// A second connection pool to the app's database, as another node would have.
    pub async fn another_node(&self) -> gatehouse::database::Database {
        self._database.another_node().await
    }

    /// Shuts the app down gracefully and waits for it.
    pub async fn stop(mut self) {
        if let Some(running) = self.running.take() {
            running.shutdown();
            running.wait().await.unwrap();
        }
    }
}
