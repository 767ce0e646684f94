//! The queue against its peers in interleaved rounds: the cells of
//! `queue_tasks.rs` (same endpoint code, `queue_cells.rs`), but each round
//! runs every peer of a cell once, in a new random order each round, and
//! the table gives each peer's median over the rounds.
//!
//! Why a second bench: on a shared or virtual machine the speed of the
//! whole machine drifts by tens of percent over minutes, and criterion
//! measures one peer after the other, so two rows of one group can be
//! taken at different speeds; interleaving gives every peer the same share
//! of fast and slow moments. Run it when the machine is otherwise idle:
//!
//! ```text
//! cargo bench -p async-patterns-benches --bench queue_rounds            # 15 rounds
//! QUEUE_ROUNDS=31 cargo bench -p async-patterns-benches --bench queue_rounds -- ct/
//! ```
//!
//! The optional argument keeps the cells whose name contains it. Output: a
//! Markdown table, ns per message (median over the rounds), and ours
//! divided by the best cancel-safe peer (tokio `mpsc`, async-channel,
//! flume; kanal is not cancel safe and is shown for reference).

#[path = "queue_cells.rs"]
mod cells;

use std::time::Instant;

use cells::{Consumers, MESSAGES, PEERS, cell_name, grid, run, runtime};

fn main() {
    let rounds: usize = std::env::var("QUEUE_ROUNDS")
        .ok()
        .map_or(15, |r| r.parse().expect("QUEUE_ROUNDS: a number of rounds"));
    // cargo passes `--bench`; the first other argument is the filter.
    let filter = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with("--"))
        .unwrap_or_default();
    let runtimes = [runtime(false), runtime(true)];
    let mut rng = fastrand::Rng::with_seed(16);
    println!("{rounds} rounds, ns per message (median), {MESSAGES} messages per run\n");
    print!("| cell |");
    for (name, _) in PEERS {
        print!(" {name} |");
    }
    println!(" ours / best cancel-safe |");
    println!("|---|{}---|", "---|".repeat(PEERS.len()));
    for (multi, producers, consumers, cap) in grid() {
        let cell = cell_name(multi, producers, consumers, cap);
        if !cell.contains(&filter) {
            continue;
        }
        let rt = &runtimes[usize::from(multi)];
        let peers: Vec<&str> = PEERS
            .iter()
            .filter(|(_, supports)| consumers == 1 || *supports == Consumers::Many)
            .map(|(name, _)| *name)
            .collect();
        let mut times: Vec<Vec<f64>> = vec![Vec::with_capacity(rounds); peers.len()];
        let mut order: Vec<usize> = (0..peers.len()).collect();
        for _ in 0..rounds {
            rng.shuffle(&mut order);
            for &p in &order {
                let start = Instant::now();
                let got = rt.block_on(run(peers[p], producers, consumers, cap));
                times[p].push(start.elapsed().as_secs_f64() * 1e9 / MESSAGES as f64);
                assert_eq!(got, MESSAGES, "{} lost messages", peers[p]);
            }
        }
        let medians: Vec<f64> = times.iter_mut().map(|t| median(t)).collect();
        let best_safe = peers
            .iter()
            .zip(&medians)
            .filter(|(name, _)| !matches!(**name, "async-patterns" | "kanal"))
            .map(|(_, m)| *m)
            .fold(f64::INFINITY, f64::min);
        print!("| {cell} |");
        for (name, _) in PEERS {
            match peers.iter().position(|p| *p == name) {
                Some(i) => print!(" {:.1} |", medians[i]),
                None => print!(" – |"),
            }
        }
        println!(" {:.2} |", medians[0] / best_safe);
    }
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}
