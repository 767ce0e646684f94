//! The actor task: hooks, the message loop, and how the end is reported.

use std::panic::{AssertUnwindSafe, catch_unwind};

use futures::FutureExt;
use tokio::sync::oneshot;

use super::error::Stage;
use super::queue::Receiver;
use super::{Actor, ActorError, Context};

/// The actor task's receiver. Dropping it closes the mailbox and drops
/// whatever is still in it, so that requests queued in an actor whose task
/// is cancelled (aborted, or its runtime shut down) fail with `NoReply`
/// instead of waiting for the last `Addr` to go, and later sends fail with
/// their message back.
///
/// Invariant: it is built before the task is spawned and moved into the
/// task's future as an argument of [`run`], so that it is dropped with that
/// future even when the future was never polled (a runtime that shuts down
/// before the task first runs). Built inside `run`'s body, it would only
/// exist from the first poll on.
pub(super) struct Mailbox<M>(Receiver<M>);

impl<M> Mailbox<M> {
    pub(super) fn new(rx: Receiver<M>) -> Self {
        Self(rx)
    }
}

impl<M> Drop for Mailbox<M> {
    fn drop(&mut self) {
        drop(self.0.shutdown());
    }
}

/// Runs `actor` until its mailbox is closed and drained, then reports the
/// outcome through `done`.
///
/// `done` is sent only after the actor, its context and any messages left in
/// the mailbox have been dropped, so `join` returning means that the
/// actor's resources are released.
pub(super) async fn run<A: Actor>(
    mut actor: A,
    mut ctx: Context<A>,
    rx: Mailbox<A::Message>,
    done: oneshot::Sender<Result<(), ActorError>>,
) {
    let mut stage = Stage::Started;
    // One `catch_unwind` around the whole life rather than one per message:
    // `stage` says where a panic came from.
    let lived = AssertUnwindSafe(async {
        actor.started(&mut ctx).await;
        stage = Stage::Handle;
        while let Ok(msg) = rx.0.recv().await {
            actor.handle(msg, &mut ctx).await;
        }
        stage = Stage::Stopped;
        actor.stopped().await;
    })
    .catch_unwind()
    .await;

    let mut outcome = lived.map_err(|payload| ActorError::panicked(stage, payload));
    // After a panic nobody reads the mailbox any more: close it so that
    // later sends fail with their message back, and drop what was queued
    // (dropping a request's `Reply` fails its `ask` with `NoReply`). After
    // a normal end the mailbox is already closed and empty.
    let leftover = if outcome.is_err() {
        rx.0.shutdown()
    } else {
        Vec::new()
    };
    drop(ctx);
    // User `Drop` code runs here (the actor's and the leftover messages');
    // a panic in it is reported rather than turned into a cancelled task.
    if let Err(payload) = catch_unwind(AssertUnwindSafe(move || drop((leftover, actor)))) {
        if outcome.is_ok() {
            outcome = Err(ActorError::panicked(Stage::Drop, payload));
        }
    }
    drop(rx);
    // Nobody may be joining; that is fine.
    let _ = done.send(outcome);
}
