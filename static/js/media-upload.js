// Media manager: uploads each chosen file to the booth's media API with a progress bar,
// then reloads the list. The server decides the file type from its content; the size
// check here only saves a long wait for a file that would be refused anyway.
"use strict";

(function () {
  const box = document.querySelector(".uploader");
  if (!box) return;
  const input = box.querySelector("input[type=file]");
  const product = box.querySelector("#f-upload-product");
  const list = box.querySelector(".upload-progress");
  const limits = {
    image: Number(box.dataset.limitImage),
    video: Number(box.dataset.limitVideo),
    pdf: Number(box.dataset.limitPdf),
  };

  function kindOf(file) {
    if (file.type.startsWith("image/")) return "image";
    if (file.type.startsWith("video/")) return "video";
    return "pdf";
  }

  function upload(file) {
    return new Promise(function (resolve) {
      const item = document.createElement("li");
      const label = document.createElement("span");
      label.textContent = file.name + " ";
      const bar = document.createElement("progress");
      bar.max = 100;
      bar.value = 0;
      const status = document.createElement("span");
      status.className = "upload-status";
      item.append(label, bar, status);
      list.appendChild(item);
      if (file.size > limits[kindOf(file)]) {
        status.textContent = " " + box.dataset.msgTooLarge;
        item.classList.add("failed");
        resolve(false);
        return;
      }
      const form = new FormData();
      if (product && product.value) form.append("product_id", product.value);
      form.append("file", file);
      const request = new XMLHttpRequest();
      request.open("POST", box.dataset.uploadUrl);
      request.setRequestHeader("X-CSRF-Token", box.dataset.csrf);
      request.setRequestHeader("Accept", "application/json");
      request.upload.addEventListener("progress", function (event) {
        if (event.lengthComputable) bar.value = Math.round((100 * event.loaded) / event.total);
      });
      request.addEventListener("load", function () {
        if (request.status === 200 || request.status === 201) {
          bar.value = 100;
          status.textContent = " " + box.dataset.msgDone;
          resolve(true);
          return;
        }
        let message = box.dataset.msgFailed;
        try { message = JSON.parse(request.responseText).error.message; } catch (e) { /* keep */ }
        status.textContent = " " + message;
        item.classList.add("failed");
        resolve(false);
      });
      request.addEventListener("error", function () {
        status.textContent = " " + box.dataset.msgFailed;
        item.classList.add("failed");
        resolve(false);
      });
      request.send(form);
    });
  }

  input.addEventListener("change", async function () {
    const files = Array.from(input.files);
    let any = false;
    for (const file of files) {
      // One at a time: two cores and a home uplink do better in sequence.
      if (await upload(file)) any = true;
    }
    input.value = "";
    const failed = list.querySelector(".failed");
    if (any && !failed) window.location.reload();
  });
})();
