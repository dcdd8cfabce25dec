//! The command line (INTERFACE.md). stdout carries only each command's result; logs and
//! progress go to stderr.

use std::{net::SocketAddr, path::PathBuf, process::ExitCode};

use clap::{Parser, Subcommand};

use crate::{commands, config, error::Failure};

/// Gatehouse: a customer identity and access management server.
#[derive(Debug, Parser)]
#[command(
    name = "gatehouse",
    version,
    about = "Gatehouse: a customer identity and access management server",
    long_about = "Gatehouse signs people in and tells applications who they are.\n\n\
        Start it with `gatehouse serve`: with no configuration it keeps everything in an embedded \
        SQLite database under ./gatehouse-data and listens on http://127.0.0.1:8080. Set \
        DATABASE_URL=postgres://… (and secrets.master_key) to run one or more nodes on PostgreSQL.\n\n\
        Settings come from flags, then GATEHOUSE__SECTION__KEY environment variables, then the \
        --config TOML file, then defaults (`gatehouse config print` shows the result).\n\n\
        Exit codes: 0 success, 1 the operation failed or found a problem, 2 usage or configuration \
        error, 3 a dependency (the database) is unavailable."
)]
pub struct Cli {
    /// Directory for the embedded database, the master key file and other local state.
    #[arg(
        long,
        global = true,
        value_name = "DIR",
        default_value = "./gatehouse-data"
    )]
    pub data_dir: PathBuf,

    /// A TOML configuration file (see gatehouse.example.toml).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server (applies pending migrations first).
    Serve {
        /// Address to listen on (http.listen), e.g. 0.0.0.0:8080.
        #[arg(long, value_name = "ADDR")]
        listen: Option<SocketAddr>,
        /// The URL people reach Gatehouse at (http.public_url).
        #[arg(long, value_name = "URL")]
        public_url: Option<String>,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Exit 0 when an instance answers /readyz.
    Healthcheck {
        /// Base URL of the instance (default: from http.listen).
        #[arg(long, value_name = "URL")]
        url: Option<String>,
    },
    /// Inspect the configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Manage key material.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Work with the audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage OAuth clients.
    #[command(subcommand)]
    Client(ClientCommand),
    /// Export or import the authorization model (APIs, capabilities, roles, groups).
    #[command(subcommand)]
    Rbac(RbacCommand),
}

/// `gatehouse rbac …`
#[derive(Debug, Subcommand)]
pub enum RbacCommand {
    /// Print the whole model, system roles included; `rbac import` accepts it unchanged.
    Export {
        /// Output format.
        #[arg(long, value_enum, default_value = "json")]
        format: commands::rbac::Format,
    },
    /// Bring the model in line with FILE (or `-` for standard input); a dry-run diff unless
    /// `--apply`. Objects the file does not name stay unless `--prune`.
    Import {
        /// The model file (JSON or YAML), or `-`.
        file: String,
        /// Make the changes (atomically); without it, only print them.
        #[arg(long)]
        apply: bool,
        /// Also delete objects the file does not name (system objects always stay).
        #[arg(long)]
        prune: bool,
    },
}

/// `gatehouse user …`
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user; the password is read from standard input (one line). Prints the user id.
    Create {
        /// The user's email address.
        #[arg(long, value_name = "E")]
        email: String,
        /// Read the password from standard input (required: passwords never go on the command line).
        #[arg(long, required = true)]
        password_stdin: bool,
        /// Mark the address as verified.
        #[arg(long)]
        verified: bool,
        /// Give the user a role (repeatable); `gatehouse:admin` makes an administrator.
        #[arg(long = "role", value_name = "ROLE")]
        roles: Vec<String>,
    },
}

/// `gatehouse client …`
#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// Register an OAuth client; prints its id and, for confidential clients, its secret (shown
    /// only now).
    Create {
        /// The name shown on the consent screen.
        #[arg(long, value_name = "N")]
        name: String,
        /// A grant type it may use (repeatable): authorization_code, refresh_token,
        /// client_credentials. Default: authorization_code and refresh_token.
        #[arg(long = "grant", value_name = "G")]
        grants: Vec<String>,
        /// An exact redirect URI (repeatable).
        #[arg(long = "redirect-uri", value_name = "U")]
        redirect_uris: Vec<String>,
        /// A scope it may request (repeatable).
        #[arg(long = "scope", value_name = "S")]
        scopes: Vec<String>,
        /// The API audience its tokens are for by default (`gatehouse` allow-lists it for the
        /// management API).
        #[arg(long, value_name = "A")]
        audience: Option<String>,
        /// A public client (browser or native app): no secret, PKCE.
        #[arg(long)]
        public: bool,
        /// Print JSON: {"client_id": …, "client_secret": …, …}.
        #[arg(long)]
        json: bool,
    },
}

/// `gatehouse config …`
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print the effective configuration as TOML, secrets redacted.
    Print,
}

/// `gatehouse keys …`
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Print a new master key (one line, base64url). Touches no file and no database.
    GenerateMaster,
    /// Re-wrap every data key under the current master key.
    RotateMaster,
    /// Rotate the token-signing keys: new keys are published now and sign after the
    /// publication lead (`oidc.key_publish_lead_secs`); old keys stay until their tokens expire.
    Rotate,
}

/// `gatehouse audit …`
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the audit chain; exit 1 and print the first broken record if it does not hold.
    Verify,
}

/// Parses the command line, runs the command, and maps failures to exit codes.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Command::Keys(KeysCommand::GenerateMaster) = cli.command {
        return report(commands::keys::generate_master());
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            return report(Err(Failure::failed(format!(
                "cannot start the async runtime: {error}"
            ))));
        }
    };
    report(runtime.block_on(run(cli)))
}

fn report(result: Result<(), Failure>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("gatehouse: {failure}");
            failure.exit_code()
        }
    }
}

async fn run(cli: Cli) -> Result<(), Failure> {
    let overrides = match &cli.command {
        Command::Serve { listen, public_url } => config::Overrides {
            listen: *listen,
            public_url: public_url.clone(),
        },
        _ => config::Overrides::default(),
    };
    let config = config::load(cli.config.as_deref(), std::env::vars(), &overrides)?;
    let context = commands::Context {
        config,
        data_dir: cli.data_dir,
    };
    match cli.command {
        Command::Serve { .. } => commands::serve::run(context).await,
        Command::Migrate => commands::migrate::run(context).await,
        Command::Healthcheck { url } => commands::healthcheck::run(context, url).await,
        Command::Config(ConfigCommand::Print) => commands::config_print::run(&context),
        Command::Keys(KeysCommand::GenerateMaster) => commands::keys::generate_master(),
        Command::Keys(KeysCommand::RotateMaster) => commands::keys::rotate_master(context).await,
        Command::Keys(KeysCommand::Rotate) => commands::client::rotate_keys(context).await,
        Command::Client(ClientCommand::Create {
            name,
            grants,
            redirect_uris,
            scopes,
            audience,
            public,
            json,
        }) => {
            commands::client::create(
                context,
                commands::client::CreateArgs {
                    name,
                    grants,
                    redirect_uris,
                    scopes,
                    audience,
                    public,
                    json,
                },
            )
            .await
        }
        Command::Audit(AuditCommand::Verify) => commands::audit::verify(context).await,
        Command::Rbac(RbacCommand::Export { format }) => {
            commands::rbac::export(context, format).await
        }
        Command::Rbac(RbacCommand::Import { file, apply, prune }) => {
            commands::rbac::import(context, &file, apply, prune).await
        }
        Command::User(UserCommand::Create {
            email,
            verified,
            roles,
            ..
        }) => commands::user::create(context, email, verified, roles).await,
    }
}
