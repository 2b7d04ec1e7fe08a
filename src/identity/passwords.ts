import { hash, verify } from '@node-rs/argon2';
import { dictionary } from '@zxcvbn-ts/language-common';
import type { Config } from '../config.js';
import { IdentityError } from './identity.errors.js';

export type Argon2Params = Config['argon2'];

// @node-rs/argon2 declares Algorithm as a const enum, which isolated-module
// builds cannot inline; 2 is its documented value for argon2id.
const ARGON2ID = 2;

export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 128;

export function hashPassword(password: string, params: Argon2Params): Promise<string> {
  return hash(password, {
    algorithm: ARGON2ID,
    memoryCost: params.memoryKiB,
    timeCost: params.timeCost,
    parallelism: params.parallelism,
  });
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false; // a malformed stored hash never authenticates
  }
}

/** True when a stored hash was made with weaker parameters than configured. */
export function needsRehash(passwordHash: string, params: Argon2Params): boolean {
  const match = /^\$argon2id\$v=\d+\$m=(\d+),t=(\d+),p=(\d+)\$/.exec(passwordHash);
  if (!match) return true;
  const [, m, t, p] = match.map(Number);
  return m !== params.memoryKiB || t !== params.timeCost || p !== params.parallelism;
}

/** Rules every new password must meet; the message names the rule, never the password. */
export function assertPasswordAcceptable(password: string, email: string): void {
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH || length > PASSWORD_MAX_LENGTH) {
    throw new IdentityError('password_policy', `password must be ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters long`);
  }
  const lower = password.trim().toLowerCase();
  if (lower === email.trim().toLowerCase() || lower === email.trim().toLowerCase().split('@')[0]) {
    throw new IdentityError('password_policy', 'password must not be the e-mail address');
  }
  if (isCommonPassword(password)) {
    throw new IdentityError('password_policy', 'password is one of the most common passwords; choose another');
  }
}

// The ~49,000 most common passwords of leaked lists, as zxcvbn ranks them
// (@zxcvbn-ts/language-common, MIT). Loaded once, on first use.
let common: Set<string> | undefined;

export function isCommonPassword(password: string): boolean {
  common ??= new Set(dictionary['passwords-common'] as string[]);
  return common.has(password.toLowerCase());
}
