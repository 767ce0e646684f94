//! Behaviour of the timeout guard and deadlines, all on tokio's paused clock.

use std::future::pending;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::Poll;
use std::time::Duration;

use async_patterns::prelude::*;
use async_patterns::timeout::{Deadline, Elapsed, timeout, timeout_at};
use tokio::time::{Instant, advance, sleep};
use tokio_test::{assert_pending, assert_ready, assert_ready_eq, task};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Sets its flag when dropped: proves an inner future was cancelled.
struct DropFlag(Arc<AtomicBool>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

#[tokio::test(start_paused = true)]
async fn fires_after_the_limit_and_drops_the_inner_future() {
    let dropped = Arc::new(AtomicBool::new(false));
    let flag = DropFlag(dropped.clone());
    let start = Instant::now();
    let err = timeout(ms(100), async move {
        let _flag = flag;
        pending::<()>().await
    })
    .await
    .unwrap_err();
    assert_eq!(start.elapsed(), ms(100));
    assert_eq!(err.limit(), ms(100));
    assert!(dropped.load(Ordering::SeqCst));
}

#[tokio::test(start_paused = true)]
async fn does_not_fire_when_the_future_is_faster() {
    let start = Instant::now();
    let out = timeout(ms(100), async {
        sleep(ms(30)).await;
        7
    })
    .await;
    assert_eq!(out, Ok(7));
    assert_eq!(start.elapsed(), ms(30));
}

#[tokio::test(start_paused = true)]
async fn completes_just_before_the_deadline() {
    let out = timeout(ms(100), async {
        sleep(ms(99)).await;
        "made it"
    })
    .await;
    assert_eq!(out, Ok("made it"));
}

#[tokio::test(start_paused = true)]
async fn a_ready_future_wins_over_an_expired_deadline() {
    // Deadline already in the past: the future is still polled first.
    let past = Instant::now();
    advance(ms(10)).await;
    assert_eq!(timeout_at(past, async { 1 }).await, Ok(1));

    // Both become ready on the same poll: the output wins.
    let mut guarded = task::spawn(timeout(ms(50), sleep(ms(50))));
    assert_pending!(guarded.poll());
    advance(ms(50)).await;
    assert_ready_eq!(guarded.poll(), Ok(()));
}

#[tokio::test(start_paused = true)]
async fn zero_limit_fires_on_first_poll_of_a_pending_future() {
    let err = timeout(Duration::ZERO, pending::<()>()).await.unwrap_err();
    assert_eq!(err.limit(), Duration::ZERO);
}

#[tokio::test(start_paused = true)]
async fn duration_max_means_no_limit_and_does_not_overflow() {
    let mut guarded = task::spawn(timeout(Duration::MAX, sleep(Duration::from_secs(3600))));
    assert_pending!(guarded.poll());
    assert_eq!(timeout(Duration::MAX, async {}).expires_at(), None);
    advance(Duration::from_secs(3600)).await;
    assert_ready_eq!(guarded.poll(), Ok(()));

    let far = Deadline::after(Duration::MAX);
    assert_eq!(far, Deadline::never());
    assert_eq!(async { 5 }.deadline(far).await, Ok(5));
}

#[tokio::test(start_paused = true)]
async fn a_self_waking_inner_future_still_times_out() {
    // Pending forever but always asking to be polled again.
    let busy = std::future::poll_fn(|cx| {
        cx.waker().wake_by_ref();
        Poll::<()>::Pending
    });
    let mut guarded = task::spawn(timeout(ms(20), busy));
    assert_pending!(guarded.poll());
    assert!(guarded.is_woken());
    advance(ms(20)).await;
    assert_eq!(assert_ready!(guarded.poll()).unwrap_err().limit(), ms(20));
}

#[tokio::test(start_paused = true)]
async fn an_inner_future_that_exhausts_the_coop_budget_still_times_out() {
    // The inner future spends the whole cooperative budget on every poll;
    // without special care the timer would be starved by the budget forever.
    let budget_eater = async {
        loop {
            tokio::task::coop::consume_budget().await;
        }
    };
    let guarded = timeout(ms(10), budget_eater);
    advance(ms(10)).await;
    let out: Result<(), Elapsed> = guarded.await;
    assert!(out.is_err());
}

#[tokio::test(start_paused = true)]
async fn nested_timeouts_inner_handled_outer_still_fires() {
    let start = Instant::now();
    let outer = timeout(ms(100), async {
        // The inner limit fires first and is handled...
        let inner = timeout(ms(10), pending::<()>()).await;
        assert!(inner.is_err());
        // ...then the outer one still bounds what follows.
        pending::<()>().await
    })
    .await;
    assert_eq!(outer.unwrap_err().limit(), ms(100));
    assert_eq!(start.elapsed(), ms(100));
}

#[tokio::test(start_paused = true)]
async fn nested_timeouts_the_earlier_deadline_wins() {
    let start = Instant::now();
    let out = timeout(ms(50), timeout(ms(500), pending::<()>())).await;
    assert_eq!(out.unwrap_err().limit(), ms(50));
    assert_eq!(start.elapsed(), ms(50));

    let start = Instant::now();
    let out = timeout(ms(500), timeout(ms(50), pending::<()>())).await;
    assert_eq!(out.unwrap().unwrap_err().limit(), ms(50));
    assert_eq!(start.elapsed(), ms(50));
}

#[tokio::test(start_paused = true)]
async fn scope_clamps_an_inner_longer_timeout() {
    let start = Instant::now();
    let out = Deadline::after(ms(100))
        .scope(async { timeout(Duration::from_secs(10), pending::<()>()).await })
        .await;
    assert_eq!(out.unwrap_err().limit(), ms(100));
    assert_eq!(start.elapsed(), ms(100));
}

#[tokio::test(start_paused = true)]
async fn scope_sets_the_ambient_deadline_and_restores_it() {
    assert_eq!(Deadline::current(), Deadline::never());
    let outer = Deadline::after(ms(100));
    let inner = Deadline::after(ms(40));
    let seen = outer
        .scope(async move {
            let in_outer = Deadline::current();
            let in_inner = inner.scope(async { Deadline::current() }).await.unwrap();
            let after_inner = Deadline::current();
            sleep(ms(10)).await;
            (in_outer, in_inner, after_inner, Deadline::current())
        })
        .await
        .unwrap();
    assert_eq!(seen, (outer, inner, outer, outer));
    assert_eq!(Deadline::current(), Deadline::never());
}

#[tokio::test(start_paused = true)]
async fn an_inner_scope_never_extends_the_outer_one() {
    let outer = Deadline::after(ms(50));
    let start = Instant::now();
    let out = outer
        .scope(async {
            let later = Deadline::after(Duration::from_secs(60));
            let seen = later.scope(async { Deadline::current() }).await.unwrap();
            assert_eq!(seen, outer);
            Deadline::after(Duration::from_secs(60))
                .scope(pending::<()>())
                .await
        })
        .await;
    // The inner scope was narrowed to the outer deadline, so it is the one
    // that reports the expiry, at the outer deadline.
    let inner = out.expect("the narrowed inner scope fires first");
    assert_eq!(inner.unwrap_err().limit(), ms(50));
    assert_eq!(start.elapsed(), ms(50));
}

#[tokio::test(start_paused = true)]
async fn ambient_deadline_is_restored_after_a_panic_inside_a_scope() {
    use futures::FutureExt;
    let scope = Deadline::after(ms(10)).scope(async { panic!("boom") });
    let caught = std::panic::AssertUnwindSafe(scope).catch_unwind().await;
    assert!(caught.is_err());
    assert_eq!(Deadline::current(), Deadline::never());
}

#[tokio::test(start_paused = true)]
async fn reset_moves_the_deadline_later() {
    let start = Instant::now();
    let mut guarded = task::spawn(timeout(ms(100), sleep(ms(150))));
    assert_pending!(guarded.poll());
    advance(ms(90)).await;
    assert_pending!(guarded.poll());
    guarded.enter(|_, g| g.reset(Instant::now() + ms(100)));
    advance(ms(60)).await;
    assert_ready_eq!(guarded.poll(), Ok(()));
    assert_eq!(start.elapsed(), ms(150));
}

#[tokio::test(start_paused = true)]
async fn reset_moves_the_deadline_earlier() {
    let start = Instant::now();
    let mut guarded = task::spawn(timeout(Duration::from_secs(10), pending::<()>()));
    assert_pending!(guarded.poll());
    guarded.enter(|_, g| g.reset(Instant::now() + ms(5)));
    advance(ms(5)).await;
    assert!(guarded.is_woken());
    let err = assert_ready!(guarded.poll()).unwrap_err();
    assert_eq!(err.limit(), ms(5));
    assert_eq!(start.elapsed(), ms(5));
}

#[tokio::test(start_paused = true)]
async fn reset_adds_a_limit_to_an_unlimited_guard() {
    let mut guarded = pin!(timeout(Duration::MAX, pending::<()>()));
    guarded.as_mut().reset(Instant::now() + ms(30));
    assert_eq!(guarded.as_mut().await.unwrap_err().limit(), ms(30));
}

#[tokio::test(start_paused = true)]
async fn deadline_budget_arithmetic() {
    let d = Deadline::after(ms(100));
    assert_eq!(d.remaining(), ms(100));
    assert!(!d.is_expired());
    advance(ms(99)).await;
    assert!(!d.is_expired());
    advance(ms(1)).await;
    assert!(d.is_expired());
    assert_eq!(d.remaining(), Duration::ZERO);

    let never = Deadline::never();
    assert!(!never.is_expired());
    assert_eq!(never.remaining(), Duration::MAX);
    assert_eq!(never.min(d), d);
    assert_eq!(d.min(never), d);
    assert!(d < never);
    assert_eq!(Deadline::default(), never);
    let at = Instant::now() + ms(5);
    assert_eq!(Deadline::at(at).instant(), Some(at));
    assert_eq!(Deadline::from(at), Deadline::at(at));
}

#[tokio::test(start_paused = true)]
async fn deadline_ext_enforces_without_changing_the_ambient_deadline() {
    let out = async { Deadline::current() }
        .deadline(Deadline::after(ms(10)))
        .await;
    assert_eq!(out, Ok(Deadline::never()));
    let err = pending::<()>()
        .deadline(Deadline::after(ms(10)))
        .await
        .unwrap_err();
    assert_eq!(err.limit(), ms(10));
}

#[tokio::test(start_paused = true)]
async fn elapsed_converts_to_io_timed_out() {
    async fn read_with_limit() -> std::io::Result<()> {
        timeout(ms(1), pending::<()>()).await?;
        Ok(())
    }
    let err = read_with_limit().await.unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::TimedOut);
    assert_eq!(err.to_string(), "deadline elapsed after 1ms");
}

#[test]
fn unlimited_guards_and_never_scopes_need_no_runtime() {
    let out = futures::executor::block_on(async {
        let a = timeout(Duration::MAX, async { 1 }).await.unwrap();
        let b = Deadline::never().scope(async { 2 }).await.unwrap();
        let c = async { 3 }.deadline(Deadline::never()).await.unwrap();
        // A future ready on its first poll never creates the timer.
        let d = timeout(ms(5), async { 4 }).await.unwrap();
        a + b + c + d
    });
    assert_eq!(out, 10);
}

#[test]
fn guard_exposes_the_inner_future() {
    use futures::future::ready;

    let mut guarded = timeout(Duration::MAX, ready(9));
    assert_eq!(format!("{:?}", guarded.get_ref()), "Some(Ready(Some(9)))");
    *guarded.get_mut() = ready(10);
    assert_eq!(guarded.into_inner().into_inner(), 10);

    // Polling through `get_pin_mut` bypasses the limit.
    let mut pinned = Box::pin(timeout(Duration::MAX, ready(11)));
    assert_eq!(
        futures::executor::block_on(pinned.as_mut().get_pin_mut().unwrap()),
        11
    );

    let debug = format!("{:?}", timeout(Duration::MAX, async {}));
    assert!(debug.starts_with("Timeout { expires_at: None"), "{debug}");
}

#[tokio::test(start_paused = true)]
async fn guard_is_a_plain_future_in_select() {
    let mut guarded = pin!(timeout(ms(10), pending::<()>()));
    let won = tokio::select! {
        out = guarded.as_mut() => out.is_err(),
        () = sleep(ms(20)) => false,
    };
    assert!(won);
    assert!(guarded.expires_at().is_some_and(|at| at <= Instant::now()));
}

/// Regression (issue 18, E2): a guard kept after it returned
/// `Err(Elapsed)` (polled by reference, as in a `select!` loop) used to keep
/// its inner future, and what that held, until the guard itself dropped.
#[tokio::test(start_paused = true)]
async fn a_timed_out_guard_kept_alive_drops_its_inner_future() {
    let dropped = Arc::new(AtomicBool::new(false));
    let flag = DropFlag(dropped.clone());
    let mut guarded = pin!(timeout(ms(10), async move {
        let _flag = flag;
        pending::<()>().await
    }));
    assert!(guarded.as_mut().await.is_err());
    assert!(dropped.load(Ordering::SeqCst));
    assert!(guarded.get_ref().is_none());
    assert!(guarded.as_mut().get_pin_mut().is_none());
    // Polled again, it reports the same timeout.
    assert_eq!(guarded.as_mut().await.unwrap_err().limit(), ms(10));
}

/// The same for `Deadline::scope`: the block is dropped when the scope
/// returns `Err`, not when the scope is.
#[tokio::test(start_paused = true)]
async fn a_timed_out_scope_kept_alive_drops_its_block() {
    let dropped = Arc::new(AtomicBool::new(false));
    let flag = DropFlag(dropped.clone());
    let mut scope = pin!(Deadline::after(ms(10)).scope(async move {
        let _flag = flag;
        pending::<()>().await
    }));
    let lost = tokio::select! {
        out = scope.as_mut() => out.is_err(),
        () = sleep(ms(20)) => false,
    };
    assert!(lost);
    assert!(dropped.load(Ordering::SeqCst));
}

#[test]
fn a_guard_ready_at_once_needs_no_runtime() {
    // As the `Panics` notes say: no runtime is touched unless the inner
    // future is pending.
    let out = futures::executor::block_on(Deadline::after(ms(10)).scope(async { 1 }));
    assert_eq!(out, Ok(1));
}
