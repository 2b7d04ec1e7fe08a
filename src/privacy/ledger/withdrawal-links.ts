import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Keyring } from '../../keys/keyring.js';
import { deriveKey } from '../../keys/secret-box.js';

// A personal withdrawal link: every mail sent for a purpose carries one, and
// withdrawal must keep working for as long as the person exists, so the token
// is not stored: it names the person's subject and the purpose and is
// authenticated with a MAC under a key derived from the instance key, bound to
// the tenant. It holds no personal data (a subject id is a random UUID); a
// forged or altered token fails the MAC. After erasure the subject has no
// person any more and the link finds nothing to withdraw.

const MAC_BYTES = 16;

function macKey(keyring: Keyring): Buffer {
  return deriveKey(keyring.instanceKey, 'consent-withdrawal-link');
}

function uuidBytes(id: string): Buffer {
  return Buffer.from(id.replace(/-/g, ''), 'hex');
}

function uuidOf(bytes: Buffer): string {
  const h = bytes.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function mac(keyring: Keyring, tenantId: string, body: Buffer): Buffer {
  return createHmac('sha256', macKey(keyring)).update(`${tenantId}|`).update(body).digest().subarray(0, MAC_BYTES);
}

export function withdrawalToken(keyring: Keyring, tenantId: string, subjectId: string, purposeId: string): string {
  const body = Buffer.concat([uuidBytes(subjectId), uuidBytes(purposeId)]);
  return Buffer.concat([body, mac(keyring, tenantId, body)]).toString('base64url');
}

/** The subject and purpose a token names, or null when it is not one this tenant issued. */
export function readWithdrawalToken(keyring: Keyring, tenantId: string, token: string): { subjectId: string; purposeId: string } | null {
  if (!/^[A-Za-z0-9_-]{1,128}$/.test(token)) return null;
  const raw = Buffer.from(token, 'base64url');
  if (raw.length !== 32 + MAC_BYTES) return null;
  const body = raw.subarray(0, 32);
  if (!timingSafeEqual(raw.subarray(32), mac(keyring, tenantId, body))) return null;
  return { subjectId: uuidOf(body.subarray(0, 16)), purposeId: uuidOf(body.subarray(16)) };
}

/** The public page a withdrawal link opens (GET shows a button, POST withdraws at once: RFC 8058 one-click). */
export function withdrawalUrl(publicUrl: string, tenantSlug: string, token: string): string {
  return `${publicUrl}/api/v1/public/${encodeURIComponent(tenantSlug)}/unsubscribe?token=${token}`;
}
