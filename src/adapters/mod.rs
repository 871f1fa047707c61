//! The edges: everything that talks to the world outside the process. STS and IAM (`aws`),
//! the credentials file (`credentials_file`), the credential_process cache (`cache`), files
//! read and written safely (`fs`), the stderr log (`logging`) and report lines (`console`), and the local
//! container-credentials endpoint SDKs poll (`endpoint`).

pub mod aws;
pub mod cache;
pub mod console;
pub mod credentials_file;
pub mod endpoint;
pub mod fs;
pub mod logging;
pub mod mfa_process;
pub mod signals;
