import { caniemail } from 'caniemail';
import { readFileSync } from 'node:fs';
const html = readFileSync(process.argv[2], 'utf8');
const r = caniemail({ clients: ['gmail.*','apple-mail.*','outlook.macos','outlook.ios','yahoo.*'], html });
for (const kind of ['errors','warnings']) {
  const m = r.issues[kind];
  const byTitle = new Map();
  for (const [client, list] of (m instanceof Map ? m : Object.entries(m))) for (const i of list) {
    const key = `${i.title} [${i.support}]`;
    const s = byTitle.get(key) ?? new Set(); s.add(client); byTitle.set(key, s);
  }
  console.log(kind);
  for (const [k, s] of byTitle) console.log('  ', k, [...s].join(','));
}
