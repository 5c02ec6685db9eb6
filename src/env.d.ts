// Modules wrangler.toml's [[rules]] load as text.
declare module '@scalar/api-reference/browser/standalone.js' {
  const source: string;
  export default source;
}
