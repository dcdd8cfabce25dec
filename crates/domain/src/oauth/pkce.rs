//! Proof Key for Code Exchange (RFC 7636), S256 only: `plain` is never accepted.

use aws_lc_rs::{constant_time::verify_slices_are_equal, digest};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

/// Whether `verifier` is a well-formed `code_verifier` (RFC 7636 §4.1): 43 to 128 characters of
/// ALPHA / DIGIT / `-` / `.` / `_` / `~`.
pub fn is_valid_verifier(verifier: &str) -> bool {
    (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~'))
}

/// Whether `challenge` can be an S256 `code_challenge`: the unpadded base64url form of 32
/// bytes (43 characters, canonical final character).
pub fn is_valid_challenge(challenge: &str) -> bool {
    challenge.len() == 43
        && URL_SAFE_NO_PAD
            .decode(challenge)
            .is_ok_and(|digest| digest.len() == 32)
}

/// The S256 `code_challenge` of `verifier`: `BASE64URL(SHA256(ASCII(verifier)))`.
pub fn challenge_s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(digest::digest(&digest::SHA256, verifier.as_bytes()))
}

/// Whether `verifier` is well formed and its S256 challenge is `challenge`, compared in
/// constant time.
pub fn verify_s256(verifier: &str, challenge: &str) -> bool {
    is_valid_verifier(verifier)
        && is_valid_challenge(challenge)
        && verify_slices_are_equal(challenge_s256(verifier).as_bytes(), challenge.as_bytes())
            .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7636 Appendix B.
    const RFC_VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const RFC_CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    #[test]
    fn rfc_7636_appendix_b_vector() {
        assert_eq!(challenge_s256(RFC_VERIFIER), RFC_CHALLENGE);
        assert!(is_valid_verifier(RFC_VERIFIER));
        assert!(is_valid_challenge(RFC_CHALLENGE));
        assert!(verify_s256(RFC_VERIFIER, RFC_CHALLENGE));
    }

    #[test]
    fn wrong_verifier_or_challenge_fails() {
        let other = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXj";
        assert!(!verify_s256(other, RFC_CHALLENGE));
        assert!(!verify_s256(RFC_VERIFIER, &challenge_s256(other)));
        // `plain`: the verifier itself as the challenge never passes.
        assert!(!verify_s256(RFC_VERIFIER, RFC_VERIFIER));
        assert!(!verify_s256(RFC_VERIFIER, ""));
        assert!(!verify_s256("", RFC_CHALLENGE));
        // Padded or standard-alphabet challenges are refused.
        assert!(!verify_s256(RFC_VERIFIER, &format!("{RFC_CHALLENGE}=")));
        assert!(!verify_s256(RFC_VERIFIER, &RFC_CHALLENGE.replace('-', "+")));
    }

    #[test]
    fn verifier_length_and_alphabet() {
        assert!(!is_valid_verifier(&"a".repeat(42)));
        assert!(is_valid_verifier(&"a".repeat(43)));
        assert!(is_valid_verifier(&"a".repeat(128)));
        assert!(!is_valid_verifier(&"a".repeat(129)));
        assert!(is_valid_verifier(&format!("{}-._~", "Z9".repeat(20))));
        for bad in [' ', '+', '/', '=', '%', 'é', '\n'] {
            assert!(
                !is_valid_verifier(&format!("{}{bad}", "a".repeat(50))),
                "{bad:?}"
            );
        }
        // A short, invalid verifier is refused even with its matching challenge.
        assert!(!verify_s256("short", &challenge_s256("short")));
    }

    #[test]
    fn challenge_form() {
        assert!(!is_valid_challenge(&RFC_CHALLENGE[..42]));
        assert!(!is_valid_challenge(&format!("{RFC_CHALLENGE}A")));
        // The final character of 32 bytes carries 4 bits; non-canonical trailing bits are
        // refused.
        assert!(!is_valid_challenge(&format!("{}N", &RFC_CHALLENGE[..42])));
        assert!(!is_valid_challenge(&format!("{}!", &RFC_CHALLENGE[..42])));
    }
}
