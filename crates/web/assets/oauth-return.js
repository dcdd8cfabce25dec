// Sends the browser back to the application after an authorization step: follows the link
// (query response mode) or submits the form (form_post response mode). Without JavaScript the
// user clicks the button or link themselves.
(function () {
  "use strict";
  var form = document.querySelector("form[data-oauth-return]");
  if (form) {
    form.submit();
    return;
  }
  var link = document.querySelector("a[data-oauth-return]");
  if (link) {
    window.location.replace(link.href);
  }
})();
