
(function () {
  "use strict";
  // Pages whose samples hold item rows (a checklist): select.flt compares a sample's data-
  // attribute, select.iflt an item row's; with an item filter set, a sample shows only its
  // matching rows, and only when it has one.
  function list(root, selector) {
    return Array.prototype.slice.call(root.querySelectorAll(selector));
  }
  var samples = list(document, "section.sample");
  var sampleFilters = list(document, "select.flt");
  var itemFilters = list(document, "select.iflt");
  var count = document.getElementById("f-count");
  var none = document.getElementById("f-none");
  function matches(element, filters) {
    return filters.every(function (f) {
      return f.value === "" || element.getAttribute("data-" + f.name) === f.value;
    });
  }
  function update() {
    var byItem = itemFilters.some(function (f) { return f.value !== ""; });
    var pairs = 0, items = 0;
    samples.forEach(function (s) {
      var rows = list(s, "tr.item"), kept = 0;
      rows.forEach(function (r) {
        r.hidden = !matches(r, itemFilters);
        if (!r.hidden) { kept += 1; }
      });
      s.hidden = !(matches(s, sampleFilters) && (!byItem || kept > 0));
      if (!s.hidden) { pairs += 1; items += kept; }
    });
    count.textContent = pairs + " of " + samples.length + " samples shown" +
      (byItem ? ", " + items + " items" : "");
    none.hidden = pairs > 0;
  }
  sampleFilters.concat(itemFilters).forEach(function (f) {
    f.addEventListener("change", update);
  });
  document.getElementById("f-reset").addEventListener("click", function () {
    sampleFilters.concat(itemFilters).forEach(function (f) { f.value = ""; });
    update();
  });
  update();
})();
