/**
 * @module
 * Get-or-create memoisation: a value computed once per key of a map (often a promise, so callers
 * that ask at the same time share one computation). Knows nothing about what is stored.
 */

/** The value stored under `key`, made by `make` and stored the first time it is asked for. */
export function memo<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  if (map.has(key)) return map.get(key) as V;
  const value = make();
  map.set(key, value);
  return value;
}
