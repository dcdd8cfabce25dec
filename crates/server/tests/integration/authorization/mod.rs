//! The authorization model on a real store: import, evaluation, invalidation across nodes, and
//! runtime administration.

mod evaluation;
mod import;
mod manage;
mod manage_guards;
mod manage_objects;
mod manage_roles;
