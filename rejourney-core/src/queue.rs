//! Bounded drop-oldest queues between threads.
//!
//! The producer never blocks and the queue never grows: when full, the oldest item is pushed
//! out and handed back so the caller can count it. Items live in a lock-free
//! `crossbeam_queue::ArrayQueue`; a one-slot `crossbeam_channel` acts as the doorbell that
//! wakes the consumer (a pending ring is never lost, extra rings coalesce).

use std::time::Duration;

use crossbeam_channel::{bounded, Receiver, RecvTimeoutError, Sender, TrySendError};
use crossbeam_queue::ArrayQueue;

#[derive(Debug)]
pub struct DropOldestQueue<T> {
    items: ArrayQueue<T>,
    bell_tx: Sender<()>,
    bell_rx: Receiver<()>,
}

impl<T> DropOldestQueue<T> {
    /// `capacity` must be at least 1 (enforced by config validation; 0 is bumped to 1).
    pub fn new(capacity: usize) -> Self {
        let (bell_tx, bell_rx) = bounded(1);
        Self {
            items: ArrayQueue::new(capacity.max(1)),
            bell_tx,
            bell_rx,
        }
    }

    /// Adds `item`, returning the oldest item if one had to make room.
    pub fn push(&self, item: T) -> Option<T> {
        let displaced = self.items.force_push(item);
        self.ring();
        displaced
    }

    pub fn pop(&self) -> Option<T> {
        self.items.pop()
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn is_full(&self) -> bool {
        self.items.is_full()
    }

    pub fn capacity(&self) -> usize {
        self.items.capacity()
    }

    /// Wakes a consumer blocked in [`DropOldestQueue::wait`].
    pub fn ring(&self) {
        match self.bell_tx.try_send(()) {
            Ok(()) | Err(TrySendError::Full(())) | Err(TrySendError::Disconnected(())) => {}
        }
    }

    /// Blocks until rung or until `timeout` (forever if `None`). Returns whether it was rung.
    pub fn wait(&self, timeout: Option<Duration>) -> bool {
        match timeout {
            None => self.bell_rx.recv().is_ok(),
            Some(t) => !matches!(self.bell_rx.recv_timeout(t), Err(RecvTimeoutError::Timeout)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn drops_oldest_keeps_newest_and_never_grows() {
        let q = DropOldestQueue::new(3);
        let mut dropped = Vec::new();
        for i in 0..10 {
            if let Some(old) = q.push(i) {
                dropped.push(old);
            }
            assert!(q.len() <= 3);
        }
        assert_eq!(dropped, (0..7).collect::<Vec<_>>());
        assert_eq!(
            (q.pop(), q.pop(), q.pop(), q.pop()),
            (Some(7), Some(8), Some(9), None)
        );
    }

    #[test]
    fn ring_wakes_a_waiting_consumer_and_rings_coalesce() {
        let q = Arc::new(DropOldestQueue::<u8>::new(1));
        assert!(!q.wait(Some(Duration::from_millis(10))), "nothing rang");
        q.ring();
        q.ring();
        assert!(q.wait(Some(Duration::from_secs(5))));
        assert!(
            !q.wait(Some(Duration::from_millis(10))),
            "two rings coalesced into one"
        );
        let q2 = q.clone();
        let t = std::thread::spawn(move || q2.wait(Some(Duration::from_secs(10))));
        q.push(1);
        assert!(t.join().unwrap());
    }
}
