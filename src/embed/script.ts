// GET /embed.js: the one script a writer adds to their own site. No dependencies, no build step, a
// few KB. Progressive enhancement only: every form it touches already works without it.
//
// On any page it:
// - upgrades each `<form data-newsletter>` whose action is this service's /subscribe into a no-reload
//   form: it posts the same fields (honeypot included) with `fetch` (CORS, no credentials; the
//   browser sends the page's Origin and the Worker answers only SIGNUP_ORIGINS), and says how it went
//   in a status line that screen readers announce (role=status, aria-live=polite);
// - renders Turnstile in each such form when the service has it configured (explicit rendering, a
//   fresh token per attempt, since each token buys one sign-up);
// - shows `?subscribe=pending|invalid|limited` (where a plain post came back to) in the first form's
//   status line;
// - fits `<iframe data-newsletter-embed>` to the height that /embed reports, accepting messages
//   only from this service's origin and from that iframe's own window.
// Inside /embed (framed) it reports the page's height to the parent, and only when the parent's
// origin is one the page lists (this service or SIGNUP_ORIGINS): the message never goes elsewhere.
//
// It obeys a strict CSP (ours: script-src with a nonce, style-src 'self'): no eval, no inline
// handlers, no style attributes (only CSSOM properties), no HTML strings.
import type { Config } from '../config';
import { RESULT_MESSAGES } from './page';

const SOURCE = String.raw`(function () {
  'use strict';
  var CONFIG = __CONFIG__;
  // Pasted twice (a form and a frame on one page): the second copy has nothing to add.
  var loaded = '__newsletterEmbed:' + CONFIG.origin;
  if (window[loaded]) return;
  window[loaded] = true;
  var TURNSTILE_SRC = 'https://challenges.cloudflare.com/turnstile/v0/api.js?render=explicit';
  var MESSAGES = CONFIG.messages;
  var SENDING = 'Sending…';
  var UNREACHABLE = 'The sign-up could not be sent from this page. Please try again in a moment.';
  var turnstileLoading = null;

  function subscribeUrl(form) {
    try {
      var url = new URL(form.getAttribute('action') || '', location.href);
      return url.origin === CONFIG.origin && url.pathname === '/subscribe' ? url.href : null;
    } catch (e) {
      return null;
    }
  }

  function statusLine(form) {
    var line = form.querySelector('[data-newsletter-status]');
    if (!line) {
      line = document.createElement('p');
      line.setAttribute('data-newsletter-status', '');
      form.appendChild(line);
    }
    line.setAttribute('role', 'status');
    line.setAttribute('aria-live', 'polite');
    if (!line.id) line.id = 'newsletter-status-' + Math.random().toString(36).slice(2, 10);
    return line;
  }

  function say(form, text, isError) {
    var line = statusLine(form);
    line.textContent = text;
    line.classList.toggle('form-status--error', !!isError);
    line.setAttribute('data-tone', isError ? 'error' : 'info');
    var email = form.querySelector('[name="email"]');
    if (email) {
      if (isError) {
        email.setAttribute('aria-invalid', 'true');
        email.setAttribute('aria-describedby', line.id);
      } else {
        email.removeAttribute('aria-invalid');
      }
    }
  }

  function loadTurnstile() {
    if (window.turnstile) return Promise.resolve(window.turnstile);
    if (!turnstileLoading) {
      turnstileLoading = new Promise(function (resolve, reject) {
        var script = document.createElement('script');
        script.src = TURNSTILE_SRC;
        script.async = true;
        script.addEventListener('load', function () { window.turnstile ? resolve(window.turnstile) : reject(new Error('turnstile')); });
        script.addEventListener('error', reject);
        document.head.appendChild(script);
      });
    }
    return turnstileLoading;
  }

  function addTurnstile(form) {
    // A form that already has a widget (the service's own /embed page renders one) keeps it.
    if (!CONFIG.turnstileSiteKey || form.querySelector('.cf-turnstile, [data-newsletter-turnstile]')) return;
    var box = document.createElement('div');
    box.setAttribute('data-newsletter-turnstile', '');
    var button = form.querySelector('[type="submit"]');
    if (button && button.parentNode === form) form.insertBefore(box, button);
    else form.appendChild(box);
    loadTurnstile().then(function (turnstile) {
      form.__newsletterWidget = turnstile.render(box, { sitekey: CONFIG.turnstileSiteKey, action: 'subscribe' });
    }, function () {
      say(form, 'The anti-bot check could not load. Please reload the page and try again.', true);
    });
  }

  function resetTurnstile(form) {
    if (!window.turnstile) return;
    var widget = form.__newsletterWidget !== undefined ? form.__newsletterWidget : form.querySelector('.cf-turnstile');
    try { if (widget) window.turnstile.reset(widget); } catch (e) { /* nothing to reset */ }
  }

  function upgrade(form) {
    var url = subscribeUrl(form);
    if (!url || form.__newsletter) return;
    form.__newsletter = true;
    statusLine(form);
    addTurnstile(form);
    var busy = false;
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      if (busy) return;
      busy = true;
      form.setAttribute('aria-busy', 'true');
      var buttons = form.querySelectorAll('button, [type="submit"]');
      for (var i = 0; i < buttons.length; i++) buttons[i].disabled = true;
      say(form, SENDING, false);
      var body = new URLSearchParams();
      new FormData(form).forEach(function (value, key) {
        if (typeof value === 'string' && key !== 'return_to') body.append(key, value);
      });
      fetch(url, { method: 'POST', body: body, headers: { accept: 'application/json' }, mode: 'cors', credentials: 'omit', cache: 'no-store' })
        .then(function (response) {
          return response.json().catch(function () { return null; }).then(function (data) {
            var problem = data && data.error && typeof data.error.message === 'string' ? data.error.message : null;
            if (response.status === 202) {
              var email = form.querySelector('[name="email"]');
              if (email) email.value = '';
              say(form, MESSAGES.pending, false);
            } else if (response.status === 429 || response.status === 503) {
              say(form, problem || MESSAGES.limited, true);
            } else {
              say(form, problem || MESSAGES.invalid, true);
            }
            if (response.status !== 202) {
              var field = form.querySelector('[name="email"]');
              if (field) field.focus();
            }
          });
        }, function () {
          // A network failure, or this page's origin is not in SIGNUP_ORIGINS (no CORS answer).
          say(form, UNREACHABLE, true);
          if (window.console) console.warn('newsletter: ' + url + ' did not answer this page (' + location.origin + '). Is it listed in SIGNUP_ORIGINS?');
        })
        .then(function () {
          busy = false;
          form.removeAttribute('aria-busy');
          for (var i = 0; i < buttons.length; i++) buttons[i].disabled = false;
          resetTurnstile(form);
        });
    });
  }

  /** Where a plain post came back to: ?subscribe=… in this page's address. */
  function showReturnedResult(forms) {
    var result;
    try { result = new URL(location.href).searchParams.get('subscribe'); } catch (e) { return; }
    if (!result || !Object.prototype.hasOwnProperty.call(MESSAGES, result)) return;
    for (var i = 0; i < forms.length; i++) {
      if (!subscribeUrl(forms[i])) continue;
      var line = statusLine(forms[i]);
      if (!line.textContent) say(forms[i], MESSAGES[result], result !== 'pending');
      return;
    }
  }

  /** In /embed, framed: tell the parent our height, if the parent is a page allowed to frame us. */
  function reportHeight() {
    var listed = document.body && document.body.getAttribute('data-newsletter-frame');
    if (!listed || window.parent === window) return;
    var parentOrigin = null;
    if (location.ancestorOrigins && location.ancestorOrigins.length) parentOrigin = location.ancestorOrigins[0];
    else if (document.referrer) { try { parentOrigin = new URL(document.referrer).origin; } catch (e) { /* none */ } }
    if (!parentOrigin || listed.split(' ').indexOf(parentOrigin) < 0) return;
    var last = 0;
    function send() {
      var height = Math.ceil(document.documentElement.getBoundingClientRect().height);
      if (height === last) return;
      last = height;
      window.parent.postMessage({ type: 'newsletter:height', height: height }, parentOrigin);
    }
    if (window.ResizeObserver) new ResizeObserver(send).observe(document.documentElement);
    window.addEventListener('load', send);
    send();
  }

  /** On the writer's page: size each <iframe data-newsletter-embed> to what its /embed reports. */
  function fitFrames() {
    window.addEventListener('message', function (event) {
      if (event.origin !== CONFIG.origin) return;
      var data = event.data;
      if (!data || data.type !== 'newsletter:height' || typeof data.height !== 'number' || !isFinite(data.height)) return;
      var frames = document.querySelectorAll('iframe[data-newsletter-embed]');
      for (var i = 0; i < frames.length; i++) {
        if (frames[i].contentWindow === event.source) frames[i].style.height = Math.max(80, Math.min(2000, Math.round(data.height))) + 'px';
      }
    });
  }

  function start() {
    var forms = document.querySelectorAll('form[data-newsletter]');
    for (var i = 0; i < forms.length; i++) upgrade(forms[i]);
    showReturnedResult(forms);
    reportHeight();
  }

  fitFrames();
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
`;

/** /embed.js for this configuration: the service's origin, the Turnstile site key and the status texts. */
export function embedScript(config: Config): string {
  const settings = {
    origin: new URL(config.publicUrl).origin,
    turnstileSiteKey: config.turnstile?.siteKey ?? null,
    messages: RESULT_MESSAGES,
  };
  // JSON inside a script: `<` escaped so no value can close a <script> element the file is pasted into.
  return SOURCE.replace('__CONFIG__', JSON.stringify(settings).replace(/</g, '\\u003c'));
}
