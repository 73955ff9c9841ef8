import { EmbeddedBlobStore, EmbeddedK2vStore } from '../../../../core/client/index.js';
import { portContract } from './contract.js';
import { startNode } from './node-fixture.js';

portContract('embedded storage port', async () => {
  const node = await startNode();
  return {
    k2v: new EmbeddedK2vStore(node.k2v, node.bucketId),
    blobs: new EmbeddedBlobStore(node.model.objects, node.bucketId),
    close: () => node.close(),
  };
});
