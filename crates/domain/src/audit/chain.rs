//! The HMAC chain over audit records. Each record's MAC covers the previous MAC and the record's
//! stored fields (the digest of its personal data, not the data, so erasure keeps the chain
//! valid). The head — newest sequence number and MAC, with a MAC of its own — lives in its own
//! table, so a cut-off tail is found too.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::{
    DomainError,
    secrets::{DataKey, Keyring, purpose, sha256},
    store::{AuditRow, ChainHead, Store},
};

const GENESIS: [u8; 32] = [0; 32];
const PAGE: u32 = 1_000;

fn put(buffer: &mut Vec<u8>, value: Option<&[u8]>) {
    match value {
        None => buffer.push(0),
        Some(bytes) => {
            buffer.push(1);
            buffer.extend_from_slice(&(bytes.len() as u64).to_be_bytes());
            buffer.extend_from_slice(bytes);
        }
    }
}

fn record_mac(key: &DataKey, previous: &[u8], seq: i64, row: &AuditRow) -> Vec<u8> {
    let mut fields = Vec::with_capacity(256);
    put(&mut fields, Some(row.id.as_bytes()));
    put(
        &mut fields,
        Some(&row.occurred_at.timestamp_micros().to_be_bytes()),
    );
    put(&mut fields, Some(row.actor_kind.as_bytes()));
    put(&mut fields, row.actor_id.as_deref().map(str::as_bytes));
    put(&mut fields, Some(row.action.as_bytes()));
    put(&mut fields, row.target.as_deref().map(str::as_bytes));
    put(&mut fields, Some(row.outcome.as_bytes()));
    put(&mut fields, row.request_id.as_deref().map(str::as_bytes));
    put(
        &mut fields,
        row.subject_id
            .as_ref()
            .map(Uuid::as_bytes)
            .map(<[u8; 16]>::as_slice),
    );
    put(&mut fields, row.details.as_deref().map(str::as_bytes));
    put(&mut fields, row.personal_digest.as_deref());
    key.mac(&[
        b"gatehouse audit record v1\0",
        &seq.to_be_bytes(),
        previous,
        &fields,
    ])
}

fn head_parts(seq: i64, mac: &[u8]) -> [Vec<u8>; 3] {
    [
        b"gatehouse audit head v1\0".to_vec(),
        seq.to_be_bytes().to_vec(),
        mac.to_vec(),
    ]
}

fn head_is_authentic(key: &DataKey, head: &ChainHead) -> bool {
    let parts = head_parts(head.seq, &head.mac);
    key.verify_mac(&parts.each_ref().map(Vec::as_slice), &head.head_mac)
}

/// Links up to `batch` committed, unchained records to the chain, in one transaction that only
/// chainers wait for. Returns how many it linked.
pub async fn chain_pending(
    store: &dyn Store,
    keyring: &Keyring,
    now: DateTime<Utc>,
    batch: u32,
) -> Result<usize, DomainError> {
    let key = keyring.key(purpose::AUDIT_CHAIN).await?;
    let mut chain = store.audit().begin_chaining().await?;
    let (mut seq, mut previous) = match chain.head().await? {
        Some(head) if head_is_authentic(&key, &head) => (head.seq, head.mac),
        Some(_) => {
            return Err(DomainError::Key(
                "the audit chain head does not authenticate; run `gatehouse audit verify`"
                    .to_owned(),
            ));
        }
        None => (0, GENESIS.to_vec()),
    };
    let rows = chain.unchained(batch).await?;
    for row in &rows {
        seq += 1;
        let mac = record_mac(&key, &previous, seq, row);
        chain.link(row.id, seq, &mac).await?;
        previous = mac;
    }
    if rows.is_empty() {
        return Ok(0);
    }
    let parts = head_parts(seq, &previous);
    let head_mac = key.mac(&parts.each_ref().map(Vec::as_slice));
    chain
        .set_head(&ChainHead {
            seq,
            mac: previous,
            head_mac,
            updated_at: now,
        })
        .await?;
    chain.commit().await?;
    Ok(rows.len())
}

/// A verified chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainReport {
    /// Chained records checked.
    pub records: u64,
    /// Committed records not chained yet (they are checked once chained).
    pub unchained: u64,
}

/// The first place the chain does not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainBreak {
    /// The sequence number where it breaks.
    pub seq: i64,
    /// The record found there, if any.
    pub id: Option<Uuid>,
    /// What is wrong.
    pub reason: String,
}

impl std::fmt::Display for ChainBreak {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.id {
            Some(id) => write!(formatter, "seq {} (record {id}): {}", self.seq, self.reason),
            None => write!(formatter, "seq {}: {}", self.seq, self.reason),
        }
    }
}

fn broken(
    seq: i64,
    id: Option<Uuid>,
    reason: impl Into<String>,
) -> Result<ChainReport, ChainBreak> {
    Err(ChainBreak {
        seq,
        id,
        reason: reason.into(),
    })
}

/// Checks every chained record and the head. The outer error is a failure to check; the inner
/// one is the first break found.
pub async fn verify_chain(
    store: &dyn Store,
    keyring: &Keyring,
) -> Result<Result<ChainReport, ChainBreak>, DomainError> {
    let head = store.audit().head().await?;
    let unchained = store.audit().count_unchained().await?;
    let Some(key) = keyring.existing_key(purpose::AUDIT_CHAIN).await? else {
        return Ok(match head {
            None if store.audit().chained_after(0, 1).await?.is_empty() => Ok(ChainReport {
                records: 0,
                unchained,
            }),
            _ => broken(1, None, "records are chained but the audit key is missing"),
        });
    };
    let mut previous = GENESIS.to_vec();
    let mut expected = 1_i64;
    loop {
        let rows = store.audit().chained_after(expected - 1, PAGE).await?;
        if rows.is_empty() {
            break;
        }
        for row in &rows {
            if let Err(found) = check_record(&key, &previous, expected, row) {
                return Ok(Err(found));
            }
            previous = row.chain_mac.clone().unwrap_or_default();
            expected += 1;
        }
    }
    let last = expected - 1;
    Ok(
        check_head(&key, head.as_ref(), last, &previous).map(|()| ChainReport {
            records: u64::try_from(last).unwrap_or_default(),
            unchained,
        }),
    )
}

fn check_record(
    key: &DataKey,
    previous: &[u8],
    expected: i64,
    row: &AuditRow,
) -> Result<(), ChainBreak> {
    let seq = row.chain_seq.unwrap_or_default();
    if seq != expected {
        return broken(
            expected,
            None,
            format!("record missing (the next record has seq {seq})"),
        )
        .map(drop);
    }
    let mac = row.chain_mac.as_deref().unwrap_or_default();
    let parts = [previous, mac];
    if record_mac(key, parts[0], seq, row) != parts[1] {
        return broken(
            seq,
            Some(row.id),
            "record altered, moved, or its predecessor removed",
        )
        .map(drop);
    }
    if let Some(personal) = &row.personal
        && row.personal_digest.as_deref() != Some(sha256(personal).as_slice())
    {
        return broken(seq, Some(row.id), "personal data altered").map(drop);
    }
    Ok(())
}

fn check_head(
    key: &DataKey,
    head: Option<&ChainHead>,
    last: i64,
    mac: &[u8],
) -> Result<(), ChainBreak> {
    let Some(head) = head else {
        return if last == 0 {
            Ok(())
        } else {
            broken(last, None, "the chain head is missing").map(drop)
        };
    };
    if !head_is_authentic(key, head) {
        return broken(head.seq, None, "the chain head was altered").map(drop);
    }
    if head.seq > last {
        let reason = format!(
            "records {} to {} are missing: the tail was cut off",
            last + 1,
            head.seq
        );
        return broken(last + 1, None, reason).map(drop);
    }
    if head.seq < last || head.mac != mac {
        return broken(
            head.seq,
            None,
            "the chain head does not match the newest record",
        )
        .map(drop);
    }
    Ok(())
}
