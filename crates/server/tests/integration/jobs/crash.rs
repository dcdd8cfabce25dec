//! A worker that dies mid-job.
