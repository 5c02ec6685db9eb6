// The subscribers page's upload, with JavaScript: Preview shows the dry run's answer on the page
// itself, the file stays chosen, and an Import button appears that posts the same form to the import
// (a normal form post: the result page follows). Without JavaScript the form posts the preview as a
// page of its own, whose Import button asks for the file again. Runs under the page's CSP nonce; the
// preview's HTML is the server's own page (escaped by React), read with DOMParser.
export const IMPORT_PREVIEW_SCRIPT = `(() => {
  const form = document.getElementById('import-form');
  const out = document.getElementById('import-preview');
  if (!form || !out || !window.fetch || !window.DOMParser) return;
  const preview = form.querySelector('[data-action="preview"]');
  let importing = false;
  const say = (text) => {
    const p = document.createElement('p');
    p.className = 'alert';
    p.setAttribute('role', 'alert');
    p.textContent = text;
    out.replaceChildren(p);
  };
  const reset = () => {
    const button = form.querySelector('[data-action="import"]');
    if (button) button.remove();
    out.replaceChildren();
  };
  form.addEventListener('change', reset);
  form.addEventListener('submit', async (event) => {
    if (importing) return;
    event.preventDefault();
    reset();
    preview.disabled = true;
    out.setAttribute('aria-busy', 'true');
    try {
      const response = await fetch(form.action, { method: 'POST', body: new FormData(form), credentials: 'same-origin', headers: { accept: 'text/html' } });
      const page = new DOMParser().parseFromString(await response.text(), 'text/html');
      const shown = page.querySelector('[data-import-preview]') || page.querySelector('[role="alert"]');
      if (!shown) return say('The preview could not be shown (' + response.status + '). Reload the page and try again.');
      out.replaceChildren(document.importNode(shown, true));
      if (!response.ok) return;
      const button = document.createElement('button');
      button.type = 'submit';
      button.className = 'button';
      button.dataset.action = 'import';
      button.textContent = 'Import';
      button.setAttribute('formaction', '/admin/subscribers/import');
      button.addEventListener('click', () => { importing = true; });
      preview.after(' ', button);
      button.focus();
    } catch (error) {
      say('The preview did not arrive: check the connection and try again.');
    } finally {
      preview.disabled = false;
      out.removeAttribute('aria-busy');
    }
  });
})();`;
