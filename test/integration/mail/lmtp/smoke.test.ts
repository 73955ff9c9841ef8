import { describe, expect, it } from 'vitest';
import { run } from '../../../helpers/tools.js';
import { startLmtpTestbed } from './harness.js';

describe('smoke', () => {
  it('delivers', async () => {
    const tb = await startLmtpTestbed();
    try {
      const r = await run('swaks', ['--protocol', 'LMTP', '--server', '127.0.0.1', '--port', String(tb.port), '--from', 'a@x.test', '--to', 'alice@example.org,nobody@example.org,Bob+tag@EXAMPLE.org', '--header', 'Subject: hi', '--body', 'hello']);
      console.log(r.stdout, r.stderr);
      const inbox = await tb.inbox('alice');
      console.log(inbox.map((m) => m.raw.toString()));
      expect(inbox.length).toBe(1);
    } finally {
      await tb.close();
    }
  });
});
