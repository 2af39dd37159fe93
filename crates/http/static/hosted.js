// Verity hosted pages: progressive enhancement only. Every step works without this script;
// with it, photo steps get a live camera with a guide frame, photos are downscaled and
// re-encoded as JPEG before upload (turning HEIC and huge files into something small), and a
// desktop page follows the progress made on a phone.
(function () {
  "use strict";

  // Language switcher: submit on change.
  document.querySelectorAll("[data-autosubmit]").forEach(function (el) {
    el.addEventListener("change", function () { el.form.submit(); });
    var btn = el.form.querySelector("button");
    if (btn) btn.classList.add("hidden");
  });

  // Country lists: a search box narrows the list as one types (names without accents match
  // names with them); without the script, the list and its type-ahead work alone.
  var fold = function (t) { return t.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase(); };
  document.querySelectorAll("[data-country-search]").forEach(function (box) {
    var input = box.querySelector("input");
    var select = document.getElementById(input.getAttribute("data-for"));
    if (!select) return;
    box.classList.remove("hidden");
    input.addEventListener("input", function () {
      var q = fold(input.value.trim());
      var first = null;
      Array.prototype.forEach.call(select.options, function (o) {
        var match = !o.value || !q || fold(o.text).indexOf(q) >= 0 || o.value.toLowerCase() === q;
        o.hidden = !match;
        if (match && o.value && !first) first = o;
      });
      // One match: choose it, as a person who typed its name means it.
      var shown = Array.prototype.filter.call(select.options, function (o) { return o.value && !o.hidden; });
      if (shown.length === 1 && select.value !== shown[0].value) {
        select.value = shown[0].value;
        select.dispatchEvent(new Event("change"));
      }
    });
  });

  // A hint that follows the form's country (what a registration number looks like there).
  document.querySelectorAll("main [data-hints]").forEach(function (hint) {
    var select = hint.closest("form").querySelector("select[name=country]");
    if (!select) return;
    var hints = {};
    try { hints = JSON.parse(hint.getAttribute("data-hints")); } catch (e) { return; }
    select.addEventListener("change", function () {
      hint.textContent = hints[select.value] || "";
      hint.classList.toggle("hidden", !hints[select.value]);
    });
  });

  // Document types follow the issuing country: a card the engine cannot verify for the chosen
  // country is not offered (the server refuses it anyway, with the same explanation).
  var docCountry = document.querySelector("main form select[name=country]");
  var limited = document.querySelectorAll("main [data-countries]");
  if (docCountry && limited.length) {
    var follow = function () {
      limited.forEach(function (choice) {
        var ok = !docCountry.value || choice.getAttribute("data-countries").split(" ").indexOf(docCountry.value) >= 0;
        var input = choice.querySelector("input");
        if (!ok && input.checked) input.checked = false;
        input.disabled = !ok;
        choice.classList.toggle("hidden", !ok);
      });
    };
    docCountry.addEventListener("change", follow);
    follow();
  }

  // Move focus to the error summary so screen readers announce it.
  var summary = document.getElementById("error-summary");
  if (summary) summary.focus();

  var MAX_SIDE = 2000;

  function downscale(blob) {
    return new Promise(function (resolve) {
      if (!window.createImageBitmap) { resolve(blob); return; }
      createImageBitmap(blob, { imageOrientation: "from-image" }).then(function (bmp) {
        var scale = Math.min(1, MAX_SIDE / Math.max(bmp.width, bmp.height));
        var canvas = document.createElement("canvas");
        canvas.width = Math.round(bmp.width * scale);
        canvas.height = Math.round(bmp.height * scale);
        canvas.getContext("2d").drawImage(bmp, 0, 0, canvas.width, canvas.height);
        canvas.toBlob(function (out) { resolve(out || blob); }, "image/jpeg", 0.88);
      }).catch(function () { resolve(blob); });
    });
  }

  // Shows an upload error where everyone sees and hears it, and moves focus there.
  function showError(message) {
    var box = document.querySelector("[data-upload-error]");
    if (!box) return;
    box.textContent = message;
    box.classList.remove("hidden");
    box.focus();
  }

  // Sends a photo. `fromInput`: it was chosen in the form's file input, so on a refusal the
  // plain form post shows the server's error page, exactly as without this script.
  function upload(form, blob, name, fromInput) {
    var data = new FormData(form);
    data.delete("file");
    data.append("file", blob, name || "photo.jpg");
    var button = form.querySelector("button[type=submit]");
    var label = button ? button.textContent : "";
    if (button) { button.disabled = true; button.textContent = form.getAttribute("data-uploading") || label; }
    return fetch(form.action, { method: "POST", body: data, headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.json().then(function (j) { return { ok: r.ok, body: j }; }); })
      .then(function (res) {
        if (res.ok && res.body.next) { window.location.assign(res.body.next); return; }
        if (fromInput) { form.submit(); return; }
        if (button) { button.disabled = false; button.textContent = label; }
        showError((res.body && res.body.error) || "");
      })
      .catch(function () { form.submit(); });
  }

  // Photo uploads: downscale images in the browser, then send; PDFs and failures fall back to
  // the plain form post.
  document.querySelectorAll("form[data-upload]").forEach(function (form) {
    form.addEventListener("submit", function (ev) {
      var input = form.querySelector("input[type=file]");
      var file = input && input.files && input.files[0];
      if (!file || !/^image\//.test(file.type) || !window.fetch || !window.FormData) return;
      ev.preventDefault();
      downscale(file).then(function (small) { upload(form, small, "photo.jpg", true); });
    });
  });

  // Live camera capture.
  var box = document.querySelector("[data-camera]");
  var start = document.querySelector("[data-start-camera]");
  if (box && start && navigator.mediaDevices && navigator.mediaDevices.getUserMedia) {
    start.classList.remove("hidden");
    var video = box.querySelector("video");
    var preview = box.querySelector("[data-preview]");
    var take = box.querySelector("[data-take]");
    var retake = box.querySelector("[data-retake]");
    var use = box.querySelector("[data-use]");
    var denied = document.querySelector("[data-camera-denied]");
    var form = document.querySelector("form[data-upload]");
    var stream = null, shot = null;
    start.addEventListener("click", function () {
      navigator.mediaDevices.getUserMedia({ video: { facingMode: box.getAttribute("data-facing") || "environment", width: { ideal: 1920 } }, audio: false })
        .then(function (s) {
          stream = s;
          video.srcObject = s;
          video.play();
          box.classList.remove("hidden");
          start.classList.add("hidden");
          take.focus();
        })
        .catch(function () {
          // Refused or absent camera: the file input (which opens the camera app on phones)
          // stays the way forward.
          denied.classList.remove("hidden");
          start.classList.add("hidden");
          var input = form && form.querySelector("input[type=file]");
          if (input) input.focus();
        });
    });
    take.addEventListener("click", function () {
      var canvas = document.createElement("canvas");
      canvas.width = video.videoWidth; canvas.height = video.videoHeight;
      canvas.getContext("2d").drawImage(video, 0, 0);
      canvas.toBlob(function (b) {
        shot = b;
        preview.src = URL.createObjectURL(b);
        preview.classList.remove("hidden"); video.classList.add("hidden");
        take.classList.add("hidden"); retake.classList.remove("hidden"); use.classList.remove("hidden");
        use.focus();
      }, "image/jpeg", 0.9);
    });
    retake.addEventListener("click", function () {
      shot = null;
      preview.classList.add("hidden"); video.classList.remove("hidden");
      take.classList.remove("hidden"); retake.classList.add("hidden"); use.classList.add("hidden");
      take.focus();
    });
    use.addEventListener("click", function () {
      if (!shot) return;
      if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
      downscale(shot).then(function (small) { upload(form, small, "camera.jpg", false); });
    });
  }

  // Active liveness on the selfie step: a challenge from the server, one frame facing the
  // camera and one after each instruction (announced to screen readers), then the frames go
  // up together. Any failure leaves the plain photo and file input as the way forward.
  var live = document.querySelector("[data-liveness]");
  var liveStart = live && live.querySelector("[data-liveness-start]");
  if (live && liveStart && box && navigator.mediaDevices && navigator.mediaDevices.getUserMedia && window.fetch && window.FormData) {
    live.classList.remove("hidden");
    var prompt = live.querySelector("[data-liveness-prompt]");
    var liveForm = document.querySelector("form[data-upload]");
    var liveVideo = box.querySelector("video");
    var wait = function (ms) { return new Promise(function (r) { setTimeout(r, ms); }); };
    var grab = function () {
      return new Promise(function (resolve) {
        var canvas = document.createElement("canvas");
        var scale = Math.min(1, 1000 / Math.max(liveVideo.videoWidth || 1, liveVideo.videoHeight || 1));
        canvas.width = Math.round(liveVideo.videoWidth * scale); canvas.height = Math.round(liveVideo.videoHeight * scale);
        canvas.getContext("2d").drawImage(liveVideo, 0, 0, canvas.width, canvas.height);
        canvas.toBlob(function (b) { resolve({ blob: b, at: Date.now() }); }, "image/jpeg", 0.9);
      });
    };
    var failed = function (message) {
      prompt.textContent = message || live.getAttribute("data-failed");
      liveStart.disabled = false;
      liveStart.focus();
    };
    var csrf = function () { var i = liveForm && liveForm.querySelector("input[name=csrf]"); return i ? i.value : ""; };
    var post = function (data) {
      return fetch(live.getAttribute("data-liveness"), { method: "POST", body: data, headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (r) { return r.json().then(function (j) { return { ok: r.ok, body: j }; }); });
    };
    liveStart.addEventListener("click", function () {
      liveStart.disabled = true;
      if (start) start.classList.add("hidden");
      var stream = null;
      var ask = new FormData(); ask.append("csrf", csrf()); ask.append("action", "challenge");
      navigator.mediaDevices.getUserMedia({ video: { facingMode: "user", width: { ideal: 1280 } }, audio: false })
        .then(function (s) {
          stream = s; liveVideo.srcObject = s;
          box.classList.remove("hidden");
          box.querySelectorAll("[data-take],[data-retake],[data-use]").forEach(function (b) { b.classList.add("hidden"); });
          // The challenge's clock starts once the camera shows a picture.
          return new Promise(function (ready) {
            if (liveVideo.readyState >= 2) { ready(); return; }
            liveVideo.addEventListener("loadeddata", function () { ready(); }, { once: true });
            liveVideo.play();
          }).then(function () { liveVideo.play(); return post(ask); });
        })
        .then(function (res) {
          if (!res.ok) throw new Error(res.body && res.body.error);
          var c = res.body, frames = [];
          prompt.textContent = c.face;
          var step = wait(2000).then(grab).then(function (f) { frames.push(f); });
          c.prompts.forEach(function (text) {
            step = step.then(function () { prompt.textContent = text; return wait(2500); }).then(grab).then(function (f) { frames.push(f); });
          });
          return step.then(function () {
            prompt.textContent = live.getAttribute("data-sending");
            var data = new FormData();
            data.append("csrf", csrf()); data.append("action", "frames"); data.append("challenge", c.challenge);
            data.append("captured", frames.map(function (f) { return f.at; }).join(","));
            frames.forEach(function (f, i) { data.append("frame", f.blob, "frame" + i + ".jpg"); });
            return post(data);
          });
        })
        .then(function (res) {
          if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
          if (res.ok && res.body.next) { window.location.assign(res.body.next); return; }
          failed(res.body && res.body.error);
        })
        .catch(function (e) {
          if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
          failed(e && e.message);
        });
    });
  }

  // Desktop hand-off: open the QR code on large screens without touch, and follow progress
  // made on the phone.
  var handoff = document.querySelector("[data-handoff]");
  if (handoff) {
    var desktop = window.matchMedia && window.matchMedia("(pointer: fine) and (min-width: 48rem)").matches;
    if (desktop) handoff.open = true;
    var step = handoff.getAttribute("data-step");
    var url = handoff.getAttribute("data-progress");
    var doneAtStart = null;
    // Reload only when something changes elsewhere: this step gets done on the phone, or the
    // session is submitted or decided. A step already done when the page opened stays put, so
    // a replacement photo being chosen here is not lost.
    setInterval(function () {
      fetch(url, { credentials: "same-origin", cache: "no-store" }).then(function (r) { return r.json(); }).then(function (p) {
        var done = !!(p.done && p.done.indexOf(step) >= 0);
        if (doneAtStart === null) { doneAtStart = done; }
        if (p.submitted || p.status !== "PENDING" || (done && !doneAtStart)) window.location.reload();
      }).catch(function () {});
    }, 3000);
  }
})();
