// Copy buttons: <button data-copy="#id"> copies the value or text of #id.
document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const source = document.querySelector(button.dataset.copy);
  if (!source) return;
  const text = "value" in source ? source.value : source.textContent;
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    // Without the clipboard API (plain HTTP on another host), select the text for Ctrl-C.
    const range = document.createRange();
    range.selectNodeContents(source);
    if (source.select) source.select();
    else window.getSelection().removeAllRanges(), window.getSelection().addRange(range);
    button.textContent = "Press Ctrl-C";
    return;
  }
  const label = button.textContent;
  button.textContent = "Copied";
  setTimeout(() => (button.textContent = label), 1500);
});

// The cron field matters only for a custom schedule.
document.addEventListener("change", (event) => {
  if (event.target.name !== "schedule") return;
  const cron = event.target.form && event.target.form.querySelector("[name=cron]");
  if (cron && event.target.value === "custom") cron.focus();
});
