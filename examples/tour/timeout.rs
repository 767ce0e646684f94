//! asyncio.wait_for / asyncio.timeout -> async_patterns::timeout

use std::time::Duration;

use async_patterns::prelude::*;
use async_patterns::timeout::{Deadline, timeout};
use tokio::time::sleep;

async fn fetch(name: &str, latency: Duration) -> String {
    sleep(latency).await;
    format!("{name} done")
}

pub(crate) async fn run() {
    // wait_for(coro, timeout)
    let quick = timeout(
        Duration::from_millis(50),
        fetch("quick", Duration::from_millis(10)),
    )
    .await;
    println!("wait_for(quick, 50ms)  -> {quick:?}");
    let slow = fetch("slow", Duration::from_millis(200))
        .timeout(Duration::from_millis(50))
        .await;
    match slow {
        Ok(out) => println!("wait_for(slow, 50ms)   -> {out}"),
        Err(elapsed) => println!("wait_for(slow, 50ms)   -> TimeoutError: {elapsed}"),
    }

    // async with asyncio.timeout(0.1): a budget shared by several steps.
    let request = Deadline::after(Duration::from_millis(100));
    let outcome = request
        .scope(async {
            for step in 1..=5 {
                println!(
                    "  step {step}: {:>3} ms left in the request budget",
                    Deadline::current().remaining().as_millis()
                );
                // Each step asks for 40 ms but can never outlive the budget.
                fetch("step", Duration::from_millis(40))
                    .timeout(Duration::from_secs(10))
                    .await
                    .ok();
            }
        })
        .await;
    match outcome {
        Ok(()) => println!("async with timeout(100ms): all steps finished"),
        Err(elapsed) => println!("async with timeout(100ms): TimeoutError: {elapsed}"),
    }
}
