//! [`Budget`]: a shared token bucket that caps retries to a fraction of
//! recent successful calls, so that a failing backend is not hit by a retry
//! storm.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use crate::loom::ShortLock;

/// Token amounts are kept in millionths of a retry, so that a ratio such as
/// `0.1` is exact in integer arithmetic.
const UNIT: u64 = 1_000_000;

/// How long a deposit stays spendable, in whole seconds (one slot each).
const WINDOW_SECS: usize = 10;

/// A retry budget shared by all its clones: at most `ratio` retries per
/// successful call over the last ten seconds, plus `min_per_second` retries
/// per second that are always allowed (so that a quiet service can still
/// retry).
///
/// It is a token bucket. It starts with `min_per_second` tokens; every
/// successful call [deposits](Self::deposit) `ratio` of a token, and a
/// deposit expires ten seconds after it was made (counted in whole seconds
/// of tokio's clock); `min_per_second` tokens come back each second, up to
/// one second's worth on top of the unexpired deposits; every retry
/// [takes](Self::try_withdraw) one token, and a retry with no token is not
/// made: the call ends with its last error.
///
/// Give it to [`Retry::budget`](super::Retry::budget),
/// [`RetryPolicy::budget`](super::RetryPolicy::budget) or the tower
/// `RetryLayer`; they deposit on success and withdraw before each retry.
/// Share one budget (clones) between every call to the same backend.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use async_patterns::retry::{Backoff, Budget, RetryPolicy};
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// // Retries may add at most 10% to the traffic, plus 1 retry per second.
/// let budget = Budget::new(0.1, 1);
/// let policy = RetryPolicy::new(Backoff::constant(Duration::from_millis(10))).budget(budget);
/// let mut calls = 0;
/// let result: Result<(), &str> = policy
///     .retry(|| {
///         calls += 1;
///         async { Err("down") }
///     })
///     .await;
/// assert_eq!(result, Err("down"));
/// // The first call plus the one retry the budget had; the schedule allowed three.
/// assert_eq!(calls, 2);
/// # }
/// ```
#[derive(Clone)]
pub struct Budget {
    inner: Arc<Inner>,
}

struct Inner {
    /// Millionths of a token one successful call deposits (`ratio * UNIT`,
    /// at least 1).
    deposit: u64,
    /// `min_per_second * UNIT`: the reserve's refill per second and its cap.
    reserve_cap: u64,
    state: ShortLock<State>,
}

struct State {
    /// Tokens from the `min_per_second` allowance, at most `reserve_cap`.
    reserve: u64,
    /// The reserve is full as of this instant (refill is counted from it).
    refilled_at: Instant,
    /// Deposits by the second (since `origin`) they were made in; a slot
    /// whose second is `WINDOW_SECS` or more in the past has expired.
    slots: [Slot; WINDOW_SECS],
    origin: Instant,
}

#[derive(Clone, Copy, Default)]
struct Slot {
    second: u64,
    amount: u64,
}

impl Budget {
    /// A budget of `ratio` retries per successful call (deposits expire
    /// after ten seconds) plus `min_per_second` retries per second.
    ///
    /// `Budget::new(0.1, 10)` lets retries add 10% to the traffic, and at
    /// least 10 retries per second, whatever the traffic.
    ///
    /// # Panics
    ///
    /// If `ratio` is zero, negative or not finite.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_patterns::retry::Budget;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let budget = Budget::new(0.5, 0);
    /// assert!(!budget.try_withdraw()); // nothing deposited yet
    /// budget.deposit();
    /// budget.deposit();
    /// assert!(budget.try_withdraw()); // two successes paid for one retry
    /// assert!(!budget.try_withdraw());
    /// # }
    /// ```
    #[track_caller]
    #[must_use]
    pub fn new(ratio: f64, min_per_second: u32) -> Self {
        assert!(
            ratio.is_finite() && ratio > 0.0,
            "Budget::new: the ratio must be a positive, finite number (got {ratio})"
        );
        // `as` saturates; a tiny ratio still deposits something.
        let deposit = ((ratio * UNIT as f64) as u64).max(1);
        let reserve_cap = u64::from(min_per_second) * UNIT;
        let now = Instant::now();
        Self {
            inner: Arc::new(Inner {
                deposit,
                reserve_cap,
                state: ShortLock::new(State {
                    reserve: reserve_cap,
                    refilled_at: now,
                    slots: [Slot::default(); WINDOW_SECS],
                    origin: now,
                }),
            }),
        }
    }

    /// Records a successful call: deposits `ratio` of a retry, spendable
    /// for ten seconds.
    ///
    /// The retry loops call it for you; call it yourself for calls made
    /// outside them that should pay for retries too.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::retry::Budget;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let budget = Budget::new(1.0, 0);
    /// budget.deposit();
    /// tokio::time::sleep(Duration::from_secs(10)).await;
    /// assert!(!budget.try_withdraw()); // the deposit expired
    /// # }
    /// ```
    pub fn deposit(&self) {
        let now = Instant::now();
        let mut state = crate::loom::lock_short(&self.inner.state);
        let second = state.second(now);
        let slot = &mut state.slots[second as usize % WINDOW_SECS];
        if slot.second != second {
            *slot = Slot { second, amount: 0 };
        }
        slot.amount = slot.amount.saturating_add(self.inner.deposit);
    }

    /// Takes one retry from the budget if it has one; `false` means "do not
    /// retry".
    ///
    /// Spends the oldest deposits first, then the per-second allowance.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::retry::Budget;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let budget = Budget::new(0.1, 2);
    /// assert!(budget.try_withdraw());
    /// assert!(budget.try_withdraw());
    /// assert!(!budget.try_withdraw());
    /// tokio::time::sleep(Duration::from_millis(500)).await;
    /// assert!(budget.try_withdraw()); // half a second gave one back
    /// assert!(!budget.try_withdraw());
    /// # }
    /// ```
    #[must_use = "`false` means the retry must not be made"]
    pub fn try_withdraw(&self) -> bool {
        let now = Instant::now();
        let mut state = crate::loom::lock_short(&self.inner.state);
        state.refill(now, self.inner.reserve_cap);
        let second = state.second(now);
        let live = |slot: &Slot| slot.second + WINDOW_SECS as u64 > second;
        let deposits: u64 = state
            .slots
            .iter()
            .filter(|s| live(s))
            .map(|s| s.amount)
            .sum();
        if deposits.saturating_add(state.reserve) < UNIT {
            return false;
        }
        let mut owed = UNIT;
        // Oldest live slot first: the deposits closest to expiring.
        for age in (0..WINDOW_SECS as u64).rev() {
            let Some(s) = second.checked_sub(age) else {
                continue;
            };
            let slot = &mut state.slots[s as usize % WINDOW_SECS];
            if slot.second == s {
                let take = slot.amount.min(owed);
                slot.amount -= take;
                owed -= take;
            }
        }
        state.reserve -= owed;
        true
    }
}

impl State {
    /// Whole seconds from `origin` to `now`.
    fn second(&self, now: Instant) -> u64 {
        now.saturating_duration_since(self.origin).as_secs()
    }

    /// Adds the allowance earned since `refilled_at` (`cap` per second, up
    /// to `cap`), keeping the fraction of a millionth that is not credited
    /// yet for the next call.
    fn refill(&mut self, now: Instant, cap: u64) {
        if self.reserve >= cap {
            self.refilled_at = now;
            return;
        }
        let elapsed = now.saturating_duration_since(self.refilled_at);
        // `cap` millionths per second = `cap / 10^9` per nanosecond.
        let earned = elapsed.as_nanos() * u128::from(cap) / 1_000_000_000;
        let earned = u64::try_from(earned).unwrap_or(u64::MAX);
        if earned == 0 {
            return;
        }
        self.reserve = self.reserve.saturating_add(earned).min(cap);
        if self.reserve == cap {
            self.refilled_at = now;
        } else {
            let spent = u128::from(earned) * 1_000_000_000 / u128::from(cap);
            let spent = u64::try_from(spent).unwrap_or(u64::MAX);
            self.refilled_at += Duration::from_nanos(spent);
        }
    }
}

impl fmt::Debug for Budget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Budget")
            .field("ratio", &(self.inner.deposit as f64 / UNIT as f64))
            .field("min_per_second", &(self.inner.reserve_cap / UNIT))
            .finish_non_exhaustive()
    }
}
