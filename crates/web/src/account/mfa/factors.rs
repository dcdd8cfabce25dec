//! `/account/mfa`: the caller's factors; add, rename and remove them; new recovery codes.

use gatehouse_domain::mfa::FactorId;

use super::*;

struct FactorView {
    id: Uuid,
    name: String,
    kind: &'static str,
    added: String,
    last_used: Option<String>,
    synced: bool,
}

#[derive(Template)]
#[template(path = "account_mfa.html")]
struct AccountMfaTemplate<'a> {
    page: &'a PageView,
    form: &'a FormState,
    apps: Vec<FactorView>,
    keys: Vec<FactorView>,
    recovery_remaining: i64,
    has_second_factor: bool,
    enrolment_allowed: bool,
    webauthn: bool,
    required_by: Option<String>,
    recovery_text: String,
}

async fn render_account(page: &Page, form: &FormState) -> Result<Response, Halt> {
    let current = page.require_session()?;
    let accounts = &page.state().accounts;
    let fail = |error| -> Halt { page.fail(&page.caller.failure(error)).into() };
    let factors = mfa::factors(accounts, current.user.id())
        .await
        .map_err(fail)?;
    let summary = accounts
        .store
        .mfa()
        .factor_summary(current.user.id())
        .await
        .map_err(|e| fail(e.into()))?;
    let requirement = mfa::requirement(accounts, current.user.id(), &summary, accounts.clock.now())
        .await
        .map_err(fail)?;
    let apps = factors
        .totp
        .iter()
        .map(|device| FactorView {
            id: device.id,
            name: device.name.clone(),
            kind: "totp",
            added: date(device.created_at),
            last_used: device.last_used_at.map(date),
            synced: false,
        })
        .collect();
    let keys = factors
        .webauthn
        .iter()
        .map(|credential| FactorView {
            id: credential.id,
            name: credential.name.clone(),
            kind: if credential.kind == "passkey" {
                "passkey"
            } else {
                "security_key"
            },
            added: date(credential.created_at),
            last_used: credential.last_used_at.map(date),
            synced: credential.backed_up,
        })
        .collect();
    let template = AccountMfaTemplate {
        page: &page.view,
        form,
        apps,
        keys,
        recovery_remaining: factors.recovery_codes_remaining,
        has_second_factor: factors.has_second_factor(),
        enrolment_allowed: accounts.settings.mfa.policy != mfa::MfaPolicy::Off,
        webauthn: accounts.settings.mfa.webauthn.is_some(),
        required_by: (requirement.required && !requirement.enrolled).then(|| {
            match requirement.grace_until {
                Some(until) => page
                    .lang()
                    .format("mfa.required_by", &[("date", &date(until))]),
                None => page.lang().t("mfa.required").to_owned(),
            }
        }),
        recovery_text: page.lang().format(
            "mfa.recovery_remaining",
            &[("count", &factors.recovery_codes_remaining.to_string())],
        ),
    };
    Ok(page.render_form(form, &template))
}

/// `GET /account/mfa` (after a recent authentication).
pub async fn show_account(page: Page) -> Result<Response, Halt> {
    require_recent(&page, "/account/mfa").await?;
    render_account(&page, &FormState::default()).await
}

async fn after_change(
    page: &Page,
    result: Result<(), AccountError>,
    notice: &str,
) -> Result<Response, Halt> {
    match result {
        Ok(()) => Ok(page.see_other(&format!("/account/mfa?notice={notice}"))),
        Err(AccountError::StepUpRequired) => Ok(step_up_redirect("/account/mfa")),
        Err(error) => {
            let state = page.form_failure(error)?;
            render_account(page, &state).await
        }
    }
}

/// `POST /account/mfa/totp`: begins adding an authenticator app.
pub async fn add_app(page: Page, PageForm(form): PageForm<NewAppForm>) -> Result<Response, Halt> {
    let current = require_recent(&page, "/account/mfa").await?;
    match mfa::begin_totp(
        &page.state().accounts,
        &current.user,
        form.name.as_deref().unwrap_or(""),
    )
    .await
    {
        Ok(enrolment) => Ok(page.see_other(&format!("/account/mfa/totp/{}", enrolment.device_id))),
        Err(error) => {
            let state = page.form_failure(error)?;
            render_account(&page, &state).await
        }
    }
}

/// `GET /account/mfa/totp/{id}`: the QR code of an app being added.
pub async fn show_app_setup(page: Page, Path(device): Path<Uuid>) -> Result<Response, Halt> {
    let current = require_recent(&page, "/account/mfa").await?;
    match mfa::totp_enrolment(&page.state().accounts, &current.user, device).await {
        Ok(Some(enrolment)) => Ok(render_setup(
            &page,
            &FormState::default(),
            &enrolment,
            format!("/account/mfa/totp/{device}"),
            "/account/mfa",
            "",
        )),
        Ok(None) => Ok(page.see_other("/account/mfa")),
        Err(error) => Err(page.fail(&page.caller.failure(error)).into()),
    }
}

/// `POST /account/mfa/totp/{id}`: the first code confirms the app.
pub async fn confirm_app(
    page: Page,
    Path(device): Path<Uuid>,
    PageForm(form): PageForm<CodeForm>,
) -> Result<Response, Halt> {
    let current = require_recent(&page, "/account/mfa").await?;
    let accounts = &page.state().accounts;
    let confirmed = mfa::confirm_totp(
        accounts,
        &page.caller.context,
        &current.user,
        device,
        &form.code,
    )
    .await;
    let mut renewed = None;
    if confirmed.is_ok() {
        match mfa::note_enrolment(accounts, current, mfa::amr::OTP).await {
            Ok(token) => renewed = token,
            Err(error) => return Err(page.fail(&page.caller.failure(error)).into()),
        }
    }
    let with_session = |mut response: Response| {
        if let Some(token) = &renewed {
            cookies::append(&mut response, page.caller.session_cookie(token));
        }
        response
    };
    match confirmed {
        Ok(Some(codes)) => Ok(with_session(render_codes(
            &page,
            &codes,
            "/account/mfa/done",
            "",
        ))),
        Ok(None) => Ok(with_session(
            page.see_other("/account/mfa?notice=factor_added"),
        )),
        Err(error) => {
            let state = page.form_failure(error)?;
            match mfa::totp_enrolment(accounts, &current.user, device).await {
                Ok(Some(enrolment)) => Ok(render_setup(
                    &page,
                    &state,
                    &enrolment,
                    format!("/account/mfa/totp/{device}"),
                    "/account/mfa",
                    "",
                )),
                _ => Ok(page.see_other("/account/mfa")),
            }
        }
    }
}

/// `POST /account/mfa/done`: back from the recovery codes.
pub async fn done(page: Page) -> Result<Response, Halt> {
    page.require_session()?;
    Ok(page.see_other("/account/mfa?notice=factor_added"))
}

/// A new name.
#[derive(Debug, Deserialize)]
pub struct RenameForm {
    name: Text<200>,
}

/// The password, needed to remove the last second factor.
#[derive(Debug, Deserialize)]
pub struct RemoveForm {
    #[serde(default)]
    password: Option<PasswordText>,
}

async fn rename(page: Page, factor: FactorId, form: RenameForm) -> Result<Response, Halt> {
    let current = require_recent(&page, "/account/mfa").await?;
    let accounts = &page.state().accounts;
    let result = mfa::rename_factor(accounts, &page.caller.context, current, factor, &form.name);
    after_change(&page, result.await, "factor_renamed").await
}

async fn remove(page: Page, factor: FactorId, form: RemoveForm) -> Result<Response, Halt> {
    let current = require_recent(&page, "/account/mfa").await?;
    let accounts = &page.state().accounts;
    let password = form.password.as_deref();
    let result = mfa::remove_factor(accounts, &page.caller.context, current, factor, password);
    after_change(&page, result.await, "factor_removed").await
}

/// `POST /account/mfa/totp/{id}/rename`.
pub async fn rename_app(
    page: Page,
    Path(device): Path<Uuid>,
    PageForm(form): PageForm<RenameForm>,
) -> Result<Response, Halt> {
    rename(page, FactorId::Totp(device), form).await
}

/// `POST /account/mfa/totp/{id}/remove`.
pub async fn remove_app(
    page: Page,
    Path(device): Path<Uuid>,
    PageForm(form): PageForm<RemoveForm>,
) -> Result<Response, Halt> {
    remove(page, FactorId::Totp(device), form).await
}

/// `POST /account/mfa/webauthn/{id}/rename`.
pub async fn rename_key(
    page: Page,
    Path(credential): Path<Uuid>,
    PageForm(form): PageForm<RenameForm>,
) -> Result<Response, Halt> {
    rename(page, FactorId::Webauthn(credential), form).await
}

/// `POST /account/mfa/webauthn/{id}/remove`.
pub async fn remove_key(
    page: Page,
    Path(credential): Path<Uuid>,
    PageForm(form): PageForm<RemoveForm>,
) -> Result<Response, Halt> {
    remove(page, FactorId::Webauthn(credential), form).await
}

/// `POST /account/mfa/recovery-codes`: a new set, shown once.
pub async fn regenerate_codes(page: Page) -> Result<Response, Halt> {
    let current = require_recent(&page, "/account/mfa").await?;
    match mfa::regenerate_recovery_codes(&page.state().accounts, &page.caller.context, current)
        .await
    {
        Ok(codes) => Ok(render_codes(&page, &codes, "/account/mfa/done", "")),
        Err(error) => {
            let state = page.form_failure(error)?;
            render_account(&page, &state).await
        }
    }
}
