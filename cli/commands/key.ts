import type { Command } from 'commander';
import { adminCall, resolveAdminTarget, type AdminOptions } from '../admin-client.js';
import { permissionFlags, table } from '../format.js';
import type { KeyJson } from './admin-json.js';

function printKey(key: KeyJson): void {
  console.log(`Key name:       ${key.name}`);
  console.log(`Key ID:         ${key.accessKeyId}`);
  console.log(`Secret key:     ${key.secretAccessKey ?? '(hidden: add --show-secret)'}`);
  console.log(`Can create buckets: ${key.permissions.createBucket ? 'yes' : 'no'}`);
  if (key.buckets.length === 0) return;
  console.log('\nBuckets:');
  console.log(
    table(
      ['PERMS', 'ALIASES', 'ID'],
      key.buckets.map((b) => [permissionFlags(b.permissions), [...b.globalAliases, ...b.localAliases].join(', '), b.id]),
    ),
  );
}

export function registerKey(program: Command, withAdminOptions: (c: Command) => Command): void {
  const key = program.command('key').description('manage S3/K2V access keys');
  const query = (id: string) => `/v1/key?search=${encodeURIComponent(id)}`;

  withAdminOptions(key.command('create').description('create an access key').argument('<name>', 'a name for the key')).action(
    async (name: string, options: AdminOptions) => {
      printKey(await adminCall<KeyJson>(resolveAdminTarget(options), 'POST', '/v1/key', { name }));
    },
  );

  withAdminOptions(key.command('list').description('list access keys')).action(async (options: AdminOptions) => {
    const keys = await adminCall<{ id: string; name: string }[]>(resolveAdminTarget(options), 'GET', '/v1/key');
    console.log(table(['ID', 'NAME'], keys.map((k) => [k.id, k.name])));
  });

  withAdminOptions(
    key
      .command('info')
      .description('show a key and its buckets')
      .argument('<key>', 'key id, id prefix or name')
      .option('--show-secret', 'print the secret key'),
  ).action(async (id: string, options: AdminOptions & { showSecret?: boolean }) => {
    printKey(await adminCall<KeyJson>(resolveAdminTarget(options), 'GET', `${query(id)}${options.showSecret ? '&showSecretKey=true' : ''}`));
  });

  withAdminOptions(
    key
      .command('import')
      .description('import an existing key id and secret (e.g. from another cluster)')
      .argument('<key-id>', 'GK followed by 24 hex digits')
      .argument('<secret>', '64 hex digits')
      .option('-n, --name <name>', 'a name for the key', 'Imported key'),
  ).action(async (id: string, secret: string, options: AdminOptions & { name: string }) => {
    printKey(await adminCall<KeyJson>(resolveAdminTarget(options), 'POST', '/v1/key/import', { accessKeyId: id, secretAccessKey: secret, name: options.name }));
  });

  for (const verb of ['allow', 'deny'] as const) {
    withAdminOptions(
      key
        .command(verb)
        .description(`${verb} a key to create buckets`)
        .argument('<key>', 'key id, id prefix or name')
        .requiredOption('--create-bucket', 'the permission to create buckets'),
    ).action(async (id: string, options: AdminOptions) => {
      const target = resolveAdminTarget(options);
      const found = await adminCall<KeyJson>(target, 'GET', query(id));
      printKey(await adminCall<KeyJson>(target, 'POST', `/v1/key?id=${found.accessKeyId}`, { [verb]: { createBucket: true } }));
    });
  }

  withAdminOptions(
    key
      .command('delete')
      .description('delete a key (its bucket permissions go with it)')
      .argument('<key>', 'key id, id prefix or name')
      .option('--yes', 'confirm the deletion'),
  ).action(async (id: string, options: AdminOptions & { yes?: boolean }) => {
    const target = resolveAdminTarget(options);
    const found = await adminCall<KeyJson>(target, 'GET', query(id));
    if (!options.yes) throw new Error(`add --yes to delete key ${found.accessKeyId} (${found.name})`);
    await adminCall(target, 'DELETE', `/v1/key?id=${found.accessKeyId}`);
    console.log(`Key ${found.accessKeyId} deleted.`);
  });
}
