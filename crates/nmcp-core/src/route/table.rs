//! The route table: servers, transports, bindings and routes, resolved without a cache.
//!
//! Servers, transports and routes live in dense slots (vectors) behind their ids, so that a cached resolution can be
//! checked for staleness with two vector reads instead of hash lookups. Every change that can alter a resolution
//! gives the affected transport or server a fresh *generation* from one table-wide counter (never reused, also not
//! after an id is unregistered and registered again): a cache entry resolved under an older generation is stale.
//! Route changes are tracked per server (changing one of a server's routes makes all its cached entries stale).
//!
//! The table is `Clone`, and cheaply so: each server's routes sit behind an `Arc`, so a clone copies the slot vectors
//! and the id indexes and shares every server's route map; a change then copies only the route map it touches
//! (`Arc::make_mut`; its keys are `Arc`s too, so that is a copy of pointers). [`super::SharedTable`] publishes such clones as read-only snapshots (copy on write); a table
//! owned by one [`super::Router`] never shares its servers, so `make_mut` never copies there.

use std::collections::HashMap;
use std::sync::Arc;

use thiserror::Error;

use super::{ServerId, Target, TransportId};

/// A table change that cannot be made (the table is not changed).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TableError {
    /// `registerServer` with an id already registered.
    #[error("server {0} is already registered")]
    DuplicateServer(ServerId),
    /// `registerTransport` with an id already registered.
    #[error("transport {0} is already registered")]
    DuplicateTransport(TransportId),
    /// A server id that is not registered.
    #[error("server {0} is not registered")]
    UnknownServer(ServerId),
    /// A transport id that is not registered.
    #[error("transport {0} is not registered")]
    UnknownTransport(TransportId),
}

/// A resolution: the target and everything needed to tell later whether it still holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resolution {
    /// Where the message goes.
    pub target: Target,
    /// The route's slot (per-route message counts).
    pub route_slot: u32,
    /// The route's serial: unique per route set (a replaced route gets a new one), so per-thread message counts keyed
    /// by slot can tell a reused slot from the route they counted.
    pub(crate) route_serial: u64,
    pub(crate) transport_slot: u32,
    pub(crate) transport_generation: u64,
    pub(crate) server_slot: u32,
    pub(crate) server_generation: u64,
}

/// One route in a snapshot of the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteEntry {
    /// The server the route belongs to.
    pub server: ServerId,
    /// The method, or `None` for the server's fallback route (methods without a route of their own).
    pub method: Option<Vec<u8>>,
    /// Where it goes.
    pub target: Target,
    /// Messages routed by it since it was set (counted when stats collection is on).
    pub messages: u64,
}

#[derive(Debug, Clone, Copy)]
struct RouteRef {
    target: Target,
    slot: u32,
    serial: u64,
}

#[derive(Debug, Clone)]
struct ServerSlot {
    id: ServerId,
    /// Inline, not behind the `Arc`: a cache hit checks it ([`RouteTable::is_current`]) without a pointer to follow.
    generation: u64,
    routes: Arc<ServerRoutes>,
}

/// A server's routes, shared between copies of the table until a change touches them (`Arc::make_mut`).
#[derive(Debug, Clone, Default)]
struct ServerRoutes {
    /// Keys are `Arc`s so that copying the map copies pointers, not method bytes.
    map: HashMap<Arc<[u8]>, RouteRef>,
    fallback: Option<RouteRef>,
}

#[derive(Debug, Clone)]
struct TransportSlot {
    generation: u64,
    server: Option<u32>,
}

/// Slots with a free list; a freed slot keeps its place (and its generation rules out stale users) until reused.
#[derive(Debug, Clone)]
struct Slots<T> {
    items: Vec<Option<T>>,
    free: Vec<u32>,
}

impl<T> Default for Slots<T> {
    fn default() -> Self {
        Slots {
            items: Vec::new(),
            free: Vec::new(),
        }
    }
}

impl<T> Slots<T> {
    fn insert(&mut self, item: T) -> u32 {
        if let Some(i) = self.free.pop() {
            self.items[i as usize] = Some(item);
            i
        } else {
            self.items.push(Some(item));
            (self.items.len() - 1) as u32
        }
    }
    fn remove(&mut self, i: u32) -> Option<T> {
        let item = self.items.get_mut(i as usize)?.take();
        if item.is_some() {
            self.free.push(i);
        }
        item
    }
    fn get(&self, i: u32) -> Option<&T> {
        self.items.get(i as usize)?.as_ref()
    }
    fn get_mut(&mut self, i: u32) -> Option<&mut T> {
        self.items.get_mut(i as usize)?.as_mut()
    }
}

/// Servers, transports, bindings and routes. See the module docs.
#[derive(Debug, Default, Clone)]
pub struct RouteTable {
    generation: u64,
    servers: Slots<ServerSlot>,
    server_index: HashMap<ServerId, u32>,
    transports: Slots<TransportSlot>,
    transport_index: HashMap<TransportId, u32>,
    /// Route slots handed out so far (a slot is reused from `free_routes` first).
    route_slots: u32,
    free_routes: Vec<u32>,
    /// Messages per route slot, grown as routes are counted (a shared table never counts here: it stays empty and
    /// costs nothing to copy); a reused slot is zeroed.
    route_counts: Vec<u64>,
}

impl RouteTable {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    fn next_generation(&mut self) -> u64 {
        self.generation += 1;
        self.generation
    }

    fn new_route(&mut self, target: Target) -> RouteRef {
        let serial = self.next_generation();
        let slot = if let Some(s) = self.free_routes.pop() {
            if let Some(c) = self.route_counts.get_mut(s as usize) {
                *c = 0;
            }
            s
        } else {
            self.route_slots += 1;
            self.route_slots - 1
        };
        RouteRef {
            target,
            slot,
            serial,
        }
    }

    fn free_route(&mut self, r: RouteRef) {
        self.free_routes.push(r.slot);
    }

    fn server_slot(&self, id: ServerId) -> Result<u32, TableError> {
        self.server_index
            .get(&id)
            .copied()
            .ok_or(TableError::UnknownServer(id))
    }

    fn transport_slot(&self, id: TransportId) -> Result<u32, TableError> {
        self.transport_index
            .get(&id)
            .copied()
            .ok_or(TableError::UnknownTransport(id))
    }

    /// Registers a server with no routes.
    pub fn register_server(&mut self, id: ServerId) -> Result<(), TableError> {
        if self.server_index.contains_key(&id) {
            return Err(TableError::DuplicateServer(id));
        }
        let generation = self.next_generation();
        let slot = self.servers.insert(ServerSlot {
            id,
            generation,
            routes: Arc::default(),
        });
        self.server_index.insert(id, slot);
        Ok(())
    }

    /// Removes a server, its routes, and the bindings of the transports bound to it (they stay registered, unbound).
    pub fn unregister_server(&mut self, id: ServerId) -> Result<(), TableError> {
        let slot = self.server_slot(id)?;
        self.server_index.remove(&id);
        let server = self.servers.remove(slot).expect("indexed slot is live");
        for r in server
            .routes
            .map
            .values()
            .copied()
            .chain(server.routes.fallback)
        {
            self.free_route(r);
        }
        let bound: Vec<u32> = self
            .transports
            .items
            .iter()
            .enumerate()
            .filter_map(|(i, t)| match t {
                Some(t) if t.server == Some(slot) => Some(i as u32),
                _ => None,
            })
            .collect();
        for t in bound {
            let generation = self.next_generation();
            let t = self.transports.get_mut(t).expect("live transport");
            t.server = None;
            t.generation = generation;
        }
        Ok(())
    }

    /// Registers a transport, not bound to any server.
    pub fn register_transport(&mut self, id: TransportId) -> Result<(), TableError> {
        if self.transport_index.contains_key(&id) {
            return Err(TableError::DuplicateTransport(id));
        }
        let generation = self.next_generation();
        let slot = self.transports.insert(TransportSlot {
            generation,
            server: None,
        });
        self.transport_index.insert(id, slot);
        Ok(())
    }

    /// Removes a transport (and its binding).
    pub fn unregister_transport(&mut self, id: TransportId) -> Result<(), TableError> {
        let slot = self.transport_slot(id)?;
        self.transport_index.remove(&id);
        self.transports.remove(slot);
        Ok(())
    }

    /// Binds a transport to a server (replacing any binding it had); `None` unbinds it.
    pub fn bind_transport(
        &mut self,
        transport: TransportId,
        server: Option<ServerId>,
    ) -> Result<(), TableError> {
        let t = self.transport_slot(transport)?;
        let s = match server {
            Some(id) => Some(self.server_slot(id)?),
            None => None,
        };
        let generation = self.next_generation();
        let slot = self.transports.get_mut(t).expect("indexed slot is live");
        slot.server = s;
        slot.generation = generation;
        Ok(())
    }

    /// Sets the route of `method` on a server (replacing one it had; its message count restarts).
    pub fn set_route(
        &mut self,
        server: ServerId,
        method: &[u8],
        target: Target,
    ) -> Result<(), TableError> {
        let s = self.server_slot(server)?;
        let r = self.new_route(target);
        let generation = self.next_generation();
        let slot = self.servers.get_mut(s).expect("indexed slot is live");
        slot.generation = generation;
        if let Some(old) = Arc::make_mut(&mut slot.routes).map.insert(method.into(), r) {
            self.free_route(old);
        }
        Ok(())
    }

    /// Removes the route of `method` on a server; returns whether there was one.
    pub fn remove_route(&mut self, server: ServerId, method: &[u8]) -> Result<bool, TableError> {
        let s = self.server_slot(server)?;
        let generation = self.next_generation();
        let slot = self.servers.get_mut(s).expect("indexed slot is live");
        if !slot.routes.map.contains_key(method) {
            return Ok(false);
        }
        slot.generation = generation;
        if let Some(old) = Arc::make_mut(&mut slot.routes).map.remove(method) {
            self.free_route(old);
        }
        Ok(true)
    }

    /// Sets (or with `None` removes) the route used for methods of a server that have no route of their own.
    pub fn set_fallback(
        &mut self,
        server: ServerId,
        target: Option<Target>,
    ) -> Result<(), TableError> {
        let s = self.server_slot(server)?;
        let r = target.map(|t| self.new_route(t));
        let generation = self.next_generation();
        let slot = self.servers.get_mut(s).expect("indexed slot is live");
        slot.generation = generation;
        let old = std::mem::replace(&mut Arc::make_mut(&mut slot.routes).fallback, r);
        if let Some(old) = old {
            self.free_route(old);
        }
        Ok(())
    }

    /// Where a message of `method` arriving on `transport` goes: the bound server's route for the method, else its
    /// fallback; `None` for an unknown or unbound transport or a method the server does not route.
    pub fn resolve(&self, transport: TransportId, method: &[u8]) -> Option<Resolution> {
        let t_slot = *self.transport_index.get(&transport)?;
        let t = self.transports.get(t_slot)?;
        let s_slot = t.server?;
        let s = self.servers.get(s_slot)?;
        let r = s.routes.map.get(method).or(s.routes.fallback.as_ref())?;
        Some(Resolution {
            target: r.target,
            route_slot: r.slot,
            route_serial: r.serial,
            transport_slot: t_slot,
            transport_generation: t.generation,
            server_slot: s_slot,
            server_generation: s.generation,
        })
    }

    /// Whether a resolution made earlier would still be made now (no change to its transport's binding or to its
    /// server's routes since). Two vector reads.
    pub fn is_current(&self, r: &Resolution) -> bool {
        matches!(self.transports.get(r.transport_slot), Some(t) if t.generation == r.transport_generation)
            && matches!(self.servers.get(r.server_slot), Some(s) if s.generation == r.server_generation)
    }

    /// Adds `n` messages to a route's count.
    pub fn count(&mut self, route_slot: u32, n: u64) {
        let slot = route_slot as usize;
        if slot >= self.route_counts.len() {
            self.route_counts.resize(slot + 1, 0);
        }
        self.route_counts[slot] += n;
    }

    /// The server a transport is bound to.
    pub fn binding(&self, transport: TransportId) -> Result<Option<ServerId>, TableError> {
        let t = self.transport_slot(transport)?;
        let slot = self.transports.get(t).expect("indexed slot is live");
        Ok(slot.server.and_then(|s| self.servers.get(s)).map(|s| s.id))
    }

    /// Registered servers and transports.
    pub fn counts(&self) -> (usize, usize) {
        (self.server_index.len(), self.transport_index.len())
    }

    /// Every route with its message count, servers in id order, methods in byte order, the fallback last.
    pub fn routes(&self) -> Vec<RouteEntry> {
        self.routes_counted(|slot, _| self.route_counts.get(slot as usize).copied().unwrap_or(0))
    }

    /// Per route slot, the serial of the route in it (0: none) and the messages counted on it; the counts are zeroed
    /// (they move to whoever counts from now on: [`super::SharedTable::from_router`]).
    pub(crate) fn take_counts(&mut self) -> Vec<(u64, u64)> {
        let mut out = vec![(0, 0); self.route_counts.len()];
        for s in self.servers.items.iter().flatten() {
            for r in s.routes.map.values().chain(s.routes.fallback.as_ref()) {
                if let Some(&n) = self.route_counts.get(r.slot as usize) {
                    out[r.slot as usize] = (r.serial, n);
                }
            }
        }
        self.route_counts = Vec::new();
        out
    }

    /// [`RouteTable::routes`] with the message counts given by `messages(slot, serial)`.
    pub(crate) fn routes_counted(&self, messages: impl Fn(u32, u64) -> u64) -> Vec<RouteEntry> {
        let mut servers: Vec<&ServerSlot> = self.servers.items.iter().flatten().collect();
        servers.sort_by_key(|s| s.id);
        let mut out = Vec::new();
        for s in servers {
            let mut methods: Vec<(&Arc<[u8]>, &RouteRef)> = s.routes.map.iter().collect();
            methods.sort_by(|a, b| a.0.cmp(b.0));
            for (m, r) in methods {
                out.push(RouteEntry {
                    server: s.id,
                    method: Some(m.to_vec()),
                    target: r.target,
                    messages: messages(r.slot, r.serial),
                });
            }
            if let Some(r) = &s.routes.fallback {
                out.push(RouteEntry {
                    server: s.id,
                    method: None,
                    target: r.target,
                    messages: messages(r.slot, r.serial),
                });
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> RouteTable {
        let mut t = RouteTable::new();
        t.register_server(1).unwrap();
        t.register_server(2).unwrap();
        t.register_transport(10).unwrap();
        t.bind_transport(10, Some(1)).unwrap();
        t.set_route(1, b"tools/call", Target::Handler(7)).unwrap();
        t.set_route(2, b"tools/call", Target::Upstream(3)).unwrap();
        t
    }

    #[test]
    fn resolves_through_the_binding_then_the_fallback() {
        let mut t = table();
        assert_eq!(
            t.resolve(10, b"tools/call").map(|r| r.target),
            Some(Target::Handler(7))
        );
        assert_eq!(t.resolve(10, b"ping"), None);
        t.set_fallback(1, Some(Target::Handler(0))).unwrap();
        assert_eq!(
            t.resolve(10, b"ping").map(|r| r.target),
            Some(Target::Handler(0))
        );
        t.bind_transport(10, Some(2)).unwrap();
        assert_eq!(
            t.resolve(10, b"tools/call").map(|r| r.target),
            Some(Target::Upstream(3))
        );
        assert_eq!(t.resolve(11, b"tools/call"), None, "unknown transport");
    }

    #[test]
    fn every_change_that_matters_makes_an_earlier_resolution_stale() {
        let mut t = table();
        let r = t.resolve(10, b"tools/call").unwrap();
        assert!(t.is_current(&r));
        t.set_route(2, b"x", Target::Handler(1)).unwrap();
        assert!(t.is_current(&r), "another server's routes do not matter");
        t.set_route(1, b"x", Target::Handler(1)).unwrap();
        assert!(!t.is_current(&r), "a route change of its server");
        let r = t.resolve(10, b"tools/call").unwrap();
        t.bind_transport(10, Some(1)).unwrap();
        assert!(!t.is_current(&r), "a rebinding, even to the same server");
        let r = t.resolve(10, b"tools/call").unwrap();
        t.unregister_server(1).unwrap();
        assert!(!t.is_current(&r));
        assert_eq!(t.binding(10), Ok(None), "its transports are unbound");
        t.register_server(1).unwrap();
        t.set_route(1, b"tools/call", Target::Handler(7)).unwrap();
        t.bind_transport(10, Some(1)).unwrap();
        assert!(
            !t.is_current(&r),
            "a re-registered id gets a new generation"
        );
    }

    #[test]
    fn errors_name_the_id_and_change_nothing() {
        let mut t = table();
        assert_eq!(t.register_server(1), Err(TableError::DuplicateServer(1)));
        assert_eq!(
            t.bind_transport(10, Some(9)),
            Err(TableError::UnknownServer(9))
        );
        assert_eq!(t.binding(10), Ok(Some(1)));
        assert_eq!(
            t.unregister_transport(99),
            Err(TableError::UnknownTransport(99))
        );
        assert_eq!(
            TableError::UnknownServer(9).to_string(),
            "server 9 is not registered"
        );
    }

    #[test]
    fn counts_per_route_restart_when_the_route_is_replaced() {
        let mut t = table();
        let r = t.resolve(10, b"tools/call").unwrap();
        t.count(r.route_slot, 5);
        assert_eq!(t.routes()[0].messages, 5);
        t.set_route(1, b"tools/call", Target::Handler(8)).unwrap();
        assert_eq!(t.routes()[0].messages, 0);
        assert_eq!(t.routes()[0].target, Target::Handler(8));
        assert!(t.remove_route(1, b"tools/call").unwrap());
        assert!(!t.remove_route(1, b"tools/call").unwrap());
        assert_eq!(t.routes().len(), 1, "only server 2's route is left");
    }
}
