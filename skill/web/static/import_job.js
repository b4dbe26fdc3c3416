// Follows a catalog import job on its page: polls the job's status every second and moves
// the progress bar; when the job ends, reloads the page to show how it ended. (Without
// scripts the page refreshes itself instead.)
(function () {
  "use strict";
  var box = document.getElementById("import-job");
  if (!box || box.dataset.status !== "running") { return; }
  var bar = box.querySelector("progress");
  var text = box.querySelector("[data-progress]");

  function show(job) {
    if (job.status !== "running") { window.location.reload(); return false; }
    bar.max = job.total || 1;
    bar.value = job.done;
    text.textContent = job.progress.charAt(0).toUpperCase() + job.progress.slice(1) + ".";
    return true;
  }

  function poll() {
    fetch(box.dataset.poll, {credentials: "same-origin", headers: {Accept: "application/json"}})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (job) { if (!job || show(job)) { window.setTimeout(poll, 1000); } })
      .catch(function () { window.setTimeout(poll, 2000); });
  }
  window.setTimeout(poll, 1000);
}());
