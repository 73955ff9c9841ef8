import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { takeFromLine } from '../../../../mail/lmtp/from-line.js';

const read = async (pieces: string[]) => {
  const r = await takeFromLine(Readable.from(pieces.map((p) => Buffer.from(p))));
  return { sender: r.sender, message: (await buffer(r.message)).toString() };
};

describe('takeFromLine', () => {
  it('takes off a leading envelope line and gives its sender, however the input is cut', async () => {
    expect(await read(['From alice@x.test  Mon Jan  1 00:00:00 2024\nSubject: hi\n\nbody\n'])).toEqual({ sender: 'alice@x.test', message: 'Subject: hi\n\nbody\n' });
    expect(await read(['Fr', 'om bob@x.test Mon', ' Jan  1 00:00:00 2024\r', '\nSubject: hi\n', '\nbody\n'])).toEqual({ sender: 'bob@x.test', message: 'Subject: hi\n\nbody\n' });
  });

  it('reads MAILER-DAEMON as the null sender', async () => {
    expect(await read(['From MAILER-DAEMON Mon Jan  1 00:00:00 2024\nSubject: bounce\n\n'])).toEqual({ sender: '', message: 'Subject: bounce\n\n' });
  });

  it('leaves a message without one as it is', async () => {
    expect(await read(['Subject: x\n', '\nFrom here on\n'])).toEqual({ sender: undefined, message: 'Subject: x\n\nFrom here on\n' });
    expect(await read(['From: alice@x.test\n\n'])).toEqual({ sender: undefined, message: 'From: alice@x.test\n\n' });
    expect(await read([])).toEqual({ sender: undefined, message: '' });
  });
});
