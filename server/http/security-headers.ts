/**
 * The security headers of both HTTP surfaces: the console's (set per request by proxy.ts, with a
 * fresh script nonce) and the order API's (fixed, set by serve-http.ts on every answer).
 */

/** The order API answers JSON to programs: nothing in it may run, load anything, or be framed. */
export const ORDER_API_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

/** A year; without includeSubDomains, so the console's host does not decide for the operator's other hosts. */
export const HSTS_VALUE = 'max-age=31536000';

/** 128 random bits, base64: a nonce-source CSP accepts, unguessable and new for every page. */
export function newNonce(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString('base64');
}

/**
 * Whether the browser reached the console over https: APP_URL says so, or the proxy in front of
 * it does with X-Forwarded-Proto (believed from any proxy: it only adds HSTS, which a forged
 * header can make a browser apply to a host that is https anyway or not reachable at all).
 */
export function servedOverHttps(headers: Headers, appUrl = process.env.APP_URL): boolean {
  if (appUrl?.startsWith('https://')) return true;
  return headers.get('x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase() === 'https';
}

/**
 * The console's headers for one request. Scripts run only with this request's nonce
 * ('strict-dynamic' lets the chunks they load run too), never inline without it; <style>
 * elements need the nonce as well, while style attributes are allowed (React's style prop and
 * the charts set them; they cannot run code). Development adds 'unsafe-eval', which React's dev
 * build needs for its error overlays.
 */
export function consoleSecurityHeaders(options: { nonce: string; https: boolean; development?: boolean }): Record<string, string> {
  const directives = [
    "default-src 'self'",
    `script-src 'self' 'nonce-${options.nonce}' 'strict-dynamic'${options.development ? " 'unsafe-eval'" : ''}`,
    `style-src 'self' 'nonce-${options.nonce}'`,
    "style-src-attr 'unsafe-inline'",
    "img-src 'self' blob: data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    ...(options.https ? ['upgrade-insecure-requests'] : []),
  ];
  return {
    'content-security-policy': directives.join('; '),
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'strict-origin-when-cross-origin',
    ...(options.https ? { 'strict-transport-security': HSTS_VALUE } : {}),
  };
}
