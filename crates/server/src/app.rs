//! Wiring: the HTTP server, the job runner and the audit chainer of one node, started together
//! and stopped together (stop accepting, drain requests and running jobs, chain what is left).

use std::{future::IntoFuture, net::SocketAddr, sync::Arc, time::Duration};

use gatehouse_domain::{
    Clock,
    accounts::Accounts,
    authorization::{Authorization, Authorizer},
    jobs::{CronSchedule, kind, queue},
    mail::Mailer,
    oauth::OAuth,
    secrets::{Keyring, random_bytes},
    store::Store,
};
use gatehouse_jobs::{
    JobHandler, QueueConfig, Runner, RunnerConfig, chainer,
    handlers::{OAuthMaintenance, PruneExpired, PruneJobs},
    mail::SendEmail,
};
use gatehouse_web::{AppState, HttpLimits, SiteSettings};
use tokio::{net::TcpListener, sync::watch, task::JoinHandle};

use crate::{config::Config, error::Failure, telemetry};

/// What a node runs on.
#[derive(Debug, Clone)]
pub struct Services {
    /// The database.
    pub store: Arc<dyn Store>,
    /// The data keys.
    pub keyring: Arc<Keyring>,
    /// Where time comes from.
    pub clock: Arc<dyn Clock>,
    /// Delivers mail (SMTP, or `.eml` files).
    pub mailer: Arc<dyn Mailer>,
    /// The account use cases' deps.
    pub accounts: Accounts,
    /// Capability checks, cached per node.
    pub authorizer: Arc<Authorizer>,
    /// The OAuth 2.0 / OpenID Connect provider's deps.
    pub oauth: OAuth,
}

impl Services {
    /// Services over `store` with the configured account rules and mail delivery.
    pub fn new(
        config: &Config,
        store: Arc<dyn Store>,
        keyring: Arc<Keyring>,
        clock: Arc<dyn Clock>,
        data_dir: &std::path::Path,
    ) -> Result<Self, Failure> {
        let mailer = gatehouse_mail::mailer(&config.email, data_dir)
            .map_err(|e| Failure::failed(format!("email: {e}")))?;
        let authorizer = Arc::new(Authorizer::new(store.clone(), clock.clone()));
        let accounts = crate::accounts::accounts(
            config,
            store.clone(),
            keyring.clone(),
            clock.clone(),
            authorizer.clone(),
        )?;
        let oauth = OAuth::new(
            store.clone(),
            keyring.clone(),
            clock.clone(),
            authorizer.clone(),
            crate::oauth::settings(config)?,
        );
        Ok(Self {
            store,
            keyring,
            clock,
            mailer,
            accounts,
            authorizer,
            oauth,
        })
    }
}

/// A started node.
#[derive(Debug)]
pub struct RunningServer {
    /// Where it listens.
    pub address: SocketAddr,
    shutdown: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl RunningServer {
    /// Begins a graceful shutdown.
    pub fn shutdown(&self) {
        self.shutdown.send_replace(true);
    }

    /// Waits until everything stopped.
    pub async fn wait(self) -> Result<(), Failure> {
        self.task
            .await
            .map_err(|e| Failure::failed(format!("server task failed: {e}")))
    }
}

/// Audits the counted client-credentials grants once a minute (one event per client) and once
/// more at shutdown.
fn spawn_grant_count_flusher(oauth: OAuth, mut shutdown: watch::Receiver<bool>) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let stopping = tokio::select! {
                () = tokio::time::sleep(Duration::from_secs(60)) => false,
                _ = shutdown.wait_for(|stop| *stop) => true,
            };
            if let Err(error) = gatehouse_domain::oauth::flush_grant_counts(&oauth).await {
                tracing::warn!(
                    code = error.code(),
                    "client-credentials grants could not be audited"
                );
            }
            if stopping {
                break;
            }
        }
    })
}

fn worker_id() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .map(|name| name.trim().to_owned())
        .unwrap_or_default();
    let mut suffix = [0_u8; 4];
    drop(random_bytes(&mut suffix));
    let suffix: String = suffix.iter().map(|byte| format!("{byte:02x}")).collect();
    if host.is_empty() {
        format!("gatehouse-{suffix}")
    } else {
        format!("{host}-{suffix}")
    }
}

/// The job runner with Gatehouse's handlers and schedules.
pub fn job_runner(config: &Config, services: &Services) -> Result<Runner, Failure> {
    let hours =
        |hours: u64| chrono::Duration::hours(i64::try_from(hours).unwrap_or(i64::MAX / 3_600_000));
    let handlers: Vec<Arc<dyn JobHandler>> = vec![
        Arc::new(PruneJobs {
            store: services.store.clone(),
            clock: services.clock.clone(),
            completed_retention: hours(config.jobs.completed_retention_hours),
            dead_retention: hours(config.jobs.dead_retention_days.saturating_mul(24)),
        }),
        Arc::new(PruneExpired {
            store: services.store.clone(),
            clock: services.clock.clone(),
            audit_personal_retention: hours(
                config.audit.personal_data_retention_days.saturating_mul(24),
            ),
        }),
        Arc::new(OAuthMaintenance {
            oauth: services.oauth.clone(),
        }),
        Arc::new(SendEmail {
            keyring: services.keyring.clone(),
            mailer: services.mailer.clone(),
        }),
    ];
    let schedules = vec![
        CronSchedule::new(
            kind::OAUTH_MAINTENANCE,
            "17 * * * *",
            kind::OAUTH_MAINTENANCE,
            queue::MAINTENANCE,
        )?,
        CronSchedule::new(
            kind::PRUNE_JOBS,
            "0 * * * *",
            kind::PRUNE_JOBS,
            queue::MAINTENANCE,
        )?,
        CronSchedule::new(
            kind::PRUNE_EXPIRED,
            "30 * * * *",
            kind::PRUNE_EXPIRED,
            queue::MAINTENANCE,
        )?,
    ];
    let queues = config
        .jobs
        .queues
        .iter()
        .map(|(name, concurrency)| QueueConfig {
            name: name.clone(),
            concurrency: *concurrency,
        })
        .collect();
    let runner_config = RunnerConfig {
        worker_id: worker_id(),
        queues,
        lease: chrono::Duration::seconds(i64::try_from(config.jobs.lease_secs).unwrap_or(60)),
        poll_interval: Duration::from_millis(config.jobs.poll_interval_ms),
        shutdown_grace: Duration::from_secs(config.http.shutdown_grace_secs),
        schedules,
    };
    Ok(Runner::new(
        services.store.clone(),
        services.clock.clone(),
        handlers,
        runner_config,
    ))
}

/// Branding and proxy settings for the hosted pages. A configured logo is read once, here.
pub fn site_settings(config: &Config) -> Result<SiteSettings, Failure> {
    let branding = &config.branding;
    let mut site = SiteSettings::new(branding.product_name.clone());
    site.accent_colour = branding.accent_colour.clone();
    site.sign_up_enabled = config.accounts.sign_up_enabled;
    site.trusted_proxies = config
        .http
        .trusted_proxies
        .iter()
        .filter_map(|proxy| proxy.parse().ok())
        .collect();
    if let Some(path) = &branding.logo_path {
        let bytes = std::fs::read(path).map_err(|e| {
            Failure::usage(format!(
                "configuration error: branding.logo_path: cannot read {path}: {e}"
            ))
        })?;
        let content_type = match path
            .rsplit('.')
            .next()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("svg") => "image/svg+xml",
            Some("png") => "image/png",
            Some("jpg" | "jpeg") => "image/jpeg",
            Some("webp") => "image/webp",
            _ => {
                return Err(Failure::usage(
                    "configuration error: branding.logo_path: use a .svg, .png, .jpg or .webp file",
                ));
            }
        };
        site = site.with_logo(bytes, content_type);
    }
    site.validate()
        .map_err(|message| Failure::usage(format!("configuration error: branding: {message}")))?;
    Ok(site)
}

/// Starts serving on `listener`, with jobs (if enabled) and the chainer.
pub fn start(
    config: &Config,
    services: &Services,
    listener: TcpListener,
) -> Result<RunningServer, Failure> {
    let address = listener
        .local_addr()
        .map_err(|e| Failure::failed(format!("listener has no address: {e}")))?;
    let (shutdown, signal) = watch::channel(false);
    let state = AppState::new(
        services.store.clone(),
        telemetry::metrics_handle(),
        services.accounts.clone(),
        site_settings(config)?,
        Authorization {
            store: services.store.clone(),
            keyring: services.keyring.clone(),
            clock: services.clock.clone(),
            authorizer: services.authorizer.clone(),
        },
        services.oauth.clone(),
    );
    let limits = HttpLimits {
        body_limit_bytes: config.http.body_limit_bytes,
        request_timeout: Duration::from_secs(config.http.request_timeout_secs),
        hsts: config.http.public_url.starts_with("https://"),
    };
    let router = gatehouse_web::router(state.clone(), limits);
    let runner = if config.jobs.enabled {
        Some(job_runner(config, services)?.spawn(signal.clone()))
    } else {
        None
    };
    let interval = Duration::from_millis(config.audit.chain_interval_ms);
    let chainer = chainer::spawn(
        services.store.clone(),
        services.keyring.clone(),
        services.clock.clone(),
        interval,
        signal.clone(),
    );
    // Model changes on any node reach this one within the poll interval (≤ 1 s).
    let watcher = services
        .authorizer
        .clone()
        .watch(Duration::from_millis(250), signal.clone());
    let flusher = spawn_grant_count_flusher(services.oauth.clone(), signal.clone());
    let grace = Duration::from_secs(config.http.shutdown_grace_secs);
    let mut http_signal = signal.clone();
    let mut grace_signal = signal;
    let task = tokio::spawn(async move {
        let stopping = async move {
            drop(http_signal.wait_for(|stop| *stop).await);
            state.stop_accepting();
        };
        let mut http = tokio::spawn(
            axum::serve(
                listener,
                router.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .with_graceful_shutdown(stopping)
            .into_future(),
        );
        let grace_over = async move {
            drop(grace_signal.wait_for(|stop| *stop).await);
            tokio::time::sleep(grace).await;
        };
        tokio::select! {
            result = &mut http => match result {
                Ok(Ok(())) => {}
                Ok(Err(error)) => tracing::error!(error = %error, "http server failed"),
                Err(error) => tracing::error!(error = %error, "http server task failed"),
            },
            () = grace_over => {
                tracing::warn!("requests still running when the grace period ended; closing them");
                http.abort();
            }
        }
        let rest = async {
            if let Some(runner) = runner {
                drop(runner.await);
            }
            drop(chainer.await);
            drop(watcher.await);
            drop(flusher.await);
        };
        if tokio::time::timeout(grace, rest).await.is_err() {
            tracing::warn!("background work did not stop within the grace period");
        }
        tracing::info!("stopped");
    });
    Ok(RunningServer {
        address,
        shutdown,
        task,
    })
}
