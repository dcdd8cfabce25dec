//! Who must have a second factor: everyone (policy `required`), holders of configured roles and
//! administrators (policy `optional`), nobody (policy `off`). Someone who must but has none is
//! asked at sign-in and may postpone until the grace period, counted from the first time they
//! were asked, runs out.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::MfaPolicy;
use crate::{
    accounts::{AccountError, Accounts},
    authorization::ADMIN_ROLE,
    store::FactorSummary,
};

/// What the policy asks of one user now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Requirement {
    /// The user must have a second factor.
    pub required: bool,
    /// Whether they have one.
    pub enrolled: bool,
    /// Until when they may still sign in without one (`None`: no grace left or none needed).
    pub grace_until: Option<DateTime<Utc>>,
}

async fn must_have(accounts: &Accounts, user: Uuid) -> Result<bool, AccountError> {
    let mfa = &accounts.settings.mfa;
    match mfa.policy {
        MfaPolicy::Off => Ok(false),
        MfaPolicy::Required => Ok(true),
        MfaPolicy::Optional => {
            if !mfa.admins_required && mfa.required_roles.is_empty() {
                return Ok(false);
            }
            let roles = accounts.authorizer.role_names(user).await?;
            Ok((mfa.admins_required && roles.contains(ADMIN_ROLE))
                || mfa.required_roles.iter().any(|role| roles.contains(role)))
        }
    }
}

/// The policy's answer for `user`, whose factors are `factors`. Asking starts the grace period
/// when the user must enrol and has not been asked before.
pub async fn requirement(
    accounts: &Accounts,
    user: Uuid,
    factors: &FactorSummary,
    now: DateTime<Utc>,
) -> Result<Requirement, AccountError> {
    let enrolled = factors.has_second_factor();
    let required = must_have(accounts, user).await?;
    let grace_until = if required && !enrolled {
        let due = accounts
            .store
            .mfa()
            .enrolment_due(user, now + accounts.settings.mfa.enrolment_grace)
            .await?;
        (due > now).then_some(due)
    } else {
        None
    };
    Ok(Requirement {
        required,
        enrolled,
        grace_until,
    })
}
