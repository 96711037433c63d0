/* Service worker of the phone form (served at /sw.js, scope /). Rendered by coordination/offline.
 *
 * - install: precache the form's assets (cache "shell-VERSION") and the form page and the
 *   indicator catalog (cache "pages", per user: cleared at logout by logout-guard.js).
 * - pages (/report...) and the catalog: network first, so an online officer always sees the
 *   latest figures; with no network (or none within 6 s), the last copy (the form opens offline).
 * - /static/: cache first (the cache name changes when an asset changes).
 * - POST requests, /healthz and /sw.js are never touched: the outbox needs the truth.
 * - Background Sync "outbox": send the outbox of the user last seen on a page.
 */
'use strict';
const VERSION = {{ version|tojson }};
const SHELL_CACHE = 'shell-' + VERSION;
const PAGES_CACHE = 'pages';
const SHELL = {{ shell|tojson }};
const PAGES = {{ pages|tojson }};
const FORM_URL = {{ form_url|tojson }};
importScripts({{ outbox_js|tojson }});

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const shell = await caches.open(SHELL_CACHE);
    await shell.addAll(SHELL);
    const pages = await caches.open(PAGES_CACHE);
    // The form may be refused (a province account without a commune): keep what answers 200.
    await Promise.all(PAGES.map(async (url) => {
      try {
        const response = await fetch(url, {credentials: 'same-origin', redirect: 'manual'});
        if (response.ok && response.type === 'basic') { await pages.put(url, response); }
      } catch (e) { /* offline at install: the page caches itself on its next visit */ }
    }));
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    await Promise.all(names.filter((n) => n.startsWith('shell-') && n !== SHELL_CACHE)
      .map((n) => caches.delete(n)));
    await self.clients.claim();
  })());
});

function isPage(url) {
  return url.pathname === FORM_URL || url.pathname.startsWith('/api/v1/indicators');
}

const SLOW_NETWORK_MS = 6000;  // a page that takes longer comes from the cache, if there

async function networkFirst(request, url) {
  const cache = await caches.open(PAGES_CACHE);
  const fromCache = async () => (await cache.match(request.url)) || (await cache.match(url.pathname));
  const network = fetch(request).then(async (response) => {
    if (response.ok && response.type === 'basic' && !response.redirected) {
      await cache.put(request.url, response.clone());
    }
    return response;
  });
  network.catch(() => {});  // handled below; a late failure after the cache answered is fine
  const slow = new Promise((resolve) => setTimeout(resolve, SLOW_NETWORK_MS, 'slow'));
  try {
    const first = await Promise.race([network, slow]);
    if (first !== 'slow') { return first; }
    return (await fromCache()) || (await network);
  } catch (err) {
    const cached = await fromCache();
    if (cached) { return cached; }
    throw err;
  }
}

async function cacheFirst(request) {
  const cached = await caches.match(request, {ignoreSearch: false});
  if (cached) { return cached; }
  const response = await fetch(request);
  if (response.ok && response.type === 'basic') {
    const cache = await caches.open(SHELL_CACHE);
    await cache.put(request, response.clone());
  }
  return response;
}

function offlinePage() {
  const html = '<!doctype html><html lang="vi"><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">' +
    '<title>Không có kết nối</title><body style="font-family:sans-serif;padding:1rem">' +
    '<h1 style="font-size:1.2rem">Không có kết nối</h1><p>Trang này chưa được lưu trên máy. ' +
    '<a href="' + FORM_URL + '">Mở biểu mẫu báo cáo</a> (đã lưu để dùng khi mất sóng).</p></body></html>';
  return new Response(html, {status: 503, headers: {'Content-Type': 'text/html; charset=utf-8'}});
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') { return; }
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (url.pathname === '/healthz' || url.pathname === '/sw.js') { return; }
  if (url.pathname.startsWith('/static/')) {
    event.respondWith(cacheFirst(request));
  } else if (isPage(url)) {
    event.respondWith(networkFirst(request, url).catch(() => offlinePage()));
  } else if (request.mode === 'navigate') {
    event.respondWith(fetch(request).catch(() => offlinePage()));
  }
});

self.addEventListener('sync', (event) => {
  if (event.tag !== 'outbox') { return; }
  event.waitUntil((async () => {
    const user = await self.Outbox.getMeta('session-user');
    if (!user) { return; }
    const result = await self.Outbox.flush(user);
    const clients = await self.clients.matchAll({type: 'window'});
    clients.forEach((c) => c.postMessage({type: 'outbox-changed', result: result}));
    if (result.retry) { throw new Error('outbox: still unsent'); }  // the browser tries again later
  })());
});
