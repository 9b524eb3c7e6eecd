//! `/api/v1/admin`: operators' tools.

pub(crate) mod check;
pub(crate) mod cluster;

use actix_web::web;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/admin/check").get(check::check).default_service(crate::http::allow("GET")));
    cfg.service(web::resource("/cluster").get(cluster::cluster).default_service(crate::http::allow("GET")));
}
