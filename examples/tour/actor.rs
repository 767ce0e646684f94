//! actors (asyncio.Queue + task per actor) -> async_patterns::actor

use async_patterns::actor::{self, Actor, AskError, Context, Reply};

/// A bank account: only its own task touches `balance`, so no lock.
struct Account {
    balance: u64,
}

enum Msg {
    Deposit(u64),
    Withdraw(u64, Reply<Result<u64, u64>>),
    Balance(Reply<u64>),
}

impl Actor for Account {
    type Message = Msg;

    async fn handle(&mut self, msg: Msg, _ctx: &mut Context<Self>) {
        match msg {
            Msg::Deposit(n) => self.balance += n,
            Msg::Withdraw(n, reply) => match self.balance.checked_sub(n) {
                Some(left) => {
                    self.balance = left;
                    reply.send(Ok(left));
                }
                None => reply.send(Err(self.balance)),
            },
            Msg::Balance(reply) => reply.send(self.balance),
        }
    }

    async fn stopped(&mut self) {
        println!("  account closed with {}", self.balance);
    }
}

pub(crate) async fn run() {
    let account = actor::spawn(Account { balance: 0 });

    // Ten depositors share one address; the actor serialises them.
    let depositors: Vec<_> = (0..10)
        .map(|_| {
            let account = account.clone();
            tokio::spawn(async move { account.send(Msg::Deposit(10)).await.unwrap() })
        })
        .collect();
    for d in depositors {
        d.await.unwrap();
    }
    println!(
        "  balance after 10 deposits: {:?}",
        account.ask(Msg::Balance).await
    );
    println!(
        "  withdraw 30: {:?}",
        account.ask(|reply| Msg::Withdraw(30, reply)).await
    );
    println!(
        "  withdraw 500: {:?} (refused, balance returned)",
        account.ask(|reply| Msg::Withdraw(500, reply)).await
    );

    account.send(Msg::Deposit(5)).await.unwrap();
    account.stop(); // graceful: the queued deposit is still handled
    account.join().await.unwrap();
    let after: Result<u64, AskError> = account.ask(Msg::Balance).await;
    println!("  ask after stop: {after:?}");
}
