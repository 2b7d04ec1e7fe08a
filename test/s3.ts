import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
// s3rver has no types; it is a Koa app that serves the S3 API from a directory.
// @ts-expect-error untyped package
import S3rver from 's3rver';
import type { S3Settings } from '../src/storage/s3-store.js';

export interface LocalS3 {
  settings: S3Settings;
  bucket: string;
  /** The directory s3rver keeps objects in: byte searches of "the store" look here. */
  directory: string;
  close(): Promise<void>;
}

/** A real S3-compatible server (s3rver) on a loopback port, with one bucket, for one test file. */
export async function startLocalS3(bucket = 'custodia-test'): Promise<LocalS3> {
  const directory = await mkdtemp(path.join(tmpdir(), 'custodia-s3-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: bucket }],
  });
  const address = (await server.run()) as AddressInfo;
  return {
    settings: {
      endpoint: `http://127.0.0.1:${address.port}`,
      region: 'us-east-1',
      accessKeyId: 'S3RVER',
      secretAccessKey: 'S3RVER',
      forcePathStyle: true,
    },
    bucket,
    directory,
    async close() {
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
