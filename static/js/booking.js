// Slot picker: carries the interpreter and note choices into the slot the buyer clicks, and
// for a visitor without an account shows the times in the browser's own zone at once.
"use strict";

(function () {
  document.querySelectorAll("form.slot-form").forEach(function (form) {
    form.addEventListener("submit", function () {
      form.querySelectorAll("input[data-copy-from]").forEach(function (input) {
        const source = document.getElementById(input.dataset.copyFrom);
        if (source) input.value = source.value;
      });
    });
  });

  const zone = document.querySelector("input[data-auto-zone]");
  if (zone) {
    let detected = "";
    try {
      detected = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    } catch (error) {
      detected = "";
    }
    if (detected && detected !== zone.value) {
      const url = new URL(window.location.href);
      url.searchParams.set("tz", detected);
      window.location.replace(url.toString());
    }
  }
})();
