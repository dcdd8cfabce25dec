//! `gatehouse rbac export` and `gatehouse rbac import`

use std::io::Read;

use gatehouse_domain::{
    Clock, SystemClock,
    authorization::{ModelDocument, import_model},
};

use super::Context;
use crate::error::Failure;

/// Export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// JSON (pretty-printed).
    Json,
    /// YAML.
    Yaml,
}

/// Prints the model.
pub async fn export(context: Context, format: Format) -> Result<(), Failure> {
    let database = context.open_migrated().await?;
    let model = database
        .store()
        .rbac()
        .model()
        .await
        .map_err(Failure::from)?;
    let document = ModelDocument::from_model(&model);
    let text = match format {
        Format::Json => serde_json::to_string_pretty(&document)
            .map(|text| text + "\n")
            .map_err(|e| e.to_string()),
        Format::Yaml => serde_yaml::to_string(&document).map_err(|e| e.to_string()),
    }
    .map_err(|e| Failure::failed(format!("cannot render the model: {e}")))?;
    print!("{text}");
    Ok(())
}

fn read_document(file: &str) -> Result<ModelDocument, Failure> {
    let mut text = String::new();
    let read = if file == "-" {
        std::io::stdin().read_to_string(&mut text).map(drop)
    } else {
        std::fs::read_to_string(file).map(|content| text = content)
    };
    read.map_err(|e| Failure::usage(format!("cannot read {file}: {e}")))?;
    // JSON is YAML too, but serde_json's messages are clearer for JSON files.
    let parsed = if text.trim_start().starts_with('{') {
        serde_json::from_str(&text).map_err(|e| e.to_string())
    } else {
        serde_yaml::from_str(&text).map_err(|e| e.to_string())
    };
    parsed.map_err(|e| Failure::failed(format!("{file} is not a model document: {e}")))
}

/// Prints the changes the file asks for and, with `apply`, makes them in one transaction.
pub async fn import(context: Context, file: &str, apply: bool, prune: bool) -> Result<(), Failure> {
    let document = read_document(file)?;
    let database = context.open_migrated().await?;
    let keyring = context.keyring(&database).await?;
    keyring
        .prepare(gatehouse_domain::secrets::purpose::ALL)
        .await?;
    let now = SystemClock.now();
    let plan = import_model(&*database.store(), &keyring, now, &document, prune, apply).await?;
    for change in &plan.changes {
        println!("{change}");
    }
    match plan.applied_version {
        Some(version) => println!(
            "applied {} changes; model version {version}",
            plan.changes.len()
        ),
        None if plan.changes.is_empty() => println!("no changes"),
        None => println!(
            "{} changes (dry run: nothing changed; add --apply to make them)",
            plan.changes.len()
        ),
    }
    Ok(())
}
