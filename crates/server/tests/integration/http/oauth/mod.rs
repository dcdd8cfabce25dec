//! The OAuth 2.0 / OpenID Connect provider over HTTP: interop with the `openidconnect` crate
//! as an independent relying party, and a test for every SECURITY.md OAuth rule.

mod flows;
mod interop;
mod rules;
pub mod support;
mod tokens;
