//! The `actor.ask` span of an [`Ask`](super::Ask) under the `tracing`
//! feature; without it, [`AskTrace`] is a zero-sized no-op.

use super::AskError;

/// What an `ask` records: a span opened where `ask` was called (a child of
/// the caller's span), entered on every poll, and closed by one event with
/// the time from `ask` to the answer.
#[cfg(feature = "tracing")]
pub(super) struct AskTrace {
    span: tracing::Span,
    /// `None` when no subscriber wants the span: no clock read then.
    started: Option<tokio::time::Instant>,
}

#[cfg(feature = "tracing")]
impl AskTrace {
    /// `actor` is the actor's type name.
    pub(super) fn new(actor: &'static str) -> Self {
        let span = tracing::debug_span!(target: "async_patterns::actor", "actor.ask", actor);
        let started = (!span.is_disabled()).then(tokio::time::Instant::now);
        Self { span, started }
    }

    pub(super) fn enter(&self) -> tracing::span::Entered<'_> {
        self.span.enter()
    }

    /// Records the end of the `ask`; called inside [`enter`](Self::enter).
    pub(super) fn finish<R>(&self, outcome: &Result<R, AskError>) {
        let Some(started) = self.started else { return };
        let wait = started.elapsed();
        match outcome {
            Ok(_) => tracing::debug!(target: "async_patterns::actor", ?wait, "answered"),
            Err(error) => {
                tracing::debug!(target: "async_patterns::actor", ?wait, %error, "not answered");
            }
        }
    }
}

/// Without the `tracing` feature: nothing to record.
#[cfg(not(feature = "tracing"))]
pub(super) struct AskTrace;

#[cfg(not(feature = "tracing"))]
impl AskTrace {
    #[inline(always)]
    pub(super) fn new(_actor: &'static str) -> Self {
        Self
    }

    /// Nothing to enter; returns a value (not `()`) so that the caller's
    /// `let _entered` reads the same with and without the feature.
    #[inline(always)]
    pub(super) fn enter(&self) -> &Self {
        self
    }

    #[inline(always)]
    pub(super) fn finish<R>(&self, _outcome: &Result<R, AskError>) {}
}
