//! The route cache: (transport, method) → a [`Resolution`], least-recently-used eviction at a cap, and a TTL.
//!
//! A hash map from the key bytes to a node in a slab; the nodes form a doubly linked list in recency order (head =
//! most recent). Lookups build the key in a reused buffer, so a hit allocates nothing. The cache knows nothing of
//! staleness: the router checks a hit against the table ([`super::RouteTable::is_current`]) and removes it if the
//! table changed since.

use std::collections::HashMap;

use super::table::Resolution;
use super::TransportId;

const NIL: u32 = u32::MAX;

#[derive(Debug)]
struct Node {
    key: Box<[u8]>,
    value: Resolution,
    expires_at_ms: u64,
    prev: u32,
    next: u32,
}

/// What a lookup found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheOutcome {
    /// A live entry (now the most recently used).
    Hit(Resolution),
    /// No entry.
    Miss,
    /// An entry past its TTL: it was removed.
    Expired,
}

/// See the module docs.
#[derive(Debug)]
pub struct RouteCache {
    map: HashMap<Box<[u8]>, u32>,
    nodes: Vec<Node>,
    free: Vec<u32>,
    head: u32,
    tail: u32,
    capacity: usize,
    scratch: Vec<u8>,
}

impl RouteCache {
    /// An empty cache holding at most `capacity` entries (at least 1).
    pub fn new(capacity: usize) -> Self {
        RouteCache {
            map: HashMap::new(),
            nodes: Vec::new(),
            free: Vec::new(),
            head: NIL,
            tail: NIL,
            capacity: capacity.max(1),
            scratch: Vec::with_capacity(64),
        }
    }

    /// Entries held.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// True when no entry is held.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// The cap.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    fn key(&mut self, transport: TransportId, method: &[u8]) {
        self.scratch.clear();
        self.scratch.extend_from_slice(&transport.to_le_bytes());
        self.scratch.extend_from_slice(method);
    }

    fn unlink(&mut self, i: u32) {
        let (prev, next) = {
            let n = &self.nodes[i as usize];
            (n.prev, n.next)
        };
        if prev == NIL {
            self.head = next;
        } else {
            self.nodes[prev as usize].next = next;
        }
        if next == NIL {
            self.tail = prev;
        } else {
            self.nodes[next as usize].prev = prev;
        }
    }

    fn push_front(&mut self, i: u32) {
        let old = self.head;
        {
            let n = &mut self.nodes[i as usize];
            n.prev = NIL;
            n.next = old;
        }
        if old == NIL {
            self.tail = i;
        } else {
            self.nodes[old as usize].prev = i;
        }
        self.head = i;
    }

    fn remove_node(&mut self, i: u32) {
        self.unlink(i);
        let key = std::mem::take(&mut self.nodes[i as usize].key);
        self.map.remove(&key);
        self.free.push(i);
    }

    /// Looks `(transport, method)` up at time `now_ms`.
    pub fn get(&mut self, transport: TransportId, method: &[u8], now_ms: u64) -> CacheOutcome {
        self.key(transport, method);
        let Some(&i) = self.map.get(self.scratch.as_slice()) else {
            return CacheOutcome::Miss;
        };
        if self.nodes[i as usize].expires_at_ms <= now_ms {
            self.remove_node(i);
            return CacheOutcome::Expired;
        }
        if self.head != i {
            self.unlink(i);
            self.push_front(i);
        }
        CacheOutcome::Hit(self.nodes[i as usize].value)
    }

    /// Removes `(transport, method)`; returns whether it was held.
    pub fn remove(&mut self, transport: TransportId, method: &[u8]) -> bool {
        self.key(transport, method);
        match self.map.get(self.scratch.as_slice()) {
            Some(&i) => {
                self.remove_node(i);
                true
            }
            None => false,
        }
    }

    /// Caches a resolution until `now_ms + ttl_ms`; returns how many entries were evicted to make room (0 or 1).
    pub fn insert(
        &mut self,
        transport: TransportId,
        method: &[u8],
        value: Resolution,
        now_ms: u64,
        ttl_ms: u64,
    ) -> usize {
        let expires_at_ms = now_ms.saturating_add(ttl_ms);
        self.key(transport, method);
        if let Some(&i) = self.map.get(self.scratch.as_slice()) {
            let n = &mut self.nodes[i as usize];
            n.value = value;
            n.expires_at_ms = expires_at_ms;
            if self.head != i {
                self.unlink(i);
                self.push_front(i);
            }
            return 0;
        }
        let evicted = self.shrink_to(self.capacity - 1);
        let key: Box<[u8]> = self.scratch.as_slice().into();
        let node = Node {
            key: key.clone(),
            value,
            expires_at_ms,
            prev: NIL,
            next: NIL,
        };
        let i = match self.free.pop() {
            Some(i) => {
                self.nodes[i as usize] = node;
                i
            }
            None => {
                self.nodes.push(node);
                (self.nodes.len() - 1) as u32
            }
        };
        self.map.insert(key, i);
        self.push_front(i);
        evicted
    }

    /// Evicts least recently used entries until at most `n` remain; returns how many.
    fn shrink_to(&mut self, n: usize) -> usize {
        let mut evicted = 0;
        while self.map.len() > n && self.tail != NIL {
            self.remove_node(self.tail);
            evicted += 1;
        }
        evicted
    }

    /// Changes the cap, evicting least recently used entries beyond it; returns how many were evicted.
    pub fn set_capacity(&mut self, capacity: usize) -> usize {
        self.capacity = capacity.max(1);
        self.shrink_to(self.capacity)
    }

    /// Removes every entry past its TTL at `now_ms`; returns how many.
    pub fn sweep(&mut self, now_ms: u64) -> usize {
        let expired: Vec<u32> = self
            .map
            .values()
            .copied()
            .filter(|&i| self.nodes[i as usize].expires_at_ms <= now_ms)
            .collect();
        for &i in &expired {
            self.remove_node(i);
        }
        expired.len()
    }

    /// Removes every entry.
    pub fn clear(&mut self) {
        self.map.clear();
        self.nodes.clear();
        self.free.clear();
        self.head = NIL;
        self.tail = NIL;
    }

    /// Keys from most to least recently used (tests and diagnostics).
    pub fn keys_by_recency(&self) -> Vec<(TransportId, Vec<u8>)> {
        let mut out = Vec::with_capacity(self.map.len());
        let mut i = self.head;
        while i != NIL {
            let n = &self.nodes[i as usize];
            let t = TransportId::from_le_bytes(n.key[..4].try_into().expect("4-byte prefix"));
            out.push((t, n.key[4..].to_vec()));
            i = n.next;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::super::{RouteTable, Target};
    use super::*;

    fn resolution() -> Resolution {
        let mut t = RouteTable::new();
        t.register_server(1).unwrap();
        t.register_transport(1).unwrap();
        t.bind_transport(1, Some(1)).unwrap();
        t.set_fallback(1, Some(Target::Handler(0))).unwrap();
        t.resolve(1, b"m").unwrap()
    }

    #[test]
    fn evicts_the_least_recently_used_at_the_cap() {
        let r = resolution();
        let mut c = RouteCache::new(2);
        assert_eq!(c.insert(1, b"a", r, 0, 100), 0);
        assert_eq!(c.insert(1, b"b", r, 0, 100), 0);
        assert_eq!(c.get(1, b"a", 1), CacheOutcome::Hit(r)); // a is now the most recent
        assert_eq!(c.insert(1, b"c", r, 1, 100), 1); // evicts b
        assert_eq!(c.get(1, b"b", 2), CacheOutcome::Miss);
        assert_eq!(
            c.keys_by_recency(),
            vec![(1, b"c".to_vec()), (1, b"a".to_vec())]
        );
        assert_eq!(c.set_capacity(1), 1);
        assert_eq!(c.keys_by_recency(), vec![(1, b"c".to_vec())]);
    }

    #[test]
    fn an_entry_expires_at_its_ttl() {
        let r = resolution();
        let mut c = RouteCache::new(10);
        c.insert(1, b"a", r, 1000, 30);
        c.insert(2, b"a", r, 1000, 60);
        assert_eq!(c.get(1, b"a", 1029), CacheOutcome::Hit(r));
        assert_eq!(c.get(1, b"a", 1030), CacheOutcome::Expired);
        assert_eq!(c.get(1, b"a", 1031), CacheOutcome::Miss);
        assert_eq!(c.sweep(1059), 0);
        assert_eq!(c.sweep(1060), 1);
        assert!(c.is_empty());
    }

    #[test]
    fn keys_of_different_transports_do_not_collide() {
        let r = resolution();
        let mut c = RouteCache::new(10);
        c.insert(1, b"ab", r, 0, 10);
        assert_eq!(c.get(2, b"ab", 0), CacheOutcome::Miss);
        assert!(c.remove(1, b"ab"));
        assert!(!c.remove(1, b"ab"));
    }
}
