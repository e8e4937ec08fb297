// Zoom and rotate for document page images on the case page. Without JavaScript the image
// shows as it is and "Open alone" opens it full size; the tools stay hidden.
(function () {
  "use strict";
  var STEP = 0.25, MIN = 0.5, MAX = 4;
  document.querySelectorAll(".document-page[data-kind='image']").forEach(function (page) {
    var image = page.querySelector(".document-image");
    var tools = page.querySelector(".document-tools");
    if (!image || !tools) return;
    var scale = 1, turn = 0;
    function apply() {
      image.style.transform = "scale(" + scale + ") rotate(" + turn + "deg)";
      image.dataset.scale = String(scale);
      image.dataset.rotation = String(turn);
    }
    tools.hidden = false;
    tools.addEventListener("click", function (event) {
      var button = event.target.closest("[data-tool]");
      if (!button) return;
      var tool = button.dataset.tool;
      if (tool === "zoom-in") scale = Math.min(MAX, scale + STEP);
      if (tool === "zoom-out") scale = Math.max(MIN, scale - STEP);
      if (tool === "rotate") turn = (turn + 90) % 360;
      apply();
    });
  });
})();
