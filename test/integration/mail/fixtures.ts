/** Users and messages for the mail tests (no vitest: the benchmark uses it too). */
import { randomBytes } from 'node:crypto';
import { UserKeys } from '../../../mail/crypto/keys.js';
import type { Recipient } from '../../../mail/user/provider.js';

export interface TestUser {
  userId: string;
  keys: UserKeys;
  bucket: string;
  recipient: Recipient;
}

export function testUser(name = `user${randomBytes(3).toString('hex')}`): TestUser {
  const keys = UserKeys.generate();
  const userId = randomBytes(16).toString('hex');
  const bucket = `mail-${name}`;
  return {
    userId,
    keys,
    bucket,
    recipient: { userId, username: name, publicKey: keys.publicKey, storage: { bucket }, address: `${name}@example.org`, detail: undefined },
  };
}

export interface MessageOptions {
  from?: string;
  to?: string;
  subject?: string;
  body?: string;
  date?: string;
  messageId?: string;
}

export function message(o: MessageOptions = {}): Buffer {
  return Buffer.from(
    [
      `From: ${o.from ?? 'Alice Example <alice@example.org>'}`,
      `To: ${o.to ?? 'Bob <bob@example.net>'}`,
      `Subject: ${o.subject ?? 'Hello'}`,
      `Date: ${o.date ?? 'Tue, 02 Jan 2024 10:00:00 +0000'}`,
      `Message-ID: <${o.messageId ?? randomBytes(8).toString('hex')}@example.org>`,
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      '',
      o.body ?? 'Hi Bob,\r\nhow are you?\r\n',
    ].join('\r\n'),
  );
}
