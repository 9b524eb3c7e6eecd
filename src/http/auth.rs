//! Admin authentication: `Authorization: Bearer <token>`, compared by SHA-256 digest in
//! constant time. Where no token is configured, the first start generates one.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::AppState;
use crate::db::{settings, DbConn, DbError};
use crate::error::ApiError;

pub fn sha256(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

pub fn token_matches(presented: &str, expected_sha256: &[u8; 32]) -> bool {
    sha256(presented).ct_eq(expected_sha256).into()
}

pub async fn require_admin(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let expected = req.app_data::<web::Data<AppState>>().map(|s| s.admin_token_sha256);
    let presented = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    match (presented, expected) {
        (Some(token), Some(hash)) if token_matches(token, &hash) => next.call(req).await,
        _ => Err(ApiError::Unauthorized.into()),
    }
}

/// The admin token's digest: from the configured token, else from the database, else a new
/// token is generated, its digest stored, and the token returned so it can be shown once.
pub fn resolve_admin_token(conn: &mut DbConn, configured: &str) -> Result<([u8; 32], Option<String>), DbError> {
    if !configured.is_empty() {
        return Ok((sha256(configured), None));
    }
    if let Some(stored) = settings::get(conn, settings::ADMIN_TOKEN_HASH)? {
        return Ok((decode_hash(&stored)?, None));
    }
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    let token = format!("chorus_{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes));
    let digest = hex::encode(sha256(&token));
    let in_force = settings::put_if_absent(conn, settings::ADMIN_TOKEN_HASH, &digest)?;
    if in_force == digest {
        Ok((sha256(&token), Some(token)))
    } else {
        // Another instance generated one first: it printed it, we use it.
        Ok((decode_hash(&in_force)?, None))
    }
}

fn decode_hash(stored: &str) -> Result<[u8; 32], DbError> {
    hex::decode(stored)
        .ok()
        .and_then(|v| <[u8; 32]>::try_from(v).ok())
        .ok_or_else(|| DbError::Setup("the stored admin token hash is corrupt".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_only_the_same_token() {
        let h = sha256("secret-token");
        assert!(token_matches("secret-token", &h));
        assert!(!token_matches("secret-tokeN", &h));
        assert!(!token_matches("", &h));
    }
}
