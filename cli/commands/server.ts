import type { Command } from 'commander';
import { openEmbeddedBucket } from '../../core/client/index.js';
import { startNode } from '../../core/node.js';
import { loadConfig } from '../../core/util/config.js';
import { createLogger } from '../../core/util/log.js';
import { startMailServer } from '../../mail/server.js';

export function registerServer(program: Command): void {
  program
    .command('server')
    .description('run a node: S3, K2V and admin APIs, IMAP and LMTP (single node with data under ./data when no config is given)')
    .option('-c, --config <file>', 'TOML configuration file (see aerogramme.example.toml)')
    .action(async (options: { config?: string }) => {
      const { config, source } = loadConfig(options.config);
      const logger = createLogger(config.log.level);
      logger.info({ config: source, metadataDir: config.metadataDir }, 'starting');
      const node = await startNode(config, logger);
      let mail;
      try {
        // The mail layer reaches this node's storage through the embedded port: no HTTP hop.
        mail = await startMailServer({ config, storage: (settings) => openEmbeddedBucket(node, settings.bucket), logger });
      } catch (err) {
        await node.stop();
        throw err;
      }
      for (const [api, addr] of Object.entries(mail.addresses)) logger.info({ api, addr }, 'listening');
      const running = mail;
      logger.info({ node: node.id, addresses: { ...node.addresses, ...running.addresses } }, 'ready');
      let stopping = false;
      const shutdown = (signal: string) => {
        if (stopping) return;
        stopping = true;
        logger.info({ signal }, 'stopping');
        running
          .stop()
          .then(() => node.stop())
          .then(
            () => {
              logger.info('stopped');
              process.exit(0);
            },
            (err: unknown) => {
              logger.error({ err }, 'unclean stop');
              process.exit(1);
            },
          );
      };
      process.on('SIGTERM', () => shutdown('SIGTERM'));
      process.on('SIGINT', () => shutdown('SIGINT'));
    });
}
