// "Send me a code" without leaving the page: what was typed and the files attached stay in the form.
// A button marked data-code-request="ID" posts only the CSRF token to its formaction and shows the answer in the
// element ID. Without JavaScript the button submits its form, and the page comes back with the typed text.
"use strict";

document.addEventListener("click", async (event) => {
  const button = event.target.closest("button[data-code-request]");
  if (!button) return;
  event.preventDefault();
  const status = document.getElementById(button.dataset.codeRequest);
  const body = new FormData();
  body.append("csrf_token", button.form.elements.csrf_token.value);
  button.disabled = true;
  try {
    const response = await fetch(button.formAction, {
      method: "POST", body, credentials: "same-origin", headers: { Accept: "application/json" },
    });
    const answer = await response.json();
    status.textContent = response.ok ? answer.message : answer.error.message;
    status.className = response.ok ? "notice" : "error";
    status.dataset.testid = response.ok ? "code-sent" : "error";
    if (!response.ok) status.dataset.code = answer.error.code;
    status.hidden = false;
  } catch {
    // Not an answer this script knows (e.g. the session ended): let the form go to the server as without it.
    delete button.dataset.codeRequest;
    button.form.requestSubmit(button);
  } finally {
    button.disabled = false;
  }
});
