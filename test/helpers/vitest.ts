/**
 * Vitest-only glue for the server helper: importing this module from a test file
 * registers an afterAll hook that stops every server the file started (and removes
 * their temp dirs), even when a test failed before its own cleanup ran.
 */
import { afterAll } from 'vitest';
import { stopAllServers } from './server.js';

afterAll(async () => {
  await stopAllServers();
}, 60_000);

export { stopAllServers };
