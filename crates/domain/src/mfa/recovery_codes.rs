//! Recovery codes: ten per user, 60 bits each (twelve characters of a 32-letter alphabet without
//! look-alikes, shown as three groups of four), stored only as keyed digests, each usable once.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::{
    DomainError,
    secrets::{DataKey, random_bytes},
    store::{RecoveryCodeRow, new_id},
};

/// Codes per set.
pub const COUNT: usize = 10;
/// Characters per code (5 bits each).
pub const LENGTH: usize = 12;
/// No 0/O, 1/I/L confusion: the letters typed are normalised onto these.
const ALPHABET: &[u8; 32] = b"ABCDEFGHJKMNPQRSTVWXYZ0123456789";

fn alphabet_index(c: char) -> Option<u8> {
    let c = match c.to_ascii_uppercase() {
        'O' => '0',
        'I' | 'L' => '1',
        'U' => 'V',
        other => other,
    };
    ALPHABET
        .iter()
        .position(|&a| char::from(a) == c)
        .and_then(|i| u8::try_from(i).ok())
}

/// One new code, formatted `XXXX-XXXX-XXXX`.
pub fn new_code() -> Result<String, DomainError> {
    let mut bytes = [0_u8; LENGTH];
    random_bytes(&mut bytes)?;
    let plain: String = bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(b & 31)]))
        .collect();
    Ok(format!("{}-{}-{}", &plain[..4], &plain[4..8], &plain[8..]))
}

/// The canonical form of a typed code (case, separators and look-alikes ignored), or `None` when
/// it cannot be a code.
pub fn normalize(typed: &str) -> Option<String> {
    let mut out = String::with_capacity(LENGTH);
    for c in typed.chars() {
        if c == '-' || c.is_whitespace() {
            continue;
        }
        out.push(char::from(ALPHABET[usize::from(alphabet_index(c)?)]));
        if out.len() > LENGTH {
            return None;
        }
    }
    (out.len() == LENGTH).then_some(out)
}

/// The stored digest of a code for `user`.
pub fn digest(key: &DataKey, user: Uuid, normalized: &str) -> Vec<u8> {
    key.mac(&[b"recovery-code", user.as_bytes(), normalized.as_bytes()])
}

/// A fresh set: the codes to show once and the rows to store.
pub fn new_set(
    key: &DataKey,
    user: Uuid,
    now: DateTime<Utc>,
) -> Result<(Vec<String>, Vec<RecoveryCodeRow>), DomainError> {
    let mut codes = Vec::with_capacity(COUNT);
    let mut rows = Vec::with_capacity(COUNT);
    while codes.len() < COUNT {
        let code = new_code()?;
        let normalized = normalize(&code)
            .ok_or_else(|| DomainError::Invalid("generated recovery code".to_owned()))?;
        let mac = digest(key, user, &normalized);
        if rows.iter().any(|row: &RecoveryCodeRow| row.code_mac == mac) {
            continue;
        }
        rows.push(RecoveryCodeRow {
            id: new_id(),
            user_id: user,
            code_mac: mac,
            created_at: now,
            used_at: None,
        });
        codes.push(code);
    }
    Ok((codes, rows))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_have_sixty_bits_in_three_groups() {
        let code = new_code().unwrap();
        assert_eq!(code.len(), 14, "{code}");
        assert_eq!(code.matches('-').count(), 2);
        const { assert!(LENGTH * 5 >= 50) };
        assert_ne!(code, new_code().unwrap());
    }

    #[test]
    fn typed_codes_are_normalised() {
        assert_eq!(normalize("abcd-efgh-jkmn").as_deref(), Some("ABCDEFGHJKMN"));
        assert_eq!(
            normalize(" ABCD EFGH JKMN ").as_deref(),
            Some("ABCDEFGHJKMN")
        );
        assert_eq!(
            normalize("O1IL-0000-0000").as_deref(),
            Some("0111".to_owned() + "00000000").as_deref()
        );
        assert_eq!(normalize("ABCD-EFGH-JKM"), None);
        assert_eq!(normalize("ABCD-EFGH-JKMNP"), None);
        assert_eq!(normalize("ABCD-EFGH-JK!N"), None);
    }
}
