//! The account use cases on a real store, with mail delivered over SMTP: the SECURITY.md rules
//! for passwords, one-time secrets and sessions. The wire (pages, JSON, cookies, CSRF) is
//! tested in `http/`.

mod mfa;
mod password_reset;
mod profile;
mod sign_in;
mod sign_up;
pub mod support;
