//! `gatehouse user create`

use std::{io::BufRead, sync::Arc};

use gatehouse_domain::{
    Clock, SystemClock,
    accounts::{NewAccount, create_user},
};

use super::Context;
use crate::{accounts, error::Failure};

/// The only role that exists before roles can be managed.
const ADMIN_ROLE: &str = "gatehouse:admin";

/// Reads one line from standard input, removing exactly one trailing newline (INTERFACE.md).
fn read_password(input: &mut impl BufRead) -> Result<String, Failure> {
    let mut line = String::new();
    input.read_line(&mut line).map_err(|e| {
        Failure::failed(format!("cannot read the password from standard input: {e}"))
    })?;
    if let Some(stripped) = line.strip_suffix('\n') {
        line = stripped
            .strip_suffix('\r')
            .map_or_else(|| stripped.to_owned(), str::to_owned);
    }
    Ok(line)
}

/// Creates a user with the password read from standard input; prints the new user's id.
pub async fn create(
    context: Context,
    email: String,
    verified: bool,
    roles: Vec<String>,
) -> Result<(), Failure> {
    if let Some(role) = roles.iter().find(|role| role.as_str() != ADMIN_ROLE) {
        return Err(Failure::usage(format!(
            "--role: unknown role {role:?} (only {ADMIN_ROLE} exists until roles can be managed)"
        )));
    }
    let password = read_password(&mut std::io::stdin().lock())?;
    let database = context.open_migrated().await?;
    let keyring = context.keyring(&database).await?;
    // Data keys are made before the use case's transaction holds SQLite's single writer.
    keyring
        .prepare(gatehouse_domain::secrets::purpose::ALL)
        .await?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let authorizer = Arc::new(gatehouse_domain::authorization::Authorizer::new(
        database.store(),
        clock.clone(),
    ));
    let accounts = accounts::accounts(
        &context.config,
        database.store(),
        keyring,
        clock,
        authorizer,
    )?;
    let account = NewAccount {
        email,
        password,
        display_name: None,
    };
    let admin = roles.iter().any(|role| role == ADMIN_ROLE);
    let id = create_user(&accounts, account, verified, admin)
        .await
        .map_err(|error| Failure::failed(error.to_string()))?;
    println!("{id}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exactly_one_trailing_newline_is_removed() {
        assert_eq!(
            read_password(&mut "  secret with spaces \n".as_bytes()).unwrap(),
            "  secret with spaces "
        );
        assert_eq!(read_password(&mut "two\n\n".as_bytes()).unwrap(), "two");
        assert_eq!(
            read_password(&mut "windows\r\n".as_bytes()).unwrap(),
            "windows"
        );
        assert_eq!(read_password(&mut "none".as_bytes()).unwrap(), "none");
        assert_eq!(read_password(&mut "tab\t\n".as_bytes()).unwrap(), "tab\t");
    }
}
