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

// Figures legible on a phone. A figure is drawn for the desktop column (its width in CSS pixels
// is the img's style width; the PNG holds twice the pixels); shrunk to a 390-px screen its text
// would be 6-7 px high. On a narrow screen each output figure keeps at least MIN_SCALE of its drawn
// size, so that the book's smallest figure text (10 pt at 100 dpi, about 13.9 px; the base size is
// 10.5 pt) stays 9 px or more; its output box scrolls sideways instead of the page.
// tests/site/test_browser.py measures it, and tests/test_plots.py keeps every figure's text >= 10 pt.
const MIN_SCALE = 0.65;
function keepFiguresLegible() {
  for (const img of document.querySelectorAll("main .cell_output img")) {
    const drawn = parseFloat(img.style.width) || img.naturalWidth / 2;
    const box = img.closest(".output") || img.parentElement;
    if (!drawn || !box) continue;
    img.style.minWidth = "";
    if (img.getBoundingClientRect().width < MIN_SCALE * drawn) {
      img.style.minWidth = `${Math.round(MIN_SCALE * drawn)}px`;
      box.style.overflowX = "auto";
    }
  }
}
document.addEventListener("DOMContentLoaded", keepFiguresLegible);
window.addEventListener("load", keepFiguresLegible);
window.addEventListener("resize", keepFiguresLegible);

// A solution's title reads "Solution to Exercise 4.2 (Model)", and sphinx-exercise makes the
// words "Exercise 4.2 (Model)" a link back to the exercise. sphinx-togglebutton opens the solution
// on a click anywhere in its title, but a click on those words followed the link instead: the page
// jumped to the exercise, the solution stayed shut, and togglebutton threw a TypeError (it finds no
// button under a link). A click on the link now opens or shuts the solution like the rest of the
// title; the exercise sits just above it.
document.addEventListener(
  "click",
  (event) => {
    const link = event.target.closest && event.target.closest("div.solution.toggle > .admonition-title a");
    if (!link) return;
    event.preventDefault();
    event.stopPropagation();
    const button = link.closest(".admonition-title").querySelector(".toggle-button");
    if (button) button.click();
  },
  true,
);
