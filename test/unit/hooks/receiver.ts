/** The receiving end of a signed hook, as a user's service in Node would check it (tests only). */
import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Whether `signature` (the X-Sluice-Signature header) is `sha256=<hex HMAC-SHA256 of body>` keyed
 * with `secret`, compared in constant time. Written here from the documented format, not with
 * src/hooks/signature.ts's signBody, so a wrong signature from sluice fails the tests.
 */
export const verifySignature = (secret: Uint8Array, body: string, signature: string): boolean => {
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`);
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
};
