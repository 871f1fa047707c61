//! The lossless credentials-file editor: text in, text out (`edit`), after a scan that refuses
//! what any reader would misread (`scan`), confirmed with the AWS SDK's own parser
//! (`validate`).

pub mod edit;
pub mod scan;
pub mod validate;
