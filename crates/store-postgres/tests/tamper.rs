//! Tampering with the audit log through raw SQL, as someone with write access to the database
//! could, to show that chain verification finds every kind of change.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers: a failed step is a failed test"
)]

mod common;

use std::sync::Arc;

use async_trait::async_trait;
use gatehouse_domain::store::Store;
use gatehouse_store_contract::tamper::Tamper;
use gatehouse_store_postgres::PostgresStore;
use sqlx::postgres::PgPool;

/// A store and an attacker's own connection pool to its database.
struct PostgresTamper {
    store: PostgresStore,
    attacker: PgPool,
}

impl PostgresTamper {
    /// Switches the append-only triggers off (idempotent), as an attacker who owns the table
    /// would before editing it.
    async fn remove_guard(&self) {
        sqlx::raw_sql("ALTER TABLE audit_events DISABLE TRIGGER USER")
            .execute(&self.attacker)
            .await
            .unwrap();
    }
}

#[async_trait]
impl Tamper for PostgresTamper {
    fn store(&self) -> Arc<dyn Store> {
        Arc::new(self.store.clone())
    }

    async fn set_action(&self, seq: i64, action: &str) {
        self.remove_guard().await;
        let result = sqlx::query!(
            "UPDATE audit_events SET action = $2 WHERE chain_seq = $1",
            seq,
            action
        )
        .execute(&self.attacker)
        .await
        .unwrap();
        assert_eq!(result.rows_affected(), 1);
    }

    async fn set_personal(&self, seq: i64, personal: &[u8]) {
        self.remove_guard().await;
        let result = sqlx::query!(
            "UPDATE audit_events SET personal = $2 WHERE chain_seq = $1",
            seq,
            personal
        )
        .execute(&self.attacker)
        .await
        .unwrap();
        assert_eq!(result.rows_affected(), 1);
    }

    async fn delete_record(&self, seq: i64) {
        self.remove_guard().await;
        let result = sqlx::query!("DELETE FROM audit_events WHERE chain_seq = $1", seq)
            .execute(&self.attacker)
            .await
            .unwrap();
        assert_eq!(result.rows_affected(), 1);
    }

    async fn swap_records(&self, first: i64, second: i64) {
        self.remove_guard().await;
        // `chain_seq` is unique and checked row by row, so the swap goes through a free value.
        let parked = -first;
        let mut transaction = self.attacker.begin().await.unwrap();
        for (from, to) in [(first, parked), (second, first), (parked, second)] {
            let result = sqlx::query!(
                "UPDATE audit_events SET chain_seq = $2 WHERE chain_seq = $1",
                from,
                to
            )
            .execute(&mut *transaction)
            .await
            .unwrap();
            assert_eq!(result.rows_affected(), 1);
        }
        transaction.commit().await.unwrap();
    }

    async fn cut_tail(&self, count: i64) {
        self.remove_guard().await;
        let result = sqlx::query!(
            "DELETE FROM audit_events WHERE chain_seq IN (
                 SELECT chain_seq FROM audit_events WHERE chain_seq IS NOT NULL
                 ORDER BY chain_seq DESC LIMIT $1)",
            count
        )
        .execute(&self.attacker)
        .await
        .unwrap();
        assert_eq!(result.rows_affected(), u64::try_from(count).unwrap());
    }
}

/// A fresh, migrated store with an attacker's pool on the same database, or `None` when no
/// test server is configured.
async fn fresh_tamperable() -> Option<PostgresTamper> {
    let (store, url) = common::fresh_store().await?;
    let attacker = PgPool::connect(&url).await.unwrap();
    Some(PostgresTamper { store, attacker })
}

gatehouse_store_contract::tamper_tests!(fresh_tamperable().await);
