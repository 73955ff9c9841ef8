import { Command } from 'commander';
import { VERSION } from '../core/node.js';
import { registerAccount } from './commands/account.js';
import { registerBucket } from './commands/bucket.js';
import { registerDeliver } from './commands/deliver.js';
import { registerKey } from './commands/key.js';
import { registerRepair } from './commands/repair.js';
import { registerServer } from './commands/server.js';
import { registerStatus } from './commands/status.js';

/** Options every command that talks to a running server accepts. */
function withAdminOptions(command: Command): Command {
  return command
    .option('-c, --config <file>', 'configuration file of the server (default: built-in defaults, ./data)')
    .option('--admin-url <url>', 'admin API address, e.g. http://127.0.0.1:3903 (env AEROGRAMME_ADMIN_URL)')
    .option('--admin-token <token>', 'admin token (env AEROGRAMME_ADMIN_TOKEN)');
}

export async function main(argv: string[]): Promise<void> {
  const program = new Command()
    .name('aerogramme')
    .description('Encrypted mail storage on an embedded S3 + K2V object store')
    .version(VERSION)
    .showHelpAfterError('(add --help for usage)');
  registerServer(program);
  registerStatus(program, withAdminOptions);
  registerKey(program, withAdminOptions);
  registerBucket(program, withAdminOptions);
  registerRepair(program, withAdminOptions);
  registerAccount(program);
  registerDeliver(program);
  await program.parseAsync(argv);
}
