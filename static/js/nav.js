// The few Bootstrap behaviours the pages use, without bootstrap.bundle.js (80 KB):
// data-bs-toggle="collapse" (the navbar toggler) and data-bs-toggle="dropdown".
document.addEventListener("click", function (event) {
  var toggle = event.target.closest("[data-bs-toggle]");
  if (toggle) {
    var kind = toggle.getAttribute("data-bs-toggle");
    var target = kind === "collapse"
      ? document.querySelector(toggle.getAttribute("data-bs-target") || toggle.getAttribute("href"))
      : toggle.parentElement.querySelector(".dropdown-menu");
    if (target) {
      event.preventDefault();
      var open = target.classList.toggle("show");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      toggle.classList.toggle("collapsed", !open);
    }
    return;
  }
  document.querySelectorAll(".dropdown-menu.show").forEach(function (menu) {
    if (!menu.contains(event.target)) { menu.classList.remove("show"); }
  });
});
