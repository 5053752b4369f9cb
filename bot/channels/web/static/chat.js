// Wegwijs web chat: one WebSocket, reconnects by itself; nothing typed is lost.
// The texts shown here come from index.html (data-* attributes) or from the server.
(function () {
  "use strict";

  var TOKEN_KEY = "wegwijs.session";
  var log = document.getElementById("log");
  var form = document.getElementById("composer");
  var input = document.getElementById("text");
  var typing = document.getElementById("typing");
  var status = document.getElementById("status");
  var forget = document.getElementById("forget");

  var socket = null;
  var ready = false;
  var lastSeq = 0;
  var pending = [];  // frames sent but not acknowledged: sent again after a reconnect
  var attempts = 0;
  var typingTimer = null;
  var counter = 0;

  function storage() {
    try { return window.localStorage; } catch (e) { return null; }
  }

  function token() {
    var s = storage();
    return s ? s.getItem(TOKEN_KEY) : null;
  }

  function networkCode() {
    var match = location.pathname.match(/^\/n\/([A-Za-z0-9_-]{1,32})\/?$/);
    if (match) { return match[1]; }
    var code = new URLSearchParams(location.search).get("netwerk");
    return code && /^[A-Za-z0-9_-]{1,32}$/.test(code) ? code : null;
  }

  function newId() {
    counter += 1;
    var random = window.crypto && window.crypto.randomUUID ? window.crypto.randomUUID() :
      String(Date.now()) + "-" + String(Math.random()).slice(2);
    return (random + "-" + counter).slice(0, 40);
  }

  function setStatus(text) { status.textContent = text || ""; }

  function showTyping(on) {
    typing.hidden = !on;
    if (typingTimer) { clearTimeout(typingTimer); typingTimer = null; }
    if (on) { typingTimer = setTimeout(function () { typing.hidden = true; }, 15000); }
  }

  function scrollDown() { log.scrollTop = log.scrollHeight; }

  function addLine(author, text) {
    var p = document.createElement("p");
    p.className = "msg " + (author === "pupil" ? "pupil" : "bot");
    var who = document.createElement("span");
    who.className = "visually-hidden";
    who.textContent = (author === "pupil" ? log.dataset.you : log.dataset.bot) + " ";
    p.appendChild(who);
    p.appendChild(document.createTextNode(text));
    log.appendChild(p);
    return p;
  }

  function addButtons(buttons) {
    var group = document.createElement("div");
    group.className = "choices";
    group.setAttribute("role", "group");
    buttons.forEach(function (b) {
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = b.title;
      button.addEventListener("click", function () {
        send({ type: "button", payload: b.payload, title: b.title });
        input.focus();
      });
      group.appendChild(button);
    });
    log.appendChild(group);
  }

  function render(frame) {
    if (frame.seq <= lastSeq) { return; }  // shown already
    lastSeq = frame.seq;
    addLine(frame.author, frame.text);
    if (frame.buttons && frame.buttons.length) { addButtons(frame.buttons); }
    if (frame.author !== "pupil") { showTyping(false); }
    scrollDown();
  }

  function transmit(frame) {
    if (socket && ready && socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify(frame));
    }
  }

  function send(fields) {
    var frame = Object.assign({ id: newId() }, fields);
    pending.push(frame);
    transmit(frame);
    showTyping(true);
  }

  function settle(id) {
    pending = pending.filter(function (f) { return f.id !== id; });
  }

  function onFrame(frame) {
    switch (frame.type) {
      case "session":
        var s = storage();
        if (s) { s.setItem(TOKEN_KEY, frame.token); }
        break;
      case "ready":
        ready = true;
        attempts = 0;
        setStatus("");
        pending.forEach(transmit);
        break;
      case "message":
        render(frame);
        break;
      case "ack":
        settle(frame.id);
        break;
      case "notice":
        if (frame.id) {
          var back = pending.filter(function (f) { return f.id === frame.id; })[0];
          settle(frame.id);
          if (back && back.type === "text" && !input.value) { input.value = back.text; }
        }
        showTyping(false);
        addLine("bot", frame.text);
        scrollDown();
        break;
      case "forgotten":
        // the browser's copy goes too: the token and the conversation on the screen
        var st = storage();
        if (st) { st.removeItem(TOKEN_KEY); }
        log.textContent = "";
        setStatus(status.dataset.forgotten);
        break;
      default:
        break;
    }
  }

  function connect() {
    var scheme = location.protocol === "https:" ? "wss:" : "ws:";
    socket = new WebSocket(scheme + "//" + location.host + "/ws");
    ready = false;
    socket.addEventListener("open", function () {
      // the token travels in this first frame, never in the URL
      socket.send(JSON.stringify({
        type: "hello", token: token(), after: lastSeq, netwerk: networkCode()
      }));
    });
    socket.addEventListener("message", function (event) {
      try { onFrame(JSON.parse(event.data)); } catch (e) { /* ignore a broken frame */ }
    });
    socket.addEventListener("close", function () {
      ready = false;
      showTyping(false);
      setStatus(status.dataset.offline);
      attempts += 1;
      var delay = Math.min(10000, 500 * Math.pow(2, Math.min(attempts, 5)));
      setTimeout(connect, delay);
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text) { return; }
    input.value = "";
    send({ type: "text", text: text });
  });

  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  forget.addEventListener("click", function () {
    send({ type: "text", text: "/vergeet" });
  });

  window.addEventListener("online", function () {
    if (socket && socket.readyState === WebSocket.CLOSED) { connect(); }
  });

  connect();
}());
