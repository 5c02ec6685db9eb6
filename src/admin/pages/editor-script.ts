// The editor's script, run under the page's CSP nonce. Everything it does, the page also does without
// it (editor.tsx): here the preview frames follow the text as it is typed, the checks run as you go,
// and an image pasted or dropped into the body is uploaded and its Markdown put where the cursor is.
// The preview goes through the same form post as the Preview buttons (into the named frames), so
// what it shows is what the server renders, not a copy of the renderer in the browser.
export const EDITOR_SCRIPT = `(() => {
  const form = document.getElementById('editor-form');
  if (!form) return;
  const body = document.getElementById('markdown');
  const live = document.getElementById('checks-live');
  const csrf = form.dataset.csrf;
  let timer = 0;
  let checking = 0;

  const fieldsOnly = () => {
    const data = new FormData(form);
    data.delete('image');
    data.delete('intent');
    return data;
  };

  const preview = () => {
    const action = form.getAttribute('action');
    for (const scheme of ['light', 'dark']) {
      form.setAttribute('action', '/admin/issues/preview?scheme=' + scheme);
      form.setAttribute('target', 'preview-' + scheme);
      HTMLFormElement.prototype.submit.call(form);
    }
    form.setAttribute('action', action);
    form.removeAttribute('target');
  };

  const LABELS = { slug: 'Address (slug)', title: 'Title', date: 'Date', summary: 'Summary', body: 'Body' };
  const showChecks = (problems, warnings) => {
    if (!live) return;
    live.replaceChildren();
    const all = problems.map((p) => ['error', p]).concat(warnings.map((p) => ['warning', p]));
    if (all.length === 0) return;
    const box = document.createElement('div');
    box.className = problems.length ? 'alert' : 'warning';
    const title = document.createElement('p');
    title.textContent = problems.length ? 'To fix before saving:' : 'Worth a look (it saves anyway):';
    box.append(title);
    const list = document.createElement('ul');
    list.className = 'checks';
    for (const [, p] of all) {
      const item = document.createElement('li');
      item.textContent = LABELS[p.field] + (p.line ? ', line ' + p.line : '') + ': ' + p.message;
      list.append(item);
    }
    box.append(list);
    live.append(box);
  };

  const check = async () => {
    const mine = ++checking;
    try {
      const response = await fetch(form.dataset.checkUrl, { method: 'POST', body: fieldsOnly(), credentials: 'same-origin', headers: { accept: 'application/json' } });
      if (!response.ok || mine !== checking) return;
      const result = await response.json();
      showChecks(result.problems || [], result.warnings || []);
    } catch (error) {
      // Offline for a moment: the checks run again at the next change, and on save.
    }
  };

  const changed = () => {
    clearTimeout(timer);
    timer = setTimeout(() => { preview(); check(); }, 700);
  };
  form.addEventListener('input', (event) => { if (event.target.type !== 'file') changed(); });

  const insert = (text) => {
    const start = body.selectionStart;
    body.setRangeText(text, start, body.selectionEnd, 'end');
    return start;
  };

  const upload = async (file) => {
    const marker = '![Uploading ' + file.name.replace(/[\\[\\]]/g, '') + '...]()';
    // On a paragraph of its own: as many line breaks around it as it takes, no more.
    const before = body.value.slice(0, body.selectionStart);
    const after = body.value.slice(body.selectionEnd);
    const lead = before === '' || before.endsWith('\\n\\n') ? '' : before.endsWith('\\n') ? '\\n' : '\\n\\n';
    const trail = after.startsWith('\\n\\n') ? '' : after.startsWith('\\n') ? '\\n' : '\\n\\n';
    insert(lead + marker + trail);
    let replacement = '';
    try {
      const response = await fetch(form.dataset.mediaUrl, { method: 'POST', body: file, credentials: 'same-origin', headers: { 'content-type': file.type, 'x-csrf-token': csrf, accept: 'application/json' } });
      const result = await response.json();
      if (response.ok) replacement = '![Describe this image](' + result.url + ')';
      else showChecks([{ field: 'body', message: 'The image was not uploaded: ' + result.error.message }], []);
    } catch (error) {
      showChecks([{ field: 'body', message: 'The image was not uploaded: the network failed. Try again.' }], []);
    }
    const at = body.value.indexOf(marker);
    if (at < 0) return;
    body.setRangeText(replacement, at, at + marker.length, 'end');
    if (replacement) {
      // Select the description, so typing replaces it.
      body.focus();
      body.setSelectionRange(at + 2, at + 2 + 'Describe this image'.length);
    }
    changed();
  };

  const images = (list) => Array.from(list || []).filter((f) => /^image\\//.test(f.type));
  body.addEventListener('paste', (event) => {
    const files = images(event.clipboardData && event.clipboardData.files);
    if (files.length === 0) return;
    event.preventDefault();
    files.forEach(upload);
  });
  body.addEventListener('dragover', (event) => { if (images(event.dataTransfer && event.dataTransfer.files).length || (event.dataTransfer && Array.from(event.dataTransfer.types).includes('Files'))) event.preventDefault(); });
  body.addEventListener('drop', (event) => {
    const files = images(event.dataTransfer && event.dataTransfer.files);
    if (files.length === 0) return;
    event.preventDefault();
    files.forEach(upload);
  });
  if (!document.querySelector('iframe[name="preview-light"]').getAttribute('src').startsWith('/')) changed();
})();`;
