//! The audit log: what happened, who did it, to what, with what outcome. Use cases record events
//! inside their own transaction; a single chainer links committed records afterwards; anyone
//! holding the keys can verify the chain.

mod chain;
mod event;
mod personal;
mod record;

pub use chain::{ChainBreak, ChainReport, chain_pending, verify_chain};
pub use event::{Actor, AuditEvent, Outcome, PersonalData};
pub use personal::{PersonalView, read_personal};
pub use record::{record, record_alone};
