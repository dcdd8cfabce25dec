//! The shared audit-chain tampering scenarios (`gatehouse-store-contract`), run against SQLite:
//! [`SqliteTamper`] edits the database file with raw SQL over its own connection, first dropping
//! the append-only triggers as an attacker with write access would.

#![expect(clippy::unwrap_used, reason = "a test: a failed step is a failed test")]

#[expect(dead_code, reason = "the tampering scenarios need only `TestStore`")]
mod common;

use std::sync::Arc;

use async_trait::async_trait;
use gatehouse_domain::store::Store;
use gatehouse_store_contract::tamper::Tamper;
use sqlx::{Connection, Executor, SqliteConnection};

use common::TestStore;

/// Raw-SQL tampering with one test store's audit tables.
struct SqliteTamper {
    store: Arc<TestStore>,
}

impl SqliteTamper {
    /// A raw connection with the append-only guard removed.
    async fn unguarded(&self) -> SqliteConnection {
        let mut connection = self.store.raw().await;
        connection
            .execute(
                "DROP TRIGGER IF EXISTS audit_events_refuse_update; \
                 DROP TRIGGER IF EXISTS audit_events_refuse_delete;",
            )
            .await
            .unwrap();
        connection
    }
}

async fn fresh_tamperable() -> Option<SqliteTamper> {
    Some(SqliteTamper {
        store: Arc::new(TestStore::migrated().await),
    })
}

#[async_trait]
impl Tamper for SqliteTamper {
    fn store(&self) -> Arc<dyn Store> {
        self.store.clone()
    }

    async fn set_action(&self, seq: i64, action: &str) {
        let mut connection = self.unguarded().await;
        let changed = sqlx::query("UPDATE audit_events SET action = ?1 WHERE chain_seq = ?2")
            .bind(action)
            .bind(seq)
            .execute(&mut connection)
            .await
            .unwrap();
        assert_eq!(changed.rows_affected(), 1);
    }

    async fn set_personal(&self, seq: i64, personal: &[u8]) {
        let mut connection = self.unguarded().await;
        let changed = sqlx::query("UPDATE audit_events SET personal = ?1 WHERE chain_seq = ?2")
            .bind(personal)
            .bind(seq)
            .execute(&mut connection)
            .await
            .unwrap();
        assert_eq!(changed.rows_affected(), 1);
    }

    async fn delete_record(&self, seq: i64) {
        let mut connection = self.unguarded().await;
        let deleted = sqlx::query("DELETE FROM audit_events WHERE chain_seq = ?1")
            .bind(seq)
            .execute(&mut connection)
            .await
            .unwrap();
        assert_eq!(deleted.rows_affected(), 1);
    }

    async fn swap_records(&self, first: i64, second: i64) {
        let mut connection = self.unguarded().await;
        let mut transaction = connection.begin().await.unwrap();
        // chain_seq is UNIQUE: park the first record on a free value while the second moves.
        for (from, to) in [(first, -first), (second, first), (-first, second)] {
            let moved = sqlx::query("UPDATE audit_events SET chain_seq = ?2 WHERE chain_seq = ?1")
                .bind(from)
                .bind(to)
                .execute(&mut *transaction)
                .await
                .unwrap();
            assert_eq!(moved.rows_affected(), 1);
        }
        transaction.commit().await.unwrap();
    }

    async fn cut_tail(&self, count: i64) {
        let mut connection = self.unguarded().await;
        let deleted = sqlx::query(
            "DELETE FROM audit_events WHERE chain_seq IN ( \
                 SELECT chain_seq FROM audit_events WHERE chain_seq IS NOT NULL \
                 ORDER BY chain_seq DESC LIMIT ?1)",
        )
        .bind(count)
        .execute(&mut connection)
        .await
        .unwrap();
        assert_eq!(deleted.rows_affected(), u64::try_from(count).unwrap());
    }
}

gatehouse_store_contract::tamper_tests!(fresh_tamperable().await);
