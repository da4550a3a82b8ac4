// The console's only way to the system: the public JSON API, with the key from session storage.

const KEY = 'campaigns.apiKey';

/** The API key of this browser tab (session storage: gone when the tab closes or on sign out). */
export const session = {
  get key() { return sessionStorage.getItem(KEY); },
  signIn(key) { sessionStorage.setItem(KEY, key.trim()); },
  signOut() { sessionStorage.removeItem(KEY); },
};

/** A refused request: the RFC 9457 problem the API answered, with its field errors. */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || `request failed (${status})`);
    this.status = status;
    this.code = problem?.code || 'http_error';
    this.fields = problem?.errors || [];
  }
}

/** Called when the API no longer accepts the key (set by the shell: back to sign in). */
let onUnauthorized = () => {};
export function whenUnauthorized(handler) { onUnauthorized = handler; }

/**
 * One API call. `body` is JSON unless it is a string or a File (sent as CSV). A 401 signs the
 * tab out, unless `checkingKey` (the sign-in form's own check).
 */
export async function api(method, path, body, { checkingKey = false } = {}) {
  const headers = { Authorization: `Bearer ${session.key || ''}`, Accept: 'application/json' };
  let payload;
  if (body instanceof Blob || typeof body === 'string') {
    headers['Content-Type'] = 'text/csv';
    payload = body;
  } else if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  const response = await withRetries(method, () => fetch(path, { method, headers, body: payload, cache: 'no-store' }));
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = { detail: text.slice(0, 200) }; }
  if (!response.ok) {
    const error = new ApiError(response.status, data);
    if (response.status === 401 && !checkingKey) onUnauthorized(error);
    throw error;
  }
  return data;
}

const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

/**
 * Sends a request again when the API says it is busy (429, 503: nothing was changed, its
 * `Retry-After` says when), or — for reads only — when the network failed; three tries more.
 */
async function withRetries(method, send) {
  for (let attempt = 0; ; attempt += 1) {
    let response;
    try {
      response = await send();
    } catch {
      if (method !== 'GET' || attempt >= 3) throw new ApiError(0, { detail: 'the API could not be reached; check the connection and try again' });
      await sleep(500 * 2 ** attempt);
      continue;
    }
    if ((response.status === 429 || response.status === 503) && attempt < 3) {
      const seconds = Number(response.headers.get('Retry-After')) || 1;
      await sleep(Math.min(seconds, 10) * 1000);
      continue;
    }
    return response;
  }
}

/** Every page of a paginated list (`items` + `next_cursor`), up to `max` items. */
export async function allPages(path, max = 1000) {
  const items = [];
  let cursor = null;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const page = await api('GET', cursor ? `${path}${sep}cursor=${encodeURIComponent(cursor)}` : path);
    items.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor && items.length < max);
  return items;
}

/**
 * PUTs a file to the presigned URL of an upload, reporting progress (0..1). The browser sets
 * Content-Length itself; the other headers the upload names are sent as given.
 */
export function putFile(upload, file, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(upload.method || 'PUT', upload.upload_url);
    for (const [name, value] of Object.entries(upload.headers || {})) {
      if (name.toLowerCase() !== 'content-length') xhr.setRequestHeader(name, value);
    }
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) onProgress(e.loaded / e.total); };
    xhr.onload = () => (xhr.status >= 200 && xhr.status < 300
      ? resolve()
      : reject(new ApiError(xhr.status, { detail: `the upload was refused (${xhr.status})` })));
    xhr.onerror = () => reject(new ApiError(0, { detail: 'the upload could not reach storage' }));
    xhr.send(file);
  });
}
