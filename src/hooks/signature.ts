/**
 * How every webhook request is signed, so a receiver can tell it came from sluice and was not
 * changed: `X-Sluice-Signature: sha256=<hex HMAC-SHA256 of the raw body>`, keyed with the value of
 * spec.hooks.signingSecret (the bytes of that Secret key). The body carries its own `time` and
 * `delivery` id, so a receiver can also refuse stale or repeated deliveries. Check it in shell:
 *
 *   printf '%s' "$BODY" | openssl dgst -sha256 -hmac "$SECRET" | sed 's/^.* /sha256=/'
 */
import { createHmac } from 'node:crypto';

/** The header carrying the signature. */
export const SIGNATURE_HEADER = 'X-Sluice-Signature';
/** The header carrying the delivery id: the same id for every retry of one call, and for a call repeated after a crash. */
export const DELIVERY_HEADER = 'X-Sluice-Delivery';
/** The header naming the hook kind (preStart, during, ...). */
export const KIND_HEADER = 'X-Sluice-Hook';

/** `sha256=<hex>` of `body` keyed with `secret`. */
export const signBody = (secret: Uint8Array, body: string): string => `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
