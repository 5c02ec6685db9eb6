import { defineConfig } from 'drizzle-kit';

// drizzle-kit only writes the SQL files; wrangler applies them (locally before `npm run dev`,
// remotely in `npm run deploy`). Never also run `drizzle-kit migrate`/`push`: two ledgers.
export default defineConfig({
  dialect: 'sqlite',
  schema: './src/db/schema.ts',
  out: './migrations',
});
