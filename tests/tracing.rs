//! The `tracing` feature: group tasks run in the span current at spawn,
//! retries report each failed attempt and the end, and waits are recorded.
//! A hand-written layer records every span and event with its parent.
#![cfg(feature = "tracing")]

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_patterns::actor::{self, Actor, AskError, Context as ActorContext, Reply};
use async_patterns::executor::TaskGroup;
use async_patterns::pool::Pool;
use async_patterns::queue;
use async_patterns::rate_limit::RateLimiter;
use async_patterns::retry::{Backoff, retry};
use tracing::field::{Field, Visit};
use tracing::span::Attributes;
use tracing::{Event, Id, Instrument, Level, Subscriber, info, info_span};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

/// One recorded span or event: its name (an event's message), the name of
/// its parent span, and its fields.
#[derive(Debug, Clone)]
struct Record {
    name: String,
    parent: Option<String>,
    fields: Vec<(String, String)>,
}

impl Record {
    fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Clone, Default)]
struct Recorder {
    spans: Arc<Mutex<Vec<Record>>>,
    events: Arc<Mutex<Vec<Record>>>,
}

struct Fields(Vec<(String, String)>);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.push((field.name().to_owned(), format!("{value:?}")));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.push((field.name().to_owned(), value.to_owned()));
    }
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Recorder {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut fields = Fields(Vec::new());
        attrs.record(&mut fields);
        let parent = ctx
            .span(id)
            .and_then(|span| span.parent())
            .map(|p| p.name().to_owned());
        self.spans.lock().unwrap().push(Record {
            name: attrs.metadata().name().to_owned(),
            parent,
            fields: fields.0,
        });
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut fields = Fields(Vec::new());
        event.record(&mut fields);
        let name = fields
            .0
            .iter()
            .find(|(n, _)| n == "message")
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        let parent = ctx.event_span(event).map(|s| s.name().to_owned());
        self.events.lock().unwrap().push(Record {
            name,
            parent,
            fields: fields.0,
        });
    }
}

impl Recorder {
    /// Records everything on this thread until the guard drops.
    fn install(&self) -> tracing::subscriber::DefaultGuard {
        let subscriber = tracing_subscriber::registry().with(self.clone().with_filter(
            tracing_subscriber::filter::LevelFilter::from_level(Level::TRACE),
        ));
        tracing::subscriber::set_default(subscriber)
    }

    fn events(&self, name: &str) -> Vec<Record> {
        let events = self.events.lock().unwrap();
        events.iter().filter(|e| e.name == name).cloned().collect()
    }

    fn spans(&self, name: &str) -> Vec<Record> {
        let spans = self.spans.lock().unwrap();
        spans.iter().filter(|e| e.name == name).cloned().collect()
    }
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[tokio::test(start_paused = true)]
async fn group_tasks_run_in_the_span_current_at_spawn() {
    let recorder = Recorder::default();
    let _guard = recorder.install();
    let mut group = TaskGroup::new(1);
    let handle = group.handle();
    info_span!("request", id = 7).in_scope(|| {
        group.spawn(async move {
            tokio::time::sleep(ms(1)).await;
            info!("in the task");
            // A task's own spawns inherit its span too.
            handle.spawn(async { info!("in the child") }).unwrap();
        });
    });
    // Queued work too: it starts later, on another task, still in its span.
    info_span!("batch").in_scope(|| group.spawn(async { info!("queued") }));
    // The joiner's span is not the tasks'.
    async {
        while let Some(result) = group.join_next().await {
            result.unwrap();
        }
    }
    .instrument(info_span!("joiner"))
    .await;
    let task = recorder.events("in the task");
    assert_eq!(task.len(), 1);
    assert_eq!(task[0].parent.as_deref(), Some("request"));
    assert_eq!(
        recorder.events("in the child")[0].parent.as_deref(),
        Some("request")
    );
    assert_eq!(
        recorder.events("queued")[0].parent.as_deref(),
        Some("batch")
    );
    assert_eq!(recorder.spans("request")[0].field("id"), Some("7"));
}

#[tokio::test(start_paused = true)]
async fn retry_reports_each_failed_attempt_and_giving_up() {
    let recorder = Recorder::default();
    let _guard = recorder.install();
    let mut calls = 0;
    let outcome: Result<(), &str> = retry(Backoff::constant(ms(10)).max_retries(2), || {
        calls += 1;
        async { Err("refused") }
    })
    .instrument(info_span!("fetch"))
    .await;
    assert!(outcome.is_err());
    let failed = recorder.events("attempt failed; retrying");
    assert_eq!(failed.len(), 2);
    for (i, event) in failed.iter().enumerate() {
        assert_eq!(event.parent.as_deref(), Some("fetch"));
        assert_eq!(event.field("attempt"), Some((i + 1).to_string().as_str()));
        assert_eq!(event.field("delay"), Some("10ms"));
        assert_eq!(event.field("error_type"), Some("&str"));
    }
    let gave_up = recorder.events("giving up");
    assert_eq!(gave_up.len(), 1);
    assert_eq!(gave_up[0].parent.as_deref(), Some("fetch"));
    assert_eq!(gave_up[0].field("attempts"), Some("3"));
    assert_eq!(gave_up[0].field("reason"), Some("retries exhausted"));
}

#[tokio::test(start_paused = true)]
async fn a_success_after_a_failure_does_not_give_up() {
    let recorder = Recorder::default();
    let _guard = recorder.install();
    let mut calls = 0;
    let outcome: Result<u32, &str> = retry(Backoff::constant(ms(10)), || {
        calls += 1;
        let ok = calls > 1;
        async move { if ok { Ok(1) } else { Err("flaky") } }
    })
    .await;
    assert_eq!(outcome, Ok(1));
    assert_eq!(recorder.events("attempt failed; retrying").len(), 1);
    assert!(recorder.events("giving up").is_empty());
}

#[tokio::test(start_paused = true)]
async fn rate_limit_waits_are_recorded_in_the_waiters_span() {
    let recorder = Recorder::default();
    let _guard = recorder.install();
    let limiter = RateLimiter::per_second(10);
    limiter.acquire().await;
    limiter.acquire().instrument(info_span!("caller")).await;
    let waited = recorder.events("permit granted after waiting");
    assert_eq!(waited.len(), 1);
    assert_eq!(waited[0].parent.as_deref(), Some("caller"));
    assert_eq!(waited[0].field("wait"), Some("100ms"));
    assert_eq!(waited[0].field("permits"), Some("1"));
}

#[tokio::test(start_paused = true)]
async fn pool_gets_get_a_span_with_their_wait() {
    let recorder = Recorder::default();
    let _guard = recorder.install();
    let pool = Pool::new(1, || async { 0_u8 });
    let held = pool.get().await;
    let releaser = async {
        tokio::time::sleep(ms(30)).await;
        drop(held);
    };
    // The span opens where `get` is called, as a child of the caller's.
    let get = async { pool.get().await }.instrument(info_span!("caller"));
    let (got, ()) = tokio::join!(get, releaser);
    drop(got);
    let spans = recorder.spans("pool.get");
    assert_eq!(spans.len(), 2);
    assert_eq!(spans[1].parent.as_deref(), Some("caller"));
    let checked_out = recorder.events("checked out");
    assert_eq!(checked_out.len(), 2);
    assert!(
        checked_out
            .iter()
            .all(|e| e.parent.as_deref() == Some("pool.get"))
    );
    assert_eq!(checked_out[1].field("wait"), Some("30ms"));
}

/// Answers after 20 ms; drops a zero request unanswered.
struct Slow;

impl Actor for Slow {
    type Message = (u32, Reply<u32>);

    async fn handle(&mut self, (n, reply): Self::Message, _ctx: &mut ActorContext<Self>) {
        tokio::time::sleep(ms(20)).await;
        if n > 0 {
            reply.send(n * 2);
        }
    }
}

#[tokio::test(start_paused = true)]
async fn actor_asks_get_a_span_with_their_wait() {
    let recorder = Recorder::default();
    let _guard = recorder.install();
    let slow = actor::spawn(Slow);
    // The span opens where `ask` is called, as a child of the caller's.
    let answer = async { slow.ask(|reply| (21, reply)).await }
        .instrument(info_span!("caller"))
        .await;
    assert_eq!(answer, Ok(42));
    let unanswered = slow.ask(|reply| (0, reply)).await;
    assert_eq!(unanswered, Err(AskError::NoReply));

    let spans = recorder.spans("actor.ask");
    assert_eq!(spans.len(), 2);
    assert_eq!(spans[0].parent.as_deref(), Some("caller"));
    assert_eq!(spans[1].parent, None);
    assert!(spans[0].field("actor").unwrap().ends_with("Slow"));
    let answered = recorder.events("answered");
    assert_eq!(answered.len(), 1);
    assert_eq!(answered[0].parent.as_deref(), Some("actor.ask"));
    assert_eq!(answered[0].field("wait"), Some("20ms"));
    let not_answered = recorder.events("not answered");
    assert_eq!(not_answered.len(), 1);
    assert_eq!(not_answered[0].parent.as_deref(), Some("actor.ask"));
    assert_eq!(not_answered[0].field("wait"), Some("20ms"));
    assert_eq!(
        not_answered[0].field("error"),
        Some(AskError::NoReply.to_string().as_str())
    );
}

#[tokio::test(start_paused = true)]
async fn a_worker_runs_each_job_in_its_span() {
    let recorder = Recorder::default();
    let _guard = recorder.install();
    let (tx, rx) = queue::unbounded();
    for n in 1..=2_u64 {
        tx.send(n).await.unwrap();
    }
    tx.close();
    async {
        while let Ok(job) = rx.recv_job().await {
            let n = *job;
            async move {
                tokio::time::sleep(ms(5 * n)).await;
                info!(n, "working");
            }
            .instrument(job.span().clone())
            .await;
        }
    }
    .instrument(info_span!("worker"))
    .await;

    let jobs = recorder.spans("queue.job");
    assert_eq!(jobs.len(), 2);
    assert!(jobs.iter().all(|j| j.parent.as_deref() == Some("worker")));
    let working = recorder.events("working");
    assert_eq!(working.len(), 2);
    assert!(
        working
            .iter()
            .all(|e| e.parent.as_deref() == Some("queue.job"))
    );
    let done = recorder.events("job done");
    assert_eq!(done.len(), 2);
    assert!(
        done.iter()
            .all(|e| e.parent.as_deref() == Some("queue.job"))
    );
    let busy: Vec<_> = done.iter().map(|e| e.field("busy").unwrap()).collect();
    assert_eq!(busy, ["5ms", "10ms"]);
    assert_eq!(rx.unfinished(), 0);
}
