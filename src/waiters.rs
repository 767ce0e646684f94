//! FIFO lists of parked tasks, shared by the queue, the rate limiter and
//! `Event`, stored in a slab so that a registration is an index and is
//! freed in O(1) when its future is dropped.

use std::fmt;
use std::task::Waker;

/// Sentinel for "no slot" in the intrusive links.
const NIL: usize = usize::MAX;

/// When every slot is free and the slab has grown past this many slots, the
/// slab is released, so a burst of waiters does not pin memory forever.
const SHRINK_ABOVE: usize = 64;

/// Where a registration stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SlotState {
    /// Unused; `next` links it into the free list.
    Free,
    /// Linked into the FIFO and parked.
    Waiting,
    /// Unlinked and woken because the waiter was served (its value was taken,
    /// a slot or permits were granted, an item is there for it, or the event
    /// happened).
    Notified,
    /// Unlinked and woken because the queue closed before it was served.
    Closed,
}

struct WaiterSlot<V> {
    state: SlotState,
    prev: usize,
    next: usize,
    waker: Option<Waker>,
    value: Option<V>,
}

/// A FIFO of waiters; `V` is what a waiter leaves with the list (a blocked
/// sender's item, a rate-limiter waiter's request).
///
/// Serving a waiter unlinks it: one that is served but never comes to
/// collect (its task stalls: it neither polls nor drops its future) no
/// longer stands in line, and the next serving goes to the next waiter.
///
/// Invariants: exactly the `Waiting` slots are linked between `head` and
/// `tail`, in registration order (except `push_front`); `Notified` and
/// `Closed` slots are unlinked and stay allocated until their owner calls
/// [`WaiterList::remove`]; `Free` slots form the free list from `free`.
pub(crate) struct WaiterList<V> {
    slots: Vec<WaiterSlot<V>>,
    free: usize,
    head: usize,
    tail: usize,
    /// Number of slots that are not `Free`.
    in_use: usize,
}

impl<V> WaiterList<V> {
    pub(crate) const fn new() -> Self {
        Self {
            slots: Vec::new(),
            free: NIL,
            head: NIL,
            tail: NIL,
            in_use: 0,
        }
    }

    /// True if some registration is parked in the list.
    pub(crate) fn has_waiting(&self) -> bool {
        self.head != NIL
    }

    /// The first parked waiter, if any.
    pub(crate) fn front(&self) -> Option<usize> {
        (self.head != NIL).then_some(self.head)
    }

    /// What the waiter `key` left with the list, without taking it.
    pub(crate) fn value(&self, key: usize) -> Option<&V> {
        self.slots[key].value.as_ref()
    }

    /// Queues a wakeup for the first parked waiter, which stays parked (for
    /// a waiter that has a duty at the front, such as running a timer).
    pub(crate) fn wake_front(&self, wake: &mut WakeList) {
        if let Some(w) = self.front().and_then(|k| self.slots[k].waker.as_ref()) {
            wake.push(w.clone());
        }
    }

    /// Number of allocated slots (used, or free for reuse).
    #[cfg(test)]
    pub(crate) fn allocated(&self) -> usize {
        self.slots.len()
    }

    /// Number of registrations not yet removed by their owners.
    pub(crate) fn in_use(&self) -> usize {
        self.in_use
    }

    fn alloc(&mut self, waker: &Waker, value: Option<V>) -> usize {
        self.in_use += 1;
        let slot = WaiterSlot {
            state: SlotState::Waiting,
            prev: NIL,
            next: NIL,
            waker: Some(waker.clone()),
            value,
        };
        if self.free == NIL {
            self.slots.push(slot);
            self.slots.len() - 1
        } else {
            let key = self.free;
            self.free = self.slots[key].next;
            self.slots[key] = slot;
            key
        }
    }

    /// Parks a new waiter at the back of the FIFO.
    pub(crate) fn push_back(&mut self, waker: &Waker, value: Option<V>) -> usize {
        let key = self.alloc(waker, value);
        self.slots[key].prev = self.tail;
        if self.tail == NIL {
            self.head = key;
        } else {
            self.slots[self.tail].next = key;
        }
        self.tail = key;
        key
    }

    /// Parks a waiter at the front: one that was served, lost its item to a
    /// competitor and keeps its place in line.
    pub(crate) fn push_front(&mut self, waker: &Waker, value: Option<V>) -> usize {
        let key = self.alloc(waker, value);
        self.slots[key].next = self.head;
        if self.head == NIL {
            self.tail = key;
        } else {
            self.slots[self.head].prev = key;
        }
        self.head = key;
        key
    }

    fn unlink(&mut self, key: usize) {
        let (prev, next) = (self.slots[key].prev, self.slots[key].next);
        if prev == NIL {
            self.head = next;
        } else {
            self.slots[prev].next = next;
        }
        if next == NIL {
            self.tail = prev;
        } else {
            self.slots[next].prev = prev;
        }
        self.slots[key].prev = NIL;
        self.slots[key].next = NIL;
    }

    pub(crate) fn state(&self, key: usize) -> SlotState {
        self.slots[key].state
    }

    /// Replaces the stored waker unless it would wake the same task.
    pub(crate) fn set_waker(&mut self, key: usize, waker: &Waker) {
        let slot = &mut self.slots[key];
        match &slot.waker {
            Some(w) if w.will_wake(waker) => {}
            _ => slot.waker = Some(waker.clone()),
        }
    }

    /// Takes the value the waiter left with the list.
    pub(crate) fn take_value(&mut self, key: usize) -> Option<V> {
        self.slots[key].value.take()
    }

    /// Frees `key` (unlinking it if it is still parked) and returns the value
    /// it still held, for the caller to drop outside the lock.
    pub(crate) fn remove(&mut self, key: usize) -> Option<V> {
        if self.slots[key].state == SlotState::Waiting {
            self.unlink(key);
        }
        let slot = &mut self.slots[key];
        debug_assert_ne!(slot.state, SlotState::Free);
        slot.state = SlotState::Free;
        slot.waker = None;
        let value = slot.value.take();
        slot.next = self.free;
        self.free = key;
        self.in_use -= 1;
        if self.in_use == 0 && self.slots.len() > SHRINK_ABOVE {
            self.slots = Vec::new();
            self.free = NIL;
        }
        value
    }

    /// Unlinks the first parked waiter, marks it `Notified` and queues its
    /// waker on `wake`. Returns its key, or `None` if nobody waits.
    pub(crate) fn notify_front(&mut self, wake: &mut WakeList) -> Option<usize> {
        let (key, waker) = self.serve_front()?;
        if let Some(w) = waker {
            wake.push(w);
        }
        Some(key)
    }

    /// Unlinks the first parked waiter and marks it `Notified`, handing its
    /// waker to the caller (who need not wake a waiter that is itself).
    pub(crate) fn serve_front(&mut self) -> Option<(usize, Option<Waker>)> {
        let key = self.head;
        if key == NIL {
            return None;
        }
        self.unlink(key);
        let slot = &mut self.slots[key];
        slot.state = SlotState::Notified;
        Some((key, slot.waker.take()))
    }

    /// Unlinks every parked waiter, marking each `state` and queueing its
    /// waker. Returns how many there were.
    pub(crate) fn notify_all(&mut self, state: SlotState, wake: &mut WakeList) -> usize {
        let mut n = 0;
        while let Some(key) = self.notify_front(wake) {
            self.slots[key].state = state;
            n += 1;
        }
        n
    }
}

impl<V> fmt::Debug for WaiterList<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaiterList")
            .field("has_waiting", &self.has_waiting())
            .field("in_use", &self.in_use)
            .finish()
    }
}

/// Wakers collected under the lock and woken after it is released, so that
/// no waker (user code) runs while the lock is held.
///
/// The first two are kept in place: a queue operation that frees a slot and
/// queues an item typically wakes a sender and a receiver, which must not
/// cost an allocation. Filled in order: `second` is `None` while `first`
/// is, and `rest` empty while `second` is.
#[derive(Default)]
pub(crate) struct WakeList {
    first: Option<Waker>,
    second: Option<Waker>,
    rest: Vec<Waker>,
}

impl WakeList {
    pub(crate) const fn new() -> Self {
        Self {
            first: None,
            second: None,
            rest: Vec::new(),
        }
    }

    #[inline]
    pub(crate) fn push(&mut self, waker: Waker) {
        if self.first.is_none() {
            self.first = Some(waker);
        } else if self.second.is_none() {
            self.second = Some(waker);
        } else {
            self.rest.push(waker);
        }
    }

    /// Wakes everything collected. Call with the lock released.
    ///
    /// Inlined check: most operations collect nothing, and then there is
    /// nothing to drop either (filled in order).
    #[inline]
    pub(crate) fn wake(self) {
        if self.first.is_some() {
            self.wake_all();
        } else {
            debug_assert!(self.second.is_none() && self.rest.capacity() == 0);
            std::mem::forget(self);
        }
    }

    #[inline(never)]
    fn wake_all(self) {
        let Self {
            first,
            second,
            rest,
        } = self;
        if let Some(w) = first {
            w.wake();
        }
        if let Some(w) = second {
            w.wake();
        }
        if !rest.is_empty() {
            rest.into_iter().for_each(Waker::wake);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::task::Waker;

    #[test]
    fn fifo_and_removal() {
        let w = Waker::noop();
        let mut list = WaiterList::<u32>::new();
        let a = list.push_back(w, Some(1));
        let b = list.push_back(w, Some(2));
        let c = list.push_back(w, Some(3));
        assert_eq!(list.remove(b), Some(2));
        let mut wake = WakeList::new();
        assert_eq!(list.notify_front(&mut wake), Some(a));
        assert_eq!(list.notify_front(&mut wake), Some(c));
        assert_eq!(list.notify_front(&mut wake), None);
        assert_eq!(list.state(a), SlotState::Notified);
        list.remove(a);
        list.remove(c);
        assert_eq!(list.in_use(), 0);
        let d = list.push_front(w, None);
        let e = list.push_front(w, None);
        assert_eq!(list.notify_front(&mut wake), Some(e));
        list.remove(d);
        list.remove(e);
        assert_eq!(list.allocated(), 3);
    }

    #[test]
    fn storage_is_released() {
        let w = Waker::noop();
        let mut list = WaiterList::<()>::new();
        let keys: Vec<_> = (0..1000).map(|_| list.push_back(w, None)).collect();
        for k in keys {
            list.remove(k);
        }
        assert_eq!(list.allocated(), 0);
        for _ in 0..100_000 {
            let k = list.push_back(w, None);
            list.remove(k);
        }
        assert_eq!(list.allocated(), 1);
    }

    #[test]
    fn wake_list_wakes_every_waker_once() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::task::Wake;

        struct Count(AtomicUsize);
        impl Wake for Count {
            fn wake(self: Arc<Self>) {
                self.0.fetch_add(1, Ordering::SeqCst);
            }
        }
        for n in [0, 1, 2, 3, 6] {
            let counts: Vec<_> = (0..n)
                .map(|_| Arc::new(Count(AtomicUsize::new(0))))
                .collect();
            let mut wake = WakeList::new();
            for c in &counts {
                wake.push(Waker::from(Arc::clone(c)));
            }
            wake.wake();
            for c in &counts {
                assert_eq!(c.0.load(Ordering::SeqCst), 1);
            }
        }
    }
}
