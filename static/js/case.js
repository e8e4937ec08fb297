// Final events ask for confirmation. With JavaScript, a native dialog asks: yes sends the event
// at once, Cancel sends nothing. Without JavaScript the server shows its own confirmation page,
// so nothing final happens without an explicit yes either way.
document.addEventListener("submit", function (event) {
  var button = event.submitter;
  if (!button || !button.dataset.confirm) {
    return;
  }
  if (!window.confirm(button.dataset.confirm)) {
    event.preventDefault();
    return;
  }
  var confirmed = document.createElement("input");
  confirmed.type = "hidden";
  confirmed.name = "confirmed";
  confirmed.value = "1";
  event.target.appendChild(confirmed);
});
