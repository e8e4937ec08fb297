// The queue's bulk bar: "select all on this page" ticks every row, and ticking rows chooses
// "the ticked cases". Without JavaScript the bar's own choices (all on this page, all
// matching) do the same.
(function () {
  var all = document.getElementById("bulk-all");
  var scope = document.getElementById("bulk-scope");
  var boxes = Array.prototype.slice.call(document.querySelectorAll("input.bulk-case"));
  if (!all || !boxes.length) {
    return;
  }
  all.hidden = false;
  function sync() {
    var ticked = boxes.filter(function (box) { return box.checked; }).length;
    all.checked = ticked === boxes.length;
    all.indeterminate = ticked > 0 && ticked < boxes.length;
    if (ticked && scope) {
      scope.value = "selected";
    }
  }
  all.addEventListener("change", function () {
    boxes.forEach(function (box) { box.checked = all.checked; });
    sync();
  });
  boxes.forEach(function (box) { box.addEventListener("change", sync); });
})();
