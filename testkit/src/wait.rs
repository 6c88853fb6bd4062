//! Polling with a deadline: the harness never sleeps a fixed time where a condition exists.

use std::time::{Duration, Instant};

use crate::TestkitError;

/// Polls `cond` (first immediately, then with a short growing back-off capped at 50 ms) until it
/// returns true or `timeout` has passed. Returns whether the condition became true.
pub fn wait_until(timeout: Duration, mut cond: impl FnMut() -> bool) -> bool {
    wait_for_value(timeout, || cond().then_some(())).is_some()
}

/// Like [`wait_until`] but the condition yields a value, and a timeout is an error naming `what`.
pub fn wait_for<T>(
    what: &str,
    timeout: Duration,
    cond: impl FnMut() -> Option<T>,
) -> Result<T, TestkitError> {
    wait_for_value(timeout, cond).ok_or_else(|| TestkitError::Timeout {
        what: what.to_owned(),
        waited: timeout,
    })
}

fn wait_for_value<T>(timeout: Duration, mut cond: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + timeout;
    let mut pause = Duration::from_millis(1);
    loop {
        if let Some(v) = cond() {
            return Some(v);
        }
        let now = Instant::now();
        if now >= deadline {
            return None;
        }
        std::thread::sleep(pause.min(deadline - now));
        pause = (pause * 2).min(Duration::from_millis(50));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wait_until_sees_a_condition_that_becomes_true() {
        let mut n = 0;
        assert!(wait_until(Duration::from_secs(5), || {
            n += 1;
            n >= 3
        }));
        assert_eq!(n, 3);
    }

    #[test]
    fn wait_for_times_out_with_the_description() {
        let t0 = Instant::now();
        let err = wait_for::<()>("the impossible", Duration::from_millis(50), || None).unwrap_err();
        assert!(t0.elapsed() >= Duration::from_millis(50));
        assert!(err.to_string().contains("the impossible"), "{err}");
    }
}
