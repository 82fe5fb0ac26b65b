// Curbside: progressive enhancement only. Pages work without this file.
// 1. The reader selector applies itself when a choice changes.
// 2. Citation links open a pop-over with the supporting passage (fetched as JSON).
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  document.querySelectorAll("form[data-autosubmit]").forEach(function (form) {
    form.addEventListener("change", function (ev) {
      if (ev.target && ev.target.name === "audience") { form.submit(); }
    });
  });

  var open = null;
  var opener = null;

  function close() {
    if (open) { open.remove(); open = null; }
    if (opener) { opener.setAttribute("aria-expanded", "false"); opener.focus(); opener = null; }
  }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text) { node.textContent = text; }  // textContent: stored text is never markup
    return node;
  }

  function show(link, data) {
    close();
    var pop = el("div", "popover");
    pop.setAttribute("role", "dialog");
    pop.setAttribute("aria-label", "Supporting passage");
    pop.id = "citation-popover";
    pop.appendChild(el("p", "pop-title", data.source.title));
    var text = el("p", "pop-text");
    var t = data.passage.text;
    var h = data.highlight;
    if (h && h.start >= 0 && h.end <= t.length && h.start < h.end) {
      text.appendChild(document.createTextNode(t.slice(0, h.start)));
      text.appendChild(el("mark", null, t.slice(h.start, h.end)));
      text.appendChild(document.createTextNode(t.slice(h.end)));
    } else {
      text.textContent = t;
    }
    pop.appendChild(text);
    var actions = el("p", "pop-actions");
    var more = el("a", "pop-open", "Open passage");
    more.href = link.getAttribute("href");
    actions.appendChild(more);
    var src = el("a", null, "Source");
    src.href = "/sources/" + data.source.id;
    actions.appendChild(src);
    var btn = el("button", null, "Close");
    btn.type = "button";
    btn.addEventListener("click", close);
    actions.appendChild(btn);
    pop.appendChild(actions);
    document.body.appendChild(pop);
    var r = link.getBoundingClientRect();
    var left = Math.max(8, Math.min(window.scrollX + r.left, window.scrollX + document.documentElement.clientWidth - pop.offsetWidth - 8));
    pop.style.left = left + "px";
    pop.style.top = (window.scrollY + r.bottom + 6) + "px";
    open = pop;
    opener = link;
    link.setAttribute("aria-expanded", "true");
    more.focus();
  }

  document.addEventListener("click", function (ev) {
    var link = ev.target.closest ? ev.target.closest("a.cite[data-popover]") : null;
    if (link) {
      if (ev.ctrlKey || ev.metaKey || ev.shiftKey || ev.button !== 0) { return; }
      ev.preventDefault();
      fetch(link.getAttribute("data-popover"), { headers: { "Accept": "application/json" } })
        .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
        .then(function (data) { show(link, data); })
        .catch(function () { window.location.href = link.getAttribute("href"); });
      return;
    }
    if (open && !open.contains(ev.target)) { close(); }
  });

  document.addEventListener("keydown", function (ev) {
    if (ev.key === "Escape" && open) { close(); }
  });
})();
