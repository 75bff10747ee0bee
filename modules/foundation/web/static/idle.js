// The idle-timeout warning of every page behind login (the layout's #idle-warning): shown
// shortly before the session would end, then the login page; "continue" reloads the page,
// which renews the session.
(function () {
  var box = document.getElementById('idle-warning');
  if (!box) { return; }
  var idle = parseInt(box.getAttribute('data-idle-minutes'), 10) * 60000;
  if (!(idle > 0)) { return; }
  var lead = Math.min(120000, idle / 2);
  setTimeout(function () { box.hidden = false; }, idle - lead);
  var login = box.getAttribute('data-login-url') || '/login';
  setTimeout(function () { window.location.assign(login + '?expired=1'); }, idle);
})();
