//! A small map of values read from the store, each kept for a time-to-live: what a warm Lambda
//! container remembers between events (agents, tenants' caps) instead of reading per event.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

/// Values by key, each with when it was read.
pub(crate) struct TtlCache<K, V>(Mutex<HashMap<K, (DateTime<Utc>, V)>>);

impl<K, V> Default for TtlCache<K, V> {
    fn default() -> Self {
        Self(Mutex::new(HashMap::new()))
    }
}

impl<K: Eq + Hash, V: Clone> TtlCache<K, V> {
    /// The value for `key` if it was read less than `ttl` before `now`.
    pub(crate) fn fresh(&self, key: &K, now: DateTime<Utc>, ttl: Duration) -> Option<V> {
        let map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.get(key)
            .filter(|(at, _)| now - *at < ttl)
            .map(|(_, value)| value.clone())
    }

    /// Remembers `value` for `key`, read at `now`.
    pub(crate) fn put(&self, key: K, now: DateTime<Utc>, value: V) {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.insert(key, (now, value));
    }
}
