import type { StoreSpec } from '../config.js';
import { DirectoryStore } from './dir-store.js';
import type { ObjectStore } from './object-store.js';
import { S3Store, type S3Settings } from './s3-store.js';

/** The store a configured spec names: a directory, or a bucket and prefix on S3-compatible storage. */
export function openObjectStore(spec: StoreSpec, s3: S3Settings): ObjectStore {
  return spec.kind === 'dir' ? new DirectoryStore(spec.path) : new S3Store(s3, spec.bucket, spec.prefix);
}
