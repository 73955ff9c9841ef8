/** Milliseconds since the epoch as a bigint (u64 timestamps in stored entries). */
export function nowMs(): bigint {
  return BigInt(Date.now());
}

/**
 * A timestamp for a new version that is strictly after every timestamp already seen,
 * even when this node's clock is behind (the Jepsen clock-skew fix): max(now, last + 1).
 */
export function nextTimestamp(lastSeen: bigint | undefined): bigint {
  const now = nowMs();
  return lastSeen !== undefined && lastSeen >= now ? lastSeen + 1n : now;
}
