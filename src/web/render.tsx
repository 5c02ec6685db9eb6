/** @jsxRuntime automatic */
/** @jsxImportSource react */
import type React from "react";
import { renderToStaticMarkup } from "react-dom/server";

/** Render a full page component (one whose root is <html>) to an HTML document string. */
export function renderPage(el: React.ReactElement): string {
  return "<!doctype html>" + renderToStaticMarkup(el);
}
