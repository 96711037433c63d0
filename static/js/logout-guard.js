/* Logging out with reports still on the phone: warn, and keep them for this user only.
 *
 * The outbox items stay in IndexedDB under this user's id; they are sent when the same
 * user logs in again. The cached form page (which holds this user's figures) is dropped,
 * and the service worker forgets whose outbox to send.
 */
(function () {
  'use strict';
  var form = document.getElementById('logout-form');
  if (!form) { return; }
  var user = form.dataset.user;

  function forgetSession() {
    var steps = [];
    if (window.Outbox) { steps.push(window.Outbox.setMeta('session-user', null)); }
    if (window.caches) { steps.push(window.caches.delete('pages')); }
    return Promise.all(steps).catch(function () {});
  }

  form.addEventListener('submit', function (event) {
    if (!window.Outbox || !window.indexedDB) { return; }
    event.preventDefault();
    window.Outbox.list(user).catch(function () { return []; }).then(function (items) {
      if (items.length && !window.confirm(
        'Còn ' + items.length + ' báo cáo chưa gửi được tới tỉnh (Đang chờ gửi (' + items.length + ')). ' +
        'Nếu đăng xuất, báo cáo vẫn được giữ trên máy này và chỉ được gửi khi chính bạn đăng nhập lại. ' +
        'Vẫn đăng xuất?')) {
        return;
      }
      return forgetSession().then(function () { form.submit(); });
    });
  });
})();
