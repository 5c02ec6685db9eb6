import type { Config, Env } from '../config';
import type { Principal } from '../api/auth';
import type { Db } from '../db/client';

/** Hono's environment for this app: the bindings, and what middleware puts on the context. */
export type AppEnv = {
  Bindings: Env;
  /** `db`: the request's one Drizzle client (src/app.ts makes it), passed down from the handler. */
  Variables: { config: Config; db: Db; secureHeadersNonce?: string; requestId: string;
    /** Who called an /api route (src/api/auth.ts), once authenticated. */
    principal?: Principal;
  };
};
