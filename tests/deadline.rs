//! Deadlines reach every wait: work spawned into a `TaskGroup` inherits the
//! ambient `Deadline`, a rate-limit wait that cannot end in time fails at
//! once, and pool and queue waits end with their scope. All on paused time.

use std::time::Duration;

use async_patterns::executor::TaskGroup;
use async_patterns::pool::Pool;
use async_patterns::queue;
use async_patterns::rate_limit::RateLimiter;
use async_patterns::timeout::Deadline;
use tokio::time::{Instant, sleep};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[tokio::test(start_paused = true)]
async fn spawned_task_sees_the_spawners_deadline() {
    let mut group = TaskGroup::new(2);
    let budget = Deadline::after(ms(100));
    budget
        .scope(async { group.spawn(async { Deadline::current() }) })
        .await
        .unwrap();
    // Joined outside the scope: the task still ran under the budget.
    assert_eq!(group.join_next().await.unwrap().unwrap(), budget);
}

#[tokio::test(start_paused = true)]
async fn spawned_task_is_cut_off_at_the_deadline_as_elapsed() {
    let start = Instant::now();
    let mut group = TaskGroup::new(1);
    Deadline::after(ms(100))
        .scope(async {
            group.spawn(async { sleep(ms(50)).await });
            group.spawn(async { sleep(ms(500)).await });
        })
        .await
        .unwrap();
    assert!(group.join_next().await.unwrap().is_ok());
    let err = group.join_next().await.unwrap().unwrap_err();
    assert!(err.is_elapsed() && err.is_cancelled() && !err.is_panic());
    assert_eq!(start.elapsed(), ms(100));
    assert!(err.to_string().contains("deadline elapsed"), "{err}");
}

#[tokio::test(start_paused = true)]
async fn work_spawned_outside_any_scope_is_not_cut_off() {
    let mut group = TaskGroup::new(1);
    group.spawn(async {
        sleep(Duration::from_secs(3600)).await;
        Deadline::current()
    });
    assert_eq!(group.join_next().await.unwrap().unwrap(), Deadline::never());
}

#[tokio::test(start_paused = true)]
async fn handle_spawns_inherit_the_deadline_of_the_spawning_task() {
    let mut group = TaskGroup::new(4);
    let handle = group.handle();
    let budget = Deadline::after(ms(100));
    budget
        .scope(async {
            group.spawn(async move {
                handle.spawn(async { Deadline::current() }).expect("open");
                Deadline::current()
            });
        })
        .await
        .unwrap();
    for result in group.join_all().await {
        assert_eq!(result.unwrap(), budget);
    }
}

#[tokio::test(start_paused = true)]
async fn work_spawned_without_deadline_outlives_the_scope() {
    let start = Instant::now();
    let mut group = TaskGroup::new(4);
    let handle = group.handle();
    let budget = Deadline::after(ms(100));
    budget
        .scope(async {
            group.spawn(async {
                sleep(ms(500)).await;
                Deadline::current()
            });
            group.spawn_without_deadline(async {
                sleep(ms(500)).await;
                Deadline::current()
            });
            handle
                .spawn_without_deadline(async {
                    sleep(ms(300)).await;
                    Deadline::current()
                })
                .unwrap();
        })
        .await
        .unwrap();
    let results = group.join_all().await;
    assert_eq!(start.elapsed(), ms(500));
    assert!(results[0].as_ref().unwrap_err().is_elapsed());
    assert_eq!(results[1].as_ref().unwrap(), &Deadline::never());
    assert_eq!(results[2].as_ref().unwrap(), &Deadline::never());
}

#[tokio::test(start_paused = true)]
async fn work_spawned_without_deadline_can_scope_a_budget_of_its_own() {
    let mut group = TaskGroup::new(1);
    let own = Deadline::after(ms(300));
    Deadline::after(ms(100))
        .scope(async {
            group.spawn_without_deadline(own.scope(async {
                sleep(ms(200)).await;
                Deadline::current()
            }));
        })
        .await
        .unwrap();
    assert_eq!(group.join_next().await.unwrap().unwrap(), Ok(own));
}

#[tokio::test(start_paused = true)]
async fn waiting_work_keeps_its_own_deadline_when_it_starts_later() {
    let mut group = TaskGroup::new(1);
    group.spawn(async {
        sleep(ms(300)).await;
        Deadline::current()
    });
    let budget = Deadline::after(ms(100));
    budget
        .scope(async { group.spawn(async { Deadline::current() }) })
        .await
        .unwrap();
    // The second job starts at 300 ms, past its budget: it is still polled
    // once (a ready future wins over an expired deadline) and sees it.
    assert_eq!(group.join_next().await.unwrap().unwrap(), Deadline::never());
    assert_eq!(group.join_next().await.unwrap().unwrap(), budget);
}

#[tokio::test(start_paused = true)]
async fn blocking_work_sees_the_deadline() {
    let mut group = TaskGroup::new(1);
    let budget = Deadline::after(ms(100));
    budget
        .scope(async { group.spawn_blocking(Deadline::current) })
        .await
        .unwrap();
    assert_eq!(group.join_next().await.unwrap().unwrap(), budget);
}

#[tokio::test(start_paused = true)]
async fn rate_limit_wait_past_the_deadline_fails_at_once() {
    let limiter = RateLimiter::per_second(1);
    limiter.acquire().await;
    let start = Instant::now();
    let outcome = Deadline::after(ms(500))
        .scope(limiter.acquire_within())
        .await
        .unwrap();
    let elapsed = outcome.unwrap_err();
    assert_eq!(start.elapsed(), Duration::ZERO);
    assert_eq!(elapsed.limit(), ms(500));
    // Nothing was taken: the next permit is still due at 1 s.
    assert_eq!(
        limiter.try_acquire().unwrap_err().wait(),
        Duration::from_secs(1)
    );
}

#[tokio::test(start_paused = true)]
async fn rate_limit_wait_within_the_deadline_waits() {
    let limiter = RateLimiter::per_second(10);
    limiter.acquire().await;
    let start = Instant::now();
    Deadline::after(ms(150))
        .scope(limiter.acquire_within())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(start.elapsed(), ms(100));
}

#[tokio::test(start_paused = true)]
async fn rate_limit_wait_counts_the_waiters_ahead() {
    let limiter = RateLimiter::per_second(10);
    limiter.acquire().await;
    // Two waiters queued ahead: the permit for a third is due at 300 ms.
    let ahead = tokio::spawn({
        let limiter = limiter.clone();
        async move {
            tokio::join!(limiter.acquire(), limiter.acquire());
        }
    });
    tokio::task::yield_now().await;
    let start = Instant::now();
    let outcome = Deadline::after(ms(250))
        .scope(limiter.acquire_within())
        .await
        .unwrap();
    assert!(outcome.is_err());
    assert_eq!(start.elapsed(), Duration::ZERO);
    ahead.await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn rate_limit_wait_is_cut_off_if_a_pause_pushes_the_permit_back() {
    let limiter = RateLimiter::per_second(10);
    limiter.acquire().await;
    let start = Instant::now();
    let within = Deadline::after(ms(150)).scope(limiter.acquire_within());
    let pauser = async {
        sleep(ms(10)).await;
        limiter.pause_for(Duration::from_secs(1));
    };
    let (outcome, ()) = tokio::join!(within, pauser);
    // The inner guard fires first: the scope sees `acquire_within` fail.
    assert!(outcome.unwrap().is_err());
    assert_eq!(start.elapsed(), ms(150));
}

#[tokio::test(start_paused = true)]
async fn rate_limit_wait_outside_any_scope_never_fails() {
    let limiter = RateLimiter::per_second(1);
    limiter.acquire().await;
    let start = Instant::now();
    limiter.acquire_within().await.unwrap();
    assert_eq!(start.elapsed(), Duration::from_secs(1));
}

#[tokio::test(start_paused = true)]
async fn pool_get_ends_with_the_ambient_deadline() {
    let pool = Pool::new(1, || async { 0_u8 });
    let held = pool.get().await;
    let start = Instant::now();
    let outcome = Deadline::after(ms(100)).scope(pool.get()).await;
    assert!(outcome.is_err());
    assert_eq!(start.elapsed(), ms(100));
    drop(held);
    assert_eq!(pool.idle(), 1);
}

#[tokio::test(start_paused = true)]
async fn queue_waits_end_with_the_ambient_deadline() {
    let (tx, rx) = queue::bounded::<u8>(1);
    let start = Instant::now();
    assert!(Deadline::after(ms(100)).scope(rx.recv()).await.is_err());
    assert_eq!(start.elapsed(), ms(100));
    tx.try_send(1).unwrap();
    assert!(Deadline::after(ms(100)).scope(tx.send(2)).await.is_err());
    assert_eq!(start.elapsed(), ms(200));
    assert!(Deadline::after(ms(100)).scope(tx.join()).await.is_err());
    assert_eq!(start.elapsed(), ms(300));
    // The timed-out send left nothing behind.
    assert_eq!(rx.len(), 1);
}
