//! The example configuration file, generated from the defaults (a test keeps
//! `gatehouse.example.toml` equal to it).

use super::Config;

const HEADER: &str = "\
# Gatehouse configuration: every setting with its default.
# Precedence: command-line flags > GATEHOUSE__… environment variables > this file > defaults.
# Environment names: GATEHOUSE__ + the dotted key in upper case with __ for dots
# (http.listen = GATEHOUSE__HTTP__LISTEN). Unknown keys are errors.
#
# Settings without a default:
#   database.url = \"postgres://user@host/db\"   # or DATABASE_URL; unset = SQLite in DATA_DIR
#   secrets.master_key = \"…\"                   # `gatehouse keys generate-master`; required with PostgreSQL
#   secrets.previous_master_keys = [\"…\"]       # during `keys rotate-master`
#   branding.logo_path = \"/etc/gatehouse/logo.svg\"
#   email.smtp.host = \"smtp.example.com\"       # unset = messages are written to DATA_DIR/mail/*.eml
#   email.smtp.username = \"…\"
#   email.smtp.password = \"…\"
";

/// The example file's text.
pub fn example_toml() -> String {
    let body = toml::to_string_pretty(&Config::default()).unwrap_or_default();
    format!("{HEADER}\n{body}")
}
