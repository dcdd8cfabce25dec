//! Multi-factor authentication: TOTP devices, recovery codes and WebAuthn credentials (security
//! keys and passkeys); the second step of sign-in; step-up before sensitive actions; the
//! policy that says who must have a second factor; administrative resets.
//!
//! A sign-in whose first factor succeeded but which still needs a second one is a *challenge*
//! (a row keyed by the digest of a random token the browser holds in a cookie, with sealed
//! state, a short life and an attempt cap). Step-up uses the same challenges, tied to the
//! session it will refresh. Sessions record how (`amr`) and when (`authenticated_at`) the user
//! last authenticated.

mod admin;
pub mod amr;
pub(crate) mod challenge;
mod change;
mod enrol;
mod policy;
pub mod recovery_codes;
mod second_factor;
mod settings;
mod step_up;
pub mod totp;
pub mod webauthn;

pub use admin::{UserFactors, reset_factors, reset_factors_by, user_factors};
pub use challenge::{Completed, Pending, PendingKind, pending};
pub use change::{FactorId, remove_factor, rename_factor};
pub use enrol::{
    Factors, MAX_NAME_CHARS, TotpDevice, TotpEnrolment, WebauthnCredential, begin_totp,
    confirm_totp, factors, regenerate_recovery_codes, totp_enrolment,
};
pub use policy::{Requirement, requirement};
pub use second_factor::{skip_enrolment, verify_recovery_code, verify_totp};
pub use settings::{MfaPolicy, MfaSettings, UserVerification};
pub use step_up::{StepUp, ensure_recent, is_recent, note_enrolment, reauthenticate_with_password};
pub use webauthn::{
    CredentialKind, Registered, begin_authentication, begin_passkey_sign_in, begin_passkey_step_up,
    begin_registration, finish_passkey_sign_in, finish_passkey_step_up, finish_registration,
    verify_webauthn,
};
