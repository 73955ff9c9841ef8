import { HttpBlobStore, HttpK2vStore } from '../../../../core/client/index.js';
import { portContract } from './contract.js';
import { startServingNode } from './node-fixture.js';

portContract('HTTP storage port (S3 + K2V with SigV4)', async () => {
  const node = await startServingNode();
  const target = { region: node.config.s3.region, credentials: node.credentials, bucket: node.bucket };
  const k2v = new HttpK2vStore({ ...target, endpoint: node.k2vUrl });
  const blobs = new HttpBlobStore({ ...target, endpoint: node.s3Url });
  return {
    k2v,
    blobs,
    async close() {
      k2v.close();
      blobs.close();
      await node.close();
    },
  };
});
