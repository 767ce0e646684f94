//! Log lines batched by size or by time, written in chunks.
//!
//! ```text
//! cargo run --example batching
//! ```
//!
//! Producers emit log lines at an uneven pace. The writer flushes a chunk
//! when it has 8 lines, or 50 ms after the first line of a chunk, whichever
//! comes first, so a burst is written in full chunks and a trickle still
//! reaches the disk quickly. When the producers are done, the last partial
//! chunk is flushed and the writer exits. No chunk is ever empty.

use std::io::Write;
use std::time::Duration;

use async_patterns::prelude::*;
use futures::StreamExt;
use tokio::time::Instant;

const MAX_LINES: usize = 8;
const MAX_WAIT: Duration = Duration::from_millis(50);

/// Writes one chunk with a single `write_all`, as a file or socket writer
/// would.
fn write_chunk(out: &mut impl Write, start: Instant, lines: &[String]) -> std::io::Result<()> {
    let mut chunk = String::new();
    for line in lines {
        chunk.push_str(line);
        chunk.push('\n');
    }
    writeln!(
        out,
        "-- chunk of {} lines at {:>3} ms",
        lines.len(),
        start.elapsed().as_millis()
    )?;
    out.write_all(chunk.as_bytes())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let (tx, rx) = tokio::sync::mpsc::channel::<String>(256);

    // A burst of 20 lines, a pause, then a slow trickle of 3.
    let producer = tokio::spawn(async move {
        for i in 0..20 {
            tx.send(format!("burst line {i}")).await.unwrap();
        }
        tokio::time::sleep(Duration::from_millis(80)).await;
        for i in 0..3 {
            tx.send(format!("trickle line {i}")).await.unwrap();
            tokio::time::sleep(Duration::from_millis(30)).await;
        }
    });

    let start = Instant::now();
    let mut out = std::io::stdout().lock();
    let mut chunks = std::pin::pin!(
        tokio_stream::wrappers::ReceiverStream::new(rx).chunks_timeout(MAX_LINES, MAX_WAIT)
    );
    while let Some(lines) = chunks.next().await {
        write_chunk(&mut out, start, &lines)?;
    }
    out.flush()?;
    producer.await.expect("producer panicked");
    Ok(())
}
