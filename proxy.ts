import { NextResponse, type NextRequest } from 'next/server';
import { consoleSecurityHeaders, newNonce, servedOverHttps } from '@/server/http/security-headers';

/**
 * Every console response carries the security headers; a page's CSP names a nonce made for this
 * request. Next.js reads the nonce from the request's Content-Security-Policy header and puts it
 * on its own scripts, which is why every page is rendered per request (app/layout.tsx). It runs on
 * every path (no matcher), so API answers and static files get nosniff and frame-ancestors too.
 */
export function proxy(request: NextRequest) {
  const headers = consoleSecurityHeaders({ nonce: newNonce(), https: servedOverHttps(request.headers), development: process.env.NODE_ENV === 'development' });
  const requestHeaders = new Headers(request.headers);
  requestHeaders.set('content-security-policy', headers['content-security-policy']!);
  const response = NextResponse.next({ request: { headers: requestHeaders } });
  for (const [name, value] of Object.entries(headers)) response.headers.set(name, value);
  return response;
}
