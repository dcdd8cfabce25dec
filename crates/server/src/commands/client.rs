//! `gatehouse client create`

use std::sync::Arc;

use gatehouse_domain::{
    Clock, SystemClock,
    authorization::Authorizer,
    oauth::{ClientError, ClientSpec, OAuth, Operator, create_client},
};
use serde_json::json;

use super::Context;
use crate::error::Failure;

/// What `client create` was asked for.
#[derive(Debug, Clone, Default)]
pub struct CreateArgs {
    /// `--name`.
    pub name: String,
    /// `--grant` (repeatable).
    pub grants: Vec<String>,
    /// `--redirect-uri` (repeatable).
    pub redirect_uris: Vec<String>,
    /// `--scope` (repeatable).
    pub scopes: Vec<String>,
    /// `--audience`.
    pub audience: Option<String>,
    /// `--public`.
    pub public: bool,
    /// `--json`.
    pub json: bool,
}

/// The OAuth deps over the command's database.
pub async fn oauth(context: &Context) -> Result<OAuth, Failure> {
    let database = context.open_migrated().await?;
    let keyring = context.keyring(&database).await?;
    // Data keys are made before a use case's transaction holds SQLite's single writer.
    keyring
        .prepare(gatehouse_domain::secrets::purpose::ALL)
        .await?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let authorizer = Arc::new(Authorizer::new(database.store(), clock.clone()));
    Ok(OAuth::new(
        database.store(),
        keyring,
        clock,
        authorizer,
        crate::oauth::settings(&context.config)?,
    ))
}

/// Registers a client and prints its id and secret (the only time the secret is shown).
pub async fn create(context: Context, args: CreateArgs) -> Result<(), Failure> {
    let oauth = oauth(&context).await?;
    let spec = ClientSpec {
        name: args.name,
        public: args.public,
        redirect_uris: args.redirect_uris,
        grant_types: args.grants,
        scopes: args.scopes,
        audiences: args.audience.into_iter().collect(),
        ..ClientSpec::default()
    };
    let created = create_client(&oauth, &Operator::system(), spec)
        .await
        .map_err(|error| match error {
            ClientError::Invalid { field, message } => {
                let option = match field {
                    "grant_types" => "--grant",
                    "redirect_uris" => "--redirect-uri",
                    "scopes" | "default_scopes" => "--scope",
                    "audiences" | "default_audience" => "--audience",
                    "name" => "--name",
                    other => other,
                };
                Failure::usage(format!("{option}: {message}"))
            }
            other => Failure::failed(other.to_string()),
        })?;
    let row = &created.client.row;
    if args.json {
        let mut body = json!({
            "client_id": row.client_id,
            "name": row.name,
            "public": row.public,
            "grant_types": row.grant_types,
            "redirect_uris": row.redirect_uris,
            "scopes": row.scopes,
            "audiences": row.audiences,
            "signing_alg": row.signing_alg,
        });
        if let Some(secret) = &created.secret {
            body["client_secret"] = json!(secret);
        }
        println!("{body}");
    } else {
        println!("client_id: {}", row.client_id);
        if let Some(secret) = &created.secret {
            println!("client_secret: {secret}");
        }
    }
    Ok(())
}

/// `gatehouse keys rotate`: a new signing key for every algorithm, published now and signing
/// after the publication lead; prints the new keys.
pub async fn rotate_keys(context: Context) -> Result<(), Failure> {
    let oauth = oauth(&context).await?;
    let algorithms = [
        gatehouse_domain::oauth::jose::Algorithm::EdDsa,
        gatehouse_domain::oauth::jose::Algorithm::Es256,
        gatehouse_domain::oauth::jose::Algorithm::Rs256,
    ];
    let keys = oauth
        .keys
        .rotate(&algorithms, gatehouse_domain::audit::Actor::System)
        .await?;
    for key in keys {
        println!(
            "{} {} signs from {}",
            key.kid,
            key.alg.as_str(),
            key.activates_at.to_rfc3339()
        );
    }
    Ok(())
}
