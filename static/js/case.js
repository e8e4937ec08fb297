// Final events ask for confirmation. With JavaScript, a native dialog asks; if it is accepted
// the event is sent at once. Otherwise (declined, or no JavaScript at all) the server shows its
// own confirmation page, so nothing final happens without an explicit yes.
document.addEventListener("submit", function (event) {
  var button = event.submitter;
  if (!button || !button.dataset.confirm) {
    return;
  }
  if (window.confirm(button.dataset.confirm)) {
    var confirmed = document.createElement("input");
    confirmed.type = "hidden";
    confirmed.name = "confirmed";
    confirmed.value = "1";
    event.target.appendChild(confirmed);
  }
});
