
(function () {
  "use strict";
  var samples = Array.prototype.slice.call(document.querySelectorAll("section.sample"));
  var selects = Array.prototype.slice.call(document.querySelectorAll("select.flt"));
  var count = document.getElementById("f-count");
  var none = document.getElementById("f-none");
  function apply() {
    var shown = 0;
    samples.forEach(function (s) {
      var ok = selects.every(function (sel) {
        return sel.value === "" || s.getAttribute("data-" + sel.name) === sel.value;
      });
      s.hidden = !ok;
      if (ok) { shown += 1; }
    });
    count.textContent = shown + " of " + samples.length + " samples shown";
    none.hidden = shown > 0;
  }
  selects.forEach(function (sel) { sel.addEventListener("change", apply); });
  document.getElementById("f-reset").addEventListener("click", function () {
    selects.forEach(function (sel) { sel.value = ""; });
    apply();
  });
  apply();
})();
