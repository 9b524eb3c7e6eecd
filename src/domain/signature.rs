//! Webhook signatures as Shopify and WooCommerce make them: base64 of HMAC-SHA256 over the raw
//! body bytes, keyed by the shared secret. Checked in constant time.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// base64(HMAC-SHA256(secret, body)).
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    // HMAC takes a key of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret).unwrap_or_else(|_| unreachable!());
    mac.update(body);
    STANDARD.encode(mac.finalize().into_bytes())
}

/// Whether `signature` (base64) is the body's HMAC under `secret`; constant time.
pub fn verify(secret: &[u8], body: &[u8], signature: &str) -> bool {
    let Ok(expected) = STANDARD.decode(signature.trim()) else { return false };
    let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(secret) else { return false };
    mac.update(body);
    mac.verify_slice(&expected).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verifies_its_own_signature_and_nothing_else() {
        let sig = sign(b"secret", b"{\"id\":1}");
        assert!(verify(b"secret", b"{\"id\":1}", &sig));
        assert!(!verify(b"secret", b"{\"id\":2}", &sig));
        assert!(!verify(b"other", b"{\"id\":1}", &sig));
        assert!(!verify(b"secret", b"{\"id\":1}", "not base64!"));
    }

    #[test]
    fn matches_a_known_vector() {
        // RFC 4231 test case 2, base64-encoded.
        assert_eq!(sign(b"Jefe", b"what do ya want for nothing?"), "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM=");
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// A signature verifies its own body under its own secret, and no body changed in one
        /// byte, nor another secret.
        #[test]
        fn only_the_signed_body_verifies(secret in proptest::collection::vec(any::<u8>(), 0..64),
                                         body in proptest::collection::vec(any::<u8>(), 1..512),
                                         at in any::<prop::sample::Index>(), flip in 1..=255u8) {
            let sig = sign(&secret, &body);
            prop_assert!(verify(&secret, &body, &sig));
            let mut tampered = body.clone();
            let i = at.index(tampered.len());
            tampered[i] ^= flip;
            prop_assert!(!verify(&secret, &tampered, &sig));
            let mut other = secret.clone();
            other.push(0x5a);
            prop_assert!(!verify(&other, &body, &sig));
        }

        /// Any header text at all is answered (false), never a panic.
        #[test]
        fn any_signature_text_is_safe(header in ".{0,200}", body in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = verify(b"secret", &body, &header);
        }
    }
}
