//! The background task of one opened queue: it renews the leases of the
//! live jobs, acknowledges (in batches) the jobs dropped without `.await`,
//! puts back the ones dropped during a panic, and, once every handle and
//! job is gone, removes its consumer from the group if it holds nothing.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;

use super::calls::{BATCH, Calls};
use super::shared::Release;

pub(super) async fn run(
    calls: Calls,
    live: Arc<Mutex<HashSet<String>>>,
    mut rx: mpsc::UnboundedReceiver<Release>,
) {
    // Renewing three times per lease survives one failed renewal.
    let period = (calls.lease / 3).max(Duration::from_millis(1));
    let mut next_tick = Instant::now() + period;
    // Acks that failed (Redis away): still renewed, and tried again.
    let mut unacked: Vec<String> = Vec::new();
    let mut ops = Vec::new();
    loop {
        match tokio::time::timeout_at(next_tick, rx.recv_many(&mut ops, BATCH)).await {
            Ok(0) => break,
            Ok(_) => {
                for op in ops.drain(..) {
                    match op {
                        Release::Finish(id) => unacked.push(id),
                        Release::Retry(lease) => {
                            // On failure the lease expires: redelivered after `lease`.
                            let _ = calls.retry(&lease, Duration::ZERO).await;
                            live.lock().unwrap().remove(&lease.id);
                        }
                    }
                }
                calls.ack_all(&mut unacked, &live).await;
            }
            Err(_) => {
                calls.ack_all(&mut unacked, &live).await;
                renew(&calls, &live).await;
                next_tick = Instant::now() + period;
            }
        }
    }
    calls.ack_all(&mut unacked, &live).await;
    // Anything still unacknowledged is redelivered after its lease.
    let _ = calls.forget().await;
}

async fn renew(calls: &Calls, live: &Mutex<HashSet<String>>) {
    let ids: Vec<String> = live.lock().unwrap().iter().cloned().collect();
    for chunk in ids.chunks(BATCH) {
        // A lease another consumer took over (after this process stalled
        // for longer than the lease) is no longer ours to renew.
        if let Ok(lost) = calls.renew(chunk).await {
            let mut live = live.lock().unwrap();
            for id in lost {
                live.remove(&id);
            }
        }
    }
}
