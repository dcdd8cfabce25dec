//! Configuration loading: precedence, key naming in errors, redaction, the example file.

use std::path::Path;

use gatehouse::config::{Config, Overrides, example_toml, load};

use crate::support::Gatehouse;

fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
        .collect()
}

#[test]
fn flags_beat_environment_beat_file_beat_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("gatehouse.toml");
    std::fs::write(&file, "[http]\nlisten = \"127.0.0.1:1111\"\npublic_url = \"https://file.example\"\nrequest_timeout_secs = 7\n").unwrap();
    let environment = vars(&[
        ("GATEHOUSE__HTTP__LISTEN", "127.0.0.1:2222"),
        ("GATEHOUSE__HTTP__PUBLIC_URL", "https://env.example"),
    ]);
    let flags = Overrides {
        listen: Some("127.0.0.1:3333".parse().unwrap()),
        public_url: None,
    };
    let config = load(Some(&file), environment.clone(), &flags).unwrap();
    assert_eq!(config.http.listen.port(), 3333);
    assert_eq!(config.http.public_url, "https://env.example");
    assert_eq!(config.http.request_timeout_secs, 7);
    assert_eq!(
        config.http.body_limit_bytes,
        Config::default().http.body_limit_bytes
    );
    let config = load(Some(&file), environment, &Overrides::default()).unwrap();
    assert_eq!(config.http.listen.port(), 2222);
}

#[test]
fn environment_values_are_typed_by_the_setting_they_set() {
    let environment = vars(&[
        ("GATEHOUSE__JOBS__ENABLED", "false"),
        ("GATEHOUSE__JOBS__QUEUES__MAIL", "3"),
        ("GATEHOUSE__HTTP__TRUSTED_PROXIES", "10.0.0.1, 10.0.0.2"),
        ("GATEHOUSE__LOG__LEVEL", "debug"),
        ("DATABASE_URL", "postgres://db.example/gatehouse"),
        ("UNRELATED", "ignored"),
    ]);
    let config = load(None, environment, &Overrides::default()).unwrap();
    assert!(!config.jobs.enabled);
    assert_eq!(config.jobs.queues["mail"], 3);
    assert_eq!(config.http.trusted_proxies, vec!["10.0.0.1", "10.0.0.2"]);
    assert_eq!(
        config.database.url.unwrap().expose(),
        "postgres://db.example/gatehouse"
    );
}

fn error_for(environment: &[(&str, &str)], file: Option<(&Path, &str)>) -> String {
    if let Some((path, text)) = file {
        std::fs::write(path, text).unwrap();
    }
    load(
        file.map(|(path, _)| path),
        vars(environment),
        &Overrides::default(),
    )
    .unwrap_err()
    .to_string()
}

#[test]
fn errors_name_the_full_dotted_key() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("c.toml");
    let cases: Vec<(String, &str)> = vec![
        (
            error_for(&[("GATEHOUSE__HTTP__NO_SUCH_SETTING", "1")], None),
            "http.no_such_setting",
        ),
        (error_for(&[("GATEHOUSE__NOPE", "1")], None), "nope"),
        (
            error_for(
                &[("GATEHOUSE__DATABASE__POOL__MAX_CONNECTIONS", "many")],
                None,
            ),
            "database.pool.max_connections",
        ),
        (
            error_for(&[("GATEHOUSE__HTTP__LISTEN", "not-an-address")], None),
            "http.listen",
        ),
        (
            error_for(&[("GATEHOUSE__LOG__FORMAT", "xml")], None),
            "log.format",
        ),
        (
            error_for(&[("GATEHOUSE__JOBS__QUEUES__DEFAULT", "0")], None),
            "jobs.queues.default",
        ),
        (
            error_for(&[("GATEHOUSE__HTTP__PUBLIC_URL", "ftp://x")], None),
            "http.public_url",
        ),
        (
            error_for(&[("DATABASE_URL", "mysql://x")], None),
            "database.url",
        ),
        (
            error_for(&[], Some((&file, "[database.pool]\ncolour = 1\n"))),
            "database.pool.colour",
        ),
        (
            error_for(&[], Some((&file, "[jobs]\nlease_secs = 1\n"))),
            "jobs.lease_secs",
        ),
        (error_for(&[], Some((&file, "[http\n"))), "--config"),
    ];
    for (message, key) in cases {
        assert!(
            message.starts_with(&format!("configuration error: {key}: ")),
            "{message:?} should name {key}"
        );
    }
    let unknown = error_for(&[("GATEHOUSE__HTTP__NO_SUCH_SETTING", "1")], None);
    assert!(
        unknown.contains("GATEHOUSE__HTTP__NO_SUCH_SETTING"),
        "{unknown}"
    );
}

#[test]
fn configuration_errors_exit_2_with_one_line_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let run = Gatehouse::new(dir.path())
        .env("GATEHOUSE__HTTP__NO_SUCH_SETTING", "1")
        .run(&["migrate"]);
    assert_eq!(run.code(), 2);
    assert_eq!(run.stderr().trim().lines().count(), 1);
    assert!(run.stderr().contains("http.no_such_setting"));
    assert!(
        std::fs::read_dir(dir.path()).unwrap().next().is_none(),
        "nothing written"
    );
    let usage = Gatehouse::new(dir.path()).run(&["frobnicate"]);
    assert_eq!(usage.code(), 2);
}

#[test]
fn config_print_shows_the_effective_configuration_with_secrets_redacted() {
    let dir = tempfile::tempdir().unwrap();
    let key = gatehouse_domain::secrets::MasterKey::generate()
        .unwrap()
        .encode();
    let run = Gatehouse::new(dir.path())
        .env("GATEHOUSE__SECRETS__MASTER_KEY", &key)
        .env(
            "DATABASE_URL",
            "postgres://user:hunter2@db.example/gatehouse",
        )
        .env("GATEHOUSE__HTTP__REQUEST_TIMEOUT_SECS", "12")
        .run(&["config", "print"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let printed = run.stdout();
    assert!(
        !printed.contains(&key) && !printed.contains("hunter2"),
        "{printed}"
    );
    assert!(printed.contains("[redacted]"));
    let parsed: toml::Table = printed.parse().unwrap();
    assert_eq!(
        parsed["http"]["request_timeout_secs"].as_integer(),
        Some(12)
    );
}

#[test]
fn example_config_file_is_current_and_loads_to_the_defaults() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../gatehouse.example.toml");
    let generated = example_toml();
    if std::env::var_os("UPDATE_EXAMPLE_CONFIG").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert_eq!(
        committed, generated,
        "run UPDATE_EXAMPLE_CONFIG=1 cargo test -p gatehouse example_config"
    );
    let loaded = Config::from_toml(&committed).unwrap();
    assert_eq!(
        toml::to_string(&loaded).unwrap(),
        toml::to_string(&Config::default()).unwrap()
    );
}
