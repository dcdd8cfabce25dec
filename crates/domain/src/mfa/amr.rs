//! Authentication method references (RFC 8176) as sessions record them.

/// Password.
pub const PASSWORD: &str = "pwd";
/// One-time password (TOTP code or recovery code).
pub const OTP: &str = "otp";
/// Proof of possession of a hardware-bound key (security key, device-bound passkey).
pub const HARDWARE_KEY: &str = "hwk";
/// Proof of possession of a software-held key (synced passkey).
pub const SOFTWARE_KEY: &str = "swk";
/// More than one factor.
pub const MULTI_FACTOR: &str = "mfa";

/// The JSON array text a session stores.
pub fn encode(methods: &[&str]) -> String {
    serde_json::to_string(methods).unwrap_or_else(|_| "[]".to_owned())
}

/// The methods of a stored JSON array (unknown text reads as none).
pub fn decode(stored: &str) -> Vec<String> {
    serde_json::from_str(stored).unwrap_or_default()
}

/// Whether a stored `amr` includes `method`.
pub fn contains(stored: &str, method: &str) -> bool {
    decode(stored).iter().any(|m| m == method)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_tolerates_garbage() {
        let stored = encode(&[PASSWORD, OTP, MULTI_FACTOR]);
        assert_eq!(stored, r#"["pwd","otp","mfa"]"#);
        assert!(contains(&stored, MULTI_FACTOR));
        assert!(!contains(&stored, HARDWARE_KEY));
        assert!(decode("not json").is_empty());
    }
}
