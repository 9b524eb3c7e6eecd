//! The console's frame: the page skeleton with its navigation and sign-out form, the style
//! sheet (phone-width first) and the few lines of script that refresh live pages.

use actix_web::HttpResponse;
use maud::{html, Markup, DOCTYPE};

use super::session::Signed;

/// A page outside the signed-in frame (the sign-in form).
pub fn bare(title: &str, content: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Chorus" }
                link rel="stylesheet" href="/console/style.css";
            }
            body { main.narrow { (content) } }
        }
    }
}

/// A signed-in page. `live`: the page refreshes itself every few seconds (with script on).
pub fn page(title: &str, signed: &Signed, active: &str, live: bool, content: Markup) -> HttpResponse {
    let nav = [
        ("/", "Overview"),
        ("/orders", "Orders"),
        ("/stock", "Stock"),
        ("/transactions", "Transactions"),
        ("/webhooks", "Webhooks"),
    ];
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Chorus" }
                link rel="stylesheet" href="/console/style.css";
                @if live { script src="/console/live.js" defer {} }
            }
            body {
                header {
                    a.brand href="/" { "Chorus" }
                    nav {
                        @for (href, name) in nav {
                            a href=(href) aria-current=[(active == href).then_some("page")] { (name) }
                        }
                    }
                    form.signout method="post" action="/sign-out" {
                        input type="hidden" name="csrf" value=(signed.csrf);
                        button type="submit" { "Sign out" }
                    }
                }
                main data-live=[live.then_some("5")] {
                    h1 { (title) }
                    (content)
                }
            }
        }
    };
    html_response(markup)
}

pub fn html_response(markup: Markup) -> HttpResponse {
    let mut answer = HttpResponse::Ok();
    guard(&mut answer);
    answer.body(markup.into_string())
}

/// Headers every console page carries: HTML, never cached, nothing but this server's own
/// style and script, and never inside another site's frame.
pub fn guard(answer: &mut actix_web::HttpResponseBuilder) {
    answer
        .content_type("text/html; charset=utf-8")
        .insert_header(("cache-control", "no-store"))
        .insert_header((
            "content-security-policy",
            "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        ))
        .insert_header(("x-frame-options", "DENY"))
        .insert_header(("referrer-policy", "same-origin"));
}

/// An action that could not be done, said on a page of its own with the way back.
pub fn refused(signed: &Signed, status: actix_web::http::StatusCode, message: &str, back: &str) -> HttpResponse {
    let mut answer = page(
        "Not done",
        signed,
        "",
        false,
        html! { p.error role="alert" { (message) } p { a href=(back) { "Back" } } },
    );
    *answer.status_mut() = status;
    answer
}

/// Answers a console page's error as a page (with a link home), keeping its status; a 5xx
/// says only that something failed (the cause is in the log, as for the API).
pub async fn errors_as_pages(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<actix_web::dev::ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    let res = next.call(req).await?;
    let status = res.status();
    let is_page = res
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    if is_page || !(status.is_client_error() || status.is_server_error()) {
        return Ok(res.map_into_boxed_body());
    }
    let message = match res.response().error() {
        Some(_) if status.is_server_error() => "Something failed on the server; the cause is in its log.".to_string(),
        Some(e) => e.to_string(),
        None => status.canonical_reason().unwrap_or("error").to_string(),
    };
    let markup = bare(
        status.canonical_reason().unwrap_or("Error"),
        html! { div.card { h1 { (status.as_u16()) } p.error role="alert" { (message) } p { a href="/" { "Back to the overview" } } } },
    );
    let mut answer = HttpResponse::build(status);
    guard(&mut answer);
    Ok(res.into_response(answer.body(markup.into_string())))
}

/// An hidden CSRF field for a form.
pub fn csrf(signed: &Signed) -> Markup {
    html! { input type="hidden" name="csrf" value=(signed.csrf); }
}

/// A short, readable "how long ago" for an RFC 3339 time.
pub fn ago(rfc3339: &str) -> String {
    match chrono::DateTime::parse_from_rfc3339(rfc3339) {
        Ok(t) => ago_ms(t.timestamp_millis()),
        Err(_) => rfc3339.to_string(),
    }
}

pub fn ago_ms(at_ms: i64) -> String {
    let secs = (crate::db::now_ms() - at_ms).max(0) / 1000;
    match secs {
        0..=59 => format!("{secs} s ago"),
        60..=3599 => format!("{} min ago", secs / 60),
        3600..=86_399 => format!("{} h ago", secs / 3600),
        _ => format!("{} d ago", secs / 86_400),
    }
}

/// A time in ms as UTC text.
pub fn when(at_ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(at_ms)
        .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_default()
}

pub async fn style() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header(("cache-control", "max-age=300"))
        .body(STYLE)
}

pub async fn live_js() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header(("cache-control", "max-age=300"))
        .body(LIVE_JS)
}

/// Refreshes a live page's `<main>` every few seconds while it is visible; without script the
/// page is simply as fresh as its last load.
const LIVE_JS: &str = r#"(function () {
  var main = document.querySelector('main[data-live]');
  if (!main) return;
  var every = (parseInt(main.getAttribute('data-live'), 10) || 5) * 1000;
  function refresh() {
    if (document.hidden) return;
    fetch(location.href, { credentials: 'same-origin', headers: { 'X-Chorus-Live': '1' } })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html) return;
        var next = new DOMParser().parseFromString(html, 'text/html').querySelector('main');
        if (next) main.innerHTML = next.innerHTML;
      })
      .catch(function () {});
  }
  setInterval(refresh, every);
})();
"#;

const STYLE: &str = r#"
:root { --fg:#1b1f24; --muted:#5b6470; --line:#d9dee4; --bg:#f6f7f9; --ok:#116329; --warn:#9a6700; --bad:#b42318; --accent:#2f5bd3; }
* { box-sizing: border-box; }
body { margin:0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color:var(--fg); background:var(--bg); }
header { display:flex; flex-wrap:wrap; align-items:center; gap:.5rem 1rem; padding:.6rem 1rem; background:#fff; border-bottom:1px solid var(--line); }
header .brand { font-weight:700; text-decoration:none; color:var(--fg); }
header nav { display:flex; flex-wrap:wrap; gap:.25rem .9rem; flex:1; }
header nav a { color:var(--muted); text-decoration:none; padding:.2rem 0; }
header nav a[aria-current=page] { color:var(--fg); border-bottom:2px solid var(--accent); }
main { padding:1rem; max-width:1200px; margin:0 auto; }
main.narrow { max-width:420px; margin-top:10vh; }
h1 { font-size:1.4rem; margin:.2rem 0 1rem; } h2 { font-size:1.1rem; margin:1.5rem 0 .5rem; }
.card { background:#fff; border:1px solid var(--line); border-radius:8px; padding:1rem; margin-bottom:1rem; }
.charts { display:grid; grid-template-columns:repeat(auto-fill, minmax(min(100%, 460px), 1fr)); gap:1rem; }
.cards { display:grid; grid-template-columns:repeat(auto-fill, minmax(280px, 1fr)); gap:1rem; }
.scroll { overflow-x:auto; -webkit-overflow-scrolling:touch; background:#fff; border:1px solid var(--line); border-radius:8px; }
table { border-collapse:collapse; width:100%; }
th, td { text-align:left; padding:.45rem .6rem; border-bottom:1px solid var(--line); vertical-align:top; white-space:nowrap; }
td.wrap { white-space:normal; word-break:break-word; min-width:12rem; }
th { font-weight:600; color:var(--muted); font-size:.85rem; }
dl { display:grid; grid-template-columns:max-content 1fr; gap:.2rem .8rem; margin:0; }
dt { color:var(--muted); } dd { margin:0; word-break:break-word; }
.badge { display:inline-block; padding:.05rem .5rem; border-radius:99px; font-size:.8rem; font-weight:600; background:#eef1f4; }
.badge.ok { background:#dcf5e3; color:var(--ok); } .badge.warn { background:#fff1c2; color:var(--warn); } .badge.bad { background:#fde2e0; color:var(--bad); }
.error { color:var(--bad); } .muted { color:var(--muted); }
form.inline { display:inline; }
form.filters { display:flex; flex-wrap:wrap; gap:.5rem; align-items:end; margin-bottom:1rem; }
form.filters label { display:flex; flex-direction:column; font-size:.85rem; color:var(--muted); }
input, select, button { font:inherit; padding:.4rem .55rem; border:1px solid var(--line); border-radius:6px; background:#fff; max-width:100%; }
button { background:var(--accent); color:#fff; border-color:var(--accent); cursor:pointer; }
button.secondary { background:#fff; color:var(--fg); border-color:var(--line); }
form.card label { display:block; margin:.8rem 0 .3rem; } form.card input { width:100%; } form.card button { margin-top:1rem; width:100%; }
.actions { display:flex; flex-wrap:wrap; gap:.5rem; margin:.5rem 0 1rem; }
svg.chart { width:100%; height:auto; background:#fff; }
pre { white-space:pre-wrap; word-break:break-all; margin:0; font-size:.8rem; }
@media (max-width: 600px) { header form.signout { margin-left:auto; } main { padding:.6rem; } th, td { padding:.35rem .45rem; } }
"#;
