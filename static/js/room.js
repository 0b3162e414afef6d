// Meeting room: camera preview and device choice, then a WebRTC mesh (up to 4 people) over the
// signaling WebSocket, with chat, local clocks, time left, connection quality and reconnects.
// Every visible text comes from the page (#room-texts, translated by the server).
//
// Negotiation rules (DESIGN.md, "Signaling protocol"):
// - The newcomer offers. When this page gets "joined", it makes one RTCPeerConnection per peer
//   already in the room and offers to each; when it hears "peer-joined", it makes the
//   connection but waits for the newcomer's offer and answers it.
// - Perfect negotiation guards every later offer (renegotiation). Per pair, the newcomer (the
//   side that made the first offer) is the polite peer and rolls back on glare; the peer that
//   was already in the room is impolite and ignores a colliding offer. An aiortc peer can
//   neither roll back nor restart ICE, so it must be the one already in the room: then it is
//   impolite and never has to restart ICE, as the rules require.
// - ICE restarts belong to the side that offered first: when a connection is "failed", or
//   "disconnected" for more than ICE_GRACE_MS, it calls restartIce() (createOffer with
//   iceRestart where restartIce is missing), up to MAX_ICE_RESTARTS times. The answering side
//   waits; if its connection is still down after ANSWERER_GIVE_UP_MS, it joins the room again
//   as a newcomer, which gives every pair a fresh connection.
// - Screen sharing and device changes replace the video sender's track (replaceTrack): no
//   renegotiation, since every connection has an audio and a video transceiver from the start
//   (sending nothing when there is no camera). Only when a peer's offer had no video section
//   is a transceiver added, and that renegotiation goes through perfect negotiation.
// - If the WebSocket drops, the page asks for a fresh token and joins again with backoff; the
//   server replaces the old socket of the same participant and gives a new peer id, so every
//   connection is made anew (the others drop the old one on "peer-left").
"use strict";

(function () {
  const root = document.getElementById("room");
  const textsNode = document.getElementById("room-texts");
  if (!root || !textsNode) return;

  const T = JSON.parse(textsNode.textContent);
  const cfg = {
    joinApi: root.dataset.joinApi,
    chatApi: root.dataset.chatApi,
    opensAt: Date.parse(root.dataset.opensAt),
    closesAt: Date.parse(root.dataset.closesAt),
    startsAt: Date.parse(root.dataset.startsAt),
    endsAt: Date.parse(root.dataset.endsAt),
    myZone: root.dataset.myZone,
    mySide: root.dataset.mySide,
    csrf: root.dataset.csrf,
  };
  const lang = document.documentElement.lang || undefined;

  const ICE_GRACE_MS = 3000;
  const ICE_RETRY_MS = 10000;
  const MAX_ICE_RESTARTS = 3;
  const ANSWERER_GIVE_UP_MS = 20000;
  const STATS_EVERY_MS = 2000;
  const MAX_BACKOFF_MS = 30000;
  const MAX_CHAT_CHARS = 2000;

  const $ = function (id) { return document.getElementById(id); };
  const el = {
    status: $("room-status"),
    alert: $("room-alert"),
    prejoin: $("room-prejoin"),
    preview: $("room-preview"),
    previewEmpty: $("room-preview-empty"),
    previewStart: $("room-preview-start"),
    devices: $("room-devices"),
    devicesBox: $("room-devices-box"),
    camera: $("room-camera"),
    microphone: $("room-microphone"),
    opens: $("room-opens"),
    countdown: $("room-countdown"),
    join: $("room-join"),
    call: $("room-call"),
    tiles: $("room-tiles"),
    waiting: $("room-waiting"),
    self: $("room-self"),
    selfEmpty: $("room-self-empty"),
    selfState: $("room-self-state"),
    mute: $("room-mute"),
    cameraOff: $("room-camera-off"),
    share: $("room-share"),
    leave: $("room-leave"),
    left: $("room-left"),
    chat: $("room-chat"),
    chatLog: $("room-chat-log"),
    chatEmpty: $("room-chat-empty"),
    chatForm: $("room-chat-form"),
    chatInput: $("room-chat-input"),
  };

  // --- state -------------------------------------------------------------------------------

  const state = {
    phase: "prejoin", // prejoin | joining | joined | reconnecting | left | closed
    peerId: null,
    iceServers: [],
    ws: null,
    pingInterval: 15,
    lastFrameAt: 0,
    attempts: 0,
    authFailures: 0,
    reconnectTimer: null,
    connectSeq: 0,
  };
  const peers = new Map(); // peer id -> peer record (see createPeer)
  const media = {
    audio: null, // the microphone track
    video: null, // the camera track
    screen: null, // the screen-share track while sharing
    stream: typeof MediaStream === "function" ? new MediaStream() : null,
    started: false,
    starting: null,
    muted: false,
    cameraOff: false,
  };
  const chatIds = new Set(); // ids of the messages shown that the server keeps
  const liveLines = new Map(); // "peer id:client id" -> <li>, until the server id is known

  const supported = typeof RTCPeerConnection === "function" && typeof WebSocket === "function";
  const hasMedia = !!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia);

  // --- small helpers -----------------------------------------------------------------------

  function fill(template, values) {
    return String(template).replace(/\{(\w+)\}/g, function (match, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : match;
    });
  }

  function setStatus(text) {
    // Same text twice would not be announced again: clear first.
    el.status.textContent = "";
    window.setTimeout(function () { el.status.textContent = text || ""; }, 50);
  }

  function setAlert(text) {
    el.alert.textContent = text || "";
    el.alert.hidden = !text;
  }

  function roleName(role) {
    return (T.roles && T.roles[role]) || (T.roles && T.roles.other) || "";
  }

  function two(n) {
    return String(n).padStart(2, "0");
  }

  function duration(ms) {
    const total = Math.max(0, Math.ceil(ms / 1000));
    const h = Math.floor(total / 3600);
    const m = Math.floor((total % 3600) / 60);
    const s = total % 60;
    return h > 0 ? h + ":" + two(m) + ":" + two(s) : m + ":" + two(s);
  }

  const clockFormats = new Map();
  function clockFormat(zone) {
    if (!clockFormats.has(zone)) {
      let format;
      try {
        format = new Intl.DateTimeFormat(lang, {
          timeZone: zone, weekday: "short", hour: "numeric", minute: "2-digit",
        });
      } catch (error) {
        format = new Intl.DateTimeFormat(lang, { hour: "numeric", minute: "2-digit" });
      }
      clockFormats.set(zone, format);
    }
    return clockFormats.get(zone);
  }

  function timeOfDay(ms) {
    try {
      return new Intl.DateTimeFormat(lang, {
        timeZone: cfg.myZone, hour: "numeric", minute: "2-digit",
      }).format(ms);
    } catch (error) {
      return new Date(ms).toLocaleTimeString();
    }
  }

  function unitFormat(options) {
    try {
      return new Intl.NumberFormat(lang, options);
    } catch (error) {
      return new Intl.NumberFormat(lang, { maximumFractionDigits: options.maximumFractionDigits });
    }
  }
  const fmtMs = unitFormat({ style: "unit", unit: "millisecond", maximumFractionDigits: 0 });
  const fmtPercent = unitFormat({ style: "percent", maximumFractionDigits: 1 });
  const fmtKbps = unitFormat({ style: "unit", unit: "kilobit-per-second", maximumFractionDigits: 0 });
  const fmtMbps = unitFormat({ style: "unit", unit: "megabit-per-second", maximumFractionDigits: 1 });

  function randomId() {
    const bytes = new Uint8Array(9);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, function (b) { return b.toString(16).padStart(2, "0"); }).join("");
  }

  function inCall() {
    return state.phase === "joining" || state.phase === "joined" || state.phase === "reconnecting";
  }

  // --- clocks, countdown, time left --------------------------------------------------------

  function tick() {
    const now = Date.now();
    document.querySelectorAll("#room .room-clock").forEach(function (node) {
      node.textContent = clockFormat(node.dataset.zone).format(now);
    });
    if (now < cfg.startsAt) {
      const wait = cfg.startsAt - now;
      el.left.textContent = wait < 86400000 ? fill(T.startsIn, { time: duration(wait) }) : "";
    } else if (now < cfg.endsAt) {
      el.left.textContent = fill(T.timeLeft, { time: duration(cfg.endsAt - now) });
    } else {
      el.left.textContent = T.over;
    }

    const open = now >= cfg.opensAt && now < cfg.closesAt;
    if (now < cfg.opensAt) {
      // A countdown only on the day: "Opens in 412:05:09" says nothing a date does not.
      const wait = cfg.opensAt - now;
      el.countdown.textContent = wait < 86400000 ? fill(T.opensIn, { countdown: duration(wait) }) : "";
    } else if (open) {
      el.opens.textContent = T.open;
    } else {
      el.opens.textContent = T.closed;
    }
    el.join.disabled = !open || inCall() || !supported;
    if (open && !media.started && !inCall() && state.phase === "prejoin" && hasMedia) {
      startLocalMedia();
    }
    if (now >= cfg.closesAt && state.phase !== "closed") {
      if (inCall()) endCall();
      else if (media.started) stopLocalMedia();
      state.phase = "closed";
      setStatus(T.closed);
    }
  }

  // --- local media and devices -------------------------------------------------------------

  function constraints(kind, deviceId) {
    if (kind === "audio") {
      const audio = { echoCancellation: true, noiseSuppression: true, autoGainControl: true };
      if (deviceId) audio.deviceId = { exact: deviceId };
      return audio;
    }
    const video = { width: { ideal: 960 }, height: { ideal: 540 }, frameRate: { ideal: 24 } };
    if (deviceId) video.deviceId = { exact: deviceId };
    return video;
  }

  function startLocalMedia() {
    if (media.starting) return media.starting;
    media.starting = (async function () {
      if (!hasMedia) {
        setAlert(T.noMedia);
        media.started = true;
        return;
      }
      let stream = null;
      let denied = false;
      try {
        stream = await navigator.mediaDevices.getUserMedia({
          audio: constraints("audio", el.microphone.value),
          video: constraints("video", el.camera.value),
        });
      } catch (error) {
        denied = error && error.name === "NotAllowedError";
        // One of the two may still work (a laptop without camera, a camera in use elsewhere).
        for (const kind of ["audio", "video"]) {
          if (denied) break;
          try {
            const one = await navigator.mediaDevices.getUserMedia({ [kind]: constraints(kind, "") });
            stream = stream || new MediaStream();
            one.getTracks().forEach(function (track) { stream.addTrack(track); });
          } catch (inner) {
            denied = inner && inner.name === "NotAllowedError";
          }
        }
      }
      if (stream) {
        stream.getAudioTracks().slice(0, 1).forEach(function (track) { setLocalTrack("audio", track); });
        stream.getVideoTracks().slice(0, 1).forEach(function (track) { setLocalTrack("video", track); });
      }
      if (!media.audio && !media.video) setAlert(denied ? T.mediaDenied : T.noMedia);
      media.started = true;
      el.previewStart.hidden = true;
      el.devices.classList.remove("room-devices-idle");
      await listDevices();
    })().finally(function () { media.starting = null; });
    return media.starting;
  }

  function stopLocalMedia() {
    stopShare(true);
    [media.audio, media.video].forEach(function (track) { if (track) track.stop(); });
    media.audio = null;
    media.video = null;
    media.started = false;
    refreshLocalViews();
    el.previewStart.hidden = !hasMedia;
    el.devices.classList.add("room-devices-idle");
  }

  // Puts a new microphone or camera track in place: in the previews and in every connection.
  function setLocalTrack(kind, track) {
    const old = media[kind];
    media[kind] = track;
    if (old && old !== track) old.stop();
    if (kind === "audio") track.enabled = !media.muted;
    else track.enabled = !media.cameraOff;
    refreshLocalViews();
    peers.forEach(function (peer) {
      if (kind === "audio") setSenderTrack(peer, "audio", track);
      else if (!media.screen) setSenderTrack(peer, "video", track);
    });
  }

  function outgoingVideo() {
    return media.screen || media.video;
  }

  // Shows ``track`` in ``video``; the same track again leaves the element alone (no flicker).
  function showTrack(video, track) {
    const current = video.srcObject ? video.srcObject.getVideoTracks()[0] : null;
    if (current === (track || null) && (track || !video.srcObject)) return;
    video.srcObject = track ? new MediaStream([track]) : null;
  }

  function refreshLocalViews() {
    if (!media.stream) return; // no WebRTC in this browser: the alert says so
    const tracks = [media.audio, media.video].filter(Boolean);
    const same = media.stream.getTracks();
    if (same.length !== tracks.length || tracks.some(function (t) { return same.indexOf(t) < 0; })) {
      media.stream = new MediaStream(tracks);
    }
    showTrack(el.preview, media.video);
    el.previewEmpty.hidden = !!media.video && !media.cameraOff;
    showTrack(el.self, media.screen || media.video);
    el.self.classList.toggle("room-mirror", !media.screen);
    el.preview.classList.add("room-mirror");
    el.selfEmpty.hidden = !!media.screen || (!!media.video && !media.cameraOff);
    const notes = [];
    if (media.muted || !media.audio) notes.push(T.muted);
    if (media.screen) notes.push(T.sharing);
    else if (media.cameraOff || !media.video) notes.push(T.cameraIsOff);
    el.selfState.textContent = notes.join(" · ");
    el.mute.disabled = !media.audio;
    el.cameraOff.disabled = !media.video;
    el.mute.setAttribute("aria-pressed", media.muted ? "true" : "false");
    el.cameraOff.setAttribute("aria-pressed", media.cameraOff ? "true" : "false");
    el.share.setAttribute("aria-pressed", media.screen ? "true" : "false");
  }

  async function listDevices() {
    if (!hasMedia || !navigator.mediaDevices.enumerateDevices) return;
    let devices = [];
    try {
      devices = await navigator.mediaDevices.enumerateDevices();
    } catch (error) {
      return;
    }
    fillSelect(el.camera, devices.filter(function (d) { return d.kind === "videoinput"; }), media.video);
    fillSelect(el.microphone, devices.filter(function (d) { return d.kind === "audioinput"; }), media.audio);
  }

  function fillSelect(select, devices, track) {
    const current = track && track.getSettings ? track.getSettings().deviceId : select.value;
    select.textContent = "";
    devices.forEach(function (device, index) {
      const option = document.createElement("option");
      option.value = device.deviceId;
      option.textContent = device.label || fill(T.deviceNumbered, { number: index + 1 });
      if (device.deviceId === current) option.selected = true;
      select.appendChild(option);
    });
    if (!devices.length || !devices[0].deviceId) {
      select.textContent = "";
      const option = document.createElement("option");
      option.value = "";
      option.textContent = devices.length ? fill(T.deviceNumbered, { number: 1 }) : T.noDevice;
      select.appendChild(option);
    }
    select.disabled = !media.started || !devices.length || !devices[0].deviceId;
  }

  async function switchDevice(kind, deviceId) {
    if (!media.started) {
      await startLocalMedia();
      return;
    }
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ [kind]: constraints(kind, deviceId) });
    } catch (error) {
      setAlert(T.deviceFailed);
      return;
    }
    setAlert(null);
    const track = kind === "audio" ? stream.getAudioTracks()[0] : stream.getVideoTracks()[0];
    if (track) setLocalTrack(kind, track);
    await listDevices();
  }

  // --- screen sharing, mute, camera ---------------------------------------------------------

  async function toggleShare() {
    if (media.screen) {
      stopShare(false);
      return;
    }
    let stream;
    try {
      stream = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
    } catch (error) {
      if (!error || error.name !== "NotAllowedError") setStatus(T.shareFailed); // else: cancelled
      return;
    }
    const track = stream.getVideoTracks()[0];
    if (!track || !inCall()) {
      stream.getTracks().forEach(function (t) { t.stop(); });
      return;
    }
    if ("contentHint" in track) track.contentHint = "detail";
    media.screen = track;
    track.addEventListener("ended", function () { stopShare(false); });
    peers.forEach(function (peer) { setSenderTrack(peer, "video", track); });
    refreshLocalViews();
    setStatus(T.sharing);
  }

  function stopShare(quiet) {
    const track = media.screen;
    if (!track) return;
    media.screen = null;
    track.stop();
    peers.forEach(function (peer) { setSenderTrack(peer, "video", media.video); });
    refreshLocalViews();
    if (!quiet) setStatus(T.shareStopped);
  }

  function toggleMute() {
    media.muted = !media.muted;
    if (media.audio) media.audio.enabled = !media.muted;
    refreshLocalViews();
  }

  function toggleCamera() {
    media.cameraOff = !media.cameraOff;
    if (media.video) media.video.enabled = !media.cameraOff;
    refreshLocalViews();
  }

  // --- joining, the signaling socket, reconnecting -----------------------------------------

  async function join() {
    if (inCall() || !supported) return;
    el.join.disabled = true;
    setAlert(null);
    await startLocalMedia();
    state.phase = "joining";
    state.attempts = 0;
    state.authFailures = 0;
    showCall(true);
    setStatus(T.connecting);
    el.mute.focus();
    loadChat();
    connect();
  }

  function showCall(on) {
    el.prejoin.hidden = on;
    el.call.hidden = !on;
    el.chat.hidden = !on;
    if (on) {
      el.devicesBox.appendChild(el.devices);
    } else {
      el.opens.parentNode.insertBefore(el.devices, el.opens);
    }
    refreshLocalViews();
  }

  async function connect() {
    window.clearTimeout(state.reconnectTimer);
    state.reconnectTimer = null;
    const seq = ++state.connectSeq;
    let grant;
    try {
      const response = await fetch(cfg.joinApi, {
        method: "POST",
        credentials: "same-origin",
        headers: {
          Accept: "application/json",
          "Content-Type": "application/json",
          "X-CSRF-Token": cfg.csrf,
        },
        body: "{}",
      });
      if (!response.ok) {
        const message = await errorMessage(response);
        if (seq !== state.connectSeq || !inCall()) return;
        if (response.status >= 500 || response.status === 429) {
          scheduleReconnect(message);
        } else {
          fail(message);
        }
        return;
      }
      grant = await response.json();
    } catch (error) {
      if (seq === state.connectSeq && inCall()) scheduleReconnect(T.networkError);
      return;
    }
    if (seq !== state.connectSeq || !inCall()) return;
    state.iceServers = Array.isArray(grant.ice_servers) ? grant.ice_servers : [];
    openSocket(grant);
  }

  async function errorMessage(response) {
    try {
      const body = await response.json();
      if (body && body.error && body.error.message) return body.error.message;
    } catch (error) {
      // not JSON
    }
    return T.networkError;
  }

  function socketUrl(raw) {
    const url = new URL(raw, window.location.href);
    if (url.protocol === "http:") url.protocol = "ws:";
    if (url.protocol === "https:") url.protocol = "wss:";
    return url.toString();
  }

  function openSocket(grant) {
    dropSocket();
    let ws;
    try {
      ws = new WebSocket(socketUrl(grant.ws_url));
    } catch (error) {
      scheduleReconnect(T.networkError);
      return;
    }
    state.ws = ws;
    state.lastFrameAt = Date.now();
    ws.addEventListener("open", function () {
      if (ws === state.ws) ws.send(JSON.stringify({ type: "join", token: grant.token }));
    });
    ws.addEventListener("message", function (event) { onFrame(ws, event.data); });
    ws.addEventListener("close", function (event) { onClose(ws, event); });
  }

  // Forget the current socket without reacting to its close.
  function dropSocket() {
    const ws = state.ws;
    state.ws = null;
    if (ws && ws.readyState <= WebSocket.OPEN) {
      try { ws.close(1000); } catch (error) { /* already closing */ }
    }
  }

  function send(frame) {
    const ws = state.ws;
    if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(frame));
  }

  function onClose(ws, event) {
    if (ws !== state.ws) return;
    state.ws = null;
    if (!inCall()) return;
    const code = event.code;
    if (code === 4000) return fail(T.closed4000);
    if (code === 4403) return fail(Date.now() >= cfg.closesAt ? T.closed : T.closed4403);
    if (code === 4409) return fail(T.closed4409);
    if (code === 4401) {
      state.authFailures += 1;
      if (state.authFailures > 2) return fail(T.closed4401);
    }
    // 1006 (network), 1011/1013 (server trouble), 4408 (seen as dead), 4413, 4429: again.
    scheduleReconnect();
  }

  function scheduleReconnect(message) {
    if (!inCall()) return;
    if (Date.now() >= cfg.closesAt) {
      endCall();
      state.phase = "closed";
      setStatus(T.closed);
      return;
    }
    dropSocket();
    if (state.phase !== "reconnecting") {
      state.phase = state.phase === "joining" ? "joining" : "reconnecting";
      setStatus(T.reconnecting);
    }
    if (message) setAlert(message);
    const base = Math.min(MAX_BACKOFF_MS, 1000 * Math.pow(2, state.attempts));
    const delay = state.attempts === 0 ? 300 : base / 2 + Math.random() * (base / 2);
    state.attempts += 1;
    window.clearTimeout(state.reconnectTimer);
    state.reconnectTimer = window.setTimeout(connect, delay);
  }

  // Join again now (a new peer id, new connections to everyone).
  function rejoin() {
    if (state.phase !== "joined") return;
    state.phase = "reconnecting";
    setStatus(T.reconnecting);
    state.attempts = 0;
    connect();
  }

  function fail(message) {
    endCall();
    state.phase = Date.now() >= cfg.closesAt ? "closed" : "left";
    setAlert(message);
    el.join.focus();
  }

  // Out of the call: connections closed, the socket forgotten, the pre-join panel back.
  function endCall() {
    window.clearTimeout(state.reconnectTimer);
    state.reconnectTimer = null;
    state.connectSeq += 1;
    dropSocket();
    Array.from(peers.keys()).forEach(function (id) { removePeer(id); });
    stopLocalMedia();
    state.peerId = null;
    showCall(false);
    el.join.disabled = !(Date.now() >= cfg.opensAt && Date.now() < cfg.closesAt);
  }

  function leave() {
    send({ type: "leave" });
    endCall();
    state.phase = "left";
    setAlert(null);
    setStatus(T.left);
    el.join.focus();
  }

  function onFrame(ws, data) {
    if (ws !== state.ws) return;
    state.lastFrameAt = Date.now();
    let frame;
    try {
      frame = JSON.parse(data);
    } catch (error) {
      return;
    }
    if (!frame || typeof frame.type !== "string") return;
    switch (frame.type) {
      case "joined": onJoined(frame); break;
      case "peer-joined": onPeerJoined(frame.peer); break;
      case "peer-left": onPeerLeft(frame.peer_id); break;
      case "offer":
      case "answer":
      case "candidate": onSignal(frame); break;
      case "ping": send({ type: "pong" }); break;
      case "error":
        if (window.console) console.warn("signaling error", frame.code, frame.message);
        break;
      default: break;
    }
  }

  function onJoined(frame) {
    const again = state.phase === "reconnecting";
    state.phase = "joined";
    state.peerId = frame.peer_id;
    state.pingInterval = Number(frame.ping_interval) || 15;
    state.attempts = 0;
    state.authFailures = 0;
    // Whatever was connected before belongs to the old peer id: the others drop it.
    Array.from(peers.keys()).forEach(function (id) { removePeer(id); });
    (frame.peers || []).forEach(function (info) { createPeer(info, true); });
    setAlert(null);
    setStatus(again ? T.reconnected : T.inRoom);
    if (again) loadChat();
  }

  function onPeerJoined(info) {
    if (!info || !info.peer_id) return;
    createPeer(info, false);
    setStatus(fill(T.peerJoined, { name: info.name || roleName(info.role) }));
  }

  function onPeerLeft(id) {
    const peer = peers.get(id);
    if (!peer) return;
    removePeer(id);
    setStatus(fill(T.peerLeft, { name: peer.name || roleName(peer.role) }));
  }

  // A socket that hears nothing (not even the server's pings) for two intervals is dead.
  function watchSocket() {
    if (state.phase !== "joined" || !state.ws) return;
    if (Date.now() - state.lastFrameAt > (2 * state.pingInterval + 5) * 1000) scheduleReconnect();
  }

  // --- peers: connections, negotiation, ICE recovery ---------------------------------------

  function createPeer(info, offerer) {
    removePeer(info.peer_id);
    const pc = new RTCPeerConnection({ iceServers: state.iceServers });
    const peer = {
      id: info.peer_id,
      name: String(info.name || ""),
      role: String(info.role || ""),
      pc: pc,
      offerer: offerer,
      polite: offerer, // the newcomer is polite (see the rules at the top)
      makingOffer: false,
      ignoreOffer: false,
      settingAnswer: false,
      queue: Promise.resolve(),
      audio: null, // RTCRtpTransceiver
      video: null,
      channel: null,
      tile: null,
      sample: null,
      level: "unknown",
      iceTimer: null,
      restarts: 0,
      down: false,
    };
    peers.set(peer.id, peer);
    peer.tile = makeTile(peer);

    pc.addEventListener("icecandidate", function (event) {
      if (peers.get(peer.id) !== peer) return;
      send({ type: "candidate", to: peer.id, candidate: event.candidate ? event.candidate.toJSON() : null });
    });
    pc.addEventListener("track", function (event) { showRemote(peer, event); });
    pc.addEventListener("datachannel", function (event) {
      if (event.channel.label === "chat") setupChannel(peer, event.channel);
    });
    pc.addEventListener("negotiationneeded", function () { negotiate(peer); });
    pc.addEventListener("iceconnectionstatechange", function () { onIceState(peer); });
    pc.addEventListener("connectionstatechange", function () { updateTile(peer); });

    if (offerer) {
      peer.audio = pc.addTransceiver(media.audio || "audio", { direction: "sendrecv", streams: [media.stream] });
      peer.video = pc.addTransceiver(outgoingVideo() || "video", { direction: "sendrecv", streams: [media.stream] });
      setupChannel(peer, pc.createDataChannel("chat"));
      // negotiationneeded follows and sends the offer.
    }
    layoutTiles();
    return peer;
  }

  function removePeer(id) {
    const peer = peers.get(id);
    if (!peer) return;
    peers.delete(id);
    window.clearTimeout(peer.iceTimer);
    try { if (peer.channel) peer.channel.close(); } catch (error) { /* closed */ }
    try { peer.pc.close(); } catch (error) { /* closed */ }
    if (peer.tile) peer.tile.item.remove();
    layoutTiles();
  }

  async function negotiate(peer) {
    if (peers.get(peer.id) !== peer) return;
    const pc = peer.pc;
    try {
      peer.makingOffer = true;
      await pc.setLocalDescription();
      if (peers.get(peer.id) !== peer) return;
      send({ type: pc.localDescription.type, to: peer.id, sdp: pc.localDescription.sdp });
    } catch (error) {
      if (window.console) console.warn("negotiation failed", error);
    } finally {
      peer.makingOffer = false;
    }
  }

  function onSignal(frame) {
    let peer = peers.get(frame.from);
    if (!peer) {
      if (frame.type !== "offer" || !frame.from) return;
      peer = createPeer({ peer_id: frame.from, role: "", name: "" }, false);
    }
    // One at a time per peer, in the order they came.
    peer.queue = peer.queue
      .then(function () { return handleSignal(peer, frame); })
      .catch(function (error) { if (window.console) console.warn("signal failed", frame.type, error); });
  }

  async function handleSignal(peer, frame) {
    if (peers.get(peer.id) !== peer) return;
    const pc = peer.pc;
    if (frame.type === "candidate") {
      try {
        if (frame.candidate) await pc.addIceCandidate(frame.candidate);
        else await pc.addIceCandidate();
      } catch (error) {
        if (!peer.ignoreOffer && frame.candidate) throw error;
      }
      return;
    }
    if (typeof frame.sdp !== "string") return;
    // Perfect negotiation.
    const readyForOffer = !peer.makingOffer && (pc.signalingState === "stable" || peer.settingAnswer);
    const collision = frame.type === "offer" && !readyForOffer;
    peer.ignoreOffer = !peer.polite && collision;
    if (peer.ignoreOffer) return;
    peer.settingAnswer = frame.type === "answer";
    await pc.setRemoteDescription({ type: frame.type, sdp: frame.sdp }); // rolls back if needed
    peer.settingAnswer = false;
    if (frame.type === "offer") {
      await takeTransceivers(peer);
      await pc.setLocalDescription();
      send({ type: "answer", to: peer.id, sdp: pc.localDescription.sdp });
    }
  }

  // The answering side sends on the transceivers the offer made: one audio, one video.
  async function takeTransceivers(peer) {
    for (const transceiver of peer.pc.getTransceivers()) {
      if (transceiver.currentDirection === "stopped" || !transceiver.receiver.track) continue;
      const kind = transceiver.receiver.track.kind;
      if (peer[kind] || (kind !== "audio" && kind !== "video")) continue;
      peer[kind] = transceiver;
      transceiver.direction = "sendrecv";
      if (transceiver.sender.setStreams) transceiver.sender.setStreams(media.stream);
      await transceiver.sender.replaceTrack(kind === "audio" ? media.audio : outgoingVideo());
    }
  }

  function setSenderTrack(peer, kind, track) {
    const transceiver = peer[kind];
    if (transceiver) {
      transceiver.sender.replaceTrack(track).catch(function (error) {
        if (window.console) console.warn("replaceTrack failed", error);
      });
    } else if (track && peer.pc.signalingState !== "closed" && peer.pc.remoteDescription) {
      // The other side's offer had no such section: add one; perfect negotiation follows.
      peer[kind] = peer.pc.addTransceiver(track, { direction: "sendrecv", streams: [media.stream] });
    }
  }

  function onIceState(peer) {
    if (peers.get(peer.id) !== peer) return;
    const ice = peer.pc.iceConnectionState;
    updateTile(peer);
    if (ice === "connected" || ice === "completed") {
      window.clearTimeout(peer.iceTimer);
      peer.iceTimer = null;
      peer.restarts = 0;
      if (peer.down) {
        peer.down = false;
        setStatus(T.reconnected);
      }
      return;
    }
    if ((ice === "disconnected" || ice === "failed") && !peer.iceTimer) {
      peer.iceTimer = window.setTimeout(function () { recoverIce(peer); }, ice === "failed" ? 0 : ICE_GRACE_MS);
    }
  }

  function recoverIce(peer) {
    peer.iceTimer = null;
    if (peers.get(peer.id) !== peer || state.phase !== "joined") return;
    const ice = peer.pc.iceConnectionState;
    if (ice === "connected" || ice === "completed" || ice === "closed") return;
    if (!peer.down) {
      peer.down = true;
      setStatus(fill(T.peerFailed, { name: peer.name || roleName(peer.role) }));
    }
    if (peer.offerer) {
      if (peer.restarts >= MAX_ICE_RESTARTS) {
        rejoin();
        return;
      }
      peer.restarts += 1;
      restartIce(peer);
      peer.iceTimer = window.setTimeout(function () { recoverIce(peer); }, ICE_RETRY_MS);
    } else {
      peer.iceTimer = window.setTimeout(function () {
        peer.iceTimer = null;
        if (peers.get(peer.id) !== peer) return;
        const now = peer.pc.iceConnectionState;
        if (now !== "connected" && now !== "completed") rejoin();
      }, ANSWERER_GIVE_UP_MS);
    }
  }

  async function restartIce(peer) {
    const pc = peer.pc;
    if (typeof pc.restartIce === "function") {
      pc.restartIce(); // negotiationneeded follows, with an ICE restart in the offer
      return;
    }
    try {
      peer.makingOffer = true;
      await pc.setLocalDescription(await pc.createOffer({ iceRestart: true }));
      send({ type: "offer", to: peer.id, sdp: pc.localDescription.sdp });
    } catch (error) {
      if (window.console) console.warn("ICE restart failed", error);
    } finally {
      peer.makingOffer = false;
    }
  }

  // --- video tiles -------------------------------------------------------------------------

  function makeTile(peer) {
    const item = document.createElement("li");
    item.className = "room-peer";
    const figure = document.createElement("figure");
    figure.className = "room-tile";
    const video = document.createElement("video");
    video.autoplay = true;
    video.playsInline = true;
    video.setAttribute("aria-label", fill(T.videoOf, { name: peer.name || roleName(peer.role) }));
    const empty = document.createElement("p");
    empty.className = "room-tile-empty";
    empty.textContent = T.peerConnecting;
    const sound = document.createElement("button");
    sound.type = "button";
    sound.className = "button room-sound";
    sound.textContent = T.playSound;
    sound.hidden = true;
    sound.addEventListener("click", function () {
      video.muted = false;
      video.play().catch(function () { /* stays muted */ });
      sound.hidden = true;
    });
    const caption = document.createElement("figcaption");
    caption.className = "room-tile-caption";
    const name = document.createElement("span");
    name.className = "room-tile-name";
    name.textContent = peer.name || roleName(peer.role);
    const role = document.createElement("span");
    role.className = "room-tile-role";
    role.textContent = roleName(peer.role);
    const quality = document.createElement("span");
    quality.className = "room-quality";
    quality.dataset.level = "unknown";
    const qualityText = document.createElement("span");
    qualityText.textContent = T.quality.unknown;
    const qualityDetails = document.createElement("span");
    qualityDetails.className = "visually-hidden";
    quality.append(qualityText, qualityDetails);
    caption.append(name, " ", role, " ", quality);
    figure.append(video, empty, sound, caption);
    item.appendChild(figure);
    el.tiles.appendChild(item);
    video.addEventListener("playing", function () { updateTile(peer); });
    return { item, video, empty, sound, quality, qualityText, qualityDetails, hasVideo: false };
  }

  function showRemote(peer, event) {
    const tile = peer.tile;
    // One stream per peer, whatever streams the other side put its tracks in.
    const tracks = tile.video.srcObject ? tile.video.srcObject.getTracks() : [];
    const kept = tracks.filter(function (t) { return t.kind !== event.track.kind; });
    tile.video.srcObject = new MediaStream(kept.concat([event.track]));
    if (event.track.kind === "video") {
      event.track.addEventListener("unmute", function () { tile.hasVideo = true; updateTile(peer); });
      event.track.addEventListener("mute", function () { tile.hasVideo = false; updateTile(peer); });
    }
    const playing = tile.video.play();
    if (playing && playing.catch) {
      playing.catch(function (error) {
        if (error && error.name === "NotAllowedError") {
          // Autoplay with sound refused: play muted and offer a button for the sound.
          tile.video.muted = true;
          tile.video.play().catch(function () { /* nothing more to try */ });
          tile.sound.hidden = false;
        }
      });
    }
  }

  function updateTile(peer) {
    const tile = peer.tile;
    if (!tile || peers.get(peer.id) !== peer) return;
    const ice = peer.pc.iceConnectionState;
    const up = ice === "connected" || ice === "completed";
    let note = "";
    if (!up) note = peer.down || ice === "disconnected" || ice === "failed" ? T.peerReconnecting : T.peerConnecting;
    else if (!tile.hasVideo) note = T.cameraIsOff; // no frames come: no camera, or it is off
    tile.empty.textContent = note;
    tile.empty.hidden = !note;
    tile.item.dataset.state = up ? "connected" : ice;
  }

  function layoutTiles() {
    const count = peers.size;
    el.tiles.dataset.count = String(count);
    el.waiting.hidden = count > 0 || state.phase === "reconnecting";
  }

  // --- connection quality ------------------------------------------------------------------

  async function measure(peer) {
    const pc = peer.pc;
    if (pc.connectionState === "closed") return;
    let report;
    try {
      report = await pc.getStats();
    } catch (error) {
      return;
    }
    let pairId = null;
    report.forEach(function (s) {
      if (s.type === "transport" && s.selectedCandidatePairId) pairId = s.selectedCandidatePairId;
    });
    let rtt = null;
    let remoteLoss = 0;
    const sum = { lost: 0, received: 0, bytes: 0, frames: 0 };
    report.forEach(function (s) {
      if (s.type === "candidate-pair") {
        const chosen = pairId ? s.id === pairId : s.nominated && s.state === "succeeded";
        if (chosen && typeof s.currentRoundTripTime === "number") rtt = s.currentRoundTripTime;
      } else if (s.type === "inbound-rtp") {
        sum.lost += Math.max(0, s.packetsLost || 0);
        sum.received += s.packetsReceived || 0;
        sum.bytes += s.bytesReceived || 0;
        if (s.kind === "video") sum.frames += s.framesDecoded || 0;
      } else if (s.type === "remote-inbound-rtp") {
        // What the other side reports of what we send.
        if (typeof s.fractionLost === "number") remoteLoss = Math.max(remoteLoss, s.fractionLost);
        if (rtt === null && typeof s.roundTripTime === "number") rtt = s.roundTripTime;
      }
    });
    const at = performance.now();
    const previous = peer.sample;
    peer.sample = { at, lost: sum.lost, received: sum.received, bytes: sum.bytes, frames: sum.frames };
    if (!previous || peers.get(peer.id) !== peer) return;
    const seconds = Math.max(0.001, (at - previous.at) / 1000);
    const lost = Math.max(0, sum.lost - previous.lost);
    const received = Math.max(0, sum.received - previous.received);
    const loss = Math.max(lost + received > 0 ? lost / (lost + received) : 0, remoteLoss);
    const bitrate = (Math.max(0, sum.bytes - previous.bytes) * 8) / seconds;
    const videoFlowing = sum.frames > previous.frames;
    if (videoFlowing) {
      peer.tile.hasVideo = true;
      updateTile(peer);
    }
    const ice = pc.iceConnectionState;
    let level;
    if (ice !== "connected" && ice !== "completed") level = "poor";
    else if ((rtt !== null && rtt > 0.4) || loss > 0.1) level = "poor";
    else if ((rtt !== null && rtt > 0.2) || loss > 0.03 || (videoFlowing && bitrate < 100000)) level = "fair";
    else level = "good";
    peer.level = level;
    peer.quality = { rtt, loss, bitrate, level };
    const tile = peer.tile;
    tile.quality.dataset.level = level;
    tile.qualityText.textContent = T.quality[level];
    const details = fill(T.qualityDetails, {
      rtt: rtt === null ? "–" : fmtMs.format(rtt * 1000),
      loss: fmtPercent.format(loss),
      bitrate: bitrate >= 1e6 ? fmtMbps.format(bitrate / 1e6) : fmtKbps.format(bitrate / 1000),
    });
    tile.qualityDetails.textContent = " " + details;
    tile.quality.title = details;
  }

  function measureAll() {
    if (state.phase !== "joined" && state.phase !== "reconnecting") return;
    peers.forEach(function (peer) { measure(peer); });
  }

  // --- chat ----------------------------------------------------------------------------------

  function setupChannel(peer, channel) {
    peer.channel = channel;
    channel.addEventListener("message", function (event) { onChannelMessage(peer, event.data); });
  }

  function broadcast(message) {
    const text = JSON.stringify(message);
    peers.forEach(function (peer) {
      if (peer.channel && peer.channel.readyState === "open") {
        try { peer.channel.send(text); } catch (error) { /* closing */ }
      }
    });
  }

  function onChannelMessage(peer, data) {
    if (peers.get(peer.id) !== peer || typeof data !== "string" || data.length > 4 * MAX_CHAT_CHARS) return;
    let message;
    try {
      message = JSON.parse(data);
    } catch (error) {
      return;
    }
    if (!message || typeof message.cid !== "string") return;
    const key = peer.id + ":" + message.cid;
    if (message.type === "chat" && typeof message.body === "string" && message.body.trim()) {
      if (liveLines.has(key)) return;
      const line = addChatLine({
        author: peer.name || roleName(peer.role),
        side: peer.role,
        body: message.body.slice(0, MAX_CHAT_CHARS),
        at: Date.now(),
        own: false,
      });
      liveLines.set(key, line);
    } else if (message.type === "chat-saved" && typeof message.id === "string") {
      const line = liveLines.get(key);
      liveLines.delete(key);
      if (!line) return;
      if (chatIds.has(message.id)) line.remove(); // the history brought it already
      else {
        chatIds.add(message.id);
        line.dataset.id = message.id;
      }
    }
  }

  function addChatLine(message) {
    const item = document.createElement("li");
    item.className = "room-chat-line" + (message.own ? " room-chat-own" : "");
    item.dataset.at = String(message.at);
    if (message.id) item.dataset.id = message.id;
    const meta = document.createElement("p");
    meta.className = "room-chat-meta";
    const author = document.createElement("span");
    author.className = "room-chat-author";
    author.textContent = message.author;
    const side = document.createElement("span");
    side.className = "room-chat-side";
    side.textContent = roleName(message.side);
    const time = document.createElement("time");
    time.dateTime = new Date(message.at).toISOString();
    time.textContent = timeOfDay(message.at);
    meta.append(author, " ", side, " ", time);
    const body = document.createElement("p");
    body.className = "room-chat-body";
    body.textContent = message.body;
    const note = document.createElement("p");
    note.className = "room-chat-note";
    note.hidden = true;
    item.append(meta, body, note);
    // In time order; a line from the history may belong before the live ones.
    const after = Array.from(el.chatLog.children).find(function (li) {
      return Number(li.dataset.at) > message.at;
    });
    el.chatLog.insertBefore(item, after || null);
    el.chatEmpty.hidden = true;
    const nearBottom = el.chatLog.scrollHeight - el.chatLog.scrollTop - el.chatLog.clientHeight < 80;
    if (!after && (nearBottom || message.own)) el.chatLog.scrollTop = el.chatLog.scrollHeight;
    return item;
  }

  async function loadChat() {
    let data;
    el.chatLog.setAttribute("aria-busy", "true");
    try {
      const response = await fetch(cfg.chatApi, {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      if (!response.ok) return;
      data = await response.json();
    } catch (error) {
      return;
    } finally {
      el.chatLog.setAttribute("aria-busy", "false");
    }
    (data.messages || []).forEach(function (m) {
      if (!m || chatIds.has(m.id)) return;
      chatIds.add(m.id);
      const own = m.side === cfg.mySide;
      addChatLine({
        id: m.id,
        author: own ? T.you : m.author_name,
        side: m.side,
        body: String(m.body || ""),
        at: Date.parse(m.sent_at) || Date.now(),
        own: own,
      });
    });
    el.chatLog.scrollTop = el.chatLog.scrollHeight;
  }

  async function sendChat(body) {
    const cid = randomId();
    const line = addChatLine({ author: T.you, side: cfg.mySide, body, at: Date.now(), own: true });
    const note = line.querySelector(".room-chat-note");
    line.classList.add("room-chat-pending");
    note.textContent = T.chatSending;
    note.hidden = false;
    broadcast({ type: "chat", cid, body }); // at once to everyone connected...
    try {
      // ...and kept with the meeting, for both sides and for later.
      const response = await fetch(cfg.chatApi, {
        method: "POST",
        credentials: "same-origin",
        headers: {
          Accept: "application/json",
          "Content-Type": "application/json",
          "X-CSRF-Token": cfg.csrf,
        },
        body: JSON.stringify({ body }),
      });
      if (!response.ok) throw new Error(await errorMessage(response));
      const saved = await response.json();
      line.classList.remove("room-chat-pending");
      note.hidden = true;
      if (saved && saved.id) {
        if (chatIds.has(saved.id)) {
          line.remove();
        } else {
          chatIds.add(saved.id);
          line.dataset.id = saved.id;
        }
        broadcast({ type: "chat-saved", cid, id: saved.id });
      }
    } catch (error) {
      line.classList.remove("room-chat-pending");
      line.classList.add("room-chat-failed");
      note.textContent = T.chatFailed;
    }
  }

  // --- wiring --------------------------------------------------------------------------------

  el.join.addEventListener("click", join);
  el.leave.addEventListener("click", leave);
  el.mute.addEventListener("click", toggleMute);
  el.cameraOff.addEventListener("click", toggleCamera);
  el.share.addEventListener("click", toggleShare);
  el.share.hidden = !(navigator.mediaDevices && navigator.mediaDevices.getDisplayMedia);
  el.previewStart.hidden = !hasMedia;
  el.previewStart.addEventListener("click", function () { startLocalMedia(); });
  el.camera.addEventListener("change", function () { switchDevice("video", el.camera.value); });
  el.microphone.addEventListener("change", function () { switchDevice("audio", el.microphone.value); });
  if (hasMedia && navigator.mediaDevices.addEventListener) {
    navigator.mediaDevices.addEventListener("devicechange", function () { if (media.started) listDevices(); });
  }
  el.chatForm.addEventListener("submit", function (event) {
    event.preventDefault();
    const body = el.chatInput.value.trim();
    if (!body) return;
    el.chatInput.value = "";
    sendChat(body.slice(0, MAX_CHAT_CHARS));
  });
  window.addEventListener("online", function () {
    if (state.phase === "reconnecting" && state.reconnectTimer) connect();
  });
  window.addEventListener("pagehide", function () {
    if (inCall()) send({ type: "leave" });
  });

  if (!supported) setAlert(T.unsupported);
  refreshLocalViews();
  tick();
  window.setInterval(tick, 1000);
  window.setInterval(measureAll, STATS_EVERY_MS);
  window.setInterval(watchSocket, 2000);

  // Read-only state for tests and for support (e.g. getStats on a connection).
  window.kakehashiRoom = Object.freeze({
    get phase() { return state.phase; },
    get peerId() { return state.peerId; },
    get peers() {
      return Array.from(peers.values(), function (p) {
        return Object.freeze({
          peer_id: p.id,
          name: p.name,
          role: p.role,
          offerer: p.offerer,
          polite: p.polite,
          quality: p.quality ? Object.freeze(Object.assign({}, p.quality)) : null,
          iceConnectionState: p.pc.iceConnectionState,
        });
      });
    },
    get pcs() { return new Map(Array.from(peers.values(), function (p) { return [p.id, p.pc]; })); },
    get localTracks() {
      return Object.freeze({ audio: media.audio, video: media.video, screen: media.screen });
    },
  });
})();
