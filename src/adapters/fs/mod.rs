//! Generic file-system pieces: reading files rolecreds did not create (`checked_read`),
//! replacing a file atomically (`commit`), and the sidecar lock (`lock`).

pub mod checked_read;
pub mod commit;
pub mod lock;
