//! Enrolment during sign-in, when the policy requires a second factor: set up an app on the
//! way, or postpone within the grace period.

use super::*;

#[derive(Template)]
#[template(path = "mfa_enrol.html")]
struct EnrolTemplate<'a> {
    page: &'a PageView,
    form: &'a FormState,
    grace_until: Option<String>,
    enrolled: bool,
    next: &'a str,
}

/// `GET /sign-in/enrol`.
pub async fn show_enrol(page: Page) -> Result<Response, Halt> {
    let pending = live_pending(&page).await?;
    let next = next_of(page.query("next").as_deref());
    if !pending.enrol {
        return Ok(page.see_other(&with_next("/sign-in/second-factor", &next)));
    }
    let template = EnrolTemplate {
        page: &page.view,
        form: &FormState::default(),
        grace_until: pending.may_skip_until.map(|until| {
            page.lang()
                .format("challenge.enrol_grace", &[("date", &date(until))])
        }),
        enrolled: pending.factors.has_second_factor(),
        next: &next,
    };
    Ok(page.render(axum::http::StatusCode::OK, &template))
}

/// `POST /sign-in/enrol`: begins enrolling an app for the pending sign-in's user.
pub async fn begin_enrol(
    page: Page,
    PageForm(form): PageForm<NewAppForm>,
) -> Result<Response, Halt> {
    let pending = live_pending(&page).await?;
    let next = next_of(form.next.as_deref());
    if !pending.enrol {
        return Ok(page.see_other("/sign-in/second-factor"));
    }
    match mfa::begin_totp(
        &page.state().accounts,
        &pending.user,
        form.name.as_deref().unwrap_or(""),
    )
    .await
    {
        Ok(enrolment) => {
            let path = format!("/sign-in/enrol/totp/{}", enrolment.device_id);
            Ok(page.see_other(&with_next(&path, &next)))
        }
        Err(error) => Err(page.fail(&page.caller.failure(error)).into()),
    }
}

/// `GET /sign-in/enrol/totp/{id}`.
pub async fn show_enrol_totp(page: Page, Path(device): Path<Uuid>) -> Result<Response, Halt> {
    let pending = live_pending(&page).await?;
    let next = next_of(page.query("next").as_deref());
    let accounts = &page.state().accounts;
    match mfa::totp_enrolment(accounts, &pending.user, device).await {
        Ok(Some(enrolment)) => Ok(render_setup(
            &page,
            &FormState::default(),
            &enrolment,
            format!("/sign-in/enrol/totp/{device}"),
            "/sign-in/enrol",
            &next,
        )),
        Ok(None) => Ok(page.see_other(&with_next("/sign-in/enrol", &next))),
        Err(error) => Err(page.fail(&page.caller.failure(error)).into()),
    }
}

/// `POST /sign-in/enrol/totp/{id}`: the first code confirms the app; the recovery codes follow.
pub async fn confirm_enrol_totp(
    page: Page,
    Path(device): Path<Uuid>,
    PageForm(form): PageForm<CodeForm>,
) -> Result<Response, Halt> {
    let pending = live_pending(&page).await?;
    let next = next_of(form.next.as_deref());
    let accounts = &page.state().accounts;
    match mfa::confirm_totp(
        accounts,
        &page.caller.context,
        &pending.user,
        device,
        &form.code,
    )
    .await
    {
        Ok(codes) => {
            let codes = codes.unwrap_or_default();
            Ok(render_codes(&page, &codes, "/sign-in/enrol/finish", &next))
        }
        Err(error) => {
            let state = page.form_failure(error)?;
            match mfa::totp_enrolment(accounts, &pending.user, device).await {
                Ok(Some(enrolment)) => Ok(render_setup(
                    &page,
                    &state,
                    &enrolment,
                    format!("/sign-in/enrol/totp/{device}"),
                    "/sign-in/enrol",
                    &next,
                )),
                _ => Ok(page.see_other(&with_next("/sign-in/enrol", &next))),
            }
        }
    }
}

/// Continue after enrolment (or postpone it).
#[derive(Debug, Deserialize)]
pub struct ContinueForm {
    #[serde(default)]
    next: Option<ShortText>,
}

/// `POST /sign-in/enrol/finish`: finishes the sign-in once enrolled, or postpones within the
/// grace period.
pub async fn finish_enrol(
    page: Page,
    PageForm(form): PageForm<ContinueForm>,
) -> Result<Response, Halt> {
    let next = next_of(form.next.as_deref());
    let token = challenge_token(&page).unwrap_or_default();
    match mfa::skip_enrolment(&page.state().accounts, &page.caller.context, &token).await {
        Ok(done) => {
            page.caller.end_previous_session().await;
            Ok(completed(&page, done, &next))
        }
        Err(AccountError::ChallengeExpired) => {
            let mut response = page.see_other("/sign-in?notice=challenge_expired");
            cookies::append(&mut response, cookies::clear(cookies::CHALLENGE));
            Ok(response)
        }
        Err(error) => Err(page.fail(&page.caller.failure(error)).into()),
    }
}
