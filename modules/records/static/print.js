// Print buttons of the records pages: a script file, because the CSP forbids inline script.
document.querySelectorAll("[data-print]").forEach(function (button) {
  button.hidden = false;
  button.addEventListener("click", function () { window.print(); });
});
