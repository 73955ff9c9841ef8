import { pino, type Logger } from 'pino';

export type { Logger };

/** Structured JSON logs on stdout; never log secrets or message contents. */
export function createLogger(level: string, name = 'aerogramme'): Logger {
  return pino({
    name,
    level,
    base: { pid: process.pid },
    redact: { paths: ['secretKey', 'secretAccessKey', 'password', 'token', 'authorization'], censor: '[redacted]' },
  });
}

/** A logger that drops everything (tests, embedded uses that bring their own). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
