//! What a wrapper does with the app's calls before a client exists to take them.
//!
//! The Swift wrapper opens its client off the caller's thread (it reads the storage
//! directory), so events, screens and errors reported meanwhile are kept in memory and
//! replayed into the client once it is open. That queue is bounded by
//! `pending_call_limit` (default [`DEFAULT_PENDING_CALL_LIMIT`], at most
//! [`MAX_PENDING_CALL_LIMIT`]); a call past it is dropped by the wrapper and reported to the
//! next client that opens, which counts it in its telemetry (`wrapper_dropped`), so no
//! drop is silent. The wrappers read the limit from here: none holds a default of its own.

use crate::error::ConfigError;

/// Calls kept while a client opens: one each is an event, a screen or an error (small
/// closures), so 1000 is well under a megabyte while covering a burst at launch.
pub const DEFAULT_PENDING_CALL_LIMIT: u32 = 1_000;
/// Largest limit an app may set: past it the queue is no longer a small bounded buffer.
pub const MAX_PENDING_CALL_LIMIT: u32 = 100_000;

/// The limit for the app's option (`None`: the default). 0 keeps nothing: every call made
/// while a client opens is dropped and counted.
pub fn pending_call_limit(option: Option<u32>) -> Result<u32, ConfigError> {
    match option {
        None => Ok(DEFAULT_PENDING_CALL_LIMIT),
        Some(n) if n <= MAX_PENDING_CALL_LIMIT => Ok(n),
        Some(_) => Err(ConfigError::Limit("pending_call_limit (at most 100000)")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_applies_unless_set_and_the_limit_is_bounded() {
        assert_eq!(pending_call_limit(None), Ok(DEFAULT_PENDING_CALL_LIMIT));
        assert_eq!(pending_call_limit(Some(0)), Ok(0));
        assert_eq!(
            pending_call_limit(Some(MAX_PENDING_CALL_LIMIT)),
            Ok(MAX_PENDING_CALL_LIMIT)
        );
        assert!(pending_call_limit(Some(MAX_PENDING_CALL_LIMIT + 1)).is_err());
    }
}
