import { describe, expect, it } from 'vitest';
import { call, postJson, waitForMail } from './support/helpers';

describe('smoke', () => {
  it('serves the home page and queues a confirmation', async () => {
    const home = await call('/');
    expect(home.status).toBe(200);
    const r = await postJson('/subscribe', { email: 'a@example.com' });
    expect(r.status).toBe(202);
    const mails = await waitForMail('a@example.com', 'Confirm');
    expect(mails).toHaveLength(1);
  });
});
