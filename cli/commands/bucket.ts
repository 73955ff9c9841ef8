import type { Command } from 'commander';
import { parseSize } from '../../core/util/config.js';
import { adminCall, resolveAdminTarget, type AdminOptions } from '../admin-client.js';
import { humanBytes, permissionFlags, table } from '../format.js';
import type { BucketJson, KeyJson } from './admin-json.js';

/** ", quota LIMIT (P % used)" when there is a quota. */
function ofQuota(used: number, limit: number | null, show: (n: number) => string): string {
  if (limit === null) return '';
  const percent = limit === 0 ? 100 : (100 * used) / limit;
  return `, quota ${show(limit)} (${percent.toFixed(1)} % used)`;
}

function printBucket(b: BucketJson): void {
  const w = b.websiteConfig;
  console.log(`Bucket:         ${b.id}`);
  console.log(`Global aliases: ${b.globalAliases.join(', ') || '(none)'}`);
  if (b.localAliases.length > 0) console.log(`Local aliases:  ${b.localAliases.map((a) => `${a.alias} (key ${a.keyId})`).join(', ')}`);
  console.log(`Created:        ${b.createdAt}`);
  console.log(`Size:           ${humanBytes(b.bytes)} (${b.bytes} bytes)${ofQuota(b.bytes, b.quotas.maxSize, humanBytes)}`);
  console.log(`Objects:        ${b.objects}${ofQuota(b.objects, b.quotas.maxObjects, String)}`);
  console.log(`Unfinished multipart uploads: ${b.unfinishedUploads}`);
  console.log(`Website access: ${w ? `yes (index document ${w.indexDocument}, error document ${w.errorDocument ?? 'none'})` : 'no'}`);
  if (b.keys.length === 0) return;
  console.log('\nAuthorized keys:');
  console.log(table(['PERMS', 'ID', 'NAME'], b.keys.map((k) => [permissionFlags(k.permissions), k.accessKeyId, k.name])));
}

/** "none" (no limit) or a non-negative integer read by `parse`. */
function parseLimit(text: string, option: string, parse: (text: string) => number): number | null {
  if (text === 'none') return null;
  const n = parse(text);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${option}: "${text}" is neither a non-negative number nor "none"`);
  return n;
}

export function registerBucket(program: Command, withAdminOptions: (c: Command) => Command): void {
  const bucket = program.command('bucket').description('manage buckets and who may use them');
  const query = (name: string) => (/^[0-9a-f]{16,64}$/.test(name) ? `/v1/bucket?id=${name}` : `/v1/bucket?globalAlias=${encodeURIComponent(name)}`);

  withAdminOptions(bucket.command('create').description('create a bucket with a global alias').argument('<name>', 'bucket name (S3 naming rules)')).action(
    async (name: string, options: AdminOptions) => {
      printBucket(await adminCall<BucketJson>(resolveAdminTarget(options), 'POST', '/v1/bucket', { globalAlias: name }));
    },
  );

  withAdminOptions(bucket.command('list').description('list buckets')).action(async (options: AdminOptions) => {
    const buckets = await adminCall<BucketJson[]>(resolveAdminTarget(options), 'GET', '/v1/bucket');
    console.log(
      table(
        ['ID', 'GLOBAL ALIASES', 'OBJECTS', 'SIZE'],
        buckets.map((b) => [b.id.slice(0, 16), b.globalAliases.join(', '), String(b.objects), humanBytes(b.bytes)]),
      ),
    );
  });

  withAdminOptions(bucket.command('info').description('show a bucket, its usage and its keys').argument('<bucket>', 'name or id')).action(
    async (name: string, options: AdminOptions) => {
      printBucket(await adminCall<BucketJson>(resolveAdminTarget(options), 'GET', query(name)));
    },
  );

  withAdminOptions(
    bucket.command('delete').description('delete an empty bucket').argument('<bucket>', 'name or id').option('--yes', 'confirm the deletion'),
  ).action(async (name: string, options: AdminOptions & { yes?: boolean }) => {
    const target = resolveAdminTarget(options);
    const found = await adminCall<BucketJson>(target, 'GET', query(name));
    if (!options.yes) throw new Error(`add --yes to delete bucket ${name} (${found.id})`);
    await adminCall(target, 'DELETE', `/v1/bucket?id=${found.id}`);
    console.log(`Bucket ${name} deleted.`);
  });

  withAdminOptions(
    bucket
      .command('website')
      .description('serve a bucket as a static website on the [s3_web] endpoint (--allow), or stop (--deny)')
      .argument('<bucket>', 'name or id')
      .option('--allow', 'serve the bucket')
      .option('--deny', 'stop serving it')
      .option('-i, --index-document <key>', 'object served for a directory (path ending in /)', 'index.html')
      .option('-e, --error-document <key>', 'object served, with the error status, when a page is missing'),
  ).action(async (name: string, options: AdminOptions & { allow?: boolean; deny?: boolean; indexDocument: string; errorDocument?: string }) => {
    if (!options.allow === !options.deny) throw new Error('give one of --allow, --deny');
    const target = resolveAdminTarget(options);
    const found = await adminCall<BucketJson>(target, 'GET', query(name));
    const websiteAccess = options.allow ? { enabled: true, indexDocument: options.indexDocument, errorDocument: options.errorDocument ?? null } : { enabled: false };
    printBucket(await adminCall<BucketJson>(target, 'PUT', `/v1/bucket?id=${found.id}`, { websiteAccess }));
  });

  withAdminOptions(
    bucket
      .command('set-quotas')
      .description('limit the size and the number of objects of a bucket; writes beyond them fail with QuotaExceeded')
      .argument('<bucket>', 'name or id')
      .option('--max-size <size>', 'maximum total size ("10G", "500MiB", bytes) or "none"')
      .option('--max-objects <n>', 'maximum number of objects, or "none"'),
  ).action(async (name: string, options: AdminOptions & { maxSize?: string; maxObjects?: string }) => {
    if (options.maxSize === undefined && options.maxObjects === undefined) throw new Error('give --max-size and/or --max-objects');
    const target = resolveAdminTarget(options);
    const found = await adminCall<BucketJson>(target, 'GET', query(name));
    const quotas = {
      maxSize: options.maxSize === undefined ? found.quotas.maxSize : parseLimit(options.maxSize, '--max-size', (v) => parseSize(v, '--max-size')),
      maxObjects: options.maxObjects === undefined ? found.quotas.maxObjects : parseLimit(options.maxObjects, '--max-objects', (v) => (/^\d+$/.test(v) ? Number(v) : NaN)),
    };
    printBucket(await adminCall<BucketJson>(target, 'PUT', `/v1/bucket?id=${found.id}`, { quotas }));
  });

  for (const verb of ['allow', 'deny'] as const) {
    withAdminOptions(
      bucket
        .command(verb)
        .description(`${verb === 'allow' ? 'grant' : 'revoke'} a key's permissions on a bucket`)
        .argument('<bucket>', 'name or id')
        .requiredOption('--key <key>', 'key id, id prefix or name')
        .option('--read', 'read objects and list')
        .option('--write', 'write and delete objects')
        .option('--owner', 'configure and delete the bucket'),
    ).action(async (name: string, options: AdminOptions & { key: string; read?: boolean; write?: boolean; owner?: boolean }) => {
      if (!options.read && !options.write && !options.owner) throw new Error('give at least one of --read, --write, --owner');
      const target = resolveAdminTarget(options);
      const found = await adminCall<BucketJson>(target, 'GET', query(name));
      const key = await adminCall<KeyJson>(target, 'GET', `/v1/key?search=${encodeURIComponent(options.key)}`);
      const permissions = { read: !!options.read, write: !!options.write, owner: !!options.owner };
      printBucket(await adminCall<BucketJson>(target, 'POST', `/v1/bucket/${verb}`, { bucketId: found.id, accessKeyId: key.accessKeyId, permissions }));
    });
  }
}
