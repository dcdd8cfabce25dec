//! The hosted account pages and their JSON twin on the wire: CSRF, safe methods, enumeration,
//! the session cookie, `next=`, page headers and markup, throttling, request facts (public URL,
//! client IP, audit), bad input, language, and the whole journey through the pages. The use
//! cases' own rules are tested in `accounts/`; these tests are about what HTTP adds.

mod bad_input;
pub mod browser;
mod csrf;
mod enumeration;
mod journey;
mod mfa;
mod pages;
mod request_facts;
mod safe_methods;
mod session_cookie;
mod throttling;
