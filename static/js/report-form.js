/* The daily report form on a phone: offline-first sending through the outbox (outbox.js).
 *
 * "Gửi" puts the report into this user's IndexedDB outbox first (with a fresh submission_id
 * and captured_at = now, with the phone's offset), then sends it as JSON to POST /report/submit
 * with the session cookie and the page's CSRF token. The item leaves the outbox only on a 2xx.
 * Unsent items are sent again without a tap: on page load, when the page becomes visible, on
 * the `online` event, on a backoff timer while the page is open, and by Background Sync in the
 * service worker where the browser has it. Reachability is GET /healthz, not navigator.onLine.
 * Without JavaScript the form still posts to /report as before.
 */
(function () {
  'use strict';
  var form = document.getElementById('report-form');
  if (!form) { return; }
  var data = form.dataset;
  var user = data.user;
  var $ = function (id) { return document.getElementById(id); };
  var csrf = form.querySelector('input[name=csrf_token]').value;
  var editingId = null;
  var unreachable = false;
  var retryDelay = 2000;
  var retryTimer = null;
  var lastSent = '';

  // Another event or day: reload the form so it is prefilled with that day's figures.
  form.querySelectorAll('.reload-on-change').forEach(function (input) {
    input.addEventListener('change', function () {
      var params = new URLSearchParams({event: form.event.value, date: form.date.value});
      if (form.commune) { params.set('commune', form.commune.value); }
      window.location.search = params.toString();
    });
  });

  // Folding groups say how many figures are filled.
  function countGroups() {
    form.querySelectorAll('details.figure-group').forEach(function (group) {
      var inputs = group.querySelectorAll('.figure-input');
      var filled = Array.prototype.filter.call(inputs, function (i) { return i.value.trim() !== ''; });
      group.querySelector('.group-count').textContent = filled.length + '/' + inputs.length + ' đã điền';
    });
  }
  form.addEventListener('input', function (e) {
    if (e.target.classList.contains('figure-input')) { countGroups(); }
  });
  var invalid = form.querySelector('.is-invalid');
  if (invalid) { invalid.scrollIntoView({block: 'center'}); }

  if (!window.indexedDB || !window.fetch || !window.Outbox || !window.Promise) { return; }  // plain POST

  // ---- formatting -----------------------------------------------------------------
  function pad(n) { return (n < 10 ? '0' : '') + n; }
  function vnDate(iso) { var p = String(iso).slice(0, 10).split('-'); return p[2] + '/' + p[1] + '/' + p[0]; }
  function vnTime(iso) {
    var d = new Date(iso);
    return pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds()) + ' ' +
      pad(d.getDate()) + '/' + pad(d.getMonth() + 1) + '/' + d.getFullYear();
  }
  /** Short: the time alone today, else time and day. */
  function shortTime(iso) {
    var d = new Date(iso);
    var now = new Date();
    var t = pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds());
    return d.toDateString() === now.toDateString() ? t : t + ' ' + pad(d.getDate()) + '/' + pad(d.getMonth() + 1);
  }
  /** A figure as typed in Vietnam, read like the server's one number parser
   *  (coordination/numbers.py): '1.200' is 1200 in a count (whole), ambiguous (NaN) where
   *  decimals are allowed; '12,5' and '1.234,5' have a decimal comma; '1,500' is ambiguous. */
  function typedNumber(text, whole) {
    var t = String(text).replace(/[\s\u00a0\u202f]/g, '');
    if (/^[1-9]\d{0,2}(\.\d{3})+(,\d+)?$/.test(t)) {
      if (!whole && /^[1-9]\d{0,2}\.\d{3}$/.test(t)) { return NaN; }
      t = t.replace(/\./g, '').replace(',', '.');
    } else if (/^[1-9]\d{0,2}(,\d{3})+$/.test(t)) {
      return NaN;
    } else if (/^\d+([.,]\d+)?$/.test(t)) {
      t = t.replace(',', '.');
    } else {
      return NaN;
    }
    var n = Number(t);
    return whole && !Number.isInteger(n) ? NaN : n;
  }

  // ---- the report in the form ---------------------------------------------------------
  function formBody(noDamage) {
    var figures = {};
    if (!noDamage) {
      form.querySelectorAll('.figure-input').forEach(function (input) {
        var value = input.value.trim();
        if (value !== '') { figures[input.dataset.code] = value; }
      });
    }
    return {event: form.event.value, commune: data.commune, date: form.date.value,
            figures: figures, note: form.note.value, correction_reason: form.correction_reason.value,
            no_damage: !!noDamage};
  }

  function fillForm(body) {
    form.querySelectorAll('.figure-input').forEach(function (input) {
      input.value = body.figures[input.dataset.code] || '';
    });
    form.note.value = body.note || '';
    form.correction_reason.value = body.correction_reason || '';
    countGroups();
  }

  function clearFieldErrors() {
    form.querySelectorAll('.js-feedback').forEach(function (el) { el.remove(); });
    form.querySelectorAll('.is-invalid').forEach(function (el) { el.classList.remove('is-invalid'); });
  }

  /** The server's field messages beside the fields (422), first one in view. */
  function showFieldErrors(messages) {
    clearFieldErrors();
    var first = null;
    Object.keys(messages || {}).forEach(function (field) {
      var name = field.indexOf('figures.') === 0 ? 'f_' + field.slice(8) : field;
      var input = form.elements[name];
      if (!input || !input.classList) { return; }
      input.classList.add('is-invalid');
      var feedback = document.createElement('div');
      feedback.className = 'invalid-feedback js-feedback';
      feedback.textContent = messages[field];
      (input.closest('.input-group') || input.parentNode).appendChild(feedback);
      var group = input.closest('details');
      if (group) { group.open = true; }
      first = first || input;
    });
    if (first) { first.scrollIntoView({block: 'center'}); }
  }

  // ---- what is pending --------------------------------------------------------------
  var STATE_TEXT = {pending: 'Chờ có mạng để gửi', login: 'Chờ đăng nhập lại',
                    invalid: 'Cần sửa', conflict: 'Trùng mã gửi', refused: 'Bị từ chối'};

  function smsBody(item) {
    var codes = {}, whole = {};
    form.querySelectorAll('.figure-input').forEach(function (input) {
      if (input.dataset.smsCode) { codes[input.dataset.code] = input.dataset.smsCode; }
      whole[input.dataset.code] = input.inputMode === 'numeric';
    });
    var parts = ['BC', item.body.date.slice(8, 10) + item.body.date.slice(5, 7)];
    Object.keys(item.body.figures).forEach(function (code) {
      var n = typedNumber(item.body.figures[code], whole[code]);
      if (!codes[code] || isNaN(n)) { return; }
      parts.push(codes[code], Number.isInteger(n) ? String(n) : String(n).replace('.', ','));
    });
    return parts.join(' ');
  }

  function button(text, cls, onClick) {
    var b = document.createElement('button');
    b.type = 'button';
    b.className = 'btn btn-sm ' + cls;
    b.textContent = text;
    b.addEventListener('click', onClick);
    return b;
  }

  function renderItem(item) {
    var li = document.createElement('li');
    li.className = 'outbox-item border-bottom py-1';
    li.dataset.state = item.state;
    var title = document.createElement('div');
    title.className = 'fw-semibold';
    title.textContent = item.label + ' — ' + (STATE_TEXT[item.state] || item.state);
    li.appendChild(title);
    var info = document.createElement('div');
    info.className = 'small text-muted';
    info.textContent = 'Bấm Gửi lúc ' + vnTime(item.captured_at) +
      (item.last_attempt_at ? ' · thử lần cuối ' + vnTime(item.last_attempt_at) : '');
    li.appendChild(info);
    if (item.last_error && item.state !== 'login') {
      var err = document.createElement('div');
      err.className = 'small outbox-error ' + (item.state === 'pending' ? 'text-body' : 'text-danger');
      err.textContent = item.last_error;
      li.appendChild(err);
    }
    var actions = document.createElement('div');
    actions.className = 'd-flex flex-wrap gap-2 mt-1';
    if (item.state === 'invalid') {
      actions.appendChild(button('Sửa báo cáo này', 'btn-outline-primary', function () { edit(item); }));
    }
    if (item.state === 'conflict' && item.stored && item.stored.url) {
      var a = document.createElement('a');
      a.className = 'btn btn-sm btn-outline-primary';
      a.href = item.stored.url;
      a.textContent = 'Xem phiên bản đã lưu (' + item.stored.version + ')';
      actions.appendChild(a);
    }
    if (item.state !== 'pending' && item.state !== 'login') {
      actions.appendChild(button('Bỏ khỏi hàng chờ', 'btn-outline-secondary', function () {
        if (window.confirm('Bỏ báo cáo này khỏi máy? Báo cáo chưa được tỉnh nhận.')) {
          Outbox.remove(item.submission_id).then(render);
        }
      }));
    }
    if (actions.childNodes.length) { li.appendChild(actions); }
    return li;
  }

  function render() {
    return Outbox.list(user).then(function (items) {
      $('outbox-count').textContent = 'Đang chờ gửi (' + items.length + ')';
      $('outbox-count').dataset.ready = '1';  // counted from this phone's outbox
      $('outbox-count').classList.toggle('text-danger', items.length > 0);
      var last = items.map(function (i) { return i.last_attempt_at; }).filter(Boolean).sort().pop();
      $('outbox-last').textContent = last ? 'Thử lần cuối ' + shortTime(last) : lastSent;
      $('outbox-panel').hidden = items.length === 0;
      var list = $('outbox-items');
      list.replaceChildren.apply(list, items.map(renderItem));
      $('outbox-login').hidden = !items.some(function (i) { return i.state === 'login'; });
      var pending = items.filter(function (i) { return i.state === 'pending'; });
      // SMS when the server cannot be reached (and a gateway number is configured).
      var sms = $('sms-send');
      sms.hidden = !(data.smsNumber && unreachable && pending.length);
      if (!sms.hidden) {
        sms.href = 'sms:' + data.smsNumber + '?body=' + encodeURIComponent(smsBody(pending[pending.length - 1]));
      }
      renderDeadline(items);
      return items;
    });
  }

  /** Red notice from an hour before the deadline while today's report is still on the phone. */
  function renderDeadline(items) {
    var notice = $('outbox-deadline');
    var today = items.filter(function (i) { return i.body.date === data.today; });
    var deadline = data.deadline ? new Date(data.deadline) : null;
    var now = new Date();
    if (!today.length || !deadline || now < deadline - 60 * 60 * 1000) { notice.hidden = true; return; }
    var minutes = Math.ceil((deadline - now) / 60000);
    notice.textContent = (minutes > 0
      ? 'Còn ' + minutes + ' phút đến hạn ' + data.deadlineLabel + ' mà báo cáo hôm nay vẫn chưa gửi được. '
      : 'Đã quá hạn ' + data.deadlineLabel + ' mà báo cáo hôm nay vẫn chưa gửi được; báo cáo sẽ bị tính muộn. ') +
      'Hãy tìm chỗ có sóng' + (data.smsNumber ? ', bấm “Gửi bằng SMS”' : '') + ' hoặc gọi điện báo cho tỉnh.';
    notice.hidden = false;
  }

  function showSent(sent) {
    if (!sent || !sent.length) { return; }
    var box = $('outbox-sent');
    box.replaceChildren();
    sent.forEach(function (s) {
      var line = document.createElement('div');
      line.textContent = 'Đã gửi ' + s.item.label + ' (phiên bản ' + s.receipt.version + ', nhận lúc ' +
        vnTime(s.receipt.received_at) + '). ';
      if (s.receipt.receipt_url) {
        var a = document.createElement('a');
        a.className = 'alert-link';
        a.href = s.receipt.receipt_url;
        a.textContent = 'Xem biên nhận';
        line.appendChild(a);
      }
      box.appendChild(line);
    });
    box.hidden = false;
    lastSent = 'Đã gửi xong lúc ' + shortTime(new Date().toISOString());
  }

  // ---- sending ----------------------------------------------------------------------
  function scheduleRetry() {
    clearTimeout(retryTimer);
    retryTimer = setTimeout(function () { flushNow(false); }, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 10000);
  }

  function askBackgroundSync() {
    if (!('serviceWorker' in navigator)) { return; }
    navigator.serviceWorker.ready.then(function (reg) {
      if (reg.sync) { return reg.sync.register('outbox'); }
    }).catch(function () {});
  }

  function flushNow(resetBackoff) {
    if (resetBackoff) { retryDelay = 2000; }
    return Outbox.flush(user).then(function (result) {
      if (result.reachable !== null) { unreachable = !result.reachable; }
      showSent(result.sent);
      if (result.retry) { scheduleRetry(); } else { clearTimeout(retryTimer); }
      return render();
    }).catch(function () { scheduleRetry(); });
  }

  function setBusy(busy) {
    ['submit-report', 'no-damage'].forEach(function (id) { $(id).disabled = busy; });
    $('submit-report').textContent = busy ? 'Đang gửi…' : 'Gửi báo cáo';
  }

  form.addEventListener('submit', function (event) {
    event.preventDefault();
    var noDamage = event.submitter && event.submitter.id === 'no-damage';
    var body = formBody(noDamage);
    var item = {submission_id: Outbox.newId(), user: user, captured_at: Outbox.nowIso(), body: body,
                channel: data.channel, csrf: csrf, submit_url: data.submitUrl, health_url: data.healthUrl,
                label: 'Báo cáo ngày ' + vnDate(body.date) + ' · ' + data.communeName,
                created_at: new Date().toISOString(), state: 'pending', attempts: 0};
    var replaced = editingId;
    setBusy(true);
    clearFieldErrors();
    Outbox.put(item).then(function () {
      editingId = null;
      return replaced ? Outbox.remove(replaced) : null;
    }).then(render).then(function () {
      return Outbox.send(item);
    }).then(function (outcome) {
      return Outbox.settle(item, outcome).then(function () { return outcome; });
    }).then(function (outcome) {
      if (outcome.kind === 'sent') {
        window.location.assign(outcome.answer.receipt_url);
        return;
      }
      setBusy(false);
      if (outcome.kind === 'network' || outcome.kind === 'server') {
        unreachable = outcome.kind === 'network';
        askBackgroundSync();
        scheduleRetry();
        $('outbox-panel').hidden = false;
        $('outbox-panel').scrollIntoView({block: 'start'});
      } else if (outcome.kind === 'invalid') {
        editingId = item.submission_id;
        showFieldErrors(item.messages);
      } else {
        $('outbox-panel').hidden = false;
        $('outbox-panel').scrollIntoView({block: 'start'});
      }
      return render();
    }).catch(function (err) {
      setBusy(false);
      window.alert('Không lưu được báo cáo trên máy (' + err + '). Hãy thử lại.');
    });
  });

  function edit(item) {
    if (item.body.date === form.date.value && item.body.event === form.event.value) {
      editingId = item.submission_id;
      fillForm(item.body);
      showFieldErrors(item.messages);
      return;
    }
    var params = new URLSearchParams({event: item.body.event, date: item.body.date, edit: item.submission_id});
    if (form.commune) { params.set('commune', form.commune.value); }
    window.location.search = params.toString();
  }

  $('outbox-retry').addEventListener('click', function () {
    Outbox.list(user).then(function (items) {
      return Promise.all(items.filter(function (i) { return i.state === 'login'; }).map(function (i) {
        i.state = 'pending';
        return Outbox.put(i);
      }));
    }).then(function () { flushNow(true); });
  });

  // ---- start --------------------------------------------------------------------------
  /** This page was served for the logged-in user: give their waiting items its CSRF token. */
  function adoptSession() {
    return Outbox.setMeta('session-user', user).then(function () {
      return Outbox.list(user);
    }).then(function (items) {
      return Promise.all(items.map(function (i) {
        i.csrf = csrf;
        if (i.state === 'login') { i.state = 'pending'; }
        return Outbox.put(i);
      }));
    });
  }

  function resumeEditing() {
    var id = new URLSearchParams(window.location.search).get('edit');
    if (!id) { return null; }
    return Outbox.get(id).then(function (item) {
      if (item && String(item.user) === String(user)) {
        editingId = item.submission_id;
        fillForm(item.body);
        showFieldErrors(item.messages);
      }
    });
  }

  function installHint() {
    var hint = $('install-hint');
    var key = 'pctt-install-hint-shown';
    var standalone = window.matchMedia && window.matchMedia('(display-mode: standalone)').matches;
    var deferred = null;
    window.addEventListener('beforeinstallprompt', function (e) {
      e.preventDefault();
      deferred = e;
      $('install-app').hidden = false;
    });
    $('install-app').addEventListener('click', function () {
      if (deferred) { deferred.prompt(); }
      hint.hidden = true;
    });
    $('install-dismiss').addEventListener('click', function () { hint.hidden = true; });
    try {
      if (standalone || localStorage.getItem(key)) { return; }
      localStorage.setItem(key, new Date().toISOString());  // suggested once
      hint.hidden = false;
    } catch (e) { /* private mode: no hint */ }
  }

  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.register(data.swUrl, {scope: '/'}).catch(function () {});
    navigator.serviceWorker.addEventListener('message', function (e) {
      if (e.data && e.data.type === 'outbox-changed') {
        if (e.data.result) { showSent(e.data.result.sent); }
        render();
      }
    });
  }
  if (navigator.storage && navigator.storage.persist) {
    navigator.storage.persisted().then(function (yes) { return yes || navigator.storage.persist(); })
      .catch(function () {});
  }
  installHint();
  window.addEventListener('online', function () { flushNow(true); });
  document.addEventListener('visibilitychange', function () {
    if (document.visibilityState === 'visible') { flushNow(true); }
  });
  setInterval(function () { Outbox.list(user).then(renderDeadline); }, 60000);
  adoptSession().then(resumeEditing).then(render).then(function () { return flushNow(true); });
})();
