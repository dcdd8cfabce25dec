//! RFC 6238 time-based one-time passwords (totp-rs does the arithmetic): 160-bit seeds from the
//! OS CSPRNG, six digits, 30-second steps, ±1 step of clock skew. Which step a code matched is
//! returned so the caller can refuse a step that was accepted before.

use totp_rs::{Algorithm, Builder, Secret, Totp};

use crate::{DomainError, secrets::random_bytes};

/// Seconds per time step.
pub const STEP_SECONDS: u64 = 30;
/// Digits per code.
pub const DIGITS: u8 = 6;
/// Steps of clock skew accepted either side.
pub const SKEW: u16 = 1;
/// Seed length in bytes (160 bits, RFC 4226's recommendation).
pub const SEED_BYTES: usize = 20;

/// A fresh random seed.
pub fn new_seed() -> Result<Vec<u8>, DomainError> {
    let mut seed = vec![0_u8; SEED_BYTES];
    random_bytes(&mut seed)?;
    Ok(seed)
}

/// The seed as unpadded base32, the form authenticator apps take for manual entry.
pub fn base32(seed: &[u8]) -> String {
    Secret::from(seed).to_base32()
}

/// The seed in groups of four characters, easier to type.
pub fn grouped_base32(seed: &[u8]) -> String {
    let plain = base32(seed);
    plain
        .as_bytes()
        .chunks(4)
        .map(|chunk| String::from_utf8_lossy(chunk).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~' | b'@') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The `otpauth://` URI an authenticator app reads from the QR code.
pub fn otpauth_uri(issuer: &str, account: &str, seed: &[u8]) -> String {
    format!(
        "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}",
        percent_encode(issuer),
        percent_encode(account),
        base32(seed),
        percent_encode(issuer),
    )
}

fn generator(seed: &[u8], algorithm: Algorithm, digits: u8) -> Result<Totp, DomainError> {
    Builder::new()
        .with_algorithm(algorithm)
        .with_digits(digits)
        .with_skew(SKEW)
        .with_step_duration(STEP_SECONDS)
        .with_secret(seed.to_vec())
        .build()
        .map_err(|error| DomainError::Key(format!("totp: {error}")))
}

/// The time step `unix_seconds` falls in.
pub fn step_of(unix_seconds: u64) -> u64 {
    unix_seconds / STEP_SECONDS
}

/// The step (within ±1 of `unix_seconds`'s) whose code is `code`, if any. Spaces in the code
/// are ignored; anything but six digits matches nothing.
pub fn matching_step(
    seed: &[u8],
    code: &str,
    unix_seconds: u64,
) -> Result<Option<u64>, DomainError> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != usize::from(DIGITS) || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(None);
    }
    let totp = generator(seed, Algorithm::SHA1, DIGITS)?;
    Ok(totp.check(&code, unix_seconds))
}

/// The code for `unix_seconds` (for tests and the RFC vectors).
pub fn code_at(
    seed: &[u8],
    algorithm: Algorithm,
    digits: u8,
    unix_seconds: u64,
) -> Result<String, DomainError> {
    Ok(generator(seed, algorithm, digits)?
        .generate(unix_seconds)
        .to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA1_SEED: &[u8] = b"12345678901234567890";
    const SHA256_SEED: &[u8] = b"12345678901234567890123456789012";
    const SHA512_SEED: &[u8] = b"1234567890123456789012345678901234567890123456789012345678901234";

    /// RFC 6238 Appendix B: time, then the SHA1, SHA256 and SHA512 codes (8 digits).
    const VECTORS: &[(u64, &str, &str, &str)] = &[
        (59, "94287082", "46119246", "90693936"),
        (1_111_111_109, "07081804", "68084774", "25091201"),
        (1_111_111_111, "14050471", "67062674", "99943326"),
        (1_234_567_890, "89005924", "91819424", "93441116"),
        (2_000_000_000, "69279037", "90698825", "38618901"),
        (20_000_000_000, "65353130", "77737706", "47863826"),
    ];

    #[test]
    fn rfc_6238_appendix_b_vectors() {
        for (time, sha1, sha256, sha512) in VECTORS {
            assert_eq!(
                code_at(SHA1_SEED, Algorithm::SHA1, 8, *time).unwrap(),
                *sha1,
                "SHA1 at {time}"
            );
            assert_eq!(
                code_at(SHA256_SEED, Algorithm::SHA256, 8, *time).unwrap(),
                *sha256,
                "SHA256 at {time}"
            );
            assert_eq!(
                code_at(SHA512_SEED, Algorithm::SHA512, 8, *time).unwrap(),
                *sha512,
                "SHA512 at {time}"
            );
        }
    }

    #[test]
    fn one_step_either_side_is_accepted_two_are_not() {
        let seed = new_seed().unwrap();
        let now = 1_700_000_015;
        let step = step_of(now);
        for offset in [-1_i64, 0, 1] {
            let at = (i64::try_from(now).unwrap() + offset * 30) as u64;
            let code = code_at(&seed, Algorithm::SHA1, DIGITS, at).unwrap();
            assert_eq!(
                matching_step(&seed, &code, now).unwrap(),
                Some((i64::try_from(step).unwrap() + offset) as u64),
                "offset {offset}"
            );
        }
        for offset in [-2_i64, 2] {
            let at = (i64::try_from(now).unwrap() + offset * 30) as u64;
            let code = code_at(&seed, Algorithm::SHA1, DIGITS, at).unwrap();
            // A collision with a code of the window is possible (1 in 10^6 per step); the
            // seed is random, so check the code really differs before asserting.
            let window: Vec<String> = [-1_i64, 0, 1]
                .iter()
                .map(|o| {
                    code_at(
                        &seed,
                        Algorithm::SHA1,
                        DIGITS,
                        (i64::try_from(now).unwrap() + o * 30) as u64,
                    )
                    .unwrap()
                })
                .collect();
            if !window.contains(&code) {
                assert_eq!(
                    matching_step(&seed, &code, now).unwrap(),
                    None,
                    "offset {offset}"
                );
            }
        }
    }

    #[test]
    fn malformed_codes_match_nothing() {
        let seed = new_seed().unwrap();
        for code in ["", "12345", "1234567", "12a456", "１２３４５６"] {
            assert_eq!(
                matching_step(&seed, code, 1_700_000_000).unwrap(),
                None,
                "{code}"
            );
        }
        let code = code_at(&seed, Algorithm::SHA1, DIGITS, 1_700_000_000).unwrap();
        let spaced = format!("{} {}", &code[..3], &code[3..]);
        assert!(
            matching_step(&seed, &spaced, 1_700_000_000)
                .unwrap()
                .is_some()
        );
    }

    #[test]
    fn seeds_are_160_bits_and_the_uri_names_issuer_and_account() {
        let seed = new_seed().unwrap();
        assert_eq!(seed.len(), 20);
        assert_ne!(seed, new_seed().unwrap());
        assert_eq!(base32(&seed).len(), 32);
        let uri = otpauth_uri("Acme ID", "ana@example.com", &seed);
        assert!(
            uri.starts_with("otpauth://totp/Acme%20ID:ana@example.com?secret="),
            "{uri}"
        );
        assert!(uri.contains("&issuer=Acme%20ID&"), "{uri}");
        assert!(uri.contains(&base32(&seed)));
    }
}
