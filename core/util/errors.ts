/**
 * Base class of every error the core raises on purpose. `code` is a stable,
 * machine-readable name; front-ends map it to their protocol's status codes.
 */
export class AeroError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The configuration is invalid; the message says what to change. */
export class ConfigError extends AeroError {
  constructor(message: string) {
    super('ConfigError', message);
  }
}

/** Stored bytes fail their integrity check (wrong hash, undecodable entry). */
export class CorruptionError extends AeroError {
  constructor(message: string) {
    super('Corruption', message);
  }
}

/** A data directory is not the one this node expects there (a disk missing or mounted in the wrong place). */
export class DataDirError extends AeroError {
  constructor(message: string) {
    super('DataDirError', message);
  }
}
