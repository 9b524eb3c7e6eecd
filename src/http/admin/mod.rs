//! `/api/v1/admin`: operators' tools.

pub(crate) mod check;

use actix_web::web;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/admin/check").get(check::check).default_service(crate::http::allow("GET")));
}
