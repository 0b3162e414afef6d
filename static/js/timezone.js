// Prefill an empty time-zone field with the browser's own zone.
document.querySelectorAll("input[data-detect-timezone]").forEach((input) => {
  if (!input.value) {
    try {
      input.value = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    } catch (error) {
      // Older browsers: the buyer types or picks the zone.
    }
  }
});
