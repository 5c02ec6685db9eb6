// The one script of the dashboard: the progress bar of a send under way polls the session-authenticated
// stats route and moves without a reload. It runs under the page's CSP nonce; without JavaScript the
// page shows the numbers as they were when it loaded (and a link to reload). The geometry comes from
// the server (`progress` in the JSON), so the rule for drawing the bar lives in one place.
export const LIVE_PROGRESS_SCRIPT = `(() => {
  const root = document.getElementById('send-progress');
  const url = root && root.dataset.statsUrl;
  if (!url) return;
  const bar = root.querySelector('[role="progressbar"]');
  const live = root.querySelector('[data-field="live"]');
  const note = document.getElementById('progress-note');
  const format = (n) => n.toLocaleString('en-US');
  const finish = (text, href) => {
    live.textContent = '';
    note.textContent = text + ' ';
    if (href) {
      const a = document.createElement('a');
      a.href = href;
      a.textContent = 'Show the results';
      note.append(a);
    }
  };
  const tick = async () => {
    try {
      const response = await fetch(url, { headers: { accept: 'application/json' }, credentials: 'same-origin', cache: 'no-store' });
      if (response.status === 401) return finish('You were signed out. Reload the page to sign in again.');
      if (response.ok) {
        const s = await response.json();
        for (const el of root.querySelectorAll('[data-field]')) {
          if (typeof s[el.dataset.field] === 'number') el.textContent = format(s[el.dataset.field]);
        }
        root.querySelector('[data-field="percent"]').textContent = s.progress.percent + ' %';
        for (const seg of s.progress.segments) {
          const rect = root.querySelector('[data-segment="' + seg.key + '"]');
          if (rect) { rect.setAttribute('x', String(seg.x)); rect.setAttribute('width', String(seg.width)); }
        }
        bar.setAttribute('aria-valuenow', String(s.progress.percent));
        bar.setAttribute('aria-valuetext', s.progress.text);
        if (s.status !== 'sending') return finish(s.status === 'sent' ? 'The send is finished.' : 'The send stopped: ' + (s.reason || s.status) + '.', location.pathname);
      }
    } catch (error) {
      // A network blip: try again at the next tick.
    }
    setTimeout(tick, 1500);
  };
  setTimeout(tick, 1000);
})();`;
