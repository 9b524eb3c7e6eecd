//! Standard Webhooks signatures (what Chorus sends plugins and subscribers): `webhook-signature:
//! v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`, keyed by the base64 part of the
//! `whsec_…` secret. Several space-separated signatures may be sent during a rotation.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// How far a timestamp may be from now (either way) and still be accepted.
pub const TOLERANCE_SECS: i64 = 300;

/// The HMAC key a `whsec_…` secret stands for (the bytes its base64 part decodes to; a secret
/// without the prefix or not base64 is used as raw bytes, as the reference libraries do).
pub fn key(secret: &str) -> Vec<u8> {
    let b64 = secret.strip_prefix("whsec_").unwrap_or(secret);
    STANDARD.decode(b64).unwrap_or_else(|_| secret.as_bytes().to_vec())
}

/// The `webhook-signature` header value for one message.
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> String {
    format!("v1,{}", STANDARD.encode(mac(&key(secret), id, timestamp, body)))
}

fn mac(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> Vec<u8> {
    // HMAC takes a key of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body);
    mac.finalize().into_bytes().to_vec()
}

/// Whether any `v1` signature in the header matches, and the timestamp is within tolerance of
/// `now_secs`; constant-time comparison.
pub fn verify(secret: &str, id: &str, timestamp: i64, body: &[u8], header: &str, now_secs: i64) -> bool {
    // `abs_diff`: a timestamp near i64::MIN or MAX must not overflow the subtraction.
    if now_secs.abs_diff(timestamp) > TOLERANCE_SECS.unsigned_abs() {
        return false;
    }
    let key = key(secret);
    header.split_whitespace().filter_map(|s| s.strip_prefix("v1,")).any(|sig| {
        let Ok(expected) = STANDARD.decode(sig) else { return false };
        let Ok(mut m) = <Hmac<Sha256> as Mac>::new_from_slice(&key) else { return false };
        m.update(format!("{id}.{timestamp}.").as_bytes());
        m.update(body);
        m.verify_slice(&expected).is_ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    // The example from the Standard Webhooks specification's reference tests.
    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const TS: i64 = 1614265330;
    const BODY: &[u8] = br#"{"test": 2432232314}"#;

    #[test]
    fn matches_the_specification_example() {
        assert_eq!(sign(SECRET, ID, TS, BODY), "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn verifies_own_signature_and_refuses_tampering() {
        let sig = sign(SECRET, ID, TS, BODY);
        assert!(verify(SECRET, ID, TS, BODY, &sig, TS + 10));
        assert!(verify(SECRET, ID, TS, BODY, &format!("v1,bm9wZQ== {sig}"), TS));
        assert!(!verify(SECRET, ID, TS, b"{}", &sig, TS));
        assert!(!verify(SECRET, "msg_other", TS, BODY, &sig, TS));
        assert!(!verify("whsec_b3RoZXI=", ID, TS, BODY, &sig, TS));
        assert!(!verify(SECRET, ID, TS, BODY, &sig, TS + TOLERANCE_SECS + 1));
    }

    #[test]
    fn extreme_timestamps_are_refused_without_overflow() {
        let sig = sign(SECRET, ID, TS, BODY);
        for ts in [i64::MIN, i64::MAX, -1] {
            assert!(!verify(SECRET, ID, ts, BODY, &sig, TS));
        }
        assert!(!verify(SECRET, ID, TS, BODY, &sig, i64::MIN));
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Verification answers for any id, timestamp, body and header (no overflow, no
        /// panic), and accepts exactly its own signature within the tolerance.
        #[test]
        fn verification_is_total_and_exact(id in "[a-z_0-9]{1,30}", ts in any::<i64>(), now in any::<i64>(),
                                           body in proptest::collection::vec(any::<u8>(), 0..256), header in ".{0,120}") {
            let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
            let _ = verify(secret, &id, ts, &body, &header, now);
            let sig = sign(secret, &id, ts, &body);
            let within = now.abs_diff(ts) <= TOLERANCE_SECS.unsigned_abs();
            prop_assert_eq!(verify(secret, &id, ts, &body, &sig, now), within);
        }
    }
}
