import type { Command } from 'commander';
import { adminCall, resolveAdminTarget, type AdminOptions } from '../admin-client.js';

const OPERATIONS: Record<string, string> = {
  rebalance: 'move data blocks to the data directory they belong in (run after changing data_dir; empties read-only directories)',
  lifecycle: "apply the buckets' lifecycle rules now (the server also does it every day at midnight UTC)",
};

export function registerRepair(program: Command, withAdminOptions: (c: Command) => Command): void {
  const repair = program.command('repair').description('maintenance operations on the running server');
  for (const [name, description] of Object.entries(OPERATIONS)) {
    withAdminOptions(repair.command(name).description(description)).action(async (options: AdminOptions) => {
      const result = await adminCall<Record<string, unknown>>(resolveAdminTarget(options), 'POST', '/v1/repair', { repairType: name });
      for (const [field, value] of Object.entries(result)) if (field !== 'repairType') console.log(`${field}: ${String(value)}`);
    });
  }
}
