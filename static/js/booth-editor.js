// Booth editor: a tab per language for translated fields, and confirmation before removing.
// Without this script every language's field is shown, one under the other.
"use strict";

(function () {
  function makeTabs(fieldset, index) {
    const panels = Array.from(fieldset.querySelectorAll(".lang-panel"));
    if (panels.length < 2) return;
    const list = document.createElement("div");
    list.className = "lang-tablist";
    list.setAttribute("role", "tablist");
    const legend = fieldset.querySelector("legend");
    if (legend) list.setAttribute("aria-label", legend.textContent.trim());
    const tabs = panels.map(function (panel, i) {
      const tab = document.createElement("button");
      tab.type = "button";
      tab.className = "lang-tab";
      tab.id = "lang-tab-" + index + "-" + i;
      tab.setAttribute("role", "tab");
      tab.textContent = panel.dataset.tabLabel;
      panel.id = panel.id || "lang-panel-" + index + "-" + i;
      panel.setAttribute("role", "tabpanel");
      panel.setAttribute("aria-labelledby", tab.id);
      tab.setAttribute("aria-controls", panel.id);
      list.appendChild(tab);
      return tab;
    });
    function select(i, focus) {
      tabs.forEach(function (tab, j) {
        const on = i === j;
        tab.setAttribute("aria-selected", on ? "true" : "false");
        tab.tabIndex = on ? 0 : -1;
        panels[j].hidden = !on;
      });
      if (focus) tabs[i].focus();
    }
    tabs.forEach(function (tab, i) {
      tab.addEventListener("click", function () { select(i, false); });
      tab.addEventListener("keydown", function (event) {
        let next = null;
        if (event.key === "ArrowRight") next = (i + 1) % tabs.length;
        if (event.key === "ArrowLeft") next = (i - 1 + tabs.length) % tabs.length;
        if (event.key === "Home") next = 0;
        if (event.key === "End") next = tabs.length - 1;
        if (next !== null) { event.preventDefault(); select(next, true); }
      });
    });
    const firstPanel = panels[0];
    firstPanel.parentNode.insertBefore(list, firstPanel);
    // Open on the page's language when it has a panel, else Japanese (always first).
    const pageLang = document.documentElement.lang.replace("-", "_").toLowerCase();
    const start = panels.findIndex(function (p) {
      return p.dataset.lang.toLowerCase() === pageLang;
    });
    select(start >= 0 ? start : 0, false);
  }

  document.querySelectorAll("[data-lang-tabs]").forEach(makeTabs);

  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });
})();
