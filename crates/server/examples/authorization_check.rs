//! The in-process authorization check, timed call by call (`scripts/bench` runs it).
//!
//! Builds the pieces `gatehouse serve` uses on a temporary SQLite database (migrated, so the
//! system roles exist), creates a user holding `gatehouse:admin`, warms the authorizer's cache,
//! then times `Authorizer::check(user, "gatehouse:users.read")` one call at a time on a
//! current-thread runtime and prints the percentiles, one `name: value` line each.
//!
//!   cargo run --release -p gatehouse --example authorization_check [CALLS]

use std::{
    error::Error,
    hint::black_box,
    sync::Arc,
    time::{Duration, Instant},
};

use gatehouse::{config::Config, database::Database};
use gatehouse_domain::{
    Clock, SystemClock,
    accounts::{NewAccount, create_user},
    authorization::{ADMIN_ROLE, Authorizer, capability},
    secrets::{Keyring, MasterKey, MasterKeys, purpose},
};

/// Timed calls unless the first argument says otherwise.
const DEFAULT_CALLS: usize = 200_000;
/// Untimed calls first, so the cache, the allocator and the branch predictors are warm.
const WARM_UP_CALLS: usize = 10_000;

fn main() -> Result<(), Box<dyn Error>> {
    let calls = match std::env::args().nth(1) {
        Some(text) => text.parse::<usize>()?.max(1),
        None => DEFAULT_CALLS,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run(calls))
}

async fn run(calls: usize) -> Result<(), Box<dyn Error>> {
    let setup = Instant::now();
    let data_dir = tempfile::tempdir()?;
    let mut config = Config::default();
    // Setup speed only: the one password hashed here is not what is measured.
    config.passwords.memory_kib = 64;
    config.passwords.iterations = 1;

    let database = Database::open(&config, data_dir.path())
        .await
        .map_err(|failure| failure.message)?;
    database
        .migrate()
        .await
        .map_err(|failure| failure.message)?;
    let store = database.store();
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let keyring = Arc::new(Keyring::new(
        store.clone(),
        MasterKeys::single(MasterKey::generate()?),
        clock.clone(),
    ));
    keyring.prepare(purpose::ALL).await?;
    let authorizer = Arc::new(gatehouse_domain::authorization::Authorizer::new(
        store.clone(),
        clock.clone(),
    ));
    let accounts =
        gatehouse::accounts::accounts(&config, store.clone(), keyring, clock.clone(), authorizer)
            .map_err(|failure| failure.message)?;
    let account = NewAccount {
        email: "bench-admin@example.com".to_owned(),
        password: "lantern orbit pickle marathon".to_owned(),
        display_name: None,
    };
    let user = create_user(&accounts, account, true, true).await?;
    let authorizer = Authorizer::new(store, clock);

    let first = authorizer.check(user, capability::USERS_READ).await?;
    if !first.allowed || !first.granted_by.iter().any(|role| role == ADMIN_ROLE) {
        return Err(format!(
            "expected {ADMIN_ROLE} to grant {}, got {first:?}",
            capability::USERS_READ
        )
        .into());
    }
    for _ in 0..WARM_UP_CALLS {
        black_box(authorizer.check(user, capability::USERS_READ).await?);
    }
    eprintln!(
        "authorization_check: setup and warm-up took {} ms",
        setup.elapsed().as_millis()
    );

    let mut samples: Vec<Duration> = Vec::with_capacity(calls);
    let started = Instant::now();
    for _ in 0..calls {
        let call = Instant::now();
        let decision = authorizer
            .check(black_box(user), capability::USERS_READ)
            .await?;
        samples.push(call.elapsed());
        black_box(decision);
    }
    let total = started.elapsed();
    samples.sort_unstable();

    let micros = |duration: Duration| duration.as_secs_f64() * 1e6;
    let at = |quantile: f64| {
        // Nearest rank: the smallest sample with at least `quantile` of the samples at or below.
        let rank = (quantile * samples.len() as f64).ceil() as usize;
        micros(samples[rank.clamp(1, samples.len()) - 1])
    };
    let mean = micros(samples.iter().sum::<Duration>()) / samples.len() as f64;
    println!("calls: {calls}");
    println!("p50_us: {:.3}", at(0.50));
    println!("p99_us: {:.3}", at(0.99));
    println!("p999_us: {:.3}", at(0.999));
    println!("max_us: {:.3}", micros(samples[samples.len() - 1]));
    println!("mean_us: {mean:.3}");
    println!(
        "checks_per_second: {:.0}",
        calls as f64 / total.as_secs_f64()
    );
    Ok(())
}
