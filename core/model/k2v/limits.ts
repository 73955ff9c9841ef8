/**
 * Input limits of the K2V model, the same for the HTTP API and the embedded port.
 * Keys live inside LMDB keys (32-byte hash ‖ key; LMDB here accepts 1978 bytes).
 */
export const K2V_LIMITS = {
  /** A value (InsertItem body, one InsertBatch value). */
  maxValueBytes: 1024 * 1024,
  /** A partition key or a sort key, in UTF-8 bytes. */
  maxKeyBytes: 1024,
  /** PollItem / PollRange wait at most this long. */
  maxPollTimeoutMs: 600_000,
  /** PollItem / PollRange wait this long when no timeout is given (Garage's default). */
  defaultPollTimeoutMs: 300_000,
} as const;
