use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use tokio::time::Instant;

use super::Shared;

/// An object checked out of a [`Pool`](super::Pool); goes back when dropped.
///
/// Dereferences to the object. Dropping it, also during a panic, returns
/// the object to the pool and wakes the next waiter;
/// [`detach`](Self::detach) keeps it instead and frees its place in the pool.
pub struct Pooled<T> {
    /// `Some` until dropped or detached.
    object: Option<T>,
    /// When the factory made it, for `max_lifetime`.
    created: Instant,
    shared: Arc<Shared<T>>,
}

impl<T> Pooled<T> {
    /// Wraps `object`; the caller has already `forget`-ed the permit this
    /// guard now stands for (given back on drop or detach).
    pub(super) fn new(shared: Arc<Shared<T>>, object: T, created: Instant) -> Self {
        Self {
            object: Some(object),
            created,
            shared,
        }
    }

    /// Takes the object out of the pool for good. The pool may create a
    /// replacement for the next `get`.
    ///
    /// Use it for an object that turned out broken (a closed connection), or
    /// one you want to keep.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_patterns::pool::Pool;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let pool = Pool::new(1, || async { String::from("conn") });
    /// let conn: String = pool.get().await.detach();
    /// assert_eq!(conn, "conn");
    /// assert_eq!((pool.in_use(), pool.idle()), (0, 0));
    /// # }
    /// ```
    #[must_use = "detaching returns the object; dropping it here destroys it"]
    pub fn detach(mut self) -> T {
        let object = self.object.take().expect("present until drop or detach");
        self.shared.release_place();
        object
    }
}

impl<T> Deref for Pooled<T> {
    type Target = T;

    fn deref(&self) -> &T {
        self.object.as_ref().expect("present until drop or detach")
    }
}

impl<T> DerefMut for Pooled<T> {
    fn deref_mut(&mut self) -> &mut T {
        self.object.as_mut().expect("present until drop or detach")
    }
}

impl<T> Drop for Pooled<T> {
    fn drop(&mut self) {
        if let Some(object) = self.object.take() {
            self.shared.put_back(object, self.created);
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for Pooled<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Shows the object itself: `object` is `Some` while anyone can
        // reach the guard.
        f.debug_tuple("Pooled").field(&**self).finish()
    }
}
