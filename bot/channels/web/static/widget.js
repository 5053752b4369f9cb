// Wegwijs chat on another site: <script src="https://<wegwijs>/widget.js" data-netwerk="limburg" defer></script>
// Adds a button and a panel with the chat in a frame. The site's origin must be listed in
// WEGWIJS_WEB_EMBED_ORIGINS, or the browser refuses to show the frame (CSP frame-ancestors).
(function () {
  "use strict";
  var labels = __WEGWIJS_LABELS__;  // filled in by the server from content/texts.yml
  var script = document.currentScript;
  if (!script) { return; }
  var base = new URL(script.src, location.href);
  var code = script.getAttribute("data-netwerk");
  var path = code && /^[A-Za-z0-9_-]{1,32}$/.test(code) ? "/n/" + code : "/";
  var url = new URL(path, base.origin);

  var panel = document.createElement("div");
  panel.id = "wegwijs-panel";
  panel.hidden = true;
  var ps = panel.style;
  ps.position = "fixed"; ps.right = "1rem"; ps.bottom = "4.5rem"; ps.zIndex = "2147483000";
  ps.width = "min(24rem, calc(100vw - 2rem))"; ps.height = "min(36rem, calc(100vh - 6rem))";
  ps.boxShadow = "0 2px 12px rgba(0,0,0,0.3)"; ps.borderRadius = "0.8rem"; ps.overflow = "hidden";
  ps.background = "#ffffff";

  var frame = null;
  var button = document.createElement("button");
  button.type = "button";
  button.id = "wegwijs-button";
  button.textContent = labels.open;
  button.setAttribute("aria-expanded", "false");
  button.setAttribute("aria-controls", panel.id);
  var bs = button.style;
  bs.position = "fixed"; bs.right = "1rem"; bs.bottom = "1rem"; bs.zIndex = "2147483000";
  bs.font = "600 1rem system-ui, sans-serif"; bs.padding = "0.7rem 1.1rem";
  bs.borderRadius = "1.5rem"; bs.border = "2px solid #ffffff"; bs.cursor = "pointer";
  bs.background = "#0b5394"; bs.color = "#ffffff"; bs.minHeight = "2.75rem";

  button.addEventListener("click", function () {
    var open = panel.hidden;
    if (open && !frame) {
      frame = document.createElement("iframe");
      frame.src = url.href;
      frame.title = labels.title;
      frame.style.border = "0"; frame.style.width = "100%"; frame.style.height = "100%";
      panel.appendChild(frame);
    }
    panel.hidden = !open;
    button.textContent = open ? labels.close : labels.open;
    button.setAttribute("aria-expanded", open ? "true" : "false");
    if (open && frame) { frame.focus(); }
  });

  document.body.appendChild(panel);
  document.body.appendChild(button);
}());
