//! Passwords and the password policy (SECURITY.md "Passwords and login"): NFKC, length in code
//! points (15 alone, 8 with a second factor, at most 1,024), no composition rules, refused when
//! common (zxcvbn's password list) or estimated weak (zxcvbn score below 3).

use std::fmt;

use unicode_normalization::UnicodeNormalization;
use zxcvbn::matching::{Match, patterns::MatchPattern};

/// A password as the user meant it: NFKC-normalised, never truncated. `Debug` hides it.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl fmt::Debug for Password {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("Password([redacted])")
    }
}

impl Password {
    /// Normalises what the user typed (NFKC). Policy is checked separately.
    pub fn new(raw: &str) -> Self {
        Self(raw.nfkc().collect())
    }

    /// The normalised password.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Length in Unicode code points.
    pub fn length(&self) -> usize {
        self.0.chars().count()
    }
}

/// Why a new password is refused. The web layer shows `code()` through its catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordProblem {
    /// Shorter than the minimum.
    TooShort {
        /// The minimum that applies.
        minimum: usize,
    },
    /// Longer than the maximum.
    TooLong {
        /// The maximum.
        maximum: usize,
    },
    /// On the list of common and breached passwords.
    Common,
    /// Easy to guess (repetitions, keyboard patterns, words, the user's own name or address).
    Weak,
}

impl PasswordProblem {
    /// A stable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooShort { .. } => "password_too_short",
            Self::TooLong { .. } => "password_too_long",
            Self::Common => "password_common",
            Self::Weak => "password_weak",
        }
    }

    /// An English explanation.
    pub fn message(&self) -> String {
        match self {
            Self::TooShort { minimum } => format!("Use at least {minimum} characters."),
            Self::TooLong { maximum } => format!("Use at most {maximum} characters."),
            Self::Common => "This password is on a list of common or breached passwords.".to_owned(),
            Self::Weak => "This password is easy to guess: avoid repeats, keyboard patterns, words and your own name or address. A few unrelated words make a strong password.".to_owned(),
        }
    }
}

/// The password rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordPolicy {
    /// Minimum when the password is the only factor.
    pub minimum_length: usize,
    /// Minimum when a second factor is enrolled.
    pub minimum_length_with_mfa: usize,
    /// Maximum.
    pub maximum_length: usize,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self {
            minimum_length: 15,
            minimum_length_with_mfa: 8,
            maximum_length: 1_024,
        }
    }
}

/// zxcvbn slows down on very long input; a prefix this long says enough about strength.
const STRENGTH_PREFIX: usize = 256;

/// True when the whole password is one entry (or a l33t, reversed or capitalised form of one)
/// of zxcvbn's list of common passwords. zxcvbn does not export the dictionary type's name, so
/// it is compared through its `Debug` form.
fn is_common(sequence: &[Match], length: usize) -> bool {
    matches!(sequence, [only] if only.i == 0 && only.j + 1 == length
        && matches!(&only.pattern, MatchPattern::Dictionary(word) if format!("{:?}", word.dictionary_name) == "Passwords"))
}

impl PasswordPolicy {
    /// Checks a new password. `user_inputs` are the user's own strings (address, names) that a
    /// password must not be built from.
    pub fn check(
        &self,
        password: &Password,
        has_mfa: bool,
        user_inputs: &[&str],
    ) -> Result<(), PasswordProblem> {
        let minimum = if has_mfa {
            self.minimum_length_with_mfa
        } else {
            self.minimum_length
        };
        let length = password.length();
        if length < minimum {
            return Err(PasswordProblem::TooShort { minimum });
        }
        if length > self.maximum_length {
            return Err(PasswordProblem::TooLong {
                maximum: self.maximum_length,
            });
        }
        let prefix: String = password.expose().chars().take(STRENGTH_PREFIX).collect();
        let estimate = zxcvbn::zxcvbn(&prefix, user_inputs);
        if is_common(estimate.sequence(), prefix.chars().count()) {
            return Err(PasswordProblem::Common);
        }
        if u8::from(estimate.score()) < 3 {
            return Err(PasswordProblem::Weak);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(raw: &str) -> Result<(), PasswordProblem> {
        PasswordPolicy::default().check(&Password::new(raw), false, &["ada@example.com", "Ada"])
    }

    #[test]
    fn length_is_counted_in_code_points_after_nfkc() {
        assert_eq!(
            check("short"),
            Err(PasswordProblem::TooShort { minimum: 15 })
        );
        assert_eq!(Password::new("ｆｕｌｌｗｉｄｔｈ").expose(), "fullwidth");
        assert_eq!(Password::new("ñandú-ñandú-ñandú").length(), 17);
        let short = Password::new("glacier-otter");
        assert_eq!(
            PasswordPolicy::default().check(&short, false, &[]),
            Err(PasswordProblem::TooShort { minimum: 15 })
        );
        let with_mfa = PasswordPolicy::default().check(&short, true, &[]);
        assert!(
            !matches!(with_mfa, Err(PasswordProblem::TooShort { .. })),
            "{with_mfa:?}"
        );
        assert_eq!(
            check(&"x".repeat(1_025)),
            Err(PasswordProblem::TooLong { maximum: 1_024 })
        );
    }

    #[test]
    fn long_strong_passwords_without_composition_rules_pass() {
        assert_eq!(check("correct horse battery staple"), Ok(()));
        assert_eq!(check("lantern orbit pickle marathon"), Ok(()));
        let long: String = "tangerine quartz meadow orbit "
            .repeat(40)
            .chars()
            .take(1_000)
            .collect();
        assert_eq!(check(&long), Ok(()));
    }

    #[test]
    fn common_repeated_and_personal_passwords_are_refused() {
        assert_eq!(check("passwordpassword"), Err(PasswordProblem::Weak));
        assert_eq!(check("aaaaaaaaaaaaaaaaaaaa"), Err(PasswordProblem::Weak));
        assert_eq!(check("qwertyuiopasdfghjkl"), Err(PasswordProblem::Weak));
        assert_eq!(check("ada@example.com!"), Err(PasswordProblem::Weak));
        assert!(check("1234567890123456").is_err());
    }

    #[test]
    fn passwords_on_the_common_list_are_named_as_such() {
        let policy = PasswordPolicy {
            minimum_length: 8,
            ..PasswordPolicy::default()
        };
        assert_eq!(
            policy.check(&Password::new("baseball"), false, &[]),
            Err(PasswordProblem::Common)
        );
        assert_eq!(
            policy.check(&Password::new("password1"), false, &[]),
            Err(PasswordProblem::Common)
        );
    }
}
