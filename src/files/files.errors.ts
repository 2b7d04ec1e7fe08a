import { domainErrorClass, type ErrorKind } from '../shared/domain-error.js';

export type FileErrorCode =
  | 'file_not_found'
  | 'version_not_found'
  | 'version_expired'
  | 'invalid_upload'
  | 'file_too_large'
  | 'quota_exceeded'
  | 'range_not_satisfiable'
  | 'version_conflict'
  | 'content_damaged';

const kinds: Record<FileErrorCode, ErrorKind> = {
  file_not_found: 'not_found',
  version_not_found: 'not_found',
  version_expired: 'conflict',
  invalid_upload: 'invalid',
  file_too_large: 'too_large',
  quota_exceeded: 'conflict',
  // Answered as 416 by the routes (no error kind maps to it).
  range_not_satisfiable: 'invalid',
  version_conflict: 'conflict',
  // The stored bytes fail authentication or are missing: nothing is served.
  content_damaged: 'unavailable',
};

export const FileError = domainErrorClass<FileErrorCode>('FileError', kinds);
export type FileError = InstanceType<typeof FileError>;
