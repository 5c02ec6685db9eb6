// The scopes an API key can hold (CONTRACT "Integrations"). ADMIN_TOKEN holds all of them.
export const SCOPES = ['subscribers:read', 'subscribers:write', 'issues:read', 'issues:write', 'issues:send', 'keys:manage', 'webhooks:manage'] as const;
export type Scope = (typeof SCOPES)[number];

export const SCOPE_HELP: Record<Scope, string> = {
  'subscribers:read': 'list and export subscribers',
  'subscribers:write': 'import, erase, lift suppressions',
  'issues:read': 'list issues, their stats and recipients',
  'issues:write': 'write, schedule and delete articles, upload media',
  'issues:send': 'send an issue, a test copy; retry, resume or cancel a send',
  'keys:manage': 'create, list and delete API keys',
  'webhooks:manage': 'register, list and delete webhook endpoints',
};

export function isScope(value: unknown): value is Scope {
  return typeof value === 'string' && (SCOPES as readonly string[]).includes(value);
}
