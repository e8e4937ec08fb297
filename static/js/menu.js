// On a phone the queue menu starts closed, so the page's own content comes first. Without
// JavaScript it stays open (the markup's default) and every page still works. Wider screens
// have no toggle, so the menu is opened again when the window grows past the phone width.
(function () {
  var menu = document.getElementById("queue-menu");
  if (!menu) {
    return;
  }
  var phone = window.matchMedia("(max-width: 767.98px)");
  menu.open = !phone.matches;
  phone.addEventListener("change", function (event) {
    menu.open = !event.matches;
  });
})();
