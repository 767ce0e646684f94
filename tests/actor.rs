//! Behaviour of `async_patterns::actor`.

use std::sync::{Arc, Mutex};

use async_patterns::actor::{
    self, Actor, ActorError, Addr, AskError, Context, Reply, TrySendError,
};
use tokio_test::{assert_pending, assert_ready, task};

type Log = Arc<Mutex<Vec<String>>>;

fn log() -> Log {
    Arc::new(Mutex::new(Vec::new()))
}

fn entries(log: &Log) -> Vec<String> {
    log.lock().unwrap().clone()
}

/// Records every hook and message in a shared log.
struct Recorder {
    log: Log,
}

enum Msg {
    Note(String),
    Get(Reply<usize>),
    Stop,
    Panic(&'static str),
    DropReply(Reply<usize>),
}

impl Actor for Recorder {
    type Message = Msg;

    async fn started(&mut self, _ctx: &mut Context<Self>) {
        self.log.lock().unwrap().push("started".into());
    }

    async fn handle(&mut self, msg: Msg, ctx: &mut Context<Self>) {
        match msg {
            Msg::Note(s) => self.log.lock().unwrap().push(s),
            Msg::Get(reply) => reply.send(self.log.lock().unwrap().len()),
            Msg::Stop => {
                self.log.lock().unwrap().push("stop".into());
                ctx.stop();
            }
            Msg::Panic(text) => panic!("{text}"),
            Msg::DropReply(reply) => drop(reply),
        }
    }

    async fn stopped(&mut self) {
        self.log.lock().unwrap().push("stopped".into());
    }
}

fn note(s: &str) -> Msg {
    Msg::Note(s.to_string())
}

#[tokio::test]
async fn hooks_run_around_the_messages() {
    let log = log();
    let addr = actor::spawn(Recorder { log: log.clone() });
    addr.send(note("a")).await.unwrap();
    addr.send(note("b")).await.unwrap();
    addr.stop();
    addr.join().await.unwrap();
    assert_eq!(entries(&log), ["started", "a", "b", "stopped"]);
}

#[tokio::test]
async fn ask_gets_the_reply() {
    let log = log();
    let addr = actor::spawn(Recorder { log: log.clone() });
    addr.send(note("a")).await.unwrap();
    // "started" and "a"
    assert_eq!(addr.ask(Msg::Get).await, Ok(2));
}

#[tokio::test]
async fn ask_fails_when_the_reply_is_dropped() {
    let addr = actor::spawn(Recorder { log: log() });
    assert_eq!(addr.ask(Msg::DropReply).await, Err(AskError::NoReply));
    // The actor is still alive.
    assert_eq!(addr.ask(Msg::Get).await, Ok(1));
}

#[tokio::test]
async fn ask_on_a_stopped_actor_is_closed() {
    let addr = actor::spawn(Recorder { log: log() });
    addr.stop();
    assert!(addr.is_closed());
    assert_eq!(addr.ask(Msg::Get).await, Err(AskError::Closed));
    addr.join().await.unwrap();
    assert_eq!(addr.ask(Msg::Get).await, Err(AskError::Closed));
}

#[tokio::test(flavor = "current_thread")]
async fn stop_drains_the_mailbox_first() {
    let log = log();
    let addr = actor::spawn_with_mailbox(Recorder { log: log.clone() }, 8);
    // The actor task has not run yet: everything below is queued.
    for i in 0..5 {
        addr.try_send(note(&i.to_string())).unwrap();
    }
    let asked = tokio::spawn({
        let addr = addr.clone();
        async move { addr.ask(Msg::Get).await }
    });
    tokio::task::yield_now().await;
    addr.stop();
    let err = addr.send(note("late")).await.unwrap_err();
    assert!(matches!(err.into_inner(), Msg::Note(s) if s == "late"));
    addr.join().await.unwrap();
    assert_eq!(
        entries(&log),
        ["started", "0", "1", "2", "3", "4", "stopped"]
    );
    // The request queued before `stop` was answered.
    assert_eq!(asked.await.unwrap(), Ok(6));
}

#[tokio::test(flavor = "current_thread")]
async fn context_stop_is_graceful() {
    let log = log();
    let addr = actor::spawn(Recorder { log: log.clone() });
    addr.try_send(note("a")).unwrap();
    addr.try_send(Msg::Stop).unwrap();
    addr.try_send(note("b")).unwrap();
    addr.join().await.unwrap();
    assert_eq!(entries(&log), ["started", "a", "stop", "b", "stopped"]);
    assert!(matches!(
        addr.try_send(note("c")),
        Err(TrySendError::Closed(_))
    ));
}

#[tokio::test]
async fn dropping_every_addr_stops_the_actor() {
    let log = log();
    let addr = actor::spawn(Recorder { log: log.clone() });
    let join = addr.join();
    addr.send(note("a")).await.unwrap();
    drop(addr);
    join.await.unwrap();
    assert_eq!(entries(&log), ["started", "a", "stopped"]);
}

#[tokio::test]
async fn panic_in_handle_is_reported_and_closes_the_mailbox() {
    let log = log();
    let addr = actor::spawn(Recorder { log: log.clone() });
    addr.send(Msg::Panic("boom")).await.unwrap();
    let err = addr.join().await.unwrap_err();
    assert!(err.is_panic());
    assert!(!err.is_cancelled());
    assert_eq!(err.panic_message(), Some("boom"));
    assert_eq!(err.to_string(), "actor panicked in `handle`: boom");
    // The payload is the one `panic!` produced.
    let payload = err.try_into_panic().unwrap();
    assert_eq!(payload.downcast_ref::<String>().unwrap(), "boom");

    // Later sends fail and give the message back.
    let back = addr.send(note("after")).await.unwrap_err().into_inner();
    assert!(matches!(back, Msg::Note(s) if s == "after"));
    assert!(matches!(
        addr.try_send(note("after")),
        Err(TrySendError::Closed(Msg::Note(_)))
    ));
    assert_eq!(addr.ask(Msg::Get).await, Err(AskError::Closed));
    // `stopped` does not run after a panic.
    assert_eq!(entries(&log), ["started"]);
}

#[tokio::test(flavor = "current_thread")]
async fn panic_drops_queued_requests_with_no_reply() {
    let addr = actor::spawn(Recorder { log: log() });
    addr.try_send(Msg::Panic("boom")).unwrap();
    // The request gets into the mailbox behind the panicking message.
    let mut queued = task::spawn(addr.ask(Msg::Get));
    assert_pending!(queued.poll());
    assert!(addr.join().await.unwrap_err().is_panic());
    assert!(queued.is_woken());
    assert_eq!(assert_ready!(queued.poll()), Err(AskError::NoReply));
}

struct PanicsOnStart;

impl Actor for PanicsOnStart {
    type Message = ();

    async fn started(&mut self, _ctx: &mut Context<Self>) {
        panic!("no start");
    }

    async fn handle(&mut self, (): (), _ctx: &mut Context<Self>) {
        unreachable!("never started");
    }
}

#[tokio::test]
async fn panic_in_started_is_reported() {
    let addr = actor::spawn(PanicsOnStart);
    let err = addr.join().await.unwrap_err();
    assert_eq!(err.to_string(), "actor panicked in `started`: no start");
    assert!(addr.send(()).await.is_err());
}

struct PanicsOnStop;

impl Actor for PanicsOnStop {
    type Message = ();

    async fn handle(&mut self, (): (), _ctx: &mut Context<Self>) {}

    async fn stopped(&mut self) {
        std::panic::panic_any(42_u32);
    }
}

#[tokio::test]
async fn panic_in_stopped_keeps_a_non_string_payload() {
    let addr = actor::spawn(PanicsOnStop);
    addr.stop();
    let err = addr.join().await.unwrap_err();
    assert_eq!(err.panic_message(), None);
    assert_eq!(err.to_string(), "actor panicked in `stopped`");
    assert_eq!(
        *err.try_into_panic().unwrap().downcast::<u32>().unwrap(),
        42
    );
}

#[tokio::test]
async fn join_from_several_clones() {
    let addr = actor::spawn(Recorder { log: log() });
    addr.send(Msg::Panic("shared")).await.unwrap();
    let joins: Vec<_> = (0..4)
        .map(|_| {
            let addr = addr.clone();
            tokio::spawn(async move { addr.join().await })
        })
        .collect();
    let mut payloads = 0;
    for join in joins {
        let err = join.await.unwrap().unwrap_err();
        assert_eq!(err.panic_message(), Some("shared"));
        payloads += usize::from(err.try_into_panic().is_ok());
    }
    // One payload, handed to exactly one of the clones.
    assert_eq!(payloads, 1);
    // Joining after the end is immediate and gives the same outcome.
    assert!(addr.join().await.unwrap_err().is_panic());
}

#[tokio::test(flavor = "current_thread")]
async fn join_is_woken_when_the_actor_ends_and_can_be_dropped() {
    let addr = actor::spawn(Recorder { log: log() });
    let mut first = task::spawn(addr.join());
    let mut second = task::spawn(addr.join());
    assert_pending!(first.poll());
    assert_pending!(second.poll());
    drop(first);
    addr.stop();
    // Let the actor task run to the end.
    while !second.is_woken() {
        tokio::task::yield_now().await;
    }
    assert!(assert_ready!(second.poll()).is_ok());
}

#[test]
fn join_reports_cancelled_when_the_runtime_shuts_down() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let addr = rt.block_on(async { actor::spawn(Recorder { log: log() }) });
    drop(rt);
    let err = futures::executor::block_on(addr.join()).unwrap_err();
    assert!(err.is_cancelled());
    assert!(err.try_into_panic().is_err());
    assert!(addr.try_send(note("x")).is_err());
}

/// Regression (issue 18, E1): the mailbox used to be drained only by code
/// inside the actor's task, so a request queued before the task ever ran
/// waited forever once the runtime shut down.
#[test]
fn ask_fails_when_the_task_never_ran() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let _in_runtime = rt.enter();
    let addr = actor::spawn(Recorder { log: log() });
    // The request gets into the mailbox; the actor's task has not run yet.
    let mut asked = task::spawn(addr.ask(Msg::Get));
    assert_pending!(asked.poll());
    drop(_in_runtime);
    drop(rt);
    assert!(asked.is_woken());
    assert_eq!(assert_ready!(asked.poll()), Err(AskError::NoReply));
    let back = futures::executor::block_on(addr.send(note("late"))).unwrap_err();
    assert!(matches!(back.into_inner(), Msg::Note(s) if s == "late"));
    assert!(
        futures::executor::block_on(addr.join())
            .unwrap_err()
            .is_cancelled()
    );
}

#[tokio::test(flavor = "current_thread")]
async fn try_send_reports_full() {
    let addr = actor::spawn_with_mailbox(Recorder { log: log() }, 1);
    addr.try_send(note("a")).unwrap();
    assert!(matches!(addr.try_send(note("b")), Err(TrySendError::Full(Msg::Note(s))) if s == "b"));
}

#[test]
#[should_panic(expected = "actor mailbox capacity must be at least 1")]
fn zero_capacity_panics() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let _guard = rt.enter();
    let _ = actor::spawn_with_mailbox(Recorder { log: log() }, 0);
}

/// Keeps, per sender, the last sequence number seen, and checks order.
struct Sequencer {
    last: Vec<Option<u64>>,
    total: u64,
}

enum SeqMsg {
    Item { sender: usize, seq: u64 },
    Total(Reply<u64>),
}

impl Actor for Sequencer {
    type Message = SeqMsg;

    async fn handle(&mut self, msg: SeqMsg, _ctx: &mut Context<Self>) {
        match msg {
            SeqMsg::Item { sender, seq } => {
                let last = &mut self.last[sender];
                assert!(
                    last.is_none_or(|l| l + 1 == seq),
                    "sender {sender}: {seq} after {last:?}"
                );
                *last = Some(seq);
                self.total += 1;
            }
            SeqMsg::Total(reply) => reply.send(self.total),
        }
    }
}

async fn pump(addr: Addr<Sequencer>, senders: usize, per_sender: u64) -> Result<u64, ActorError> {
    let tasks: Vec<_> = (0..senders)
        .map(|sender| {
            let addr = addr.clone();
            tokio::spawn(async move {
                for seq in 0..per_sender {
                    if seq % 2 == 0 {
                        addr.send(SeqMsg::Item { sender, seq }).await.unwrap();
                    } else {
                        // Mix in `try_send`, falling back to `send` when full.
                        if let Err(TrySendError::Full(msg)) =
                            addr.try_send(SeqMsg::Item { sender, seq })
                        {
                            addr.send(msg).await.unwrap();
                        }
                    }
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let total = addr.ask(SeqMsg::Total).await.unwrap();
    addr.stop();
    addr.join().await?;
    Ok(total)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_from_one_sender_keep_their_order() {
    let addr = actor::spawn_with_mailbox(
        Sequencer {
            last: vec![None; 4],
            total: 0,
        },
        4,
    );
    assert_eq!(pump(addr, 4, 2_000).await.unwrap(), 8_000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_thousand_messages_through_one_actor() {
    let addr = actor::spawn(Sequencer {
        last: vec![None; 2],
        total: 0,
    });
    assert_eq!(pump(addr, 2, 50_000).await.unwrap(), 100_000);
}

/// Talks to itself through `Context::addr`.
struct SelfSender {
    seen: Vec<u32>,
}

enum SelfMsg {
    Kick(Reply<()>),
    Echo(u32),
    Seen(Reply<Vec<u32>>),
}

impl Actor for SelfSender {
    type Message = SelfMsg;

    async fn handle(&mut self, msg: SelfMsg, ctx: &mut Context<Self>) {
        match msg {
            SelfMsg::Kick(done) => {
                for i in 0..3 {
                    ctx.addr().try_send(SelfMsg::Echo(i)).unwrap();
                }
                done.send(());
            }
            SelfMsg::Echo(i) => self.seen.push(i),
            SelfMsg::Seen(reply) => reply.send(self.seen.clone()),
        }
    }
}

#[tokio::test]
async fn context_addr_reaches_the_actor_itself() {
    let addr = actor::spawn(SelfSender { seen: Vec::new() });
    addr.ask(SelfMsg::Kick).await.unwrap();
    // `Kick` queued the echoes before this request.
    assert_eq!(addr.ask(SelfMsg::Seen).await.unwrap(), [0, 1, 2]);
}

/// Reports through a channel whether the asker was still waiting.
struct Patient {
    gate: Option<tokio::sync::oneshot::Receiver<()>>,
    closed: Option<tokio::sync::oneshot::Sender<bool>>,
}

impl Actor for Patient {
    type Message = Reply<()>;

    async fn handle(&mut self, reply: Reply<()>, _ctx: &mut Context<Self>) {
        self.gate.take().unwrap().await.unwrap();
        let _ = self.closed.take().unwrap().send(reply.is_closed());
        reply.send(());
    }
}

#[tokio::test]
async fn a_dropped_ask_closes_its_reply() {
    let (open, gate) = tokio::sync::oneshot::channel();
    let (closed_tx, closed_rx) = tokio::sync::oneshot::channel();
    let addr = actor::spawn(Patient {
        gate: Some(gate),
        closed: Some(closed_tx),
    });
    let mut ask = task::spawn(addr.ask(|reply| reply));
    // The request gets into the mailbox, then the asker gives up.
    assert_pending!(ask.poll());
    drop(ask);
    open.send(()).unwrap();
    assert!(closed_rx.await.unwrap());
}

#[test]
fn errors_are_displayed() {
    assert_eq!(
        AskError::Closed.to_string(),
        "the actor's mailbox is closed; the request was not delivered"
    );
    assert_eq!(
        AskError::NoReply.to_string(),
        "the actor dropped the reply without answering"
    );
}

/// Records items; `Hold` blocks it until the sender side of the gate fires.
struct Gated {
    seen: Arc<Mutex<Vec<u32>>>,
}

enum GatedMsg {
    Hold(tokio::sync::oneshot::Receiver<()>),
    Item(u32),
    Ask(Reply<u32>),
}

impl Actor for Gated {
    type Message = GatedMsg;

    async fn handle(&mut self, msg: GatedMsg, _ctx: &mut Context<Self>) {
        match msg {
            GatedMsg::Hold(gate) => {
                let _ = gate.await;
            }
            GatedMsg::Item(n) => self.seen.lock().unwrap().push(n),
            GatedMsg::Ask(reply) => reply.send(0),
        }
    }
}

/// A `Gated` actor with a mailbox of one, blocked in `Hold`, with `Item(1)`
/// filling its mailbox. Returns what it saw, its address and the gate's opener.
async fn gated_and_full() -> (
    Arc<Mutex<Vec<u32>>>,
    Addr<Gated>,
    tokio::sync::oneshot::Sender<()>,
) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let addr = actor::spawn_with_mailbox(Gated { seen: seen.clone() }, 1);
    let (open, gate) = tokio::sync::oneshot::channel();
    addr.send(GatedMsg::Hold(gate)).await.unwrap();
    // Let the actor take `Hold` and block on the gate; then fill the mailbox.
    tokio::task::yield_now().await;
    addr.send(GatedMsg::Item(1)).await.unwrap();
    (seen, addr, open)
}

#[tokio::test(flavor = "current_thread")]
async fn a_dropped_blocked_send_or_ask_delivers_nothing() {
    let (seen, addr, open) = gated_and_full().await;

    let mut blocked_send = task::spawn(addr.send(GatedMsg::Item(2)));
    let mut blocked_ask = task::spawn(addr.ask(GatedMsg::Ask));
    assert_pending!(blocked_send.poll());
    assert_pending!(blocked_ask.poll());
    drop(blocked_send);
    drop(blocked_ask);

    open.send(()).unwrap();
    addr.send(GatedMsg::Item(3))
        .await
        .unwrap_or_else(|_| panic!("closed"));
    addr.stop();
    addr.join().await.unwrap();
    assert_eq!(*seen.lock().unwrap(), [1, 3]);
}

#[tokio::test(flavor = "current_thread")]
async fn a_blocked_send_is_woken_with_its_message_when_the_actor_stops() {
    let (seen, addr, open) = gated_and_full().await;

    let mut blocked = task::spawn(addr.send(GatedMsg::Item(2)));
    assert_pending!(blocked.poll());
    addr.stop();
    assert!(blocked.is_woken());
    let back = assert_ready!(blocked.poll()).unwrap_err().into_inner();
    assert!(matches!(back, GatedMsg::Item(2)));
    open.send(()).unwrap();
    addr.join().await.unwrap();
    // The message queued before `stop` was still handled.
    assert_eq!(*seen.lock().unwrap(), [1]);
}

mod prop {
    use super::*;
    use proptest::prelude::*;

    #[derive(Debug, Clone)]
    enum Op {
        Send(u32),
        TrySend(u32),
        Yield,
        Stop,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => any::<u32>().prop_map(Op::Send),
            4 => any::<u32>().prop_map(Op::TrySend),
            2 => Just(Op::Yield),
            1 => Just(Op::Stop),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Every accepted message is handled exactly once, in order, even
        /// across a graceful stop; every refused one comes back to its sender.
        #[test]
        fn accepted_messages_are_handled_once_in_order(
            capacity in 1_usize..4,
            ops in proptest::collection::vec(op(), 0..40),
        ) {
            let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
            let (accepted, refused, seen) = rt.block_on(async {
                let seen = Arc::new(Mutex::new(Vec::new()));
                let addr = actor::spawn_with_mailbox(Gated { seen: seen.clone() }, capacity);
                let (mut accepted, mut refused) = (Vec::new(), Vec::new());
                for op in ops {
                    match op {
                        Op::Send(n) => match addr.send(GatedMsg::Item(n)).await {
                            Ok(()) => accepted.push(n),
                            Err(e) => refused.push((n, e.into_inner())),
                        },
                        Op::TrySend(n) => match addr.try_send(GatedMsg::Item(n)) {
                            Ok(()) => accepted.push(n),
                            Err(e) => refused.push((n, e.into_inner())),
                        },
                        Op::Yield => tokio::task::yield_now().await,
                        Op::Stop => addr.stop(),
                    }
                }
                addr.stop();
                addr.join().await.unwrap();
                let seen = seen.lock().unwrap().clone();
                (accepted, refused, seen)
            });
            prop_assert_eq!(seen, accepted);
            for (n, back) in refused {
                prop_assert!(matches!(back, GatedMsg::Item(m) if m == n));
            }
        }
    }
}

#[test]
fn queued_requests_fail_when_the_runtime_shuts_down() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let (_never, gate) = tokio::sync::oneshot::channel();
    let addr = rt.block_on(async {
        let addr = actor::spawn(Gated {
            seen: Arc::new(Mutex::new(Vec::new())),
        });
        addr.send(GatedMsg::Hold(gate)).await.unwrap();
        // The actor takes `Hold` and blocks on a gate that never opens.
        tokio::task::yield_now().await;
        addr
    });
    // The request gets into the mailbox behind `Hold`.
    let mut asked = task::spawn(addr.ask(GatedMsg::Ask));
    assert_pending!(asked.poll());
    drop(rt);
    assert!(asked.is_woken());
    assert_eq!(assert_ready!(asked.poll()), Err(AskError::NoReply));
    drop(asked);
    assert!(
        futures::executor::block_on(addr.join())
            .unwrap_err()
            .is_cancelled()
    );
}

struct PanicsOnDrop;

impl Drop for PanicsOnDrop {
    fn drop(&mut self) {
        panic!("dropped badly");
    }
}

impl Actor for PanicsOnDrop {
    type Message = ();

    async fn handle(&mut self, (): (), _ctx: &mut Context<Self>) {}
}

#[tokio::test]
async fn panic_while_dropping_the_actor_is_reported() {
    let addr = actor::spawn(PanicsOnDrop);
    addr.send(()).await.unwrap();
    addr.stop();
    let err = addr.join().await.unwrap_err();
    assert_eq!(err.to_string(), "actor panicked in `drop`: dropped badly");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn asks_racing_a_stop_never_hang() {
    for round in 0..20 {
        let addr = actor::spawn_with_mailbox(Recorder { log: log() }, 2);
        let askers: Vec<_> = (0..4)
            .map(|_| {
                let addr = addr.clone();
                tokio::spawn(async move {
                    let mut answered = 0;
                    loop {
                        match addr.ask(Msg::Get).await {
                            Ok(_) => answered += 1,
                            Err(AskError::Closed) => return answered,
                            Err(AskError::NoReply) => panic!("a graceful stop answers queued asks"),
                            Err(e) => panic!("{e}"),
                        }
                    }
                })
            })
            .collect();
        for _ in 0..round {
            tokio::task::yield_now().await;
        }
        addr.stop();
        let all = async {
            for asker in askers {
                asker.await.unwrap();
            }
        };
        tokio::time::timeout(std::time::Duration::from_secs(10), all)
            .await
            .expect("an ask hung");
        addr.join().await.unwrap();
    }
}

#[tokio::test]
async fn ask_returns_the_named_ask_future() {
    // DESIGN: returned futures are named types, so `Ask` can be stored in a
    // struct field or named in a signature.
    let addr = actor::spawn(Recorder { log: log() });
    let fut: actor::Ask<'_, Recorder, usize> = addr.ask(Msg::Get);
    assert_eq!(fut.await, Ok(1)); // "started"
    addr.stop();
    let fut: actor::Ask<'_, Recorder, usize> = addr.ask(Msg::Get);
    assert_eq!(fut.await, Err(AskError::Closed));
}
