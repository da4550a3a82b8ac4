// Small DOM helpers shared by the pages: an element builder, formatting, field errors, dialogs.

/** Builds an element: `h('button', {type: 'button', onclick}, 'Save')`. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) el.addEventListener(name.slice(2), value);
    else if (name === 'dataset') Object.assign(el.dataset, value);
    else if (name in el && name !== 'list' && name !== 'form') el[name] = value;
    else el.setAttribute(name, value === true ? '' : value);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
}

/** An SVG element (charts). */
export function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, value);
  append(el, children);
  return el;
}

/** Replaces the main region with a page and moves focus to its heading. */
export function render(...children) {
  const main = document.getElementById('main');
  main.replaceChildren(...children.flat());
  const heading = main.querySelector('h1');
  if (heading) { heading.tabIndex = -1; heading.focus({ preventScroll: true }); }
}

/** Tells screen readers (and the browser test) what just happened. */
export function announce(text) {
  const region = document.getElementById('status');
  region.textContent = '';
  requestAnimationFrame(() => { region.textContent = text; });
}

/** A labelled form field; `name` is the API's dotted path, so field errors land beside it. */
export function field(labelText, name, control, hint) {
  const id = `f-${name.replace(/[^a-z0-9_]+/gi, '-')}`;
  control.id = control.id || id;
  control.name = control.name || name;
  const hintId = hint ? `${control.id}-hint` : null;
  if (hintId) control.setAttribute('aria-describedby', hintId);
  return h('div', { className: 'field', dataset: { field: name } },
    h('label', { htmlFor: control.id }, labelText),
    hint ? h('div', { className: 'hint', id: hintId }, hint) : null,
    control);
}

/** Clears the field errors shown in `root`. */
export function clearErrors(root) {
  root.querySelectorAll('.field-error, .errors').forEach((e) => e.remove());
  root.querySelectorAll('[aria-invalid]').forEach((e) => e.removeAttribute('aria-invalid'));
}

/**
 * Shows an API error: each field error beside the field its dotted path names (or the nearest
 * parent path on the page), the rest in a list at the top of `root`.
 */
export function showError(root, error) {
  clearErrors(root);
  const unplaced = [];
  for (const { field: path, message } of error.fields || []) {
    const box = fieldBox(root, path);
    if (!box) { unplaced.push(`${path}: ${message}`); continue; }
    const typed = [...box.querySelectorAll('input:not([type=checkbox]), select, textarea')];
    const controls = typed.length ? typed : [...box.querySelectorAll('input')].slice(0, 1);
    const msgId = `err-${Math.random().toString(36).slice(2)}`;
    // A table row (a weekday's range) takes the message in its last cell.
    (box.tagName === 'TR' ? box.lastElementChild : box).append(h('p', { className: 'field-error', id: msgId }, message));
    for (const control of controls) {
      control.setAttribute('aria-invalid', 'true');
      control.setAttribute('aria-describedby', `${control.getAttribute('aria-describedby') || ''} ${msgId}`.trim());
    }
  }
  if (!error.fields?.length) unplaced.push(error.message);
  if (unplaced.length) {
    root.prepend(h('div', { className: 'errors', role: 'alert' },
      h('p', {}, error.fields?.length ? 'Some settings are not valid:' : 'That did not work:'),
      h('ul', {}, unplaced.map((m) => h('li', {}, m)))));
  }
  const first = root.querySelector('[aria-invalid="true"], .errors');
  if (first) first.focus?.();
  announce(error.message);
}

function fieldBox(root, path) {
  let p = path;
  while (p) {
    const box = root.querySelector(`[data-field="${CSS.escape(p)}"]`);
    if (box) return box;
    p = p.includes('[') || p.includes('.') ? p.replace(/(\[\d+\]|\.[^.[\]]+)$/, '') : '';
  }
  return null;
}

/** Asks before something that cannot be undone; resolves true when confirmed. */
export function confirmAction(text, okLabel = 'Confirm') {
  const dialog = document.getElementById('confirm');
  document.getElementById('confirm-text').textContent = text;
  document.getElementById('confirm-ok').textContent = okLabel;
  dialog.returnValue = '';
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true });
  });
}

/** A status badge (campaign or lead status). */
export function badge(status) {
  return h('span', { className: `badge ${status}` }, label(status));
}

/** `no_answer` → `No answer`. */
export function label(code) {
  if (!code) return '';
  const text = String(code).replace(/_/g, ' ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export const fmt = {
  percent: (x) => (x === null || x === undefined ? '—' : `${Math.round(x * 1000) / 10}%`),
  seconds: (s) => (s === null || s === undefined ? '—' : s >= 60 ? `${Math.floor(s / 60)}m ${Math.round(s % 60)}s` : `${Math.round(s)}s`),
  when: (iso) => (iso ? new Date(iso).toLocaleString() : '—'),
  number: (n) => (n === null || n === undefined ? '—' : Number(n).toLocaleString()),
};

/** An empty state: what is missing and what to do next. */
export function empty(text, ...actions) {
  return h('div', { className: 'empty' }, h('p', {}, text), actions);
}
