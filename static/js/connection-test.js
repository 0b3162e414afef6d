// "Test my connection": a WebRTC connection to the server's echo peer (signaling/echo.py).
// Timed probes go out on an unordered data channel that never retransmits, so they travel
// like media packets, and come back echoed: their round trips give the RTT, the jitter and
// the loss. Texts, ICE servers, probe timing and thresholds all come from the page
// (#ct-config), so nothing here is in one language or decides a threshold on its own.
(function () {
  "use strict";

  const configNode = document.getElementById("ct-config");
  if (!configNode) {
    return;
  }
  const config = JSON.parse(configNode.textContent);
  const texts = config.texts;
  const byId = (id) => document.getElementById(id);
  const startButton = byId("ct-start");
  const preview = byId("ct-preview");
  const previewBox = byId("ct-preview-box");
  const cameraNote = byId("ct-camera-note");
  const results = byId("ct-results");
  const progress = byId("ct-progress");
  const verdict = byId("ct-verdict");
  const advice = byId("ct-advice");
  const figures = {
    rtt: byId("ct-rtt"),
    jitter: byId("ct-jitter"),
    loss: byId("ct-loss"),
    pair: byId("ct-pair"),
    relay: byId("ct-relay"),
  };

  // The browser gathers for a moment; the server never trickles, so the offer waits for it,
  // but a TURN server that does not answer must not stall the test.
  const GATHER_TIMEOUT_MS = 5000;
  const CONNECT_TIMEOUT_MS = 15000;
  const LIVE_UPDATE_MS = 500;

  const lang = document.documentElement.lang || undefined;
  const formatMs = numberFormat(
    { style: "unit", unit: "millisecond", unitDisplay: "short", maximumFractionDigits: 0 },
    (value) => `${Math.round(value)} ms`,
  );
  const formatPercent = numberFormat(
    { style: "percent", maximumFractionDigits: 1 },
    (value) => `${Math.round(value * 1000) / 10}%`,
  );

  function numberFormat(options, fallback) {
    try {
      const format = new Intl.NumberFormat(lang, options);
      return (value) => format.format(value);
    } catch (error) {
      return fallback; // a browser without unit formatting
    }
  }

  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, (marker, name) => (name in values ? values[name] : marker));
  }

  class TestError extends Error {}

  if (!window.RTCPeerConnection) {
    progress.textContent = texts.unsupported;
    return;
  }
  startButton.disabled = false;
  startButton.addEventListener("click", () => {
    run();
  });

  function setFigure(name, text) {
    figures[name].textContent = text;
  }

  function reset() {
    Object.keys(figures).forEach((name) => setFigure(name, "–"));
    verdict.hidden = true;
    verdict.removeAttribute("data-verdict");
    advice.hidden = true;
    progress.hidden = false;
  }

  async function openCamera() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      cameraNote.textContent = texts.noCamera;
      return null;
    }
    cameraNote.textContent = texts.askingCamera;
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
      preview.srcObject = stream;
      previewBox.hidden = false;
      cameraNote.textContent = texts.cameraWorks;
      return stream;
    } catch (error) {
      const name = error && error.name;
      if (name === "NotAllowedError" || name === "SecurityError") {
        cameraNote.textContent = texts.cameraDenied;
      } else if (name === "NotFoundError" || name === "OverconstrainedError") {
        cameraNote.textContent = texts.noCamera;
      } else {
        cameraNote.textContent = texts.cameraFailed;
      }
      return null;
    }
  }

  function candidateType(candidate) {
    if (candidate.type) {
      return candidate.type;
    }
    const match = / typ (\w+)/.exec(candidate.candidate || "");
    return match ? match[1] : null;
  }

  function gathered(pc) {
    if (pc.iceGatheringState === "complete") {
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(done, GATHER_TIMEOUT_MS);
      function check() {
        if (pc.iceGatheringState === "complete") {
          done();
        }
      }
      function done() {
        clearTimeout(timer);
        pc.removeEventListener("icegatheringstatechange", check);
        resolve();
      }
      pc.addEventListener("icegatheringstatechange", check);
    });
  }

  async function exchange(pc) {
    let response;
    try {
      response = await fetch(config.api, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ sdp: pc.localDescription.sdp, type: "offer" }),
      });
    } catch (error) {
      throw new TestError(texts.serverError);
    }
    let body = null;
    try {
      body = await response.json();
    } catch (error) {
      body = null;
    }
    if (!response.ok || !body || typeof body.sdp !== "string") {
      // The server's message is already in the page's language.
      throw new TestError((body && body.error && body.error.message) || texts.serverError);
    }
    await pc.setRemoteDescription({ type: "answer", sdp: body.sdp });
  }

  // True once the channel is open; false when the connection fails or takes too long.
  function connected(pc, channel) {
    return new Promise((resolve) => {
      if (channel.readyState === "open") {
        resolve(true);
        return;
      }
      const timer = setTimeout(() => finish(false), CONNECT_TIMEOUT_MS);
      function onOpen() {
        finish(true);
      }
      function onState() {
        if (pc.connectionState === "failed" || pc.connectionState === "closed") {
          finish(false);
        }
      }
      function finish(ok) {
        clearTimeout(timer);
        channel.removeEventListener("open", onOpen);
        pc.removeEventListener("connectionstatechange", onState);
        resolve(ok);
      }
      channel.addEventListener("open", onOpen);
      pc.addEventListener("connectionstatechange", onState);
    });
  }

  // RTT: the median of the round trips. Jitter: the mean change between consecutive round
  // trips. Loss: probes not back within late_after_ms, counted only once that time has passed.
  function summarize(sentAt, rtts, now, lateAfter) {
    let settled = 0;
    let back = 0;
    sentAt.forEach((time, seq) => {
      if (now - time >= lateAfter || rtts.has(seq)) {
        settled += 1;
        if (rtts.has(seq)) {
          back += 1;
        }
      }
    });
    const inOrder = Array.from(rtts.keys())
      .sort((a, b) => a - b)
      .map((seq) => rtts.get(seq));
    const sorted = inOrder.slice().sort((a, b) => a - b);
    let median = null;
    if (sorted.length) {
      const middle = Math.floor(sorted.length / 2);
      median = sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }
    let jitter = null;
    if (inOrder.length > 1) {
      let total = 0;
      for (let i = 1; i < inOrder.length; i += 1) {
        total += Math.abs(inOrder[i] - inOrder[i - 1]);
      }
      jitter = total / (inOrder.length - 1);
    }
    return {
      received: back,
      rtt: median,
      jitter: jitter,
      loss: settled ? (settled - back) / settled : null,
    };
  }

  function show(summary) {
    setFigure("rtt", summary.rtt === null ? "–" : formatMs(summary.rtt));
    setFigure("jitter", summary.jitter === null ? "–" : formatMs(summary.jitter));
    setFigure("loss", summary.loss === null ? "–" : formatPercent(summary.loss));
  }

  function probe(channel) {
    const { interval_ms: interval, seconds, late_after_ms: lateAfter } = config.probe;
    const total = Math.round((seconds * 1000) / interval);
    const sentAt = new Map();
    const rtts = new Map();
    const started = performance.now();
    return new Promise((resolve) => {
      channel.onmessage = (event) => {
        const now = performance.now();
        let echoed;
        try {
          echoed = JSON.parse(event.data);
        } catch (error) {
          return;
        }
        const time = sentAt.get(echoed.seq);
        if (time !== undefined && !rtts.has(echoed.seq) && now - time <= lateAfter) {
          rtts.set(echoed.seq, now - time);
        }
      };
      let seq = 0;
      const sender = setInterval(() => {
        if (seq >= total || channel.readyState !== "open") {
          clearInterval(sender);
          setTimeout(done, lateAfter);
          return;
        }
        const now = performance.now();
        sentAt.set(seq, now);
        try {
          channel.send(JSON.stringify({ seq: seq, t: now }));
        } catch (error) {
          // A full or closing channel: the probe counts as lost.
        }
        seq += 1;
      }, interval);
      const ticker = setInterval(() => {
        const now = performance.now();
        const left = Math.max(0, Math.ceil(seconds - (now - started) / 1000));
        progress.textContent = fill(texts.measuring, { seconds: left });
        show(summarize(sentAt, rtts, now, lateAfter));
      }, LIVE_UPDATE_MS);
      function done() {
        clearInterval(ticker);
        channel.onmessage = null;
        resolve(summarize(sentAt, rtts, Infinity, lateAfter));
      }
    });
  }

  // The local candidate's type of the pair in use: host, srflx, prflx or relay.
  async function pairType(pc) {
    const stats = await pc.getStats();
    let pair = null;
    stats.forEach((report) => {
      if (report.type === "transport" && report.selectedCandidatePairId) {
        pair = stats.get(report.selectedCandidatePairId) || pair;
      }
    });
    if (!pair) {
      stats.forEach((report) => {
        const inUse = report.selected || (report.nominated && report.state === "succeeded");
        if (!pair && report.type === "candidate-pair" && inUse) {
          pair = report;
        }
      });
    }
    const local = pair && stats.get(pair.localCandidateId);
    return local ? local.candidateType : null;
  }

  function conclude(kind) {
    progress.hidden = true;
    verdict.textContent = texts[kind];
    verdict.dataset.verdict = kind;
    verdict.hidden = false;
    if (kind === "choppy") {
      advice.textContent = texts.choppyAdvice;
      advice.hidden = false;
    }
  }

  function verdictOf(summary) {
    const limits = config.thresholds;
    if (!summary.received) {
      return "failed";
    }
    const good =
      summary.rtt < limits.rtt_ms && summary.jitter < limits.jitter_ms && summary.loss < limits.loss;
    return good ? "ready" : "choppy";
  }

  async function run() {
    startButton.disabled = true;
    reset();
    results.setAttribute("aria-busy", "true");
    const turnConfigured = config.iceServers.some((server) =>
      [].concat(server.urls).some((url) => /^turns?:/.test(url)),
    );
    let relayGathered = false;
    let stream = null;
    let pc = null;
    try {
      stream = await openCamera();
      progress.textContent = texts.connecting;
      pc = new RTCPeerConnection({ iceServers: config.iceServers });
      pc.addEventListener("icecandidate", (event) => {
        if (event.candidate && candidateType(event.candidate) === "relay") {
          relayGathered = true;
        }
      });
      if (stream) {
        stream.getTracks().forEach((track) => pc.addTrack(track, stream));
      }
      const channel = pc.createDataChannel("probe", { ordered: false, maxRetransmits: 0 });
      await pc.setLocalDescription(await pc.createOffer());
      await gathered(pc);
      await exchange(pc);
      if (!(await connected(pc, channel))) {
        if (turnConfigured && !relayGathered) {
          setFigure("relay", texts.relay.unreachable);
        }
        conclude("failed");
        return;
      }
      const summary = await probe(channel);
      show(summary);
      const type = await pairType(pc);
      setFigure("pair", (type && texts.pairTypes[type]) || texts.unknown);
      if (type === "relay") {
        setFigure("relay", texts.relay.needed);
      } else if (turnConfigured && !relayGathered) {
        setFigure("relay", texts.relay.unreachable);
      } else {
        setFigure("relay", texts.relay.notNeeded);
      }
      conclude(verdictOf(summary));
    } catch (error) {
      progress.textContent = error instanceof TestError ? error.message : texts.serverError;
    } finally {
      if (stream) {
        stream.getTracks().forEach((track) => track.stop());
      }
      preview.srcObject = null;
      previewBox.hidden = true;
      if (pc) {
        pc.close();
      }
      results.setAttribute("aria-busy", "false");
      startButton.textContent = texts.again;
      startButton.disabled = false;
    }
  }
})();
