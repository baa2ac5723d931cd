import type { FastifyReply, FastifyRequest } from 'fastify';
import { PLAIN_SESSION_COOKIE, SECURE_SESSION_COOKIE } from '../../auth/index.js';
import { isHttpsRequest } from '../server-origin.js';

/**
 * Returns the session cookie of a request, preferring the `__Host-` one: a browser that moved
 * from plain HTTP to HTTPS may still hold an old plain cookie.
 */
export function readSessionCookie(request: FastifyRequest): string | null {
  return request.cookies[SECURE_SESSION_COOKIE] ?? request.cookies[PLAIN_SESSION_COOKIE] ?? null;
}

/**
 * Sets the session cookie: `__Host-duckling_session` with `Secure` when the request's server origin
 * is https, else `duckling_session`; always HttpOnly, SameSite=Strict and Path=/.
 */
export function setSessionCookie(reply: FastifyReply, value: string, maxAgeSec: number, publicOrigins: readonly string[]): void {
  const secure = isHttpsRequest(reply.request, publicOrigins);
  reply.setCookie(secure ? SECURE_SESSION_COOKIE : PLAIN_SESSION_COOKIE, value, {
    httpOnly: true,
    sameSite: 'strict',
    path: '/',
    maxAge: maxAgeSec,
    secure,
  });
}

/** Expires the session cookie of the request's scheme, and any session cookie the request carried. */
export function clearSessionCookies(reply: FastifyReply, publicOrigins: readonly string[]): void {
  const request = reply.request;
  const https = isHttpsRequest(request, publicOrigins);
  for (const name of [SECURE_SESSION_COOKIE, PLAIN_SESSION_COOKIE]) {
    const fitsScheme = (name === SECURE_SESSION_COOKIE) === https;
    if (!fitsScheme && request.cookies[name] === undefined) continue;
    // Browsers accept a `__Host-` cookie, even an expired one, only with Secure.
    reply.setCookie(name, '', { httpOnly: true, sameSite: 'strict', path: '/', maxAge: 0, secure: name === SECURE_SESSION_COOKIE });
  }
}
