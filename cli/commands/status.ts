import type { Command } from 'commander';
import { adminCall, resolveAdminTarget, type AdminOptions } from '../admin-client.js';
import { table } from '../format.js';

interface StatusJson {
  node: string;
  version: string;
  replicationFactor: number;
  nodes: { id: string; addr: string; isUp: boolean; lastSeenSecsAgo: number | null; role: { zone: string; capacity: number | null } }[];
}

export function registerStatus(program: Command, withAdminOptions: (c: Command) => Command): void {
  withAdminOptions(program.command('status').description('show the nodes of the cluster and their state')).action(async (options: AdminOptions) => {
    const s = await adminCall<StatusJson>(resolveAdminTarget(options), 'GET', '/v1/status');
    console.log(`This node: ${s.node} (aerogramme ${s.version}, replication factor ${s.replicationFactor})\n`);
    console.log(
      table(
        ['ID', 'ADDRESS', 'ZONE', 'CAPACITY', 'STATE'],
        s.nodes.map((n) => [n.id.slice(0, 16), n.addr, n.role.zone, n.role.capacity === null ? 'n/a' : String(n.role.capacity), n.isUp ? 'up' : `down (${n.lastSeenSecsAgo ?? '?'} s)`]),
      ),
    );
  });
}
