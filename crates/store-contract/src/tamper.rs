//! Tampering with the audit log the way someone with write access to the database could, to show
//! that `gatehouse_domain::audit::verify_chain` finds every kind of change.
//!
//! Each adapter implements [`Tamper`] with raw SQL in its `tests/tamper.rs` and calls
//! `gatehouse_store_contract::tamper_tests!(make_tamper().await)`, where `make_tamper()` returns
//! `Option<impl Tamper + 'static>` over a fresh, migrated database.

use std::sync::Arc;

use async_trait::async_trait;
use gatehouse_domain::store::Store;

/// Raw-SQL access to one store's audit tables, bypassing the ports. Every method first removes
/// the append-only guard if it is still there (as an attacker would) and panics on failure.
#[async_trait]
pub trait Tamper: Send + Sync {
    /// The store being tampered with.
    fn store(&self) -> Arc<dyn Store>;

    /// Changes the `action` of the record with `chain_seq = seq`.
    async fn set_action(&self, seq: i64, action: &str);

    /// Replaces the `personal` bytes of the record with `chain_seq = seq`.
    async fn set_personal(&self, seq: i64, personal: &[u8]);

    /// Deletes the record with `chain_seq = seq`.
    async fn delete_record(&self, seq: i64);

    /// Exchanges the `chain_seq` values of two records (reordering them in the chain).
    async fn swap_records(&self, first: i64, second: i64);

    /// Deletes the `count` records with the highest `chain_seq`.
    async fn cut_tail(&self, count: i64);
}

/// Expands to one `#[tokio::test]` per tampering scenario.
#[macro_export]
macro_rules! tamper_tests {
    ($make:expr) => {
        mod tamper_scenarios {
            #[expect(unused_imports, reason = "the caller's helpers are used through $make")]
            use super::*;
            $crate::tamper_test!($make, untouched_chain_verifies);
            $crate::tamper_test!($make, edited_record_is_detected);
            $crate::tamper_test!($make, edited_personal_data_is_detected);
            $crate::tamper_test!($make, deleted_record_is_detected);
            $crate::tamper_test!($make, reordered_records_are_detected);
            $crate::tamper_test!($make, cut_off_tail_is_detected);
            $crate::tamper_test!(
                $make,
                destroyed_subject_key_keeps_chain_valid_and_data_unreadable
            );
        }
    };
}

/// Implementation detail of [`tamper_tests!`].
#[macro_export]
macro_rules! tamper_test {
    ($make:expr, $name:ident) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            if let Some(tamper) = $make {
                $crate::tamper::scenarios::$name(&tamper).await;
            }
        }
    };
}

pub mod scenarios;
