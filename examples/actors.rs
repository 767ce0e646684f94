//! Counter and logger actors exchanging messages.
//!
//! Two counters report every change to one logger. Clients increment the
//! counters from several tasks, read them back with `ask`, then everything is
//! stopped gracefully: each actor handles what is left in its mailbox before
//! it ends.
//!
//! ```text
//! cargo run --example actors
//! ```

use async_patterns::actor::{self, Actor, Addr, Context, Reply};

/// Prints the lines it gets, numbered, and remembers how many it printed.
struct Logger {
    printed: usize,
}

enum LogMsg {
    Line { from: &'static str, text: String },
    Printed(Reply<usize>),
}

impl Actor for Logger {
    type Message = LogMsg;

    async fn handle(&mut self, msg: LogMsg, _ctx: &mut Context<Self>) {
        match msg {
            LogMsg::Line { from, text } => {
                self.printed += 1;
                println!("[log #{:02}] {from}: {text}", self.printed);
            }
            LogMsg::Printed(reply) => reply.send(self.printed),
        }
    }

    async fn stopped(&mut self) {
        println!("[log] logger stopped after {} lines", self.printed);
    }
}

/// A counter that reports each change to the logger.
struct Counter {
    name: &'static str,
    value: i64,
    log: Addr<Logger>,
}

enum CountMsg {
    Add(i64),
    Get(Reply<i64>),
}

impl Counter {
    async fn log(&self, text: String) {
        // The logger outlives the counters here; if it did not, the line
        // would come back in the error and we would just drop it.
        let _ = self
            .log
            .send(LogMsg::Line {
                from: self.name,
                text,
            })
            .await;
    }
}

impl Actor for Counter {
    type Message = CountMsg;

    async fn started(&mut self, _ctx: &mut Context<Self>) {
        self.log("started at 0".to_string()).await;
    }

    async fn handle(&mut self, msg: CountMsg, _ctx: &mut Context<Self>) {
        match msg {
            CountMsg::Add(n) => {
                self.value += n;
                self.log(format!("{n:+} -> {}", self.value)).await;
            }
            CountMsg::Get(reply) => reply.send(self.value),
        }
    }

    async fn stopped(&mut self) {
        self.log(format!("stopped at {}", self.value)).await;
    }
}

#[tokio::main]
async fn main() {
    let logger = actor::spawn(Logger { printed: 0 });
    let apples = actor::spawn(Counter {
        name: "apples",
        value: 0,
        log: logger.clone(),
    });
    let pears = actor::spawn(Counter {
        name: "pears",
        value: 0,
        log: logger.clone(),
    });

    // Three clients, each with its own copy of the addresses.
    let clients: Vec<_> = (1..=3)
        .map(|client| {
            let (apples, pears) = (apples.clone(), pears.clone());
            tokio::spawn(async move {
                apples.send(CountMsg::Add(client)).await.unwrap();
                pears.send(CountMsg::Add(-client)).await.unwrap();
            })
        })
        .collect();
    for client in clients {
        client.await.unwrap();
    }

    // Request/reply: the answer comes back through the `Reply` in the message.
    let a = apples.ask(CountMsg::Get).await.unwrap();
    let p = pears.ask(CountMsg::Get).await.unwrap();
    println!("apples = {a}, pears = {p}");

    // Graceful stop: messages already queued are still handled.
    apples.send(CountMsg::Add(100)).await.unwrap();
    apples.stop();
    pears.stop();
    apples.join().await.unwrap();
    pears.join().await.unwrap();
    // A stopped actor refuses new messages and hands them back.
    if let Err(refused) = apples.send(CountMsg::Add(1)).await {
        if let CountMsg::Add(n) = refused.into_inner() {
            println!("apples is stopped; Add({n}) came back to the sender");
        }
    }

    // The counters are gone; the logger has handled all of their lines.
    let printed = logger.ask(LogMsg::Printed).await.unwrap();
    println!("the logger printed {printed} lines");
    logger.stop();
    logger.join().await.unwrap();
}
