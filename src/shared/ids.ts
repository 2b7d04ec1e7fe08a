import { v7 } from 'uuid';

/** Time-ordered UUIDv7: new rows land at the end of the primary-key index. */
export function newId(): string {
  return v7();
}
