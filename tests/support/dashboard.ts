// Driving the dashboard as a browser would: cookies carried by hand, CSRF tokens read off the pages.
import { ADMIN_TOKEN } from './admin';
import { call } from './helpers';

/** `name=value` pairs from a response's Set-Cookie headers (an empty value means "deleted"). */
export function setCookies(response: Response): Map<string, string> {
  const jar = new Map<string, string>();
  for (const line of response.headers.getSetCookie()) {
    const [pair] = line.split(';');
    const at = pair.indexOf('=');
    jar.set(pair.slice(0, at).trim(), pair.slice(at + 1).trim());
  }
  return jar;
}

export function cookieHeader(jar: Map<string, string>): string {
  return [...jar].filter(([, v]) => v !== '').map(([k, v]) => `${k}=${v}`).join('; ');
}

/** The value of the first hidden `_csrf` field on a page. */
export function csrfOf(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!match) throw new Error(`no _csrf field on the page:\n${html.slice(0, 2000)}`);
  return match[1];
}

export interface Browser {
  ip: string;
  jar: Map<string, string>;
  get(path: string, init?: RequestInit): Promise<Response>;
  post(path: string, fields: Record<string, string> | FormData, init?: RequestInit): Promise<Response>;
}

let browsers = 0;

/** A client with its own IP and cookie jar; form posts carry a same-origin Origin header. */
export function browser(ip = `10.77.${Math.floor(++browsers / 250)}.${browsers % 250}`): Browser {
  const jar = new Map<string, string>();
  const send = async (path: string, init: RequestInit) => {
    const headers = new Headers(init.headers);
    if (jar.size) headers.set('cookie', cookieHeader(jar));
    const response = await call(path, { ...init, headers, ip, redirect: 'manual' });
    for (const [k, v] of setCookies(response)) {
      if (v === '') jar.delete(k);
      else jar.set(k, v);
    }
    return response;
  };
  return {
    ip,
    jar,
    get: (path, init = {}) => send(path, { ...init, method: 'GET' }),
    post: (path, fields, init = {}) => {
      const headers = new Headers(init.headers);
      if (!headers.has('origin')) headers.set('origin', 'http://localhost:8787');
      if (fields instanceof FormData) return send(path, { ...init, method: 'POST', body: fields, headers });
      headers.set('content-type', 'application/x-www-form-urlencoded');
      return send(path, { ...init, method: 'POST', body: new URLSearchParams(fields).toString(), headers });
    },
  };
}

/** Signs in through the form; returns the browser and the session's CSRF token. */
export async function signedInBrowser(ip?: string): Promise<Browser & { csrf: string }> {
  const b = browser(ip);
  const form = await b.get('/admin');
  const login = await b.post('/admin/login', { token: ADMIN_TOKEN, _csrf: csrfOf(await form.text()) });
  if (login.status !== 303) throw new Error(`sign-in: ${login.status} ${await login.text()}`);
  const overview = await b.get('/admin');
  if (overview.status !== 200) throw new Error(`overview: ${overview.status}`);
  return Object.assign(b, { csrf: csrfOf(await overview.text()) });
}
