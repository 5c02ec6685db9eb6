import type { Config, Env } from '../config';

/** Hono's environment for this app: the bindings, and what middleware puts on the context. */
export type AppEnv = {
  Bindings: Env;
  Variables: { config: Config; secureHeadersNonce?: string; requestId: string };
};
