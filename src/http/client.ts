// Who is asking, for rate limits: Cloudflare's CF-Connecting-IP, reduced to what one client controls.
// One IPv4 address is one client. An IPv6 client usually holds a whole /64 (SLAAC, privacy addresses),
// so keying by the full address would let it rotate through 2^64 keys: IPv6 is keyed by its /64.

/** The rate-limit key for a client address; `unknown` when the header is missing or unreadable. */
export function clientKey(ip: string | null | undefined): string {
  const raw = (ip ?? '').trim();
  if (!raw) return 'unknown';
  const v4 = parseIpv4(raw);
  if (v4) return `ip4:${v4}`;
  const v6 = parseIpv6(raw);
  if (v6) {
    // IPv4-mapped (::ffff:a.b.c.d) is the IPv4 client itself.
    if (v6.slice(0, 5).every((h) => h === 0) && v6[5] === 0xffff) {
      return `ip4:${v6[6] >> 8}.${v6[6] & 255}.${v6[7] >> 8}.${v6[7] & 255}`;
    }
    return `ip6:${v6
      .slice(0, 4)
      .map((h) => h.toString(16))
      .join(':')}::/64`;
  }
  return `other:${raw.slice(0, 64)}`;
}

function parseIpv4(text: string): string | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return null;
  const octets = m.slice(1).map(Number);
  return octets.every((o) => o <= 255) ? octets.join('.') : null;
}

/** Eight 16-bit groups, or null. Accepts `::` compression, a trailing dotted IPv4 and a `%zone`. */
export function parseIpv6(text: string): number[] | null {
  let s = text.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  if (!s.includes(':') || s.length > 45) return null;
  const tail: number[] = [];
  const dotted = /^(.*:)(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})$/.exec(s);
  if (dotted) {
    const v4 = parseIpv4(dotted[2]);
    if (!v4) return null;
    const [a, b, c, d] = v4.split('.').map(Number);
    tail.push((a << 8) | b, (c << 8) | d);
    s = dotted[1].endsWith('::') ? dotted[1] : dotted[1].slice(0, -1);
  }
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const parse = (part: string) => (part === '' ? [] : part.split(':'));
  const head = parse(halves[0]);
  const rest = halves.length === 2 ? parse(halves[1]) : [];
  if (![...head, ...rest].every((h) => /^[0-9a-f]{1,4}$/i.test(h))) return null;
  const groups = [...head, ...rest].length + tail.length;
  if (halves.length === 1 ? groups !== 8 : groups > 7) return null;
  const zeros = new Array(8 - groups).fill(0);
  const hex = (list: string[]) => list.map((h) => parseInt(h, 16));
  return halves.length === 2 ? [...hex(head), ...zeros, ...hex(rest), ...tail] : [...hex(head), ...tail];
}
