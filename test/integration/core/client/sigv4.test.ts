/** The client signer against the AWS SDK's own, on awkward paths and queries, for S3 and K2V. */
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { describe, expect, it } from 'vitest';
import { encodePath, sha256Hex, signRequest } from '../../../../core/client/sigv4.js';

const credentials = { accessKeyId: 'GK0123456789abcdef01234567', secretAccessKey: 'f'.repeat(64) };
const date = new Date('2025-06-01T12:34:56Z');

describe('client SigV4 signer', () => {
  it.each([
    ['k2v', ['bucket', 'a/b c é+%'], false, [['sort_key', 'x y/ü'], ['causality_token', 'AAAA-_']]],
    ['k2v', ['bucket'], false, [['search', '']]],
    ['s3', ['bucket', 'dir/file name (1).txt'], true, [['list-type', '2'], ['prefix', 'a b']]],
  ] as const)('signs %s %j like the AWS SDK', async (service, segments, keepSlashes, query) => {
    const body = Buffer.from('payload');
    const path = encodePath(segments, keepSlashes);
    const headers = { 'x-amz-content-sha256': sha256Hex(body), 'content-type': 'application/json' };
    const ours = signRequest(
      { method: 'POST', host: '127.0.0.1:3904', path, query, headers: { 'content-type': 'application/json' }, payloadHash: sha256Hex(body) },
      { credentials, region: 'garage', service },
      date,
    );
    const sdk = new SignatureV4({ service, region: 'garage', credentials, sha256: Sha256, uriEscapePath: service !== 's3' });
    const signed = await sdk.sign(
      { method: 'POST', protocol: 'http:', hostname: '127.0.0.1', port: 3904, path, query: Object.fromEntries(query), headers: { host: '127.0.0.1:3904', ...headers }, body },
      { signingDate: date },
    );
    expect(ours['authorization']).toBe(signed.headers['authorization']);
  });
});
