//! Write batching for a Rust-side writer: a pure state machine deciding when queued messages should be flushed and
//! when a producer must be pushed back. It does no I/O; the writer owns the bytes and asks the [`Batcher`] what to do.

/// Batching limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchPolicy {
    /// Flush once this many messages are queued.
    pub batch_size: usize,
    /// Flush once this many bytes are queued.
    pub batch_max_bytes: usize,
    /// Refuse new messages while queued + in-flight bytes would exceed this (backpressure).
    pub max_pending_bytes: usize,
}

impl Default for BatchPolicy {
    fn default() -> Self {
        BatchPolicy {
            batch_size: 100,
            batch_max_bytes: 1 << 20,
            max_pending_bytes: 64 << 20,
        }
    }
}

/// What the writer should do with a message it offered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Offer {
    /// Queued; the batch is not full yet.
    Queued,
    /// Queued, and the batch is now full: `take` it and write it.
    FlushNow,
    /// Not queued: it would push pending bytes past `max_pending_bytes`. Retry after `release`.
    Rejected,
}

/// Counts the current batch and the bytes pending (queued or taken but not yet released).
#[derive(Debug, Clone, Default)]
pub struct Batcher {
    policy: BatchPolicy,
    count: usize,
    bytes: usize,
    pending: usize,
}

impl Batcher {
    /// A batcher with the given limits.
    pub fn new(policy: BatchPolicy) -> Self {
        Batcher {
            policy,
            count: 0,
            bytes: 0,
            pending: 0,
        }
    }

    /// The limits.
    pub fn policy(&self) -> &BatchPolicy {
        &self.policy
    }

    /// Offers a message of `len` bytes.
    pub fn offer(&mut self, len: usize) -> Offer {
        match self.pending.checked_add(len) {
            Some(p) if p <= self.policy.max_pending_bytes => self.pending = p,
            _ => return Offer::Rejected,
        }
        self.count += 1;
        self.bytes += len;
        if self.count >= self.policy.batch_size || self.bytes >= self.policy.batch_max_bytes {
            Offer::FlushNow
        } else {
            Offer::Queued
        }
    }

    /// Takes the current batch as `(messages, bytes)` and starts a new one. Its bytes stay pending until `release`.
    pub fn take(&mut self) -> (usize, usize) {
        let batch = (self.count, self.bytes);
        self.count = 0;
        self.bytes = 0;
        batch
    }

    /// The writer finished writing `bytes` taken earlier: they no longer count against `max_pending_bytes`.
    pub fn release(&mut self, bytes: usize) {
        self.pending = self.pending.saturating_sub(bytes);
    }

    /// Messages in the current batch.
    pub fn queued(&self) -> usize {
        self.count
    }

    /// Bytes queued or in flight.
    pub fn pending_bytes(&self) -> usize {
        self.pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> Batcher {
        Batcher::new(BatchPolicy {
            batch_size: 3,
            batch_max_bytes: 100,
            max_pending_bytes: 150,
        })
    }

    #[test]
    fn defaults() {
        let p = BatchPolicy::default();
        assert_eq!(
            (p.batch_size, p.batch_max_bytes, p.max_pending_bytes),
            (100, 1 << 20, 64 << 20)
        );
    }

    #[test]
    fn flushes_on_count() {
        let mut b = small();
        assert_eq!(b.offer(1), Offer::Queued);
        assert_eq!(b.offer(1), Offer::Queued);
        assert_eq!(b.offer(1), Offer::FlushNow);
        assert_eq!(b.take(), (3, 3));
        assert_eq!(b.queued(), 0);
        assert_eq!(b.pending_bytes(), 3);
        assert_eq!(b.take(), (0, 0));
    }

    #[test]
    fn flushes_on_bytes() {
        let mut b = small();
        assert_eq!(b.offer(60), Offer::Queued);
        assert_eq!(b.offer(40), Offer::FlushNow);
        assert_eq!(b.take(), (2, 100));
    }

    #[test]
    fn rejects_past_pending_limit_until_released() {
        let mut b = small();
        assert_eq!(b.offer(100), Offer::FlushNow);
        assert_eq!(b.take(), (1, 100));
        assert_eq!(b.offer(50), Offer::Queued);
        assert_eq!(b.offer(1), Offer::Rejected);
        assert_eq!(b.queued(), 1);
        b.release(100);
        assert_eq!(b.offer(1), Offer::Queued);
        assert_eq!(b.pending_bytes(), 51);
        assert_eq!(b.offer(usize::MAX), Offer::Rejected);
        b.release(usize::MAX);
        assert_eq!(b.pending_bytes(), 0);
    }
}
