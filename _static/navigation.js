// Borrowing Strength: make the visible sidebar buttons work (loaded on every page by Jupyter Book).
//
// pydata-sphinx-theme 0.17 attaches its "open the sidebar" handler to the FIRST element with the
// class .primary-toggle (and .secondary-toggle). sphinx-book-theme renders a second, visible pair
// of buttons in the article header, which never get a handler: on a phone the chapter list and the
// page's contents cannot be opened (pydata-sphinx-theme issue #2451). Each visible button here
// passes its click on to the theme's own button; on a wide screen, where the chapter list is
// already on the page, the primary button hides or shows it instead.
document.addEventListener("DOMContentLoaded", () => {
  for (const kind of ["primary", "secondary"]) {
    const buttons = Array.from(document.querySelectorAll(`.${kind}-toggle`));
    const themeButton = buttons[0];
    if (!themeButton) continue;
    for (const button of buttons.slice(1)) {
      button.addEventListener("click", (event) => {
        event.preventDefault();
        event.stopPropagation();
        const sidebar = document.querySelector(`.bd-sidebar-${kind}`);
        const inPage = sidebar && sidebar.getBoundingClientRect().left >= 0 && sidebar.offsetWidth > 0;
        if (kind === "primary" && (inPage || document.body.classList.contains("bs-primary-hidden"))) {
          document.body.classList.toggle("bs-primary-hidden");
        } else {
          themeButton.click();
        }
      });
    }
  }
});

// Printing always uses the light colours, whatever the reader chose on screen; the choice comes
// back after printing.
let themeBeforePrint = null;
window.addEventListener("beforeprint", () => {
  themeBeforePrint = document.documentElement.dataset.theme;
  document.documentElement.dataset.theme = "light";
});
window.addEventListener("afterprint", () => {
  if (themeBeforePrint) document.documentElement.dataset.theme = themeBeforePrint;
  themeBeforePrint = null;
});
