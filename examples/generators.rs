//! Async generators without macros: Python's `async def ...: yield ...`.
//!
//! ```text
//! cargo run --example generators
//! ```
//!
//! Two generators: `async_range`, the classic, and `all_users`, an async
//! iterator over a paged source (an API that returns one page at a time with
//! a cursor to the next), which hides the paging from its consumer and only
//! fetches the next page when the consumer gets there.

use std::time::Duration;

use async_patterns::stream::{generate, try_generate};
use futures::{Stream, StreamExt, TryStreamExt};

/// ```python
/// async def async_range(n, delay):
///     for i in range(n):
///         await asyncio.sleep(delay)
///         yield i
/// ```
fn async_range(n: u32, delay: Duration) -> impl Stream<Item = u32> {
    generate(move |mut y| async move {
        for i in 0..n {
            tokio::time::sleep(delay).await;
            y.send(i).await;
        }
    })
}

/// One page of a paged API.
struct Page {
    users: Vec<String>,
    next: Option<u32>,
}

#[derive(Debug)]
struct ApiError(String);

/// A fake paged API: three pages of users, then the end. Asking for page 9
/// fails, to show how an error ends a `try_generate` stream.
async fn fetch_page(cursor: u32) -> Result<Page, ApiError> {
    tokio::time::sleep(Duration::from_millis(5)).await;
    println!("  (fetching page {cursor})");
    match cursor {
        0..=2 => Ok(Page {
            users: (0..3).map(|i| format!("user-{}", cursor * 3 + i)).collect(),
            next: (cursor < 2).then_some(cursor + 1),
        }),
        _ => Err(ApiError(format!("no page {cursor}"))),
    }
}

/// ```python
/// async def all_users(cursor=0):
///     while cursor is not None:
///         page = await fetch_page(cursor)
///         for user in page.users:
///             yield user
///         cursor = page.next
/// ```
fn all_users(start: u32) -> impl Stream<Item = Result<String, ApiError>> {
    try_generate(move |mut y| async move {
        let mut cursor = Some(start);
        while let Some(at) = cursor {
            let page = fetch_page(at).await?;
            for user in page.users {
                y.send(user).await;
            }
            cursor = page.next;
        }
        Ok(())
    })
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), ApiError> {
    // async for i in async_range(5, 0.01): print(i)
    let mut numbers = std::pin::pin!(async_range(5, Duration::from_millis(10)));
    while let Some(i) = numbers.next().await {
        println!("async_range -> {i}");
    }

    // The consumer decides how far to go: taking 4 users fetches 2 pages,
    // not 3 (the generator is suspended, then dropped).
    let first: Vec<String> = all_users(0).take(4).try_collect().await?;
    println!("first four users: {first:?}");

    let everyone: Vec<String> = all_users(0).try_collect().await?;
    println!("{} users in total", everyone.len());

    // An error from the source is the stream's last item.
    match all_users(9).try_collect::<Vec<_>>().await {
        Ok(_) => println!("unexpected success"),
        Err(ApiError(message)) => println!("paging failed: {message}"),
    }
    Ok(())
}
