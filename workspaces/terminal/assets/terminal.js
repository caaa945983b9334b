// The web terminal page: xterm.js against the reconnecting-PTY websocket. A file of its own (not
// inline) so the page runs under a Content-Security-Policy without 'unsafe-inline' scripts.
(function () {
  "use strict";
  const box = document.getElementById("terminal");
  const status = document.getElementById("status");
  const agentId = box.dataset.agent;
  // One reconnect id per browser tab: reloading or a dropped connection re-attaches to the same shell.
  const key = "coderportal-terminal-" + agentId;
  let reconnect = sessionStorage.getItem(key);
  if (!reconnect) {
    reconnect = crypto.randomUUID();
    sessionStorage.setItem(key, reconnect);
  }
  const term = new Terminal({ cursorBlink: true, fontSize: 14, scrollback: 10000 });
  const fit = new FitAddon.FitAddon();
  term.loadAddon(fit);
  term.open(box);
  fit.fit();
  term.focus();
  let ws = null;
  const FINAL = { 4401: "Not logged in.", 4403: "Not allowed.", 4404: "Agent not found." };

  function show(message) {
    status.textContent = message;
    status.style.display = message ? "block" : "none";
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const url = scheme + "://" + location.host + "/api/v2/workspaceagents/" + agentId +
      "/pty?reconnect=" + reconnect + "&width=" + term.cols + "&height=" + term.rows;
    ws = new WebSocket(url);
    ws.binaryType = "arraybuffer";
    ws.onopen = function () {
      show("");
      term.reset();
      document.body.dataset.connected = "true";
      pending.splice(0).forEach(function (data) { ws.send(JSON.stringify({ data: data })); });
    };
    ws.onmessage = function (event) {
      term.write(typeof event.data === "string" ? event.data : new Uint8Array(event.data));
    };
    ws.onclose = function (event) {
      document.body.dataset.connected = "false";
      if (FINAL[event.code]) { show(FINAL[event.code]); return; }
      if (event.code === 1000) {  // the shell exited: a new one on the next connect
        reconnect = crypto.randomUUID();
        sessionStorage.setItem(key, reconnect);
      }
      show("Disconnected; reconnecting…");
      setTimeout(connect, 1000);
    };
  }

  const pending = [];  // typed while (re)connecting: sent once connected
  term.onData(function (data) {
    if (ws && ws.readyState === WebSocket.OPEN) { ws.send(JSON.stringify({ data: data })); }
    else { pending.push(data); }
  });
  term.onResize(function (size) {
    if (ws && ws.readyState === WebSocket.OPEN) {
      ws.send(JSON.stringify({ height: size.rows, width: size.cols }));
    }
  });
  window.addEventListener("resize", function () { fit.fit(); });
  connect();
})();
