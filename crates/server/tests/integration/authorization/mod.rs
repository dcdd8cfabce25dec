//! The authorization model on a real store: import, evaluation, and invalidation across nodes.

mod evaluation;
mod import;
