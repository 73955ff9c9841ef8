import type { Command } from 'commander';
import { startNode } from '../../core/node.js';
import { loadConfig } from '../../core/util/config.js';
import { createLogger } from '../../core/util/log.js';

export function registerServer(program: Command): void {
  program
    .command('server')
    .description('run a node: S3 API, admin API (single node with data under ./data when no config is given)')
    .option('-c, --config <file>', 'TOML configuration file (see aerogramme.example.toml)')
    .action(async (options: { config?: string }) => {
      const { config, source } = loadConfig(options.config);
      const logger = createLogger(config.log.level);
      logger.info({ config: source, metadataDir: config.metadataDir, dataDir: config.dataDir }, 'starting');
      const node = await startNode(config, logger);
      logger.info({ node: node.id, addresses: node.addresses }, 'ready');
      let stopping = false;
      const shutdown = (signal: string) => {
        if (stopping) return;
        stopping = true;
        logger.info({ signal }, 'stopping');
        node.stop().then(
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
