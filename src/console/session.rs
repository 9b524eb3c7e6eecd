//! Signing in to the console with the admin token: a session kept in an `HttpOnly`,
//! `SameSite=Strict` cookie (`Secure` over https), a CSRF token on every form, and sign-out.

use std::time::Duration;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::{dev::Payload, web, FromRequest, HttpRequest, HttpResponse};
use maud::html;
use rand::RngCore;

use super::layout;
use crate::http::AppState;

pub const SESSION_COOKIE: &str = "chorus_session";
/// The sign-in form's own CSRF cookie (double submit), set before any session exists.
const SIGN_IN_COOKIE: &str = "chorus_sign_in";

/// A signed-in request, with the CSRF token its forms carry.
pub struct Signed {
    pub csrf: String,
}

pub(super) fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// Answered instead of a page when nobody is signed in: to the sign-in page.
#[derive(Debug, thiserror::Error)]
#[error("sign in first")]
pub struct SignInFirst;

impl actix_web::ResponseError for SignInFirst {
    fn status_code(&self) -> actix_web::http::StatusCode {
        actix_web::http::StatusCode::SEE_OTHER
    }
    fn error_response(&self) -> HttpResponse {
        super::back_to("/sign-in")
    }
}

impl FromRequest for Signed {
    type Error = SignInFirst;
    type Future = std::future::Ready<Result<Signed, SignInFirst>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let found = req
            .app_data::<web::Data<AppState>>()
            .zip(req.cookie(SESSION_COOKIE))
            .and_then(|(state, cookie)| state.console.find(cookie.value()));
        std::future::ready(found.map(|s| Signed { csrf: s.csrf }).ok_or(SignInFirst))
    }
}

impl Signed {
    /// Whether a form's `csrf` field is this session's token (compared in constant time).
    pub fn check(&self, presented: Option<&String>) -> Result<(), crate::error::ApiError> {
        use subtle::ConstantTimeEq;
        match presented {
            Some(p) if bool::from(p.as_bytes().ct_eq(self.csrf.as_bytes())) => Ok(()),
            _ => Err(crate::error::ApiError::validation(
                "csrf",
                "this form has expired or did not come from the console; reload the page and try again",
            )),
        }
    }
}

/// Cookies are `Secure` when the console is reached over https (directly or, as a proxy says
/// in `X-Forwarded-Proto`/`Forwarded`, through one).
fn cookie<'a>(req: &HttpRequest, name: &'a str, value: String, max_age: Duration) -> Cookie<'a> {
    Cookie::build(name, value)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(req.connection_info().scheme() == "https")
        .max_age(actix_web::cookie::time::Duration::seconds(max_age.as_secs() as i64))
        .finish()
}

pub async fn sign_in_page(req: HttpRequest) -> HttpResponse {
    sign_in_form(&req, actix_web::http::StatusCode::OK, None)
}

/// The sign-in form, with a fresh CSRF cookie; `error` says why the last attempt failed.
fn sign_in_form(req: &HttpRequest, status: actix_web::http::StatusCode, error: Option<&str>) -> HttpResponse {
    let csrf = random_token();
    let body = layout::bare(
        "Sign in",
        html! {
            form.card method="post" action="/sign-in" {
                h1 { "Chorus" }
                p { "Sign in with the admin token (" code { "chorus demo" } " and " code { "chorus serve" } " print it)." }
                @if let Some(e) = error { p.error role="alert" { (e) } }
                input type="hidden" name="csrf" value=(csrf);
                label for="token" { "Admin token" }
                input #token type="password" name="token" autocomplete="current-password" required autofocus;
                button type="submit" { "Sign in" }
            }
        },
    );
    let mut answer = HttpResponse::build(status);
    answer.cookie(cookie(req, SIGN_IN_COOKIE, csrf, Duration::from_secs(3600)));
    layout::guard(&mut answer);
    answer.body(body.into_string())
}

#[derive(serde::Deserialize)]
pub struct SignIn {
    token: String,
    csrf: String,
}

#[tracing::instrument(skip_all)]
pub async fn sign_in(req: HttpRequest, state: web::Data<AppState>, form: web::Form<SignIn>) -> HttpResponse {
    use subtle::ConstantTimeEq;
    let form_ok = req
        .cookie(SIGN_IN_COOKIE)
        .is_some_and(|c| !form.csrf.is_empty() && bool::from(c.value().as_bytes().ct_eq(form.csrf.as_bytes())));
    if !form_ok {
        return sign_in_form(
            &req,
            actix_web::http::StatusCode::FORBIDDEN,
            Some("The form expired; please sign in again."),
        );
    }
    if !crate::http::auth::token_matches(form.token.trim(), &state.admin_token_sha256) {
        tracing::warn!("console sign-in with a wrong token");
        return sign_in_form(&req, actix_web::http::StatusCode::UNAUTHORIZED, Some("That is not the admin token."));
    }
    let (session, _) = state.console.open(random_token(), random_token());
    tracing::info!("console signed in");
    let mut gone = cookie(&req, SIGN_IN_COOKIE, String::new(), Duration::ZERO);
    gone.make_removal();
    HttpResponse::SeeOther()
        .insert_header((actix_web::http::header::LOCATION, "/"))
        .cookie(cookie(&req, SESSION_COOKIE, session, crate::http::sessions::LIFETIME))
        .cookie(gone)
        .finish()
}

#[derive(serde::Deserialize)]
pub struct Form {
    csrf: Option<String>,
}

pub async fn sign_out(
    req: HttpRequest,
    state: web::Data<AppState>,
    signed: Signed,
    form: web::Form<Form>,
) -> actix_web::Result<HttpResponse> {
    signed.check(form.csrf.as_ref())?;
    if let Some(c) = req.cookie(SESSION_COOKIE) {
        state.console.close(c.value());
    }
    let mut gone = cookie(&req, SESSION_COOKIE, String::new(), Duration::ZERO);
    gone.make_removal();
    Ok(HttpResponse::SeeOther().insert_header((actix_web::http::header::LOCATION, "/sign-in")).cookie(gone).finish())
}
