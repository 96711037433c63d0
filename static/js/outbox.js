/* The phone's outbox: reports kept in IndexedDB until the server has answered 2xx.
 *
 * Used by the form page (report-form.js), the logout guard and the service worker
 * (Background Sync), so it runs in a window or a worker: it only touches `self`.
 *
 * An item: {submission_id, user, captured_at, body, channel, csrf, submit_url, health_url,
 *           label, created_at, state, attempts, last_attempt_at, last_error, errors, messages,
 *           stored}
 *   state: "pending" (sent again automatically), "login" (waits for a new log-in),
 *          "invalid" (422: kept for editing), "conflict" (409), "refused" (403/404).
 * Items belong to one user (the `user` field): a page only reads and sends its own user's.
 * The submission_id never changes, so any number of retries stores one version.
 */
(function (root) {
  'use strict';
  var DB_NAME = 'pctt-outbox';
  var ITEMS = 'items';
  var META = 'meta';
  var dbPromise = null;

  function open() {
    if (!dbPromise) {
      dbPromise = new Promise(function (resolve, reject) {
        var request = root.indexedDB.open(DB_NAME, 1);
        request.onupgradeneeded = function () {
          var db = request.result;
          var items = db.createObjectStore(ITEMS, {keyPath: 'submission_id'});
          items.createIndex('user', 'user');
          db.createObjectStore(META);
        };
        request.onsuccess = function () { resolve(request.result); };
        request.onerror = function () { dbPromise = null; reject(request.error); };
      });
    }
    return dbPromise;
  }

  function run(store, mode, action) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(store, mode);
        var result;
        var request = action(tx.objectStore(store));
        if (request) { request.onsuccess = function () { result = request.result; }; }
        tx.oncomplete = function () { resolve(result); };
        tx.onerror = function () { reject(tx.error); };
        tx.onabort = function () { reject(tx.error); };
      });
    });
  }

  function put(item) { return run(ITEMS, 'readwrite', function (s) { return s.put(item); }); }
  function get(id) { return run(ITEMS, 'readonly', function (s) { return s.get(id); }); }
  function remove(id) { return run(ITEMS, 'readwrite', function (s) { return s.delete(id); }); }
  function list(user) {
    return run(ITEMS, 'readonly', function (s) {
      return s.index('user').getAll(String(user));
    }).then(function (items) {
      return (items || []).sort(function (a, b) { return a.created_at < b.created_at ? -1 : 1; });
    });
  }
  function setMeta(key, value) {
    return run(META, 'readwrite', function (s) { return value == null ? s.delete(key) : s.put(value, key); });
  }
  function getMeta(key) { return run(META, 'readonly', function (s) { return s.get(key); }); }

  function pad(n) { return (n < 10 ? '0' : '') + n; }

  /** Now as ISO 8601 with the phone's offset, e.g. 2025-10-08T13:59:07+07:00. */
  function nowIso(date) {
    var d = date || new Date();
    var offset = -d.getTimezoneOffset();
    var sign = offset >= 0 ? '+' : '-';
    var abs = Math.abs(offset);
    return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + 'T' +
      pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds()) +
      sign + pad(Math.floor(abs / 60)) + ':' + pad(abs % 60);
  }

  function newId() {
    if (root.crypto && root.crypto.randomUUID) { return root.crypto.randomUUID(); }
    return 'sub-' + Date.now().toString(36) + '-' + Math.random().toString(36).slice(2, 12);
  }

  /** Is the app's server reachable? Asks GET /healthz (never navigator.onLine). */
  function reachable(healthUrl) {
    var controller = root.AbortController ? new AbortController() : null;
    var timer = controller ? setTimeout(function () { controller.abort(); }, 8000) : null;
    return fetch(healthUrl + '?t=' + Date.now(), {cache: 'no-store', credentials: 'omit',
                                                  signal: controller ? controller.signal : undefined})
      .then(function (r) { return r.ok; }, function () { return false; })
      .then(function (ok) { if (timer) { clearTimeout(timer); } return ok; });
  }

  /** Send one item once. Resolves to {kind, status, answer}; never rejects.
   *  kind: sent | network | login | invalid | conflict | refused | server */
  function send(item) {
    var body = {};
    Object.keys(item.body).forEach(function (k) { body[k] = item.body[k]; });
    body.submission_id = item.submission_id;
    body.captured_at = item.captured_at;
    body.channel = item.channel;
    return fetch(item.submit_url, {
      method: 'POST', credentials: 'same-origin', cache: 'no-store', redirect: 'manual',
      headers: {'Content-Type': 'application/json', 'Accept': 'application/json',
                'X-CSRFToken': item.csrf || ''},
      body: JSON.stringify(body)
    }).then(function (response) {
      if (response.type === 'opaqueredirect') { return {kind: 'login', status: 302, answer: {}}; }
      return response.json().catch(function () { return {}; }).then(function (answer) {
        var s = response.status;
        var errors = answer.errors || {};
        var kind = 'server';
        if (s >= 200 && s < 300) { kind = 'sent'; }
        else if (s === 401 || (s === 400 && errors.request === 'csrf_failed')) { kind = 'login'; }
        else if (s === 422 || s === 400) { kind = 'invalid'; }
        else if (s === 409) { kind = 'conflict'; }
        else if (s === 403 || s === 404) { kind = 'refused'; }
        return {kind: kind, status: s, answer: answer};
      });
    }, function () { return {kind: 'network', status: 0, answer: {}}; });
  }

  var STATE_OF = {login: 'login', invalid: 'invalid', conflict: 'conflict', refused: 'refused'};

  /** Record the outcome of a send on the item (or drop the item after a 2xx). */
  function settle(item, outcome) {
    item.attempts = (item.attempts || 0) + 1;
    item.last_attempt_at = nowIso();
    if (outcome.kind !== 'sent' && item.channel === 'web') { item.channel = 'offline'; }  // sent later
    if (outcome.kind === 'sent') {
      return remove(item.submission_id).then(function () { return item; });
    }
    if (outcome.kind === 'network' || outcome.kind === 'server') {
      item.state = 'pending';
      item.last_error = outcome.kind === 'network' ? 'Không kết nối được máy chủ.'
        : 'Máy chủ đang lỗi (' + outcome.status + '); sẽ thử lại.';
    } else {
      item.state = STATE_OF[outcome.kind];
      item.errors = outcome.answer.errors || {};
      item.messages = outcome.answer.messages || {};
      item.stored = outcome.answer.stored || null;
      var texts = Object.keys(item.messages).map(function (k) { return item.messages[k]; });
      item.last_error = texts.join(' ') || ('Máy chủ từ chối (' + outcome.status + ').');
    }
    return put(item).then(function () { return item; });
  }

  /** Send every pending item of a user once. Resolves to {sent: [...receipts], held, retry}. */
  var flushing = {};
  function flush(user, options) {
    var key = String(user);
    if (flushing[key]) { return flushing[key]; }
    var opts = options || {};
    flushing[key] = list(key).then(function (items) {
      var due = items.filter(function (i) {
        return i.state === 'pending' || (opts.includeLogin && i.state === 'login');
      });
      var result = {sent: [], held: items.length - due.length, retry: false, reachable: null};
      if (!due.length) { return result; }
      return reachable(due[0].health_url).then(function (ok) {
        result.reachable = ok;
        if (!ok) {
          result.retry = true;
          return Promise.all(due.map(function (i) {
            i.last_attempt_at = nowIso();
            i.last_error = 'Không kết nối được máy chủ.';
            if (i.channel === 'web') { i.channel = 'offline'; }
            return put(i);
          })).then(function () { return result; });
        }
        return due.reduce(function (chain, item) {
          return chain.then(function () {
            return send(item).then(function (outcome) {
              return settle(item, outcome).then(function () {
                if (outcome.kind === 'sent') { result.sent.push({item: item, receipt: outcome.answer}); }
                else if (outcome.kind === 'network' || outcome.kind === 'server') { result.retry = true; }
                else { result.held += 1; }
              });
            });
          });
        }, Promise.resolve()).then(function () { return result; });
      });
    }).then(function (result) { delete flushing[key]; return result; },
            function (err) { delete flushing[key]; throw err; });
    return flushing[key];
  }

  root.Outbox = {open: open, put: put, get: get, remove: remove, list: list, setMeta: setMeta,
                 getMeta: getMeta, nowIso: nowIso, newId: newId, reachable: reachable,
                 send: send, settle: settle, flush: flush};
})(self);
