// Logging in to a club's stage (club mode: the stage serves a club's database). A performer's
// own stage has no logins and never shows this page.

import { h, focusHeading } from "../dom.js";
import { api } from "../api.js";

/** Fills `main` with the login form; `onLoggedIn(member)` runs once the stage accepts it. */
export function loginPage(main, onLoggedIn) {
  const error = h("p", { class: "error", role: "alert", hidden: true });
  const name = h("input", { id: "login-name", name: "name", autocomplete: "username", required: true });
  const password = h("input", {
    id: "login-password", name: "password", type: "password", autocomplete: "current-password", required: true,
  });
  const submit = h("button", { type: "submit", class: "primary" }, "Log in");
  const form = h("form", { class: "login", onsubmit: async (event) => {
    event.preventDefault();
    submit.disabled = true;
    error.hidden = true;
    try {
      const member = await api("/api/login", { method: "POST", json: { name: name.value, password: password.value } });
      onLoggedIn(member);
    } catch (failure) {
      error.textContent = failure.message;
      error.hidden = false;
      password.select();
    } finally {
      submit.disabled = false;
    }
  } },
    h("p", {}, h("label", { for: "login-name" }, "Your name"), name),
    h("p", {}, h("label", { for: "login-password" }, "Password"), password),
    error,
    submit,
  );
  main.replaceChildren(
    h("h1", {}, "Log in to your club's stage"),
    h("p", { class: "quiet" }, "Your coach gave you a name and a password."),
    form,
  );
  focusHeading(main);
  name.focus();
}

/** Says who is logged in, with a way out, in the page's bar. */
export function showMember(member, onLoggedOut) {
  document.getElementById("member")?.remove();
  document.getElementById("groups-link")?.remove();
  document.body.dataset.club = String(Boolean(member?.club));
  document.body.dataset.role = member?.role ?? "";
  if (!member?.club) return;
  if (member.role === "coach") {
    document.querySelector("header.bar nav").append(h("a", { id: "groups-link", href: "#/groups" }, "Groups"));
  }
  const out = h("button", { type: "button", class: "link", onclick: async () => {
    await api("/api/logout", { method: "POST" }).catch(() => {});
    document.getElementById("member")?.remove();
    onLoggedOut();
  } }, "Log out");
  document.querySelector("header.bar").append(
    h("span", { id: "member", class: "member" }, `${member.name} (${member.role}) `, out),
  );
}
